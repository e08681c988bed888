//! 场内人数与限流 (#18): for a district's or the city's supervisors, how many are inside each
//! venue now against the limit in force, the venues at their limit first; and the 限流令 they
//! give over their district (the city's supervisors: over a district or the whole city), which
//! every desk pulls and the phone page keeps.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use placecode_core::occupancy::{Limit, Order, STAY_DEFAULT_MINUTES};
use placecode_core::venue::{Category, District};
use sqlx::PgPool;
use uuid::Uuid;

use super::text as t;
use super::{message, render, see_other, Chrome, Session};
use crate::audit;
use crate::error::{CentralError, Result};
use crate::occupancy::{self as rule, InForce};
use crate::App;

/// Venues the page lists (the fullest first); the counts above it cover them all.
pub const SHOWN: usize = 500;

/// One venue now.
#[derive(Debug, Clone)]
pub struct VenueNow {
    pub id: Uuid,
    pub district: &'static str,
    pub category: &'static str,
    pub name: String,
    pub capacity: Option<u32>,
    /// The venue's own share (its desk's 限流).
    pub own: Option<u32>,
    /// The share in force (its own, lowered by an order).
    pub percent: Option<u32>,
    pub max_inside: Option<u32>,
    pub inside: u32,
    /// Inside as a share of the limit in force (percent).
    pub fill: Option<u32>,
    /// An order covers it but its desk has not said its capacity.
    pub no_capacity: bool,
}

impl VenueNow {
    pub fn full(&self) -> bool {
        self.max_inside.is_some_and(|m| self.inside >= m)
    }
}

/// The page's counts, over every venue of the scope.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub inside: u64,
    pub venues: usize,
    pub full: usize,
    pub no_capacity: usize,
}

type Row = (Uuid, String, String, String, Option<i32>, Option<i32>, Option<i32>, i64);

/// The venues of `district` (all: `None`) with a limit or with a check-in in the last day, each
/// with how many are inside at `now` (`placecode_inside`, the phone page's count).
pub async fn venues(
    db: &PgPool,
    district: Option<District>,
    orders: &[Order],
    now: DateTime<Utc>,
) -> Result<(Vec<VenueNow>, Totals)> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT v.id, v.district, v.category, v.name, v.capacity, v.limit_percent, v.stay_minutes,
                placecode_inside(v.id, $2, coalesce(v.stay_minutes, $3))
         FROM venues v
         WHERE v.status = 'approved' AND ($1::text IS NULL OR v.district = $1)
           AND (v.capacity IS NOT NULL
                OR EXISTS (SELECT 1 FROM venue_seen s WHERE s.venue_id = v.id AND s.last_at > $2 - interval '1 day')
                OR EXISTS (SELECT 1 FROM venue_seen_new s WHERE s.venue_id = v.id))",
    )
    .bind(district.map(District::key))
    .bind(now)
    .bind(i32::try_from(STAY_DEFAULT_MINUTES).unwrap_or(180))
    .fetch_all(db)
    .await?;
    let mut totals = Totals::default();
    let mut list: Vec<VenueNow> = rows
        .into_iter()
        .map(|(id, d, c, name, capacity, percent, stay, inside)| {
            let district = District::parse(&d);
            let own = match (capacity, percent, stay) {
                (Some(c), Some(p), Some(s)) => Limit::checked(c.into(), p.into(), s.into()).ok(),
                _ => None,
            };
            let ordered = district.and_then(|d| Order::strictest(orders, d));
            let force = own.map(|l| l.under(ordered));
            let inside = u32::try_from(inside).unwrap_or(u32::MAX);
            let max_inside = force.map(|l| l.max_inside());
            VenueNow {
                id,
                district: district.map_or("", District::label),
                category: Category::parse(&c).map_or("", Category::label),
                name,
                capacity: own.map(|l| l.capacity),
                own: own.map(|l| l.percent),
                percent: force.map(|l| l.percent),
                max_inside,
                inside,
                fill: max_inside
                    .map(|m| u32::try_from(u64::from(inside) * 100 / u64::from(m.max(1))).unwrap_or(u32::MAX)),
                no_capacity: own.is_none() && ordered.is_some(),
            }
        })
        .collect();
    for v in &list {
        totals.inside += u64::from(v.inside);
        totals.full += usize::from(v.full());
        totals.no_capacity += usize::from(v.no_capacity);
    }
    totals.venues = list.len();
    // The fullest first; then the most people; then by name.
    list.sort_by(|a, b| b.fill.cmp(&a.fill).then(b.inside.cmp(&a.inside)).then(a.name.cmp(&b.name)));
    list.truncate(SHOWN);
    Ok((list, totals))
}

/// The orders a supervisor sees: the city's and their district's (the city's supervisors: all).
fn seen(all: Vec<InForce>, own: Option<District>) -> Vec<InForce> {
    all.into_iter().filter(|o| own.is_none() || o.order.district.is_none() || o.order.district == own).collect()
}

/// Whether a supervisor may give or lift the order over `scope` (a key `Order::parse_scope`
/// takes): a district's supervisor, only their district's own order over itself; the city's,
/// any (the city's over the whole city or a district, and a district's own). `Err` with the
/// reason otherwise.
fn may_order(role_district: Option<District>, scope: &str) -> std::result::Result<(), &'static str> {
    let (district, by_city) = Order::parse_scope(scope).ok_or(t::ORDER_BAD_SCOPE)?;
    match role_district {
        None => Ok(()),
        Some(own) if district == Some(own) && !by_city => Ok(()),
        Some(_) => Err(t::ORDER_NOT_YOURS),
    }
}

/// How the console names an order's scope: 全市, a district's own, or the city's over it.
fn scope_label(o: &Order) -> String {
    match (o.district, o.by_city) {
        (None, _) => t::ORDER_CITY.to_owned(),
        (Some(d), true) => format!("{}{}", d.label(), t::ORDER_BY_CITY),
        (Some(d), false) => format!("{}{}", d.label(), t::ORDER_BY_DISTRICT),
    }
}

struct OrderRow {
    scope: String,
    label: String,
    percent: u32,
    set_at: String,
    set_by: String,
    /// This supervisor may lift it.
    mine: bool,
}

#[derive(Template)]
#[template(path = "console/occupancy.html")]
struct OccupancyPage<'a> {
    chrome: Chrome<'a>,
    t: &'static t::OccupancyText,
    done: Option<&'static str>,
    error: Option<&'a str>,
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    /// (scope key, label) a new order may cover.
    scopes: Vec<(String, &'static str)>,
    orders: Vec<OrderRow>,
    venues: Vec<VenueNow>,
    totals: Totals,
    now: String,
}

async fn page(
    app: &App,
    status: StatusCode,
    session: &Session,
    district: Option<District>,
    done: Option<&'static str>,
    error: Option<&str>,
) -> Response {
    let role_district = session.user.role.supervises().flatten();
    let now = Utc::now();
    let loaded = async {
        let orders = seen(rule::orders(&app.pool).await?, role_district);
        let plain: Vec<Order> = orders.iter().map(|o| o.order).collect();
        let (venues, totals) = venues(&app.reads, district, &plain, now).await?;
        Ok::<_, CentralError>((orders, venues, totals))
    };
    let (orders, venues, totals) = match loaded.await {
        Ok(l) => l,
        Err(e) => return super::server_error(app, Some(session), e),
    };
    let tz = placecode_core::checkin::shanghai();
    // A district orders over itself; the city over the whole city or a district (kept apart
    // from the district's own order).
    let scopes = match role_district {
        Some(d) => vec![(Order::scope_of(Some(d), false), d.label())],
        None => std::iter::once((Order::scope_of(None, true), t::ORDER_CITY))
            .chain(District::ALL.iter().map(|d| (Order::scope_of(Some(*d), true), d.label())))
            .collect(),
    };
    let orders = orders
        .into_iter()
        .map(|o| OrderRow {
            scope: o.order.scope(),
            label: scope_label(&o.order),
            percent: o.order.percent,
            set_at: o.set_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            set_by: o.set_by,
            mine: may_order(role_district, &o.order.scope()).is_ok(),
        })
        .collect();
    let p = OccupancyPage {
        chrome: Chrome::new(app, t::OCCUPANCY_TITLE, Some(session), "/console/occupancy"),
        t: &t::OCCUPANCY_TEXT,
        done,
        error,
        districts: super::district_choices(&session.user, district),
        scopes,
        orders,
        venues,
        totals,
        now: now.with_timezone(&tz).format("%H:%M").to_string(),
    };
    render(app, status, &p.chrome.nonce, p.render())
}

pub async fn show(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervised_view(&app, peer, &headers, &q, "console_occupancy").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let done = if q.contains_key("ordered") {
        Some(t::ORDER_DONE)
    } else if q.contains_key("lifted") {
        Some(t::ORDER_LIFTED)
    } else {
        None
    };
    page(&app, StatusCode::OK, &session, district, done, None).await
}

/// 下达 or 解除 a 限流令 (`lift` set: lift the order over `scope`).
pub async fn order(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, district, f) = match super::supervised_form(&app, &headers, &body).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let role_district = session.user.role.supervises().flatten();
    let actor = session.user.actor(&app.client(peer, &headers), "");
    let (scope, lift) = (get("scope"), get("lift") == "1");
    if let Err(reason) = may_order(role_district, scope) {
        // Kept, as a refused trace is: someone tried to order beyond their district, or over a
        // scope that is none (a hand-made form).
        let shown: String = scope.chars().take(40).collect();
        let params = serde_json::json!({ "scope": shown, "lift": lift, "reason": reason });
        if let Err(e) = audit::write(&app.pool, &actor, "limit_order_refused", params, 0).await {
            return super::server_error(&app, Some(&session), e);
        }
        return if reason == t::ORDER_NOT_YOURS {
            message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, reason)
        } else {
            page(&app, StatusCode::BAD_REQUEST, &session, district, None, Some(reason)).await
        };
    }
    if lift {
        return match rule::lift(&app.pool, &actor, scope).await {
            Ok(true) => see_other("/console/occupancy?lifted", None),
            Ok(false) => page(&app, StatusCode::BAD_REQUEST, &session, district, None, Some(t::ORDER_NONE)).await,
            Err(e) => super::server_error(&app, Some(&session), e),
        };
    }
    let typed = placecode_core::normalize::compact(get("percent"));
    let percent = typed.trim_end_matches(['%', '％']).parse::<i64>().unwrap_or(0);
    let order = match Order::checked(scope, percent) {
        Ok(o) => o,
        Err(e) => {
            let reason = e.to_string();
            return page(&app, StatusCode::BAD_REQUEST, &session, district, None, Some(&reason)).await;
        }
    };
    match rule::give(&app.pool, &actor, order).await {
        Ok(()) => see_other("/console/occupancy?ordered", None),
        Err(e) => super::server_error(&app, Some(&session), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_district_orders_only_over_itself_and_the_city_over_any() {
        use District::Gulou;
        assert_eq!(may_order(Some(Gulou), "gulou"), Ok(()));
        assert_eq!(may_order(Some(Gulou), "longting"), Err(t::ORDER_NOT_YOURS));
        assert_eq!(may_order(Some(Gulou), "city"), Err(t::ORDER_NOT_YOURS));
        // The city's order over 鼓楼区 is not 鼓楼区's to loosen or lift.
        assert_eq!(may_order(Some(Gulou), "city:gulou"), Err(t::ORDER_NOT_YOURS));
        for scope in ["city", "city:longting", "longting", "gulou"] {
            assert_eq!(may_order(None, scope), Ok(()), "{scope}");
        }
        // Only a key, exactly: not a label, not a near miss, not markup.
        for bad in ["", "鼓楼区", "GULOU", "gulou ", "<b>", "city;drop", "city:", &"x".repeat(10_000)] {
            assert_eq!(may_order(None, bad), Err(t::ORDER_BAD_SCOPE), "{bad:?}");
        }
    }
}
