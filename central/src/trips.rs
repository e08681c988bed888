//! 货车闭环 (R9): trips opened at checkpoints, arrivals at destinations, matched here because the
//! two are different desks. Both desks pull each change of a trip they are part of.

use chrono::{DateTime, Duration, Utc};
use placecode_core::checkin::TripResolution;
use placecode_core::sync::{TripChange, TripUpdateBody, TruckBody};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::error::{CentralError, Result};

/// A trip as desks and supervisors see it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct TripState {
    pub trip_id: Uuid,
    pub plate: String,
    pub checkpoint_venue_id: Uuid,
    pub checkpoint_name: Option<String>,
    pub destination_venue_id: Uuid,
    pub destination_name: Option<String>,
    pub crew: serde_json::Value,
    pub pass_number: String,
    pub entered_at: DateTime<Utc>,
    pub expected_departure: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
    /// 到达核验 (verified), 劝返 (turned_back) or 作废 (cancelled), from the checkpoint.
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Sealed as stored ({note, operator}); opened for desks and supervision.
    pub resolution_note: Option<serde_json::Value>,
    /// The desk that resolved it (the one that opened it).
    pub resolved_desk_name: Option<String>,
    /// Why supervision should look: a crew member the centre finds yellow or red with no
    /// decision (report or release) recorded at the checkpoint.
    pub flag: Option<String>,
}

const STATE: &str =
    "SELECT t.id AS trip_id, t.plate, t.checkpoint_venue AS checkpoint_venue_id, c.name AS checkpoint_name,
    t.destination_venue AS destination_venue_id, d.name AS destination_name, t.crew, t.pass_number, t.entered_at,
    t.expected_departure, t.arrived_at, t.resolution, t.resolved_at, t.resolution_note, r.name AS resolved_desk_name,
    t.flag
    FROM trips t LEFT JOIN venues c ON c.id = t.checkpoint_venue LEFT JOIN venues d ON d.id = t.destination_venue
    LEFT JOIN desks r ON r.id = t.resolved_desk";

/// Crew as the other desk and supervision need it: names, documents masked, phones (to reach an
/// overdue crew), plate.
fn crew_json(b: &TruckBody, risk_key: &[u8; 32]) -> serde_json::Value {
    serde_json::Value::Array(
        b.crew
            .iter()
            .map(|c| {
                let hash = hex::encode(placecode_core::risk::id_hash(risk_key, &c.document_number));
                serde_json::json!({
                    "name": c.name, "document_masked": placecode_core::mask::last_four(&c.document_number),
                    "phone": c.phone, "origin": c.origin,
                    "id_hash_hex": hash[..placecode_core::sync::TRIP_HASH_HEX],
                })
            })
            .collect(),
    )
}

fn latest_departure(b: &TruckBody) -> Option<DateTime<Utc>> {
    let today = placecode_core::sync::shanghai_date(b.at);
    b.crew
        .iter()
        .filter_map(|c| placecode_core::checkin::expected_time(&c.expected_departure, today).ok().flatten())
        .max()
        .and_then(|t| t.and_local_timezone(placecode_core::checkin::shanghai()).single())
        .map(|t| t.with_timezone(&Utc))
}

async fn publish(tx: &mut Transaction<'_, Postgres>, keys: &crate::Keys, trip: Uuid) -> Result<()> {
    let state: TripState = sqlx::query_as(&format!("{STATE} WHERE t.id = $1")).bind(trip).fetch_one(&mut **tx).await?;
    let state = state.opened(&keys.data)?;
    let sealed = keys.data.seal_body(placecode_core::sync::ChangeKind::Trip.key(), &state.change())?;
    for venue in [state.checkpoint_venue_id, state.destination_venue_id] {
        crate::pull::append(tx, placecode_core::sync::ChangeKind::Trip, Some(venue), None, &sealed).await?;
    }
    Ok(())
}

impl TripState {
    /// The crew as stored is sealed (names and phones); opened for the desks and supervision.
    fn opened(mut self, keys: &crate::fields::DataKeys) -> Result<TripState> {
        self.crew = keys.open_body("trip_crew", std::mem::take(&mut self.crew))?;
        if let Some(note) = self.resolution_note.take() {
            self.resolution_note = Some(keys.open_body("trip_note", note)?);
        }
        Ok(self)
    }

    /// The trip as the core's record type for the desks.
    fn change(&self) -> TripChange {
        let note = self.resolution_note.as_ref().and_then(|n| n.get("note")).and_then(|n| n.as_str());
        TripChange {
            trip_id: self.trip_id.to_string(),
            plate: self.plate.clone(),
            checkpoint_venue_id: self.checkpoint_venue_id.to_string(),
            checkpoint_name: self.checkpoint_name.clone(),
            destination_venue_id: self.destination_venue_id.to_string(),
            destination_name: self.destination_name.clone(),
            crew: serde_json::from_value(self.crew.clone()).unwrap_or_default(),
            pass_number: self.pass_number.clone(),
            entered_at: self.entered_at,
            expected_departure: self.expected_departure,
            arrived_at: self.arrived_at,
            resolution: self.resolution.as_deref().and_then(TripResolution::from_key),
            resolved_at: self.resolved_at,
            resolution_note: note.unwrap_or_default().to_owned(),
        }
    }

    /// open, overdue (no arrival `overdue_hours` after entry), closed (arrived), or the
    /// checkpoint's resolution (verified, turned_back, cancelled).
    fn status(&self, cutoff: DateTime<Utc>) -> &'static str {
        match (self.arrived_at, self.resolution.as_deref().and_then(TripResolution::from_key)) {
            (Some(_), _) => "closed",
            (None, Some(r)) => r.key(),
            (None, None) if self.entered_at < cutoff => "overdue",
            (None, None) => "open",
        }
    }
}

/// 到达核验, 劝返 or 作废 from the desk that opened the trip (another desk, even at the same
/// checkpoint, changes nothing): applied once to a trip still in transit (a trip already arrived
/// or resolved keeps what happened first) and published to both desks. The note and the
/// operator the desk names are sealed; the desk is recorded.
pub async fn resolve(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: Uuid,
    venue: Uuid,
    trip: Uuid,
    b: &TripUpdateBody,
) -> Result<()> {
    let note = serde_json::json!({ "note": b.note, "operator": b.operator });
    let done: Option<Uuid> = sqlx::query_scalar(
        "UPDATE trips SET resolution = $3, resolved_at = $4, resolution_note = $5, resolved_desk = $6
         WHERE id = $1 AND checkpoint_venue = $2 AND checkpoint_desk = $6 AND arrived_at IS NULL AND resolution IS NULL
         RETURNING id",
    )
    .bind(trip)
    .bind(venue)
    .bind(b.resolution.key())
    .bind(b.at)
    .bind(keys.data.seal_body("trip_note", &note)?)
    .bind(desk)
    .fetch_optional(&mut **tx)
    .await?;
    match done {
        Some(t) => publish(tx, keys, t).await,
        None => {
            tracing::info!(trip = %trip, "trip update for a trip unknown here or already ended: kept as a record only");
            Ok(())
        }
    }
}

/// An entry at a checkpoint: the trip opens, and an arrival that came first is matched to it.
pub async fn record_trip(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: Uuid,
    id: Uuid,
    b: &TruckBody,
) -> Result<()> {
    let plate = placecode_core::identity::plate(&b.plate).unwrap_or_else(|_| b.plate.clone());
    let checkpoint = Uuid::parse_str(&b.venue_id).map_err(|_| CentralError::Internal("venue".into()))?;
    let destination = b
        .destination_venue_id
        .as_deref()
        .and_then(|d| Uuid::parse_str(d).ok())
        .ok_or_else(|| CentralError::Internal("destination".into()))?;
    sqlx::query(
        "INSERT INTO trips (id, plate, checkpoint_venue, destination_venue, checkpoint_desk, crew, pass_number,
             entered_at, expected_departure)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(&plate)
    .bind(checkpoint)
    .bind(destination)
    .bind(desk)
    .bind(keys.data.seal_body("trip_crew", &crew_json(b, &keys.risk))?)
    .bind(placecode_core::sync::pass_number(&b.pass_number).unwrap_or_default())
    .bind(b.at)
    .bind(latest_departure(b))
    .execute(&mut **tx)
    .await?;
    // An arrival pushed before the entry (the destination desk synced first).
    let early: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
        "UPDATE arrivals SET trip_id = $1 WHERE id = (
            SELECT id FROM arrivals WHERE trip_id IS NULL AND plate = $2 AND venue_id = $3
              AND at >= $4 - interval '1 hour' AND at <= $4 + interval '72 hours' ORDER BY at LIMIT 1)
         RETURNING id, at",
    )
    .bind(id)
    .bind(&plate)
    .bind(destination)
    .bind(b.at)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((arrival, at)) = early {
        sqlx::query("UPDATE trips SET arrived_at = $2, arrival_id = $3 WHERE id = $1")
            .bind(id)
            .bind(at)
            .bind(arrival)
            .execute(&mut **tx)
            .await?;
    }
    publish(tx, keys, id).await
}

/// For each entry of this batch, what supervision should look at: crew members the centre's own
/// rule (its risk list, colours kept, their declared answers) finds yellow or red and
/// - with no decision (a report or a release) recorded at the checkpoint for their visit at this
///   entry (a forged or altered desk, or a list the desk did not yet have);
/// - let go by the checkpoint (a release: the reason is shown), since a listed person entered;
/// - reported, while the truck was not turned back.
///
/// Flagged, not refused: the truck may well be on the road.
pub async fn flag_undecided(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    entered: &[(Uuid, Uuid, TruckBody)],
) -> Result<()> {
    use placecode_core::decision::{self, Colour, RiskEntry};
    for (trip, venue, b) in entered {
        let today = placecode_core::sync::shanghai_date(b.at);
        let resolution: Option<String> =
            sqlx::query_scalar("SELECT resolution FROM trips WHERE id = $1").bind(trip).fetch_one(&mut **tx).await?;
        let turned_back = resolution.as_deref() == Some(TripResolution::TurnedBack.key());
        let mut notes = Vec::new();
        for c in &b.crew {
            let Ok(d) = placecode_core::checkin::truck_declaration(c, today, "") else { continue };
            let person = keys.person(&d.document_number);
            let entry = crate::risk::listed(tx, &person).await?.map(|colour| RiskEntry {
                colour,
                reason: String::new(),
                confirmed: true,
            });
            let kept = crate::raised::for_hash(&mut **tx, &person, None).await?;
            let colour = decision::decide_at(entry.as_ref(), kept.as_ref(), &d.answers, b.at).colour;
            if colour == Colour::Green {
                continue;
            }
            // The decision on this person's visit at this very entry (the desk records the crew's
            // visits at the entry's instant), not an earlier one at the same checkpoint.
            let decision: Option<(String, Uuid, String)> = sqlx::query_as(
                "SELECT i.status, i.id, i.note FROM incidents i JOIN visits v ON v.id = i.visit_id
                   JOIN people p ON p.id = v.person_id
                   WHERE i.venue_id = $1 AND (p.id_hash = $2 OR p.id_hash = $3)
                     AND v.at BETWEEN $4 - interval '1 minute' AND $4 + interval '1 minute'
                   ORDER BY i.at DESC LIMIT 1",
            )
            .bind(venue)
            .bind(&person.lookup)
            .bind(person.desk.as_slice())
            .bind(b.at)
            .fetch_optional(&mut **tx)
            .await?;
            let who = format!("{}（{}）", placecode_core::mask::name(&d.name), colour.label());
            match decision {
                None => notes.push(format!("{who}无拒绝上报或放行记录")),
                Some((status, incident, note)) if status == "released" => {
                    let note = keys.data.open(crate::fields::INCIDENT_NOTE, incident.as_bytes(), &note)?;
                    notes.push(format!("{who}经卡口放行：{note}"))
                }
                Some(_) if !turned_back => notes.push(format!("{who}已上报，车辆却未劝返")),
                Some(_) => {}
            }
        }
        if !notes.is_empty() {
            let flag = format!("司乘人员在中心为黄码或红码：{}", notes.join("；"));
            sqlx::query("UPDATE trips SET flag = $2 WHERE id = $1").bind(trip).bind(flag).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// An arrival at a destination: it closes the trip it names, or the latest open trip of the same
/// plate to this destination; with none, it is kept as an arrival without a known entry.
pub async fn record_arrival(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: Uuid,
    id: Uuid,
    b: &TruckBody,
) -> Result<()> {
    let plate = placecode_core::identity::plate(&b.plate).unwrap_or_else(|_| b.plate.clone());
    let venue = Uuid::parse_str(&b.venue_id).map_err(|_| CentralError::Internal("venue".into()))?;
    let named = b.trip_id.as_deref().and_then(|t| Uuid::parse_str(t).ok());
    // The trip in transit; else one its checkpoint ended (an arrival after 劝返 or 作废 is linked
    // to it, and listed for supervision, but does not close it).
    let trip: Option<(Uuid, Option<String>)> = sqlx::query_as(
        "SELECT id, resolution FROM trips WHERE destination_venue = $1 AND arrived_at IS NULL
           AND (id = $2 OR ($2 IS NULL AND plate = $3 AND entered_at <= $4 + interval '1 hour'
                AND entered_at >= $4 - interval '72 hours'))
         ORDER BY resolution IS NOT NULL, entered_at DESC LIMIT 1",
    )
    .bind(venue)
    .bind(named)
    .bind(&plate)
    .bind(b.at)
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO arrivals (id, plate, venue_id, desk_id, trip_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(&plate)
        .bind(venue)
        .bind(desk)
        .bind(trip.as_ref().map(|(t, _)| *t))
        .bind(b.at)
        .execute(&mut **tx)
        .await?;
    let closes = |r: &Option<String>| r.is_none() || r.as_deref() == Some(TripResolution::Verified.key());
    if let Some((t, _)) = trip.filter(|(_, r)| closes(r)) {
        sqlx::query("UPDATE trips SET arrived_at = $2, arrival_id = $3 WHERE id = $1")
            .bind(t)
            .bind(b.at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        publish(tx, keys, t).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TripQuery {
    pub checkpoint: Option<Uuid>,
    pub destination: Option<Uuid>,
    /// open, overdue, closed, verified, turned_back, cancelled, unmatched (arrivals without a
    /// known entry), or all.
    #[serde(default)]
    pub status: Option<String>,
    /// 查询用途, required of the API (written to the audit log).
    #[serde(default)]
    pub purpose: String,
    /// Only trips entering or bound for a venue of this district (a district's supervisor).
    #[serde(default)]
    pub district: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SupervisedTrip {
    #[serde(flatten)]
    pub trip: TripState,
    /// open, overdue, closed, verified, turned_back or cancelled.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct UnmatchedArrival {
    pub arrival_id: Uuid,
    pub plate: String,
    pub venue_id: Uuid,
    pub venue_name: Option<String>,
    pub at: DateTime<Utc>,
    /// The trip the checkpoint had turned back or voided before this arrival, if that is why.
    pub trip_id: Option<Uuid>,
    /// turned_back or cancelled; none: no known entry.
    pub trip_resolution: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Supervision {
    pub overdue_hours: i64,
    pub open: i64,
    pub closed: i64,
    pub overdue: i64,
    /// 到达核验 by the checkpoint.
    pub verified: i64,
    /// 劝返, at entry or after.
    pub turned_back: i64,
    pub cancelled: i64,
    /// Trips with a flag (see [`TripState::flag`]), whatever their status.
    pub flagged: i64,
    /// Arrivals that match no entry (listed in `unmatched_arrivals`).
    pub unmatched: i64,
    pub trips: Vec<SupervisedTrip>,
    pub unmatched_arrivals: Vec<UnmatchedArrival>,
}

/// 监管: trips by checkpoint and destination, open, closed and overdue (no arrival within
/// `overdue_hours` of entry), and arrivals that match no entry. Audited like tracing.
pub async fn supervise(
    db: crate::db::Db<'_>,
    keys: &crate::Keys,
    actor: &crate::audit::Actor,
    q: &TripQuery,
    overdue_hours: i64,
    now: DateTime<Utc>,
) -> Result<Supervision> {
    let status = q.status.clone().unwrap_or_else(|| "all".into());
    const STATUSES: [&str; 8] =
        ["all", "open", "overdue", "closed", "verified", "turned_back", "cancelled", "unmatched"];
    if !STATUSES.contains(&status.as_str()) {
        return Err(CentralError::Invalid {
            field: "status".into(),
            message: "状态：应为 open、overdue、closed、verified、turned_back、cancelled、unmatched 或 all".into(),
        });
    }
    let since = now - Duration::days(14);
    let rows: Vec<TripState> = sqlx::query_as(&format!(
        "{STATE} WHERE t.entered_at >= $1 AND ($2::uuid IS NULL OR t.checkpoint_venue = $2)
           AND ($3::uuid IS NULL OR t.destination_venue = $3)
           AND ($4::text IS NULL OR c.district = $4 OR d.district = $4) ORDER BY t.entered_at DESC LIMIT 5000"
    ))
    .bind(since)
    .bind(q.checkpoint)
    .bind(q.destination)
    .bind(&q.district)
    .fetch_all(db.reads)
    .await?;
    let cutoff = now - Duration::hours(overdue_hours);
    let mut counts: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut trips = Vec::new();
    for t in rows {
        let t = t.opened(&keys.data)?;
        let s = t.status(cutoff);
        *counts.entry(s).or_default() += 1;
        if t.flag.is_some() {
            *counts.entry("flagged").or_default() += 1;
        }
        if status == "all" || status == s {
            trips.push(SupervisedTrip { trip: t, status: s.into() });
        }
    }
    let unmatched_arrivals: Vec<UnmatchedArrival> = if status == "all" || status == "unmatched" {
        sqlx::query_as(
            "SELECT a.id AS arrival_id, a.plate, a.venue_id, v.name AS venue_name, a.at, a.trip_id,
                t.resolution AS trip_resolution
             FROM arrivals a LEFT JOIN venues v ON v.id = a.venue_id LEFT JOIN trips t ON t.id = a.trip_id
             WHERE (a.trip_id IS NULL OR (t.arrived_at IS NULL AND t.resolution IN ('turned_back', 'cancelled')))
               AND a.at >= $1 AND ($2::uuid IS NULL OR a.venue_id = $2) AND ($3::text IS NULL OR v.district = $3)
             ORDER BY a.at DESC",
        )
        .bind(since)
        .bind(q.destination)
        .bind(&q.district)
        .fetch_all(db.reads)
        .await?
    } else {
        Vec::new()
    };
    if status == "unmatched" {
        trips.clear();
    }
    let params = serde_json::json!({"checkpoint": q.checkpoint, "destination": q.destination, "status": q.status,
        "district": q.district});
    crate::audit::write(db.primary, actor, "supervise_trips", params, trips.len() + unmatched_arrivals.len()).await?;
    let n = |s: &str| counts.get(s).copied().unwrap_or(0);
    Ok(Supervision {
        overdue_hours,
        open: n("open"),
        closed: n("closed"),
        overdue: n("overdue"),
        verified: n("verified"),
        turned_back: n("turned_back"),
        cancelled: n("cancelled"),
        flagged: n("flagged"),
        unmatched: unmatched_arrivals.len() as i64,
        trips,
        unmatched_arrivals,
    })
}
