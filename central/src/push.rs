//! Push (`docs/sync.md`): a batch of records, each stored exactly once by its id. A bad record is
//! rejected alone; the whole batch commits in one transaction before the answer goes out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use placecode_core::sync::{
    self, Body, CodeRevokedBody, IncidentBody, IncidentEventBody, PushResult, PushStatus, Record, RecordKind, Refusal,
    TripUpdateBody, TruckBody, VenueDecision, VisitBody,
};
use placecode_core::venue::CodeKind;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::auth::Desk;
use crate::error::{CentralError, Result};

/// A record that passed its checks, ready to write.
enum Valid {
    Venue(Uuid, placecode_core::venue::ValidVenue, Option<String>),
    Code(Uuid, placecode_core::code::ParsedCode, String),
    CodeRevoked(CodeRevokedBody),
    Visit(Box<(VisitBody, sync::CheckedVisit)>),
    Incident(Uuid, IncidentBody),
    IncidentEvent(Uuid, IncidentEventBody),
    Truck(Uuid, TruckBody),
    TripUpdate(Uuid, Uuid, TripUpdateBody),
}

struct Item {
    id: Uuid,
    digest: [u8; 32],
    record: Record,
}

pub async fn push(
    pool: &PgPool,
    keys: &crate::Keys,
    desk: &Desk,
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
            Valid::Code(venue, parsed, label) => {
                write_code(&mut tx, desk, venue, &parsed, &label, it.record.written_at).await?
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
        }
        answer(&mut results, i, result);
    }
    write_visits(&mut tx, keys, desk, visits, now).await?;
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

/// What the checks need from the database, loaded once per batch.
struct Context<'a> {
    desk: &'a Desk,
    /// Venues this desk may write for, including those it registers in this batch.
    writable: HashSet<Uuid>,
    /// Venues already on the server: their kind, the desk that registered them and their
    /// district.
    known_venues: HashMap<Uuid, (CodeKind, Uuid, String)>,
    batch_venues: HashMap<Uuid, CodeKind>,
    /// Destinations named by truck trips in this batch: whether each is an approved 目的地场所.
    destinations: HashMap<Uuid, bool>,
    /// The venue of each incident this batch's steps name (held at the centre) ...
    known_incidents: HashMap<Uuid, Uuid>,
    /// ... and of each incident reported in this batch.
    batch_incidents: HashMap<Uuid, Uuid>,
    /// The venue and desk each code this batch issues or revokes is on record for (and the
    /// codes this batch issues, as they pass).
    known_codes: HashMap<String, (Uuid, Uuid)>,
}

impl<'a> Context<'a> {
    async fn load(tx: &mut Transaction<'_, Postgres>, desk: &'a Desk, items: &[(usize, Item)]) -> Result<Context<'a>> {
        let mut venue_ids: Vec<Uuid> = desk.venues.iter().copied().collect();
        for (_, it) in items {
            if let Some(v) =
                it.record.body.get("venue_id").and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok())
            {
                venue_ids.push(v);
            }
        }
        venue_ids.sort();
        venue_ids.dedup();
        let rows: Vec<(Uuid, String, Uuid, String)> =
            sqlx::query_as("SELECT id, kind, desk_id, district FROM venues WHERE id = ANY($1)")
                .bind(&venue_ids)
                .fetch_all(&mut **tx)
                .await?;
        let known_venues = rows
            .into_iter()
            .filter_map(|(id, kind, d, district)| Some((id, (CodeKind::parse(&kind)?, d, district))))
            .collect();
        let named: Vec<Uuid> = items
            .iter()
            .filter(|(_, it)| it.record.kind == RecordKind::TruckTrip)
            .filter_map(|(_, it)| {
                it.record.body.get("destination_venue_id")?.as_str().and_then(|s| Uuid::parse_str(s).ok())
            })
            .collect();
        let destinations = sqlx::query_as::<_, (Uuid, bool)>(
            "SELECT id, kind = 'destination' AND status = 'approved' FROM venues WHERE id = ANY($1)",
        )
        .bind(&named)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
        let named_codes: Vec<String> = items
            .iter()
            .filter(|(_, it)| matches!(it.record.kind, RecordKind::Code | RecordKind::CodeRevoked))
            .filter_map(|(_, it)| {
                it.record.body.get("code")?.as_str().and_then(|c| placecode_core::code::parse(c).ok())
            })
            .map(|p| p.code)
            .collect();
        let known_codes =
            sqlx::query_as::<_, (String, Uuid, Uuid)>("SELECT code, venue_id, desk_id FROM codes WHERE code = ANY($1)")
                .bind(&named_codes)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(|(code, venue, desk)| (code, (venue, desk)))
                .collect();
        let stepped: Vec<Uuid> = items
            .iter()
            .filter(|(_, it)| it.record.kind == RecordKind::IncidentEvent)
            .filter_map(|(_, it)| it.record.body.get("incident_id")?.as_str().and_then(|s| Uuid::parse_str(s).ok()))
            .collect();
        let known_incidents =
            sqlx::query_as::<_, (Uuid, Uuid)>("SELECT id, venue_id FROM incidents WHERE id = ANY($1)")
                .bind(&stepped)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .collect();
        Ok(Context {
            desk,
            writable: desk.venues.clone(),
            known_venues,
            batch_venues: HashMap::new(),
            destinations,
            known_incidents,
            batch_incidents: HashMap::new(),
            known_codes,
        })
    }

    fn may_write(&self, venue: Uuid) -> Result<(), Refusal> {
        if self.writable.contains(&venue) {
            Ok(())
        } else {
            Err(sync::refuse("venue_id", "本登记台无权写入该场所的记录"))
        }
    }

    fn venue_kind(&self, venue: Uuid) -> Option<CodeKind> {
        self.batch_venues.get(&venue).copied().or_else(|| self.known_venues.get(&venue).map(|(k, ..)| *k))
    }

    fn check(&mut self, r: &Record, now: DateTime<Utc>) -> Result<Valid, Refusal> {
        sync::check_time(r.written_at, now, "written_at")?;
        match Body::parse(r)? {
            Body::Venue(b) => {
                let (id, v, phone) = sync::check_venue(&b)?;
                let in_districts = self.desk.districts.iter().any(|d| d == v.district.key());
                let allowed = match self.known_venues.get(&id) {
                    // An update by its desk: it stays in its district, or moves into one the
                    // desk may register in (never into another district by an edit or a resend).
                    Some((_, owner, district)) => {
                        (*owner == self.desk.id || self.writable.contains(&id))
                            && (district == v.district.key() || in_districts)
                    }
                    None => self.writable.contains(&id) || in_districts,
                };
                if !allowed {
                    return Err(sync::refuse("district", "本登记台无权登记该辖区的场所"));
                }
                self.writable.insert(id);
                self.batch_venues.insert(id, v.kind);
                Ok(Valid::Venue(id, v, phone))
            }
            Body::Code(b) => {
                let (venue, parsed, label) = sync::check_code(&b)?;
                self.may_write(venue)?;
                if !parsed.verify(&self.desk.code_key) {
                    return Err(sync::refuse("code", "场所码签名校验不通过：不是本登记台签发的码"));
                }
                match self.venue_kind(venue) {
                    Some(k) if sync::code_matches_venue(parsed.kind, k) => {}
                    Some(_) => return Err(sync::refuse("code", "场所码类型与场所的码类型不一致")),
                    None => return Err(sync::refuse("venue_id", "场所尚未登记到中心")),
                }
                // One code, one venue: the same code again for another venue (a desk restored
                // from a backup signing a serial it signed before) is refused, never stored
                // over nor silently dropped.
                if self.known_codes.get(&parsed.code).is_some_and(|(v, _)| *v != venue) {
                    return Err(sync::refuse(
                        "code",
                        "该场所码编号已用于另一场所（本台数据可能是从备份恢复的）：请作废本码后重新生成",
                    ));
                }
                self.known_codes.entry(parsed.code.clone()).or_insert((venue, self.desk.id));
                Ok(Valid::Code(venue, parsed, label))
            }
            Body::CodeRevoked(b) => {
                let parsed = sync::check_code_revoked(&b)?;
                // A desk revokes only codes the centre has on record as its own (all 34
                // characters, the signature included; a code of an older key, from before the
                // desk's key was rotated, too). Anything else is refused, never answered stored
                // while the poster stays live.
                let own = self.known_codes.get(&parsed.code).is_some_and(|(_, d)| *d == self.desk.id);
                if !own || (parsed.key_id == self.desk.code_key.id && !parsed.verify(&self.desk.code_key)) {
                    return Err(sync::refuse("code", "只能停用本登记台签发、并已上报中心的场所码"));
                }
                Ok(Valid::CodeRevoked(CodeRevokedBody { code: parsed.code, ..b }))
            }
            Body::Visit(b) => {
                let checked = sync::check_visit(&b, now)?;
                self.may_write(checked.venue)?;
                Ok(Valid::Visit(Box::new((*b, checked))))
            }
            Body::Incident(b) => {
                let venue = sync::check_incident(&b, now)?;
                self.may_write(venue)?;
                if let Ok(id) = Uuid::parse_str(&r.id) {
                    self.batch_incidents.insert(id, venue);
                }
                Ok(Valid::Incident(venue, *b))
            }
            Body::IncidentEvent(b) => {
                let (venue, incident) = sync::check_incident_event(&b, now)?;
                self.may_write(venue)?;
                // The step belongs to the incident's own venue, not to whichever venue it names.
                match self.batch_incidents.get(&incident).or_else(|| self.known_incidents.get(&incident)) {
                    Some(at) if *at == venue => {}
                    Some(_) => return Err(sync::refuse("incident_id", "该异常记录不属于所填场所")),
                    None => return Err(sync::refuse("incident_id", "该异常记录尚未上报中心")),
                }
                Ok(Valid::IncidentEvent(incident, b))
            }
            Body::TruckTrip(b) | Body::TruckArrival(b) => {
                let (venue, b) = sync::check_truck(&b, r.kind, now)?;
                self.may_write(venue)?;
                let (want, what) = if r.kind == RecordKind::TruckTrip {
                    (CodeKind::Checkpoint, "货车入口登记只能在交通卡口")
                } else {
                    (CodeKind::Destination, "货车到达登记只能在目的地场所")
                };
                if self.venue_kind(venue) != Some(want) {
                    return Err(sync::refuse("venue_id", what));
                }
                if r.kind == RecordKind::TruckTrip {
                    let dest = b.destination_venue_id.as_deref().and_then(|d| Uuid::parse_str(d).ok());
                    match dest.and_then(|d| self.destinations.get(&d)) {
                        Some(true) => {}
                        _ => return Err(sync::refuse("destination_venue_id", "目的地场所未在中心登记或未通过审核")),
                    }
                }
                Ok(Valid::Truck(venue, b))
            }
            Body::TripUpdate(b) => {
                let (venue, trip) = sync::check_trip_update(&b, now)?;
                self.may_write(venue)?;
                if self.venue_kind(venue) != Some(CodeKind::Checkpoint) {
                    return Err(sync::refuse("venue_id", "货车行程只能由登记入口的交通卡口处理"));
                }
                Ok(Valid::TripUpdate(venue, trip, *b))
            }
        }
    }
}

/// R3 review: the same rules as the desk, and 一所一码 across the whole city. The manager's name
/// and phone are personal: sealed, bound to the venue.
async fn write_venue(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &Desk,
    id: Uuid,
    v: &placecode_core::venue::ValidVenue,
    supervision_phone: Option<&str>,
) -> Result<VenueDecision> {
    let key = v.dedup_key();
    let twin: Option<(String, String)> =
        sqlx::query_as("SELECT name, address FROM venues WHERE dedup_key = $1 AND status = 'approved' AND id <> $2")
            .bind(&key)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let (status, reason) = match twin {
        Some((name, address)) => {
            ("rejected", format!("重复登记：该场所已登记为“{name}”（{address}），一所一码，不能重复登记"))
        }
        None => ("approved", String::new()),
    };
    sqlx::query(
        "INSERT INTO venues (id, desk_id, kind, category, name, district, address, manager_name, manager_phone,
             dedup_key, status, reason, supervision_phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, category = EXCLUDED.category, name = EXCLUDED.name,
             district = EXCLUDED.district, address = EXCLUDED.address, manager_name = EXCLUDED.manager_name,
             manager_phone = EXCLUDED.manager_phone, dedup_key = EXCLUDED.dedup_key, status = EXCLUDED.status,
             reason = EXCLUDED.reason, supervision_phone = COALESCE(EXCLUDED.supervision_phone, venues.supervision_phone),
             updated_at = now()",
    )
    .bind(id)
    .bind(desk.id)
    .bind(v.kind.key())
    .bind(v.category.key())
    .bind(&v.name)
    .bind(v.district.key())
    .bind(&v.address)
    .bind(keys.data.seal(crate::fields::MANAGER_NAME, id.as_bytes(), &v.manager_name)?)
    .bind(keys.data.seal(crate::fields::MANAGER_PHONE, id.as_bytes(), &v.manager_phone)?)
    .bind(&key)
    .bind(status)
    .bind(&reason)
    .bind(supervision_phone)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO desk_venues (desk_id, venue_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(desk.id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let decision = VenueDecision { venue_id: id.to_string(), status: status.into(), reason };
    change(tx, sync::ChangeKind::VenueDecision, Some(id), None, &decision).await?;
    if v.kind == CodeKind::Destination && status == "approved" {
        // Every checkpoint desk needs the list of destinations to name a trip's.
        let body = sync::DestinationChange {
            venue_id: id.to_string(),
            name: v.name.clone(),
            address: v.address.clone(),
            district: v.district.key().into(),
        };
        change(tx, sync::ChangeKind::Destination, None, None, &body).await?;
    }
    Ok(decision)
}

async fn write_code(
    tx: &mut Transaction<'_, Postgres>,
    desk: &Desk,
    venue: Uuid,
    code: &placecode_core::code::ParsedCode,
    label: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO codes (code, venue_id, desk_id, kind, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(&code.code)
    .bind(venue)
    .bind(desk.id)
    .bind(code.kind.key())
    .bind(label)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn revoke_code(
    tx: &mut Transaction<'_, Postgres>,
    desk: &Desk,
    b: &CodeRevokedBody,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE codes SET revoked_at = $3, replaced_by = $4 WHERE code = $1 AND desk_id = $2 AND revoked_at IS NULL",
    )
    .bind(&b.code)
    .bind(desk.id)
    .bind(at)
    .bind(&b.replaced_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An incident, its reason and note sealed (health data about the person stopped); the change
/// other desks pull is sealed whole.
async fn write_incident(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &Desk,
    id: Uuid,
    venue: Uuid,
    b: &IncidentBody,
) -> Result<()> {
    let visit = Uuid::parse_str(&b.visit_id).unwrap_or_default();
    sqlx::query(
        "INSERT INTO incidents (id, visit_id, venue_id, desk_id, colour, reason, held_at, reported_to, status, at, updated_at,
             note, operator)
         VALUES ($10, $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $11, $12)",
    )
    .bind(visit)
    .bind(venue)
    .bind(desk.id)
    .bind(b.colour.key())
    .bind(keys.data.seal(crate::fields::INCIDENT_REASON, id.as_bytes(), &b.reason)?)
    .bind(&b.held_at)
    .bind(&b.reported_to)
    .bind(&b.status)
    .bind(b.at)
    .bind(id)
    .bind(keys.data.seal(crate::fields::INCIDENT_NOTE, id.as_bytes(), &b.note)?)
    .bind(&b.operator)
    .execute(&mut **tx)
    .await?;
    let body = serde_json::to_value(b).map_err(|e| CentralError::Internal(e.to_string()))?;
    let sealed = keys.data.seal_body(sync::ChangeKind::Incident.key(), &body)?;
    change(tx, sync::ChangeKind::Incident, Some(venue), Some(desk.id), &sealed).await
}

async fn write_incident_event(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    incident: Uuid,
    b: &IncidentEventBody,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO incident_events (id, incident_id, status, note, at) VALUES (gen_random_uuid(), $1, $2, $3, $4)",
    )
    .bind(incident)
    .bind(&b.status)
    .bind(keys.data.seal(crate::fields::INCIDENT_NOTE, incident.as_bytes(), &b.note)?)
    .bind(b.at)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE incidents SET status = $2, updated_at = $3 WHERE id = $1 AND updated_at <= $3")
        .bind(incident)
        .bind(&b.status)
        .bind(b.at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn write_truck(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &Desk,
    venue: Uuid,
    kind: RecordKind,
    b: &TruckBody,
) -> Result<()> {
    let body = serde_json::to_value(b).map_err(|e| CentralError::Internal(e.to_string()))?;
    // The crew's documents and phones, sealed like a person's record (kept as the desk sent it).
    let body = keys.data.seal_body("truck_record", &body)?;
    let plate = placecode_core::identity::plate(&b.plate).unwrap_or_default();
    sqlx::query("INSERT INTO truck_records (id, kind, desk_id, venue_id, plate, body, at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6)")
        .bind(kind.key())
        .bind(desk.id)
        .bind(venue)
        .bind(plate)
        .bind(body)
        .bind(b.at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends a change for desks to pull (`venue` None: for every desk).
pub async fn change<T: serde::Serialize>(
    tx: &mut Transaction<'_, Postgres>,
    kind: sync::ChangeKind,
    venue: Option<Uuid>,
    origin: Option<Uuid>,
    body: &T,
) -> Result<()> {
    let body = serde_json::to_value(body).map_err(|e| CentralError::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO changes (kind, venue_id, origin_desk, body) VALUES ($1, $2, $3, $4)")
        .bind(kind.key())
        .bind(venue)
        .bind(origin)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// People are upserted by keyed hash; visits and their pull changes go in with one statement each.
async fn write_visits(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &Desk,
    visits: Vec<(Uuid, serde_json::Value, (VisitBody, sync::CheckedVisit))>,
    now: DateTime<Utc>,
) -> Result<()> {
    if visits.is_empty() {
        return Ok(());
    }
    // Newest details win, by when the desk saw the person, but never by a time still to come:
    // a desk's clock (or a crafted record) up to a day ahead would otherwise beat every later
    // genuine update.
    let people = crate::people::upsert(
        tx,
        keys,
        visits.iter().map(|(_, _, (b, c))| crate::people::PersonRow::from_checked(c, b.at.min(now))).collect(),
        crate::people::Source::Desk(desk.id),
    )
    .await?;
    let n = visits.len();
    let mut ids = Vec::with_capacity(n);
    let mut at = Vec::with_capacity(n);
    let mut person = Vec::with_capacity(n);
    let mut venue = Vec::with_capacity(n);
    let mut code = Vec::with_capacity(n);
    let mut way_in = Vec::with_capacity(n);
    let mut colour = Vec::with_capacity(n);
    let mut health = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut helper = Vec::with_capacity(n);
    let mut operator = Vec::with_capacity(n);
    let mut bodies = Vec::with_capacity(n);
    let mut raises = Vec::new();
    for (id, body, (b, c)) in visits {
        let person_key = keys.person(&c.document_number);
        let pid = people
            .get(&person_key.lookup)
            .copied()
            .ok_or_else(|| CentralError::Internal("person not upserted".into()))?;
        if let Some(r) = b.raised {
            raises.push((person_key, r));
        }
        ids.push(id);
        at.push(b.at);
        person.push(pid);
        venue.push(c.venue);
        code.push(b.code.as_deref().and_then(|s| placecode_core::code::parse(s).ok()).map(|p| p.code));
        way_in.push(b.way_in);
        colour.push(b.colour.key());
        health.push(b.health_code.key());
        reasons.push(keys.data.seal_reasons(&id, &b.reasons)?);
        // Who helped (a guardian's name, ID number and phone) is personal: sealed like a person.
        helper.push(match b.helper.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => Some(keys.data.seal("visit.helper", id.as_bytes(), h)?),
            None => None,
        });
        operator.push(b.operator);
        bodies.push(serde_json::json!({"id": id, "visit": body}));
    }
    sqlx::query(
        "INSERT INTO visits (id, at, person_id, venue_id, code, source, desk_id, way_in, colour, health_code,
             sealed_reasons, helper, operator)
         SELECT u.id, u.at, u.person, u.venue, u.code, 'desk', $12, u.way_in, u.colour, u.health,
             u.reasons, u.helper, u.operator
         FROM UNNEST($1::uuid[], $2::timestamptz[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::text[], $11::text[])
             AS u(id, at, person, venue, code, way_in, colour, health, reasons, helper, operator)",
    )
    .bind(&ids)
    .bind(&at)
    .bind(&person)
    .bind(&venue)
    .bind(&code)
    .bind(&way_in)
    .bind(&colour)
    .bind(&health)
    .bind(&reasons)
    .bind(&helper)
    .bind(&operator)
    .bind(desk.id)
    .execute(&mut **tx)
    .await?;
    // A colour a desk raised sticks for the person everywhere (R7).
    crate::raised::keep(tx, keys, &raises).await?;
    // Other desks at the same venue see these check-ins at their next pull; a venue with one
    // desk (the usual case) writes no change at all.
    let shared: std::collections::HashSet<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT venue_id FROM desk_venues WHERE venue_id = ANY($1) AND desk_id <> $2")
            .bind(&venue)
            .bind(desk.id)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    if !shared.is_empty() {
        let (venues, bodies): (Vec<Uuid>, Vec<serde_json::Value>) =
            venue.iter().zip(bodies).filter(|(v, _)| shared.contains(v)).map(|(v, b)| (*v, b)).unzip();
        let kind = sync::ChangeKind::Visit.key();
        let bodies = bodies.iter().map(|b| keys.data.seal_body(kind, b)).collect::<Result<Vec<_>>>()?;
        sqlx::query(
            "INSERT INTO changes (kind, venue_id, origin_desk, body)
             SELECT $4, u.venue, $3, u.body FROM UNNEST($1::uuid[], $2::jsonb[]) AS u(venue, body)",
        )
        .bind(&venues)
        .bind(&bodies)
        .bind(desk.id)
        .bind(kind)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
