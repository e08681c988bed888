//! Who may call which command: one table, checked for every call before the command runs.
//!
//! A command missing from the table is refused (deny by default), so a new command is closed
//! until someone decides who may call it. The session (who is signed in, since when idle) lives
//! here too: after the idle limit without a command the operator is signed out, so a desk
//! left alone does not stay open on personal data.

use std::time::{Duration, Instant};

use placecode_store::Operator;

use crate::DeskError;

/// Who may call a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone at the window: what the sign-in screen and the header need, and nothing personal.
    Open,
    /// While the desk has no operator at all (its first start), anyone; afterwards the
    /// administrator only. Adding operators.
    Setup,
    /// A signed-in operator: check-ins, reading personal data, everyday records.
    Operator,
    /// The desk's administrator: operators, venues, the risk list, settings, the centre.
    Admin,
    /// A signed-in operator changing their own PIN (allowed even when it must be changed).
    ChangePin,
}

/// Every command of the desk and who may call it. `lib.rs` registers exactly these.
pub const COMMANDS: &[(&str, Access)] = &[
    // The sign-in screen and the header.
    ("catalog", Access::Open),
    ("operators", Access::Open),
    ("sign_in", Access::Open),
    ("sign_out", Access::Open),
    ("current_operator", Access::Open),
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
    ("register_venue", Access::Admin),
    ("update_venue", Access::Admin),
    ("import_venues_csv", Access::Admin),
    ("set_served_venue", Access::Admin),
    ("issue_code", Access::Admin),
    ("revoke_code", Access::Admin),
    ("set_poster_settings", Access::Admin),
    // The door.
    ("check_in_by_id", Access::Operator),
    ("check_in_by_last4", Access::Operator),
    ("check_in_person", Access::Operator),
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

/// Whether `who` may call a command of `access` now; `no_operators` is true on a desk that has
/// none yet. The error says why not: signed out (sign in and try again) or forbidden.
pub fn permit(access: Option<Access>, who: Option<&Operator>, no_operators: bool) -> Result<(), DeskError> {
    match (access, who) {
        (None, _) => Err(DeskError::Forbidden),
        (Some(Access::Open), _) => Ok(()),
        // A PIN from before the rule: changing it is the one thing to do first.
        (Some(Access::ChangePin), Some(_)) => Ok(()),
        (Some(_), Some(op)) if op.must_change_pin => Err(DeskError::PinChangeRequired),
        (Some(Access::Setup), _) if no_operators => Ok(()),
        (Some(Access::Setup | Access::Admin), Some(op)) if op.is_admin => Ok(()),
        (Some(Access::Setup | Access::Admin), Some(_)) => Err(DeskError::Forbidden),
        (Some(Access::Operator), Some(_)) => Ok(()),
        (Some(_), None) => Err(DeskError::SignedOut),
    }
}

/// The operator signed in at this desk, and when they last did something.
#[derive(Debug)]
pub struct Session {
    operator: Option<Operator>,
    last_active: Instant,
    idle_limit: Duration,
}

impl Session {
    pub fn new(idle_minutes: u32) -> Session {
        Session { operator: None, last_active: Instant::now(), idle_limit: minutes(idle_minutes) }
    }

    pub fn operator(&self) -> Option<&Operator> {
        self.operator.as_ref()
    }

    pub fn sign_in(&mut self, op: Operator, now: Instant) {
        self.operator = Some(op);
        self.last_active = now;
    }

    pub fn sign_out(&mut self) {
        self.operator = None;
    }

    /// The operator changed their PIN: whatever else they may do is open again.
    pub fn pin_changed(&mut self) {
        if let Some(op) = self.operator.as_mut() {
            op.must_change_pin = false;
        }
    }

    pub fn set_idle_minutes(&mut self, m: u32) {
        self.idle_limit = minutes(m);
    }

    /// A command arrives at `now`: an operator idle for longer than the limit is signed out
    /// first; otherwise the idle time starts again. Open commands (the header polling its sync
    /// status) do not count as activity.
    pub fn touch(&mut self, now: Instant, counts: bool) {
        if self.operator.is_some() && now.saturating_duration_since(self.last_active) > self.idle_limit {
            self.operator = None;
        }
        if counts {
            self.last_active = now;
        }
    }
}

fn minutes(m: u32) -> Duration {
    Duration::from_secs(u64::from(m) * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(is_admin: bool) -> Operator {
        Operator { id: "o".into(), name: "张敏".into(), is_admin, must_change_pin: false, disabled: false }
    }

    fn code(r: Result<(), DeskError>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(DeskError::SignedOut) => "signed_out",
            Err(DeskError::Forbidden) => "forbidden",
            Err(_) => "other",
        }
    }

    #[test]
    fn unknown_commands_are_refused_even_to_the_administrator() {
        for who in [None, Some(op(false)), Some(op(true))] {
            assert_eq!(code(permit(access("plugin:evil|run"), who.as_ref(), false)), "forbidden");
            assert_eq!(code(permit(access(""), who.as_ref(), true)), "forbidden");
        }
    }

    #[test]
    fn setup_is_open_only_while_the_desk_has_no_operator() {
        assert_eq!(code(permit(Some(Access::Setup), None, true)), "ok");
        assert_eq!(code(permit(Some(Access::Setup), None, false)), "signed_out");
        assert_eq!(code(permit(Some(Access::Setup), Some(&op(false)), false)), "forbidden");
        assert_eq!(code(permit(Some(Access::Setup), Some(&op(true)), false)), "ok");
        // No operators yet opens setup only, not the administrator's other commands.
        assert_eq!(code(permit(Some(Access::Admin), None, true)), "signed_out");
    }

    #[test]
    fn an_operator_with_an_old_pin_may_only_change_it() {
        let weak = Operator { must_change_pin: true, ..op(true) };
        assert!(permit(access("change_pin"), Some(&weak), false).is_ok());
        assert!(permit(access("current_operator"), Some(&weak), false).is_ok());
        for name in ["today", "check_in_by_id", "add_operator", "import_risk_csv"] {
            assert!(matches!(permit(access(name), Some(&weak), false), Err(DeskError::PinChangeRequired)), "{name}");
        }
        assert_eq!(code(permit(access("change_pin"), None, false)), "signed_out");
    }

    #[test]
    fn an_idle_desk_signs_its_operator_out() {
        let t0 = Instant::now();
        let mut s = Session::new(10);
        s.sign_in(op(false), t0);
        s.touch(t0 + Duration::from_secs(9 * 60), true);
        assert!(s.operator().is_some());
        // Polling the header's status is not activity.
        s.touch(t0 + Duration::from_secs(18 * 60), false);
        assert!(s.operator().is_some());
        s.touch(t0 + Duration::from_secs(20 * 60), false);
        assert!(s.operator().is_none(), "11 minutes after the last command");
    }
}
