//! The desk's enrolment with the centre and what the status bar shows about sync.

use chrono::{DateTime, Utc};
use rusqlite::TransactionBehavior;

use crate::error::{Error, Result};
use crate::{rfc3339, set_setting, setting, Store};

use super::*;

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
        set_setting(&tx, crate::risk::RISK_KEY, &hex::encode(key))?;
        set_setting(&tx, CURSOR, "0")?;
        crate::risk::clear_risk_list(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Sync's state as the screens show it, from what is stored (the running engine adds
    /// online, syncing, error and progress).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let (pending, oldest_pending_at, rejected) = self.outbox_counts()?;
        let e = self.enrolment()?;
        let names = match &e {
            Some(e) => {
                let mut names: Vec<String> =
                    e.venues.iter().map(|id| self.venue(id).map(|v| v.name).unwrap_or_else(|_| id.clone())).collect();
                // A desk enrolled for a district serves a venue it registered there: that venue
                // is what it syncs for (not one the centre refused), so it is listed too.
                if let Some(v) = self.served_venue()? {
                    let covered = e.districts.iter().any(|d| d == v.district.key());
                    if covered && v.rejected.is_none() && !e.venues.contains(&v.id) {
                        names.push(v.name);
                    }
                }
                names
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
            clock_offset_ms: self.clock_offset_ms()?,
            late_waiting: self.conn.query_row(
                "SELECT count(*) FROM visits WHERE late_colour IS NOT NULL AND late_reported_at IS NULL",
                [],
                |r| r.get(0),
            )?,
            ..SyncStatus::default()
        })
    }

    /// The centre's clock minus this desk's, as measured at the last sync (none when never).
    pub fn clock_offset_ms(&self) -> Result<Option<i64>> {
        Ok(setting(&self.conn, CLOCK)?.and_then(|v| v.parse().ok()))
    }

    pub fn set_clock_offset(&mut self, ms: i64) -> Result<()> {
        set_setting(&self.conn, CLOCK, &ms.to_string())
    }

    pub fn mark_sync_ok(&mut self, now: DateTime<Utc>) -> Result<()> {
        set_setting(&self.conn, LAST_OK, &rfc3339(now))
    }
}
