//! 货车闭环 at the desk (R1, R5, R9): a checkpoint opens a trip for a declared crew; a
//! destination records the arrival; the central server matches the two and both desks pull the
//! trip's state. Overdue trips and expected departures are listed for the checkpoint's staff.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::checkin::{insert_visit, shanghai, CheckInContext, Door};
use super::{outbox, rfc3339, set_setting, setting, Store};
use crate::checkin::{self, CheckInResult, TruckDeclarationInput, WayIn};
use crate::decision::Colour;
use crate::error::{Error, FieldError, Result};
use crate::identity::{self, DocumentKind};
use crate::sync::RecordKind;
use crate::venue::CodeKind;

const OVERDUE_HOURS: &str = "truck.overdue_hours";
/// A trip with no arrival this many hours after entry is overdue (the desk's setting and the
/// central server's flag both start here).
pub const DEFAULT_OVERDUE_HOURS: i64 = 12;

/// What the checkpoint's staff submit to open a trip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripInput {
    pub plate: String,
    /// Driver first, then passengers.
    pub crew: Vec<TruckDeclarationInput>,
    /// 电子通行证号, optional.
    pub pass_number: String,
    /// The 目的地场所 (a registered destination venue).
    pub destination_id: String,
    /// The phone pre-declaration being confirmed, if any.
    pub predeclaration_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TripStatus {
    Open,
    Closed,
    Overdue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CrewMember {
    pub name_masked: String,
    pub document_masked: String,
    /// In full: the checkpoint must be able to call an overdue crew.
    pub phone: String,
    pub colour: Colour,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trip {
    pub id: String,
    pub plate: String,
    pub checkpoint_name: String,
    pub destination_id: String,
    pub destination_name: String,
    pub crew: Vec<CrewMember>,
    pub pass_number: String,
    pub entered_at: String,
    pub expected_departure: Option<String>,
    pub arrived_at: Option<String>,
    pub status: TripStatus,
    pub sync_state: String,
}

/// The trip, when every crew member was green; each member's result either way (a yellow or red
/// member goes through refuse-and-report like any check-in, and no trip opens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripResult {
    pub trip: Option<Trip>,
    pub results: Vec<CheckInResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Destination {
    pub id: String,
    pub name: String,
    pub address: String,
}

/// A crew's declaration made on a phone before arriving (R9).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreDeclaration {
    pub id: String,
    pub plate: String,
    pub crew: Vec<TruckDeclarationInput>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CrewLookup {
    pub predeclarations: Vec<PreDeclaration>,
    /// The crew of this truck's last trip through this checkpoint (a returning truck).
    pub previous: Vec<TruckDeclarationInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Arrival {
    pub id: String,
    pub plate: String,
    pub at: String,
    pub trip: Option<Trip>,
    /// No known entry: recorded and reported to the central server.
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripBoard {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub overdue_hours: i64,
    pub open: Vec<Trip>,
    pub overdue: Vec<Trip>,
    /// Trips whose crew declared a 预计离豫时间, soonest first.
    pub expected_departures: Vec<Trip>,
    /// At a destination: trips declaring it, not yet arrived.
    pub expected_arrivals: Vec<Trip>,
    pub arrivals_today: Vec<Arrival>,
    pub closed: Vec<Trip>,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The stored crew: each member's input (normalized) and colour.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMember {
    input: TruckDeclarationInput,
    colour: Colour,
}

const TRIP_COLUMNS: &str =
    "id, plate, checkpoint_name, destination_id, destination_name, crew, pass_number, entered_at,
    expected_departure, arrived_at, sync_state";

fn trip_from_row(r: &rusqlite::Row, now: DateTime<Utc>, overdue_hours: i64) -> rusqlite::Result<Trip> {
    let crew_json: String = r.get(5)?;
    let crew: Vec<StoredMember> = serde_json::from_str(&crew_json).unwrap_or_default();
    let entered_at: String = r.get(7)?;
    let arrived_at: Option<String> = r.get(9)?;
    let entered = DateTime::parse_from_rfc3339(&entered_at).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let status = match arrived_at {
        Some(_) => TripStatus::Closed,
        None if now - entered > Duration::hours(overdue_hours) => TripStatus::Overdue,
        None => TripStatus::Open,
    };
    Ok(Trip {
        id: r.get(0)?,
        plate: r.get(1)?,
        checkpoint_name: r.get(2)?,
        destination_id: r.get(3)?,
        destination_name: r.get(4)?,
        crew: crew
            .iter()
            .map(|m| CrewMember {
                name_masked: crate::mask::name(&m.input.name),
                document_masked: crate::mask::id_number(&m.input.document_number),
                phone: m.input.phone.clone(),
                colour: m.colour,
            })
            .collect(),
        pass_number: r.get(6)?,
        entered_at,
        expected_departure: r.get(8)?,
        arrived_at,
        status,
        sync_state: r.get(10)?,
    })
}

/// Upserts a crew member as a person (any document kind) and returns their id. A crew member has
/// no home address here: their origin (来源地) is the trip's, so a person already known keeps
/// the address they declared and a new one has none.
fn upsert_member(conn: &Connection, m: &checkin::TruckDeclaration, stamp: &str) -> Result<String> {
    let last4: String = m.document_number.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let birth_year: i64 = match m.document_kind {
        DocumentKind::ResidentId => m.document_number.get(6..10).and_then(|y| y.parse().ok()).unwrap_or(0),
        _ => 0,
    };
    Ok(conn.query_row(
        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at,
            document_kind)
         VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?7, ?7, ?8)
         ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, phone = excluded.phone,
            document_kind = excluded.document_kind, updated_at = excluded.updated_at
         RETURNING id",
        params![outbox::new_id(), m.document_number, last4, birth_year, m.name, m.phone, stamp, m.document_kind.key()],
        |r| r.get(0),
    )?)
}

impl Store {
    pub fn overdue_hours(&self) -> Result<i64> {
        Ok(setting(&self.conn, OVERDUE_HOURS)?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_OVERDUE_HOURS))
    }

    pub fn set_overdue_hours(&mut self, hours: i64) -> Result<()> {
        if !(1..=72).contains(&hours) {
            return Err(invalid("overdue_hours", "超时时限：应为1至72小时"));
        }
        set_setting(&self.conn, OVERDUE_HOURS, &hours.to_string())
    }

    /// Registered destination venues: this desk's own and those published by the central server.
    pub fn destinations(&self, query: &str) -> Result<Vec<Destination>> {
        let q = crate::normalize::clean(query);
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

    /// A crew by plate or document number: phone pre-declarations not yet confirmed (last 48
    /// hours), and the crew of this truck's last trip here.
    pub fn find_crew(&self, query: &str) -> Result<CrewLookup> {
        let q = crate::normalize::compact(query).to_ascii_uppercase();
        if q.is_empty() {
            return Err(invalid("query", "请输入车牌号或证件号"));
        }
        // By the whole plate, or by a crew member's whole document number: never by a part of
        // one (a query "1" would list every crew's numbers and phones).
        let plate = identity::plate(&q).ok();
        let has_member = |crew: &[TruckDeclarationInput]| {
            crew.iter().any(|m| crate::normalize::compact(&m.document_number).to_ascii_uppercase() == q)
        };
        let since = rfc3339(Utc::now() - Duration::hours(48));
        let mut stmt = self.conn.prepare(
            "SELECT id, plate, crew, at FROM predeclarations
             WHERE confirmed_trip_id IS NULL AND at >= ?2 AND (plate = ?1 OR ?1 IS NULL)
             ORDER BY at",
        )?;
        let rows = stmt.query_map(params![plate, since], |r| {
            let crew: String = r.get(2)?;
            Ok(PreDeclaration {
                id: r.get(0)?,
                plate: r.get(1)?,
                crew: serde_json::from_str(&crew).unwrap_or_default(),
                at: r.get(3)?,
            })
        })?;
        // Each crew member declares on their own phone: one pre-declaration per truck, its crew
        // the members who declared, its id theirs joined by commas.
        let mut predeclarations: Vec<PreDeclaration> = Vec::new();
        for p in rows {
            let p = p?;
            if plate.is_none() && !has_member(&p.crew) {
                continue;
            }
            match predeclarations.iter_mut().find(|q| q.plate == p.plate) {
                Some(q) => {
                    q.id = format!("{},{}", q.id, p.id);
                    for m in p.crew {
                        if !q.crew.iter().any(|c| c.document_number == m.document_number) {
                            q.crew.push(m);
                        }
                    }
                }
                None => predeclarations.push(p),
            }
        }
        // The last crew of this plate, or of the last trip this person was on (the newest 500).
        let mut stmt = self.conn.prepare(
            "SELECT crew FROM trips WHERE origin = 'local' AND (plate = ?1 OR ?1 IS NULL)
             ORDER BY entered_at DESC LIMIT 500",
        )?;
        let mut previous = Vec::new();
        for crew in stmt.query_map(params![plate], |r| r.get::<_, String>(0))? {
            let crew: Vec<TruckDeclarationInput> = serde_json::from_str::<Vec<StoredMember>>(&crew?)
                .map(|m| m.into_iter().map(|m| m.input).collect())
                .unwrap_or_default();
            if plate.is_some() || has_member(&crew) {
                previous = crew;
                break;
            }
        }
        Ok(CrewLookup { predeclarations, previous })
    }

    /// 入口登记 at a checkpoint: every crew member's declaration (R5) checked, each decided like a
    /// check-in and recorded as a visit; when all are green the trip opens and is queued for the
    /// central server, in the same transaction.
    pub fn open_trip(&mut self, input: &TripInput, ctx: &CheckInContext) -> Result<TripResult> {
        let venue = self.served_venue()?.ok_or(Error::NotFound("本台服务场所"))?;
        if venue.kind != CodeKind::Checkpoint {
            return Err(invalid("venue", "本台服务场所不是交通卡口，不能登记货车入口"));
        }
        let today = ctx.now.with_timezone(&shanghai()).date_naive();
        let mut errors = Vec::new();
        let plate = identity::plate(&input.plate)
            .map_err(|m| errors.push(FieldError { field: "plate".into(), message: format!("车牌号：{m}") }))
            .ok();
        let pass = crate::sync::pass_number(&input.pass_number).map_err(|r| errors.push(r)).ok();
        let destination = self.destinations("")?.into_iter().find(|d| d.id == input.destination_id);
        if destination.is_none() {
            errors.push(FieldError {
                field: "destination_id".into(),
                message: "目的地场所：请从已登记的目的地场所中选择".into(),
            });
        }
        if input.crew.is_empty() || input.crew.len() > 10 {
            errors.push(FieldError { field: "crew".into(), message: "司乘人员：应为1至10人".into() });
        }
        let mut declared = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, c) in input.crew.iter().enumerate() {
            let mut c = c.clone();
            if let Some(p) = &plate {
                c.plate = p.clone();
            }
            match checkin::truck_declaration(&c, today, &format!("crew.{i}.")) {
                Ok(d) => {
                    if !seen.insert(d.document_number.clone()) {
                        errors.push(FieldError {
                            field: format!("crew.{i}.document_number"),
                            message: "证件号：与前面登记的人重复".into(),
                        });
                    }
                    c.document_number = d.document_number.clone();
                    c.name = d.name.clone();
                    c.phone = d.phone.clone();
                    declared.push((c, d));
                }
                Err(Error::Invalid(f)) => errors.extend(f),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (plate, pass, destination) = match (plate, pass, destination) {
            (Some(p), Some(s), Some(d)) => (p, s, d),
            _ => return Err(Error::Invalid(errors)),
        };
        let key = self.risk_key()?;
        let mut decided = Vec::new();
        let mut raises = Vec::new();
        for (c, d) in declared {
            let (decision, raise) = self.door_decision(&key, &d.document_number, &d.answers, ctx.now)?;
            decided.push((c, d, decision));
            raises.push(raise);
        }
        let all_green = decided.iter().all(|(_, _, dec)| dec.colour == Colour::Green);
        let stamp = rfc3339(ctx.now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut visits = Vec::new();
        for ((_, d, dec), raise) in decided.iter().zip(&raises) {
            let person = upsert_member(&tx, d, &stamp)?;
            let answers = serde_json::to_string(&d.answers).map_err(|e| Error::BadFile(e.to_string()))?;
            let door = Door { decision: dec, raise: raise.as_ref(), key: &key, id_number: &d.document_number };
            visits.push(insert_visit(&tx, &person, &venue.id, WayIn::Declaration, None, Some(&answers), &door, ctx)?);
        }
        let trip_id = if all_green {
            let id = outbox::new_id();
            let members: Vec<StoredMember> =
                decided.iter().map(|(c, _, dec)| StoredMember { input: c.clone(), colour: dec.colour }).collect();
            let crew = serde_json::to_string(&members).map_err(|e| Error::BadFile(e.to_string()))?;
            let departure = decided
                .iter()
                .filter_map(|(_, d, _)| d.expected_departure)
                .max()
                .and_then(|t| t.and_local_timezone(shanghai()).single())
                .map(|t| rfc3339(t.with_timezone(&Utc)));
            let hashes: Vec<String> =
                decided.iter().map(|(_, d, _)| hex::encode(crate::risk::id_hash(&key, &d.document_number))).collect();
            tx.execute(
                "INSERT INTO trips (id, plate, checkpoint_venue_id, checkpoint_name, destination_id, destination_name,
                    crew, pass_number, entered_at, expected_departure, origin, crew_hashes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'local', ?11)",
                params![
                    id,
                    plate,
                    venue.id,
                    venue.name,
                    destination.id,
                    destination.name,
                    crew,
                    pass,
                    stamp,
                    departure,
                    hashes.join(" ")
                ],
            )?;
            for pre in input.predeclaration_id.iter().flat_map(|p| p.split(',')) {
                tx.execute("UPDATE predeclarations SET confirmed_trip_id = ?2 WHERE id = ?1", params![pre, id])?;
            }
            let body = serde_json::json!({
                "venue_id": venue.id, "plate": plate, "destination_venue_id": destination.id, "trip_id": id,
                "crew": decided.iter().map(|(c, _, _)| c).collect::<Vec<_>>(), "pass_number": pass, "at": stamp,
            });
            outbox::enqueue(&tx, &id, RecordKind::TruckTrip, body)?;
            Some(id)
        } else {
            None
        };
        tx.commit()?;
        let mut results = Vec::new();
        for ((_, d, dec), vid) in decided.iter().zip(visits) {
            results.push(self.result(
                vid,
                dec,
                &d.name,
                &d.document_number,
                &venue.name,
                WayIn::Declaration,
                ctx.now,
            )?);
        }
        let trip = match trip_id {
            Some(id) => Some(self.trip(&id, ctx.now)?),
            None => None,
        };
        Ok(TripResult { trip, results })
    }

    pub fn trip(&self, id: &str, now: DateTime<Utc>) -> Result<Trip> {
        let hours = self.overdue_hours()?;
        self.conn
            .query_row(&format!("SELECT {TRIP_COLUMNS} FROM trips WHERE id = ?1"), [id], |r| {
                trip_from_row(r, now, hours)
            })
            .optional()?
            .ok_or(Error::NotFound("行程"))
    }

    /// 到达登记 at a destination, in one action: a plate or a crew member's document number. The
    /// trip it closes is the latest open one to this destination; with none known, the arrival is
    /// recorded and flagged (the central server matches it when the entry reaches it).
    pub fn record_arrival(&mut self, query: &str, ctx: &CheckInContext) -> Result<Arrival> {
        let venue = self.served_venue()?.ok_or(Error::NotFound("本台服务场所"))?;
        if venue.kind != CodeKind::Destination {
            return Err(invalid("venue", "本台服务场所不是目的地场所，不能登记货车到达"));
        }
        let q = crate::normalize::compact(query).to_ascii_uppercase();
        if q.is_empty() {
            return Err(invalid("query", "请输入车牌号或证件号"));
        }
        let plate = identity::plate(&q).ok();
        let hash = hex::encode(crate::risk::id_hash(&self.risk_key()?, &q));
        let found: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT id, plate FROM trips WHERE destination_id = ?1 AND arrived_at IS NULL
                   AND (plate = ?2 OR (?2 IS NULL AND instr(crew_hashes, ?3) > 0)) ORDER BY entered_at DESC LIMIT 1",
                params![venue.id, plate, hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (trip_id, plate) = match (found, plate) {
            (Some((id, p)), _) => (Some(id), p),
            (None, Some(p)) => (None, p),
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
        if let Some(t) = &trip_id {
            tx.execute("UPDATE trips SET arrived_at = ?2 WHERE id = ?1", params![t, stamp])?;
        }
        let body = serde_json::json!({
            "venue_id": venue.id, "plate": plate, "trip_id": trip_id, "crew": [], "at": stamp,
        });
        outbox::enqueue(&tx, &id, RecordKind::TruckArrival, body)?;
        tx.commit()?;
        let trip = match &trip_id {
            Some(t) => Some(self.trip(t, ctx.now)?),
            None => None,
        };
        Ok(Arrival { id, plate, at: stamp, flagged: trip.is_none(), trip })
    }

    /// What the truck screen lists (last 14 days).
    pub fn trip_board(&self, now: DateTime<Utc>) -> Result<TripBoard> {
        let hours = self.overdue_hours()?;
        let venue = self.served_venue()?;
        let vid = venue.as_ref().map(|v| v.id.clone()).unwrap_or_default();
        let since = rfc3339(now - Duration::days(14));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {TRIP_COLUMNS} FROM trips WHERE (checkpoint_venue_id = ?1 OR destination_id = ?1)
               AND entered_at >= ?2 ORDER BY entered_at DESC"
        ))?;
        let trips: Vec<(Trip, bool)> = stmt
            .query_map(params![vid, since], |r| trip_from_row(r, now, hours))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(|t| {
                let here_is_destination = t.destination_id == vid;
                (t, here_is_destination)
            })
            .collect();
        let mut board = TripBoard {
            overdue_hours: hours,
            open: Vec::new(),
            overdue: Vec::new(),
            expected_departures: Vec::new(),
            expected_arrivals: Vec::new(),
            arrivals_today: Vec::new(),
            closed: Vec::new(),
        };
        for (t, at_destination) in trips {
            if at_destination {
                if t.arrived_at.is_none() {
                    board.expected_arrivals.push(t.clone());
                }
            } else {
                if t.expected_departure.is_some() {
                    board.expected_departures.push(t.clone());
                }
                match t.status {
                    TripStatus::Overdue => board.overdue.push(t.clone()),
                    TripStatus::Open => board.open.push(t.clone()),
                    TripStatus::Closed => {}
                }
            }
            if t.status == TripStatus::Closed {
                board.closed.push(t);
            }
        }
        board.overdue.sort_by(|a, b| a.entered_at.cmp(&b.entered_at));
        board.expected_departures.sort_by(|a, b| a.expected_departure.cmp(&b.expected_departure));
        let day = now.with_timezone(&shanghai()).date_naive().and_hms_opt(0, 0, 0);
        let start = day.and_then(|d| d.and_local_timezone(shanghai()).single()).map(|d| rfc3339(d.with_timezone(&Utc)));
        let mut stmt = self
            .conn
            .prepare("SELECT id, plate, at, trip_id FROM arrivals WHERE venue_id = ?1 AND at >= ?2 ORDER BY at DESC")?;
        let arrivals: Vec<(String, String, String, Option<String>)> = stmt
            .query_map(params![vid, start.unwrap_or_default()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        for (id, plate, at, trip_id) in arrivals {
            let trip = match trip_id {
                Some(t) => self.trip(&t, now).ok(),
                None => None,
            };
            board.arrivals_today.push(Arrival { id, plate, at, flagged: trip.is_none(), trip });
        }
        Ok(board)
    }
}

/// Applies a trip's state pulled from the central server (the other desk's half of the loop).
pub(crate) fn apply_trip(tx: &Connection, b: &serde_json::Value) -> Result<()> {
    let s = |k: &str| b.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let id = s("trip_id");
    if id.is_empty() {
        return Ok(());
    }
    let crew: Vec<StoredMember> = b["crew"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| StoredMember {
                    input: TruckDeclarationInput {
                        name: m["name"].as_str().unwrap_or("").into(),
                        document_number: m["document_masked"].as_str().unwrap_or("").into(),
                        phone: m["phone"].as_str().unwrap_or("").into(),
                        origin: m["origin"].as_str().unwrap_or("").into(),
                        ..Default::default()
                    },
                    colour: Colour::Green,
                })
                .collect()
        })
        .unwrap_or_default();
    let crew = serde_json::to_string(&crew).unwrap_or_else(|_| "[]".into());
    let hashes: Vec<&str> =
        b["crew"].as_array().into_iter().flatten().filter_map(|m| m["id_hash_hex"].as_str()).collect();
    let at = |k: &str| {
        b.get(k)
            .and_then(|v| v.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| rfc3339(t.with_timezone(&Utc)))
    };
    tx.execute(
        "INSERT INTO trips (id, plate, checkpoint_venue_id, checkpoint_name, destination_id, destination_name, crew,
            pass_number, entered_at, expected_departure, arrived_at, origin, sync_state, crew_hashes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'central', 'synced', ?12)
         ON CONFLICT (id) DO UPDATE SET arrived_at = COALESCE(trips.arrived_at, excluded.arrived_at)",
        params![
            id,
            s("plate"),
            s("checkpoint_venue_id"),
            s("checkpoint_name"),
            s("destination_venue_id"),
            s("destination_name"),
            crew,
            s("pass_number"),
            at("entered_at").unwrap_or_default(),
            at("expected_departure"),
            at("arrived_at"),
            hashes.join(" "),
        ],
    )?;
    Ok(())
}

pub(crate) fn apply_destination(tx: &Connection, b: &serde_json::Value) -> Result<()> {
    let s = |k: &str| b.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    tx.execute(
        "INSERT INTO destinations (id, name, address, district) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address",
        params![s("venue_id"), s("name"), s("address"), s("district")],
    )?;
    Ok(())
}

pub(crate) fn apply_predeclaration(tx: &Connection, b: &serde_json::Value) -> Result<()> {
    let s = |k: &str| b.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let crew = serde_json::to_string(&b["crew"]).unwrap_or_else(|_| "[]".into());
    let at = b
        .get("at")
        .and_then(|v| v.as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| rfc3339(t.with_timezone(&Utc)))
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO predeclarations (id, plate, venue_id, crew, at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![s("id"), s("plate"), s("venue_id"), crew, at],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRIVER: &str = "410203199001011235";

    /// A crew is found by its whole plate or a member's whole document number, never by a part
    /// of one: "1" and the first 17 digits find nothing, not every crew's numbers and phones.
    #[test]
    fn crews_are_found_by_whole_plate_or_whole_number_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&dir.path().join("d.sqlite3")).unwrap_or_else(|e| panic!("{e}"));
        let body = serde_json::json!({
            "id": "p1", "plate": "豫A67890", "venue_id": "v", "at": rfc3339(Utc::now()),
            "crew": [{ "name": "王强", "document_number": DRIVER, "plate": "豫A67890", "phone": "13800001111",
                       "origin": "郑州", "entry_point": "", "expected_return": "", "expected_departure": "",
                       "symptoms": false, "visited_risk_area": false }],
        });
        apply_predeclaration(&store.conn, &body).unwrap_or_else(|e| panic!("{e}"));
        let found = |q: &str| store.find_crew(q).unwrap_or_else(|e| panic!("{e}")).predeclarations.len();
        assert_eq!(found("豫A67890"), 1);
        assert_eq!(found("豫a 67890"), 1, "plate typed loosely");
        assert_eq!(found(DRIVER), 1);
        assert_eq!(found(&DRIVER.to_lowercase()), 1);
        for part in ["1", "4102", &DRIVER[..17], "A67890", "13800001111", "王强", "' OR 1=1 --", "%", "😀"] {
            assert_eq!(found(part), 0, "{part}");
        }
        let e = store.find_crew("  ").unwrap_err();
        assert_eq!(e.code(), "invalid");
    }
}
