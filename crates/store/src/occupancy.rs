//! Occupancy and 限流 at the desk: a venue's limit, how many are inside now (in total and per
//! entrance), 离场, and the limit kept at the door (the core's rule, `placecode_core::occupancy`).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{get, rfc3339, Store};
use crate::error::{Error, Result};
use placecode_core::occupancy::{Limit, Order};
use placecode_core::sync::{Body, DepartureBody, LimitOrderBody, VenueLimitBody};
use placecode_core::venue::District;
use rusqlite::TransactionBehavior;

/// How many are inside at one entrance (its code's label; 登记台 for check-ins with no code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EntranceCount {
    pub label: String,
    pub inside: u32,
}

/// A venue's occupancy now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Occupancy {
    pub venue_id: String,
    pub inside: u32,
    pub entrances: Vec<EntranceCount>,
    /// The venue's limit as its administrator set it, if it has one.
    pub limit: Option<Limit>,
    /// The strictest 限流令 from the centre over the venue (a share of its capacity), if any.
    pub ordered: Option<u32>,
    /// How many may be inside at once under the limit in force (the venue's own, lowered by an
    /// order). None without a capacity, even under an order.
    pub max_inside: Option<u32>,
    /// No one more may come in now.
    pub full: bool,
}

/// Who left (离场).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckOut {
    pub name_masked: String,
    pub at: String,
    /// How many are inside after they left.
    pub inside: u32,
}

/// The visits that count as inside at `now`: a check-in the door let through (green, or released
/// by staff after checking) within the stay, not closed by a 离场.
const INSIDE: &str = "FROM visits v
    WHERE v.venue_id = ?1 AND v.at > ?2 AND v.at <= ?3 AND v.left_at IS NULL
      AND (v.colour = 'green'
           OR EXISTS (SELECT 1 FROM incidents i WHERE i.visit_id = v.id AND i.status = 'released'))";

/// The stay when a venue has no limit: people who never check out leave after it.
fn stay_of(limit: Option<&Limit>) -> chrono::Duration {
    chrono::Duration::minutes(i64::from(
        limit.map_or(placecode_core::occupancy::STAY_DEFAULT_MINUTES, |l| l.stay_minutes),
    ))
}

pub(crate) fn limit_of(conn: &Connection, venue_id: &str) -> Result<Option<Limit>> {
    Ok(conn
        .query_row("SELECT capacity, percent, stay_minutes FROM venue_limits WHERE venue_id = ?1", [venue_id], |r| {
            Ok(Limit { capacity: r.get(0)?, percent: r.get(1)?, stay_minutes: r.get(2)? })
        })
        .optional()?)
}

/// Keeps a 限流令 pulled from the centre (or drops it when lifted). One order per scope (the
/// city's over a district apart from the district's own): the latest.
pub(crate) fn apply_order(conn: &Connection, o: &LimitOrderBody) -> Result<()> {
    let scope = Order::scope_of(o.district, o.by_city);
    match o.percent.map(|p| Order::checked(&scope, p.into())) {
        Some(Ok(order)) => conn.execute(
            "INSERT INTO limit_orders (scope, percent, set_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (scope) DO UPDATE SET percent = excluded.percent, set_at = excluded.set_at",
            params![scope, order.percent, rfc3339(o.at)],
        )?,
        // Lifted, or a share out of range (refused whole rather than half-kept).
        _ => conn.execute("DELETE FROM limit_orders WHERE scope = ?1", [scope])?,
    };
    Ok(())
}

/// The strictest order over `venue_id` (by its district), if any.
fn ordered(conn: &Connection, venue_id: &str) -> Result<Option<u32>> {
    let district: Option<String> =
        conn.query_row("SELECT district FROM venues WHERE id = ?1", [venue_id], |r| r.get(0)).optional()?;
    let Some(district) = district.as_deref().and_then(District::parse) else { return Ok(None) };
    let mut stmt = conn.prepare("SELECT scope, percent FROM limit_orders")?;
    let orders = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter_map(|(scope, p)| Order::checked(&scope, p).ok())
        .collect::<Vec<_>>();
    Ok(Order::strictest(&orders, district))
}

/// The limit in force at `venue_id`: its own, lowered by any order over it.
pub(crate) fn in_force(conn: &Connection, venue_id: &str) -> Result<Option<Limit>> {
    let Some(own) = limit_of(conn, venue_id)? else { return Ok(None) };
    Ok(Some(own.under(ordered(conn, venue_id)?)))
}

/// How many are inside `venue_id` at `now`.
pub(crate) fn inside(conn: &Connection, venue_id: &str, limit: Option<&Limit>, now: DateTime<Utc>) -> Result<u32> {
    let since = now - stay_of(limit);
    let n: i64 = conn.query_row(
        &format!("SELECT count(DISTINCT v.person_id) {INSIDE}"),
        params![venue_id, rfc3339(since), rfc3339(now)],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// At the door: a person let in (green) when the venue is at its limit waits, unless they are
/// already inside (a repeat scan). Nothing is recorded for them.
pub(crate) fn keep_limit(conn: &Connection, venue_id: &str, person_id: &str, now: DateTime<Utc>) -> Result<()> {
    let Some(limit) = in_force(conn, venue_id)? else { return Ok(()) };
    let since = now - stay_of(Some(&limit));
    let already: bool = conn.query_row(
        &format!("SELECT EXISTS (SELECT 1 {INSIDE} AND v.person_id = ?4)"),
        params![venue_id, rfc3339(since), rfc3339(now), person_id],
        |r| r.get(0),
    )?;
    let n = inside(conn, venue_id, Some(&limit), now)?;
    if already || limit.admits(n) {
        return Ok(());
    }
    Err(Error::invalid(
        "occupancy",
        format!("已达限流人数（场内{n}人，限{}人）：请来客稍候，有人离场后再登记", limit.max_inside()),
    ))
}

impl Store {
    /// A venue's limit (限流), if it has one.
    pub fn venue_limit(&self, venue_id: &str) -> Result<Option<Limit>> {
        get(&self.conn, venue_id)?;
        limit_of(&self.conn, venue_id)
    }

    /// Sets a venue's limit (capacity, the share allowed in, the stay after which people leave by
    /// themselves), or removes it (`None`). Each field is checked with its reason.
    pub fn set_venue_limit(&mut self, venue_id: &str, limit: Option<(i64, i64, i64)>) -> Result<Option<Limit>> {
        get(&self.conn, venue_id)?;
        let limit = limit.map(|(capacity, percent, stay)| Limit::checked(capacity, percent, stay)).transpose()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match limit {
            None => {
                tx.execute("DELETE FROM venue_limits WHERE venue_id = ?1", [venue_id])?;
            }
            Some(l) => {
                tx.execute(
                    "INSERT INTO venue_limits (venue_id, capacity, percent, stay_minutes, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (venue_id) DO UPDATE SET capacity = excluded.capacity, percent = excluded.percent,
                        stay_minutes = excluded.stay_minutes, updated_at = excluded.updated_at",
                    params![venue_id, l.capacity, l.percent, l.stay_minutes, super::now()],
                )?;
            }
        }
        // The centre keeps the same limit for the venue's phone page.
        let body = VenueLimitBody { venue_id: venue_id.to_owned(), limit };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::VenueLimit(body))?;
        tx.commit()?;
        Ok(limit)
    }

    /// How many are inside a venue at `now`, in total and per entrance, against its limit.
    pub fn occupancy(&self, venue_id: &str, now: DateTime<Utc>) -> Result<Occupancy> {
        get(&self.conn, venue_id)?;
        let limit = limit_of(&self.conn, venue_id)?;
        let ordered = ordered(&self.conn, venue_id)?;
        let force = limit.map(|l| l.under(ordered));
        let since = now - stay_of(limit.as_ref());
        let inside = inside(&self.conn, venue_id, limit.as_ref(), now)?;
        // Each person at the entrance of their latest check-in.
        let mut stmt = self.conn.prepare(&format!(
            "SELECT coalesce(c.label, ''), count(*) FROM (
                SELECT v.person_id, v.code, max(v.at) {INSIDE} GROUP BY v.person_id) p
             LEFT JOIN codes c ON c.code = p.code
             GROUP BY 1 ORDER BY 2 DESC, 1"
        ))?;
        let entrances = stmt
            .query_map(params![venue_id, rfc3339(since), rfc3339(now)], |r| {
                Ok(EntranceCount { label: r.get(0)?, inside: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(0) })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|e| if e.label.is_empty() { EntranceCount { label: DESK_ENTRANCE.into(), ..e } } else { e })
            .collect();
        Ok(Occupancy {
            venue_id: venue_id.to_owned(),
            inside,
            entrances,
            max_inside: force.map(|l| l.max_inside()),
            full: force.is_some_and(|l| !l.admits(inside)),
            limit,
            ordered,
        })
    }

    /// 离场 at the desk: the person (a full document number, or the last four of someone inside)
    /// leaves `venue_id`; every open check-in of theirs there is closed.
    pub fn check_out(&mut self, venue_id: &str, raw: &str, now: DateTime<Utc>) -> Result<CheckOut> {
        get(&self.conn, venue_id)?;
        let (column, typed) = match leaving_query(raw, now)? {
            Leaving::Last4(last4) => ("p.last4", last4),
            Leaving::Whole(number) => ("p.id_number", number),
        };
        let limit = limit_of(&self.conn, venue_id)?;
        let since = now - stay_of(limit.as_ref());
        let found = {
            // Each person inside once, with the name of their latest check-in.
            let mut stmt = self.conn.prepare(&format!(
                "SELECT p.id, {} FROM people p JOIN visits v ON v.person_id = p.id
                 WHERE {column} = ?4 AND v.id IN (SELECT v.id {INSIDE}) ORDER BY v.at DESC",
                crate::visit_name!()
            ))?;
            let rows = stmt.query_map(params![venue_id, rfc3339(since), rfc3339(now), typed], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut found: Vec<(String, String)> = Vec::new();
            for row in rows {
                let (person, name) = row?;
                if !found.iter().any(|(p, _)| *p == person) {
                    found.push((person, name));
                }
            }
            found
        };
        let (person, name) = match found.as_slice() {
            [one] => one.clone(),
            [] => return Err(Error::invalid("query", "场内没有这位来客（未登记入场、已离场或已超过停留时间）")),
            many => {
                return Err(Error::invalid(
                    "query",
                    format!("场内有{}人证件后四位相同，请输入完整证件号码", many.len()),
                ))
            }
        };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let closed = {
            let mut stmt = tx.prepare(
                "UPDATE visits SET left_at = ?3 WHERE venue_id = ?1 AND person_id = ?2 AND left_at IS NULL
                 RETURNING id",
            )?;
            let ids = stmt.query_map(params![venue_id, person, rfc3339(now)], |r| r.get::<_, String>(0))?;
            ids.collect::<rusqlite::Result<Vec<String>>>()?
        };
        // The centre closes the same check-ins (the newest, if there were ever more than a record
        // carries), so the phone page counts the same people inside.
        let mut visit_ids = closed;
        visit_ids.sort_unstable_by(|a, b| b.cmp(a));
        visit_ids.truncate(placecode_core::sync::DEPARTURE_VISITS_MAX);
        let body = DepartureBody { venue_id: venue_id.to_owned(), visit_ids, at: now };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::Departure(body))?;
        tx.commit()?;
        Ok(CheckOut {
            name_masked: placecode_core::mask::name(&name),
            at: rfc3339(now),
            inside: inside(&self.conn, venue_id, limit.as_ref(), now)?,
        })
    }
}

/// What is typed at 离场.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaving {
    /// The last four of someone inside (今日登记 shows everyone's).
    Last4(String),
    /// A whole document number, checked as the door checks it.
    Whole(String),
}

/// What is typed at 离场, read by one rule for the store and the desk's limit on guessing: four
/// characters are the last four; a whole number is checked as the door checks it (its kind told
/// by its shape, the check character verified), so a typo is said to be one (a clerk was told
/// "not inside"); anything else is refused naming the field.
pub fn leaving_query(raw: &str, now: DateTime<Utc>) -> Result<Leaving> {
    let typed = placecode_core::normalize::compact(raw).to_uppercase();
    match typed.chars().count() {
        0 => Err(Error::invalid("query", "请输入证件号码或后四位")),
        41.. => Err(Error::invalid("query", "证件号码过长")),
        4 => Ok(Leaving::Last4(typed)),
        1..=3 => Err(Error::invalid("query", "请输入完整证件号码或证件号码后四位")),
        _ => placecode_core::identity::detect(&typed, placecode_core::sync::shanghai_date(now))
            .map(|d| Leaving::Whole(d.number))
            .map_err(|m| Error::invalid("query", format!("证件号码：{m}"))),
    }
}

/// The entrance of check-ins made at the desk without a code.
pub const DESK_ENTRANCE: &str = "登记台";

/// One entrance now: check-ins per minute over the last [`queue::WINDOW_MINUTES`] and how many
/// are inside who came in by it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EntranceRate {
    pub label: String,
    pub per_minute: f64,
    pub inside: u32,
}

/// Check-ins in one quarter hour of the day (local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Quarter {
    /// "08:15".
    pub start: String,
    pub check_ins: u32,
}

/// 现场情况: the queue at the venue this desk serves, live.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueView {
    pub entrances: Vec<EntranceRate>,
    pub inside: u32,
    /// The time each check-in at this desk took today (seconds): median and 95th percentile.
    pub desk_median_secs: Option<u32>,
    pub desk_p95_secs: Option<u32>,
    /// This desk's check-ins per minute lately, and the share of the time it was busy.
    pub desk_per_minute: f64,
    pub desk_busy_share: f64,
    /// Busy nearly all the time: people are likely queuing; open another lane.
    pub open_another_lane: bool,
    /// Today's check-ins (every entrance, phones included) in quarter hours, from the first.
    pub day: Vec<Quarter>,
}

use placecode_core::occupancy::queue;

impl Store {
    /// 现场情况 of `venue_id` at `now`: per entrance, this desk's pace, the day in quarter hours.
    pub fn queue(&self, venue_id: &str, now: DateTime<Utc>) -> Result<QueueView> {
        let occupancy = self.occupancy(venue_id, now)?;
        let (day_start, _) = super::visits::day_bounds(now.with_timezone(&super::shanghai()).date_naive())?;
        let window = now - chrono::Duration::minutes(queue::WINDOW_MINUTES);
        let mut stmt = self.conn.prepare(
            "SELECT v.at, coalesce(c.label, ''), v.operator_id IS NOT NULL FROM visits v LEFT JOIN codes c ON c.code = v.code
             WHERE v.venue_id = ?1 AND v.at >= ?2 AND v.at <= ?3 ORDER BY v.at",
        )?;
        let rows = stmt
            .query_map(params![venue_id, rfc3339(day_start), rfc3339(now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let rows: Vec<(DateTime<Utc>, String, bool)> = rows
            .into_iter()
            .filter_map(|(at, label, desk)| {
                let at = DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc);
                Some((at, if label.is_empty() { DESK_ENTRANCE.to_owned() } else { label }, desk))
            })
            .collect();
        let desk_times: Vec<DateTime<Utc>> = rows.iter().filter(|r| r.2).map(|r| r.0).collect();
        let gaps = queue::service_times(&desk_times);
        let median = queue::percentile(&gaps, 50);
        let recent = desk_times.iter().filter(|t| **t > window).count();
        let load = queue::load(recent, median);
        let mut entrances: Vec<EntranceRate> = Vec::new();
        for (_, label, _) in rows.iter().filter(|r| r.0 > window) {
            match entrances.iter_mut().find(|e| &e.label == label) {
                Some(e) => e.per_minute += 1.0,
                None => entrances.push(EntranceRate { label: label.clone(), per_minute: 1.0, inside: 0 }),
            }
        }
        for e in &mut entrances {
            e.per_minute /= queue::WINDOW_MINUTES as f64;
        }
        for o in &occupancy.entrances {
            match entrances.iter_mut().find(|e| e.label == o.label) {
                Some(e) => e.inside = o.inside,
                None => entrances.push(EntranceRate { label: o.label.clone(), per_minute: 0.0, inside: o.inside }),
            }
        }
        // Quarter hours from the first check-in of the day to now, the empty ones included.
        let quarter = |t: DateTime<Utc>| {
            use chrono::Timelike;
            let l = t.with_timezone(&super::shanghai());
            (l.hour() * 60 + l.minute()) / 15
        };
        let mut counts = [0u32; 96];
        for (at, _, _) in &rows {
            if let Some(c) = counts.get_mut(quarter(*at) as usize) {
                *c += 1;
            }
        }
        let first = rows.first().map_or(quarter(now), |r| quarter(r.0));
        let day = (first..=quarter(now).max(first))
            .map(|q| Quarter {
                start: format!("{:02}:{:02}", q / 4, q % 4 * 15),
                check_ins: counts.get(q as usize).copied().unwrap_or(0),
            })
            .collect();
        let secs = |v: Option<i64>| v.and_then(|s| u32::try_from(s).ok());
        Ok(QueueView {
            entrances,
            inside: occupancy.inside,
            desk_median_secs: secs(median),
            desk_p95_secs: secs(queue::percentile(&gaps, 95)),
            desk_per_minute: load.per_minute,
            desk_busy_share: load.busy_share,
            open_another_lane: load.open_another_lane,
            day,
        })
    }
}
