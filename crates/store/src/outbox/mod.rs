//! The desk's side of sync (`docs/sync.md`): the outbox, written in the same transaction as the
//! record it carries, and the acknowledgements; the enrolment and status in `status.rs`, the
//! records the centre refused in `rejected.rs`, the changes pulled from it in `pull.rs`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;

use super::{rfc3339, set_setting, Store};
use crate::error::{Error, Result};
use placecode_core::sync::{Body, PersonBody, PushResult, PushStatus, Record, VenueBody, VisitBody};

mod pull;
mod rejected;
mod status;

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
                // Marked by the centre for a phone's check-in with a 扫码屏 code, never by a desk.
                present: false,
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
    /// Check-ins found late to be of yellow or red people (事后发现), not yet reported.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub late_waiting: i64,
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

impl Store {
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
        // A hundred at a time, each its own transaction: a check-in at the desk waits for the
        // write lock at most one of them (an answer of 5,000 held it about 100 ms). An
        // acknowledgement cut short by a crash is only a resend, which the centre answers
        // "duplicate".
        let (mut sent, mut aside) = (0, 0);
        for chunk in results.chunks(ACK_CHUNK) {
            let (s, a) = self.ack_chunk(chunk, &stamp)?;
            sent += s;
            aside += a;
        }
        // The pages these acknowledgements wrote go back into the database file here, on the
        // sync's own connection and beside the writers (a passive checkpoint takes no lock they
        // wait for). Otherwise the next check-in's commit could be the one that finds the log
        // full and copies it back before the person's result shows.
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok((sent, aside))
    }

    fn ack_chunk(&mut self, results: &[PushResult], stamp: &str) -> Result<(usize, usize)> {
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
            set_setting(&tx, LAST_OK, stamp)?;
        }
        tx.commit()?;
        Ok((sent, aside))
    }

    /// Records waiting, the oldest one's time, and records set aside.
    pub fn outbox_counts(&self) -> Result<(i64, Option<String>, i64)> {
        Ok(self.conn.query_row(OUTBOX_COUNTS, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
    }
}

/// Answers acknowledged per transaction.
const ACK_CHUNK: usize = 100;

/// What waits, the oldest waiting record's time, what was set aside: from the indexes alone
/// (a week offline is a million waiting rows, and the status bar asks often).
pub(crate) const OUTBOX_COUNTS: &str = "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),
        (SELECT min(created_at) FROM outbox WHERE state = 'pending'),
        (SELECT count(*) FROM outbox WHERE state = 'rejected')";
