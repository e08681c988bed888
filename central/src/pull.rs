//! The changes desks pull (`docs/sync.md`): appended by whatever changes what a desk must know
//! (a venue decided, a visit elsewhere, a trip, the risk list), and read by each desk in order
//! after its cursor.

use chrono::{DateTime, Utc};
use placecode_core::sync::{Change, ChangeKind, PullResponse};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::auth::EnrolledDesk;
use crate::error::{CentralError, Result};

pub const MAX_LIMIT: i64 = 5000;

/// Appends a change for desks to pull (`venue` None: for every desk).
pub async fn append<T: serde::Serialize>(
    tx: &mut Transaction<'_, Postgres>,
    kind: ChangeKind,
    venue: Option<Uuid>,
    origin: Option<Uuid>,
    body: &T,
) -> Result<()> {
    let body = serde_json::to_value(body).map_err(|e| CentralError::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO changes (kind, venue_id, origin_desk, body) VALUES ($1, $2, $3, $4)")
        .bind(kind.key())
        .bind(venue)
        .bind(origin)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn pull(
    pool: &PgPool,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
    cursor: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<PullResponse> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let venues: Vec<Uuid> = desk.venues.iter().copied().collect();
    // One more than asked tells whether there is more.
    let mut rows: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(
        "SELECT seq, kind, body FROM changes
         WHERE seq > $1 AND (venue_id IS NULL OR venue_id = ANY($2)) AND origin_desk IS DISTINCT FROM $3
         ORDER BY seq LIMIT $4",
    )
    .bind(cursor.max(0))
    .bind(&venues)
    .bind(desk.id)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = rows.last().map_or(cursor.max(0), |r| r.0);
    Ok(PullResponse {
        changes: rows
            .into_iter()
            .map(|(seq, kind, body)| {
                Ok(Change { seq, body: keys.data.open_body(&kind, body)?, kind: ChangeKind::from_key(&kind) })
            })
            .collect::<Result<_>>()?,
        cursor,
        more,
        server_time: now,
    })
}
