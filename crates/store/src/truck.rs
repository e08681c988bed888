//! 货车闭环 at the desk (R1, R5, R9): a checkpoint opens a trip for a declared crew; a
//! destination records the arrival; the central server matches the two and both desks pull the
//! trip's state. Overdue trips and expected departures are listed for the checkpoint's staff.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::checkin::{insert_visit, shanghai, CheckInContext, Door};
use super::{outbox, rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::{self, CheckInResult, TripResolution, TruckDeclarationInput, WayIn};
use placecode_core::decision::Colour;
use placecode_core::identity;
use placecode_core::sync::Body;
use placecode_core::venue::CodeKind;
use placecode_core::FieldError;

const OVERDUE_HOURS: &str = "truck.overdue_hours";
pub use placecode_core::checkin::DEFAULT_OVERDUE_HOURS;

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
    /// The clerk checked that this truck (or a member of its crew) was turned back in the last
    /// 24 hours and lets it enter anyway; without it such an entry is refused, naming the trip.
    #[serde(default)]
    pub turned_back_checked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TripStatus {
    /// A crew not all green at entry, waiting for the clerk's decision on each yellow or red
    /// member (拒绝并上报 turns the truck back; releasing them all lets it in).
    Held,
    Open,
    /// The destination recorded the arrival (闭环).
    Closed,
    Overdue,
    /// 到达核验: the checkpoint confirmed the arrival another way.
    Verified,
    /// 劝返: turned back (a crew not all green is turned back at entry).
    TurnedBack,
    /// 作废: entered by mistake.
    Cancelled,
}

impl TripStatus {
    /// Still expected somewhere: open or overdue.
    pub fn in_transit(self) -> bool {
        matches!(self, TripStatus::Open | TripStatus::Overdue)
    }
}

/// The local mark of a trip whose crew waits for the clerk's decision (never synced).
const HELD: &str = "held";

/// A trip turned back this many hours ago still asks the clerk to check before the truck or a
/// member of its crew enters again.
pub const TURNED_BACK_RECHECK_HOURS: i64 = 24;

impl TripStatus {
    fn of(arrived: bool, resolution: Option<&str>, overdue: bool) -> TripStatus {
        match (arrived, resolution) {
            (true, _) => TripStatus::Closed,
            (false, Some(HELD)) => TripStatus::Held,
            (false, Some(r)) => match TripResolution::from_key(r) {
                Some(TripResolution::Verified) => TripStatus::Verified,
                Some(TripResolution::TurnedBack) => TripStatus::TurnedBack,
                Some(TripResolution::Cancelled) => TripStatus::Cancelled,
                None => TripStatus::Open,
            },
            (false, None) if overdue => TripStatus::Overdue,
            (false, None) => TripStatus::Open,
        }
    }
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
    pub resolved_at: Option<String>,
    /// Why it was resolved (到达核验, 劝返, 作废), as recorded.
    pub resolution_note: String,
    /// This desk's incidents for the crew (a crew turned back at entry is reported member by
    /// member through refuse-and-report).
    pub incident_ids: Vec<String>,
    pub sync_state: String,
}

/// The trip and each member's result. With every member green the trip is open; otherwise it is
/// recorded as 劝返 (turned back at entry), and each yellow or red member goes through
/// refuse-and-report like any check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripResult {
    pub trip: Option<Trip>,
    pub results: Vec<CheckInResult>,
}

/// What a checkpoint's staff do with a trip still in transit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripResolveInput {
    pub trip_id: String,
    pub resolution: TripResolution,
    pub note: String,
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
    /// Where the crew said the truck is going, when it is a destination this desk knows.
    pub destination: Option<Destination>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CrewLookup {
    pub predeclarations: Vec<PreDeclaration>,
    /// The crew of this truck's last trip through this checkpoint (a returning truck).
    pub previous: Vec<TruckDeclarationInput>,
    /// This truck's trip still in transit, if any: it must be resolved before the truck enters
    /// again (one open trip per plate).
    pub open_trip: Option<Trip>,
    /// This truck's (or this person's) trip turned back in the last 24 hours, if any.
    pub turned_back: Option<Trip>,
    /// Members of the previous crew not offered again: yellow or red then (masked, with the colour).
    pub left_out: Vec<CrewMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Arrival {
    pub id: String,
    pub plate: String,
    pub at: String,
    pub trip: Option<Trip>,
    /// No known entry, or the checkpoint had turned the truck back or voided its trip: recorded
    /// and reported to the central server.
    pub flagged: bool,
    /// The arrival record's own: pending until the centre has it.
    pub sync_state: String,
}

fn arrival_flagged(trip: &Option<Trip>) -> bool {
    trip.as_ref().is_none_or(|t| matches!(t.status, TripStatus::TurnedBack | TripStatus::Cancelled))
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
    /// Arrived (闭环) or confirmed by the checkpoint (到达核验).
    pub closed: Vec<Trip>,
    /// Turned back (劝返) or void (作废).
    pub ended: Vec<Trip>,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The stored crew: each member's input (normalized) and colour.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMember {
    input: TruckDeclarationInput,
    colour: Colour,
}

const TRIP_COLUMNS: &str =
    "id, plate, checkpoint_name, destination_id, destination_name, crew, pass_number, entered_at,
    expected_departure, arrived_at, sync_state, resolution, resolved_at, resolution_note, visit_ids";

/// A trip with this crew member (`?3`, the full keyed hash): this desk's own trips hold full
/// hashes; a trip from the centre holds their first [`placecode_core::sync::TRIP_HASH_HEX`] digits.
const CREW_MEMBER: &str = "(instr(crew_hashes, ?3) > 0
    OR instr(' ' || crew_hashes || ' ', ' ' || substr(?3, 1, 4) || ' ') > 0)";
const _: () = assert!(placecode_core::sync::TRIP_HASH_HEX == 4, "CREW_MEMBER takes the first 4 digits");

/// A trip still in transit (no arrival, not resolved) or waiting for the decision on its crew.
const IN_TRANSIT: &str = "arrived_at IS NULL AND (resolution IS NULL OR resolution = 'held')";

fn trip_from_row(r: &rusqlite::Row, now: DateTime<Utc>, overdue_hours: i64) -> rusqlite::Result<Trip> {
    let crew_json: String = r.get(5)?;
    let crew: Vec<StoredMember> = serde_json::from_str(&crew_json).unwrap_or_default();
    let entered_at: String = r.get(7)?;
    let arrived_at: Option<String> = r.get(9)?;
    let entered = DateTime::parse_from_rfc3339(&entered_at).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let resolution: Option<String> = r.get(11)?;
    let status =
        TripStatus::of(arrived_at.is_some(), resolution.as_deref(), now - entered > Duration::hours(overdue_hours));
    // Visit ids here; turned into this desk's incident ids by `with_incidents`.
    let visits: String = r.get(14)?;
    Ok(Trip {
        id: r.get(0)?,
        plate: r.get(1)?,
        checkpoint_name: r.get(2)?,
        destination_id: r.get(3)?,
        destination_name: r.get(4)?,
        crew: crew.iter().map(member_shown).collect(),
        pass_number: r.get(6)?,
        entered_at,
        expected_departure: r.get(8)?,
        arrived_at,
        status,
        resolved_at: r.get(12)?,
        resolution_note: r.get(13)?,
        incident_ids: visits.split_whitespace().map(str::to_owned).collect(),
        sync_state: r.get(10)?,
    })
}

fn member_shown(m: &StoredMember) -> CrewMember {
    CrewMember {
        name_masked: placecode_core::mask::name(&m.input.name),
        document_masked: placecode_core::mask::id_number(&m.input.document_number),
        phone: m.input.phone.clone(),
        colour: m.colour,
    }
}

/// Replaces the crew's visit ids that `trip_from_row` left in `incident_ids` by the incidents
/// recorded for them.
fn with_incidents(conn: &Connection, mut trip: Trip) -> Result<Trip> {
    let mut ids = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT id FROM incidents WHERE visit_id = ?1")?;
    for visit in &trip.incident_ids {
        if let Some(id) = stmt.query_row([visit], |r| r.get::<_, String>(0)).optional()? {
            ids.push(id);
        }
    }
    trip.incident_ids = ids;
    Ok(trip)
}

/// A stored time as staff read it: Beijing time, month-day hour:minute.
fn local_time(stamp: &str) -> String {
    DateTime::parse_from_rfc3339(stamp)
        .map(|t| t.with_timezone(&shanghai()).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The signed-in operator's name, as the centre records who did what.
fn operator_name(conn: &Connection, ctx: &CheckInContext) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT name FROM operators WHERE id = ?1", [&ctx.operator_id], |r| r.get(0)).optional()?)
}

/// Upserts a crew member as a person (any document kind) and returns their id. A crew member has
/// no home address here: their origin (来源地) is the trip's, so a person already known keeps
/// the address they declared and a new one has none.
fn upsert_member(conn: &Connection, m: &checkin::TruckDeclaration, stamp: &str) -> Result<String> {
    let last4 = identity::last_four_of(&m.document_number);
    let birth_year = identity::birth_year_of(m.document_kind, &m.document_number).unwrap_or(0);
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

    /// A crew by plate or document number: phone pre-declarations not yet confirmed (last 48
    /// hours), and the crew of this truck's last trip here.
    pub fn find_crew(&self, query: &str) -> Result<CrewLookup> {
        let q = placecode_core::normalize::compact(query).to_ascii_uppercase();
        if q.is_empty() {
            return Err(invalid("query", "请输入车牌号或证件号"));
        }
        // By the whole plate, or by a crew member's whole document number: never by a part of
        // one (a query "1" would list every crew's numbers and phones).
        let plate = identity::plate(&q).ok();
        let has_member = |crew: &[TruckDeclarationInput]| {
            crew.iter().any(|m| placecode_core::normalize::compact(&m.document_number).to_ascii_uppercase() == q)
        };
        let since = rfc3339(Utc::now() - Duration::hours(48));
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.plate, p.crew, p.at, d.id, d.name, d.address FROM predeclarations p
             LEFT JOIN (SELECT id, name, address FROM venues WHERE kind = 'destination'
                        UNION SELECT id, name, address FROM destinations) d ON d.id = p.destination_id
             WHERE p.confirmed_trip_id IS NULL AND p.at >= ?2 AND (p.plate = ?1 OR ?1 IS NULL)
             ORDER BY p.at",
        )?;
        let rows = stmt.query_map(params![plate, since], |r| {
            let crew: String = r.get(2)?;
            let destination = match r.get::<_, Option<String>>(4)? {
                Some(id) => Some(Destination { id, name: r.get(5)?, address: r.get(6)? }),
                None => None,
            };
            Ok(PreDeclaration {
                id: r.get(0)?,
                plate: r.get(1)?,
                crew: serde_json::from_str(&crew).unwrap_or_default(),
                at: r.get(3)?,
                destination,
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
                    if q.destination.is_none() {
                        q.destination = p.destination;
                    }
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
        let mut left_out = Vec::new();
        for crew in stmt.query_map(params![plate], |r| r.get::<_, String>(0))? {
            let crew: Vec<StoredMember> = serde_json::from_str(&crew?).unwrap_or_default();
            let inputs: Vec<TruckDeclarationInput> = crew.iter().map(|m| m.input.clone()).collect();
            if plate.is_some() || has_member(&inputs) {
                // A member who was yellow or red is not put back into the form by one click.
                for m in crew {
                    if m.colour == Colour::Green {
                        previous.push(m.input);
                    } else {
                        left_out.push(member_shown(&m));
                    }
                }
                break;
            }
        }
        let now = Utc::now();
        let open_trip = match &plate {
            Some(p) => self.open_trip_of(p, now)?,
            None => None,
        };
        let hash = match plate {
            Some(_) => None,
            None => Some(hex::encode(placecode_core::risk::id_hash(&self.risk_key()?, &q))),
        };
        let turned_back = self.turned_back_of(plate.as_deref(), hash.as_deref(), now)?;
        Ok(CrewLookup { predeclarations, previous, open_trip, turned_back, left_out })
    }

    /// The trip of this plate, or with this crew member (by keyed hash), turned back in the last
    /// [`TURNED_BACK_RECHECK_HOURS`] hours, newest first.
    fn turned_back_of(&self, plate: Option<&str>, hash: Option<&str>, now: DateTime<Utc>) -> Result<Option<Trip>> {
        let since = rfc3339(now - Duration::hours(TURNED_BACK_RECHECK_HOURS));
        self.first_trip(
            "resolution = 'turned_back' AND resolved_at >= ?3 AND (plate = ?1 OR instr(crew_hashes, ?2) > 0)
             ORDER BY resolved_at DESC LIMIT 1",
            params![plate, hash.unwrap_or("-"), since],
            now,
        )
    }

    /// The plate's trip still in transit (entered in the last 14 days), newest first.
    fn open_trip_of(&self, plate: &str, now: DateTime<Utc>) -> Result<Option<Trip>> {
        let since = rfc3339(now - Duration::days(14));
        self.first_trip(
            &format!("plate = ?1 AND {IN_TRANSIT} AND entered_at >= ?2 ORDER BY entered_at DESC LIMIT 1"),
            params![plate, since],
            now,
        )
    }

    /// The first trip that `condition` (what follows WHERE) finds, as the screens show it.
    fn first_trip(&self, condition: &str, params: impl rusqlite::Params, now: DateTime<Utc>) -> Result<Option<Trip>> {
        let hours = self.overdue_hours()?;
        let trip = self
            .conn
            .query_row(&format!("SELECT {TRIP_COLUMNS} FROM trips WHERE {condition}"), params, |r| {
                trip_from_row(r, now, hours)
            })
            .optional()?;
        trip.map(|t| with_incidents(&self.conn, t)).transpose()
    }

    /// 入口登记 at a checkpoint: every crew member's declaration (R5) checked, each decided like a
    /// check-in and recorded as a visit; when all are green the trip opens and is queued for the
    /// central server, in the same transaction.
    pub fn open_trip(&mut self, input: &TripInput, ctx: &CheckInContext) -> Result<TripResult> {
        let venue = self.served_venue()?.ok_or(Error::not_found("本台服务场所"))?;
        if venue.kind != CodeKind::Checkpoint {
            return Err(invalid("venue", "本台服务场所不是交通卡口，不能登记货车入口"));
        }
        let today = ctx.now.with_timezone(&shanghai()).date_naive();
        let mut errors = Vec::new();
        let plate = identity::plate(&input.plate)
            .map_err(|m| errors.push(FieldError { field: "plate".into(), message: format!("车牌号：{m}") }))
            .ok();
        let pass = placecode_core::sync::pass_number(&input.pass_number).map_err(|r| errors.push(r)).ok();
        let destination = self.destinations("")?.into_iter().find(|d| d.id == input.destination_id);
        if destination.is_none() {
            errors.push(FieldError {
                field: "destination_id".into(),
                message: "目的地场所：请从已登记的目的地场所中选择".into(),
            });
        }
        if let Err(m) = checkin::crew_size(input.crew.len()) {
            errors.push(FieldError { field: "crew".into(), message: format!("司乘人员：{m}") });
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
                Err(placecode_core::Error::Invalid(f)) => errors.extend(f),
                Err(e) => return Err(e.into()),
            }
        }
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        let (plate, pass, destination) = match (plate, pass, destination) {
            (Some(p), Some(s), Some(d)) => (p, s, d),
            _ => return Err(Error::invalid_fields(errors)),
        };
        let key = self.risk_key()?;
        // Each member's keyed hash, as trips hold them (one per member, in the crew's order).
        let hashes: Vec<String> = declared
            .iter()
            .map(|(_, d)| hex::encode(placecode_core::risk::id_hash(&key, &d.document_number)))
            .collect();
        // One trip in transit per truck and per person: the one before must be resolved first.
        if let Some(open) = self.open_trip_of(&plate, ctx.now)? {
            let message = match open.status {
                TripStatus::Held => format!(
                    "车牌号：该车 {} 入口登记的司乘人员有黄码或红码，尚未处置：请在下方“在途车辆”中点该车的“处置”，拒绝并上报或记录放行原因",
                    local_time(&open.entered_at)
                ),
                _ => format!(
                    "车牌号：该车已有在途行程（{} 入口，去往{}），请先在该行程上登记到达核验、劝返或作废",
                    local_time(&open.entered_at),
                    open.destination_name
                ),
            };
            return Err(invalid("plate", message));
        }
        let since = rfc3339(ctx.now - Duration::days(14));
        for (i, hash) in hashes.iter().enumerate() {
            let other: Option<(String, Option<String>)> = self
                .conn
                .query_row(
                    &format!(
                        "SELECT plate, resolution FROM trips WHERE {IN_TRANSIT} AND entered_at >= ?2
                           AND instr(crew_hashes, ?1) > 0 LIMIT 1"
                    ),
                    params![hash, since],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((other, resolution)) = other {
                let message = match resolution.as_deref() {
                    Some(HELD) => format!("证件号：此人在货车{other}上，该车司乘人员待处置（在“货车”行程中点“处置”）"),
                    _ => format!("证件号：此人在另一辆在途货车（{other}）上，请先处理该行程"),
                };
                errors.push(FieldError { field: format!("crew.{i}.document_number"), message });
            }
        }
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        // Turned back lately (the truck, or anyone of this crew): the clerk checks first.
        if !input.turned_back_checked {
            let mut back = self.turned_back_of(Some(&plate), None, ctx.now)?;
            for hash in &hashes {
                if back.is_none() {
                    back = self.turned_back_of(None, Some(hash), ctx.now)?;
                }
            }
            if let Some(t) = back {
                return Err(invalid(
                    "turned_back_checked",
                    format!(
                        "该车或其司乘人员于 {} 在本卡口被劝返（{}，车牌{}）：请核实本次司乘人员后勾选“已核实劝返记录”再登记",
                        local_time(t.resolved_at.as_deref().unwrap_or(&t.entered_at)),
                        t.resolution_note,
                        t.plate
                    ),
                ));
            }
        }
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
            let answers = serde_json::to_string(&d.answers).map_err(|e| Error::internal(e.to_string()))?;
            let door = Door { decision: dec, raise: raise.as_ref(), key: &key, id_number: &d.document_number };
            visits.push(insert_visit(&tx, &person, &venue.id, WayIn::Declaration, None, Some(&answers), &door, ctx)?);
        }
        let trip_id = {
            let id = outbox::new_id();
            let members: Vec<StoredMember> =
                decided.iter().map(|(c, _, dec)| StoredMember { input: c.clone(), colour: dec.colour }).collect();
            let crew = serde_json::to_string(&members).map_err(|e| Error::internal(e.to_string()))?;
            let departure = decided
                .iter()
                .filter_map(|(_, d, _)| d.expected_departure)
                .max()
                .and_then(|t| t.and_local_timezone(shanghai()).single())
                .map(|t| rfc3339(t.with_timezone(&Utc)));
            // A crew not all green waits for the clerk's decision on each yellow or red member
            // (`settle_held_trip`): nothing goes to the centre until then.
            tx.execute(
                "INSERT INTO trips (id, plate, checkpoint_venue_id, checkpoint_name, destination_id, destination_name,
                    crew, pass_number, entered_at, expected_departure, origin, crew_hashes, resolution, visit_ids,
                    predeclaration_ids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'local', ?11, ?12, ?13, ?14)",
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
                    hashes.join(" "),
                    (!all_green).then_some(HELD),
                    visits.join(" "),
                    input.predeclaration_id.clone().unwrap_or_default(),
                ],
            )?;
            if all_green {
                enter(&tx, &id)?;
            }
            Some(id)
        };
        tx.commit()?;
        let mut results = Vec::new();
        for ((_, d, dec), vid) in decided.iter().zip(visits.clone()) {
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

    /// The 货车通行单 of a trip this checkpoint let in and that is still in transit.
    pub fn trip_slip(&self, id: &str, now: DateTime<Utc>) -> Result<placecode_core::print::SlipInput> {
        let local: Option<bool> =
            self.conn.query_row("SELECT origin = 'local' FROM trips WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if local != Some(true) {
            return Err(Error::not_found("本卡口登记的行程"));
        }
        let trip = self.trip(id, now)?;
        if !trip.status.in_transit() {
            return Err(invalid("trip_id", "只能为在途的行程打印通行单（该行程已到达、待处置或已结束）"));
        }
        let entered = DateTime::parse_from_rfc3339(&trip.entered_at)
            .map(|t| t.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        Ok(placecode_core::print::SlipInput {
            trip_id: trip.id,
            checkpoint: trip.checkpoint_name,
            plate: trip.plate,
            destination: trip.destination_name,
            entered,
            pass_number: trip.pass_number,
            crew: trip
                .crew
                .into_iter()
                .map(|m| placecode_core::print::SlipMember { name: m.name_masked, document: m.document_masked })
                .collect(),
        })
    }

    pub fn trip(&self, id: &str, now: DateTime<Utc>) -> Result<Trip> {
        self.first_trip("id = ?1", [id], now)?.ok_or(Error::not_found("行程"))
    }

    /// 到达核验, 劝返 or 作废 for a trip this checkpoint opened that is still in transit: final,
    /// with the note the core's rule asks for, and queued for the centre in the same transaction.
    pub fn resolve_trip(&mut self, input: &TripResolveInput, ctx: &CheckInContext) -> Result<Trip> {
        let venue = self.served_venue()?.ok_or(Error::not_found("本台服务场所"))?;
        let note = checkin::trip_resolution_note(input.resolution, &input.note)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT checkpoint_venue_id, arrived_at, resolution FROM trips WHERE id = ?1 AND origin = 'local'",
                [&input.trip_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((checkpoint, arrived, resolution)) = found else {
            return Err(Error::not_found("本台登记的行程"));
        };
        if checkpoint != venue.id {
            return Err(invalid("trip", "该行程不是本台服务场所登记的"));
        }
        if resolution.as_deref() == Some(HELD) {
            return Err(invalid("trip", "该车司乘人员尚未处置：请先在结果页拒绝并上报或记录放行原因"));
        }
        if arrived.is_some() || resolution.is_some() {
            return Err(invalid("trip", "该行程已闭环或已处理，不能再改变"));
        }
        let stamp = rfc3339(ctx.now);
        tx.execute(
            "UPDATE trips SET resolution = ?2, resolved_at = ?3, resolution_note = ?4, sync_state = 'pending'
             WHERE id = ?1",
            params![input.trip_id, input.resolution.key(), stamp, note],
        )?;
        let update = placecode_core::sync::TripUpdateBody {
            venue_id: venue.id.clone(),
            trip_id: input.trip_id.clone(),
            resolution: input.resolution,
            note,
            operator: operator_name(&tx, ctx)?,
            at: ctx.now,
        };
        outbox::enqueue(&tx, &outbox::new_id(), Body::TripUpdate(Box::new(update)))?;
        tx.commit()?;
        self.trip(&input.trip_id, ctx.now)
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
                with_incidents(&self.conn, t).map(|t| (t, here_is_destination))
            })
            .collect::<Result<_>>()?;
        let mut board = TripBoard {
            overdue_hours: hours,
            open: Vec::new(),
            overdue: Vec::new(),
            expected_departures: Vec::new(),
            expected_arrivals: Vec::new(),
            arrivals_today: Vec::new(),
            closed: Vec::new(),
            ended: Vec::new(),
        };
        for (t, at_destination) in trips {
            let ended = matches!(t.status, TripStatus::TurnedBack | TripStatus::Cancelled);
            if at_destination {
                if t.status.in_transit() {
                    board.expected_arrivals.push(t.clone());
                }
            } else {
                if t.expected_departure.is_some() && !ended {
                    board.expected_departures.push(t.clone());
                }
                match t.status {
                    TripStatus::Overdue => board.overdue.push(t.clone()),
                    TripStatus::Open | TripStatus::Held => board.open.push(t.clone()),
                    _ => {}
                }
            }
            if matches!(t.status, TripStatus::Closed | TripStatus::Verified) {
                board.closed.push(t);
            } else if ended {
                board.ended.push(t);
            }
        }
        board.overdue.sort_by(|a, b| a.entered_at.cmp(&b.entered_at));
        board.expected_departures.sort_by(|a, b| a.expected_departure.cmp(&b.expected_departure));
        let day = now.with_timezone(&shanghai()).date_naive().and_hms_opt(0, 0, 0);
        let start = day.and_then(|d| d.and_local_timezone(shanghai()).single()).map(|d| rfc3339(d.with_timezone(&Utc)));
        let mut stmt = self.conn.prepare(
            "SELECT id, plate, at, trip_id, sync_state FROM arrivals WHERE venue_id = ?1 AND at >= ?2 ORDER BY at DESC",
        )?;
        let arrivals: Vec<(String, String, String, Option<String>, String)> = stmt
            .query_map(params![vid, start.unwrap_or_default()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, plate, at, trip_id, sync_state) in arrivals {
            let trip = match trip_id {
                Some(t) => self.trip(&t, now).ok(),
                None => None,
            };
            board.arrivals_today.push(Arrival { id, plate, at, flagged: arrival_flagged(&trip), trip, sync_state });
        }
        Ok(board)
    }
}

/// Queues a trip's entry for the centre (and confirms the phone pre-declarations it took in), from
/// the trip as stored: at entry when the whole crew is green, or once the clerk let every yellow
/// or red member go.
fn enter(tx: &Connection, trip_id: &str) -> Result<()> {
    let (venue, plate, destination, crew, pass, entered, pre): (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ) = tx.query_row(
        "SELECT checkpoint_venue_id, plate, destination_id, crew, pass_number, entered_at, predeclaration_ids
             FROM trips WHERE id = ?1",
        [trip_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )?;
    let crew: Vec<StoredMember> = serde_json::from_str(&crew).map_err(|e| Error::internal(e.to_string()))?;
    let at = DateTime::parse_from_rfc3339(&entered).map_err(|e| Error::internal(e.to_string()))?.with_timezone(&Utc);
    for p in pre.split(',').filter(|p| !p.is_empty()) {
        tx.execute("UPDATE predeclarations SET confirmed_trip_id = ?2 WHERE id = ?1", params![p, trip_id])?;
    }
    let body = placecode_core::sync::TruckBody {
        venue_id: venue,
        plate,
        destination_venue_id: Some(destination),
        trip_id: Some(trip_id.to_owned()),
        crew: crew.into_iter().map(|m| m.input).collect(),
        pass_number: pass,
        at,
    };
    outbox::enqueue(tx, trip_id, Body::TruckTrip(Box::new(body)))
}

/// A decision (report or release) on a crew member of a trip held at entry: once every yellow or
/// red member of the crew is decided, a report on any of them turns the truck back (劝返, the
/// entry and the resolution queued for the centre), and releases of them all let it in.
pub(crate) fn settle_held_trip(tx: &Connection, visit_id: &str, ctx: &CheckInContext) -> Result<()> {
    let held: Option<(String, String, String)> = tx
        .query_row(
            "SELECT id, visit_ids, checkpoint_venue_id FROM trips WHERE resolution = 'held' AND instr(visit_ids, ?1) > 0",
            [visit_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((trip_id, visits, venue_id)) = held else { return Ok(()) };
    let mut reported = Vec::new();
    let mut worst = Colour::Green;
    for visit in visits.split_whitespace() {
        let (colour, status): (String, Option<String>) = tx.query_row(
            "SELECT v.colour, i.status FROM visits v LEFT JOIN incidents i ON i.visit_id = v.id WHERE v.id = ?1",
            [visit],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if colour == Colour::Green.key() {
            continue;
        }
        match status.as_deref() {
            None => return Ok(()), // someone still undecided
            Some("released") => {}
            Some(_) => {
                reported.push(visit.to_owned());
                worst = worst.max(Colour::parse(&colour).unwrap_or(Colour::Red));
            }
        }
    }
    if reported.is_empty() {
        tx.execute("UPDATE trips SET resolution = NULL WHERE id = ?1", [&trip_id])?;
        return enter(tx, &trip_id);
    }
    let note = checkin::trip_resolution_note(
        TripResolution::TurnedBack,
        &format!("入口劝返：司乘人员有{}，已上报", worst.label()),
    )?;
    let stamp = rfc3339(ctx.now);
    tx.execute(
        "UPDATE trips SET resolution = ?2, resolved_at = ?3, resolution_note = ?4 WHERE id = ?1",
        params![trip_id, TripResolution::TurnedBack.key(), stamp, note],
    )?;
    enter(tx, &trip_id)?;
    let update = placecode_core::sync::TripUpdateBody {
        venue_id: venue_id.clone(),
        trip_id: trip_id.clone(),
        resolution: TripResolution::TurnedBack,
        note,
        operator: operator_name(tx, ctx)?,
        at: ctx.now,
    };
    outbox::enqueue(tx, &outbox::new_id(), Body::TripUpdate(Box::new(update)))
}

/// Applies a trip's state pulled from the central server (the other desk's half of the loop, or
/// what became of it: an arrival, 到达核验, 劝返, 作废). What happened first stays.
pub(crate) fn apply_trip(tx: &Connection, b: &serde_json::Value) -> Result<()> {
    let Ok(t) = placecode_core::sync::TripChange::deserialize(b) else { return Ok(()) };
    let crew: Vec<StoredMember> = t
        .crew
        .iter()
        .map(|m| StoredMember {
            input: TruckDeclarationInput {
                name: m.name.clone(),
                document_number: m.document_masked.clone(),
                phone: m.phone.clone(),
                origin: m.origin.clone(),
                ..Default::default()
            },
            colour: Colour::Green,
        })
        .collect();
    let crew = serde_json::to_string(&crew).unwrap_or_else(|_| "[]".into());
    let hashes: Vec<&str> = t.crew.iter().map(|m| m.id_hash_hex.as_str()).filter(|h| !h.is_empty()).collect();
    tx.execute(
        "INSERT INTO trips (id, plate, checkpoint_venue_id, checkpoint_name, destination_id, destination_name, crew,
            pass_number, entered_at, expected_departure, arrived_at, origin, sync_state, crew_hashes, resolution,
            resolved_at, resolution_note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'central', 'synced', ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET arrived_at = COALESCE(trips.arrived_at, excluded.arrived_at),
            resolution = COALESCE(trips.resolution, excluded.resolution),
            resolved_at = COALESCE(trips.resolved_at, excluded.resolved_at),
            resolution_note = CASE WHEN trips.resolution IS NULL THEN excluded.resolution_note
                ELSE trips.resolution_note END",
        params![
            t.trip_id,
            t.plate,
            t.checkpoint_venue_id,
            t.checkpoint_name.unwrap_or_default(),
            t.destination_venue_id,
            t.destination_name.unwrap_or_default(),
            crew,
            t.pass_number,
            rfc3339(t.entered_at),
            t.expected_departure.map(rfc3339),
            t.arrived_at.map(rfc3339),
            hashes.join(" "),
            t.resolution.map(|r| r.key()),
            t.resolved_at.map(rfc3339),
            t.resolution_note,
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
        "INSERT INTO predeclarations (id, plate, venue_id, crew, at, destination_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        params![s("id"), s("plate"), s("venue_id"), crew, at, s("destination_id")],
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
