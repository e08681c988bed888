//! Who is calling: a desk by its credential, a tracer by theirs. Only hashes are stored.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashSet;
use uuid::Uuid;

use crate::error::{CentralError, Result};

pub fn hash_secret(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// A fresh random secret with a readable prefix (`pcd_` desk, `pct_` tracer, `pce_` enrolment).
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut b = [0u8; 24];
    getrandom::getrandom(&mut b).map_err(|e| CentralError::Internal(e.to_string()))?;
    Ok(format!("{prefix}{}", hex::encode(b)))
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// An enrolled desk, as a request sees it.
#[derive(Debug, Clone)]
pub struct EnrolledDesk {
    pub id: Uuid,
    pub code_key: placecode_core::code::SigningKey,
    pub districts: Vec<String>,
    pub venues: HashSet<Uuid>,
    /// Server time minus desk time, from `X-Desk-Time`, when the desk sent it.
    pub clock_offset_ms: Option<i64>,
}

/// id, code key id, code key sealed (or, from before, in clear), districts, revoked at.
type DeskRow = (Uuid, i64, Option<String>, Option<Vec<u8>>, Vec<String>, Option<DateTime<Utc>>);

/// Authenticates a desk and measures its clock (`docs/sync.md`): refused when revoked, unknown,
/// or its clock is a day or more off.
pub async fn desk(
    pool: &PgPool,
    keys: &crate::fields::DataKeys,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<EnrolledDesk> {
    let token = bearer(headers).ok_or(CentralError::DeskUnknown)?;
    let row: Option<DeskRow> = sqlx::query_as(
        "SELECT id, code_key_id, code_key_sealed, code_key_secret, districts, revoked_at FROM desks
         WHERE credential_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(pool)
    .await?;
    let (id, key_id, sealed, clear, districts, revoked) = row.ok_or(CentralError::DeskUnknown)?;
    if revoked.is_some() {
        return Err(CentralError::DeskRevoked);
    }
    let offset = headers
        .get("x-desk-time")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| (now - t.with_timezone(&Utc)).num_milliseconds());
    if let Some(o) = offset {
        if o.abs() >= placecode_core::sync::CLOCK_REFUSE_MS {
            return Err(CentralError::ClockSkew(24));
        }
    }
    let venues: Vec<Uuid> =
        sqlx::query_scalar("SELECT venue_id FROM desk_venues WHERE desk_id = $1").bind(id).fetch_all(pool).await?;
    sqlx::query("UPDATE desks SET last_seen_at = $2, clock_offset_ms = COALESCE($3, clock_offset_ms) WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(offset)
        .execute(pool)
        .await?;
    let secret = keys.code_key(id, sealed.as_deref(), clear.as_deref())?;
    Ok(EnrolledDesk {
        id,
        code_key: placecode_core::code::SigningKey::new(key_id as u32, secret),
        districts,
        venues: venues.into_iter().collect(),
        clock_offset_ms: offset,
    })
}

/// What a tracing credential may ask (`admin tracer-token --scope`).
pub const TRACER_SCOPES: &[&str] = &["person", "venue", "overlap", "trips"];

/// A tracer (追溯查询) as a request sees them.
#[derive(Debug, Clone)]
pub struct Tracer {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
}

impl Tracer {
    /// As the audit log names them.
    pub fn actor_name(&self) -> String {
        format!("tracer:{}:{}", self.id, self.name)
    }
}

/// Authenticates a tracer: refused when unknown, revoked or expired (all alike: 401). What the
/// credential may ask is the caller's to check (`scopes`).
pub async fn tracer(pool: &PgPool, headers: &HeaderMap) -> Result<Tracer> {
    let token = bearer(headers).ok_or(CentralError::Unauthorized)?;
    let row: Option<(Uuid, String, Vec<String>)> = sqlx::query_as(
        "SELECT id, name, scopes FROM tracers WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(hash_secret(token))
    .fetch_optional(pool)
    .await?;
    let (id, name, scopes) = row.ok_or(CentralError::Unauthorized)?;
    Ok(Tracer { id, name, scopes })
}
