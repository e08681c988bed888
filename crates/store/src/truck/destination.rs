//! The destination's half of a truck's trip: the destinations a checkpoint may name, and the
//! arrival recorded by plate or by the slip's QR, closing the loop.

use chrono::Duration;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::checkin::CheckInContext;
use crate::error::{Error, Result};
use crate::{outbox, rfc3339, Store};
use placecode_core::checkin::TripResolution;
use placecode_core::identity;
use placecode_core::sync::Body;
use placecode_core::venue::CodeKind;

use super::*;

impl Store {
    /// Registered destination venues: this desk's own and those published by the central server.
    pub fn destinations(&self, query: &str) -> Result<Vec<Destination>> {
        let q = placecode_core::normalize::clean(query);
        let like = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let mut stmt = self.conn.prepare(
            "SELECT id, name, address FROM (
                SELECT id, name, address FROM venues WHERE kind = 'destination'
                UNION SELECT id, name, address FROM destinations)
             WHERE name LIKE ?1 ESCAPE '\\' OR address LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT 50",
        )?;
        let rows =
            stmt.query_map([like], |r| Ok(Destination { id: r.get(0)?, name: r.get(1)?, address: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// 到达登记 at a destination, in one action: a plate or a crew member's document number. The
    /// trip it closes is the latest open one to this destination; with none known, the arrival is
    /// recorded and flagged (the central server matches it when the entry reaches it).
    pub fn record_arrival(&mut self, query: &str, ctx: &CheckInContext) -> Result<Arrival> {
        let venue = self.served_venue()?.ok_or(Error::not_found("本台服务场所"))?;
        if venue.kind != CodeKind::Destination {
            return Err(invalid("venue", "本台服务场所不是目的地场所，不能登记货车到达"));
        }
        let mut q = placecode_core::normalize::compact(query).to_ascii_uppercase();
        if q.is_empty() {
            return Err(invalid("query", "请输入车牌号或证件号"));
        }
        // A 货车通行单's QR, as the scanner types it: the trip's plate, once the trip is known
        // to be going here.
        if let Some(id) = q.strip_prefix(placecode_core::print::TRIP_QR_PREFIX) {
            let trip: Option<(String, String, String)> = self
                .conn
                .query_row(
                    "SELECT plate, destination_id, destination_name FROM trips WHERE id = ?1",
                    [id.to_ascii_lowercase()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            q = match trip {
                None => return Err(invalid("query", "未找到这张通行单的行程（可能尚未同步）：请输入车牌号登记到达")),
                Some((_, dest, name)) if dest != venue.id => {
                    return Err(invalid("query", format!("这张通行单的目的地是{name}，不是本场所：请核实车辆去向")))
                }
                Some((plate, ..)) => plate,
            };
        }
        let plate = identity::plate(&q).ok();
        let hash = hex::encode(placecode_core::risk::id_hash(&self.risk_key()?, &q));
        // The trip in transit; else one the checkpoint ended (a truck turned back arriving anyway
        // is linked to that trip, and flagged).
        let since = rfc3339(ctx.now - Duration::hours(72));
        let found: Option<(String, String, Option<String>)> = self
            .conn
            .query_row(
                &format!(
                    "SELECT id, plate, resolution FROM trips WHERE destination_id = ?1 AND arrived_at IS NULL
                       AND (resolution IS NULL OR entered_at >= ?4)
                       AND (plate = ?2 OR (?2 IS NULL AND {CREW_MEMBER}))
                     ORDER BY resolution IS NOT NULL, entered_at DESC LIMIT 1"
                ),
                params![venue.id, plate, hash, since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let closes = |resolution: &Option<String>| {
            resolution.is_none() || resolution.as_deref() == Some(TripResolution::Verified.key())
        };
        if found.is_none() {
            // Arrived here already (a scanner read the slip twice, a clerk typed the plate again):
            // said so, and nothing recorded, rather than an arrival "with no entry" for supervision.
            let since = rfc3339(ctx.now - Duration::hours(24));
            let closed: Option<String> = self
                .conn
                .query_row(
                    &format!(
                        "SELECT arrived_at FROM trips WHERE destination_id = ?1 AND arrived_at >= ?4
                           AND (plate = ?2 OR (?2 IS NULL AND {CREW_MEMBER}))
                         ORDER BY arrived_at DESC LIMIT 1"
                    ),
                    params![venue.id, plate, hash, since],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(at) = closed {
                return Err(invalid("query", format!("该车已于 {} 登记到达（已闭环），无需重复登记", local_time(&at))));
            }
        }
        let (trip_id, plate, closing) = match (found, plate) {
            (Some((id, p, r)), _) => (Some(id), p, closes(&r)),
            (None, Some(p)) => (None, p, false),
            (None, None) => {
                return Err(invalid("query", "未找到该证件号的在途行程；请输入车牌号登记到达"));
            }
        };
        let id = outbox::new_id();
        let stamp = rfc3339(ctx.now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO arrivals (id, plate, venue_id, trip_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, plate, venue.id, trip_id, stamp],
        )?;
        if let (Some(t), true) = (&trip_id, closing) {
            tx.execute("UPDATE trips SET arrived_at = ?2 WHERE id = ?1", params![t, stamp])?;
        }
        let body = placecode_core::sync::TruckBody {
            venue_id: venue.id.clone(),
            plate: plate.clone(),
            destination_venue_id: None,
            trip_id: trip_id.clone(),
            crew: Vec::new(),
            pass_number: String::new(),
            at: ctx.now,
        };
        outbox::enqueue(&tx, &id, Body::TruckArrival(Box::new(body)))?;
        tx.commit()?;
        let trip = match &trip_id {
            Some(t) => Some(self.trip(t, ctx.now)?),
            None => None,
        };
        Ok(Arrival { id, plate, at: stamp, flagged: arrival_flagged(&trip), trip, sync_state: "pending".into() })
    }
}
