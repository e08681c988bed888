//! The door: the five ways in (whole ID number, last four, a declaration, a manual registration
//! of people without a phone, a person picked from a list), each decided once and recorded as a
//! visit naming its operator. The risk cache is in `risk.rs`, the day's lists in `visits.rs`,
//! incidents in `incidents.rs`.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::risk::RISK_KEY;
use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::{
    self, Candidate, CheckInResult, Declaration, DeclarationInput, Helper, HelperInput, Lookup, WayIn,
};
use placecode_core::decision::{self, Colour, HealthAnswers, Raised};
use placecode_core::identity::DocumentKind;
use placecode_core::risk::{self};
use placecode_core::FieldError;
use placecode_core::{identity, mask};

const DESK_ID: &str = "desk_id";
const REPEAT_WINDOW: &str = "repeat_window_seconds";
const IDLE_MINUTES: &str = "idle_minutes";
const DOOR_COUNT: &str = "door_unrecorded_until";
const FORM_PACE: &str = "form_pace_until";
const SEARCH_KEY: &str = "search_count_key";
const SEARCH_COUNT: &str = "search_count";
/// Minutes without a command before the desk signs its operator out.
pub const DEFAULT_IDLE_MINUTES: u32 = 10;
pub use placecode_core::checkin::{shanghai, IncidentStatus};

/// Who is at the desk and how the person is being checked in.
#[derive(Debug, Clone)]
pub struct CheckInContext {
    pub operator_id: String,
    /// R8: staff saw the trip code (行程码).
    pub trip_code_checked: bool,
    /// The venue code scanned or typed, when there is one.
    pub code: Option<String>,
    pub now: DateTime<Utc>,
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| Error::from(std::io::Error::other(e.to_string())))?;
    Ok(b)
}

/// A masked name for screens and lists; a person recorded by ID number alone says so.
pub(super) fn shown_name(name: &str) -> String {
    if name.is_empty() {
        checkin::NAME_UNKNOWN.to_owned()
    } else {
        mask::name(name)
    }
}

pub(super) fn field_err(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.into(), message: message.into() }])
}

impl Store {
    /// This desk's identity, made on first use.
    pub fn desk_id(&self) -> Result<String> {
        if let Some(id) = setting(&self.conn, DESK_ID)? {
            return Ok(id);
        }
        let id = uuid::Uuid::now_v7().to_string();
        set_setting(&self.conn, DESK_ID, &id)?;
        Ok(id)
    }

    pub(super) fn risk_key(&self) -> Result<Vec<u8>> {
        if let Some(k) = setting(&self.conn, RISK_KEY)?.and_then(|h| hex::decode(h).ok()) {
            return Ok(k);
        }
        let key = random_bytes::<32>()?;
        set_setting(&self.conn, RISK_KEY, &hex::encode(key))?;
        Ok(key.to_vec())
    }

    // ---- risk list ---------------------------------------------------------------------------

    /// The door's decision for a person (R7): the risk list and what they declared, then a colour
    /// kept from earlier. Answers the decision to show and record, and the raise this check-in
    /// makes (to keep, and to send to the centre with the visit), if any.
    pub(super) fn door_decision(
        &self,
        key: &[u8],
        id_number: &str,
        answers: &HealthAnswers,
        now: DateTime<Utc>,
    ) -> Result<(decision::Decision, Option<Keep>)> {
        let risk = self.risk_for(key, id_number)?;
        let kept = self.raised_for(key, id_number)?;
        let raise = match decision::raise(risk.as_ref(), kept.as_ref(), answers, now) {
            // The tag the lookups above computed (remembered), for keeping the colour.
            Some(raised) => Some(Keep { raised, tag: self.door_tag(&risk::id_hash(key, id_number))? }),
            None => None,
        };
        Ok((decision::decide_at(risk.as_ref(), kept.as_ref(), answers, now), raise))
    }

    // ---- check-in ----------------------------------------------------------------------------

    fn served_venue_required(&self) -> Result<placecode_core::venue::Venue> {
        self.served_venue()?.ok_or_else(|| field_err("venue", "请先在“场所列表”中设置本台服务场所"))
    }

    /// A full ID number typed or scanned: a known person is checked in at once; an unknown one
    /// gets the declaration form with the number filled in.
    pub fn check_in_by_id(&mut self, raw: &str, ctx: &CheckInContext) -> Result<Lookup> {
        let today = ctx.now.with_timezone(&shanghai()).date_naive();
        let id = identity::detect(raw, today).map_err(|m| field_err("id_number", format!("证件号码：{m}")))?;
        let person: Option<(String, String)> = self
            .conn
            .query_row("SELECT id, name FROM people WHERE id_number = ?1", [&id.number], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match person {
            Some((pid, name)) if !name.is_empty() => self.check_in_unless_repeat(&pid, WayIn::IdNumber, ctx),
            known => {
                // The risk list (and a kept colour) before any form (R7): a listed stranger is
                // recorded and shown red or yellow at once, by ID number alone; nobody fills a
                // form first, and Esc cannot leave without a decision. Someone recorded that way
                // before and now clear (a match the centre did not confirm) fills the form.
                let key = self.risk_key()?;
                let (flagged, _) = self.door_decision(&key, &id.number, &HealthAnswers::default(), ctx.now)?;
                if flagged.colour == Colour::Green {
                    return Ok(Lookup::Unknown { id_number: id.number, document_kind: id.kind });
                }
                let pid = match known {
                    Some((pid, _)) => pid,
                    None => self.conn.query_row(
                        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at,
                            document_kind)
                         VALUES (?1, ?2, ?3, ?4, '', '', NULL, ?5, ?5, ?6) RETURNING id",
                        params![
                            uuid::Uuid::now_v7().to_string(),
                            id.number,
                            id.last4(),
                            id.birth_year(),
                            rfc3339(ctx.now),
                            id.kind.key()
                        ],
                        |r| r.get::<_, String>(0),
                    )?,
                };
                Ok(Lookup::CheckedIn { result: self.check_in_person(&pid, WayIn::IdNumber, ctx)? })
            }
        }
    }

    /// A returning visitor's last four ID characters (R5). Several matches are told apart by
    /// birth year, or by picking one of the masked candidates.
    pub fn check_in_by_last4(&mut self, raw: &str, birth_year: Option<i32>, ctx: &CheckInContext) -> Result<Lookup> {
        let last4 =
            placecode_core::identity::last4(raw).map_err(|m| field_err("last4", format!("证件号后四位：{m}")))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, birth_year, document_kind FROM people
             WHERE last4 = ?1 AND (?2 IS NULL OR birth_year = ?2) ORDER BY updated_at DESC",
        )?;
        let found: Vec<(String, String, i32, String)> = stmt
            .query_map(params![last4, birth_year], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        match found.as_slice() {
            [] => Ok(Lookup::NoMatch),
            [(pid, ..)] => self.check_in_unless_repeat(pid, WayIn::Last4, ctx),
            many => Ok(Lookup::Choose {
                candidates: many
                    .iter()
                    .map(|(id, name, year, kind)| Candidate {
                        person_id: id.clone(),
                        masked_name: mask::name(name),
                        birth_year: *year,
                        document_kind: DocumentKind::parse(kind).unwrap_or(DocumentKind::ResidentId),
                    })
                    .collect(),
            }),
        }
    }

    /// The repeat window in seconds (setting `repeat_window_seconds`, default 120).
    pub fn repeat_window_seconds(&self) -> Result<i64> {
        Ok(setting(&self.conn, REPEAT_WINDOW)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(checkin::DEFAULT_REPEAT_WINDOW_SECONDS))
    }

    /// Sets the repeat window (the administrator's setting): 0 (never ask) to 30 minutes.
    pub fn set_repeat_window_seconds(&mut self, seconds: i64) -> Result<()> {
        if !(0..=1800).contains(&seconds) {
            return Err(field_err("repeat_window_seconds", "重复登记提醒时限：应为0至1800秒"));
        }
        set_setting(&self.conn, REPEAT_WINDOW, &seconds.to_string())
    }

    /// The door's count of answers that recorded nobody (`checkin::DoorBudget`), as last kept.
    pub fn door_budget(&self) -> Result<checkin::DoorBudget> {
        Ok(checkin::DoorBudget::resumed(self.kept_instant(DOOR_COUNT)?))
    }

    /// Keeps the door's count, so a restart does not reset it.
    pub fn keep_door_budget(&mut self, door: &checkin::DoorBudget) -> Result<()> {
        self.keep_instant(DOOR_COUNT, door.empty_at())
    }

    /// The pace of people recorded from forms (`checkin::FormPace`), as last kept.
    pub fn form_pace(&self) -> Result<checkin::FormPace> {
        Ok(checkin::FormPace::resumed(self.kept_instant(FORM_PACE)?))
    }

    /// Keeps the pace of forms, so a restart does not reset it.
    pub fn keep_form_pace(&mut self, pace: &checkin::FormPace) -> Result<()> {
        self.keep_instant(FORM_PACE, pace.empty_at())
    }

    fn kept_instant(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(setting(&self.conn, key)?.and_then(|v| DateTime::parse_from_rfc3339(&v).ok()).map(|t| t.with_timezone(&Utc)))
    }

    fn keep_instant(&mut self, key: &str, at: Option<DateTime<Utc>>) -> Result<()> {
        match at {
            Some(t) => set_setting(&self.conn, key, &rfc3339(t)),
            None => {
                self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
                Ok(())
            }
        }
    }

    /// 今日登记's count of whole names and numbers searched in the hour (`checkin::SearchBudget`),
    /// as last kept: the key its hashes are made with (made at the first use) and the hour's
    /// searches, by keyed hash, never as typed.
    pub fn search_budget(&self) -> Result<checkin::SearchBudget> {
        let key = setting(&self.conn, SEARCH_KEY)?.and_then(|h| <[u8; 32]>::try_from(hex::decode(h).ok()?).ok());
        let Some(key) = key else {
            let fresh = checkin::SearchBudget::default();
            set_setting(&self.conn, SEARCH_KEY, &hex::encode(fresh.kept().0))?;
            return Ok(fresh);
        };
        let recent: Vec<(DateTime<Utc>, String)> =
            setting(&self.conn, SEARCH_COUNT)?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
        Ok(checkin::SearchBudget::resumed(key, recent))
    }

    /// Keeps 今日登记's count, so a restart does not reset it.
    pub fn keep_search_budget(&mut self, budget: &checkin::SearchBudget) -> Result<()> {
        let (_, recent) = budget.kept();
        let json = serde_json::to_string(&recent).map_err(|e| Error::from(std::io::Error::other(e.to_string())))?;
        set_setting(&self.conn, SEARCH_COUNT, &json)
    }

    /// Minutes without a command before the desk signs its operator out (default 10).
    pub fn idle_minutes(&self) -> Result<u32> {
        Ok(setting(&self.conn, IDLE_MINUTES)?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_IDLE_MINUTES))
    }

    /// Sets the idle sign-out (the administrator's setting): 1 to 120 minutes; never off.
    pub fn set_idle_minutes(&mut self, minutes: i64) -> Result<u32> {
        let m = u32::try_from(minutes).ok().filter(|m| (1..=120).contains(m));
        let m = m.ok_or_else(|| field_err("idle_minutes", "无操作自动退出：应为1至120分钟"))?;
        set_setting(&self.conn, IDLE_MINUTES, &m.to_string())?;
        Ok(m)
    }

    /// A scan of a known person: checked in, unless they were checked in at this venue within
    /// the repeat window (a double scan, a second press): then the operator is asked first.
    fn check_in_unless_repeat(&mut self, person_id: &str, way_in: WayIn, ctx: &CheckInContext) -> Result<Lookup> {
        self.served_venue_required()?;
        let last = match self.repeat_window(ctx)? {
            Some(window) => self.visit_within(&window, Whose::Person(person_id))?,
            None => None,
        };
        // A colour learnt since that visit (a list pulled, a raise from another desk) is shown at
        // once, never behind the repeat question, whose Esc records nothing.
        let worse_now = |number: &str, colour: &str| -> Result<bool> {
            let (decision, _) = self.door_decision(&self.risk_key()?, number, &HealthAnswers::default(), ctx.now)?;
            Ok(decision.colour > Colour::parse(colour).unwrap_or(Colour::Green))
        };
        match last {
            Some(last) if !worse_now(&last.number, &last.colour)? => Ok(Lookup::Repeat {
                person_id: person_id.to_owned(),
                masked_name: shown_name(&last.name),
                masked_id: mask::id_number(&last.number),
                way_in,
                last_at: last.at,
            }),
            _ => Ok(Lookup::CheckedIn { result: self.check_in_person(person_id, way_in, ctx)? }),
        }
    }

    /// A person picked among several sharing the last four: like a scan, checked in unless they
    /// were checked in here within the repeat window (then the operator is asked first).
    pub fn check_in_picked(&mut self, person_id: &str, ctx: &CheckInContext) -> Result<Lookup> {
        self.check_in_unless_repeat(person_id, WayIn::Last4, ctx)
    }

    /// Checks in a known person with no new declaration: the colour comes from the risk list.
    pub fn check_in_person(&mut self, person_id: &str, way_in: WayIn, ctx: &CheckInContext) -> Result<CheckInResult> {
        let venue = self.served_venue_required()?;
        let (id_number, name): (String, String) = self
            .conn
            .query_row("SELECT id_number, name FROM people WHERE id = ?1", [person_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or(Error::not_found("登记人员"))?;
        let key = self.risk_key()?;
        let (decision, raise) = self.door_decision(&key, &id_number, &HealthAnswers::default(), ctx.now)?;
        if name.is_empty() && decision.colour == Colour::Green {
            // Recorded by ID number alone when held at the door; let in, they declare first.
            return Err(field_err("id_number", checkin::NAMELESS_DECLARE_FIRST));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let door = Door { decision: &decision, raise: raise.as_ref(), key: &key, id_number: &id_number };
        let visit_id = insert_visit(&tx, person_id, &venue.id, way_in, None, None, &door, ctx)?;
        tx.commit()?;
        self.result(visit_id, &decision, &name, &id_number, &venue.name, way_in, ctx.now)
    }

    /// A first-time declaration at the desk (R5): stores the person and checks them in.
    pub fn declare(&mut self, input: &DeclarationInput, ctx: &CheckInContext) -> Result<CheckInResult> {
        let today = ctx.now.with_timezone(&shanghai()).date_naive();
        let d = checkin::declaration(input, today, "")?;
        let mut results = self.check_in_declared(vec![d], WayIn::Declaration, &[], None, ctx)?;
        results.pop().ok_or(Error::not_found("登记结果"))
    }

    /// 手工登记 (R6): one or more people who cannot scan, helped by the operator or a guardian,
    /// all checked or none saved.
    /// 手工登记 (R6): `relations` says, per person, who the guardian is to them (when a
    /// guardian registers them).
    pub fn register_manual(
        &mut self,
        helper: &HelperInput,
        people: &[DeclarationInput],
        relations: &[String],
        ctx: &CheckInContext,
    ) -> Result<Vec<CheckInResult>> {
        if people.is_empty() {
            return Err(field_err("dependents", "请至少登记一人"));
        }
        if people.len() > checkin::MANUAL_MAX_PEOPLE {
            return Err(field_err("dependents", format!("一次最多登记{}人", checkin::MANUAL_MAX_PEOPLE)));
        }
        let today = ctx.now.with_timezone(&shanghai()).date_naive();
        let mut errors = Vec::new();
        let helpers =
            checkin::helpers(helper, relations, people.len(), today).map_err(|e| collect(&mut errors, e)).ok();
        // A child without a document takes its number from the guardian's.
        let guardian = match (helper, helpers.as_ref().and_then(|h| h.first())) {
            (HelperInput::Operator, _) => checkin::Guardian::None,
            (_, Some(Helper::Guardian { document_number, .. })) => checkin::Guardian::Number(document_number),
            _ => checkin::Guardian::Refused,
        };
        let mut declared = Vec::new();
        for (i, p) in people.iter().enumerate() {
            let prefix = format!("dependents.{i}.");
            match checkin::declaration_with(p, today, &prefix, guardian) {
                Ok(d) => declared.push(d),
                Err(e) => collect(&mut errors, e),
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in declared.iter().enumerate() {
            if !seen.insert(d.id.number.clone()) {
                errors.push(FieldError {
                    field: format!("dependents.{i}.id_number"),
                    message: format!("{}：与前面登记的人重复", d.id.kind.number_label()),
                });
            }
        }
        if errors.is_empty() {
            errors.extend(self.registered_moments_ago(&declared, ctx)?);
        }
        if !errors.is_empty() || helpers.is_none() {
            // People numbered from 1 in messages, as staff count them.
            for e in &mut errors {
                if let Some(rest) = e.field.strip_prefix("dependents.") {
                    if let Some(n) = rest.split('.').next().and_then(|n| n.parse::<usize>().ok()) {
                        e.message = format!("第{}位：{}", n + 1, e.message);
                    }
                }
            }
            return Err(Error::invalid_fields(errors));
        }
        let guardian = match guardian {
            checkin::Guardian::Number(number) => Some(number.to_owned()),
            _ => None,
        };
        let helpers = helpers.unwrap_or_default();
        self.check_in_declared(declared, WayIn::Manual, &helpers, guardian.as_deref(), ctx)
    }

    /// People of a 手工登记 checked in here within the repeat window: the same family sent twice
    /// (a trial registered a grandmother and twins twice in a minute: four identical rows). Each
    /// is named with when; after the window they are registered again as a new visit.
    fn registered_moments_ago(&self, declared: &[Declaration], ctx: &CheckInContext) -> Result<Vec<FieldError>> {
        let Some(window) = self.repeat_window(ctx)? else { return Ok(Vec::new()) };
        let mut found = Vec::new();
        for (i, d) in declared.iter().enumerate() {
            if let Some(last) = self.visit_within(&window, Whose::Number(&d.id.number))? {
                let clock = DateTime::parse_from_rfc3339(&last.at)
                    .map(|t| t.with_timezone(&shanghai()).format("%H:%M:%S").to_string())
                    .unwrap_or(last.at);
                found.push(FieldError {
                    field: format!("dependents.{i}.id_number"),
                    message: format!(
                        "{}已于{clock}在本场所登记，可能是重复提交；确需再次登记请{}秒后再试",
                        shown_name(&d.name),
                        window.seconds
                    ),
                });
            }
        }
        Ok(found)
    }

    /// The repeat window at the served venue as of `ctx.now` (a double scan, a form sent twice):
    /// none when it is 0 or no venue is served.
    fn repeat_window(&self, ctx: &CheckInContext) -> Result<Option<RepeatWindow>> {
        let seconds = self.repeat_window_seconds()?;
        let Some(venue) = self.served_venue()? else { return Ok(None) };
        if seconds <= 0 {
            return Ok(None);
        }
        Ok(Some(RepeatWindow {
            venue_id: venue.id,
            seconds,
            since: rfc3339(ctx.now - Duration::seconds(seconds)),
            until: rfc3339(ctx.now),
        }))
    }

    /// The last visit of a person (by id or document number) within `window`, for a scan and a
    /// form alike.
    fn visit_within(&self, window: &RepeatWindow, whose: Whose<'_>) -> Result<Option<LastVisit>> {
        // The column is one of two fixed names; the person's id or number is a parameter.
        let (column, key) = match whose {
            Whose::Person(id) => ("p.id", id),
            Whose::Number(number) => ("p.id_number", number),
        };
        let sql = format!(
            "SELECT v.at, {}, p.id_number, v.colour FROM visits v JOIN people p ON p.id = v.person_id
             WHERE {column} = ?1 AND v.venue_id = ?2 AND v.at > ?3 AND v.at <= ?4 ORDER BY v.at DESC LIMIT 1",
            crate::visit_name!()
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![key, window.venue_id, window.since, window.until], |r| {
                Ok(LastVisit { at: r.get(0)?, name: r.get(1)?, number: r.get(2)?, colour: r.get(3)? })
            })
            .optional()?)
    }

    /// Checks in people declared by a form; `guardian`, the number of a guardian who came with
    /// them (手工登记), whose colour at the door is theirs at least ([`decision::with_guardian`]).
    fn check_in_declared(
        &mut self,
        declared: Vec<Declaration>,
        way_in: WayIn,
        helpers: &[Helper],
        guardian: Option<&str>,
        ctx: &CheckInContext,
    ) -> Result<Vec<CheckInResult>> {
        let venue = self.served_venue_required()?;
        let key = self.risk_key()?;
        let guardian = match guardian {
            Some(number) => Some(self.door_decision(&key, number, &HealthAnswers::default(), ctx.now)?.0),
            None => None,
        };
        let mut decided = Vec::new();
        for d in declared {
            let (mut decision, raise) = self.door_decision(&key, &d.id.number, &d.answers, ctx.now)?;
            if let Some(g) = &guardian {
                decision = decision::with_guardian(decision, g);
            }
            decided.push((d, decision, raise));
        }
        let stamp = rfc3339(ctx.now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut visits = Vec::new();
        for (i, (d, decision, raise)) in decided.iter().enumerate() {
            let helper_json =
                helpers.get(i).map(serde_json::to_string).transpose().map_err(|e| Error::internal(e.to_string()))?;
            let person = DeclaredPerson {
                number: &d.id.number,
                kind: d.id.kind,
                name: &d.name,
                address: &d.address,
                phone: d.phone.as_deref(),
            };
            let person_id = upsert_person(&tx, &person, &stamp)?;
            let answers = serde_json::to_string(&d.answers).map_err(|e| Error::internal(e.to_string()))?;
            let door = Door { decision, raise: raise.as_ref(), key: &key, id_number: &d.id.number };
            let declared = Declared { name: &d.name, answers: &answers };
            let vid =
                insert_visit(&tx, &person_id, &venue.id, way_in, helper_json.as_deref(), Some(&declared), &door, ctx)?;
            visits.push(vid);
        }
        tx.commit()?;
        decided
            .iter()
            .zip(visits)
            // The result shows the name as declared, not the one on file: a form for a guessed
            // number told whether it was on file by the name it answered with.
            .map(|((d, decision, _), vid)| {
                self.result(vid, decision, &d.name, &d.id.number, &venue.name, way_in, ctx.now)
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn result(
        &self,
        visit_id: String,
        decision: &decision::Decision,
        name: &str,
        id_number: &str,
        venue_name: &str,
        way_in: WayIn,
        now: DateTime<Utc>,
    ) -> Result<CheckInResult> {
        let (risk_as_of, risk_stale) = self.risk_freshness(now)?;
        Ok(CheckInResult {
            visit_id,
            colour: decision.colour,
            health_code: decision.health_code,
            reasons: decision.reasons.clone(),
            masked_name: shown_name(name),
            masked_id: mask::id_number(id_number),
            venue_name: venue_name.to_owned(),
            way_in,
            at: rfc3339(now),
            risk_stale,
            risk_as_of,
        })
    }

    // ---- today -------------------------------------------------------------------------------

    pub fn visit_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM visits", [], |r| r.get(0))?)
    }

    /// For benchmarks and imports: the raw connection inside one transaction.
    #[doc(hidden)]
    pub fn with_transaction<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn collect(errors: &mut Vec<FieldError>, e: placecode_core::Error) {
    match e {
        placecode_core::Error::Invalid(f) => errors.extend(f),
        other => errors.push(FieldError { field: String::new(), message: other.to_string() }),
    }
}

/// A person as a form declared them, to be kept.
pub(super) struct DeclaredPerson<'a> {
    pub number: &'a str,
    pub kind: identity::DocumentKind,
    pub name: &'a str,
    pub address: &'a str,
    pub phone: Option<&'a str>,
}

/// The person declared, new or on file (their id), by one rule for every form (declaration,
/// 手工登记, a truck crew's): a name on file stays (a form does not rename someone: script in
/// the window or a name typed wrongly did it silently; the visit keeps the name given), unless
/// none was kept (someone recorded by number alone); an address and a phone declared are the
/// latest, one left empty keeps the one on file.
pub(super) fn upsert_person(conn: &Connection, d: &DeclaredPerson, stamp: &str) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let last4 = identity::last_four_of(d.number);
    let birth_year = identity::birth_year_of(d.kind, d.number).unwrap_or(0);
    Ok(conn.query_row(
        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at,
            document_kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)
         ON CONFLICT (id_number) DO UPDATE SET
            name = CASE WHEN people.name = '' THEN excluded.name ELSE people.name END,
            address = CASE WHEN excluded.address = '' THEN people.address ELSE excluded.address END,
            phone = COALESCE(NULLIF(excluded.phone, ''), people.phone), updated_at = excluded.updated_at,
            document_kind = excluded.document_kind
         RETURNING id",
        params![id, d.number, last4, birth_year, d.name, d.address, d.phone, stamp, d.kind.key()],
        |r| r.get(0),
    )?)
}

/// What the door decided for one person: the decision, the colour this check-in raises (kept
/// for the person and carried to the centre), and who it is (for the keyed hash).
pub(super) struct Door<'a> {
    pub decision: &'a decision::Decision,
    pub raise: Option<&'a Keep>,
    pub key: &'a [u8],
    pub id_number: &'a str,
}

/// A colour this check-in keeps for the person, with their door tag in the desk's epoch (none
/// without one), so that a clearing by tag from the centre reaches it.
pub(super) struct Keep {
    pub raised: Raised,
    pub tag: Option<u32>,
}

/// Keeps a colour raised at this desk for a person (the higher colour, the later end).
fn keep_raised(conn: &Connection, hash: &[u8; 32], keep: &Keep, stamp: &str) -> Result<()> {
    let (raised, tag) = (&keep.raised, keep.tag);
    conn.prepare_cached(
        "INSERT INTO raised_colours (id_hash, colour, until, updated_at, tag) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id_hash) DO UPDATE SET
            colour = CASE WHEN excluded.colour = 'red' OR raised_colours.colour = 'red' THEN 'red' ELSE excluded.colour END,
            until = max(raised_colours.until, excluded.until), updated_at = excluded.updated_at, tag = excluded.tag",
    )?
    .execute(params![hash.as_slice(), raised.colour.key(), rfc3339(raised.until), stamp, tag])?;
    Ok(())
}

/// What a form said with its visit: the name given (kept with the visit, the person's on file
/// staying) and the health answers (JSON).
pub(super) struct Declared<'a> {
    pub name: &'a str,
    pub answers: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_visit(
    conn: &Connection,
    person_id: &str,
    venue_id: &str,
    way_in: WayIn,
    helper: Option<&str>,
    declared: Option<&Declared>,
    door: &Door,
    ctx: &CheckInContext,
) -> Result<String> {
    let decision = door.decision;
    // 限流: one let in when the venue is full waits (nothing recorded, nothing half-saved).
    if decision.colour == placecode_core::decision::Colour::Green {
        super::occupancy::keep_limit(conn, venue_id, person_id, ctx.now)?;
    }
    if let Some(raise) = door.raise {
        keep_raised(conn, &risk::id_hash(door.key, door.id_number), raise, &rfc3339(ctx.now))?;
    }
    let id = uuid::Uuid::now_v7().to_string();
    let desk_id: String = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [DESK_ID], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let reasons = serde_json::to_string(&decision.reasons).map_err(|e| Error::internal(e.to_string()))?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO visits (id, person_id, venue_id, code, way_in, operator_id, helper, declaration,
            trip_code_checked, colour, health_code, reasons, at, desk_id, raised_colour, raised_until, name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    stmt.execute(params![
        id,
        person_id,
        venue_id,
        ctx.code,
        way_in.key(),
        ctx.operator_id,
        helper,
        declared.map(|d| d.answers),
        ctx.trip_code_checked,
        decision.colour.key(),
        decision.health_code.key(),
        reasons,
        rfc3339(ctx.now),
        desk_id,
        door.raise.map(|r| r.raised.colour.key()),
        door.raise.map(|r| rfc3339(r.raised.until)),
        declared.map(|d| d.name)
    ])?;
    super::outbox::enqueue_visit(conn, &id)?;
    Ok(id)
}

/// The repeat window at the served venue, read once for a scan or a whole form.
struct RepeatWindow {
    venue_id: String,
    seconds: i64,
    since: String,
    until: String,
}

/// Whose visit [`Store::visit_within`] looks for: a person on file, or a document number.
enum Whose<'a> {
    Person(&'a str),
    Number(&'a str),
}

/// A visit made within the repeat window: when, the name its form gave, the number, its colour.
struct LastVisit {
    at: String,
    name: String,
    number: String,
    colour: String,
}
