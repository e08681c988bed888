//! The day's visits as the desk lists and exports them: today's list with its counts, another
//! day's, and the workbook (masked, or in full with a recorded reason).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::params;

use super::checkin::{field_err, shown_name, CheckInContext};
use super::{rfc3339, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::shanghai;
use placecode_core::checkin::{self, Helper, TodaySummary, VisitRow, WayIn};
use placecode_core::decision::Colour;
use placecode_core::mask;

/// A Beijing-time day as UTC instants: its start, and the next day's.
pub(super) fn day_bounds(day: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(shanghai()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or(Error::not_found("日期"))?;
    Ok((start, start + Duration::days(1)))
}

/// Who registered the person for them, as lists show it: 登记员, or the guardian masked with
/// the relation ("父亲 张*").
pub(super) fn helped_by(stored: Option<String>) -> Option<String> {
    stored.and_then(|h| serde_json::from_str::<Helper>(&h).ok()).map(|h| match h {
        Helper::Operator => checkin::BY_OPERATOR.to_owned(),
        Helper::Guardian { name, relation, .. } => format!("{relation} {}", mask::name(&name)),
    })
}

/// A stored colour; one this desk does not know is shown as red, never as green.
fn colour_of(stored: &str) -> Colour {
    Colour::parse(stored).unwrap_or(Colour::Red)
}

/// A stored way in; one this desk does not know is shown as 手工登记.
fn way_in_of(stored: &str) -> WayIn {
    WayIn::parse(stored).unwrap_or(WayIn::Manual)
}

/// A row of the day's list query, masked as the list shows it.
fn visit_row(r: &rusqlite::Row) -> rusqlite::Result<VisitRow> {
    let name: String = r.get(2)?;
    let id_number: String = r.get(3)?;
    Ok(VisitRow {
        id: r.get(0)?,
        at: r.get(1)?,
        masked_name: shown_name(&name),
        masked_id: mask::id_number(&id_number),
        colour: colour_of(&r.get::<_, String>(4)?),
        way_in: way_in_of(&r.get::<_, String>(5)?),
        operator_name: r.get(6)?,
        helped_by: helped_by(r.get(7)?),
        trip_code_checked: r.get(8)?,
        sync_state: r.get(9)?,
        present: r.get(10)?,
        entrance: r.get(11)?,
    })
}

impl Store {
    /// Today's check-ins (Asia/Shanghai day), masked, with counts; `query` searches the name,
    /// the last four or whole ID number, or the time (HH:MM); the newest `limit` are listed.
    pub fn today(&self, query: &str, limit: usize, now: DateTime<Utc>) -> Result<TodaySummary> {
        self.visits_on(now.with_timezone(&shanghai()).date_naive(), query, limit, now)
    }

    /// A day still within the retention window, and not after today (Beijing time); returns the
    /// window's first day.
    pub fn check_day(&self, day: NaiveDate, now: DateTime<Utc>) -> Result<NaiveDate> {
        let today = now.with_timezone(&shanghai()).date_naive();
        let days = self.retention_days()?;
        let first = today - Duration::days(days);
        if day > today {
            return Err(field_err("date", "日期：不能晚于今天"));
        }
        if day < first {
            return Err(field_err("date", format!("日期：早于保存期限（{days}天），这一天的记录已删除")));
        }
        Ok(first)
    }

    /// A day's check-ins at this desk (Beijing time), counted and masked, newest first; searched
    /// by whole things (`checkin::day_search_matches`). Every match is counted; the newest
    /// `limit` are listed (a busy day's tens of thousands would not fit a screen, nor go over IPC
    /// at every keystroke).
    pub fn visits_on(&self, day: NaiveDate, query: &str, limit: usize, now: DateTime<Utc>) -> Result<TodaySummary> {
        let first_day = self.check_day(day, now)?;
        let (start, end) = day_bounds(day)?;
        let (start, end) = (rfc3339(start), rfc3339(end));
        let q = checkin::day_search_query(query)?;
        let mut summary = TodaySummary { first_day: first_day.to_string(), ..TodaySummary::default() };
        let listed = concat!(
            "SELECT v.id, v.at, ",
            crate::visit_name!(),
            ", p.id_number, v.colour, v.way_in, o.name, v.helper, v.trip_code_checked,
                    v.sync_state, v.present, c.label
             FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.operator_id
             LEFT JOIN codes c ON c.code = v.code
             WHERE v.at >= ?1 AND v.at < ?2 ORDER BY v.at DESC"
        );
        if q.is_empty() {
            // The whole day: counted by the database over the visits alone, and only the newest
            // `limit` read with their people (a station's day is 100,000 check-ins).
            let mut counts = self.conn.prepare(
                "SELECT colour, way_in, sync_state = 'synced', count(*) FROM visits
                 WHERE at >= ?1 AND at < ?2 GROUP BY 1, 2, 3",
            )?;
            let mut rows = counts.query(params![start, end])?;
            while let Some(r) = rows.next()? {
                let n = usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0);
                summary.count(colour_of(&r.get::<_, String>(0)?), way_in_of(&r.get::<_, String>(1)?), r.get(2)?, n);
            }
            let mut stmt = self.conn.prepare(&format!("{listed} LIMIT ?3"))?;
            let mut rows = stmt.query(params![start, end, i64::try_from(limit).unwrap_or(i64::MAX)])?;
            while let Some(r) = rows.next()? {
                summary.visits.push(visit_row(r)?);
            }
        } else {
            // A search looks at each person's name and number, and the time (the core's rule:
            // whole things only): every visit of the day is read, the matches counted, and the
            // newest `limit` of them listed.
            let mut stmt = self.conn.prepare(listed)?;
            let mut rows = stmt.query(params![start, end])?;
            while let Some(r) = rows.next()? {
                let at: String = r.get(1)?;
                let name: String = r.get(2)?;
                let id_number: String = r.get(3)?;
                let clock = DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&shanghai()).format("%H:%M").to_string())
                    .unwrap_or_default();
                if !checkin::day_search_matches(&q, &name, &id_number, &clock) {
                    continue;
                }
                let synced = r.get::<_, String>(9)? == "synced";
                summary.count(colour_of(&r.get::<_, String>(4)?), way_in_of(&r.get::<_, String>(5)?), synced, 1);
                if summary.visits.len() < limit {
                    summary.visits.push(visit_row(r)?);
                }
            }
        }
        summary.more = checkin::more_to_show(summary.total, summary.visits.len());
        Ok(summary)
    }

    /// A day's check-ins for the workbook (登记名单), oldest first: masked, or in full for the
    /// administrator with a reason. Every export is recorded (who, when, which day, masked or
    /// full, why, how many rows); the reason follows the note rule.
    pub fn export_day(
        &mut self,
        day: NaiveDate,
        full_reason: Option<&str>,
        ctx: &CheckInContext,
    ) -> Result<crate::export::DayExport> {
        self.check_day(day, ctx.now)?;
        let reason = match full_reason {
            Some(raw) => Some(checkin::export_reason(raw)?),
            None => None,
        };
        let venue_name = self.served_venue()?.map(|v| v.name).unwrap_or_default();
        let (start, end) = day_bounds(day)?;
        let full = reason.is_some();
        let mut stmt = self.conn.prepare(concat!(
            "SELECT v.at, ",
            crate::visit_name!(),
            ", p.id_number, p.phone, p.address, v.colour, v.way_in, o.name, v.helper,
                    v.trip_code_checked
             FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.operator_id
             WHERE v.at >= ?1 AND v.at < ?2 ORDER BY v.at"
        ))?;
        let rows = stmt
            .query_map(params![rfc3339(start), rfc3339(end)], |r| {
                let at: String = r.get(0)?;
                let name: String = r.get(1)?;
                let number: String = r.get(2)?;
                let helper: Option<String> = r.get(8)?;
                Ok(crate::export::ExportRow {
                    time: DateTime::parse_from_rfc3339(&at)
                        .map(|t| t.with_timezone(&shanghai()).format("%H:%M:%S").to_string())
                        .unwrap_or(at),
                    name: if full { name.clone() } else { shown_name(&name) },
                    document: if full { number.clone() } else { mask::id_number(&number) },
                    phone: if full { r.get::<_, Option<String>>(3)?.unwrap_or_default() } else { String::new() },
                    address: if full { r.get(4)? } else { String::new() },
                    colour: colour_of(&r.get::<_, String>(5)?),
                    way_in: way_in_of(&r.get::<_, String>(6)?),
                    operator: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    helped_by: helped_by(helper).unwrap_or_default(),
                    trip_code_checked: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        self.conn.execute(
            "INSERT INTO export_audit (at, operator_id, day, full, reason, rows) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rfc3339(ctx.now),
                ctx.operator_id,
                day.to_string(),
                full,
                reason.clone().unwrap_or_default(),
                rows.len() as i64
            ],
        )?;
        Ok(crate::export::DayExport { date: day, venue_name, full, rows })
    }

    /// The exports recorded, newest first (who exported which day, and why when in full).
    pub fn export_audit(&self) -> Result<Vec<crate::export::ExportRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT e.at, o.name, e.day, e.full, e.reason, e.rows FROM export_audit e
             LEFT JOIN operators o ON o.id = e.operator_id ORDER BY e.at DESC, e.rowid DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::export::ExportRecord {
                at: r.get(0)?,
                operator: r.get(1)?,
                day: r.get(2)?,
                full: r.get(3)?,
                reason: r.get(4)?,
                rows: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
