//! Tauri commands: each one unpacks its arguments, calls the core and returns. No rules here.
//! Every command runs off the main thread (`async`), so a slow disk never freezes the window.

use placecode_core::checkin::{list_limit, CheckInResult, DeclarationInput, HelperInput, Lookup, TodaySummary, WayIn};
use placecode_core::import::ImportReport;
use placecode_core::risk::{RiskImportReport, RiskStatus};
use placecode_core::venue::{Catalog, Venue, VenueInput};
use placecode_store::{
    CheckOut, CodeCheck, Incident, IncidentInput, IncidentStatus, LateHit, Occupancy, Operator, PosterSettings,
    QueueView, ScreenCode, VenueCode,
};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::error::{spoken, spoken_day, spoken_incident, spoken_rows, spoken_sync};
use crate::{Desk, DeskError, DeskResult};

#[tauri::command(async)]
pub fn catalog() -> Catalog {
    Catalog::get()
}

/// The screens' language (设置 › 界面语言, kept by the screens): the rules' reasons follow it.
#[tauri::command(async)]
pub fn set_language(language: String) -> DeskResult<()> {
    match language.as_str() {
        "zh-CN" => crate::error::set_english(false),
        "en" => crate::error::set_english(true),
        _ => return Err(placecode_core::Error::invalid("language", "界面语言：不在可选范围内").into()),
    }
    Ok(())
}

#[tauri::command(async)]
pub fn list_venues(desk: State<'_, Desk>, query: String) -> DeskResult<Vec<Venue>> {
    let admin = desk.signed_in()?.is_admin;
    Ok(desk.store()?.venues_for(&query, admin)?.into_iter().map(|v| for_whom(v, admin)).collect())
}

/// A venue as the one asking may see it: its manager's name and phone in full for the
/// administrator (who corrects them), masked for anyone else, as every screen shows them (R12).
fn for_whom(mut v: Venue, admin: bool) -> Venue {
    if !admin {
        v.manager_name.clone_from(&v.manager_name_masked);
        v.manager_phone.clone_from(&v.manager_phone_masked);
    }
    v
}

#[tauri::command(async)]
pub fn register_venue(desk: State<'_, Desk>, input: VenueInput, confirm_similar: bool) -> DeskResult<Venue> {
    let mut store = desk.store()?;
    let venue = store.register_venue(&input, confirm_similar)?;
    store.publish_checkpoint(&venue, &desk.key)?;
    Ok(venue)
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
    // Open to the header before anyone signs in.
    let admin = desk.signed_in().is_ok_and(|o| o.is_admin);
    Ok(desk.store()?.served_venue()?.map(|v| for_whom(v, admin)))
}

/// Whether the administrator of this new desk is still to be walked through its first steps.
#[tauri::command(async)]
pub fn setup_pending(desk: State<'_, Desk>) -> DeskResult<bool> {
    Ok(desk.store()?.setup_pending()?)
}

/// The first steps are done, or put off to 设置.
#[tauri::command(async)]
pub fn finish_setup(desk: State<'_, Desk>) -> DeskResult<()> {
    Ok(desk.store()?.finish_setup()?)
}

/// The CSV arrives as the raw request body (a Uint8Array on the JS side), not as JSON numbers.
#[tauri::command(async)]
pub fn import_venues_csv(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<ImportReport> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode_core::Error::BadFile("请选择CSV文件".into())));
    };
    let mut report = desk.store()?.import_venues_csv(bytes)?;
    spoken_rows(&mut report.rejected);
    spoken_rows(&mut report.warnings);
    Ok(report)
}

// ---- operators (登记员) -------------------------------------------------------------------------

#[tauri::command(async)]
pub fn operators(desk: State<'_, Desk>) -> DeskResult<Vec<Operator>> {
    Ok(desk.store()?.operators()?)
}

/// Adds an operator (the gate: anyone on a new desk, then the administrator only). The first
/// one, the desk's administrator, is signed in at once.
#[tauri::command(async)]
pub fn add_operator(desk: State<'_, Desk>, name: String, pin: String) -> DeskResult<Operator> {
    let mut session = desk.session()?;
    Ok(session.add_operator(&mut *desk.store()?, &name, &pin, std::time::Instant::now())?)
}

#[tauri::command(async)]
pub fn sign_in(desk: State<'_, Desk>, name: String, pin: String) -> DeskResult<Operator> {
    let mut session = desk.session()?;
    Ok(session.sign_in_with_pin(&mut *desk.store()?, &name, &pin, chrono::Utc::now(), std::time::Instant::now())?)
}

#[tauri::command(async)]
pub fn sign_out(desk: State<'_, Desk>) -> DeskResult<()> {
    desk.session()?.sign_out();
    Ok(())
}

/// The operator is at the desk (typing, clicking) though nothing was sent yet: the gate starts
/// the idle time again, so a long form is not cut short by the idle sign-out. Nothing else.
#[tauri::command(async)]
pub fn still_here() -> DeskResult<()> {
    Ok(())
}

#[tauri::command(async)]
pub fn current_operator(desk: State<'_, Desk>) -> DeskResult<Option<Operator>> {
    desk.operator()
}

/// 停用 / 启用 an operator (administrator only; never the administrator).
#[tauri::command(async)]
pub fn set_operator_disabled(desk: State<'_, Desk>, id: String, disabled: bool) -> DeskResult<Operator> {
    Ok(desk.store()?.set_operator_disabled(&id, disabled)?)
}

/// The signed-in operator changes their own PIN; the operator as now signed in.
#[tauri::command(async)]
pub fn change_pin(desk: State<'_, Desk>, current: String, pin: String) -> DeskResult<Operator> {
    let mut session = desk.session()?;
    Ok(session.change_pin(&mut *desk.store()?, &current, &pin)?)
}

/// The desk's session and retention settings, as the window shows them.
#[derive(serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionSettings {
    /// Minutes without a command before the operator is signed out.
    pub idle_minutes: u32,
    /// Days a record of a person is kept (保存期限).
    pub retention_days: u32,
}

fn session_settings_of(desk: &Desk) -> DeskResult<SessionSettings> {
    let store = desk.store()?;
    Ok(SessionSettings {
        idle_minutes: store.idle_minutes()?,
        retention_days: u32::try_from(store.retention_days()?).unwrap_or(0),
    })
}

#[tauri::command(async)]
pub fn session_settings(desk: State<'_, Desk>) -> DeskResult<SessionSettings> {
    session_settings_of(&desk)
}

#[tauri::command(async)]
pub fn set_idle_minutes(desk: State<'_, Desk>, minutes: i64) -> DeskResult<SessionSettings> {
    let m = desk.store()?.set_idle_minutes(minutes)?;
    desk.session()?.set_idle_minutes(m);
    session_settings_of(&desk)
}

/// A shorter window deletes what is now past it at once.
#[tauri::command(async)]
pub fn set_retention_days(desk: State<'_, Desk>, days: i64) -> DeskResult<SessionSettings> {
    let mut store = desk.store()?;
    store.set_retention_days(days)?;
    store.purge_expired(chrono::Utc::now())?;
    drop(store);
    session_settings_of(&desk)
}

// ---- check-in (登记台) --------------------------------------------------------------------------

/// A lookup by whole number or last four, within the door's count of answers that record
/// nobody (`checkin::DoorBudget`): refused at the most before anything is looked up, `field`
/// named in the reason. The count is held through the lookup, so lookups sent at once are
/// counted one after another.
fn at_door(
    desk: &Desk,
    field: (&str, &str),
    ctx: &placecode_store::CheckInContext,
    look: impl FnOnce(&mut placecode_store::Store) -> placecode_store::Result<Lookup>,
) -> DeskResult<Lookup> {
    let mut door = desk.door()?;
    door.check(field.0, field.1, ctx.now)?;
    let mut store = desk.store()?;
    let lookup = look(&mut store)?;
    change_door(&mut door, &mut store, |door| count_at_door(door, &lookup, ctx.now))?;
    Ok(lookup)
}

/// Changes the door's count, and keeps it in the database when it changed (a restart does not
/// reset it).
fn change_door(
    door: &mut placecode_core::checkin::DoorBudget,
    store: &mut placecode_store::Store,
    change: impl FnOnce(&mut placecode_core::checkin::DoorBudget),
) -> DeskResult<()> {
    let before = door.empty_at();
    change(door);
    if door.empty_at() != before {
        store.keep_door_budget(door)?;
    }
    Ok(())
}

/// Counts a lookup's answer: a check-in gives back, anything else recorded nobody.
fn count_at_door(door: &mut placecode_core::checkin::DoorBudget, lookup: &Lookup, now: chrono::DateTime<chrono::Utc>) {
    match lookup {
        Lookup::CheckedIn { result } => door.recorded(&result.masked_id, now),
        _ => door.answered_unrecorded(now),
    }
}

/// A lookup made without asking the door first (a person picked from a list): counted.
fn door_answered(desk: &Desk, lookup: &Lookup, ctx: &placecode_store::CheckInContext) -> DeskResult<()> {
    change_door(&mut *desk.door()?, &mut *desk.store()?, |door| count_at_door(door, lookup, ctx.now))
}

/// Visits recorded (a declaration, a manual registration, a repeat confirmed): they give the
/// door's answers back.
fn door_recorded(desk: &Desk, results: &[CheckInResult], ctx: &placecode_store::CheckInContext) -> DeskResult<()> {
    change_door(&mut *desk.door()?, &mut *desk.store()?, |door| {
        for r in results {
            door.recorded(&r.masked_id, ctx.now);
        }
    })
}

/// People recorded from a form (a declaration, 手工登记), within the desk's pace of forms
/// (`checkin::FormPace`, kept across a restart): a form for a number on file answers for it
/// (whether the venue was full for them, whether they were inside), so forms sent from script
/// were a way to ask about numbers at machine speed. The pace is held through the recording, and a
/// form refused counts as one recorded.
fn from_form<T>(
    desk: &Desk,
    people: usize,
    ctx: &placecode_store::CheckInContext,
    record: impl FnOnce(&mut placecode_store::Store) -> placecode_store::Result<T>,
) -> DeskResult<T> {
    let mut pace = desk.form_pace()?;
    pace.check(people, ctx.now)?;
    let mut store = desk.store()?;
    let recorded = record(&mut store);
    // Counted refused or not: at a full venue the refusal itself says who is not inside.
    pace.recorded(people, ctx.now);
    store.keep_form_pace(&pace)?;
    Ok(recorded?)
}

/// A lookup's result, as the screens show it.
fn spoken_lookup(lookup: Lookup) -> Lookup {
    match lookup {
        Lookup::CheckedIn { result } => Lookup::CheckedIn { result: spoken(result) },
        other => other,
    }
}

#[tauri::command(async)]
pub fn check_in_by_id(desk: State<'_, Desk>, id_number: String, trip_code_checked: bool) -> DeskResult<Lookup> {
    let ctx = desk.check_in(trip_code_checked)?;
    let lookup = at_door(&desk, ("id_number", "证件号码"), &ctx, |store| store.check_in_by_id(&id_number, &ctx))?;
    queued(&desk);
    Ok(spoken_lookup(lookup))
}

#[tauri::command(async)]
pub fn check_in_by_last4(
    desk: State<'_, Desk>,
    digits: String,
    birth_year: Option<i32>,
    trip_code_checked: bool,
) -> DeskResult<Lookup> {
    let ctx = desk.check_in(trip_code_checked)?;
    let lookup = at_door(&desk, ("last4", "证件号后四位"), &ctx, |store| {
        store.check_in_by_last4(&digits, birth_year, &ctx)
    })?;
    queued(&desk);
    Ok(spoken_lookup(lookup))
}

/// A person picked among several who share the last four: asks first on a repeat, as a scan does.
#[tauri::command(async)]
pub fn check_in_picked(desk: State<'_, Desk>, person_id: String, trip_code_checked: bool) -> DeskResult<Lookup> {
    let ctx = desk.check_in(trip_code_checked)?;
    let lookup = desk.store()?.check_in_picked(&person_id, &ctx)?;
    door_answered(&desk, &lookup, &ctx)?;
    queued(&desk);
    Ok(spoken_lookup(lookup))
}

/// After several people matched the last four digits and the operator picked one.
/// A person picked among several, or confirmed again after a repeat scan (`way_in` as scanned;
/// a pick is by last four).
#[tauri::command(async)]
pub fn check_in_person(
    desk: State<'_, Desk>,
    person_id: String,
    trip_code_checked: bool,
    way_in: Option<WayIn>,
) -> DeskResult<CheckInResult> {
    let ctx = desk.check_in(trip_code_checked)?;
    let result = desk.store()?.check_in_person(&person_id, way_in.unwrap_or(WayIn::Last4), &ctx)?;
    door_recorded(&desk, std::slice::from_ref(&result), &ctx)?;
    queued(&desk);
    Ok(spoken(result))
}

#[tauri::command(async)]
pub fn declare(desk: State<'_, Desk>, input: DeclarationInput, trip_code_checked: bool) -> DeskResult<CheckInResult> {
    let ctx = desk.check_in(trip_code_checked)?;
    let result = from_form(&desk, 1, &ctx, |store| store.declare(&input, &ctx))?;
    door_recorded(&desk, std::slice::from_ref(&result), &ctx)?;
    queued(&desk);
    Ok(spoken(result))
}

#[tauri::command(async)]
pub fn register_manual(
    desk: State<'_, Desk>,
    helper: HelperInput,
    people: Vec<DeclarationInput>,
    relations: Vec<String>,
    trip_code_checked: bool,
) -> DeskResult<Vec<CheckInResult>> {
    let ctx = desk.check_in(trip_code_checked)?;
    let results =
        from_form(&desk, people.len(), &ctx, |store| store.register_manual(&helper, &people, &relations, &ctx))?;
    door_recorded(&desk, &results, &ctx)?;
    queued(&desk);
    Ok(results.into_iter().map(spoken).collect())
}

// ---- incidents (异常处置) -----------------------------------------------------------------------

#[tauri::command(async)]
pub fn report_incident(desk: State<'_, Desk>, visit_id: String, input: IncidentInput) -> DeskResult<Incident> {
    let ctx = desk.acting()?;
    let incident = desk.store()?.report_incident(&visit_id, &input, &ctx)?;
    // A report is urgent: it leaves now (and a held truck's entry with it).
    desk.sync.wake();
    Ok(spoken_incident(incident))
}

/// Yellow or red results nobody decided on (after a sign-out, a restart or a crash).
#[tauri::command(async)]
pub fn undecided_results(desk: State<'_, Desk>) -> DeskResult<Vec<CheckInResult>> {
    let ctx = desk.acting()?;
    Ok(desk.store()?.undecided_results(ctx.now)?.into_iter().map(spoken).collect())
}

/// Isolation points and recipients used before at the served venue, offered on the report form.
#[tauri::command(async)]
pub fn incident_places(desk: State<'_, Desk>) -> DeskResult<placecode_store::IncidentPlaces> {
    Ok(desk.store()?.incident_places()?)
}

/// The administrator's list of 临时隔离点 and 上报对象 for the served venue (everyone sees it).
#[tauri::command(async)]
pub fn incident_place_list(desk: State<'_, Desk>) -> DeskResult<placecode_store::IncidentPlaceList> {
    Ok(desk.store()?.incident_place_list()?)
}

/// Replaces that list (administrator only).
#[tauri::command(async)]
pub fn set_incident_place_list(
    desk: State<'_, Desk>,
    list: placecode_store::IncidentPlaceList,
) -> DeskResult<placecode_store::IncidentPlaceList> {
    Ok(desk.store()?.set_incident_place_list(&list)?)
}

/// Leaving a yellow or red screen without a report: the reason is recorded with the operator.
#[tauri::command(async)]
pub fn release_visit(
    desk: State<'_, Desk>,
    visit_id: String,
    reason: placecode_core::checkin::ReleaseReason,
    note: String,
) -> DeskResult<Incident> {
    let ctx = desk.acting()?;
    let incident = desk.store()?.release_visit(&visit_id, reason, &note, &ctx)?;
    desk.sync.wake();
    Ok(spoken_incident(incident))
}

/// A check-in was queued: the screens hear what now waits, off the command's thread (the door's
/// answer never waits on the sync engine's store).
fn queued(desk: &Desk) {
    let engine = desk.sync.clone();
    std::thread::spawn(move || engine.written());
}

#[tauri::command(async)]
pub fn advance_incident(
    desk: State<'_, Desk>,
    id: String,
    status: IncidentStatus,
    note: String,
) -> DeskResult<Incident> {
    let ctx = desk.acting()?;
    Ok(spoken_incident(desk.store()?.advance_incident(&id, status, &note, ctx.now)?))
}

#[tauri::command(async)]
pub fn incidents(desk: State<'_, Desk>) -> DeskResult<Vec<Incident>> {
    Ok(desk.store()?.incidents()?.into_iter().map(spoken_incident).collect())
}

/// Check-ins found late to be of yellow or red people (事后发现), those not yet reported first.
#[tauri::command(async)]
pub fn late_hits(desk: State<'_, Desk>) -> DeskResult<Vec<LateHit>> {
    Ok(desk.store()?.late_hits()?)
}

/// Records that a late-found check-in was reported, with what was done (required).
#[tauri::command(async)]
pub fn report_late_hit(desk: State<'_, Desk>, visit_id: String, note: String) -> DeskResult<Vec<LateHit>> {
    let ctx = desk.acting()?;
    let mut store = desk.store()?;
    store.report_late_hit(&visit_id, &note, &ctx)?;
    Ok(store.late_hits()?)
}

/// Today's check-ins: every match counted, the newest `limit` listed (one page unless asked).
#[tauri::command]
pub async fn today(app: tauri::AppHandle, query: String, limit: Option<usize>) -> DeskResult<TodaySummary> {
    on_lists(app, move |desk, now| {
        day_search_allowed(desk, &query, now)?;
        Ok(spoken_day(desk.lists()?.today(&query, list_limit(limit), now)?))
    })
    .await
}

/// Runs a 今日登记 read on the blocking threads: searches sent at once wait there for the lists'
/// connection, not on the runtime's few threads, where they held every other command (a check-in
/// waited 9 s behind thirty).
async fn on_lists<T: Send + 'static>(
    app: tauri::AppHandle,
    read: impl FnOnce(&Desk, chrono::DateTime<chrono::Utc>) -> DeskResult<T> + Send + 'static,
) -> DeskResult<T> {
    tauri::async_runtime::spawn_blocking(move || {
        let desk = tauri::Manager::state::<Desk>(&app);
        read(&desk, chrono::Utc::now())
    })
    .await
    .map_err(|e| DeskError::Internal(e.to_string()))?
}

/// A 今日登记 search no longer than a name, and within the desk's limits on guessing whole names
/// and numbers (`checkin::SearchBudget`): the list is masked, and a search answers whether a
/// guess is right.
fn day_search_allowed(desk: &Desk, query: &str, now: chrono::DateTime<chrono::Utc>) -> DeskResult<()> {
    let q = placecode_core::checkin::day_search_query(query)?;
    let mut budget =
        desk.search_budget.lock().map_err(|_| DeskError::Internal("search budget lock poisoned".into()))?;
    if budget.spend(&q, now)? {
        // Kept, so a restart does not start the count afresh (on the lists' own connection).
        desk.lists()?.keep_search_budget(&budget)?;
    }
    Ok(())
}

/// "2026-11-27" as a day; anything else is the field's error.
fn parse_day(date: &str) -> DeskResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
        DeskError::Core(placecode_core::Error::Invalid(vec![placecode_core::FieldError {
            field: "date".into(),
            message: "日期：请按“2026-11-27”的格式输入".into(),
        }]))
    })
}

/// 登记名单 of a day (Beijing time) within the retention window, searched like today's.
#[tauri::command]
pub async fn day_visits(
    app: tauri::AppHandle,
    date: String,
    query: String,
    limit: Option<usize>,
) -> DeskResult<TodaySummary> {
    let day = parse_day(&date)?;
    on_lists(app, move |desk, now| {
        day_search_allowed(desk, &query, now)?;
        Ok(spoken_day(desk.lists()?.visits_on(day, &query, list_limit(limit), now)?))
    })
    .await
}

/// Saves a day's check-ins as an Excel workbook, masked (any operator), where the operator
/// chooses; recorded. Returns the saved path, or nothing when the dialog was cancelled.
#[tauri::command(async)]
pub fn export_day(app: tauri::AppHandle, desk: State<'_, Desk>, date: String) -> DeskResult<Option<String>> {
    save_export(&app, &desk, &date, None)
}

/// The same in full (names, document numbers, phones, addresses): the administrator only, with
/// the reason recorded.
#[tauri::command(async)]
pub fn export_day_full(
    app: tauri::AppHandle,
    desk: State<'_, Desk>,
    date: String,
    reason: String,
) -> DeskResult<Option<String>> {
    save_export(&app, &desk, &date, Some(&reason))
}

fn save_export(app: &tauri::AppHandle, desk: &Desk, date: &str, reason: Option<&str>) -> DeskResult<Option<String>> {
    let day = parse_day(date)?;
    let ctx = desk.acting()?;
    // Refused before the dialog opens: a day outside the window, a reason that is none.
    desk.store()?.check_day(day, ctx.now)?;
    if let Some(r) = reason {
        placecode_core::checkin::export_reason(r)?;
    }
    let venue = desk.store()?.served_venue()?.map(|v| v.name).unwrap_or_default();
    let file_name = placecode_store::export::file_name(day, &venue, reason.is_some());
    let Some(path) = choose_save_path(app, &file_name, ("Excel工作簿", "xlsx"))? else {
        return Ok(None);
    };
    let export = desk.store()?.export_day(day, reason, &ctx)?;
    placecode_store::export::save(&path, &placecode_store::export::xlsx(&export)?)?;
    desk.saved_files.lock().map_err(|_| DeskError::Internal("saved files lock poisoned".into()))?.insert(path.clone());
    Ok(Some(path.to_string_lossy().into_owned()))
}

// ---- risk list (风险人员名单) ---------------------------------------------------------------------

/// The CSV is the raw body; the header `x-replace: 1` makes it a full replacement.
#[tauri::command(async)]
pub fn import_risk_csv(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<RiskImportReport> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode_core::Error::BadFile("请选择CSV文件".into())));
    };
    let replace = request.headers().get("x-replace").is_some_and(|v| v.as_bytes() == b"1");
    let mut report = desk.store()?.import_risk(bytes, replace, chrono::Utc::now())?;
    spoken_rows(&mut report.rejected);
    Ok(report)
}

#[tauri::command(async)]
pub fn risk_status(desk: State<'_, Desk>) -> DeskResult<RiskStatus> {
    Ok(desk.store()?.risk_status(chrono::Utc::now())?)
}

/// After how many hours the desk warns that its risk list is stale; administrators only.
#[tauri::command(async)]
pub fn set_risk_max_age(desk: State<'_, Desk>, hours: i64) -> DeskResult<RiskStatus> {
    let mut store = desk.store()?;
    store.set_risk_max_age_hours(hours)?;
    Ok(store.risk_status(chrono::Utc::now())?)
}

// ---- venue codes and posters (场所码与海报) --------------------------------------------------------

#[tauri::command(async)]
pub fn venue_codes(desk: State<'_, Desk>, venue_id: String) -> DeskResult<Vec<VenueCode>> {
    Ok(desk.store()?.codes(&venue_id)?)
}

#[tauri::command(async)]
pub fn issue_code(desk: State<'_, Desk>, venue_id: String, label: String) -> DeskResult<VenueCode> {
    Ok(desk.store()?.issue_code(&venue_id, &label, &desk.key)?)
}

/// Revokes a code and returns its replacement for the same entrance.
#[tauri::command(async)]
pub fn revoke_code(desk: State<'_, Desk>, code: String, reason: String) -> DeskResult<VenueCode> {
    let replacement = desk.store()?.revoke_code(&code, &reason, &desk.key)?;
    // A screen of the old code shows the replacement from now (the codes page marks it so).
    crate::screens::follow(&desk, &code, &replacement.code)?;
    Ok(replacement)
}

/// 扫码屏: shows `code`'s rotating code, changing every `period` seconds, in a window of its own
/// (for a second monitor or a screen facing the queue), one per entrance, opening it or bringing
/// it forward.
#[tauri::command(async)]
pub fn open_screen(app: tauri::AppHandle, desk: State<'_, Desk>, code: String, period: u32) -> DeskResult<()> {
    crate::screens::open(&app, &desk, &code, period)
}

/// The codes whose 扫码屏 this desk runs (open now, or opening again at start).
#[tauri::command(async)]
pub fn running_screens(desk: State<'_, Desk>) -> DeskResult<Vec<String>> {
    crate::screens::running(&desk)
}

/// At start: the screens this desk runs open again (asked by the desk's window once drawn).
#[tauri::command(async)]
pub fn reopen_screens(app: tauri::AppHandle, desk: State<'_, Desk>) -> DeskResult<usize> {
    crate::screens::reopen(&app, &desk)
}

/// 关闭扫码屏: stops a code's screen; its window closes and does not open again at start.
#[tauri::command(async)]
pub fn stop_screen(app: tauri::AppHandle, desk: State<'_, Desk>, code: String) -> DeskResult<()> {
    crate::screens::stop(&app, &desk, &code)
}

/// What the 扫码屏 window asking shows now (asked every second or so by each screen, and only by
/// the screens).
#[tauri::command(async)]
pub fn screen_code(webview: tauri::Webview, desk: State<'_, Desk>) -> DeskResult<ScreenCode> {
    crate::screens::current(&desk, webview.label())
}

/// Whether an entrance takes only its 扫码屏's code (a photo of its poster is then refused).
#[tauri::command(async)]
pub fn set_code_rotating_only(desk: State<'_, Desk>, code: String, rotating_only: bool) -> DeskResult<VenueCode> {
    Ok(desk.store()?.set_code_rotating_only(&code, rotating_only)?)
}

/// The venue this desk serves, or why there is none.
fn served_id(desk: &Desk) -> DeskResult<String> {
    match desk.store()?.served_venue()? {
        Some(v) => Ok(v.id),
        None => Err(placecode_core::Error::invalid("venue", "尚未设置本台服务场所：请在“场所列表”中设置").into()),
    }
}

/// How many are inside the venue this desk serves, in total and per entrance, against its limit.
#[tauri::command(async)]
pub fn occupancy(desk: State<'_, Desk>) -> DeskResult<Occupancy> {
    let venue = served_id(&desk)?;
    Ok(desk.store()?.occupancy(&venue, chrono::Utc::now())?)
}

/// 离场: the person (a full document number, or the last four of someone inside) leaves.
///
/// Whether a guessed whole number is inside is as much an answer as whether it is on file, so
/// 离场 by whole number waits with the door: refused at its most (pointing to the last four), and
/// a whole number not found inside is counted as an answer recording nobody. The last four are
/// never held up or counted: 今日登记 shows everyone's, so they tell nothing more, and a venue at
/// its limit must always be able to let people out (a trial's slips had locked a full venue).
#[tauri::command(async)]
pub fn check_out(desk: State<'_, Desk>, query: String) -> DeskResult<CheckOut> {
    let venue = served_id(&desk)?;
    let now = chrono::Utc::now();
    // What is mistyped is told so before the door is asked, and costs nothing.
    if let placecode_store::Leaving::Last4(_) = placecode_store::leaving_query(&query, now)? {
        return Ok(desk.store()?.check_out(&venue, &query, now)?);
    }
    let mut door = desk.door()?;
    door.check_leaving(now)?;
    let mut store = desk.store()?;
    let out = store.check_out(&venue, &query, now);
    if out.as_ref().is_err_and(|e| e.fields() == ["query"]) {
        change_door(&mut door, &mut store, |door| door.answered_unrecorded(now))?;
    }
    Ok(out?)
}

/// 现场情况: the queue at the venue this desk serves, live.
#[tauri::command(async)]
pub fn queue_view(desk: State<'_, Desk>) -> DeskResult<QueueView> {
    let venue = served_id(&desk)?;
    Ok(desk.store()?.queue(&venue, chrono::Utc::now())?)
}

/// A limit as the administrator types it: whole numbers, checked by the core's rule.
#[derive(Debug, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LimitInput {
    #[cfg_attr(test, ts(type = "number"))]
    pub capacity: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub percent: i64,
    #[cfg_attr(test, ts(type = "number"))]
    pub stay_minutes: i64,
}

/// Sets (or, with none, removes) the limit of the venue this desk serves (限流).
#[tauri::command(async)]
pub fn set_venue_limit(desk: State<'_, Desk>, limit: Option<LimitInput>) -> DeskResult<Occupancy> {
    let venue = served_id(&desk)?;
    let mut store = desk.store()?;
    store.set_venue_limit(&venue, limit.map(|l| (l.capacity, l.percent, l.stay_minutes)))?;
    Ok(store.occupancy(&venue, chrono::Utc::now())?)
}

/// 核验: a typed code, a pasted URL or the text a scanner read from a poster.
#[tauri::command(async)]
pub fn check_code(desk: State<'_, Desk>, input: String) -> DeskResult<CodeCheck> {
    Ok(desk.store()?.check_code(&input, &desk.key)?)
}

/// 核验 from a photo or scan of a poster (PNG or JPEG), sent as the raw body.
#[tauri::command(async)]
pub fn check_code_image(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<CodeCheck> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode_core::Error::BadFile("请选择海报的照片（PNG或JPEG）".into())));
    };
    let text = placecode_poster::scan::one_code(bytes)?;
    Ok(desk.store()?.check_code(&text, &desk.key)?)
}

#[tauri::command(async)]
pub fn poster_settings(desk: State<'_, Desk>) -> DeskResult<PosterSettings> {
    Ok(desk.store()?.poster_settings()?)
}

#[tauri::command(async)]
pub fn set_poster_settings(desk: State<'_, Desk>, settings: PosterSettings) -> DeskResult<PosterSettings> {
    Ok(desk.store()?.set_poster_settings(&settings)?)
}

fn shanghai_today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&placecode_store::shanghai()).date_naive()
}

/// The poster of one code as a PNG data URL, for the preview.
#[tauri::command(async)]
pub fn poster_preview(desk: State<'_, Desk>, code: String, landscape: bool) -> DeskResult<String> {
    let input = desk.store()?.poster_input(&code, landscape, shanghai_today())?;
    let png = placecode_poster::render_png(&*desk.fonts()?, &input, 60.0)?;
    use base64::Engine;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
}

/// What a request for posters prints: the given codes, and every active code of the given venues,
/// each once. A venue without a code gets 正门, made here, when the administrator asks; a clerk
/// (who may not issue codes) is told to ask for one. At least one poster, at most
/// [`placecode_poster::MAX_POSTERS`].
fn poster_inputs(
    desk: &Desk,
    venue_ids: &[String],
    codes: &[String],
    landscape: bool,
) -> DeskResult<Vec<placecode_poster::PosterInput>> {
    let may_issue = desk.signed_in()?.is_admin;
    let once = |list: &[String]| {
        let mut seen = std::collections::HashSet::new();
        list.iter().filter(|x| seen.insert(x.as_str())).cloned().collect::<Vec<String>>()
    };
    let (venue_ids, codes) = (once(venue_ids), once(codes));
    // Each venue makes one poster at least: too many is refused before any code is issued.
    placecode_poster::check_count(venue_ids.len() + codes.len())?;
    let mut store = desk.store()?;
    if !may_issue {
        for id in &venue_ids {
            if store.codes(id)?.iter().all(|c| c.revoked_at.is_some()) {
                let name = store.venue(id)?.name;
                return Err(DeskError::Core(placecode_core::Error::invalid(
                    "venue_ids",
                    format!("“{name}”还没有场所码：请管理员先为它生成（登记员只能打印已有的场所码）"),
                )));
            }
        }
    }
    let mut inputs = store.poster_inputs(&venue_ids, &desk.key, landscape, shanghai_today())?;
    for code in &codes {
        inputs.push(store.poster_input(code, landscape, shanghai_today())?);
    }
    placecode_poster::check_count(inputs.len())?;
    Ok(inputs)
}

/// One PDF of the posters, a page each, telling `on_progress` the pages done; nothing when
/// `cancel_posters` stopped it.
fn render_posters(
    desk: &Desk,
    inputs: &[placecode_poster::PosterInput],
    on_progress: &tauri::ipc::Channel<u32>,
) -> DeskResult<Option<Vec<u8>>> {
    use std::sync::atomic::Ordering;
    let fonts = desk.fonts()?;
    desk.cancel_posters.store(false, Ordering::SeqCst);
    let mut progress = |done: usize| {
        let _ = on_progress.send(done as u32);
        !desk.cancel_posters.load(Ordering::SeqCst)
    };
    Ok(placecode_poster::render_with(&fonts, inputs, &mut progress)?)
}

/// Makes posters and saves them where the operator chooses (the native save dialog): see
/// [`poster_inputs`]. `format` is "pdf" (one page per poster) or "png" (one poster). Progress
/// goes to `on_progress` as pages done; `cancel_posters` stops it. Returns the saved path, or
/// nothing when cancelled.
#[tauri::command(async)]
#[allow(clippy::too_many_arguments)]
pub fn save_posters(
    app: tauri::AppHandle,
    desk: State<'_, Desk>,
    venue_ids: Vec<String>,
    codes: Vec<String>,
    landscape: bool,
    format: String,
    on_progress: tauri::ipc::Channel<u32>,
) -> DeskResult<Option<String>> {
    let inputs = poster_inputs(&desk, &venue_ids, &codes, landscape)?;
    let first = &inputs[0];
    let png = format == "png";
    if png && inputs.len() != 1 {
        return Err(DeskError::Core(placecode_core::Error::BadFile(
            "PNG图片一次只能保存一张海报，多张请存为PDF".into(),
        )));
    }
    let name = if inputs.len() == 1 {
        format!("场所码海报-{}-{}", first.venue.name, first.label)
    } else {
        format!("场所码海报-{}张", inputs.len())
    };
    let file_name = format!("{name}.{}", if png { "png" } else { "pdf" });
    let filter = if png { ("PNG图片", "png") } else { ("PDF文件", "pdf") };
    let Some(path) = choose_save_path(&app, &file_name, filter)? else {
        return Ok(None);
    };
    let bytes = if png {
        placecode_poster::render_png(&*desk.fonts()?, first, 150.0)?
    } else {
        match render_posters(&desk, &inputs, &on_progress)? {
            Some(pdf) => pdf,
            None => return Ok(None),
        }
    };
    std::fs::write(&path, bytes).map_err(placecode_core::Error::from)?;
    desk.saved_files.lock().map_err(|_| DeskError::Internal("saved files lock poisoned".into()))?.insert(path.clone());
    Ok(Some(path.to_string_lossy().into_owned()))
}

/// The printers the system's print service offers, and the one to offer: the printer this desk
/// printed on last while it is still offered, else the system's default.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PrintSetup {
    pub printers: Vec<placecode_poster::printer::Printer>,
    pub printer: Option<String>,
}

#[tauri::command(async)]
pub fn print_setup(desk: State<'_, Desk>) -> DeskResult<PrintSetup> {
    let printers = placecode_poster::printer::printers()?;
    let printer = desk
        .store()?
        .last_printer()?
        .filter(|p| printers.iter().any(|q| &q.name == p))
        .or_else(|| printers.iter().find(|p| p.is_default).or(printers.first()).map(|p| p.name.clone()));
    Ok(PrintSetup { printers, printer })
}

/// 打印: the posters of [`poster_inputs`] straight to a printer, `copies` of each, A4, each page
/// in its poster's orientation; the printer is remembered for next time. Nothing is printed when
/// cancelled.
#[tauri::command(async)]
#[allow(clippy::too_many_arguments)]
pub fn print_posters(
    desk: State<'_, Desk>,
    venue_ids: Vec<String>,
    codes: Vec<String>,
    landscape: bool,
    printer: String,
    copies: u32,
    on_progress: tauri::ipc::Channel<u32>,
) -> DeskResult<Option<placecode_poster::printer::PrintJob>> {
    // Checked before minutes of rendering, and again by the print itself.
    placecode_poster::printer::check(&printer, copies, &placecode_poster::printer::printers()?)?;
    let inputs = poster_inputs(&desk, &venue_ids, &codes, landscape)?;
    placecode_poster::printer::check_sheets(inputs.len(), copies)?;
    let title = match inputs.as_slice() {
        [one] => format!("场所码海报-{}-{}", one.venue.name, one.label),
        many => format!("场所码海报-{}张", many.len()),
    };
    let Some(pdf) = render_posters(&desk, &inputs, &on_progress)? else {
        return Ok(None);
    };
    let job = placecode_poster::printer::print_pdf(&pdf, inputs.len() as u32, &printer, copies, &title)?;
    desk.store()?.remember_printer(&printer)?;
    Ok(Some(job))
}

/// `PLACECODE_SAVE_DIR` answers the save dialog (tests, kiosk setups); otherwise the operator
/// chooses in the native dialog.
fn choose_save_path(
    app: &tauri::AppHandle,
    file_name: &str,
    (label, ext): (&str, &str),
) -> DeskResult<Option<std::path::PathBuf>> {
    if let Some(dir) = std::env::var_os("PLACECODE_SAVE_DIR").filter(|d| !d.is_empty()) {
        return Ok(Some(std::path::PathBuf::from(dir).join(file_name)));
    }
    use tauri_plugin_dialog::DialogExt;
    let chosen = app.dialog().file().set_file_name(file_name).add_filter(label, &[ext]).blocking_save_file();
    match chosen {
        None => Ok(None),
        Some(p) => p.into_path().map(Some).map_err(|e| DeskError::Internal(format!("save path: {e}"))),
    }
}

#[tauri::command(async)]
pub fn cancel_posters(desk: State<'_, Desk>) {
    desk.cancel_posters.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Opens a poster this desk saved in the system's viewer, to print from there. Nothing else:
/// a path from the window could otherwise start any program the system would open.
#[tauri::command(async)]
pub fn open_file(app: tauri::AppHandle, desk: State<'_, Desk>, path: String) -> DeskResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let saved = desk.saved_files.lock().map_err(|_| DeskError::Internal("saved files lock poisoned".into()))?;
    if !saved.contains(std::path::Path::new(&path)) {
        return Err(placecode_store::session::Denied::Forbidden.into());
    }
    drop(saved);
    app.opener().open_path(path, None::<&str>).map_err(|_| {
        DeskError::Core(placecode_core::Error::BadFile(
            "无法打开文件：请确认系统装有能打开它的程序（PDF阅读器或电子表格）".into(),
        ))
    })
}

// ---- sync with the central server (中心服务器) ---------------------------------------------------

#[tauri::command(async)]
pub fn sync_status(desk: State<'_, Desk>) -> DeskResult<placecode_store::SyncStatus> {
    sync_view(&desk)
}

/// 软件更新: this desk's version and what the centre last offered.
#[tauri::command(async)]
pub fn update_status(desk: State<'_, Desk>) -> DeskResult<crate::update::UpdateStatus> {
    desk.updater()?.status()
}

/// 检查更新: asks the centre now (admin only); every screen hears the answer (设置's mark).
#[tauri::command]
pub async fn update_check(app: tauri::AppHandle, desk: State<'_, Desk>) -> DeskResult<crate::update::UpdateStatus> {
    let status = desk.updater()?.check(&desk.sync).await?;
    let _ = tauri::Emitter::emit(&app, crate::update::STATUS_EVENT, status.clone());
    Ok(status)
}

/// 安装并重启: downloads the offered release, checks its signature with this desk's release key,
/// installs it and restarts the desk into it (admin only). Queued records wait in the database.
/// A failure is told to every screen (an offer withdrawn meanwhile goes from 设置's mark).
#[tauri::command]
pub async fn update_install(app: tauri::AppHandle, desk: State<'_, Desk>) -> DeskResult<()> {
    let updater = desk.updater()?;
    if let Err(e) = updater.install(&desk.sync).await {
        if let Ok(status) = updater.status() {
            let _ = tauri::Emitter::emit(&app, crate::update::STATUS_EVENT, status);
        }
        return Err(e);
    }
    desk.session()?.sign_out();
    app.restart()
}

/// Enrols this desk with a one-time token from the administrator (admin only).
#[tauri::command]
pub async fn sync_connect(
    app: tauri::AppHandle,
    desk: State<'_, Desk>,
    url: String,
    token: String,
    ca_file: Option<String>,
    replace_risk_list: Option<bool>,
) -> DeskResult<placecode_store::SyncStatus> {
    let name = {
        let store = desk.store()?;
        store.risk_list_may_go(replace_risk_list.unwrap_or(false))?;
        match store.served_venue()? {
            Some(v) => format!("{}登记台", v.name),
            None => "登记台".to_owned(),
        }
    };
    let status = desk.sync.enrol(&url, &token, &name, ca_file.as_deref(), &desk.key).await.map_err(DeskError::Sync)?;
    // 软件更新 asks the new centre now: the check soon after start found no centre, and the next
    // would be a day later (a trial's desk, connected after it started, was offered nothing).
    tauri::async_runtime::spawn(async move {
        let desk = tauri::Manager::state::<Desk>(&app);
        if let Ok(updater) = desk.updater() {
            if let Ok(status) = updater.check(&desk.sync).await {
                let _ = tauri::Emitter::emit(&app, crate::update::STATUS_EVENT, status);
            }
        }
    });
    Ok(status)
}

/// The sync's status as the screens show it (its failure in the desk's language).
fn sync_view(desk: &Desk) -> DeskResult<placecode_store::SyncStatus> {
    desk.sync.status().map(spoken_sync).map_err(DeskError::Sync)
}

/// 立即同步: wakes the background sync; progress arrives as `sync-status` events.
#[tauri::command(async)]
pub fn sync_now(desk: State<'_, Desk>) -> DeskResult<placecode_store::SyncStatus> {
    desk.sync.wake();
    sync_view(&desk)
}

#[tauri::command(async)]
pub fn sync_rejected(desk: State<'_, Desk>) -> DeskResult<Vec<placecode_store::RejectedRecord>> {
    Ok(desk.store()?.rejected_records()?)
}

/// Puts a record the server refused back in the queue (signed-in operator; audited).
#[tauri::command(async)]
pub fn sync_retry(desk: State<'_, Desk>, id: String) -> DeskResult<placecode_store::SyncStatus> {
    let operator = desk.signed_in()?;
    desk.store()?.retry_rejected(&id, Some(&operator.id))?;
    desk.sync.wake();
    sync_view(&desk)
}

/// 更正: corrects the refused field of a record the server refused, checked again by the same
/// rules, and puts it back in the queue (signed-in operator; audited).
#[tauri::command(async)]
pub fn sync_correct(desk: State<'_, Desk>, id: String, value: String) -> DeskResult<placecode_store::SyncStatus> {
    let operator = desk.signed_in()?;
    // Another field refused next stays in the list with its reason: the screen reloads it.
    desk.store()?.correct_rejected(&id, &value, Some(&operator.id), chrono::Utc::now())?;
    desk.sync.wake();
    sync_view(&desk)
}

/// Discards a record the server refused, with a note (admin only; audited).
#[tauri::command(async)]
pub fn sync_discard(desk: State<'_, Desk>, id: String, note: String) -> DeskResult<placecode_store::SyncStatus> {
    let operator = desk.signed_in()?;
    desk.store()?.discard_rejected(&id, &note, Some(&operator.id))?;
    sync_view(&desk)
}

// ---- 货车闭环 (trucks) ----------------------------------------------------------------------

#[tauri::command(async)]
pub fn truck_destinations(desk: State<'_, Desk>, query: String) -> DeskResult<Vec<placecode_store::Destination>> {
    Ok(desk.store()?.destinations(&query)?)
}

#[tauri::command(async)]
pub fn truck_find_crew(desk: State<'_, Desk>, query: String) -> DeskResult<placecode_store::CrewLookup> {
    Ok(desk.store()?.find_crew(&query)?)
}

/// 入口登记 at a checkpoint (signed-in operator); a trip opens when every crew member is green.
#[tauri::command(async)]
pub fn truck_open_trip(
    desk: State<'_, Desk>,
    input: placecode_store::TripInput,
) -> DeskResult<placecode_store::TripResult> {
    // The truck form asks no 行程码 check: the crew's visits do not claim one.
    let ctx = desk.acting()?;
    let mut result = desk.store()?.open_trip(&input, &ctx)?;
    desk.sync.wake();
    result.results = result.results.into_iter().map(spoken).collect();
    Ok(result)
}

/// 到达登记 at a destination, by plate or document number (signed-in operator).
#[tauri::command(async)]
pub fn truck_record_arrival(desk: State<'_, Desk>, query: String) -> DeskResult<placecode_store::Arrival> {
    let ctx = desk.acting()?;
    let arrival = desk.store()?.record_arrival(&query, &ctx)?;
    desk.sync.wake();
    Ok(arrival)
}

/// The undecided yellow and red results of a truck held at entry, to decide them again.
#[tauri::command(async)]
pub fn truck_held_results(
    desk: State<'_, Desk>,
    trip_id: String,
) -> DeskResult<Vec<placecode_core::checkin::CheckInResult>> {
    Ok(desk.store()?.held_results(&trip_id, chrono::Utc::now())?.into_iter().map(spoken).collect())
}

/// 货车通行单: the A6 slip of a trip this checkpoint let in and that is in transit (crew masked,
/// a QR of the trip for the destination's scanner), saved where the operator chooses, to open
/// and print. Returns the path, or nothing when the dialog was cancelled.
#[tauri::command(async)]
pub fn truck_trip_slip(app: tauri::AppHandle, desk: State<'_, Desk>, trip_id: String) -> DeskResult<Option<String>> {
    let slip = desk.store()?.trip_slip(&trip_id, chrono::Utc::now())?;
    let stamp: String = slip.entered.chars().filter(char::is_ascii_digit).collect();
    let file_name = format!("货车通行单-{}-{stamp}.pdf", slip.plate);
    let Some(path) = choose_save_path(&app, &file_name, ("PDF文件", "pdf"))? else {
        return Ok(None);
    };
    let pdf = placecode_poster::render_slip(&*desk.fonts()?, &slip)?;
    placecode_store::export::save(&path, &pdf)?;
    desk.saved_files.lock().map_err(|_| DeskError::Internal("saved files lock poisoned".into()))?.insert(path.clone());
    Ok(Some(path.to_string_lossy().into_owned()))
}

/// 到达核验, 劝返 or 作废 for a trip this checkpoint opened (signed-in operator, a note required).
#[tauri::command(async)]
pub fn truck_resolve_trip(
    desk: State<'_, Desk>,
    input: placecode_store::TripResolveInput,
) -> DeskResult<placecode_store::Trip> {
    let ctx = desk.acting()?;
    let trip = desk.store()?.resolve_trip(&input, &ctx)?;
    desk.sync.wake();
    Ok(trip)
}

#[tauri::command(async)]
pub fn truck_board(desk: State<'_, Desk>) -> DeskResult<placecode_store::TripBoard> {
    Ok(desk.store()?.trip_board(chrono::Utc::now())?)
}

/// The overdue threshold (admin only).
#[tauri::command(async)]
pub fn truck_set_overdue_hours(desk: State<'_, Desk>, hours: i64) -> DeskResult<placecode_store::TripBoard> {
    let mut store = desk.store()?;
    store.set_overdue_hours(hours)?;
    Ok(store.trip_board(chrono::Utc::now())?)
}
