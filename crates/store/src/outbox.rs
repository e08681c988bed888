//! The desk's side of sync (`docs/sync.md`): the outbox, written in the same transaction as the
//! record it carries; acknowledgements; records set aside; and the changes pulled from the server.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::sync::{
    Body, Change, ChangeKind, PersonBody, PushResult, PushStatus, Record, RecordKind, VenueBody, VisitBody,
};
use placecode_core::FieldError;

/// Queues a record for the server, its kind the body's. Call it inside the writer's transaction.
pub(crate) fn enqueue(conn: &Connection, id: &str, body: Body) -> Result<()> {
    let now = Utc::now();
    let kind = body.kind();
    if let Body::Venue(v) = &body {
        // A venue edited after the centre refused an earlier record of it: the refused record is
        // superseded (sending it again would undo the edit at the centre). Audited.
        let stale: Vec<String> = conn
            .prepare_cached(
                "SELECT id FROM outbox WHERE kind = 'venue' AND state = 'rejected'
                   AND json_extract(record, '$.body.venue_id') = ?1",
            )?
            .query_map([&v.venue_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for old in stale {
            conn.execute("UPDATE outbox SET state = 'discarded' WHERE id = ?1", [&old])?;
            conn.execute(
                "INSERT INTO outbox_audit (at, record_id, action, note, operator_id)
                 VALUES (?1, ?2, 'superseded', '场所已修改，以新的记录为准', NULL)",
                params![rfc3339(now), old],
            )?;
        }
    }
    let body = body.to_value().map_err(|e| Error::internal(e.to_string()))?;
    let record = Record { id: id.to_owned(), kind, written_at: now, clock_offset_ms: 0, body };
    let text = serde_json::to_string(&record).map_err(|e| Error::internal(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO outbox (id, kind, priority, record, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
    )?
    .execute(params![id, kind.key(), kind.priority(), text, rfc3339(now)])?;
    Ok(())
}

/// A new record id (UUIDv7: time-ordered, made on the desk).
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The venue record: the registration as typed, normalized, with the supervision phone the
/// desk's posters print (the phone page names it on a yellow or red result).
pub(crate) fn venue_body(conn: &Connection, v: &placecode_core::venue::Venue) -> Result<Body> {
    Ok(Body::Venue(Box::new(VenueBody {
        venue_id: v.id.clone(),
        input: placecode_core::venue::VenueInput::from(&v.valid()),
        supervision_phone: super::codes::supervision_phone(conn)?,
    })))
}

/// Column `i`, stored as its wire key (a colour, a document kind, an RFC 3339 time), as its type.
pub(crate) fn keyed<T: serde::de::DeserializeOwned>(r: &rusqlite::Row, i: usize) -> rusqlite::Result<T> {
    let key: String = r.get(i)?;
    serde_json::from_value(serde_json::Value::String(key))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

/// A visit record: the check-in with the person as the desk knows them.
pub(crate) fn enqueue_visit(conn: &Connection, visit_id: &str) -> Result<()> {
    let body = conn.query_row(
        "SELECT v.venue_id, v.code, v.way_in, o.name, v.helper, v.colour, v.health_code, v.reasons, v.at,
                v.trip_code_checked, p.id_number, p.name, p.address, p.phone, p.document_kind,
                v.raised_colour, v.raised_until
         FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.operator_id
         WHERE v.id = ?1",
        [visit_id],
        |r| {
            let reasons: String = r.get(7)?;
            let raised = match (r.get::<_, Option<String>>(15)?, r.get::<_, Option<String>>(16)?) {
                (Some(_), Some(_)) => {
                    Some(placecode_core::decision::Raised { colour: keyed(r, 15)?, until: keyed(r, 16)? })
                }
                _ => None,
            };
            Ok(VisitBody {
                venue_id: r.get(0)?,
                code: r.get::<_, Option<String>>(1)?.filter(|c| !c.is_empty()),
                way_in: r.get(2)?,
                operator: r.get(3)?,
                helper: r.get(4)?,
                colour: keyed(r, 5)?,
                health_code: keyed(r, 6)?,
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                at: keyed(r, 8)?,
                trip_code_checked: r.get(9)?,
                raised,
                person: PersonBody {
                    document_kind: keyed(r, 14)?,
                    document_number: r.get(10)?,
                    name: r.get(11)?,
                    address: r.get(12)?,
                    phone: r.get(13)?,
                },
            })
        },
    )?;
    enqueue(conn, visit_id, Body::Visit(Box::new(body)))
}

/// A queued record as the sync client reads it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: String,
    pub priority: u8,
    pub rowid: i64,
    /// The record's JSON, exactly as it will be pushed.
    pub record: String,
}

/// What the status bar and the settings screen show about sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// This desk holds a credential from the central server.
    pub enrolled: bool,
    pub server_url: String,
    pub desk_id: String,
    pub desk_name: String,
    /// Names of the venues the desk is enrolled for.
    pub venues: Vec<String>,
    /// District keys in which the desk may register venues.
    pub districts: Vec<String>,
    /// The last exchange reached the server; null before the first try.
    pub online: Option<bool>,
    /// A sync is running now.
    pub syncing: bool,
    /// UTC, RFC 3339.
    pub last_ok_at: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: i64,
    pub oldest_pending_at: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected: i64,
    /// Server clock minus desk clock at the last exchange.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub clock_offset_ms: Option<i64>,
    pub error: Option<SyncError>,
    pub progress: Option<SyncProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncError {
    pub code: String,
    /// Chinese, for the staff.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProgress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// A record the server refused, set aside for an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RejectedRecord {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    /// What the record is about, masked (王** 410***********002X, 鼓楼超市).
    pub summary: String,
    pub field: Option<String>,
    pub reason: String,
    pub written_at: String,
    /// The refused field is text the clerk may correct here (更正), checked again before it goes.
    pub correctable: bool,
}

/// The desk's enrolment, as kept in its settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrolment {
    pub server_url: String,
    pub credential: String,
    pub ca_file: Option<String>,
    pub desk_name: String,
    pub venues: Vec<String>,
    pub districts: Vec<String>,
}

const SERVER_URL: &str = "sync.server_url";
const CREDENTIAL: &str = "sync.credential";
const CA_FILE: &str = "sync.ca_file";
const DESK_NAME: &str = "sync.desk_name";
const VENUES: &str = "sync.venues";
const DISTRICTS: &str = "sync.districts";
const CURSOR: &str = "sync.cursor";
const LAST_OK: &str = "sync.last_ok_at";
const CLOCK: &str = "sync.clock_offset_ms";

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "venue" => "场所登记",
        "code" => "场所码",
        "code_revoked" => "作废场所码",
        "visit" => "登记记录",
        "incident" => "异常上报",
        "incident_event" => "异常处置进展",
        "truck_trip" => "货车入口登记",
        "truck_arrival" => "货车到达登记",
        "trip_update" => "货车行程处理",
        _ => "记录",
    }
}

/// A masked one-line description of a record, for the rejected list.
fn summary(record: &Record) -> String {
    let b = &record.body;
    let s = |k: &str| b.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    match record.kind {
        RecordKind::Venue => s("name"),
        RecordKind::Code | RecordKind::CodeRevoked => s("code"),
        RecordKind::Visit => {
            let p = &b["person"];
            let name = p["name"].as_str().unwrap_or("");
            let number = p["document_number"].as_str().unwrap_or("");
            format!("{} {}", placecode_core::mask::name(name), placecode_core::mask::id_number(number))
        }
        RecordKind::Incident => format!("{} {}", s("colour"), s("reason")),
        RecordKind::IncidentEvent => s("status"),
        RecordKind::TruckTrip | RecordKind::TruckArrival => s("plate"),
        RecordKind::TripUpdate => {
            let r = b
                .get("resolution")
                .and_then(|v| v.as_str())
                .and_then(placecode_core::checkin::TripResolution::from_key);
            r.map(|r| r.label()).unwrap_or("").to_owned()
        }
    }
}

impl Store {
    /// The desk's enrolment, if it has one.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        let Some(credential) = setting(&self.conn, CREDENTIAL)? else { return Ok(None) };
        let list = |k| -> Result<Vec<String>> {
            Ok(setting(&self.conn, k)?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
        };
        Ok(Some(Enrolment {
            server_url: setting(&self.conn, SERVER_URL)?.unwrap_or_default(),
            credential,
            ca_file: setting(&self.conn, CA_FILE)?.filter(|s| !s.is_empty()),
            desk_name: setting(&self.conn, DESK_NAME)?.unwrap_or_default(),
            venues: list(VENUES)?,
            districts: list(DISTRICTS)?,
        }))
    }

    /// Saves an enrolment and takes the server's risk key: the cached list, keyed with the
    /// old key, is emptied, and the next pull starts from the beginning to fill it again.
    pub fn save_enrolment(&mut self, e: &Enrolment, risk_key_hex: &str) -> Result<()> {
        let key = hex::decode(risk_key_hex).map_err(|_| Error::bad_file("中心返回的密钥格式不对"))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        set_setting(&tx, SERVER_URL, &e.server_url)?;
        set_setting(&tx, CREDENTIAL, &e.credential)?;
        set_setting(&tx, CA_FILE, e.ca_file.as_deref().unwrap_or(""))?;
        set_setting(&tx, DESK_NAME, &e.desk_name)?;
        set_setting(&tx, VENUES, &serde_json::to_string(&e.venues).unwrap_or_default())?;
        set_setting(&tx, DISTRICTS, &serde_json::to_string(&e.districts).unwrap_or_default())?;
        set_setting(&tx, super::checkin::RISK_KEY, &hex::encode(key))?;
        set_setting(&tx, CURSOR, "0")?;
        super::checkin::clear_risk_list(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// The next records to push: venues and codes first, then incidents, check-ins, the rest;
    /// oldest first within each.
    /// The next `limit` records after `after` (priority, rowid) in push order.
    pub fn outbox_batch(&self, after: (u8, i64), limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, priority, rowid, record FROM outbox
             WHERE state = 'pending' AND (priority, rowid) > (?1, ?2) ORDER BY priority, rowid LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after.0, after.1, limit as i64], |r| {
            Ok(OutboxRow { id: r.get(0)?, priority: r.get(1)?, rowid: r.get(2)?, record: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Applies the server's answer: stored or duplicate → sent (and the record shown as synced);
    /// rejected or conflict → set aside with the reason. Returns (acknowledged, set aside).
    pub fn outbox_ack(&mut self, results: &[PushResult], now: DateTime<Utc>) -> Result<(usize, usize)> {
        let stamp = rfc3339(now);
        let acked: Vec<&str> = results
            .iter()
            .filter(|r| matches!(r.status, PushStatus::Stored | PushStatus::Duplicate))
            .map(|r| r.id.as_str())
            .collect();
        let ids = serde_json::to_string(&acked).map_err(|e| Error::internal(e.to_string()))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Set-based: one statement per table for a whole batch, so the write lock is short and
        // check-ins at the desk do not wait behind a large acknowledgement.
        let incidents: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT CASE kind WHEN 'incident' THEN id ELSE json_extract(record, '$.body.incident_id') END
                 FROM outbox WHERE id IN (SELECT value FROM json_each(?1))
                 AND +state = 'pending' AND +kind IN ('incident', 'incident_event')",
            )?;
            let rows = stmt.query_map([&ids], |r| r.get::<_, Option<String>>(0))?;
            rows.filter_map(|r| r.transpose()).collect::<Result<_, _>>()?
        };
        let sent = tx
            .prepare_cached(
                // `+state`: look the ids up by primary key, not by scanning every pending row.
                "UPDATE outbox SET state = 'sent', sent_at = ?2
                 WHERE id IN (SELECT value FROM json_each(?1)) AND +state = 'pending'",
            )?
            .execute(params![ids, stamp])?;
        tx.prepare_cached("UPDATE visits SET sync_state = 'synced' WHERE id IN (SELECT value FROM json_each(?1))")?
            .execute([&ids])?;
        tx.prepare_cached("UPDATE arrivals SET sync_state = 'synced' WHERE id IN (SELECT value FROM json_each(?1))")?
            .execute([&ids])?;
        // A trip is synced once its entry and every update of it (到达核验, 劝返, 作废) are.
        tx.prepare_cached(
            "UPDATE trips SET sync_state = 'synced' WHERE id IN (
                SELECT value FROM json_each(?1)
                UNION SELECT json_extract(record, '$.body.trip_id') FROM outbox
                    WHERE id IN (SELECT value FROM json_each(?1)) AND +kind = 'trip_update')
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending'
                AND (p.id = trips.id OR (p.kind = 'trip_update' AND json_extract(p.record, '$.body.trip_id') = trips.id)))",
        )?
        .execute([&ids])?;
        for incident in incidents {
            tx.prepare_cached(
                "UPDATE incidents SET sync_state = 'synced' WHERE id = ?1 AND NOT EXISTS (
                    SELECT 1 FROM outbox WHERE state = 'pending' AND kind = 'incident_event'
                    AND json_extract(record, '$.body.incident_id') = ?1)",
            )?
            .execute([&incident])?;
        }
        let mut aside = 0;
        {
            let mut refuse = tx.prepare_cached(
                "UPDATE outbox SET state = 'rejected', reason = ?2, field = ?3, sent_at = ?4
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            for r in results.iter().filter(|r| matches!(r.status, PushStatus::Rejected | PushStatus::Conflict)) {
                let reason = r.reason.clone().unwrap_or_else(|| match r.status {
                    PushStatus::Conflict => "中心已有同一编号但内容不同的记录".into(),
                    _ => "中心拒收".into(),
                });
                aside += refuse.execute(params![r.id, reason, r.field, stamp])?;
            }
        }
        if sent > 0 {
            set_setting(&tx, LAST_OK, &stamp)?;
        }
        tx.commit()?;
        Ok((sent, aside))
    }

    /// Records waiting, the oldest one's time, and records set aside.
    pub fn outbox_counts(&self) -> Result<(i64, Option<String>, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),
                    (SELECT min(created_at) FROM outbox WHERE state = 'pending'),
                    (SELECT count(*) FROM outbox WHERE state = 'rejected')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// Sync's state as the screens show it, from what is stored (the running engine adds
    /// online, syncing, error and progress).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let (pending, oldest_pending_at, rejected) = self.outbox_counts()?;
        let e = self.enrolment()?;
        let names = match &e {
            Some(e) => {
                e.venues.iter().map(|id| self.venue(id).map(|v| v.name).unwrap_or_else(|_| id.clone())).collect()
            }
            None => Vec::new(),
        };
        Ok(SyncStatus {
            enrolled: e.is_some(),
            server_url: e.as_ref().map(|e| e.server_url.clone()).unwrap_or_default(),
            desk_id: self.desk_id()?,
            desk_name: e.as_ref().map(|e| e.desk_name.clone()).unwrap_or_default(),
            venues: names,
            districts: e.map(|e| e.districts).unwrap_or_default(),
            last_ok_at: setting(&self.conn, LAST_OK)?,
            pending,
            oldest_pending_at,
            rejected,
            clock_offset_ms: setting(&self.conn, CLOCK)?.and_then(|v| v.parse().ok()),
            ..SyncStatus::default()
        })
    }

    pub fn set_clock_offset(&mut self, ms: i64) -> Result<()> {
        set_setting(&self.conn, CLOCK, &ms.to_string())
    }

    pub fn mark_sync_ok(&mut self, now: DateTime<Utc>) -> Result<()> {
        set_setting(&self.conn, LAST_OK, &rfc3339(now))
    }

    pub fn rejected_records(&self) -> Result<Vec<RejectedRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, record, field, reason, created_at FROM outbox WHERE state = 'rejected' ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, record, field, reason, written_at) = row?;
            let parsed = serde_json::from_str::<Record>(&record).ok();
            let summary = parsed.as_ref().map(summary).unwrap_or_default();
            let correctable = match (&parsed, &field) {
                (Some(r), Some(f)) => placecode_core::sync::correctable(r, f),
                _ => false,
            };
            out.push(RejectedRecord {
                correctable,
                id,
                kind_label: kind_label(&kind).into(),
                kind,
                summary,
                field,
                reason: reason.unwrap_or_default(),
                written_at,
            });
        }
        Ok(out)
    }

    /// Puts a rejected record back in the queue (the cause was fixed on the server, e.g. the
    /// venue was enrolled). Audited.
    pub fn retry_rejected(&mut self, id: &str, operator_id: Option<&str>) -> Result<()> {
        self.settle_rejected(id, "pending", "retry", "", operator_id)
    }

    /// Corrects the refused field of a rejected record to `value` and checks the whole record
    /// again by the same rules the centre applies. All good: back in the queue. The field still
    /// wrong: nothing changes and the reason names it. Another field refused: the correction is
    /// kept and the record stays here, refused for that field (answered, to correct next).
    /// Audited (which field, never the value).
    pub fn correct_rejected(
        &mut self,
        id: &str,
        value: &str,
        operator_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<FieldError>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(String, Option<String>)> = tx
            .query_row("SELECT record, field FROM outbox WHERE id = ?1 AND state = 'rejected'", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (record, field) = found.ok_or(Error::not_found("被拒收的记录"))?;
        let record: Record = serde_json::from_str(&record).map_err(|e| Error::internal(e.to_string()))?;
        let invalid = |m: String| Error::invalid_fields(vec![FieldError { field: "value".into(), message: m }]);
        let field = field.ok_or_else(|| invalid("中心未指明退回的项目：请放弃该记录，重新登记".into()))?;
        let (fixed, next) =
            placecode_core::sync::correct(&record, &field, value, now).map_err(|r| invalid(r.message))?;
        let json = serde_json::to_string(&fixed).map_err(|e| Error::internal(e.to_string()))?;
        match &next {
            None => tx.execute(
                "UPDATE outbox SET record = ?2, state = 'pending', field = NULL, reason = NULL WHERE id = ?1",
                params![id, json],
            )?,
            Some(n) => tx.execute(
                "UPDATE outbox SET record = ?2, field = ?3, reason = ?4 WHERE id = ?1",
                params![id, json, n.field, n.message],
            )?,
        };
        tx.execute(
            "INSERT INTO outbox_audit (at, record_id, action, note, operator_id) VALUES (?1, ?2, 'correct', ?3, ?4)",
            params![super::now(), id, field, operator_id],
        )?;
        tx.commit()?;
        Ok(next)
    }

    /// Discards a rejected record with a note. Audited; the record stays on the desk.
    pub fn discard_rejected(&mut self, id: &str, note: &str, operator_id: Option<&str>) -> Result<()> {
        let note = placecode_core::normalize::clean(note);
        if note.is_empty() || note.chars().count() > 200 {
            return Err(Error::invalid_fields(vec![FieldError {
                field: "note".into(),
                message: "放弃原因：必填，不超过200个字".into(),
            }]));
        }
        self.settle_rejected(id, "discarded", "discard", &note, operator_id)
    }

    fn settle_rejected(&mut self, id: &str, to: &str, action: &str, note: &str, operator: Option<&str>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute("UPDATE outbox SET state = ?2 WHERE id = ?1 AND state = 'rejected'", params![id, to])?;
        if n == 0 {
            return Err(Error::not_found("被拒收的记录"));
        }
        tx.execute(
            "INSERT INTO outbox_audit (at, record_id, action, note, operator_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![super::now(), id, action, note, operator],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(setting(&self.conn, CURSOR)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Applies pulled changes and moves the cursor in one transaction: a crash repeats the pull
    /// instead of skipping it.
    pub fn apply_changes(&mut self, changes: &[Change], cursor: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stamp = super::now();
        for c in changes {
            let b = &c.body;
            match c.kind {
                ChangeKind::RiskEpoch => {
                    let Ok(e) = serde_json::from_value::<placecode_core::sync::RiskEpochBody>(b.clone()) else {
                        continue;
                    };
                    if !e.epoch.is_valid() {
                        continue;
                    }
                    super::checkin::install_risk_epoch(&tx, &e)?;
                }
                ChangeKind::RiskTag => {
                    let Ok(t) = serde_json::from_value::<placecode_core::sync::RiskTagBody>(b.clone()) else {
                        continue;
                    };
                    super::checkin::apply_risk_tag(&tx, &t)?;
                }
                ChangeKind::RaisedTag => {
                    let Ok(t) = serde_json::from_value::<placecode_core::sync::RaisedTagBody>(b.clone()) else {
                        continue;
                    };
                    super::checkin::apply_raised_tag(&tx, &t)?;
                }
                ChangeKind::VenueDecision => {
                    let Ok(d) = serde_json::from_value::<placecode_core::sync::VenueDecision>(b.clone()) else {
                        continue;
                    };
                    tx.execute(
                        "UPDATE venues SET review_status = ?2, review_reason = ?3 WHERE id = ?1",
                        params![d.venue_id, d.status, d.reason],
                    )?;
                }
                ChangeKind::PhoneVisit => {
                    let Ok(c) = serde_json::from_value::<placecode_core::sync::PhoneVisitChange>(b.clone()) else {
                        continue;
                    };
                    apply_visit(&tx, &c.visit, &c.id, "phone")?;
                }
                ChangeKind::Trip => super::truck::apply_trip(&tx, b)?,
                ChangeKind::Destination => super::truck::apply_destination(&tx, b)?,
                ChangeKind::PreDeclaration => super::truck::apply_predeclaration(&tx, b)?,
                ChangeKind::Visit => {
                    let Ok(c) = serde_json::from_value::<placecode_core::sync::DeskVisitChange>(b.clone()) else {
                        continue;
                    };
                    apply_visit(&tx, &c.visit, &c.id, "desk")?;
                }
                ChangeKind::Incident | ChangeKind::Unknown => {}
            }
        }
        if changes.iter().any(|c| c.kind.is_risk_list()) {
            set_setting(&tx, super::checkin::RISK_AS_OF, &stamp)?;
        }
        set_setting(&tx, CURSOR, &cursor.to_string())?;
        tx.commit()?;
        Ok(())
    }
}

/// A check-in made elsewhere at one of this desk's venues (a phone, another desk): stored as
/// synced, with the person, so this desk's lists and lookups know them.
fn apply_visit(tx: &Connection, v: &VisitBody, id: &str, source: &str) -> Result<()> {
    let known: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM venues WHERE id = ?1)", [&v.venue_id], |r| r.get(0))?;
    let p = &v.person;
    if id.is_empty() || !known || p.document_number.is_empty() {
        return Ok(());
    }
    let stamp = super::now();
    let person: String = tx.query_row(
        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at,
            document_kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)
         ON CONFLICT (id_number) DO UPDATE SET
            name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE people.name END,
            address = CASE WHEN excluded.address <> '' THEN excluded.address ELSE people.address END,
            phone = COALESCE(excluded.phone, people.phone)
         RETURNING id",
        params![
            new_id(),
            p.document_number,
            placecode_core::identity::last_four_of(&p.document_number),
            placecode_core::identity::birth_year_of(p.document_kind, &p.document_number).unwrap_or(0),
            p.name,
            p.address,
            p.phone,
            stamp,
            p.document_kind.key()
        ],
        |r| r.get(0),
    )?;
    let reasons = serde_json::to_string(&v.reasons).map_err(|e| Error::internal(e.to_string()))?;
    // The ways in a desk records; a phone's own (扫码) is stored as a declaration.
    let way_in = match placecode_core::checkin::WayIn::parse(&v.way_in) {
        Some(w) => w.key(),
        None => placecode_core::checkin::WayIn::Declaration.key(),
    };
    tx.execute(
        "INSERT INTO visits (id, person_id, venue_id, code, way_in, operator_id, helper, declaration,
            trip_code_checked, colour, health_code, reasons, at, desk_id, sync_state)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, NULL, 0, ?6, ?7, ?8, ?9, ?10, 'synced')
         ON CONFLICT (id) DO NOTHING",
        params![
            id,
            person,
            v.venue_id,
            v.code,
            way_in,
            v.colour.key(),
            v.health_code.key(),
            reasons,
            rfc3339(v.at),
            source
        ],
    )?;
    Ok(())
}
