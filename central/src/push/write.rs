//! Writing what passed: each record kind to its tables (personal fields sealed), and the
//! changes other desks pull.

use chrono::{DateTime, Utc};
use placecode_core::checkin::IncidentStatus;
use placecode_core::sync::{
    self, CodeRevokedBody, IncidentBody, IncidentEventBody, RecordKind, TruckBody, VenueDecision, VisitBody,
};
use placecode_core::venue::CodeKind;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::auth::EnrolledDesk;
use crate::error::{CentralError, Result};

/// R3 review: the same rules as the desk, and 一所一码 across the whole city. The manager's name
/// and phone are personal: sealed, bound to the venue.
pub(super) async fn write_venue(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
    id: Uuid,
    v: &placecode_core::venue::ValidVenue,
    supervision_phone: Option<&str>,
) -> Result<VenueDecision> {
    let key = v.dedup_key();
    let tail = v.tail_key();
    let twin: Option<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, name, address FROM venues WHERE (dedup_key = $1 OR tail_key = $3) AND status = 'approved' AND id <> $2
         LIMIT 1",
    )
    .bind(&key)
    .bind(id)
    .bind(&tail)
    .fetch_optional(&mut **tx)
    .await?;
    let (status, reason) = match twin {
        // The approved venue's number, for the district's `enrol-token --venue`.
        Some((twin, name, address)) => ("rejected", format!("重复登记：该场所已登记为“{name}”（{address}），一所一码，不能重复登记；本场所的登记台请向所在区申请该场所（编号 {twin}）的接入凭证，接入后在“场所列表”中把它设为本台场所")),
        None => ("approved", String::new()),
    };
    sqlx::query(
        "INSERT INTO venues (id, desk_id, kind, category, name, district, address, manager_name, manager_phone,
             dedup_key, status, reason, supervision_phone, tail_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, category = EXCLUDED.category, name = EXCLUDED.name,
             district = EXCLUDED.district, address = EXCLUDED.address, manager_name = EXCLUDED.manager_name,
             manager_phone = EXCLUDED.manager_phone, dedup_key = EXCLUDED.dedup_key, status = EXCLUDED.status,
             reason = EXCLUDED.reason, supervision_phone = COALESCE(EXCLUDED.supervision_phone, venues.supervision_phone),
             tail_key = EXCLUDED.tail_key, updated_at = now()",
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
    .bind(&tail)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO desk_venues (desk_id, venue_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(desk.id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let decision = VenueDecision { venue_id: id.to_string(), status: status.into(), reason };
    crate::pull::append(tx, sync::ChangeKind::VenueDecision, Some(id), None, &decision).await?;
    if v.kind == CodeKind::Destination && status == "approved" {
        // Every checkpoint desk needs the list of destinations to name a trip's.
        let body = sync::DestinationChange {
            venue_id: id.to_string(),
            name: v.name.clone(),
            address: v.address.clone(),
            district: v.district.key().into(),
        };
        crate::pull::append(tx, sync::ChangeKind::Destination, None, None, &body).await?;
    }
    Ok(decision)
}

pub(super) async fn write_code(
    tx: &mut Transaction<'_, Postgres>,
    desk: &EnrolledDesk,
    venue: Uuid,
    (code, label, rotating_only): (&placecode_core::code::ParsedCode, &str, bool),
    at: DateTime<Utc>,
) -> Result<()> {
    // The same code sent again (its entrance set to take only the 扫码屏's code, or back) changes
    // that alone, and only for the desk and venue it is on record for.
    sqlx::query(
        "INSERT INTO codes (code, venue_id, desk_id, kind, label, created_at, rotating_only)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (code) DO UPDATE SET rotating_only = EXCLUDED.rotating_only
         WHERE codes.desk_id = EXCLUDED.desk_id AND codes.venue_id = EXCLUDED.venue_id
           AND codes.rotating_only <> EXCLUDED.rotating_only",
    )
    .bind(&code.code)
    .bind(venue)
    .bind(desk.id)
    .bind(code.kind.key())
    .bind(label)
    .bind(at)
    .bind(rotating_only)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn revoke_code(
    tx: &mut Transaction<'_, Postgres>,
    desk: &EnrolledDesk,
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
pub(super) async fn write_incident(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
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
    let sealed = keys.data.seal_body(sync::ChangeKind::Incident.key(), b)?;
    crate::pull::append(tx, sync::ChangeKind::Incident, Some(venue), Some(desk.id), &sealed).await
}

pub(super) async fn write_incident_event(
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
    // Forward only, whatever order the steps arrive in: a step back (which no desk makes) is kept
    // as a step and changes nothing.
    let order: Vec<&str> = IncidentStatus::ALL.iter().map(|s| s.key()).collect();
    sqlx::query(
        "UPDATE incidents SET status = $2, updated_at = GREATEST(updated_at, $3)
         WHERE id = $1 AND array_position($4::text[], status) < array_position($4::text[], $2)",
    )
    .bind(incident)
    .bind(&b.status)
    .bind(b.at)
    .bind(&order)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn write_truck(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
    venue: Uuid,
    kind: RecordKind,
    b: &TruckBody,
) -> Result<()> {
    // The crew's documents and phones, sealed like a person's record (kept as the desk sent it).
    let body = keys.data.seal_body("truck_record", b)?;
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

/// People are upserted by keyed hash; visits and their pull changes go in with one statement each.
pub(super) async fn write_visits(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: &EnrolledDesk,
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
    let mut greens = LateHits::default();
    for (id, body, (b, c)) in visits {
        let person_key = keys.person(&c.document_number);
        let pid = people
            .get(&person_key.lookup)
            .copied()
            .ok_or_else(|| CentralError::Internal("person not upserted".into()))?;
        if b.colour == placecode_core::decision::Colour::Green {
            greens.visits.push(id);
            greens.hashes.push(person_key.lookup.clone());
            greens.venues.push(c.venue);
            greens.at.push(b.at);
        }
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
    // Greens of people the centre holds as yellow or red, before this batch's own raises.
    greens.keep(tx, desk.id).await?;
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

/// A batch's green check-ins, to be told apart when the centre holds the person as yellow or red.
#[derive(Default)]
struct LateHits {
    visits: Vec<Uuid>,
    hashes: Vec<Vec<u8>>,
    venues: Vec<Uuid>,
    at: Vec<DateTime<Utc>>,
}

impl LateHits {
    /// Lists each green check-in of someone on the risk list, or with a colour kept at the
    /// centre when they came in (`late_hits`): the desk let them in on a stale list or offline,
    /// or says green where it should not. The visit stays as the desk recorded it; the venue's
    /// desks (the one that sent it too) are told at their next pull (`late_hit`), once.
    async fn keep(&self, tx: &mut Transaction<'_, Postgres>, desk: Uuid) -> Result<()> {
        if self.visits.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "WITH hit AS (
             INSERT INTO late_hits (visit_id, venue_id, desk_id, colour, visit_at)
             SELECT u.id, u.venue, $5,
                    CASE WHEN r.colour = 'red' OR k.colour = 'red' THEN 'red' ELSE 'yellow' END, u.at
             FROM UNNEST($1::uuid[], $2::bytea[], $3::uuid[], $4::timestamptz[]) AS u(id, hash, venue, at)
             LEFT JOIN risk r ON r.id_hash = u.hash AND r.colour IN ('red', 'yellow')
             LEFT JOIN raised k ON k.id_hash = u.hash AND k.colour IN ('red', 'yellow')
                 AND u.at < k.until AND u.at >= k.until - make_interval(days => $6)
             WHERE r.id_hash IS NOT NULL OR k.id_hash IS NOT NULL
             ON CONFLICT (visit_id) DO NOTHING
             RETURNING visit_id, venue_id, colour)
             INSERT INTO changes (kind, venue_id, body)
             SELECT $7, venue_id, jsonb_build_object('visit_id', visit_id::text, 'colour', colour) FROM hit",
        )
        .bind(&self.visits)
        .bind(&self.hashes)
        .bind(&self.venues)
        .bind(&self.at)
        .bind(desk)
        .bind(i32::try_from(placecode_core::decision::RAISED_KEEP_DAYS).unwrap_or(14))
        .bind(sync::ChangeKind::LateHit.key())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// A venue's limit (限流) as its desk set it; none removes it.
pub(super) async fn write_venue_limit(
    tx: &mut Transaction<'_, Postgres>,
    venue: Uuid,
    limit: Option<&placecode_core::occupancy::Limit>,
) -> Result<()> {
    let n = |f: fn(&placecode_core::occupancy::Limit) -> u32| limit.map(|l| i32::try_from(f(l)).unwrap_or(i32::MAX));
    sqlx::query("UPDATE venues SET capacity = $2, limit_percent = $3, stay_minutes = $4 WHERE id = $1")
        .bind(venue)
        .bind(n(|l| l.capacity))
        .bind(n(|l| l.percent))
        .bind(n(|l| l.stay_minutes))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// 离场: the check-ins a desk closed, at its venue only, each once (the first 离场 stands).
pub(super) async fn write_departure(
    tx: &mut Transaction<'_, Postgres>,
    venue: Uuid,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE visits SET left_at = $3 WHERE venue_id = $1 AND id = ANY($2) AND left_at IS NULL AND at <= $3")
        .bind(venue)
        .bind(ids)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
