//! The desk's check-in records: operators, people, the risk cache, visits and today's list
//! (incidents are in `incidents.rs`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{rfc3339, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::checkin::{
    self, Candidate, CheckInResult, Declaration, DeclarationInput, Helper, HelperInput, Lookup, TodaySummary, VisitRow,
    WayIn,
};
use placecode_core::decision::{self, Colour, HealthAnswers, Raised, RiskEntry};
use placecode_core::risk::{self, RiskImportReport, RiskStatus};
use placecode_core::FieldError;
use placecode_core::{identity, mask, normalize};

const DESK_ID: &str = "desk_id";
pub(crate) const RISK_KEY: &str = "risk_key";
pub(crate) const RISK_AS_OF: &str = "risk_as_of";
const RISK_MAX_AGE_HOURS: &str = "risk_max_age_hours";
const REPEAT_WINDOW: &str = "repeat_window_seconds";
const IDLE_MINUTES: &str = "idle_minutes";
/// Minutes without a command before the desk signs its operator out.
pub const DEFAULT_IDLE_MINUTES: u32 = 10;
pub const DEFAULT_RISK_MAX_AGE_HOURS: i64 = 24;
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

const RISK_EPOCH: &str = "risk_epoch";

/// Asks the centre about the person with this document number, for a desk whose door tag
/// matched: whether listed and whether a colour is kept for them; `None`: no answer (offline,
/// refused, too slow). Given the desk's enrolment; set by the desk's shell.
pub type RiskConfirm =
    Box<dyn Fn(&super::outbox::Enrolment, &str) -> Option<placecode_core::sync::RiskConfirmResponse> + Send>;

/// The centre's last answer about one person, and when it came.
pub(super) struct RiskAnswer {
    hash: [u8; 32],
    at: std::time::Instant,
    answer: Option<placecode_core::sync::RiskConfirmResponse>,
}

/// The last door tag computed (one check-in looks a person up in the list and in kept colours,
/// before and after a form: one Argon2id).
pub(super) struct TagMemo {
    salt_hex: String,
    bits: u8,
    hash: [u8; 32],
    tag: u32,
}

/// How long an answer about one person is reused (a declaration form between two decisions).
const RISK_ANSWER_REUSE: std::time::Duration = std::time::Duration::from_secs(120);
/// After a question went unanswered, how long the door does not ask again (a centre that hangs
/// would otherwise hold every matching person for the whole timeout). Short: a centre that is
/// back is asked again soon.
const RISK_ASK_PAUSE: std::time::Duration = std::time::Duration::from_secs(20);

/// The tag colour as the desk keeps it: yellow and red only (green is the same as not listed)
/// and never the reason.
fn store_tag(tx: &Connection, tag: u32, colour: Colour) -> Result<()> {
    if colour == Colour::Green {
        tx.prepare_cached("DELETE FROM risk_tags WHERE tag = ?1")?.execute([tag])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO risk_tags (tag, colour) VALUES (?1, ?2)
             ON CONFLICT (tag) DO UPDATE SET colour = excluded.colour",
        )?
        .execute(params![tag, colour.key()])?;
    }
    Ok(())
}

pub(crate) fn risk_epoch(conn: &Connection) -> Result<Option<risk::Epoch>> {
    Ok(setting(conn, RISK_EPOCH)?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// A kept colour from the centre, by tag (green: none kept any more).
fn store_raised_tag(tx: &Connection, r: &placecode_core::sync::RaisedTag) -> Result<()> {
    if r.colour == Colour::Green {
        tx.prepare_cached("DELETE FROM raised_tags WHERE tag = ?1")?.execute([r.tag])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO raised_tags (tag, colour, until) VALUES (?1, ?2, ?3)
             ON CONFLICT (tag) DO UPDATE SET colour = excluded.colour, until = excluded.until",
        )?
        .execute(params![r.tag, r.colour.key(), rfc3339(r.until)])?;
    }
    Ok(())
}

/// Takes a new epoch whole: every tag of before goes, and the colours this desk kept itself are
/// tagged again under the new salt (so a clearing by tag reaches them).
pub(crate) fn install_risk_epoch(tx: &Connection, e: &placecode_core::sync::RiskEpochBody) -> Result<()> {
    tx.execute("DELETE FROM risk_tags", [])?;
    tx.execute("DELETE FROM raised_tags", [])?;
    for (tag, colour) in e.tags.pairs() {
        store_tag(tx, tag, colour)?;
    }
    for r in &e.raised {
        store_raised_tag(tx, r)?;
    }
    set_setting(tx, RISK_EPOCH, &serde_json::to_string(&e.epoch).unwrap_or_default())?;
    tag_local_raises(tx)
}

/// Tags the colours this desk kept itself under the current epoch (a new epoch, migration 10).
pub(super) fn tag_local_raises(tx: &Connection) -> Result<()> {
    let Some(epoch) = risk_epoch(tx)? else { return Ok(()) };
    let local: Vec<Vec<u8>> = tx
        .prepare("SELECT id_hash FROM raised_colours")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let hashes: Vec<[u8; 32]> = local.iter().filter_map(|h| <[u8; 32]>::try_from(h.as_slice()).ok()).collect();
    for (hash, tag) in hashes.iter().zip(epoch.tags(&hashes)?) {
        tx.execute("UPDATE raised_colours SET tag = ?2 WHERE id_hash = ?1", params![hash.as_slice(), tag])?;
    }
    Ok(())
}

/// One tag's new colour; a tag of another epoch than the desk's is stale and ignored.
pub(crate) fn apply_risk_tag(tx: &Connection, body: &placecode_core::sync::RiskTagBody) -> Result<()> {
    if risk_epoch(tx)?.is_some_and(|e| e.epoch == body.epoch) {
        store_tag(tx, body.tag, body.colour)?;
    }
    Ok(())
}

/// A kept colour from the centre; a clearing also drops what this desk kept for that tag.
pub(crate) fn apply_raised_tag(tx: &Connection, body: &placecode_core::sync::RaisedTagBody) -> Result<()> {
    if risk_epoch(tx)?.is_some_and(|e| e.epoch == body.epoch) {
        store_raised_tag(tx, &body.raised)?;
        if body.cleared {
            tx.execute("DELETE FROM raised_colours WHERE tag = ?1", [body.raised.tag])?;
        }
    }
    Ok(())
}

/// Forgets the list and the centre's kept colours (a desk enrolling takes the centre's).
pub(crate) fn clear_risk_list(tx: &Connection) -> Result<()> {
    tx.execute("DELETE FROM risk_tags", [])?;
    tx.execute("DELETE FROM raised_tags", [])?;
    // Not loaded until the centre's arrives: the status bar says so, not "updated at …".
    tx.execute("DELETE FROM settings WHERE key IN (?1, ?2)", [RISK_EPOCH, RISK_AS_OF])?;
    Ok(())
}

/// Migration 9: the HMAC-keyed entries of an older desk become door tags of a new local epoch
/// (an enrolled desk gets the centre's epoch at its next pull), and the HMACs are dropped.
pub(super) fn risk_entries_to_tags(tx: &Connection) -> Result<()> {
    let exists: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'risk_entries')", [], |r| r.get(0))?;
    if !exists {
        return Ok(());
    }
    let rows: Vec<(Vec<u8>, String)> = tx
        .prepare("SELECT id_hash, colour FROM risk_entries")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let (hashes, colours): (Vec<[u8; 32]>, Vec<Colour>) = rows
        .into_iter()
        .filter_map(|(h, c)| Some((<[u8; 32]>::try_from(h.as_slice()).ok()?, Colour::parse(&c)?)))
        .unzip();
    if !hashes.is_empty() {
        let epoch = risk::Epoch::new(0, hashes.len())?;
        let tags = risk::TagSnapshot::from_pairs(epoch.tags(&hashes)?.into_iter().zip(colours));
        install_risk_epoch(tx, &placecode_core::sync::RiskEpochBody { epoch, tags, raised: vec![] })?;
    }
    tx.execute_batch("DROP TABLE risk_entries")?;
    Ok(())
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

/// A Beijing-time day as UTC instants: its start, and the next day's.
pub(super) fn day_bounds(day: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(shanghai()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or(Error::not_found("日期"))?;
    Ok((start, start + Duration::days(1)))
}

/// Who registered the person for them, as lists show it: 登记员, or the guardian masked with
/// the relation ("父亲 张*").
pub(super) fn helped_by(stored: Option<String>) -> Option<String> {
    stored.and_then(|h| serde_json::from_str::<Helper>(&h).ok()).map(|h| match h {
        Helper::Operator => "登记员".to_owned(),
        Helper::Guardian { name, relation, .. } => format!("{relation} {}", mask::name(&name)),
    })
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

    /// Imports a risk-list CSV. `replace` starts a new epoch with these rows alone (a full list);
    /// otherwise rows update the tags they hash to (an increment; a green row clears its tag).
    /// Nothing is kept of a file that fails.
    /// A desk connected to the centre takes the centre's list only: a file cannot replace or
    /// change it (else one CSV would turn everyone green until the next full pull).
    pub fn import_risk(&mut self, bytes: &[u8], replace: bool, now: DateTime<Utc>) -> Result<RiskImportReport> {
        if self.enrolment()?.is_some() {
            return Err(field_err("file", "风险名单：本台已连接中心，名单由中心下发，不能从文件导入"));
        }
        let key = self.risk_key()?;
        let (rows, report) = risk::parse_csv(bytes, &key, now.with_timezone(&shanghai()).date_naive())?;
        if replace {
            risk::replacement_complete(&report).map_err(|m| field_err("file", m))?;
        }
        let hashes: Vec<[u8; 32]> = rows.iter().map(|r| r.hash).collect();
        let current = risk_epoch(&self.conn)?;
        let stamp = rfc3339(now);
        match current.filter(|_| !replace) {
            Some(epoch) => {
                let tags = epoch.tags(&hashes)?;
                let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for (tag, row) in tags.into_iter().zip(&rows) {
                    store_tag(&tx, tag, row.colour)?;
                }
                set_setting(&tx, RISK_AS_OF, &stamp)?;
                tx.commit()?;
            }
            None => {
                let listed = rows.iter().filter(|r| r.colour != Colour::Green).count();
                let epoch = risk::Epoch::new(risk_epoch(&self.conn)?.map_or(1, |e| e.epoch + 1), listed)?;
                let tags = epoch.tags(&hashes)?;
                let tags = risk::TagSnapshot::from_pairs(tags.into_iter().zip(rows.iter().map(|r| r.colour)));
                let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                install_risk_epoch(&tx, &placecode_core::sync::RiskEpochBody { epoch, tags, raised: vec![] })?;
                set_setting(&tx, RISK_AS_OF, &stamp)?;
                tx.commit()?;
            }
        }
        Ok(report)
    }

    /// How many door tags are listed (about the number of yellow and red entries).
    pub fn risk_entry_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM risk_tags", [], |r| r.get(0))?)
    }

    /// Lets the desk ask the centre about a person whose door tag matched.
    pub fn set_risk_confirm(&mut self, confirm: RiskConfirm) {
        self.risk_confirm = Some(confirm);
        *self.risk_answer.borrow_mut() = None;
    }

    pub fn set_risk_max_age_hours(&mut self, hours: i64) -> Result<()> {
        if !(1..=24 * 30).contains(&hours) {
            return Err(field_err("risk_max_age_hours", "风险名单有效期：应为1至720小时"));
        }
        set_setting(&self.conn, RISK_MAX_AGE_HOURS, &hours.to_string())
    }

    pub fn risk_max_age_hours(&self) -> Result<i64> {
        Ok(setting(&self.conn, RISK_MAX_AGE_HOURS)?.and_then(|h| h.parse().ok()).unwrap_or(DEFAULT_RISK_MAX_AGE_HOURS))
    }

    /// The risk list's state for the status bar and the settings screen.
    pub fn risk_status(&self, now: DateTime<Utc>) -> Result<RiskStatus> {
        let (as_of, stale) = self.risk_freshness(now)?;
        Ok(RiskStatus {
            as_of,
            stale,
            entries: self.risk_entry_count()?,
            max_age_hours: self.risk_max_age_hours()?,
            from_centre: self.enrolment()?.is_some(),
        })
    }

    /// When the risk list was last loaded, and whether that is too long ago.
    pub fn risk_freshness(&self, now: DateTime<Utc>) -> Result<(Option<String>, bool)> {
        let as_of = setting(&self.conn, RISK_AS_OF)?;
        let max = self.risk_max_age_hours()?;
        let stale = match as_of.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
            Some(t) => now.signed_duration_since(t) > Duration::hours(max),
            None => true,
        };
        Ok((as_of, stale))
    }

    /// The risk list's colour for a person, if listed. A door tag that matches means "possibly
    /// listed": an enrolled desk asks the centre about this very number; without an answer the
    /// tag's colour stands, and the reason says it was not confirmed.
    pub(super) fn risk_for(&self, key: &[u8], id_number: &str) -> Result<Option<RiskEntry>> {
        let hash = risk::id_hash(key, id_number);
        let Some(tag) = self.door_tag(&hash)? else { return Ok(None) };
        let colour: Option<String> = self
            .conn
            .prepare_cached("SELECT colour FROM risk_tags WHERE tag = ?1")?
            .query_row([tag], |r| r.get(0))
            .optional()?;
        let Some(colour) = colour.as_deref().and_then(Colour::parse) else { return Ok(None) };
        if self.enrolment()?.is_none() {
            return Ok(Some(RiskEntry { colour, reason: risk::LOCAL_MATCH.into(), confirmed: false }));
        }
        Ok(match self.ask_centre(&hash, id_number)? {
            Some(answer) => {
                answer.colour.map(|colour| RiskEntry { colour, reason: risk::CONFIRMED.into(), confirmed: true })
            }
            None => Some(RiskEntry { colour, reason: risk::UNCONFIRMED.into(), confirmed: false }),
        })
    }

    /// The person's door tag in the desk's epoch, if it has one (computed once per person in a
    /// row).
    fn door_tag(&self, hash: &[u8; 32]) -> Result<Option<u32>> {
        let Some(epoch) = risk_epoch(&self.conn)? else { return Ok(None) };
        if let Some(m) = self.tag_memo.borrow().as_ref() {
            if m.hash == *hash && m.salt_hex == epoch.salt_hex && m.bits == epoch.bits {
                return Ok(Some(m.tag));
            }
        }
        let tag = epoch.tag(hash)?;
        *self.tag_memo.borrow_mut() = Some(TagMemo { salt_hex: epoch.salt_hex, bits: epoch.bits, hash: *hash, tag });
        Ok(Some(tag))
    }

    /// The centre's answer about one person, reused for [`RISK_ANSWER_REUSE`].
    fn ask_centre(&self, hash: &[u8; 32], number: &str) -> Result<Option<placecode_core::sync::RiskConfirmResponse>> {
        let (Some(ask), Some(e)) = (&self.risk_confirm, self.enrolment()?) else { return Ok(None) };
        if let Some(last) = self.risk_answer.borrow().as_ref() {
            // An answer is reused for the same person; no answer only pauses asking briefly.
            match &last.answer {
                Some(answer) if last.hash == *hash && last.at.elapsed() < RISK_ANSWER_REUSE => {
                    return Ok(Some(answer.clone()))
                }
                None if last.at.elapsed() < RISK_ASK_PAUSE => return Ok(None),
                _ => {}
            }
        }
        let answer = ask(&e, number);
        *self.risk_answer.borrow_mut() =
            Some(RiskAnswer { hash: *hash, at: std::time::Instant::now(), answer: answer.clone() });
        Ok(answer)
    }

    /// A colour kept for this person: raised at this desk (exact, by keyed hash: the desk holds
    /// these people's numbers anyway), or at another desk or phone (by door tag from the centre,
    /// confirmed with the centre like a risk-list match; without an answer the tag's colour
    /// stands). The higher colour, the later end.
    pub(super) fn raised_for(&self, key: &[u8], id_number: &str) -> Result<Option<Raised>> {
        let hash = risk::id_hash(key, id_number);
        let row = |r: &rusqlite::Row| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
        let parse = |(c, until): (String, String)| {
            let until = DateTime::parse_from_rfc3339(&until).ok()?.with_timezone(&Utc);
            Some(Raised { colour: Colour::parse(&c)?, until })
        };
        let here = self
            .conn
            .prepare_cached("SELECT colour, until FROM raised_colours WHERE id_hash = ?1")?
            .query_row([hash.as_slice()], row)
            .optional()?
            .and_then(parse);
        let tagged = match self.door_tag(&hash)? {
            Some(tag) => self
                .conn
                .prepare_cached("SELECT colour, until FROM raised_tags WHERE tag = ?1")?
                .query_row([tag], row)
                .optional()?
                .and_then(parse),
            None => None,
        };
        let elsewhere = match tagged {
            Some(t) => match self.ask_centre(&hash, id_number)? {
                Some(answer) => answer.raised,
                None => Some(t),
            },
            None => None,
        };
        Ok([here, elsewhere].into_iter().flatten().reduce(Raised::merge))
    }

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
        let id = identity::resident_id(raw, today).map_err(|m| field_err("id_number", format!("身份证号：{m}")))?;
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
                    return Ok(Lookup::Unknown { id_number: id.number });
                }
                let pid = match known {
                    Some((pid, _)) => pid,
                    None => self.conn.query_row(
                        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, '', '', NULL, ?5, ?5) RETURNING id",
                        params![uuid::Uuid::now_v7().to_string(), id.number, id.last4(), id.birth_year(), rfc3339(ctx.now)],
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
            placecode_core::identity::last4(raw).map_err(|m| field_err("last4", format!("身份证后四位：{m}")))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, birth_year FROM people WHERE last4 = ?1 AND (?2 IS NULL OR birth_year = ?2)
             ORDER BY updated_at DESC",
        )?;
        let found: Vec<(String, String, i32)> = stmt
            .query_map(params![last4, birth_year], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        match found.as_slice() {
            [] => Ok(Lookup::NoMatch),
            [(pid, _, _)] => self.check_in_unless_repeat(pid, WayIn::Last4, ctx),
            many => Ok(Lookup::Choose {
                candidates: many
                    .iter()
                    .map(|(id, name, year)| Candidate {
                        person_id: id.clone(),
                        masked_name: mask::name(name),
                        birth_year: *year,
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
        let venue = self.served_venue_required()?;
        let window = self.repeat_window_seconds()?;
        let since = rfc3339(ctx.now - Duration::seconds(window));
        let last: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT v.at, p.name, p.id_number FROM visits v JOIN people p ON p.id = v.person_id
                 WHERE v.person_id = ?1 AND v.venue_id = ?2 AND v.at > ?3 AND v.at <= ?4
                 ORDER BY v.at DESC LIMIT 1",
                params![person_id, venue.id, since, rfc3339(ctx.now)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match last {
            Some((last_at, name, number)) if window > 0 => Ok(Lookup::Repeat {
                person_id: person_id.to_owned(),
                masked_name: shown_name(&name),
                masked_id: mask::id_number(&number),
                way_in,
                last_at,
            }),
            _ => Ok(Lookup::CheckedIn { result: self.check_in_person(person_id, way_in, ctx)? }),
        }
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
        let mut results = self.check_in_declared(vec![d], WayIn::Declaration, &[], ctx)?;
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
        let mut declared = Vec::new();
        for (i, p) in people.iter().enumerate() {
            let prefix = format!("dependents.{i}.");
            match checkin::declaration(p, today, &prefix) {
                Ok(d) => declared.push(d),
                Err(e) => collect(&mut errors, e),
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in declared.iter().enumerate() {
            if !seen.insert(d.id.number.clone()) {
                errors.push(FieldError {
                    field: format!("dependents.{i}.id_number"),
                    message: "身份证号：与前面登记的人重复".into(),
                });
            }
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
        let helpers = helpers.unwrap_or_default();
        self.check_in_declared(declared, WayIn::Manual, &helpers, ctx)
    }

    fn check_in_declared(
        &mut self,
        declared: Vec<Declaration>,
        way_in: WayIn,
        helpers: &[Helper],
        ctx: &CheckInContext,
    ) -> Result<Vec<CheckInResult>> {
        let venue = self.served_venue_required()?;
        let key = self.risk_key()?;
        let mut decided = Vec::new();
        for d in declared {
            let (decision, raise) = self.door_decision(&key, &d.id.number, &d.answers, ctx.now)?;
            decided.push((d, decision, raise));
        }
        let stamp = rfc3339(ctx.now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut visits = Vec::new();
        for (i, (d, decision, raise)) in decided.iter().enumerate() {
            let helper_json =
                helpers.get(i).map(serde_json::to_string).transpose().map_err(|e| Error::internal(e.to_string()))?;
            let person_id = upsert_person(&tx, d, &stamp)?;
            let answers = serde_json::to_string(&d.answers).map_err(|e| Error::internal(e.to_string()))?;
            let door = Door { decision, raise: raise.as_ref(), key: &key, id_number: &d.id.number };
            let vid =
                insert_visit(&tx, &person_id, &venue.id, way_in, helper_json.as_deref(), Some(&answers), &door, ctx)?;
            visits.push(vid);
        }
        tx.commit()?;
        decided
            .iter()
            .zip(visits)
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

    /// Today's check-ins (Asia/Shanghai day), masked, with counts; `query` searches the name,
    /// the last four ID characters or the time (HH:MM).
    pub fn today(&self, query: &str, now: DateTime<Utc>) -> Result<TodaySummary> {
        self.visits_on(now.with_timezone(&shanghai()).date_naive(), query, now)
    }

    /// A day still within the retention window, and not after today (Beijing time).
    fn check_day(&self, day: NaiveDate, now: DateTime<Utc>) -> Result<()> {
        let today = now.with_timezone(&shanghai()).date_naive();
        let days = self.retention_days()?;
        if day > today {
            return Err(field_err("date", "日期：不能晚于今天"));
        }
        if day < today - Duration::days(days) {
            return Err(field_err("date", format!("日期：早于保存期限（{days}天），这一天的记录已删除")));
        }
        Ok(())
    }

    /// A day's check-ins at this desk (Beijing time), counted and masked, newest first; searched
    /// by name, last four or time (HH:MM).
    pub fn visits_on(&self, day: NaiveDate, query: &str, now: DateTime<Utc>) -> Result<TodaySummary> {
        self.check_day(day, now)?;
        let (start, end) = day_bounds(day)?;
        let mut stmt = self.conn.prepare(
            "SELECT v.id, v.at, p.name, p.id_number, v.colour, v.way_in, o.name, v.helper, v.trip_code_checked,
                    v.sync_state
             FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.operator_id
             WHERE v.at >= ?1 AND v.at < ?2 ORDER BY v.at DESC",
        )?;
        let q = normalize::clean(query);
        let mut summary = TodaySummary::default();
        // A visit as listed, with what the search looks in (the name, the whole number).
        struct Listed {
            name: String,
            id_number: String,
            visit: VisitRow,
        }
        let rows = stmt.query_map(params![rfc3339(start), rfc3339(end)], |r| {
            let name: String = r.get(2)?;
            let id_number: String = r.get(3)?;
            let visit = VisitRow {
                id: r.get(0)?,
                at: r.get(1)?,
                masked_name: shown_name(&name),
                masked_id: mask::id_number(&id_number),
                colour: Colour::parse(&r.get::<_, String>(4)?).unwrap_or(Colour::Red),
                way_in: WayIn::parse(&r.get::<_, String>(5)?).unwrap_or(WayIn::Manual),
                operator_name: r.get(6)?,
                helped_by: helped_by(r.get(7)?),
                trip_code_checked: r.get(8)?,
                sync_state: r.get(9)?,
            };
            Ok(Listed { name, id_number, visit })
        })?;
        for row in rows {
            let Listed { name, id_number, visit } = row?;
            let local = DateTime::parse_from_rfc3339(&visit.at)
                .map(|t| t.with_timezone(&shanghai()).format("%H:%M").to_string());
            let matches = q.is_empty()
                || name.contains(&q)
                || id_number.ends_with(&q.to_ascii_uppercase())
                || local.as_deref().is_ok_and(|t| t.starts_with(&q));
            if !matches {
                continue;
            }
            summary.total += 1;
            match visit.colour {
                Colour::Green => summary.green += 1,
                Colour::Yellow => summary.yellow += 1,
                Colour::Red => summary.red += 1,
            }
            match visit.way_in {
                WayIn::IdNumber => summary.by_id_number += 1,
                WayIn::Last4 => summary.by_last4 += 1,
                WayIn::Declaration => summary.by_declaration += 1,
                WayIn::Manual => summary.by_manual += 1,
            }
            if visit.sync_state != "synced" {
                summary.pending_sync += 1;
            }
            summary.visits.push(visit);
        }
        Ok(summary)
    }

    /// A day's check-ins for the workbook (登记名单), oldest first: masked, or in full for the
    /// administrator with a reason. Every export is recorded (who, when, which day, masked or
    /// full, why, how many rows); the reason follows the note rule.
    pub fn export_day(
        &mut self,
        day: NaiveDate,
        full_reason: Option<&str>,
        ctx: &CheckInContext,
    ) -> Result<crate::export::DayExport> {
        self.check_day(day, ctx.now)?;
        let reason = match full_reason {
            Some(raw) => Some(checkin::export_reason(raw)?),
            None => None,
        };
        let venue_name = self.served_venue()?.map(|v| v.name).unwrap_or_default();
        let (start, end) = day_bounds(day)?;
        let full = reason.is_some();
        let mut stmt = self.conn.prepare(
            "SELECT v.at, p.name, p.id_number, p.phone, p.address, v.colour, v.way_in, o.name, v.helper,
                    v.trip_code_checked
             FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN operators o ON o.id = v.operator_id
             WHERE v.at >= ?1 AND v.at < ?2 ORDER BY v.at",
        )?;
        let rows = stmt
            .query_map(params![rfc3339(start), rfc3339(end)], |r| {
                let at: String = r.get(0)?;
                let name: String = r.get(1)?;
                let number: String = r.get(2)?;
                let helper: Option<String> = r.get(8)?;
                Ok(crate::export::ExportRow {
                    time: DateTime::parse_from_rfc3339(&at)
                        .map(|t| t.with_timezone(&shanghai()).format("%H:%M:%S").to_string())
                        .unwrap_or(at),
                    name: if full { name.clone() } else { shown_name(&name) },
                    document: if full { number.clone() } else { mask::id_number(&number) },
                    phone: if full { r.get::<_, Option<String>>(3)?.unwrap_or_default() } else { String::new() },
                    address: if full { r.get(4)? } else { String::new() },
                    colour: Colour::parse(&r.get::<_, String>(5)?).unwrap_or(Colour::Red),
                    way_in: WayIn::parse(&r.get::<_, String>(6)?).unwrap_or(WayIn::Manual),
                    operator: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    helped_by: helped_by(helper).unwrap_or_default(),
                    trip_code_checked: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        self.conn.execute(
            "INSERT INTO export_audit (at, operator_id, day, full, reason, rows) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rfc3339(ctx.now),
                ctx.operator_id,
                day.to_string(),
                full,
                reason.clone().unwrap_or_default(),
                rows.len() as i64
            ],
        )?;
        Ok(crate::export::DayExport { date: day, venue_name, full, rows })
    }

    /// The exports recorded, newest first (who exported which day, and why when in full).
    pub fn export_audit(&self) -> Result<Vec<crate::export::ExportRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT e.at, o.name, e.day, e.full, e.reason, e.rows FROM export_audit e
             LEFT JOIN operators o ON o.id = e.operator_id ORDER BY e.at DESC, e.rowid DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::export::ExportRecord {
                at: r.get(0)?,
                operator: r.get(1)?,
                day: r.get(2)?,
                full: r.get(3)?,
                reason: r.get(4)?,
                rows: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

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

fn upsert_person(conn: &Connection, d: &Declaration, stamp: &str) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    Ok(conn.query_row(
        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
         ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, address = excluded.address,
            phone = COALESCE(excluded.phone, people.phone), updated_at = excluded.updated_at
         RETURNING id",
        params![id, d.id.number, d.id.last4(), d.id.birth_year(), d.name, d.address, d.phone, stamp],
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

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_visit(
    conn: &Connection,
    person_id: &str,
    venue_id: &str,
    way_in: WayIn,
    helper: Option<&str>,
    declaration: Option<&str>,
    door: &Door,
    ctx: &CheckInContext,
) -> Result<String> {
    let decision = door.decision;
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
            trip_code_checked, colour, health_code, reasons, at, desk_id, raised_colour, raised_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    stmt.execute(params![
        id,
        person_id,
        venue_id,
        ctx.code,
        way_in.key(),
        ctx.operator_id,
        helper,
        declaration,
        ctx.trip_code_checked,
        decision.colour.key(),
        decision.health_code.key(),
        reasons,
        rfc3339(ctx.now),
        desk_id,
        door.raise.map(|r| r.raised.colour.key()),
        door.raise.map(|r| rfc3339(r.raised.until))
    ])?;
    super::outbox::enqueue_visit(conn, &id)?;
    Ok(id)
}
