//! The desk's operators (登记员): one administrator and clerks, PINs hashed with PBKDF2, a
//! lockout with back-off after wrong tries.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::checkin::{field_err, random_bytes};
use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::{normalize, validate};

const PIN_ROUNDS: u32 = 60_000;
const SIGN_IN_FAILURES: &str = "sign_in.failures";
const SIGN_IN_LOCKED_UNTIL: &str = "sign_in.locked_until";
/// Wrong PINs in a row before the desk makes the next try wait.
pub const SIGN_IN_FREE_TRIES: u32 = 5;

/// How long the desk refuses sign-in after `failures` wrong tries in a row: nothing for the
/// first [`SIGN_IN_FREE_TRIES`], then 30 s, doubling with each further wrong try, up to an hour.
pub fn sign_in_lockout(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(SIGN_IN_FREE_TRIES)?;
    Some(Duration::seconds((30_i64 << over.min(7)).min(3600)))
}

/// "30秒", "4分钟" (rounded up): how long to wait, as the clerk reads it.
fn wait_text(seconds: i64) -> String {
    if seconds < 60 {
        format!("{seconds}秒")
    } else {
        format!("{}分钟", (seconds + 59) / 60)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Operator {
    pub id: String,
    pub name: String,
    pub is_admin: bool,
    /// Signed in with a PIN made before today's rule (6 to 12 digits, not guessable): nothing
    /// but changing it is allowed until it is changed.
    pub must_change_pin: bool,
    /// 已停用: stopped by the administrator; cannot sign in.
    #[serde(default)]
    pub disabled: bool,
}

fn pin_hash(pin: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pin.as_bytes(), salt, PIN_ROUNDS, &mut out);
    out
}

impl Store {
    pub fn operators(&self) -> Result<Vec<Operator>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, is_admin, disabled_at IS NOT NULL FROM operators ORDER BY created_at")?;
        let rows = stmt.query_map([], |r| {
            Ok(Operator {
                id: r.get(0)?,
                name: r.get(1)?,
                is_admin: r.get(2)?,
                must_change_pin: false,
                disabled: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a desk operator. The first one is the desk's administrator.
    pub fn add_operator(&mut self, name: &str, pin: &str) -> Result<Operator> {
        let name = validate::person_name(name).map_err(|m| field_err("name", format!("姓名：{m}")))?;
        let pin = validate::pin(pin).map_err(|m| field_err("pin", format!("PIN：{m}")))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM operators WHERE name = ?1)", [&name], |r| r.get(0))?;
        if exists {
            return Err(field_err("name", format!("姓名：登记员“{name}”已存在")));
        }
        let is_admin: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM operators)", [], |r| r.get(0))?;
        let salt = random_bytes::<16>()?;
        let id = uuid::Uuid::now_v7().to_string();
        tx.execute(
            "INSERT INTO operators (id, name, is_admin, pin_salt, pin_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, name, is_admin, salt.as_slice(), pin_hash(&pin, &salt).as_slice(), super::now()],
        )?;
        if is_admin {
            super::begin_setup(&tx)?;
        }
        tx.commit()?;
        Ok(Operator { id, name, is_admin, must_change_pin: false, disabled: false })
    }

    /// Signs an operator in by name and PIN. The reason never says which of the two was wrong.
    /// After [`SIGN_IN_FREE_TRIES`] wrong tries in a row for one operator, that operator's
    /// sign-in waits for a while that doubles with each further wrong try, up to an hour; the
    /// other operators are not held up (a guesser at the desk cannot lock everyone out). The
    /// count lives in the database, so closing the app does not reset it. A name that is no
    /// operator's is simply wrong: there is no PIN to guess.
    pub fn sign_in(&self, name: &str, pin: &str, now: DateTime<Utc>) -> Result<Operator> {
        let name = normalize::clean(name);
        /// id, is_admin, PIN salt and hash, stopped.
        type Row = (String, bool, Vec<u8>, Vec<u8>, bool);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT id, is_admin, pin_salt, pin_hash, disabled_at IS NOT NULL FROM operators WHERE name = ?1",
                [&name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((id, is_admin, salt, hash, disabled)) = row else {
            return Err(field_err("pin", "姓名或PIN不对"));
        };
        let failures_key = format!("{SIGN_IN_FAILURES}.{id}");
        let locked_key = format!("{SIGN_IN_LOCKED_UNTIL}.{id}");
        let failures: u32 = setting(&self.conn, &failures_key)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let locked_until = setting(&self.conn, &locked_key)?.and_then(|v| DateTime::parse_from_rfc3339(&v).ok());
        if let Some(until) = locked_until.filter(|u| *u > now) {
            let seconds = placecode_core::checkin::seconds_until(until.with_timezone(&Utc), now);
            return Err(field_err("pin", format!("{name}已连续输错{failures}次，请{}后再试", wait_text(seconds))));
        }
        if pin_hash(&normalize::compact(pin), &salt).as_slice() == hash.as_slice() {
            set_setting(&self.conn, &failures_key, "0")?;
            // Said only to whoever knows the PIN: a name alone learns nothing.
            if disabled {
                return Err(field_err("pin", format!("登记员“{name}”已被管理员停用，请联系管理员")));
            }
            let must_change_pin = validate::pin(pin).is_err();
            return Ok(Operator { id, name, is_admin, must_change_pin, disabled });
        }
        let failures = failures.saturating_add(1);
        set_setting(&self.conn, &failures_key, &failures.to_string())?;
        match sign_in_lockout(failures) {
            Some(wait) => {
                set_setting(&self.conn, &locked_key, &rfc3339(now + wait))?;
                Err(field_err(
                    "pin",
                    format!("姓名或PIN不对；{name}已连续输错{failures}次，请{}后再试", wait_text(wait.num_seconds())),
                ))
            }
            None => Err(field_err("pin", "姓名或PIN不对")),
        }
    }

    /// 停用 / 启用: the administrator stops an operator from signing in (the records they made
    /// stay theirs) or lets them again. The administrator is never stopped.
    pub fn set_operator_disabled(&mut self, id: &str, disabled: bool) -> Result<Operator> {
        let admin: bool = self
            .conn
            .query_row("SELECT is_admin FROM operators WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or(Error::not_found("登记员"))?;
        if admin && disabled {
            return Err(field_err("operator", "不能停用管理员"));
        }
        self.conn.execute(
            "UPDATE operators SET disabled_at = CASE WHEN ?2 THEN COALESCE(disabled_at, ?3) END WHERE id = ?1",
            params![id, disabled, super::now()],
        )?;
        self.operators()?.into_iter().find(|o| o.id == id).ok_or(Error::not_found("登记员"))
    }

    /// An operator changes their own PIN: the current one, then the new one (the same rule as
    /// a new operator's).
    pub fn change_pin(&mut self, operator_id: &str, current: &str, new: &str) -> Result<()> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .query_row("SELECT pin_salt, pin_hash FROM operators WHERE id = ?1", [operator_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (salt, hash) = row.ok_or(Error::not_found("登记员"))?;
        if pin_hash(&normalize::compact(current), &salt).as_slice() != hash.as_slice() {
            return Err(field_err("current", "当前PIN：不对"));
        }
        let new = validate::pin(new).map_err(|m| field_err("pin", format!("新PIN：{m}")))?;
        if pin_hash(&new, &salt).as_slice() == hash.as_slice() {
            return Err(field_err("pin", "新PIN：与当前PIN相同，请换一个"));
        }
        let salt = random_bytes::<16>()?;
        self.conn.execute(
            "UPDATE operators SET pin_salt = ?2, pin_hash = ?3 WHERE id = ?1",
            params![operator_id, salt.as_slice(), pin_hash(&new, &salt).as_slice()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operator whose PIN was made before the 6-digit rule signs in, told to change it; the
    /// new PIN follows the rule, and then the flag is gone.
    #[test]
    fn a_pin_from_before_the_rule_signs_in_and_must_be_changed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&dir.path().join("d.sqlite3")).unwrap_or_else(|e| panic!("{e}"));
        let salt = [7u8; 16];
        store
            .conn
            .execute(
                "INSERT INTO operators (id, name, is_admin, pin_salt, pin_hash, created_at) VALUES ('o', '张敏', 1, ?1, ?2, ?3)",
                params![salt.as_slice(), pin_hash("2468", &salt).as_slice(), super::super::now()],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let now = Utc::now();
        let op = store.sign_in("张敏", "2468", now).unwrap_or_else(|e| panic!("{e}"));
        assert!(op.must_change_pin);
        assert_eq!(store.change_pin("o", "2468", "1357").unwrap_err().fields(), ["pin"], "a new PIN of four digits");
        store.change_pin("o", "2468", "135792").unwrap_or_else(|e| panic!("{e}"));
        assert!(!store.sign_in("张敏", "135792", now).unwrap_or_else(|e| panic!("{e}")).must_change_pin);
    }
}
