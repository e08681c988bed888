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
    Arrival, CodeCheck, CrewLookup, CrewMember, Destination, Incident, IncidentInput, IncidentStatus, Operator,
    PosterSettings, PreDeclaration, RejectedRecord, SyncError, SyncProgress, SyncStatus, Trip, TripBoard, TripInput,
    TripResult, TripStatus, VenueCode,
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
    let files = [
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
        render::<RiskImportReport>(&cfg),
        render::<RiskStatus>(&cfg),
        render::<VenueCode>(&cfg),
        render::<CodeCheck>(&cfg),
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
    ];
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
