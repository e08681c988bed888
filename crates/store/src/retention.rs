//! 保存期限 (R12): what the desk deletes when its retention ends. Personal data is kept for the
//! configured window (default 28 days) and then deleted, with the space it took overwritten
//! (`secure_delete`); the file is compacted when enough of it is free.
//!
//! Nothing is deleted that the centre has not received: on a desk connected to the centre a
//! visit, incident or trip still waiting to be sent (or refused and not yet dealt with) stays
//! until it is sent or discarded, and the sync strip keeps saying so. A desk that is not
//! connected keeps no one's records past the window.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, TransactionBehavior};
use serde::Serialize;

use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::FieldError;

const RETENTION_DAYS: &str = "retention_days";
/// Days a record of a person is kept on the desk.
pub const DEFAULT_RETENTION_DAYS: i64 = 28;

/// What one purge deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub visits: usize,
    pub people: usize,
    pub incidents: usize,
    pub outbox: usize,
    pub trips: usize,
}

impl PurgeReport {
    fn total(&self) -> usize {
        self.visits + self.people + self.incidents + self.outbox + self.trips
    }
}

impl Store {
    pub fn retention_days(&self) -> Result<i64> {
        Ok(setting(&self.conn, RETENTION_DAYS)?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    /// Sets the retention window (the administrator's setting): 7 to 180 days.
    pub fn set_retention_days(&mut self, days: i64) -> Result<i64> {
        if !(7..=180).contains(&days) {
            return Err(Error::invalid_fields(vec![FieldError {
                field: "retention_days".into(),
                message: "保存期限：应为7至180天".into(),
            }]));
        }
        set_setting(&self.conn, RETENTION_DAYS, &days.to_string())?;
        Ok(days)
    }

    /// Deletes every record of a person older than the retention window, as of `now`.
    pub fn purge_expired(&mut self, now: DateTime<Utc>) -> Result<PurgeReport> {
        let cutoff = rfc3339(now - Duration::days(self.retention_days()?));
        // A desk without the centre has no one to wait for; with it, only what was sent goes.
        let connected = self.enrolment()?.is_some();
        let done = if connected { "sync_state = 'synced'" } else { "1" };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = PurgeReport {
            // Closed incidents only: an isolated or reported person is still being handled.
            incidents: tx.execute(
                &format!(
                    "DELETE FROM incidents WHERE reported_at < ?1 AND updated_at < ?1 AND {done}
                       AND status IN ('handed_over', 'released')"
                ),
                [&cutoff],
            )?,
            visits: tx.execute(
                &format!(
                    "DELETE FROM visits WHERE at < ?1 AND {done}
                       AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.visit_id = visits.id)"
                ),
                [&cutoff],
            )?,
            ..PurgeReport::default()
        };
        report.people = tx.execute(
            "DELETE FROM people WHERE updated_at < ?1
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.person_id = people.id)",
            [&cutoff],
        )?;
        // The outbox's copies of records the centre has (or that an operator discarded).
        // Unconnected, nothing queued will ever leave either.
        report.outbox = tx.execute(
            "DELETE FROM outbox WHERE created_at < ?1 AND (state IN ('sent', 'discarded') OR ?2 = 0)",
            params![cutoff, connected],
        )?;
        tx.execute("DELETE FROM outbox_audit WHERE at < ?1", [&cutoff])?;
        tx.execute("DELETE FROM export_audit WHERE at < ?1", [&cutoff])?;
        report.trips = tx.execute(
            &format!("DELETE FROM trips WHERE entered_at < ?1 AND ({done} OR origin = 'central')"),
            [&cutoff],
        )?;
        tx.execute(&format!("DELETE FROM arrivals WHERE at < ?1 AND {done}"), [&cutoff])?;
        tx.execute("DELETE FROM predeclarations WHERE at < ?1", [&cutoff])?;
        tx.execute("DELETE FROM raised_colours WHERE until < ?1", params![rfc3339(now)])?;
        tx.execute("DELETE FROM raised_tags WHERE until < ?1", params![rfc3339(now)])?;
        tx.commit()?;
        if report.total() > 0 {
            // What was deleted is already overwritten (secure_delete, in the file and its WAL);
            // the checkpoint folds the WAL in and empties it. VACUUM rewrites the whole file with
            // the store locked (seconds on a large desk, the door waiting), so it runs only when
            // a quarter of the file or more is free pages, to give the space back.
            self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            let pages: i64 = self.conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
            let free: i64 = self.conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
            if free * 4 >= pages {
                self.conn.execute_batch("VACUUM")?;
                self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
        }
        Ok(report)
    }
}
