//! Tauri commands: each one unpacks its arguments, calls the core and returns. No rules here.
//! `async` commands run off the main thread, so a slow disk never freezes the window.

use placecode::checkin::{CheckInResult, DeclarationInput, HelperInput, Lookup, TodaySummary, WayIn};
use placecode::import::ImportReport;
use placecode::risk::{RiskImportReport, RiskStatus};
use placecode::store::{Incident, IncidentInput, IncidentStatus, Operator};
use placecode::venue::{Catalog, Venue, VenueInput};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::{Desk, DeskError, DeskResult};

#[tauri::command]
pub fn catalog() -> Catalog {
    Catalog::get()
}

#[tauri::command(async)]
pub fn list_venues(desk: State<'_, Desk>, query: String) -> DeskResult<Vec<Venue>> {
    Ok(desk.store()?.venues(&query)?)
}

#[tauri::command(async)]
pub fn register_venue(desk: State<'_, Desk>, input: VenueInput, confirm_similar: bool) -> DeskResult<Venue> {
    Ok(desk.store()?.register_venue(&input, confirm_similar)?)
}

#[tauri::command(async)]
pub fn update_venue(desk: State<'_, Desk>, id: String, input: VenueInput, confirm_similar: bool) -> DeskResult<Venue> {
    Ok(desk.store()?.update_venue(&id, &input, confirm_similar)?)
}

#[tauri::command(async)]
pub fn set_served_venue(desk: State<'_, Desk>, id: String) -> DeskResult<Venue> {
    Ok(desk.store()?.set_served_venue(&id)?)
}

#[tauri::command(async)]
pub fn served_venue(desk: State<'_, Desk>) -> DeskResult<Option<Venue>> {
    Ok(desk.store()?.served_venue()?)
}

/// The CSV arrives as the raw request body (a Uint8Array on the JS side), not as JSON numbers.
#[tauri::command(async)]
pub fn import_venues_csv(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<ImportReport> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode::Error::BadFile("请选择CSV文件".into())));
    };
    Ok(placecode::import::import_venues(&mut *desk.store()?, bytes)?)
}

// ---- operators (登记员) -------------------------------------------------------------------------

#[tauri::command(async)]
pub fn operators(desk: State<'_, Desk>) -> DeskResult<Vec<Operator>> {
    Ok(desk.store()?.operators()?)
}

/// The first operator may be added by anyone (setting up a new desk); later ones only by the
/// desk's administrator.
#[tauri::command(async)]
pub fn add_operator(desk: State<'_, Desk>, name: String, pin: String) -> DeskResult<Operator> {
    let mut store = desk.store()?;
    let first = store.operators()?.is_empty();
    if !first && !desk.operator()?.as_ref().is_some_and(|o| o.is_admin) {
        return Err(DeskError::Forbidden);
    }
    let op = store.add_operator(&name, &pin)?;
    if first {
        *desk.operator()? = Some(op.clone());
    }
    Ok(op)
}

#[tauri::command(async)]
pub fn sign_in(desk: State<'_, Desk>, name: String, pin: String) -> DeskResult<Operator> {
    let op = desk.store()?.sign_in(&name, &pin)?;
    *desk.operator()? = Some(op.clone());
    Ok(op)
}

#[tauri::command(async)]
pub fn sign_out(desk: State<'_, Desk>) -> DeskResult<()> {
    *desk.operator()? = None;
    Ok(())
}

#[tauri::command(async)]
pub fn current_operator(desk: State<'_, Desk>) -> DeskResult<Option<Operator>> {
    Ok(desk.operator()?.clone())
}

// ---- check-in (登记台) --------------------------------------------------------------------------

#[tauri::command(async)]
pub fn check_in_by_id(desk: State<'_, Desk>, id_number: String, trip_code_checked: bool) -> DeskResult<Lookup> {
    let ctx = desk.context(trip_code_checked)?;
    Ok(desk.store()?.check_in_by_id(&id_number, &ctx)?)
}

#[tauri::command(async)]
pub fn check_in_by_last4(
    desk: State<'_, Desk>,
    digits: String,
    birth_year: Option<i32>,
    trip_code_checked: bool,
) -> DeskResult<Lookup> {
    let ctx = desk.context(trip_code_checked)?;
    Ok(desk.store()?.check_in_by_last4(&digits, birth_year, &ctx)?)
}

/// After several people matched the last four digits and the operator picked one.
#[tauri::command(async)]
pub fn check_in_person(desk: State<'_, Desk>, person_id: String, trip_code_checked: bool) -> DeskResult<CheckInResult> {
    let ctx = desk.context(trip_code_checked)?;
    Ok(desk.store()?.check_in_person(&person_id, WayIn::Last4, &ctx)?)
}

#[tauri::command(async)]
pub fn declare(desk: State<'_, Desk>, input: DeclarationInput, trip_code_checked: bool) -> DeskResult<CheckInResult> {
    let ctx = desk.context(trip_code_checked)?;
    Ok(desk.store()?.declare(&input, &ctx)?)
}

#[tauri::command(async)]
pub fn register_manual(
    desk: State<'_, Desk>,
    helper: HelperInput,
    people: Vec<DeclarationInput>,
    trip_code_checked: bool,
) -> DeskResult<Vec<CheckInResult>> {
    let ctx = desk.context(trip_code_checked)?;
    Ok(desk.store()?.register_manual(&helper, &people, &ctx)?)
}

// ---- incidents (异常处置) -----------------------------------------------------------------------

#[tauri::command(async)]
pub fn report_incident(desk: State<'_, Desk>, visit_id: String, input: IncidentInput) -> DeskResult<Incident> {
    let ctx = desk.context(false)?;
    Ok(desk.store()?.report_incident(&visit_id, &input, &ctx)?)
}

#[tauri::command(async)]
pub fn advance_incident(desk: State<'_, Desk>, id: String, status: IncidentStatus) -> DeskResult<Incident> {
    let ctx = desk.context(false)?;
    Ok(desk.store()?.advance_incident(&id, status, ctx.now)?)
}

#[tauri::command(async)]
pub fn incidents(desk: State<'_, Desk>) -> DeskResult<Vec<Incident>> {
    desk.context(false)?; // personal data: only for a signed-in operator
    Ok(desk.store()?.incidents()?)
}

#[tauri::command(async)]
pub fn today(desk: State<'_, Desk>, query: String) -> DeskResult<TodaySummary> {
    let ctx = desk.context(false)?; // personal data: only for a signed-in operator
    Ok(desk.store()?.today(&query, ctx.now)?)
}

// ---- risk list (风险人员名单) ---------------------------------------------------------------------

/// The CSV is the raw body; the header `x-replace: 1` makes it a full replacement.
#[tauri::command(async)]
pub fn import_risk_csv(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<RiskImportReport> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode::Error::BadFile("请选择CSV文件".into())));
    };
    let replace = request.headers().get("x-replace").is_some_and(|v| v.as_bytes() == b"1");
    desk.context(false)?;
    Ok(desk.store()?.import_risk(bytes, replace, chrono::Utc::now())?)
}

#[tauri::command(async)]
pub fn risk_status(desk: State<'_, Desk>) -> DeskResult<RiskStatus> {
    Ok(desk.store()?.risk_status(chrono::Utc::now())?)
}

/// After how many hours the desk warns that its risk list is stale; administrators only.
#[tauri::command(async)]
pub fn set_risk_max_age(desk: State<'_, Desk>, hours: i64) -> DeskResult<RiskStatus> {
    if !desk.operator()?.as_ref().is_some_and(|o| o.is_admin) {
        return Err(DeskError::Forbidden);
    }
    let mut store = desk.store()?;
    store.set_risk_max_age_hours(hours)?;
    Ok(store.risk_status(chrono::Utc::now())?)
}
