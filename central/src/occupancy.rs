//! Occupancy and 限流 at the centre: the 限流令 a district's or the city's office gives (kept in
//! `limit_orders`, sent to every desk as a change), the limit in force at a venue (the core's
//! `occupancy::Limit::under`, the desk's rule), and how many are inside (the SQL function
//! `placecode_inside`, migration 0023). The phone page keeps the limit; the console shows it.

use chrono::{DateTime, Utc};
use placecode_core::occupancy::{Limit, Order};
use placecode_core::sync::{ChangeKind, LimitOrderBody};
use placecode_core::venue::District;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::error::Result;

/// The scope of an order over the whole city.
pub const CITY: &str = "city";

/// An order in force, as the console lists it.
#[derive(Debug, Clone)]
pub struct InForce {
    pub order: Order,
    pub set_at: DateTime<Utc>,
    /// Who gave it: the console user's name and login.
    pub set_by: String,
}

fn scope_key(district: Option<District>) -> &'static str {
    district.map_or(CITY, District::key)
}

/// An order as stored (a row checked again: a scope no longer a district is dropped).
fn stored(scope: &str, percent: i32) -> Option<Order> {
    let district = if scope == CITY { None } else { Some(District::parse(scope)?) };
    Order::checked(district, percent.into()).ok()
}

/// Every order in force (one per district at most, and one over the city).
pub async fn orders(db: impl PgExecutor<'_>) -> Result<Vec<InForce>> {
    let rows: Vec<(String, i32, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT o.scope, o.percent, o.set_at, coalesce(u.name || '（' || u.login || '）', o.set_by)
             FROM limit_orders o LEFT JOIN console_users u ON 'console:' || u.login = o.set_by
             ORDER BY o.scope <> 'city', o.scope",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(scope, percent, set_at, set_by)| {
            Some(InForce { order: stored(&scope, percent)?, set_at, set_by })
        })
        .collect())
}

/// Gives an order (replacing the one over the same scope) or lifts it (`None`), audited, and
/// sends it to every desk, in one transaction. The caller has checked the share and that the
/// actor may order over this scope.
pub async fn give(pool: &PgPool, actor: &Actor, district: Option<District>, order: Option<Order>) -> Result<()> {
    let now = Utc::now();
    let scope = scope_key(district);
    let mut tx = pool.begin().await?;
    match order {
        Some(o) => {
            sqlx::query(
                "INSERT INTO limit_orders (scope, percent, set_at, set_by) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (scope) DO UPDATE SET percent = EXCLUDED.percent, set_at = EXCLUDED.set_at,
                    set_by = EXCLUDED.set_by",
            )
            .bind(scope)
            .bind(i32::try_from(o.percent).unwrap_or(100))
            .bind(now)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM limit_orders WHERE scope = $1").bind(scope).execute(&mut *tx).await?;
        }
    }
    let body = LimitOrderBody { district, percent: order.map(|o| o.percent), at: now };
    crate::pull::append(&mut tx, ChangeKind::LimitOrder, None, None, &body).await?;
    let action = if order.is_some() { "limit_order" } else { "limit_order_lifted" };
    let params = serde_json::json!({ "scope": scope, "percent": order.map(|o| o.percent) });
    audit::write(&mut *tx, actor, action, params, 0).await?;
    tx.commit().await?;
    Ok(())
}

/// The limit in force at a venue of `district` with its own limit `own`: lowered by the orders
/// over it.
pub fn in_force(own: Limit, district: Option<District>, orders: &[Order]) -> Limit {
    own.under(district.and_then(|d| Order::strictest(orders, d)))
}

/// How long a place stays held for a phone whose check-in was let past the limit, unless it is
/// stored (or refused) sooner.
pub const HOLD_SECS: i32 = 60;

/// What the door decided at a venue with a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtDoor {
    /// Let in; a place is held for the phone until [`release`] (`held`), or the phone's own
    /// person is inside already (scanned again: not turned away, as at the desk).
    In { held: bool },
    /// At the limit in force: the phone waits.
    Full { inside: u32, max: u32 },
}

/// Who is inside a venue with its own limit `own`, the places held for phones other than
/// `phone`, whether `phone`'s people are inside already, and the orders in force.
struct Counted {
    inside: u32,
    held: u32,
    already: bool,
    orders: Vec<Order>,
}

async fn counted(db: impl PgExecutor<'_>, venue: Uuid, own: Limit, phone: Option<Uuid>) -> Result<Counted> {
    let (inside, held, already, scopes, percents): (i64, i64, bool, Vec<String>, Vec<i32>) = sqlx::query_as(
        "SELECT placecode_inside($1, now(), $2),
                (SELECT count(*) FROM door_holds WHERE venue_id = $1 AND phone_id IS DISTINCT FROM $3 AND until > now()),
                EXISTS (SELECT 1 FROM visits x JOIN phone_people pp ON pp.person_id = x.person_id
                         WHERE pp.phone_id = $3 AND x.venue_id = $1 AND x.at > now() - make_interval(mins => $2)
                           AND x.at <= now() AND x.left_at IS NULL AND x.colour = 'green'),
                coalesce((SELECT array_agg(scope ORDER BY scope) FROM limit_orders), '{}'),
                coalesce((SELECT array_agg(percent ORDER BY scope) FROM limit_orders), '{}')",
    )
    .bind(venue)
    .bind(i32::try_from(own.stay_minutes).unwrap_or(i32::MAX))
    .bind(phone)
    .fetch_one(db)
    .await?;
    Ok(Counted {
        inside: u32::try_from(inside).unwrap_or(u32::MAX),
        held: u32::try_from(held).unwrap_or(u32::MAX),
        already,
        orders: scopes.iter().zip(percents).filter_map(|(scope, p)| stored(scope, p)).collect(),
    })
}

/// Whether a venue with its own limit `own` is full now (for the page a phone opens: said before
/// the form is filled in): `Some((inside, max))` when it is.
pub async fn full_now(
    pool: &PgPool,
    venue: Uuid,
    district: Option<District>,
    own: Limit,
) -> Result<Option<(u32, u32)>> {
    let c = counted(pool, venue, own, None).await?;
    let limit = in_force(own, district, &c.orders);
    Ok((!limit.admits(c.inside.saturating_add(c.held))).then(|| (c.inside, limit.max_inside())))
}

/// Decides at the door of a venue with its own limit `own`: counts who is inside (and the places
/// held for other phones) against the limit in force, under a lock per venue, and holds a place
/// for `phone` when it may come in.
pub async fn at_door(
    pool: &PgPool,
    venue: Uuid,
    district: Option<District>,
    own: Limit,
    phone: Uuid,
) -> Result<AtDoor> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 23))").bind(venue).execute(&mut *tx).await?;
    let c = counted(&mut *tx, venue, own, Some(phone)).await?;
    if c.already {
        tx.commit().await?;
        return Ok(AtDoor::In { held: false });
    }
    let limit = in_force(own, district, &c.orders);
    if !limit.admits(c.inside.saturating_add(c.held)) {
        tx.commit().await?;
        return Ok(AtDoor::Full { inside: c.inside, max: limit.max_inside() });
    }
    sqlx::query(
        "INSERT INTO door_holds (venue_id, phone_id, until) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (venue_id, phone_id) DO UPDATE SET until = EXCLUDED.until",
    )
    .bind(venue)
    .bind(phone)
    .bind(f64::from(HOLD_SECS))
    .execute(&mut *tx)
    .await?;
    // Expired holds of the venue go while its lock is held.
    sqlx::query("DELETE FROM door_holds WHERE venue_id = $1 AND until <= now()").bind(venue).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(AtDoor::In { held: true })
}

/// Gives back the place held for `phone` once its check-in is stored (it counts as inside from
/// then) or refused.
pub async fn release(pool: &PgPool, venue: Uuid, phone: Uuid) -> Result<()> {
    sqlx::query("DELETE FROM door_holds WHERE venue_id = $1 AND phone_id = $2")
        .bind(venue)
        .bind(phone)
        .execute(pool)
        .await?;
    Ok(())
}
