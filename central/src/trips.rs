//! 货车闭环 (R9): trips opened at checkpoints, arrivals at destinations, matched here because the
//! two are different desks. Both desks pull each change of a trip they are part of.

use chrono::{DateTime, Duration, Utc};
use placecode::sync::TruckBody;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};
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
}

const STATE: &str =
    "SELECT t.id AS trip_id, t.plate, t.checkpoint_venue AS checkpoint_venue_id, c.name AS checkpoint_name,
    t.destination_venue AS destination_venue_id, d.name AS destination_name, t.crew, t.pass_number, t.entered_at,
    t.expected_departure, t.arrived_at
    FROM trips t LEFT JOIN venues c ON c.id = t.checkpoint_venue LEFT JOIN venues d ON d.id = t.destination_venue";

/// Crew as the other desk and supervision need it: names, documents masked, phones (to reach an
/// overdue crew), plate.
fn crew_json(b: &TruckBody, risk_key: &[u8; 32]) -> serde_json::Value {
    serde_json::Value::Array(
        b.crew
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name, "document_masked": placecode::mask::id_number(&c.document_number),
                    "phone": c.phone, "origin": c.origin,
                    "id_hash_hex": hex::encode(placecode::risk::id_hash(risk_key, &c.document_number)),
                })
            })
            .collect(),
    )
}

fn latest_departure(b: &TruckBody) -> Option<DateTime<Utc>> {
    let today = placecode::sync::shanghai_date(b.at);
    b.crew
        .iter()
        .filter_map(|c| placecode::checkin::expected_time(&c.expected_departure, today).ok().flatten())
        .max()
        .and_then(|t| t.and_local_timezone(placecode::store::shanghai()).single())
        .map(|t| t.with_timezone(&Utc))
}

async fn publish(tx: &mut Transaction<'_, Postgres>, keys: &crate::Keys, trip: Uuid) -> Result<()> {
    let state: TripState = sqlx::query_as(&format!("{STATE} WHERE t.id = $1")).bind(trip).fetch_one(&mut **tx).await?;
    let state = state.opened(&keys.data)?;
    let body = serde_json::to_value(&state).map_err(|e| CentralError::Internal(e.to_string()))?;
    let sealed = keys.data.seal_body("trip", &body)?;
    for venue in [state.checkpoint_venue_id, state.destination_venue_id] {
        crate::push::change(tx, "trip", Some(venue), None, &sealed).await?;
    }
    Ok(())
}

impl TripState {
    /// The crew as stored is sealed (names and phones); opened for the desks and supervision.
    fn opened(mut self, keys: &crate::fields::DataKeys) -> Result<TripState> {
        self.crew = keys.open_body("trip_crew", std::mem::take(&mut self.crew))?;
        Ok(self)
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
    let plate = placecode::identity::plate(&b.plate).unwrap_or_else(|_| b.plate.clone());
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
    .bind(placecode::sync::pass_number(&b.pass_number).unwrap_or_default())
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

/// An arrival at a destination: it closes the trip it names, or the latest open trip of the same
/// plate to this destination; with none, it is kept as an arrival without a known entry.
pub async fn record_arrival(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    desk: Uuid,
    id: Uuid,
    b: &TruckBody,
) -> Result<()> {
    let plate = placecode::identity::plate(&b.plate).unwrap_or_else(|_| b.plate.clone());
    let venue = Uuid::parse_str(&b.venue_id).map_err(|_| CentralError::Internal("venue".into()))?;
    let named = b.trip_id.as_deref().and_then(|t| Uuid::parse_str(t).ok());
    let trip: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM trips WHERE destination_venue = $1 AND arrived_at IS NULL
           AND (id = $2 OR ($2 IS NULL AND plate = $3 AND entered_at <= $4 + interval '1 hour'
                AND entered_at >= $4 - interval '72 hours'))
         ORDER BY entered_at DESC LIMIT 1",
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
        .bind(trip)
        .bind(b.at)
        .execute(&mut **tx)
        .await?;
    if let Some(t) = trip {
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
    /// open, closed, overdue, unmatched (arrivals without a known entry), or all.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SupervisedTrip {
    #[serde(flatten)]
    pub trip: TripState,
    /// open, closed or overdue.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct UnmatchedArrival {
    pub arrival_id: Uuid,
    pub plate: String,
    pub venue_id: Uuid,
    pub venue_name: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Supervision {
    pub overdue_hours: i64,
    pub open: i64,
    pub closed: i64,
    pub overdue: i64,
    pub trips: Vec<SupervisedTrip>,
    pub unmatched_arrivals: Vec<UnmatchedArrival>,
}

/// 监管: trips by checkpoint and destination, open, closed and overdue (no arrival within
/// `overdue_hours` of entry), and arrivals that match no entry. Audited like tracing.
pub async fn supervise(
    pool: &PgPool,
    keys: &crate::Keys,
    actor: &str,
    q: &TripQuery,
    overdue_hours: i64,
    now: DateTime<Utc>,
) -> Result<Supervision> {
    let status = q.status.clone().unwrap_or_else(|| "all".into());
    if !["all", "open", "closed", "overdue", "unmatched"].contains(&status.as_str()) {
        return Err(CentralError::Invalid {
            field: "status".into(),
            message: "状态：应为 open、closed、overdue、unmatched 或 all".into(),
        });
    }
    let since = now - Duration::days(14);
    let rows: Vec<TripState> = sqlx::query_as(&format!(
        "{STATE} WHERE t.entered_at >= $1 AND ($2::uuid IS NULL OR t.checkpoint_venue = $2)
           AND ($3::uuid IS NULL OR t.destination_venue = $3) ORDER BY t.entered_at DESC LIMIT 5000"
    ))
    .bind(since)
    .bind(q.checkpoint)
    .bind(q.destination)
    .fetch_all(pool)
    .await?;
    let cutoff = now - Duration::hours(overdue_hours);
    let (mut open, mut closed, mut overdue) = (0, 0, 0);
    let mut trips = Vec::new();
    for t in rows {
        let t = t.opened(&keys.data)?;
        let s = match (t.arrived_at, t.entered_at < cutoff) {
            (Some(_), _) => {
                closed += 1;
                "closed"
            }
            (None, true) => {
                overdue += 1;
                "overdue"
            }
            (None, false) => {
                open += 1;
                "open"
            }
        };
        if status == "all" || status == s {
            trips.push(SupervisedTrip { trip: t, status: s.into() });
        }
    }
    let unmatched_arrivals: Vec<UnmatchedArrival> = if status == "all" || status == "unmatched" {
        sqlx::query_as(
            "SELECT a.id AS arrival_id, a.plate, a.venue_id, v.name AS venue_name, a.at FROM arrivals a
             LEFT JOIN venues v ON v.id = a.venue_id
             WHERE a.trip_id IS NULL AND a.at >= $1 AND ($2::uuid IS NULL OR a.venue_id = $2) ORDER BY a.at DESC",
        )
        .bind(since)
        .bind(q.destination)
        .fetch_all(pool)
        .await?
    } else {
        Vec::new()
    };
    if status == "unmatched" {
        trips.clear();
    }
    sqlx::query("INSERT INTO audit_log (actor, action, params, results) VALUES ($1, 'supervise_trips', $2, $3)")
        .bind(actor)
        .bind(serde_json::to_value(q).unwrap_or_default())
        .bind((trips.len() + unmatched_arrivals.len()) as i64)
        .execute(pool)
        .await?;
    Ok(Supervision { overdue_hours, open, closed, overdue, trips, unmatched_arrivals })
}
