//! The console's users: name and password (argon2id) and a TOTP second factor, three roles, and
//! sessions that end after 30 minutes idle or 12 hours in all. Made and disabled only by the
//! administrator's CLI, every change audited.

use chrono::{DateTime, Utc};
use placecode_core::venue::District;
use sqlx::PgPool;
use uuid::Uuid;

use super::text as t;
use crate::audit::{self, Actor};
use crate::error::{CentralError, Result};
use crate::Keys;

/// A session ends after this long without a page.
pub const IDLE: chrono::TimeDelta = chrono::TimeDelta::minutes(30);
/// And after this long in all, however busy.
pub const LONGEST: chrono::TimeDelta = chrono::TimeDelta::hours(12);
/// Failed sign-ins of one login name from one address before it is locked there for
/// [`LOCKED_FOR`]; and from anywhere, before it is locked everywhere.
pub const FAILURES: i32 = 5;
pub const FAILURES_EVERYWHERE: i32 = 30;
pub const LOCKED_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// Who may see what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 市级监管: every district, the audit log.
    City,
    /// 区县监管: one district only, pages and exports alike.
    District(District),
    /// 流调人员: tracing only, no supervision of venues.
    Tracer,
}

impl Role {
    pub fn parse(role: &str, district: Option<&str>) -> Result<Role> {
        let bad = |message: &str| CentralError::Invalid { field: "role".into(), message: message.into() };
        match (role, district) {
            ("city", None) => Ok(Role::City),
            ("tracer", None) => Ok(Role::Tracer),
            ("district", Some(d)) => District::parse(d).map(Role::District).ok_or_else(|| bad(t::BAD_DISTRICT)),
            ("district", None) => Err(bad(t::DISTRICT_REQUIRED)),
            ("city" | "tracer", Some(_)) => Err(bad(t::DISTRICT_ONLY_FOR_DISTRICT)),
            _ => Err(bad(t::BAD_ROLE)),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::District(_) => "district",
            Role::Tracer => "tracer",
        }
    }

    fn district(self) -> Option<&'static str> {
        match self {
            Role::District(d) => Some(d.key()),
            _ => None,
        }
    }

    pub fn label(self) -> String {
        match self {
            Role::City => t::ROLE_CITY.to_owned(),
            Role::District(d) => format!("{}{}", d.label(), t::ROLE_DISTRICT),
            Role::Tracer => t::ROLE_TRACER.to_owned(),
        }
    }

    /// The district this role is held to for supervision, `Some(None)` for all of them, `None`
    /// when it may not supervise venues at all.
    pub fn supervises(self) -> Option<Option<District>> {
        match self {
            Role::City => Some(None),
            Role::District(d) => Some(Some(d)),
            Role::Tracer => None,
        }
    }
}

/// A signed-in user, as a page sees them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
}

/// How the audit log and the reminders name a console user: this, then the login.
pub const ACTOR_PREFIX: &str = "console:";

impl User {
    /// As the audit log names them, from where.
    pub fn actor(&self, source: &str, purpose: &str) -> Actor {
        Actor { name: format!("{ACTOR_PREFIX}{}", self.login), source: source.to_owned(), purpose: purpose.to_owned() }
    }
}

type UserRow = (Uuid, String, String, String, Option<String>);

fn user((id, login, name, role, district): UserRow) -> Result<User> {
    Ok(User { id, login, name, role: Role::parse(&role, district.as_deref())? })
}

/// A login name: 3 to 32 of a–z, 0–9, `.`, `_`, `-`, compared in lower case.
pub fn login(raw: &str) -> Result<String> {
    let l = placecode_core::normalize::compact(raw).to_ascii_lowercase();
    let ok = (3..=32).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(CentralError::Invalid { field: "login".into(), message: t::BAD_LOGIN.into() });
    }
    Ok(l)
}

/// A password long enough to resist guessing, and not the login name in disguise.
pub fn password(login: &str, pw: &str) -> Result<()> {
    let n = pw.chars().count();
    let bad = |message: String| Err(CentralError::Invalid { field: "password".into(), message });
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return bad(t::password_length(n));
    }
    if pw.chars().any(char::is_control) {
        return bad(t::PASSWORD_CONTROL.into());
    }
    let distinct: std::collections::HashSet<char> = pw.chars().collect();
    if distinct.len() < 5 || pw.to_lowercase().contains(login) {
        return bad(t::PASSWORD_WEAK.into());
    }
    Ok(())
}

fn hash_password(pw: &str) -> Result<String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CentralError::Internal(format!("argon2: {e}")))
}

fn verify_password(pw: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(stored).is_ok_and(|h| argon2::Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A hash no password matches, verified against for unknown names so that a wrong name takes as
/// long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut b = [0u8; 24];
        let _ = getrandom::getrandom(&mut b);
        hash_password(&hex::encode(b)).unwrap_or_default()
    })
}

fn totp(secret: &[u8]) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::from(secret))
        .with_skew(1)
        .build()
        .map_err(|e| CentralError::Internal(format!("totp: {e}")))
}

/// The TOTP step a code is valid for (this 30 s window or the one on either side), if it is.
pub fn totp_step(secret: &[u8], code: &str, now: DateTime<Utc>) -> Option<u64> {
    let code = placecode_core::normalize::compact(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret).ok()?.check(&code, u64::try_from(now.timestamp()).ok()?)
}

/// The code an authenticator app shows at `now` (for tests and the CLI's self-check).
pub fn totp_code(secret_base32: &str, now: DateTime<Utc>) -> Option<String> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).ok()?;
    let bytes = secret.as_bytes().to_vec();
    Some(totp(&bytes).ok()?.generate(u64::try_from(now.timestamp()).ok()?).to_string())
}

/// What the administrator hands the new user: the secret for their authenticator app.
#[derive(Debug, serde::Serialize)]
pub struct Created {
    pub login: String,
    pub role: String,
    /// Base32, as authenticator apps take it when typed.
    pub totp_secret: String,
    /// The `otpauth://` address an authenticator app reads from a QR code.
    pub otpauth: String,
}

/// Makes a user (the administrator's CLI). The password is hashed; the TOTP secret is sealed.
pub async fn add(
    pool: &PgPool,
    keys: &Keys,
    actor: &Actor,
    raw_login: &str,
    raw_name: &str,
    role: Role,
    pw: &str,
) -> Result<Created> {
    let login = login(raw_login)?;
    let name = placecode_core::normalize::clean(raw_name);
    placecode_core::sync::text("name", t::NAME, &name, 50).map_err(CentralError::invalid)?;
    if name.is_empty() {
        return Err(CentralError::Invalid { field: "name".into(), message: t::NAME_REQUIRED.into() });
    }
    password(&login, pw)?;
    let hash = {
        let pw = pw.to_owned();
        tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| CentralError::Internal(e.to_string()))??
    };
    let mut secret = [0u8; 20];
    getrandom::getrandom(&mut secret).map_err(|e| CentralError::Internal(e.to_string()))?;
    let base32 = totp_rs::Secret::from(&secret[..]).to_base32();
    let id = Uuid::now_v7();
    let sealed = keys.data.seal(TOTP_FIELD, id.as_bytes(), &base32)?;
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO console_users (id, login, name, role, district, password_hash, totp_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING",
    )
    .bind(id)
    .bind(&login)
    .bind(&name)
    .bind(role.key())
    .bind(role.district())
    .bind(&hash)
    .bind(&sealed)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(CentralError::Invalid { field: "login".into(), message: t::LOGIN_TAKEN.into() });
    }
    let params = serde_json::json!({ "login": login, "role": role.key(), "district": role.district() });
    audit::write(&mut *tx, actor, "console_user_add", params, 1).await?;
    tx.commit().await?;
    let otpauth = format!(
        "otpauth://totp/{issuer}:{login}?secret={base32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        issuer = t::TOTP_ISSUER_URL
    );
    Ok(Created { login, role: role.label(), totp_secret: base32, otpauth })
}

/// The field name the TOTP secret is sealed under (bound to the user's id).
pub const TOTP_FIELD: &str = "console_totp";

/// Disables a user and ends their sessions at once.
pub async fn disable(pool: &PgPool, actor: &Actor, raw_login: &str) -> Result<()> {
    let login = login(raw_login)?;
    let mut tx = pool.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE console_users SET disabled_at = coalesce(disabled_at, now()) WHERE login = $1 RETURNING id",
    )
    .bind(&login)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or(CentralError::NotFound(t::THE_USER))?;
    sqlx::query("DELETE FROM console_sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    audit::write(&mut *tx, actor, "console_user_disable", serde_json::json!({ "login": login }), 1).await?;
    tx.commit().await?;
    Ok(())
}

/// A user as `admin console-users` lists them (never a hash or a secret).
#[derive(Debug, serde::Serialize, sqlx::FromRow)]
pub struct Listed {
    pub login: String,
    pub name: String,
    pub role: String,
    pub district: Option<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

pub async fn list(pool: &PgPool) -> Result<Vec<Listed>> {
    Ok(sqlx::query_as(
        "SELECT u.login, u.name, u.role, u.district, u.created_at, u.disabled_at, max(s.last_seen_at) AS last_seen_at
         FROM console_users u LEFT JOIN console_sessions s ON s.user_id = u.id
         GROUP BY u.id ORDER BY u.login",
    )
    .fetch_all(pool)
    .await?)
}

/// Why a sign-in was refused; the page says no more than this.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A wrong name, password or code, or a disabled user: one message for all.
    Wrong,
    /// Too many failures for this name: wait.
    Locked,
}

/// Signs in with name, password and TOTP code: the session's cookie token on success. Every
/// attempt is audited; a name is locked after [`FAILURES`] failures in a row from one address (or
/// [`FAILURES_EVERYWHERE`] from any, when only its right password with a right code gets in),
/// whether it exists or not.
pub async fn sign_in(
    pool: &PgPool,
    keys: &Keys,
    raw_login: &str,
    pw: &str,
    code: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Result<(User, String), Refused>> {
    let Ok(name) = login(raw_login) else {
        return Ok(Err(Refused::Wrong));
    };
    type Row = (Uuid, String, String, String, Option<String>, String, String, i64);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, login, name, role, district, password_hash, totp_sealed, totp_last_step FROM console_users
         WHERE login = $1 AND disabled_at IS NULL",
    )
    .bind(&name)
    .fetch_optional(pool)
    .await?;
    // Failures are counted for the name from this address (5 lock it there) and for the name
    // from anywhere (30 lock it everywhere): someone elsewhere who knows a name cannot lock its
    // owner out with five tries, and a guesser spread over many addresses is still stopped.
    // Locked everywhere, the name still takes its right password with a right code (each
    // address's own five tries still count): a stranger's thirty tries from six addresses had
    // locked a supervisor out for as long as they kept trying. Nothing else is told apart
    // meanwhile: a right password with a wrong code is refused as locked, like a wrong one.
    let keys_counted = [format!("{name}|{source}"), name.clone()];
    let locked: Vec<String> =
        sqlx::query_scalar("SELECT login FROM console_failures WHERE login = ANY($1) AND locked_until > $2")
            .bind(&keys_counted[..])
            .bind(now)
            .fetch_all(pool)
            .await?;
    let locked_here = locked.contains(&keys_counted[0]);
    let locked_everywhere = locked.contains(&keys_counted[1]);
    // The log names who was tried only when such a user exists: a password typed into the name
    // field of a failed sign-in must not end up in the log.
    let tried = if row.is_some() { format!("console:{name}") } else { t::UNKNOWN_LOGIN.to_owned() };
    let refused_actor = Actor { name: tried, source: source.to_owned(), purpose: String::new() };
    if locked_here {
        audit::write(pool, &refused_actor, "console_sign_in_refused", serde_json::json!({ "locked": true }), 0).await?;
        return Ok(Err(Refused::Locked));
    }
    let stored = row.as_ref().map_or_else(|| decoy().to_owned(), |r| r.5.clone());
    let pw_ok = {
        let pw = pw.to_owned();
        tokio::task::spawn_blocking(move || verify_password(&pw, &stored))
            .await
            .map_err(|e| CentralError::Internal(e.to_string()))?
    };
    let mut signed_in = None;
    if let (true, Some((id, login, uname, role, district, _, sealed, last_step))) = (pw_ok, row) {
        let base32 = keys.data.open(TOTP_FIELD, id.as_bytes(), &sealed)?;
        let secret = totp_rs::Secret::try_from_base32(&base32)
            .map_err(|_| CentralError::Internal("stored TOTP secret".into()))?
            .as_bytes()
            .to_vec();
        let step = totp_step(&secret, code, now).and_then(|s| i64::try_from(s).ok()).filter(|s| *s > last_step);
        // A code is taken once: the step moves forward only if no other sign-in took it first.
        if let Some(step) = step {
            let taken =
                sqlx::query("UPDATE console_users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
                    .bind(id)
                    .bind(step)
                    .execute(pool)
                    .await?;
            if taken.rows_affected() == 1 {
                signed_in = Some(user((id, login, uname, role, district))?);
            }
        }
    }
    let Some(user) = signed_in else {
        // While the name is locked everywhere, only this address's failures count on.
        let counted = if locked_everywhere { &keys_counted[..1] } else { &keys_counted[..] };
        for (key, limit) in counted.iter().zip([FAILURES, FAILURES_EVERYWHERE]) {
            sqlx::query(
                "INSERT INTO console_failures (login, failures, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (login) DO UPDATE SET
                    failures = CASE WHEN console_failures.failures + 1 >= $3 THEN 0 ELSE console_failures.failures + 1 END,
                    locked_until = CASE WHEN console_failures.failures + 1 >= $3 THEN $2 + $4
                                        ELSE console_failures.locked_until END,
                    last_at = $2",
            )
            .bind(key)
            .bind(now)
            .bind(limit)
            .bind(LOCKED_FOR)
            .execute(pool)
            .await?;
        }
        audit::write(
            pool,
            &refused_actor,
            "console_sign_in_refused",
            serde_json::json!({ "locked": locked_everywhere }),
            0,
        )
        .await?;
        return Ok(Err(if locked_everywhere { Refused::Locked } else { Refused::Wrong }));
    };
    let token = crate::auth::new_secret("pcs_")?;
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM console_failures WHERE login = ANY($1)").bind(&keys_counted[..]).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, created_at, last_seen_at, source) VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(crate::auth::hash_secret(&token))
    .bind(user.id)
    .bind(now)
    .bind(source)
    .execute(&mut *tx)
    .await?;
    audit::write(&mut *tx, &user.actor(source, ""), "console_sign_in", serde_json::json!({}), 1).await?;
    tx.commit().await?;
    Ok(Ok((user, token)))
}

/// The user of a session cookie's token, if the session is live (and the user not disabled);
/// each page keeps it alive.
pub async fn session(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(
        "UPDATE console_sessions s SET last_seen_at = $2 FROM console_users u
         WHERE s.token_hash = $1 AND u.id = s.user_id AND u.disabled_at IS NULL
           AND s.last_seen_at > $2 - $3::interval AND s.created_at > $2 - $4::interval
         RETURNING u.id, u.login, u.name, u.role, u.district",
    )
    .bind(crate::auth::hash_secret(token))
    .bind(now)
    .bind(IDLE)
    .bind(LONGEST)
    .fetch_optional(pool)
    .await?;
    row.map(user).transpose()
}

/// Ends a session (退出), and any that have expired.
pub async fn sign_out(pool: &PgPool, user: &User, token: &str, source: &str, now: DateTime<Utc>) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "DELETE FROM console_sessions WHERE token_hash = $1
            OR last_seen_at < $2 - $3::interval OR created_at < $2 - $4::interval",
    )
    .bind(crate::auth::hash_secret(token))
    .bind(now)
    .bind(IDLE)
    .bind(LONGEST)
    .execute(&mut *tx)
    .await?;
    audit::write(&mut *tx, &user.actor(source, ""), "console_sign_out", serde_json::json!({}), 1).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_name_is_plain_ascii_in_lower_case() {
        assert_eq!(login(" ZhangMin ").ok().as_deref(), Some("zhangmin"));
        assert_eq!(login("ｚｈａｎｇ.ｍｉｎ").ok().as_deref(), Some("zhang.min"));
        for bad in ["", "ab", "张敏", "a b'--", "<script>", "zhang😀", &"a".repeat(33), "x' OR '1'='1"] {
            match login(bad) {
                Err(CentralError::Invalid { field, .. }) => assert_eq!(field, "login", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_password_is_long_varied_and_not_the_login() {
        assert!(password("zhangmin", "鼓楼区疫情防控2026！").is_ok());
        assert!(password("zhangmin", "correct horse battery").is_ok());
        for bad in
            ["short1!", "aaaaaaaaaaaaaaaa", "ZhangMin2026!!", &"密码很长很长很长".repeat(20), "tab\tinside password"]
        {
            match password("zhangmin", bad) {
                Err(CentralError::Invalid { field, message }) => {
                    assert_eq!(field, "password", "{bad:?}");
                    assert!(message.starts_with("密码"), "{message}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_hashed_password_verifies_and_nothing_else_does() {
        let h = hash_password("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert!(!verify_password("", decoy()));
    }

    #[test]
    fn a_totp_code_is_valid_for_its_window_and_the_next_and_previous() {
        // RFC 6238 appendix B's SHA-1 secret and its 59 s vector (the last six digits).
        let secret = b"12345678901234567890";
        let at = DateTime::from_timestamp(59, 0).unwrap_or_default();
        assert_eq!(totp_step(secret, "287082", at), Some(1));
        assert_eq!(totp_step(secret, "287 082", at + chrono::TimeDelta::seconds(30)), Some(1));
        assert_eq!(totp_step(secret, "287082", at + chrono::TimeDelta::seconds(90)), None);
        for bad in ["", "28708", "2870822", "28708a", "２８７０８２x", "' OR 1=1"] {
            assert_eq!(totp_step(secret, bad, at), None, "{bad:?}");
        }
        let b32 = totp_rs::Secret::from(&secret[..]).to_base32();
        assert_eq!(totp_code(&b32, at).as_deref(), Some("287082"));
    }

    #[test]
    fn a_role_is_one_of_three_and_a_district_belongs_to_one() {
        assert_eq!(Role::parse("city", None).ok(), Some(Role::City));
        assert_eq!(Role::parse("district", Some("gulou")).ok(), Some(Role::District(District::Gulou)));
        assert_eq!(Role::City.supervises(), Some(None));
        assert_eq!(Role::Tracer.supervises(), None);
        for (role, district) in
            [("district", None), ("city", Some("gulou")), ("admin", None), ("district", Some("<b>"))]
        {
            match Role::parse(role, district) {
                Err(CentralError::Invalid { field, .. }) => assert_eq!(field, "role"),
                other => panic!("{role} {district:?}: {other:?}"),
            }
        }
    }
}
