//! What makes looking people up through the phone page impractical (docs/security.md): a phone
//! holds a family, not a city; new ID numbers per phone and per client address and day are
//! limited; ID numbers already on file declared from phones not linked to them are limited
//! harder, and whoever crosses a limit is flagged for supervision (`admin flags`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{CentralError, Result};
use crate::App;

/// People one phone may hold (its owner and the family they register).
pub const MAX_PEOPLE: i64 = 8;

/// Counts a declaration of an ID number this phone does not hold yet, from `client`; answers
/// the refusal to show when a limit is crossed. `on_file`: the centre already knows the
/// number (so the declaring phone is not the person's own).
pub async fn admit_new_id(
    app: &App,
    t: &'static super::text::Texts,
    phone: Uuid,
    client: &str,
    on_file: bool,
    today: NaiveDate,
) -> Result<Option<&'static str>> {
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM phone_people WHERE phone_id = $1")
        .bind(phone)
        .fetch_one(&app.pool)
        .await?;
    if held >= MAX_PEOPLE {
        return Ok(Some(t.phone_full));
    }
    let by_phone = format!("phone:{phone}");
    let by_address = format!("addr:{client}");
    let (phone_new, _) = bump(&app.pool, today, &by_phone, false).await?;
    let (address_new, address_on_file) = bump(&app.pool, today, &by_address, on_file).await?;
    let over = if on_file && address_on_file > app.address_on_file_per_day {
        Some(("on_file", &by_address, address_on_file))
    } else if address_new > app.address_new_ids_per_day {
        Some(("address_new_ids", &by_address, address_new))
    } else if phone_new > app.phone_new_ids_per_day {
        Some(("phone_new_ids", &by_phone, phone_new))
    } else {
        None
    };
    let Some((kind, who, attempts)) = over else { return Ok(None) };
    // The address and phone are for supervision; the log says only what and how often.
    tracing::warn!(kind, attempts, "phone page limit crossed");
    sqlx::query(
        "INSERT INTO abuse_flags (day, kind, who, phone_id, attempts) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (day, kind, who) DO UPDATE SET attempts = EXCLUDED.attempts, last_at = now(),
             phone_id = EXCLUDED.phone_id",
    )
    .bind(today)
    .bind(kind)
    .bind(who)
    .bind(phone)
    .bind(attempts)
    .execute(&app.pool)
    .await?;
    Ok(Some(match kind {
        "on_file" => t.address_on_file,
        "phone_new_ids" => t.phone_new_ids,
        _ => t.address_new_ids,
    }))
}

/// One more new ID number for `who` today (and one more on file); answers both counts. Counted
/// outside the check-in's transaction, so refused attempts count too.
async fn bump(pool: &PgPool, day: NaiveDate, who: &str, on_file: bool) -> Result<(i32, i32)> {
    Ok(sqlx::query_as(
        "INSERT INTO declare_counts (day, who, new_ids, on_file) VALUES ($1, $2, 1, $3)
         ON CONFLICT (day, who) DO UPDATE SET new_ids = declare_counts.new_ids + 1,
             on_file = declare_counts.on_file + EXCLUDED.on_file
         RETURNING new_ids, on_file",
    )
    .bind(day)
    .bind(who)
    .bind(i32::from(on_file))
    .fetch_one(pool)
    .await?)
}

/// A limit crossed, as `admin flags` lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Flag {
    pub day: NaiveDate,
    /// `on_file` (numbers already on file from unlinked phones), `address_new_ids`, `phone_new_ids`.
    pub kind: String,
    /// `addr:<client address>` or `phone:<id>`.
    pub who: String,
    /// The phone of the last attempt (for `admin revoke-phone`).
    pub phone_id: Option<Uuid>,
    pub attempts: i32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The flags of the last 7 days, newest first.
pub async fn flags(pool: &PgPool) -> Result<Vec<Flag>> {
    Ok(sqlx::query_as(
        "SELECT day, kind, who, phone_id, attempts, first_at, last_at FROM abuse_flags
         WHERE last_at > now() - interval '7 days' ORDER BY last_at DESC LIMIT 1000",
    )
    .fetch_all(pool)
    .await?)
}

/// Forgets a phone: its cookie no longer names it, and the people it held are no longer
/// reachable through it (its next visit is a new phone's).
pub async fn revoke(pool: &PgPool, phone: Uuid) -> Result<()> {
    let mut tx = pool.begin().await?;
    let n = sqlx::query("UPDATE phones SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(phone)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CentralError::NotFound("该手机（或已吊销）"));
    }
    sqlx::query("DELETE FROM phone_people WHERE phone_id = $1").bind(phone).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the administrator revoked this phone.
pub async fn revoked(pool: &PgPool, phone: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM phones WHERE id = $1 AND revoked_at IS NOT NULL)")
        .bind(phone)
        .fetch_one(pool)
        .await?)
}
