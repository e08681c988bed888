// One place to import the backend's types from. The files in ./bindings are generated from the
// Rust types by ts-rs; do not edit them by hand.
export type { Arrival } from './bindings/Arrival';
export type { Candidate } from './bindings/Candidate';
export type { Catalog } from './bindings/Catalog';
export type { Category } from './bindings/Category';
export type { CheckInResult } from './bindings/CheckInResult';
export type { Choice } from './bindings/Choice';
export type { CodeCheck } from './bindings/CodeCheck';
export type { CodeKind } from './bindings/CodeKind';
export type { Colour } from './bindings/Colour';
export type { CommandError } from './bindings/CommandError';
export type { CrewLookup } from './bindings/CrewLookup';
export type { CrewMember } from './bindings/CrewMember';
export type { DeclarationInput } from './bindings/DeclarationInput';
export type { Destination } from './bindings/Destination';
export type { District } from './bindings/District';
export type { DocumentKind } from './bindings/DocumentKind';
export type { FieldError } from './bindings/FieldError';
export type { HelperInput } from './bindings/HelperInput';
export type { ImportReport } from './bindings/ImportReport';
export type { Incident } from './bindings/Incident';
export type { LateHit } from './bindings/LateHit';
export type { IncidentInput } from './bindings/IncidentInput';
export type { IncidentPlaces } from './bindings/IncidentPlaces';
export type { IncidentPlaceList } from './bindings/IncidentPlaceList';
export type { IncidentStatus } from './bindings/IncidentStatus';
export type { ReleaseReason } from './bindings/ReleaseReason';
export type { Lookup } from './bindings/Lookup';
export type { Operator } from './bindings/Operator';
export type { PosterSettings } from './bindings/PosterSettings';
export type { Printer } from './bindings/Printer';
export type { PrintJob } from './bindings/PrintJob';
export type { PrintSetup } from './bindings/PrintSetup';
export type { PackageFormat } from './bindings/PackageFormat';
export type { Release } from './bindings/Release';
export type { UpdateStatus } from './bindings/UpdateStatus';
export type { PreDeclaration } from './bindings/PreDeclaration';
export type { RejectedRecord } from './bindings/RejectedRecord';
export type { RiskImportReport } from './bindings/RiskImportReport';
export type { RiskStatus } from './bindings/RiskStatus';
export type { SessionSettings } from './bindings/SessionSettings';
export type { RowNote } from './bindings/RowNote';
export type { SyncError } from './bindings/SyncError';
export type { SyncProgress } from './bindings/SyncProgress';
export type { SyncStatus } from './bindings/SyncStatus';
export type { TodaySummary } from './bindings/TodaySummary';
export type { Trip } from './bindings/Trip';
export type { TripBoard } from './bindings/TripBoard';
export type { TripInput } from './bindings/TripInput';
export type { TripResult } from './bindings/TripResult';
export type { TripResolveInput } from './bindings/TripResolveInput';
export type { TripResolution } from './bindings/TripResolution';
export type { TripStatus } from './bindings/TripStatus';
export type { TruckDeclarationInput } from './bindings/TruckDeclarationInput';
export type { Venue } from './bindings/Venue';
export type { ScreenCode } from './bindings/ScreenCode';
export type { Occupancy } from './bindings/Occupancy';
export type { QueueView } from './bindings/QueueView';
export type { CheckOut } from './bindings/CheckOut';
export type { LimitInput } from './bindings/LimitInput';
export type { VenueCode } from './bindings/VenueCode';
export type { VenueInput } from './bindings/VenueInput';
export type { VisitRow } from './bindings/VisitRow';
export type { WayIn } from './bindings/WayIn';

/** The keys of VenueInput, in the order the form shows them. */
export const VENUE_FIELDS = [
  'kind',
  'category',
  'name',
  'district',
  'address',
  'manager_name',
  'manager_phone',
] as const;

export type VenueField = (typeof VENUE_FIELDS)[number];

export { DOCUMENT_KINDS } from './bindings/documentKinds';

/** The text fields of a declaration (DeclarationInput), in the order the forms show them. */
export const PERSON_TEXT_FIELDS = ['name', 'id_number', 'address', 'phone', 'temperature'] as const;
/** The yes/no questions of a declaration (R5). */
export const PERSON_QUESTIONS = ['visited_risk_area', 'contact_with_suspected', 'temperature_normal'] as const;

export type PersonTextField = (typeof PERSON_TEXT_FIELDS)[number];
export type PersonQuestion = (typeof PERSON_QUESTIONS)[number];
export type PersonField = PersonTextField | PersonQuestion | 'document_kind';

/** The text fields of a truck crew member's declaration (TruckDeclarationInput); the plate is the trip's. */
export type CrewTextField =
  | 'name'
  | 'document_number'
  | 'phone'
  | 'origin'
  | 'entry_point'
  | 'expected_return'
  | 'expected_departure';
/** The yes/no questions of a truck crew member's declaration. */
export const CREW_QUESTIONS = ['symptoms', 'visited_risk_area'] as const;

export type CrewQuestion = (typeof CREW_QUESTIONS)[number];
/** The keys of a crew member's fields, as the backend names them after "crew.<i>.". */
export type CrewField = CrewTextField | CrewQuestion | 'document_kind';
