//! The checkpoint's half of a truck's trip: the crew found (a phone's pre-declaration, an
//! earlier trip, a truck turned back), the entry recorded with each member's decision, the pass
//! slip, and what became of a trip that did not arrive (到达核验, 劝返, 作废).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::checkin::{insert_visit, shanghai, CheckInContext, Declared, Door};
use crate::error::{Error, Result};
use crate::{outbox, rfc3339, Store};
use placecode_core::checkin::{self, TripResolution, TruckDeclarationInput, WayIn};
use placecode_core::decision::Colour;
use placecode_core::identity;
use placecode_core::sync::Body;
use placecode_core::venue::CodeKind;
use placecode_core::FieldError;

use super::*;

impl Store {
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
    pub(super) fn turned_back_of(
        &self,
        plate: Option<&str>,
        hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Trip>> {
        let since = rfc3339(now - Duration::hours(TURNED_BACK_RECHECK_HOURS));
        self.first_trip(
            "resolution = 'turned_back' AND resolved_at >= ?3 AND (plate = ?1 OR instr(crew_hashes, ?2) > 0)
             ORDER BY resolved_at DESC LIMIT 1",
            params![plate, hash.unwrap_or("-"), since],
            now,
        )
    }

    /// The plate's trip still in transit (entered in the last 14 days), newest first.
    pub(super) fn open_trip_of(&self, plate: &str, now: DateTime<Utc>) -> Result<Option<Trip>> {
        let since = rfc3339(now - Duration::days(14));
        self.first_trip(
            &format!("plate = ?1 AND {IN_TRANSIT} AND entered_at >= ?2 ORDER BY entered_at DESC LIMIT 1"),
            params![plate, since],
            now,
        )
    }

    /// The first trip that `condition` (what follows WHERE) finds, as the screens show it.
    pub(super) fn first_trip(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
        now: DateTime<Utc>,
    ) -> Result<Option<Trip>> {
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
                            message: checkin::CREW_REPEATED.into(),
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
            let declared = Declared { name: &d.name, answers: &answers };
            visits.push(insert_visit(&tx, &person, &venue.id, WayIn::Declaration, None, Some(&declared), &door, ctx)?);
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
