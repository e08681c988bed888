//! The TypeScript types the UI uses are generated from these Rust types and committed under
//! ui/src/lib/bindings/. This test fails when a committed file is stale;
//! `UPDATE_BINDINGS=1 cargo test -p placecode-desk bindings` rewrites them.

use std::path::PathBuf;

use placecode_core::checkin::{
    Candidate, CheckInResult, DeclarationInput, HelperInput, Lookup, TodaySummary, VisitRow, WayIn,
};
use placecode_core::decision::{Colour, HealthAnswers};
use placecode_core::import::{ImportReport, RowNote};
use placecode_core::risk::{RiskImportReport, RiskStatus};
use placecode_core::venue::{Catalog, Category, Choice, CodeKind, District, Venue, VenueInput};
use placecode_core::FieldError;
use placecode_store::{
    Arrival, CheckOut, CodeCheck, CrewLookup, CrewMember, Destination, EntranceCount, EntranceRate, Incident,
    IncidentInput, IncidentStatus, LateHit, Occupancy, Operator, PosterSettings, PreDeclaration, Quarter, QueueView,
    RejectedRecord, ScreenCode, SyncError, SyncProgress, SyncStatus, Trip, TripBoard, TripInput, TripResult,
    TripStatus, VenueCode,
};
use ts_rs::{Config, TS};

use crate::CommandError;

fn render<T: TS + 'static>(cfg: &Config) -> (String, String) {
    let name = format!("{}.ts", T::name(cfg));
    (name, T::export_to_string(cfg).expect("render TypeScript binding"))
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let cfg = Config::default();
    let mut files = vec![
        render::<CodeKind>(&cfg),
        render::<Category>(&cfg),
        render::<District>(&cfg),
        render::<VenueInput>(&cfg),
        render::<Venue>(&cfg),
        render::<Choice>(&cfg),
        render::<Catalog>(&cfg),
        render::<FieldError>(&cfg),
        render::<RowNote>(&cfg),
        render::<ImportReport>(&cfg),
        render::<CommandError>(&cfg),
        render::<Colour>(&cfg),
        render::<HealthAnswers>(&cfg),
        render::<DeclarationInput>(&cfg),
        render::<HelperInput>(&cfg),
        render::<WayIn>(&cfg),
        render::<CheckInResult>(&cfg),
        render::<Lookup>(&cfg),
        render::<Candidate>(&cfg),
        render::<VisitRow>(&cfg),
        render::<TodaySummary>(&cfg),
        render::<Operator>(&cfg),
        render::<IncidentStatus>(&cfg),
        render::<IncidentInput>(&cfg),
        render::<placecode_core::checkin::ReleaseReason>(&cfg),
        render::<placecode_store::IncidentPlaces>(&cfg),
        render::<Incident>(&cfg),
        render::<LateHit>(&cfg),
        render::<RiskImportReport>(&cfg),
        render::<RiskStatus>(&cfg),
        render::<VenueCode>(&cfg),
        render::<CodeCheck>(&cfg),
        render::<placecode_store::Verdict>(&cfg),
        render::<ScreenCode>(&cfg),
        render::<Occupancy>(&cfg),
        render::<EntranceCount>(&cfg),
        render::<CheckOut>(&cfg),
        render::<QueueView>(&cfg),
        render::<EntranceRate>(&cfg),
        render::<Quarter>(&cfg),
        render::<placecode_core::occupancy::Limit>(&cfg),
        render::<crate::commands::LimitInput>(&cfg),
        render::<PosterSettings>(&cfg),
        render::<SyncError>(&cfg),
        render::<SyncProgress>(&cfg),
        render::<SyncStatus>(&cfg),
        render::<RejectedRecord>(&cfg),
        render::<placecode_core::identity::DocumentKind>(&cfg),
        render::<placecode_core::checkin::TruckDeclarationInput>(&cfg),
        render::<TripStatus>(&cfg),
        render::<CrewMember>(&cfg),
        render::<Trip>(&cfg),
        render::<TripInput>(&cfg),
        render::<TripResult>(&cfg),
        render::<placecode_store::IncidentPlaceList>(&cfg),
        render::<placecode_store::TripResolveInput>(&cfg),
        render::<placecode_core::checkin::TripResolution>(&cfg),
        render::<Destination>(&cfg),
        render::<PreDeclaration>(&cfg),
        render::<CrewLookup>(&cfg),
        render::<Arrival>(&cfg),
        render::<TripBoard>(&cfg),
        render::<crate::commands::SessionSettings>(&cfg),
        render::<placecode_poster::printer::Printer>(&cfg),
        render::<placecode_poster::printer::PrintJob>(&cfg),
        render::<crate::commands::PrintSetup>(&cfg),
        render::<placecode_core::release::PackageFormat>(&cfg),
        render::<placecode_core::release::Release>(&cfg),
        render::<crate::update::UpdateStatus>(&cfg),
        render::<crate::update::Unavailable>(&cfg),
    ];
    files.push(("limits.ts".into(), limits()));
    files.push(("documentKinds.ts".into(), document_kinds()));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (name, text) in files {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings {stale:?}: run `UPDATE_BINDINGS=1 cargo test -p placecode-desk bindings`"
    );
}

/// The core's limits the forms show and cap their fields at, so the UI never restates a number
/// the rules hold.
fn limits() -> String {
    use placecode_core::{checkin, code};
    let limits = [
        ("MANUAL_MAX_PEOPLE", checkin::MANUAL_MAX_PEOPLE, "people one manual registration takes"),
        ("CREW_MAX", checkin::CREW_MAX, "crew members of a truck entering at a checkpoint"),
        ("LABEL_MAX", code::LABEL_MAX, "characters of an entrance label"),
        ("REVOKE_REASON_MAX", code::REVOKE_REASON_MAX, "characters of the reason a code is revoked"),
        ("NOTE_MAX", checkin::RELEASE_NOTE_MAX, "characters of a release's or an incident step's note"),
        ("INCIDENT_PLACE_MAX", checkin::INCIDENT_PLACE_MAX, "characters of a 临时隔离点 or 上报对象"),
        ("PRINT_COPIES_MAX", placecode_poster::printer::MAX_COPIES as usize, "copies of each poster in one print"),
    ];
    let mut out = String::from("// Generated from the core's rules by src-tauri/src/bindings.rs: do not edit.\n");
    for (name, value, what) in limits {
        out.push_str(&format!("\n/** The most {what}. */\nexport const {name} = {value};\n"));
    }
    out
}

/// Every kind of document, in the core's order, so the forms never restate the list.
fn document_kinds() -> String {
    let keys: Vec<String> =
        placecode_core::identity::DocumentKind::ALL.iter().map(|k| format!("  '{}',\n", k.key())).collect();
    format!(
        "// Generated from the core's rules by src-tauri/src/bindings.rs: do not edit.\n\
         import type {{ DocumentKind }} from './DocumentKind';\n\n\
         /** Every kind of document, in the order the forms offer them (the core's `DocumentKind::ALL`). */\n\
         export const DOCUMENT_KINDS: readonly DocumentKind[] = [\n{}];\n",
        keys.concat()
    )
}

/// Every key of the catalogue (code kinds, venue types, districts) has its English name in the
/// UI's English locale, and no other key is there.
#[test]
fn the_catalogue_in_english_names_every_key() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/i18n/catalog-en.ts");
    let text = std::fs::read_to_string(&file).expect("catalog-en.ts");
    let catalog = Catalog::get();
    let keys: Vec<&str> = [&catalog.kinds, &catalog.categories, &catalog.districts]
        .into_iter()
        .flat_map(|list| list.iter().map(|c| c.value.as_str()))
        .collect();
    for key in &keys {
        assert!(text.contains(&format!("    {key}: '")), "{key} has no English name in {}", file.display());
    }
    let named = text.lines().filter(|l| l.starts_with("    ") && l.contains(": '")).count();
    assert_eq!(named, keys.len(), "catalog-en.ts names keys the catalogue does not have");
}
