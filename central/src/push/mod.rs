//! Push (`docs/sync.md`): a batch of records, each stored exactly once by its id. A bad record is
//! rejected alone; the whole batch commits in one transaction before the answer goes out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use placecode_core::sync::{
    self, CodeRevokedBody, IncidentBody, IncidentEventBody, PushResult, PushStatus, Record, RecordKind, Refusal,
    TripUpdateBody, TruckBody, VisitBody,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::EnrolledDesk;
use crate::error::{CentralError, Result};

mod check;
mod write;

use check::Context;
use write::*;

/// A record that passed its checks, ready to write.
enum Valid {
    Venue(Uuid, placecode_core::venue::ValidVenue, Option<String>),
    /// Venue, code, entrance label, whether the entrance takes only its rotating code.
    Code(Uuid, placecode_core::code::ParsedCode, String, bool),
    CodeRevoked(CodeRevokedBody),
    Visit(Box<(VisitBody, sync::CheckedVisit)>),
    Incident(Uuid, IncidentBody),
    IncidentEvent(Uuid, IncidentEventBody),
    Truck(Uuid, TruckBody),
    TripUpdate(Uuid, Uuid, TripUpdateBody),
    VenueLimit(Uuid, Option<placecode_core::occupancy::Limit>),
    /// Venue, the visits closed, when.
    Departure(Uuid, Vec<Uuid>, chrono::DateTime<chrono::Utc>),
}

struct Item {
    id: Uuid,
    digest: [u8; 32],
    record: Record,
}

pub async fn push(
    pool: &PgPool,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
    records: Vec<Record>,
    now: DateTime<Utc>,
) -> Result<Vec<PushResult>> {
    if records.len() > sync::MAX_BATCH {
        return Err(CentralError::BatchTooLarge(sync::MAX_BATCH));
    }
    let mut results: Vec<Option<PushResult>> = vec![None; records.len()];
    let mut items: Vec<(usize, Item)> = Vec::with_capacity(records.len());
    let mut seen: HashMap<Uuid, [u8; 32]> = HashMap::new();
    for (i, record) in records.into_iter().enumerate() {
        let rid = record.id.clone();
        match sync::record_id(&rid) {
            Err(r) => answer(&mut results, i, rejected(&rid, r)),
            Ok(id) => {
                let digest = record.digest();
                match seen.get(&id) {
                    // The same id twice in one batch: the second is the first's echo, or a conflict.
                    Some(d) => {
                        let s = if *d == digest { PushStatus::Duplicate } else { PushStatus::Conflict };
                        answer(&mut results, i, status(&rid, s))
                    }
                    None => {
                        seen.insert(id, digest);
                        items.push((i, Item { id, digest, record }));
                    }
                }
            }
        }
    }

    let mut tx = pool.begin().await?;
    // A batch looks its ids up through the indexes. A plan made while a table was small (a new
    // server, the first minute of a drain) reads the whole table for each batch instead, every id
    // compared with every row, until PostgreSQL next analyzes it.
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
    // Records stored before: acknowledged again (same content) or a conflict (different content).
    let ids: Vec<Uuid> = items.iter().map(|(_, it)| it.id).collect();
    let known: HashMap<Uuid, Vec<u8>> =
        sqlx::query_as::<_, (Uuid, Vec<u8>)>("SELECT id, digest FROM records WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let mut fresh = Vec::with_capacity(items.len());
    for (i, it) in items {
        match known.get(&it.id) {
            Some(d) if *d == it.digest => answer(&mut results, i, status(&it.record.id, PushStatus::Duplicate)),
            Some(_) => {
                tracing::warn!(desk = %desk.id, record = %it.id, "record conflict: same id, different content");
                answer(&mut results, i, status(&it.record.id, PushStatus::Conflict))
            }
            None => fresh.push((i, it)),
        }
    }

    // Check every new record; venues first so that codes and visits of a venue registered in the
    // same batch find it.
    let mut ctx = Context::load(&mut tx, desk, &fresh).await?;
    fresh.sort_by_key(|(i, it)| (if it.record.kind == RecordKind::Venue { 0 } else { 1 }, *i));
    let mut valid: Vec<(usize, Item, Valid)> = Vec::with_capacity(fresh.len());
    for (i, it) in fresh {
        match ctx.check(&it.record, now) {
            Ok(v) => valid.push((i, it, v)),
            Err(r) => answer(&mut results, i, rejected(&it.record.id, r)),
        }
    }

    // The ledger: a concurrent push of the same ids loses the race here and reports duplicates.
    let offset = desk.clock_offset_ms;
    let inserted: HashSet<Uuid> = sqlx::query_scalar(
        "INSERT INTO records (id, desk_id, kind, digest, written_at, clock_offset_ms)
         SELECT u.id, $2, u.kind, u.digest, u.written_at, u.off
         FROM UNNEST($1::uuid[], $3::text[], $4::bytea[], $5::timestamptz[], $6::bigint[])
             AS u(id, kind, digest, written_at, off)
         ON CONFLICT (id) DO NOTHING RETURNING id",
    )
    .bind(valid.iter().map(|(_, it, _)| it.id).collect::<Vec<_>>())
    .bind(desk.id)
    .bind(valid.iter().map(|(_, it, _)| it.record.kind.key()).collect::<Vec<_>>())
    .bind(valid.iter().map(|(_, it, _)| it.digest.to_vec()).collect::<Vec<_>>())
    .bind(valid.iter().map(|(_, it, _)| it.record.written_at).collect::<Vec<_>>())
    .bind(valid.iter().map(|(_, it, _)| offset.unwrap_or(it.record.clock_offset_ms)).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    let mut visits = Vec::new();
    let mut entered = Vec::new();
    let mut departures = Vec::new();
    for (i, it, v) in valid {
        if !inserted.contains(&it.id) {
            answer(&mut results, i, status(&it.record.id, PushStatus::Duplicate));
            continue;
        }
        let mut result = status(&it.record.id, PushStatus::Stored);
        match v {
            Valid::Venue(vid, venue, phone) => {
                result.decision = Some(write_venue(&mut tx, keys, desk, vid, &venue, phone.as_deref()).await?)
            }
            Valid::Code(venue, parsed, label, rotating_only) => {
                write_code(&mut tx, desk, venue, (&parsed, &label, rotating_only), it.record.written_at).await?
            }
            Valid::CodeRevoked(b) => revoke_code(&mut tx, desk, &b, it.record.written_at).await?,
            Valid::Visit(b) => visits.push((it.id, it.record.body, *b)),
            Valid::Incident(venue, b) => write_incident(&mut tx, keys, desk, it.id, venue, &b).await?,
            Valid::IncidentEvent(id, b) => write_incident_event(&mut tx, keys, id, &b).await?,
            Valid::Truck(venue, b) => {
                write_truck(&mut tx, keys, desk, venue, it.record.kind, &b).await?;
                if it.record.kind == RecordKind::TruckTrip {
                    crate::trips::record_trip(&mut tx, keys, desk.id, it.id, &b).await?;
                    entered.push((it.id, venue, b));
                } else {
                    crate::trips::record_arrival(&mut tx, keys, desk.id, it.id, &b).await?;
                }
            }
            Valid::TripUpdate(venue, trip, b) => crate::trips::resolve(&mut tx, keys, desk.id, venue, trip, &b).await?,
            Valid::VenueLimit(venue, limit) => write_venue_limit(&mut tx, venue, limit.as_ref()).await?,
            // After the batch's visits are in: a 离场 may close a check-in sent with it.
            Valid::Departure(venue, ids, at) => departures.push((venue, ids, at)),
        }
        answer(&mut results, i, result);
    }
    write_visits(&mut tx, keys, desk, visits, now).await?;
    for (venue, ids, at) in departures {
        write_departure(&mut tx, venue, &ids, at).await?;
    }
    // Once this batch's visits and incidents are in: entries whose crew the centre finds yellow
    // or red with no decision recorded at the checkpoint are flagged for supervision.
    crate::trips::flag_undecided(&mut tx, keys, &entered).await?;
    tx.commit().await?;
    Ok(results.into_iter().map(|r| r.unwrap_or_else(|| status("", PushStatus::Rejected))).collect())
}

/// The answer for the batch's `i`th record.
fn answer(results: &mut [Option<PushResult>], i: usize, r: PushResult) {
    if let Some(slot) = results.get_mut(i) {
        *slot = Some(r);
    }
}

fn status(id: &str, status: PushStatus) -> PushResult {
    PushResult { id: id.to_owned(), status, field: None, reason: None, decision: None }
}

fn rejected(id: &str, r: Refusal) -> PushResult {
    PushResult {
        id: id.to_owned(),
        status: PushStatus::Rejected,
        field: Some(r.field),
        reason: Some(r.message),
        decision: None,
    }
}
