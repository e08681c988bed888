//! Records the centre refused (被中心退回): listed with the reason, corrected by the centre's own
//! rule and sent again, or discarded by the administrator; each step audited by field, not value.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::Store;
use placecode_core::sync::{Record, RecordKind};
use placecode_core::FieldError;

use super::*;

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
        "venue_limit" => "限流设置",
        "departure" => "离场",
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
        RecordKind::VenueLimit => b["limit"]["capacity"].as_u64().map(|c| format!("{c}人")).unwrap_or_default(),
        RecordKind::Departure => s("at"),
    }
}

impl Store {
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
            params![crate::now(), id, field, operator_id],
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
            params![crate::now(), id, action, note, operator],
        )?;
        tx.commit()?;
        Ok(())
    }
}
