//! 货车闭环 at the desk (R1, R5, R9): a checkpoint opens a trip for a declared crew; a
//! destination records the arrival; the central server matches the two and both desks pull the
//! trip's state. Overdue trips and expected departures are listed for the checkpoint's staff.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::checkin::{shanghai, CheckInContext};
use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::{self, CheckInResult, TripResolution, TruckDeclarationInput};
use placecode_core::decision::Colour;
use placecode_core::FieldError;

mod checkpoint;
mod destination;
mod pulled;

pub(crate) use checkpoint::settle_held_trip;
pub(crate) use pulled::{apply_destination, apply_predeclaration, apply_trip};

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

/// Upserts a crew member as a person (any document kind) and returns their id, by the rule of
/// every form (`checkin::upsert_person`: a name on file stays; the visit keeps the one given). A
/// crew member has no home address here: their origin (来源地) is the trip's, so a person already
/// known keeps the address they declared and a new one has none.
fn upsert_member(conn: &Connection, m: &checkin::TruckDeclaration, stamp: &str) -> Result<String> {
    let person = crate::checkin::DeclaredPerson {
        number: &m.document_number,
        kind: m.document_kind,
        name: &m.name,
        address: "",
        phone: Some(&m.phone),
    };
    crate::checkin::upsert_person(conn, &person, stamp)
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

    pub fn trip(&self, id: &str, now: DateTime<Utc>) -> Result<Trip> {
        self.first_trip("id = ?1", [id], now)?.ok_or(Error::not_found("行程"))
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
        let change = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
        apply_predeclaration(&store.conn, &change).unwrap_or_else(|e| panic!("{e}"));
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
