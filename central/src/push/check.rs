//! What a pushed record must pass beyond its content (the core's `sync::check_content`): who
//! may write for which venue, which code kinds a venue takes, one code one venue, revocations of
//! the desk's own codes only, incident steps on their incident's venue.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use placecode_core::sync::{self, Body, CodeRevokedBody, Record, RecordKind, Refusal};
use placecode_core::venue::CodeKind;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::auth::EnrolledDesk;
use crate::error::Result;

use super::*;

/// What the checks need from the database, loaded once per batch.
pub(super) struct Context<'a> {
    desk: &'a EnrolledDesk,
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
    pub(super) async fn load(
        tx: &mut Transaction<'_, Postgres>,
        desk: &'a EnrolledDesk,
        items: &[(usize, Item)],
    ) -> Result<Context<'a>> {
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
            .filter(|(_, it)| matches!(it.record.kind, RecordKind::Code | RecordKind::CodeRevoked | RecordKind::Visit))
            .filter_map(|(_, it)| {
                it.record.body.get("code")?.as_str().and_then(|c| placecode_core::code::parse(c).ok())
            })
            .map(|p| p.code)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
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

    pub(super) fn check(&mut self, r: &Record, now: DateTime<Utc>) -> Result<Valid, Refusal> {
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
                Ok(Valid::Code(venue, parsed, label, b.rotating_only))
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
            Body::VenueLimit(b) => {
                let (venue, limit) = sync::check_venue_limit(&b)?;
                self.may_write(venue)?;
                Ok(Valid::VenueLimit(venue, limit))
            }
            Body::Departure(b) => {
                let (venue, ids) = sync::check_departure(&b, now)?;
                self.may_write(venue)?;
                Ok(Valid::Departure(venue, ids, b.at))
            }
            Body::Visit(b) => {
                let checked = sync::check_visit(&b, now)?;
                self.may_write(checked.venue)?;
                // The code a visit names is one of its own venue's (a trial's visit named another
                // venue's code). A code the centre has not yet heard of is taken: its record may
                // come in a later batch, and a visit is never lost over the code it names.
                let code = b.code.as_deref().and_then(|c| placecode_core::code::parse(c).ok());
                if code.is_some_and(|c| self.known_codes.get(&c.code).is_some_and(|(v, _)| *v != checked.venue)) {
                    return Err(sync::refuse("code", "所填场所码属于其他场所，不是本次登记场所的码"));
                }
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
