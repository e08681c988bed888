//! The risk cache at the desk: the door tags of the centre's list (or a list imported by hand),
//! colours kept for people raised at a door, and the question to the centre when a tag matches
//! (docs/security.md: the desk holds tags, never the list).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::checkin::field_err;
use super::{rfc3339, set_setting, setting, Store};
use crate::error::Result;
use placecode_core::checkin::shanghai;
use placecode_core::decision::{Colour, Raised, RiskEntry};
use placecode_core::risk::{self, RiskImportReport, RiskStatus};

pub(crate) const RISK_KEY: &str = "risk_key";
pub(crate) const RISK_AS_OF: &str = "risk_as_of";
const RISK_MAX_AGE_HOURS: &str = "risk_max_age_hours";
pub const DEFAULT_RISK_MAX_AGE_HOURS: i64 = 24;
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

impl Store {
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

    /// Before this desk connects to the centre: a list imported here from a file gives way to the
    /// centre's at the first sync (the desk keeps door tags, not numbers, so it cannot carry the
    /// file's entries over). Whoever connects must say they know, or the people on it would pass
    /// green without anyone having decided so (R7).
    pub fn risk_list_may_go(&self, confirmed: bool) -> Result<()> {
        if confirmed || self.enrolment()?.is_some() {
            return Ok(());
        }
        match self.risk_entry_count()? {
            0 => Ok(()),
            n => Err(field_err(
                "replace_risk_list",
                format!("风险名单：本台从文件导入的{n}条名单，接入后由中心下发的名单取代；请确认中心的名单已含这些人员后再接入"),
            )),
        }
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
    pub(super) fn door_tag(&self, hash: &[u8; 32]) -> Result<Option<u32>> {
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
}
