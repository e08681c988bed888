//! Who is at the desk: the session (the operator signed in, signed out after the idle limit) and
//! the rule of who may do what (signed out, an operator, the administrator, the first start of a
//! desk with no operator yet). The shell only names its commands' [`Access`]; the rule and the
//! session live here, tested without a window.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::{CheckInContext, Operator, Result, Store};

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
    /// The 扫码屏 window's own: the code it shows the public, whoever is signed in or not (the
    /// shell lets only that window call these, and that window nothing else).
    Screen,
}

/// Why a command may not run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// A check-in needs an operator signed in at the desk, so every record names who made it.
    #[error("请先登录：选择登记员并输入PIN")]
    SignedOut,

    /// Only the desk's administrator may do this (or the command is not one of the desk's).
    #[error("需要管理员权限")]
    Forbidden,

    /// A 扫码屏 window may only show its code, and only a 扫码屏 window asks for it.
    #[error("此窗口不能执行该操作：扫码屏窗口只显示场所码")]
    WrongWindow,

    /// The operator signed in with a PIN made before the rule and must change it first.
    #[error("请先修改PIN（6至12位数字）：“设置”→“修改我的PIN”")]
    PinChangeRequired,
}

impl Denied {
    /// A stable code the UI can branch on.
    pub fn code(self) -> &'static str {
        match self {
            Denied::SignedOut => "signed_out",
            Denied::Forbidden | Denied::WrongWindow => "forbidden",
            Denied::PinChangeRequired => "pin_change_required",
        }
    }
}

/// Whether `who` may call a command of `access` now; `no_operators` is true on a desk that has
/// none yet. The error says why not: signed out (sign in and try again) or forbidden.
pub fn permit(access: Option<Access>, who: Option<&Operator>, no_operators: bool) -> std::result::Result<(), Denied> {
    match (access, who) {
        (None, _) => Err(Denied::Forbidden),
        (Some(Access::Open | Access::Screen), _) => Ok(()),
        // A PIN from before the rule: changing it is the one thing to do first.
        (Some(Access::ChangePin), Some(_)) => Ok(()),
        (Some(_), Some(op)) if op.must_change_pin => Err(Denied::PinChangeRequired),
        (Some(Access::Setup), _) if no_operators => Ok(()),
        (Some(Access::Setup | Access::Admin), Some(op)) if op.is_admin => Ok(()),
        (Some(Access::Setup | Access::Admin), Some(_)) => Err(Denied::Forbidden),
        (Some(Access::Operator), Some(_)) => Ok(()),
        (Some(_), None) => Err(Denied::SignedOut),
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

    /// The gate a command passes before it runs: an operator idle past the limit is signed out,
    /// then [`permit`] decides. Open commands (the header polling its sync status) do not count
    /// as activity.
    pub fn admit(&mut self, access: Option<Access>, store: &Store, now: Instant) -> Result<()> {
        self.touch(now, access != Some(Access::Open));
        let no_operators = access == Some(Access::Setup) && store.operators()?.is_empty();
        Ok(permit(access, self.operator(), no_operators)?)
    }

    /// The operator signed in, or why not.
    pub fn signed_in(&self) -> std::result::Result<&Operator, Denied> {
        self.operator().ok_or(Denied::SignedOut)
    }

    /// Who acts and when, as every record names it (R6, R11). A check-in sets whether the
    /// person's trip code was checked; nothing else asks.
    pub fn acting(&self, now: DateTime<Utc>) -> std::result::Result<CheckInContext, Denied> {
        Ok(CheckInContext { operator_id: self.signed_in()?.id.clone(), trip_code_checked: false, code: None, now })
    }

    /// Adds an operator. The first of a desk is its administrator and is signed in at once, so
    /// a new desk is set up in one step; later ones sign in themselves.
    pub fn add_operator(&mut self, store: &mut Store, name: &str, pin: &str, now: Instant) -> Result<Operator> {
        let first = store.operators()?.is_empty();
        let op = store.add_operator(name, pin)?;
        if first {
            self.sign_in(op.clone(), now);
        }
        Ok(op)
    }

    /// Signs in by name and PIN (the store holds the PINs and the lockout).
    pub fn sign_in_with_pin(
        &mut self,
        store: &mut Store,
        name: &str,
        pin: &str,
        at: DateTime<Utc>,
        now: Instant,
    ) -> Result<Operator> {
        let op = store.sign_in(name, pin, at)?;
        self.sign_in(op.clone(), now);
        Ok(op)
    }

    /// The operator signed in changes their own PIN: whatever else they may do is open again.
    pub fn change_pin(&mut self, store: &mut Store, current: &str, pin: &str) -> Result<Operator> {
        let id = self.signed_in()?.id.clone();
        store.change_pin(&id, current, pin)?;
        self.pin_changed();
        Ok(self.signed_in()?.clone())
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

    fn code(r: std::result::Result<(), Denied>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(e) => e.code(),
        }
    }

    /// Commands as the shell names them: one of each access, and one that is not a command.
    fn access(name: &str) -> Option<Access> {
        match name {
            "current_operator" => Some(Access::Open),
            "add_operator" => Some(Access::Setup),
            "today" | "check_in_by_id" => Some(Access::Operator),
            "import_risk_csv" => Some(Access::Admin),
            "change_pin" => Some(Access::ChangePin),
            _ => None,
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
            assert!(matches!(permit(access(name), Some(&weak), false), Err(Denied::PinChangeRequired)), "{name}");
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
