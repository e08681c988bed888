//! Occupancy and 限流 at the centre: the 限流令 a district's or the city's office gives (kept in
//! `limit_orders`, sent to every desk as a change), the limit in force at a venue (the core's
//! `occupancy::Limit::under`, the desk's rule), and how many are inside (the SQL function
//! `placecode_inside`, migrations 0023 and 0024: greens, and people let go with a recorded
//! decision). The phone page keeps the limit; the console shows it.

use chrono::{DateTime, Utc};
use placecode_core::occupancy::{Limit, Order};
use placecode_core::sync::{ChangeKind, LimitOrderBody};
use placecode_core::venue::District;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::error::Result;

/// An order in force, as the console lists it.
#[derive(Debug, Clone)]
pub struct InForce {
    pub order: Order,
    pub set_at: DateTime<Utc>,
    /// Who gave it: the console user's name and login.
    pub set_by: String,
}

/// Every order in force: over the city, and over each district by the city and by itself.
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
            Some(InForce { order: Order::checked(&scope, percent.into()).ok()?, set_at, set_by })
        })
        .collect())
}

/// Gives `order` (replacing the one over the same scope), audited, and sends it to every desk,
/// in one transaction. The caller has checked that the actor may order over its scope.
pub async fn give(pool: &PgPool, actor: &Actor, order: Order) -> Result<()> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO limit_orders (scope, percent, set_at, set_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope) DO UPDATE SET percent = EXCLUDED.percent, set_at = EXCLUDED.set_at,
            set_by = EXCLUDED.set_by",
    )
    .bind(order.scope())
    .bind(i32::try_from(order.percent).unwrap_or(100))
    .bind(now)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    let body =
        LimitOrderBody { district: order.district, by_city: order.by_city, percent: Some(order.percent), at: now };
    crate::pull::append(&mut tx, ChangeKind::LimitOrder, None, None, &body).await?;
    let params = serde_json::json!({ "scope": order.scope(), "percent": order.percent });
    audit::write(&mut *tx, actor, "limit_order", params, 0).await?;
    tx.commit().await?;
    Ok(())
}

/// Lifts the order over `scope` (a key `Order::parse_scope` takes), audited, and tells every
/// desk; false when there was none (nothing written).
pub async fn lift(pool: &PgPool, actor: &Actor, scope: &str) -> Result<bool> {
    let Some((district, by_city)) = Order::parse_scope(scope) else { return Ok(false) };
    let mut tx = pool.begin().await?;
    let gone = sqlx::query("DELETE FROM limit_orders WHERE scope = $1").bind(scope).execute(&mut *tx).await?;
    if gone.rows_affected() == 0 {
        return Ok(false);
    }
    let body = LimitOrderBody { district, by_city, percent: None, at: Utc::now() };
    crate::pull::append(&mut tx, ChangeKind::LimitOrder, None, None, &body).await?;
    audit::write(&mut *tx, actor, "limit_order_lifted", serde_json::json!({ "scope": scope }), 0).await?;
    tx.commit().await?;
    Ok(true)
}

/// The limit in force at a venue of `district` with its own limit `own`: lowered by the orders
/// over it.
pub fn in_force(own: Limit, district: Option<District>, orders: &[Order]) -> Limit {
    own.under(district.and_then(|d| Order::strictest(orders, d)))
}

/// How long places stay held for a phone let past the limit, unless its check-in is stored (or
/// refused) sooner.
pub const HOLD_SECS: i32 = 60;

/// Who a phone is checking in.
#[derive(Debug, Clone, Copy)]
pub enum Coming<'a> {
    /// Someone declared for the first time on this phone: one place.
    New,
    /// People the phone holds (their ids on file): a place each, but none for those inside.
    Known(&'a [i64]),
}

/// What the door decided at a venue with a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtDoor {
    /// Let in; places are held for this form until [`release`] (`hold`), or all its people are
    /// inside already (scanned again: not turned away, as at the desk).
    In { hold: Option<Uuid> },
    /// At the limit in force: the phone waits.
    Full { inside: u32, max: u32 },
}

/// Who is inside a venue with its own limit `own`, the places held for forms on their way in
/// (every phone's, this one's other forms too), how many of `people` are inside already, and the
/// orders in force. Counted on the database's clock as the statement runs (a lock may have been
/// waited for).
struct Counted {
    inside: u32,
    held: u32,
    of_them_inside: u32,
    orders: Vec<Order>,
}

async fn counted(db: impl PgExecutor<'_>, venue: Uuid, own: Limit, people: &[i64]) -> Result<Counted> {
    let (inside, held, of_them, scopes, percents): (i64, i64, i64, Vec<String>, Vec<i32>) = sqlx::query_as(
        "SELECT placecode_inside($1, clock_timestamp(), $2),
                (SELECT coalesce(sum(places), 0)::bigint FROM door_holds
                  WHERE venue_id = $1 AND until > clock_timestamp()),
                (SELECT count(DISTINCT person_id) FROM placecode_inside_visits($1, clock_timestamp(), $2)
                  WHERE person_id = ANY($3)),
                coalesce((SELECT array_agg(scope ORDER BY scope) FROM limit_orders), '{}'),
                coalesce((SELECT array_agg(percent ORDER BY scope) FROM limit_orders), '{}')",
    )
    .bind(venue)
    .bind(i32::try_from(own.stay_minutes).unwrap_or(i32::MAX))
    .bind(people)
    .fetch_one(db)
    .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(Counted {
        inside: n(inside),
        held: n(held),
        of_them_inside: n(of_them),
        orders: scopes.iter().zip(percents).filter_map(|(scope, p)| Order::checked(scope, p.into()).ok()).collect(),
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
    let c = counted(pool, venue, own, &[]).await?;
    let limit = in_force(own, district, &c.orders);
    Ok((!limit.admits(c.inside.saturating_add(c.held))).then_some((c.inside, limit.max_inside())))
}

/// Decides at the door of a venue with its own limit `own`, under a lock per venue, for one
/// submitted form: counts who is inside (and the places held for forms on their way in) against
/// the limit in force, and holds a place for each of `coming` not inside yet when there is room
/// for them all.
pub async fn at_door(
    pool: &PgPool,
    venue: Uuid,
    district: Option<District>,
    own: Limit,
    coming: Coming<'_>,
) -> Result<AtDoor> {
    let people: &[i64] = match coming {
        Coming::New => &[],
        Coming::Known(ids) => ids,
    };
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 23))").bind(venue).execute(&mut *tx).await?;
    let c = counted(&mut *tx, venue, own, people).await?;
    let places = match coming {
        Coming::New => 1,
        Coming::Known(ids) => u32::try_from(ids.len()).unwrap_or(u32::MAX).saturating_sub(c.of_them_inside),
    };
    if places == 0 {
        tx.commit().await?;
        return Ok(AtDoor::In { hold: None });
    }
    let limit = in_force(own, district, &c.orders);
    // Room for every one of them, or none comes in (a family waits together).
    let taken = c.inside.saturating_add(c.held).saturating_add(places - 1);
    if !limit.admits(taken) {
        tx.commit().await?;
        return Ok(AtDoor::Full { inside: c.inside, max: limit.max_inside() });
    }
    let hold = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO door_holds (venue_id, id, places, until)
         VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4))",
    )
    .bind(venue)
    .bind(hold)
    .bind(i32::try_from(places).unwrap_or(i32::MAX))
    .bind(f64::from(HOLD_SECS))
    .execute(&mut *tx)
    .await?;
    // Expired holds of the venue go while its lock is held.
    sqlx::query("DELETE FROM door_holds WHERE venue_id = $1 AND until <= clock_timestamp()")
        .bind(venue)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(AtDoor::In { hold: Some(hold) })
}

/// Gives back the places `hold` kept once its form's check-in is stored (they count as inside
/// from then) or refused.
pub async fn release(pool: &PgPool, venue: Uuid, hold: Uuid) -> Result<()> {
    sqlx::query("DELETE FROM door_holds WHERE venue_id = $1 AND id = $2").bind(venue).bind(hold).execute(pool).await?;
    Ok(())
}
