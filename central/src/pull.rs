//! Pull (`docs/sync.md`): the changes a desk has not applied yet, in order, after its cursor.

use chrono::{DateTime, Utc};
use placecode_core::sync::{Change, ChangeKind, PullResponse};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Desk;
use crate::error::Result;

pub const MAX_LIMIT: i64 = 5000;

pub async fn pull(
    pool: &PgPool,
    keys: &crate::Keys,
    desk: &Desk,
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
