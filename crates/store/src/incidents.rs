//! 异常处置 at the desk (R7): a yellow or red person reported (held at, reported to) or
//! released with a recorded reason, the steps that follow, and the places offered on the form.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::checkin::{field_err, shown_name, CheckInContext, IncidentStatus};
use super::{rfc3339, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::{self, CheckInResult, WayIn};
use placecode_core::decision::Colour;
use placecode_core::sync::{Body, DepartureBody, IncidentBody, IncidentEventBody};
use placecode_core::FieldError;
use placecode_core::{mask, normalize};

/// What the operator records when refusing and reporting (R7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentInput {
    /// 临时隔离点
    pub held_at: String,
    /// 报告对象: the community or the epidemic office.
    pub reported_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Incident {
    pub id: String,
    pub visit_id: String,
    pub colour: Colour,
    pub reason: String,
    pub masked_name: String,
    pub masked_id: String,
    pub held_at: String,
    pub reported_to: String,
    pub reported_at: String,
    pub operator_name: Option<String>,
    pub status: IncidentStatus,
    /// For a release: the reason and note (误扫 / 工作人员核实后放行 / 其他：…).
    pub note: String,
    pub updated_at: String,
    pub sync_state: String,
}

/// A green check-in whose person the centre held as yellow or red when it arrived (事后发现): let
/// in on a stale list or offline. The venue reports it; the report is recorded here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LateHit {
    pub visit_id: String,
    /// When the person was checked in (RFC 3339).
    pub at: String,
    pub masked_name: String,
    pub masked_id: String,
    /// The colour the centre holds for them.
    pub colour: Colour,
    /// To whom and when it was reported, and by which operator; none until reported.
    pub reported_to: Option<String>,
    pub reported_at: Option<String>,
    pub operator_name: Option<String>,
}

/// A `late_hit` pulled from the centre: the check-in is marked with the colour held (only a green
/// one of this desk's, once; the visit stays as recorded).
pub(crate) fn apply_late_hit(conn: &Connection, h: &placecode_core::sync::LateHitBody) -> Result<()> {
    if h.colour == Colour::Green {
        return Ok(());
    }
    conn.execute(
        "UPDATE visits SET late_colour = ?2 WHERE id = ?1 AND colour = 'green' AND late_colour IS NULL",
        params![h.visit_id, h.colour.key()],
    )?;
    Ok(())
}

/// Isolation points and recipients offered as choices on the report form: the administrator's
/// list for the served venue, then those used before at it (most recent first); with no list of
/// recipients, the usual ones for the venue's kind (a checkpoint reports to the 指挥部, not a
/// community). They live in this desk's database only (a new database or another venue offers
/// none of another's), and nothing is filled in for the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentPlaces {
    pub held_at: Vec<String>,
    pub reported_to: Vec<String>,
    /// The administrator has listed this venue's places.
    pub configured: bool,
}

/// The administrator's list for the served venue: at most [`PLACE_LIST_MAX`] of each, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentPlaceList {
    pub held_at: Vec<String>,
    pub reported_to: Vec<String>,
}

pub const PLACE_LIST_MAX: usize = 10;

/// How a yellow or red visit was handled: reported (with the isolation point and recipient) or
/// released (with the reason).
struct Handling {
    held_at: String,
    reported_to: String,
    status: IncidentStatus,
    note: String,
    /// The visit is closed with the decision (a wrong scan: nobody came in).
    closes_visit: bool,
}

impl Store {
    /// 拒绝并上报: one action on a yellow or red result (R7).
    pub fn report_incident(&mut self, visit_id: &str, input: &IncidentInput, ctx: &CheckInContext) -> Result<Incident> {
        let held_at = checkin::incident_place("held_at", "临时隔离点", &input.held_at);
        let reported_to = checkin::incident_place("reported_to", "上报对象", &input.reported_to);
        let (held_at, reported_to) = match (held_at, reported_to) {
            (Ok(h), Ok(r)) => (h, r),
            (h, r) => return Err(Error::invalid_fields([h.err(), r.err()].into_iter().flatten().collect())),
        };
        let handling = Handling {
            held_at,
            reported_to,
            status: IncidentStatus::Isolated,
            note: String::new(),
            closes_visit: false,
        };
        self.record_incident(visit_id, &handling, ctx)
    }

    /// A yellow or red person let go without a report (误扫, 工作人员核实后放行, 其他 with a note):
    /// recorded with the operator and synced like a report, so leaving the screen is never silent.
    pub fn release_visit(
        &mut self,
        visit_id: &str,
        reason: checkin::ReleaseReason,
        note: &str,
        ctx: &CheckInContext,
    ) -> Result<Incident> {
        let visit: Option<(String, String, String)> = self
            .conn
            .query_row("SELECT colour, venue_id, person_id FROM visits WHERE id = ?1", [visit_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (colour, venue, person) = visit.ok_or(Error::not_found("登记记录"))?;
        let colour = Colour::parse(&colour).ok_or(Error::not_found("登记记录"))?;
        let note = checkin::release_note(reason, colour, note)?;
        if !reason.closes_visit() {
            // Let in: at a venue at its limit they wait like anyone let through (a trial released
            // ten yellow visitors into a full venue, 71 of 60).
            super::occupancy::keep_limit(&self.conn, &venue, &person, ctx.now)?;
        }
        let handling = Handling {
            held_at: String::new(),
            reported_to: String::new(),
            status: IncidentStatus::Released,
            note,
            closes_visit: reason.closes_visit(),
        };
        self.record_incident(visit_id, &handling, ctx)
    }

    /// The one decision recorded for a yellow or red visit: a report or a release.
    fn record_incident(&mut self, visit_id: &str, h: &Handling, ctx: &CheckInContext) -> Result<Incident> {
        let (colour, reasons): (Colour, String) = self
            .conn
            .query_row("SELECT colour, reasons FROM visits WHERE id = ?1", [visit_id], |r| {
                Ok((super::outbox::keyed(r, 0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(Error::not_found("登记记录"))?;
        if !checkin::needs_handling(colour) {
            return Err(field_err("visit", checkin::NO_HANDLING));
        }
        let reason = serde_json::from_str::<Vec<String>>(&reasons).unwrap_or_default().join("；");
        let id = uuid::Uuid::now_v7().to_string();
        let stamp = rfc3339(ctx.now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO incidents (id, visit_id, colour, reason, held_at, reported_to, reported_at, operator_id,
                status, updated_at, sync_priority, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7, 1, ?10)
             ON CONFLICT (visit_id) DO NOTHING",
            params![
                id,
                visit_id,
                colour.key(),
                reason,
                h.held_at,
                h.reported_to,
                stamp,
                ctx.operator_id,
                h.status.key(),
                h.note
            ],
        )?;
        if inserted == 0 {
            return Err(field_err("visit", "该人员已处置（已上报或已放行），请在“异常处置”中查看"));
        }
        let (venue_id, operator): (String, Option<String>) = tx.query_row(
            "SELECT v.venue_id, o.name FROM visits v LEFT JOIN operators o ON o.id = ?2 WHERE v.id = ?1",
            params![visit_id, ctx.operator_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let body = IncidentBody {
            visit_id: visit_id.to_owned(),
            venue_id: venue_id.clone(),
            colour,
            reason,
            held_at: h.held_at.clone(),
            reported_to: h.reported_to.clone(),
            status: h.status.key().into(),
            at: ctx.now,
            note: h.note.clone(),
            operator,
        };
        super::outbox::enqueue(&tx, &id, Body::Incident(Box::new(body)))?;
        if h.closes_visit {
            // As 离场 closes it, on the desk and at the centre (synced after the visit).
            tx.execute("UPDATE visits SET left_at = ?2 WHERE id = ?1 AND left_at IS NULL", params![visit_id, stamp])?;
            let body = DepartureBody { venue_id, visit_ids: vec![visit_id.to_owned()], at: ctx.now };
            super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::Departure(body))?;
        }
        // A truck's crew member: the last decision on the crew settles the trip (劝返 or open).
        super::truck::settle_held_trip(&tx, visit_id, ctx)?;
        tx.commit()?;
        self.incident(&id)
    }

    /// Moves an incident on: isolated → reported → handed over (闭环转运). Never backwards, and a
    /// release is final.
    pub fn advance_incident(
        &mut self,
        id: &str,
        to: IncidentStatus,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Incident> {
        let note = checkin::incident_step_note(note)?;
        let current = self.incident(id)?;
        if to == IncidentStatus::Released || current.status == IncidentStatus::Released {
            return Err(field_err("status", "已放行的记录不能再改变状态"));
        }
        if (to as u8) <= (current.status as u8) {
            return Err(field_err("status", "状态只能向前推进"));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE incidents SET status = ?2, updated_at = ?3, sync_state = 'pending' WHERE id = ?1",
            params![id, to.key(), rfc3339(now)],
        )?;
        let venue_id: String = tx.query_row(
            "SELECT v.venue_id FROM incidents i JOIN visits v ON v.id = i.visit_id WHERE i.id = ?1",
            [id],
            |r| r.get(0),
        )?;
        let body = IncidentEventBody { incident_id: id.to_owned(), venue_id, status: to.key().into(), note, at: now };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::IncidentEvent(body))?;
        tx.commit()?;
        self.incident(id)
    }

    /// Yellow or red results of this desk's check-ins at the served venue in the last 12 hours that
    /// nobody decided on (no report, no release): a sign-out, a restart or a crash must not leave
    /// one behind, so the check-in screen shows them again until each is decided (R7).
    pub fn undecided_results(&self, now: DateTime<Utc>) -> Result<Vec<CheckInResult>> {
        self.undecided(&rfc3339(now - Duration::hours(12)), None, now)
    }

    /// The undecided yellow and red results of a truck's crew held at entry (a trip of status
    /// held), however long ago: the board offers them again, so a held truck is never stuck.
    pub fn held_results(&self, trip_id: &str, now: DateTime<Utc>) -> Result<Vec<CheckInResult>> {
        let visits: Option<String> = self
            .conn
            .query_row("SELECT visit_ids FROM trips WHERE id = ?1 AND resolution = 'held'", [trip_id], |r| r.get(0))
            .optional()?;
        let visits = visits.ok_or(Error::not_found("待处置的行程"))?;
        self.undecided("", Some(&visits), now)
    }

    /// Yellow and red results at the served venue since `since` with no decision; only those of
    /// the visits in `only` (space-separated ids) when given.
    fn undecided(&self, since: &str, only: Option<&str>, now: DateTime<Utc>) -> Result<Vec<CheckInResult>> {
        let Some(venue) = self.served_venue()? else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare(concat!(
            "SELECT v.id, v.colour, v.health_code, v.reasons, ",
            crate::visit_name!(),
            ", p.id_number, v.way_in, v.at
             FROM visits v JOIN people p ON p.id = v.person_id
             WHERE v.venue_id = ?1 AND v.colour <> 'green' AND v.operator_id IS NOT NULL AND v.at >= ?2
               AND (?3 IS NULL OR instr(?3, v.id) > 0)
               AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.visit_id = v.id)
             ORDER BY v.at"
        ))?;
        let (risk_as_of, risk_stale) = self.risk_freshness(now)?;
        let rows = stmt.query_map(params![venue.id, since, only], |r| {
            Ok(CheckInResult {
                visit_id: r.get(0)?,
                colour: Colour::parse(&r.get::<_, String>(1)?).unwrap_or(Colour::Red),
                health_code: Colour::parse(&r.get::<_, String>(2)?).unwrap_or(Colour::Green),
                reasons: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                masked_name: shown_name(&r.get::<_, String>(4)?),
                masked_id: mask::id_number(&r.get::<_, String>(5)?),
                venue_name: venue.name.clone(),
                way_in: WayIn::parse(&r.get::<_, String>(6)?).unwrap_or(WayIn::IdNumber),
                at: r.get(7)?,
                risk_stale,
                risk_as_of: risk_as_of.clone(),
            })
        })?;
        let out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(out)
    }

    /// The isolation points and recipients reported before at the served venue (up to five each).
    pub fn incident_places(&self) -> Result<IncidentPlaces> {
        let Some(venue) = self.served_venue()? else { return Ok(IncidentPlaces::default()) };
        let listed = self.incident_place_list()?;
        let used = |column: &str| -> Result<Vec<String>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT i.{column} FROM incidents i JOIN visits v ON v.id = i.visit_id
                 WHERE v.venue_id = ?1 AND i.status <> 'released' AND i.{column} <> ''
                 GROUP BY i.{column} ORDER BY max(i.reported_at) DESC LIMIT 5"
            ))?;
            let rows = stmt.query_map([&venue.id], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let usual: &[&str] = match venue.kind {
            placecode_core::venue::CodeKind::Checkpoint => &["疫情防控指挥部", "疾控中心"],
            _ => &["所在社区", "疫情防控办"],
        };
        let configured = !listed.held_at.is_empty() || !listed.reported_to.is_empty();
        let merge = |mut list: Vec<String>, more: Vec<String>| {
            for v in more {
                if !list.contains(&v) {
                    list.push(v);
                }
            }
            list
        };
        let mut reported_to = merge(listed.reported_to.clone(), used("reported_to")?);
        if listed.reported_to.is_empty() {
            reported_to = merge(usual.iter().map(|s| s.to_string()).collect(), reported_to);
        }
        Ok(IncidentPlaces { held_at: merge(listed.held_at, used("held_at")?), reported_to, configured })
    }

    /// The administrator's list of 临时隔离点 and 上报对象 for the served venue.
    pub fn incident_place_list(&self) -> Result<IncidentPlaceList> {
        let Some(venue) = self.served_venue()? else { return Ok(IncidentPlaceList::default()) };
        let mut stmt = self
            .conn
            .prepare("SELECT kind, value FROM incident_place_list WHERE venue_id = ?1 ORDER BY kind, position")?;
        let mut list = IncidentPlaceList::default();
        for row in stmt.query_map([&venue.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (kind, value) = row?;
            match kind.as_str() {
                "held_at" => list.held_at.push(value),
                _ => list.reported_to.push(value),
            }
        }
        Ok(list)
    }

    /// Replaces the served venue's list (the administrator's): each entry by the report's rule,
    /// named by its place in the list; blank lines and repeats dropped; at most
    /// [`PLACE_LIST_MAX`] of each. Nothing is saved unless all are right.
    pub fn set_incident_place_list(&mut self, list: &IncidentPlaceList) -> Result<IncidentPlaceList> {
        let venue = self.served_venue()?.ok_or(Error::not_found("本台服务场所"))?;
        let mut errors = Vec::new();
        let mut clean = |key: &str, label: &str, values: &[String]| {
            let mut out: Vec<String> = Vec::new();
            for (i, raw) in values.iter().enumerate() {
                if normalize::clean(raw).is_empty() {
                    continue;
                }
                match checkin::incident_place(&format!("{key}.{i}"), label, raw) {
                    Ok(v) if !out.contains(&v) => out.push(v),
                    Ok(_) => {}
                    Err(e) => errors.push(e),
                }
            }
            if out.len() > PLACE_LIST_MAX {
                errors.push(FieldError {
                    field: key.into(),
                    message: format!("{label}：最多{PLACE_LIST_MAX}个（现为{}个）", out.len()),
                });
            }
            out
        };
        let held_at = clean("held_at", "临时隔离点", &list.held_at);
        let reported_to = clean("reported_to", "上报对象", &list.reported_to);
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM incident_place_list WHERE venue_id = ?1", [&venue.id])?;
        for (kind, values) in [("held_at", &held_at), ("reported_to", &reported_to)] {
            for (i, v) in values.iter().enumerate() {
                tx.execute(
                    "INSERT INTO incident_place_list (venue_id, kind, value, position) VALUES (?1, ?2, ?3, ?4)",
                    params![venue.id, kind, v, i as i64],
                )?;
            }
        }
        tx.commit()?;
        self.incident_place_list()
    }

    pub fn incident(&self, id: &str) -> Result<Incident> {
        self.incidents_where("i.id = ?1", params![id])?.pop().ok_or(Error::not_found("异常记录"))
    }

    /// Open incidents first, newest first.
    /// The check-ins found late to be of yellow or red people (事后发现), those not yet reported
    /// first, newest first.
    pub fn late_hits(&self) -> Result<Vec<LateHit>> {
        let mut stmt = self.conn.prepare(concat!(
            "SELECT v.id, v.at, ",
            crate::visit_name!(),
            ", p.id_number, v.late_colour, v.late_reported_to, v.late_reported_at, o.name
             FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.late_reported_by
             WHERE v.late_colour IS NOT NULL
             ORDER BY v.late_reported_at IS NOT NULL, v.at DESC LIMIT 1000"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(LateHit {
                visit_id: r.get(0)?,
                at: r.get(1)?,
                masked_name: shown_name(&r.get::<_, String>(2)?),
                masked_id: mask::id_number(&r.get::<_, String>(3)?),
                colour: Colour::parse(&r.get::<_, String>(4)?).unwrap_or(Colour::Red),
                reported_to: r.get(5)?,
                reported_at: r.get(6)?,
                operator_name: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records that a late-found check-in was reported (`note`: to whom, what was done, by
    /// [`incident_step_note`]); reported once.
    pub fn report_late_hit(&mut self, visit_id: &str, note: &str, ctx: &CheckInContext) -> Result<()> {
        let note = checkin::incident_step_note(note)?;
        let done = self.conn.execute(
            "UPDATE visits SET late_reported_to = ?2, late_reported_at = ?3, late_reported_by = ?4
             WHERE id = ?1 AND late_colour IS NOT NULL AND late_reported_at IS NULL",
            params![visit_id, note, rfc3339(ctx.now), ctx.operator_id],
        )?;
        if done == 0 {
            return Err(Error::invalid("visit", "没有待上报的这条事后发现记录（可能已上报）"));
        }
        Ok(())
    }

    pub fn incidents(&self) -> Result<Vec<Incident>> {
        self.incidents_where("1", params![])
    }

    fn incidents_where(&self, cond: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Incident>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT i.id, i.visit_id, i.colour, i.reason, {}, p.id_number, i.held_at, i.reported_to,
                    i.reported_at, o.name, i.status, i.updated_at, i.sync_state, i.note
             FROM incidents i JOIN visits v ON v.id = i.visit_id JOIN people p ON p.id = v.person_id
             LEFT JOIN operators o ON o.id = i.operator_id
             WHERE {cond}
             ORDER BY i.status IN ('handed_over', 'released'), i.reported_at DESC",
            crate::visit_name!()
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(Incident {
                id: r.get(0)?,
                visit_id: r.get(1)?,
                colour: Colour::parse(&r.get::<_, String>(2)?).unwrap_or(Colour::Red),
                reason: r.get(3)?,
                masked_name: shown_name(&r.get::<_, String>(4)?),
                masked_id: mask::id_number(&r.get::<_, String>(5)?),
                held_at: r.get(6)?,
                reported_to: r.get(7)?,
                reported_at: r.get(8)?,
                operator_name: r.get(9)?,
                status: IncidentStatus::parse(&r.get::<_, String>(10)?),
                updated_at: r.get(11)?,
                sync_state: r.get(12)?,
                note: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
