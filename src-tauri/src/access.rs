//! Who may call which command: one table, checked for every call before the command runs.
//!
//! A command missing from the table is refused (deny by default), so a new command is closed
//! until someone decides who may call it. What each [`Access`] allows, and the session (who is
//! signed in, signed out after the idle limit), are the store's rule
//! (`placecode_store::session`), not the shell's.

pub use placecode_store::session::Access;

/// Every command of the desk and who may call it. `lib.rs` registers exactly these.
pub const COMMANDS: &[(&str, Access)] = &[
    // The sign-in screen and the header.
    ("catalog", Access::Open),
    ("set_language", Access::Open),
    ("operators", Access::Open),
    ("sign_in", Access::Open),
    ("sign_out", Access::Open),
    ("current_operator", Access::Open),
    ("still_here", Access::Operator),
    ("served_venue", Access::Open),
    ("sync_status", Access::Open),
    ("session_settings", Access::Open),
    ("add_operator", Access::Setup),
    // Venues and their codes: everyone reads and prints; the administrator changes.
    ("list_venues", Access::Operator),
    ("venue_codes", Access::Operator),
    ("check_code", Access::Operator),
    ("check_code_image", Access::Operator),
    ("poster_settings", Access::Operator),
    ("poster_preview", Access::Operator),
    ("save_posters", Access::Operator),
    ("cancel_posters", Access::Operator),
    ("open_file", Access::Operator),
    ("print_setup", Access::Operator),
    ("setup_pending", Access::Operator),
    ("finish_setup", Access::Admin),
    ("update_status", Access::Operator),
    ("update_check", Access::Admin),
    ("update_install", Access::Admin),
    ("print_posters", Access::Operator),
    ("register_venue", Access::Admin),
    ("update_venue", Access::Admin),
    ("import_venues_csv", Access::Admin),
    ("set_served_venue", Access::Admin),
    ("issue_code", Access::Admin),
    ("revoke_code", Access::Admin),
    ("set_poster_settings", Access::Admin),
    // 扫码屏: opened by an operator, it shows the public its rotating code and can do nothing else.
    ("open_screen", Access::Operator),
    ("running_screens", Access::Operator),
    // At start, before anyone signs in: the screens the desk runs open again.
    ("reopen_screens", Access::Open),
    ("stop_screen", Access::Operator),
    ("screen_code", Access::Screen),
    ("set_code_rotating_only", Access::Admin),
    // Occupancy and 限流 of the venue this desk serves.
    ("occupancy", Access::Operator),
    ("check_out", Access::Operator),
    ("queue_view", Access::Operator),
    ("set_venue_limit", Access::Admin),
    // The door.
    ("check_in_by_id", Access::Operator),
    ("check_in_by_last4", Access::Operator),
    ("check_in_person", Access::Operator),
    ("check_in_picked", Access::Operator),
    ("declare", Access::Operator),
    ("register_manual", Access::Operator),
    ("report_incident", Access::Operator),
    ("release_visit", Access::Operator),
    ("incident_places", Access::Operator),
    ("day_visits", Access::Operator),
    ("export_day", Access::Operator),
    ("export_day_full", Access::Admin),
    ("incident_place_list", Access::Operator),
    ("set_incident_place_list", Access::Admin),
    ("undecided_results", Access::Operator),
    ("advance_incident", Access::Operator),
    ("incidents", Access::Operator),
    ("late_hits", Access::Operator),
    ("report_late_hit", Access::Operator),
    ("today", Access::Operator),
    ("change_pin", Access::ChangePin),
    ("set_operator_disabled", Access::Admin),
    // The risk list: read by all, replaced by the administrator only (and never on a desk the
    // centre feeds: the core refuses that).
    ("risk_status", Access::Operator),
    ("import_risk_csv", Access::Admin),
    ("set_risk_max_age", Access::Admin),
    ("set_idle_minutes", Access::Admin),
    ("set_retention_days", Access::Admin),
    // The centre.
    ("sync_now", Access::Operator),
    ("sync_rejected", Access::Operator),
    ("sync_retry", Access::Operator),
    ("sync_correct", Access::Operator),
    ("sync_discard", Access::Admin),
    ("sync_connect", Access::Admin),
    // Trucks.
    ("truck_destinations", Access::Operator),
    ("truck_find_crew", Access::Operator),
    ("truck_open_trip", Access::Operator),
    ("truck_record_arrival", Access::Operator),
    ("truck_resolve_trip", Access::Operator),
    ("truck_trip_slip", Access::Operator),
    ("truck_held_results", Access::Operator),
    ("truck_board", Access::Operator),
    ("truck_set_overdue_hours", Access::Admin),
];

/// Who may call `command`; `None` for a command not in the table (refused).
pub fn access(command: &str) -> Option<Access> {
    COMMANDS.iter().find(|(name, _)| *name == command).map(|(_, a)| *a)
}
