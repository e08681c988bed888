//! The audit log: who did what, from where, why, and how many rows it answered. Every tracing
//! query, every supervision view and every administrator's command writes one row; people are
//! named in it only masked.

use sqlx::PgExecutor;

use crate::error::{CentralError, Result};

/// Who acts, as the audit log records them.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `tracer:<name>`, `desk:<id>` or `admin-cli:<user>`.
    pub name: String,
    /// The client address (as the rate limits count it), or `cli` for the administrator's console.
    pub source: String,
    /// Why (查询用途), required of tracing; empty where the action needs none.
    pub purpose: String,
}

impl Actor {
    /// The administrator at the server's console.
    pub fn cli(purpose: &str) -> Actor {
        Actor { name: format!("admin-cli:{}", console_user()), source: "cli".into(), purpose: purpose.to_owned() }
    }
}

/// Who runs the command: the system's account for the process (its effective user, from the
/// password database, never `$USER` or `$LOGNAME`, which anyone sets to any name); for root, the
/// person sudo says ran it, when sudo's two variables name one account on this host. In a user
/// namespace of its own (`unshare -r`: anyone may make one, and is root inside it) the account
/// outside is named by its number, and sudo's word is not taken.
fn console_user() -> String {
    use std::os::unix::fs::MetadataExt;
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX);
    if let Some(outside) = std::fs::read_to_string("/proc/self/uid_map").ok().and_then(|m| outside_uid(&m, euid)) {
        return format!("uid {outside} (user namespace)");
    }
    let account = whoami::fallible::username().ok().or_else(|| Some(format!("uid {euid}")));
    let sudo = std::env::var("SUDO_USER").ok().filter(|by| {
        let uid = std::env::var("SUDO_UID").ok().and_then(|u| u.parse::<u32>().ok());
        uid.is_some() && passwd_uid(&std::fs::read_to_string("/etc/passwd").unwrap_or_default(), by) == uid
    });
    console_name(account, sudo)
}

/// The uid outside the process's user namespace when it runs in one other than the host's
/// (`uid_map` is not the whole range mapped to itself); None in the host's.
fn outside_uid(uid_map: &str, euid: u32) -> Option<u32> {
    let lines: Vec<[u64; 3]> = uid_map
        .lines()
        .filter_map(|l| l.split_whitespace().map(|n| n.parse().ok()).collect::<Option<Vec<u64>>>())
        .filter_map(|l| <[u64; 3]>::try_from(l).ok())
        .collect();
    if lines.as_slice() == [[0, 0, 4_294_967_295]] {
        return None;
    }
    let euid = u64::from(euid);
    let outside = lines
        .iter()
        .find(|[inside, _, count]| euid >= *inside && euid < inside.saturating_add(*count))
        .map(|[inside, outside, _]| outside.saturating_add(euid - inside));
    // A map that names no outside account for this process is still not the host's.
    Some(outside.and_then(|u| u32::try_from(u).ok()).unwrap_or(u32::MAX))
}

/// The uid `/etc/passwd` gives the account `name`.
fn passwd_uid(passwd: &str, name: &str) -> Option<u32> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name)).then(|| f.nth(1).and_then(|uid| uid.parse().ok())).flatten()
    })
}

/// The audit log's name for an account and sudo's `SUDO_USER` (already checked against the
/// host's accounts): sudo's word is taken only from root (any other account could have set it;
/// root could write anything anyway).
fn console_name(account: Option<String>, sudo_user: Option<String>) -> String {
    let clean = |s: String| -> Option<String> {
        let s: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
        (!s.trim().is_empty()).then_some(s)
    };
    match (account.and_then(clean), sudo_user.and_then(clean)) {
        (Some(root), Some(by)) if root == "root" => format!("{by}(sudo)"),
        (Some(account), _) => account,
        (None, _) => "unknown".into(),
    }
}

/// 查询用途: what a tracing query is for (a case number, an outbreak), 2 to 100 characters, at
/// least two of them letters or digits.
pub fn purpose(raw: &str) -> Result<String> {
    let p = placecode_core::normalize::clean(raw);
    placecode_core::sync::text("purpose", "查询用途", &p, 100).map_err(CentralError::invalid)?;
    if p.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        return Err(CentralError::Invalid {
            field: "purpose".into(),
            message: "查询用途：必填，请写明为何查询（如流调编号），2至100个字".into(),
        });
    }
    Ok(p)
}

pub async fn write<'e, E: PgExecutor<'e>>(
    ex: E,
    actor: &Actor,
    action: &str,
    params: serde_json::Value,
    results: usize,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor, action, params, results, source, purpose) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&actor.name)
    .bind(action)
    .bind(params)
    .bind(i64::try_from(results).unwrap_or(i64::MAX))
    .bind(&actor.source)
    .bind(&actor.purpose)
    .execute(ex)
    .await?;
    Ok(())
}

/// What the administrator and the console read is in Beijing time (as the desks show it); the
/// JSON API keeps UTC. Every RFC 3339 time in `v` is rewritten with its +08:00 offset.
pub fn beijing_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                *s = t
                    .with_timezone(&placecode_core::checkin::shanghai())
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(beijing_times),
        serde_json::Value::Object(o) => o.values_mut().for_each(beijing_times),
        _ => {}
    }
}

/// One row of the audit log, as `admin audit` lists it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Entry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub source: String,
    pub purpose: String,
    pub params: serde_json::Value,
    pub results: i64,
}

/// The newest `limit` rows (at most 1,000), optionally of one action.
pub async fn recent(pool: &sqlx::PgPool, action: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(
        "SELECT at, actor, action, source, purpose, params, results FROM audit_log
         WHERE $1::text IS NULL OR action = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(action)
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_beijing_time() {
        let mut v =
            serde_json::json!({"from": "2026-11-16T16:00:00Z", "to": "2026-11-30T16:00:00.5Z", "id_number": "410***"});
        beijing_times(&mut v);
        assert_eq!(v["from"], "2026-11-17T00:00:00+08:00");
        assert_eq!(v["to"], "2026-12-01T00:00:00+08:00");
        assert_eq!(v["id_number"], "410***");
    }

    #[test]
    fn a_purpose_is_required_and_bounded() {
        assert_eq!(purpose(" 流调2026-118号 ").ok().as_deref(), Some("流调2026-118号"));
        for bad in ["", " ", "查", "。。", "--", &"查".repeat(101)] {
            match purpose(bad) {
                Err(CentralError::Invalid { field, .. }) => assert_eq!(field, "purpose", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_console_user_is_the_account_not_what_the_environment_claims() {
        let s = |v: &str| Some(v.to_owned());
        // $USER is not asked at all; SUDO_USER only when the account is root.
        assert_eq!(console_name(s("alice"), s("boss")), "alice");
        assert_eq!(console_name(s("root"), s("alice")), "alice(sudo)");
        assert_eq!(console_name(s("root"), None), "root");
        assert_eq!(console_name(s("root"), s("")), "root");
        assert_eq!(console_name(s("uid 1234"), None), "uid 1234");
        assert_eq!(console_name(None, s("alice")), "unknown");
        assert_eq!(console_name(s("root"), s("a\nb\u{1b}[31m")), "ab[31m(sudo)");
        assert_eq!(console_name(s("root"), s(&"x".repeat(10_000))).chars().count(), 64 + "(sudo)".len());
        // This process (the host's namespace, no sudo): the password database's name for its
        // account, whatever $USER says.
        if std::env::var_os("SUDO_USER").is_none() {
            let here = whoami::fallible::username().expect("an account with a name");
            assert_eq!(Actor::cli("").name, format!("admin-cli:{here}"));
        }
    }

    /// `unshare -r` makes anyone root in a namespace of their own, where sudo's variables are
    /// theirs to set (a trial was logged as alice(sudo) that way): told by the uid map.
    #[test]
    fn a_user_namespace_is_named_by_the_account_outside_it() {
        assert_eq!(outside_uid("         0          0 4294967295\n", 0), None);
        assert_eq!(outside_uid("         0       1001          1\n", 0), Some(1001));
        assert_eq!(outside_uid("0 100000 65536\n", 1000), Some(101_000));
        assert_eq!(outside_uid("0 1001 1\n", 5), Some(u32::MAX));
        assert_eq!(outside_uid("", 0), Some(u32::MAX));
        // sudo's word only for an account of this host whose number sudo gave too.
        let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(passwd_uid(passwd, "alice"), Some(1000));
        assert_eq!(passwd_uid(passwd, "nosuchuser"), None);
        assert_eq!(passwd_uid(passwd, "bob(sudo)"), None);
    }
}
