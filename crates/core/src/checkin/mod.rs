//! Desk check-ins (登记台): declarations (R5), the three ways in, manual registration with a
//! helper (R6), the trip-code check (R8), and what the result screen shows (R7, R11).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decision::{Colour, HealthAnswers};
use crate::error::{FormCheck, Result};
use crate::identity::{self, Document, DocumentKind};
use crate::validate;

mod door;
mod incident;
mod truck;
pub use door::*;
pub use incident::*;
pub use truck::*;

/// Whole seconds from `now` until `at`, rounded up ("1秒" until the very end, never "0秒"), and
/// none once it has passed: the waits the desk tells its operator.
pub fn seconds_until(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((at - now).num_milliseconds().max(0) + 999) / 1000
}

/// China Standard Time: no daylight saving, so a fixed offset is exact.
pub fn shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("+08:00 is a valid offset"))
}

/// 场所码 declaration (R5), as typed at the desk or on the phone page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeclarationInput {
    /// 姓名
    pub name: String,
    /// 证件类型: a resident ID when not given.
    #[serde(default)]
    pub document_kind: Option<crate::identity::DocumentKind>,
    /// 证件号码 (身份证号 by default)
    pub id_number: String,
    /// 住址
    pub address: String,
    /// 联系电话 (optional at a general venue)
    pub phone: String,
    /// 是否到过疫情严重地区: asked, never assumed (`None` until the person answers).
    pub visited_risk_area: Option<bool>,
    /// 是否接触过疑似病人
    pub contact_with_suspected: Option<bool>,
    /// 体温是否正常 (R5), asked as 体温是否异常: `true` is normal
    pub temperature_normal: Option<bool>,
    /// A measured temperature in ℃, optional.
    pub temperature: String,
}

/// A form's fields as a browser sends them (urlencoded pairs): the first value of `key`.
pub fn form_value(fields: &[(String, String)], key: &str) -> String {
    fields.iter().find(|(k, _)| k == key).map_or(String::new(), |(_, v)| v.clone())
}

/// A yes/no answer as a form sends it (`yes`, `no`); `None` when the person did not answer.
pub fn form_answer(fields: &[(String, String)], key: &str) -> Option<bool> {
    match fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

impl DeclarationInput {
    /// The phone page's form, field by field (anything else in it is ignored).
    pub fn from_form(fields: &[(String, String)]) -> DeclarationInput {
        let get = |k: &str| form_value(fields, k);
        DeclarationInput {
            name: get("name"),
            document_kind: crate::identity::DocumentKind::parse(&get("document_kind")),
            id_number: get("id_number"),
            address: get("address"),
            phone: get("phone"),
            visited_risk_area: form_answer(fields, "visited_risk_area"),
            contact_with_suspected: form_answer(fields, "contact_with_suspected"),
            temperature_normal: form_answer(fields, "temperature_normal"),
            temperature: get("temperature"),
        }
    }
}

/// A declaration that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub name: String,
    pub id: Document,
    pub address: String,
    pub phone: Option<String>,
    pub answers: HealthAnswers,
}

pub const HOME_ADDRESS_MAX: usize = 120;

/// Checks a declaration; `prefix` names the person in messages when several are registered
/// together ("第2位：姓名：必填").
pub fn declaration(input: &DeclarationInput, today: chrono::NaiveDate, prefix: &str) -> Result<Declaration> {
    declaration_with(input, today, prefix, Guardian::None)
}

/// Who registers a person by hand, for a child without a document (R6): only a guardian who
/// shows their own may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guardian<'a> {
    /// No guardian: the person themselves, or the operator.
    None,
    /// A guardian whose number was refused (their field says why).
    Refused,
    /// A guardian's checked, normalized document number.
    Number(&'a str),
}

/// A declaration made by hand, with the guardian who registers it: a 无证件儿童 row takes its
/// birth date in the number's place and its number from the guardian's ([`identity::child_number`]).
pub fn declaration_with(
    input: &DeclarationInput,
    today: chrono::NaiveDate,
    prefix: &str,
    guardian: Guardian,
) -> Result<Declaration> {
    let mut f = FormCheck::new(prefix);
    let name = f.field("name", "姓名", validate::person_name(&input.name));
    let kind = input.document_kind.unwrap_or(DocumentKind::ResidentId);
    let number = if kind == DocumentKind::ChildWithGuardian {
        if guardian == Guardian::None {
            f.field::<()>("document_kind", "证件类型", Err(CHILD_NEEDS_GUARDIAN.into()));
        }
        let birth = f.field("id_number", kind.number_label(), identity::child_birth_date(&input.id_number, today));
        match (guardian, birth, &name) {
            (Guardian::Number(g), Some(birth), Some(name)) => Ok(identity::child_number(g, birth, name)),
            // Reported on their own fields.
            _ => Err(String::new()),
        }
    } else {
        identity::document(kind, &input.id_number, today)
    };
    let id = match number {
        Ok(number) => Some(Document { kind, number }),
        Err(why) if why.is_empty() => None,
        Err(why) => f.field("id_number", kind.number_label(), Err(why)),
    };
    let address = f.field("address", "住址", home_address(&input.address));
    let phone = f.field("phone", "手机号", optional(&input.phone, validate::mobile));
    let visited = f.field("visited_risk_area", VISITED_RISK_AREA, answered(input.visited_risk_area));
    let contact = f.field("contact_with_suspected", CONTACT, answered(input.contact_with_suspected));
    let normal = f.field("temperature_normal", TEMPERATURE_ABNORMAL, answered(input.temperature_normal));
    let temperature = f.field("temperature", "体温", optional(&input.temperature, identity::temperature));
    f.finish(|| {
        Some(Declaration {
            name: name?,
            id: id?,
            address: address?,
            phone: phone?,
            answers: HealthAnswers {
                visited_risk_area: visited?,
                contact_with_suspected: contact?,
                symptoms: !normal?,
                temperature: temperature?,
            },
        })
    })
}

/// A 无证件儿童 row without a guardian (the operator's registration, the phone page).
pub const CHILD_NEEDS_GUARDIAN: &str = "无证件的儿童须由监护人出示本人证件陪同登记：代登记方式请选“监护人代登记”";

/// The declaration's questions (R5), as every form asks them.
pub const VISITED_RISK_AREA: &str = "是否到过疫情严重地区";
pub const CONTACT: &str = "是否接触过疑似病人";
/// R5's 体温是否正常, asked the other way round so that 否 is the good answer to every
/// question: a clerk pressing N, N, N for a healthy visitor turned her yellow (a trial). The
/// answer is still kept as `temperature_normal`.
pub const TEMPERATURE_ABNORMAL: &str = "体温是否异常";
pub const SYMPTOMS: &str = "是否有发热、咳嗽症状";
pub const RISK_AREA_TRUCK: &str = "是否到过中高风险地区";

/// A yes/no question must have been answered: a form that submits without asking declares
/// nothing (R5, R7: "healthy" is never assumed).
pub fn answered(answer: Option<bool>) -> Result<bool, String> {
    answer.ok_or_else(|| "请选择“是”或“否”".into())
}

/// An optional field: empty is `None`, anything else must pass `rule`.
fn optional<T>(raw: &str, rule: fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        rule(raw).map(Some)
    }
}

/// 住址 as a person declares it (desk and phone alike): it must be findable, by the same rule
/// as a venue's address (a road, street or village and a number or landmark on it), so "附近"
/// or "开封" is refused with the reason.
pub fn home_address(raw: &str) -> Result<String, String> {
    let s = stored_home_address(raw)?;
    validate::findable(&s)?;
    Ok(s)
}

/// 住址 as a record carries it: length and characters only. Records already made (on a desk
/// before the findability rule, or a truck crew with no home address given) are stored, never
/// refused for a vague address, so no visit is lost to tracing.
pub fn stored_home_address(raw: &str) -> Result<String, String> {
    let s = crate::normalize::clean(raw);
    let n = s.chars().count();
    if n == 0 {
        return Err("必填".into());
    }
    if n < 2 {
        return Err("至少2个字".into());
    }
    if n > HOME_ADDRESS_MAX {
        return Err(format!("不能超过{HOME_ADDRESS_MAX}个字（现为{n}个）"));
    }
    if let Some(c) =
        s.chars().find(|&c| !(validate::is_han(c) || c.is_ascii_alphanumeric() || " ()（）·-—_#/,.、".contains(c)))
    {
        return Err(crate::normalize::forbidden(c));
    }
    Ok(s)
}

/// How a person came through the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WayIn {
    /// Staff typed or scanned the full ID number (USB scanner, ID-card reader).
    IdNumber,
    /// A returning visitor gave the last four ID digits.
    Last4,
    /// A first-time declaration at the desk.
    Declaration,
    /// 手工登记 for someone who cannot scan, helped by staff or a guardian (R6).
    Manual,
}

impl WayIn {
    pub fn key(self) -> &'static str {
        match self {
            WayIn::IdNumber => "id_number",
            WayIn::Last4 => "last4",
            WayIn::Declaration => "declaration",
            WayIn::Manual => "manual",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WayIn::IdNumber => "刷证/输入证号",
            WayIn::Last4 => "后四位",
            WayIn::Declaration => "首次申报",
            WayIn::Manual => "手工登记",
        }
    }

    pub fn parse(s: &str) -> Option<WayIn> {
        [WayIn::IdNumber, WayIn::Last4, WayIn::Declaration, WayIn::Manual].into_iter().find(|w| w.key() == s)
    }
}

/// Who helped a person who cannot scan (R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum HelperInput {
    /// The operator signed in at the desk.
    Operator,
    /// A guardian: a parent for children, a child for an elderly parent. Who the guardian is to
    /// each person is asked per person (an elderly father and a son registered together).
    Guardian { name: String, phone: String, document_number: String },
}

/// Who helped, as each visit records it: for a guardian, their relation to that very person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Helper {
    Operator,
    Guardian {
        name: String,
        relation: String,
        phone: String,
        /// The guardian's document number, of any kind (none on visits recorded before it was
        /// asked).
        #[serde(default)]
        document_number: String,
    },
}

pub const RELATION_MAX: usize = 10;
/// The same in English letters (grand-daughter).
pub const RELATION_MAX_LATIN: usize = 24;

/// The helper of each person registered by hand: `relations` holds, per person, who the guardian
/// is to them (父亲, 女儿); for the operator it is not asked. Every bad field is reported at
/// once; a person's relation as `dependents.<i>.relation`.
pub fn helpers(
    input: &HelperInput,
    relations: &[String],
    people: usize,
    today: chrono::NaiveDate,
) -> Result<Vec<Helper>> {
    match input {
        HelperInput::Operator => Ok(vec![Helper::Operator; people]),
        HelperInput::Guardian { name, phone, document_number } => {
            let mut f = FormCheck::new("");
            let name = f.field("guardian_name", "监护人姓名", validate::person_name(name));
            // A grandmother without a mobile gives her landline (0371), as a venue's manager may.
            let phone = f.field("guardian_phone", "监护人电话", validate::phone(phone));
            // Any document the guardian carries, of the kind its number tells.
            let number = f.field(
                "guardian_document_number",
                "监护人证件号码",
                crate::identity::detect(document_number, today).and_then(|d| match d.kind {
                    DocumentKind::ChildWithGuardian => Err("请填写监护人本人证件的号码".to_string()),
                    _ => Ok(d.number),
                }),
            );
            let relations: Vec<Option<String>> = (0..people)
                .map(|i| {
                    let raw = relations.get(i).map_or("", String::as_str);
                    f.field(&format!("dependents.{i}.relation"), "监护人身份", guardian_relation(raw))
                })
                .collect();
            f.finish(|| {
                let (name, phone, number) = (name?, phone?, number?);
                relations
                    .into_iter()
                    .map(|relation| {
                        Some(Helper::Guardian {
                            name: name.clone(),
                            relation: relation?,
                            phone: phone.clone(),
                            document_number: number.clone(),
                        })
                    })
                    .collect()
            })
        }
    }
}

/// 与被登记人关系: a few Chinese characters (父亲, 女儿, 孙子), or English words as a desk set to
/// English is asked for them (father, grand-daughter).
fn guardian_relation(raw: &str) -> Result<String, String> {
    let rel = crate::normalize::clean(raw);
    let latin = |c: char| c.is_ascii_alphabetic() || c == ' ' || c == '-' || c == '\'';
    if rel.is_empty() {
        Err("必填".into())
    } else if (rel.chars().count() <= RELATION_MAX && rel.chars().all(validate::is_han))
        || (rel.len() <= RELATION_MAX_LATIN
            && rel.starts_with(|c: char| c.is_ascii_alphabetic())
            && rel.chars().all(latin))
    {
        Ok(rel)
    } else {
        Err(RELATION_RULE.to_owned())
    }
}

/// Who registered a person for them when it was the operator, as lists say it.
pub const BY_OPERATOR: &str = "登记员";

/// Why a relation is refused.
pub const RELATION_RULE: &str = "请用不超过10个汉字或24个英文字母，如“父亲”“女儿”或 father";

/// Why the administrator exports a day's check-ins in full (names, numbers, phones): required,
/// recorded with the export.
pub fn export_reason(raw: &str) -> Result<String> {
    note_rule(raw, Some("导出完整信息须写明用途（至少2个字），如“区疾控中心流调需要”"))
}

/// The most people one manual registration takes (a carer and the elderly or children with them).
pub const MANUAL_MAX_PEOPLE: usize = 20;

/// A card swiped or a code scanned into a text field: a run of 14 or more letters and digits, 12
/// of them digits (an ID card's 18, a permanent residence card's 15). A reader types the next
/// person's number with its Enter into whatever has the focus; on a yellow or red screen's
/// forms that would record a decision nobody made, and keep someone's number in clear (a trial
/// saw both). Notes and places are words, never document numbers.
pub fn swiped_number(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|run| run.len() >= 14 && run.bytes().filter(u8::is_ascii_digit).count() >= 12)
}

/// Why a swiped number is refused.
pub const SWIPED: &str = "像是刷卡或扫码录入的证件号码：此处请用文字填写，不要在此刷卡";

/// Words typed by the operator, as a note or an incident's place is: no markup or control
/// characters, and no document number a card reader typed in.
fn typed_words(text: &str) -> std::result::Result<(), String> {
    match text.chars().find(|c| "<>;{}\\".contains(*c) || c.is_control()) {
        Some(c) => Err(crate::normalize::forbidden(c)),
        None if swiped_number(text) => Err(SWIPED.to_owned()),
        None => Ok(()),
    }
}

/// A short note: at most [`RELEASE_NOTE_MAX`] characters, typed words (`typed_words`), and when
/// `required` says why, at least two real characters (not "..").
fn note_rule(raw: &str, required: Option<&str>) -> Result<String> {
    let note = crate::normalize::clean(raw);
    let n = note.chars().count();
    let words = note.chars().filter(|&c| validate::is_han(c) || c.is_alphanumeric()).count();
    let checked: std::result::Result<(), String> = match required {
        Some(why) if words < 2 => Err(why.to_owned()),
        _ if n > RELEASE_NOTE_MAX => Err(format!("不能超过{RELEASE_NOTE_MAX}个字（现为{n}个）")),
        _ => typed_words(&note),
    };
    let mut f = FormCheck::new("");
    f.field("note", "说明", checked);
    f.finish(|| Some(note))
}

/// What the result screen shows (R7): no ID number in clear, only the masked identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckInResult {
    pub visit_id: String,
    pub colour: Colour,
    pub health_code: Colour,
    pub reasons: Vec<String>,
    /// 王**
    pub masked_name: String,
    /// 110***********002X
    pub masked_id: String,
    pub venue_name: String,
    pub way_in: WayIn,
    /// UTC, RFC 3339.
    pub at: String,
    /// The risk list is older than the configured age (or was never loaded).
    pub risk_stale: bool,
    pub risk_as_of: Option<String>,
}

/// The answer to a typed ID number or last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Lookup {
    /// Known person: checked in.
    CheckedIn { result: CheckInResult },
    /// Unknown full document number: open the declaration form with it and its kind filled in.
    Unknown { id_number: String, document_kind: crate::identity::DocumentKind },
    /// Several people share these last four digits: ask which one.
    Choose { candidates: Vec<Candidate> },
    /// Nobody has these last four digits.
    NoMatch,
    /// This person was checked in here moments ago (a double scan?): nothing recorded yet; the
    /// operator confirms to record it again.
    Repeat { person_id: String, masked_name: String, masked_id: String, way_in: WayIn, last_at: String },
}

/// Shown for a person recorded by ID number alone (a listed stranger stopped at the door).
pub const NAME_UNKNOWN: &str = "（姓名未登记）";
/// Someone recorded by ID number alone (held at the door) who is now let in: the form first.
pub const NAMELESS_DECLARE_FIRST: &str = "此人此前仅按身份证号登记，请扫描或输入完整身份证号，填写首次申报";

/// A second scan of the same person at the same venue within this many seconds asks first.
pub const DEFAULT_REPEAT_WINDOW_SECONDS: i64 = 120;

/// One of several people sharing the last four digits, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Candidate {
    pub person_id: String,
    pub masked_name: String,
    /// 0 when the document carries none (a passport, a permit).
    pub birth_year: i32,
    /// What tells apart people whose documents carry no year.
    pub document_kind: crate::identity::DocumentKind,
}

/// One visit in today's list, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitRow {
    pub id: String,
    pub at: String,
    pub masked_name: String,
    pub masked_id: String,
    pub colour: Colour,
    pub way_in: WayIn,
    pub operator_name: Option<String>,
    pub helped_by: Option<String>,
    pub trip_code_checked: bool,
    /// pending | synced
    pub sync_state: String,
    /// A phone's check-in made with a live 扫码屏 code (到场核验).
    pub present: bool,
    /// The entrance (its code's label) of a check-in made by a venue code; none at the desk.
    pub entrance: Option<String>,
}

/// How many of a day's check-ins a list shows at first, newest first; each 显示更多 shows as many
/// again. A busy door makes tens of thousands a day: the counts cover them all, the list the
/// newest, and a search finds any.
pub const LIST_PAGE: usize = 200;

/// The most a day's list shows however often 显示更多 is pressed; beyond it, a search or the
/// Excel export.
pub const LIST_MAX: usize = 1_000;

/// How many rows a list asked for `asked` shows: one page unless asked, at least one, at most
/// [`LIST_MAX`].
pub fn list_limit(asked: Option<usize>) -> usize {
    asked.unwrap_or(LIST_PAGE).clamp(1, LIST_MAX)
}

/// Whether a day's check-in answers a search typed at 今日登记 (`query` as `normalize::clean`
/// gives it): the full name exactly, the last four characters of the document number or the
/// whole number, or the time (`clock`, HH:MM) or its start (14:0, or the hour 14). Never part
/// of a name or a longer part of a number: the list is masked, and a search that matched any
/// part would give the rest away a character at a time.
pub fn day_search_matches(query: &str, name: &str, id_number: &str, clock: &str) -> bool {
    let number = query.to_ascii_uppercase();
    !query.is_empty()
        && (name == query
            || (number.chars().count() == 4 && id_number.ends_with(&number))
            || id_number == number
            || (time_query(query) && clock.starts_with(query)))
}

/// A search for a time: 14:05, its start (14:0, 14:), or an hour (14).
fn time_query(query: &str) -> bool {
    query.len() <= 5
        && (query.contains(':') || query.len() <= 2)
        && query.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// The longest 今日登记 search: the longest name a person may have (Latin letters); a longer one
/// matches nothing, and was read against every check-in of the day (100 kB: 13 s, the desk stalled).
pub const DAY_SEARCH_MAX: usize = validate::PERSON_NAME_LATIN_MAX;

/// A 今日登记 search as typed, cleaned (`normalize::clean`), or the field's reason when it is
/// longer than any name or number.
pub fn day_search_query(raw: &str) -> Result<String> {
    let q = crate::normalize::clean(raw);
    let n = q.chars().count();
    if n > DAY_SEARCH_MAX {
        return Err(crate::Error::invalid("query", format!("搜索：不能超过{DAY_SEARCH_MAX}个字（现为{n}个字）")));
    }
    Ok(q)
}

/// Searches that could confirm a guessed whole name or number (a masked 王** 410***1235 and a
/// year of birth leave a few hundred candidates): at most this many different ones a minute…
pub const NAMED_SEARCHES_PER_MINUTE: usize = 10;
/// …and an hour.
pub const NAMED_SEARCHES_PER_HOUR: usize = 100;

/// The 今日登记 searches for a whole name or number made in the last hour at this desk. A time or
/// the last four digits, a single character (no name is that short) and a search already made
/// in the hour (显示更多, the list reloaded after a sync) cost nothing. A search is remembered by
/// a keyed hash (HMAC-SHA-256 under a random key of the desk's), never as typed, so the count can
/// be kept across a restart without keeping the names and numbers searched.
#[derive(Debug)]
pub struct SearchBudget {
    key: [u8; 32],
    recent: std::collections::VecDeque<(DateTime<Utc>, String)>,
}

impl Default for SearchBudget {
    /// A fresh count under a new random key.
    fn default() -> SearchBudget {
        let mut key = [0u8; 32];
        // Without the system's randomness the key stays nought: the count still works, the
        // hashes are then unkeyed.
        let _ = getrandom::getrandom(&mut key);
        SearchBudget::resumed(key, Vec::new())
    }
}

impl SearchBudget {
    /// The count as kept across a restart: the key and the hour's searches (when, and their
    /// keyed hashes).
    pub fn resumed(key: [u8; 32], recent: Vec<(DateTime<Utc>, String)>) -> SearchBudget {
        SearchBudget { key, recent: recent.into() }
    }

    /// What [`SearchBudget::resumed`] takes.
    pub fn kept(&self) -> ([u8; 32], Vec<(DateTime<Utc>, String)>) {
        (self.key, self.recent.iter().cloned().collect())
    }

    fn hash(&self, query: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(query.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Counts `query` (cleaned) made at `now`, or refuses it past the limits. `Ok(true)` when it
    /// was counted (the count changed and is worth keeping).
    pub fn spend(&mut self, query: &str, now: DateTime<Utc>) -> Result<bool> {
        let last_four = query.chars().count() == 4 && query.chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x');
        if query.chars().count() < 2 || last_four || time_query(query) {
            return Ok(false);
        }
        while self.recent.front().is_some_and(|(t, _)| now - *t >= chrono::Duration::hours(1)) {
            self.recent.pop_front();
        }
        let hash = self.hash(query);
        if self.recent.iter().any(|(_, q)| *q == hash) {
            return Ok(false);
        }
        let in_minute: Vec<_> =
            self.recent.iter().filter(|(t, _)| now - *t < chrono::Duration::minutes(1)).map(|(t, _)| *t).collect();
        // When room comes back: the oldest search of the full minute, or of the full hour, forgotten.
        let room_at = if self.recent.len() >= NAMED_SEARCHES_PER_HOUR {
            self.recent.front().map(|(t, _)| *t + chrono::Duration::hours(1))
        } else if in_minute.len() >= NAMED_SEARCHES_PER_MINUTE {
            in_minute.first().map(|t| *t + chrono::Duration::minutes(1))
        } else {
            None
        };
        if let Some(at) = room_at {
            let secs = seconds_until(at, now);
            let wait = if secs > 90 { format!("{}分钟", (secs + 59) / 60) } else { format!("{secs}秒") };
            return Err(crate::Error::invalid(
                "query",
                format!(
                    "搜索：按姓名或完整证件号码搜索太频繁（每分钟最多{NAMED_SEARCHES_PER_MINUTE}次、每小时最多{NAMED_SEARCHES_PER_HOUR}次），请{wait}后再试，或按证件号码后四位、时间搜索"
                ),
            ));
        }
        self.recent.push_back((now, hash));
        Ok(true)
    }
}

/// How many more rows 显示更多 shows after `listed` of `total`: a page, or what is left, and none
/// past [`LIST_MAX`].
pub fn more_to_show(total: usize, listed: usize) -> usize {
    total.saturating_sub(listed).min(LIST_PAGE).min(LIST_MAX.saturating_sub(listed))
}

/// A day's check-ins: the counts of every one that matches, and the newest of them (at most the
/// limit asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TodaySummary {
    pub total: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub by_id_number: usize,
    pub by_last4: usize,
    pub by_declaration: usize,
    pub by_manual: usize,
    pub pending_sync: usize,
    /// The newest matches, newest first.
    pub visits: Vec<VisitRow>,
    /// How many more 显示更多 would list (0: none, or the most a list shows).
    pub more: usize,
    /// The oldest day still kept (2026-11-03; the retention window's first): 前一天 goes no
    /// further back.
    pub first_day: String,
}

impl TodaySummary {
    /// Counts `n` check-ins of one colour and way in, synced or not (waiting, or any state a
    /// newer desk may add: not confirmed by the centre).
    pub fn count(&mut self, colour: Colour, way_in: WayIn, synced: bool, n: usize) {
        self.total += n;
        *match colour {
            Colour::Green => &mut self.green,
            Colour::Yellow => &mut self.yellow,
            Colour::Red => &mut self.red,
        } += n;
        *match way_in {
            WayIn::IdNumber => &mut self.by_id_number,
            WayIn::Last4 => &mut self.by_last4,
            WayIn::Declaration => &mut self.by_declaration,
            WayIn::Manual => &mut self.by_manual,
        } += n;
        if !synced {
            self.pending_sync += n;
        }
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn a_list_shows_one_page_unless_asked_and_never_more_than_the_most() {
        assert_eq!(list_limit(None), LIST_PAGE);
        assert_eq!(list_limit(Some(400)), 400);
        assert_eq!(list_limit(Some(0)), 1);
        assert_eq!(list_limit(Some(usize::MAX)), LIST_MAX);
    }

    #[test]
    fn a_day_search_longer_than_any_name_is_refused_naming_the_field() {
        assert_eq!(day_search_query("  李四 ").unwrap(), "李四");
        assert_eq!(day_search_query(&"a".repeat(DAY_SEARCH_MAX)).unwrap().len(), DAY_SEARCH_MAX);
        for long in ["a".repeat(10_000), "李".repeat(DAY_SEARCH_MAX + 1), "😀".repeat(DAY_SEARCH_MAX + 1)] {
            let e = day_search_query(&long).unwrap_err();
            assert_eq!(e.code(), "invalid");
            assert_eq!(e.fields(), vec!["query"]);
            assert!(e.to_string().starts_with("搜索：不能超过80个字"), "{e}");
        }
    }

    #[test]
    fn whole_names_and_numbers_guessed_one_after_another_are_slowed() {
        let t0 = chrono::Utc::now();
        let mut budget = SearchBudget::default();
        // Ten different guesses in a minute pass, the eleventh is refused, naming the field.
        for i in 0..NAMED_SEARCHES_PER_MINUTE {
            budget.spend(&format!("41010219850505{i:04}"), t0).unwrap();
        }
        let e = budget.spend("410102198505051235", t0 + chrono::Duration::seconds(20)).unwrap_err();
        assert_eq!(e.fields(), vec!["query"]);
        assert!(e.to_string().contains("太频繁"), "{e}");
        assert!(e.to_string().contains("请40秒后再试"), "said when: {e}");
        // A search already made, the last four, a time, one character: free.
        for free in ["410102198505050003", "1235", "123X", "14:3", "14", "李"] {
            budget.spend(free, t0).unwrap();
        }
        // Names count as numbers do; 4-character names too.
        assert!(budget.spend("欧阳小红", t0).is_err());
        // A minute later ten more, until a hundred in the hour.
        let mut at = t0;
        let mut made = NAMED_SEARCHES_PER_MINUTE;
        while made < NAMED_SEARCHES_PER_HOUR {
            at += chrono::Duration::seconds(61);
            for _ in 0..NAMED_SEARCHES_PER_MINUTE.min(NAMED_SEARCHES_PER_HOUR - made) {
                budget.spend(&format!("王{made}"), at).unwrap();
                made += 1;
            }
        }
        at += chrono::Duration::seconds(61);
        let e = budget.spend("王小明", at).unwrap_err();
        // The hour's first search is forgotten at t0 + 60 min; `at` is 9 × 61 s + 61 s later.
        assert!(e.to_string().contains("请50分钟后再试"), "a hundred in the hour: {e}");
        // An hour after the first ones, room again.
        budget.spend("王小明", t0 + chrono::Duration::minutes(61)).unwrap();
    }

    #[test]
    fn the_search_count_is_kept_as_keyed_hashes_and_resumes_where_it_was() {
        let t0 = chrono::Utc::now();
        let mut budget = SearchBudget::default();
        for i in 0..NAMED_SEARCHES_PER_MINUTE {
            assert!(budget.spend(&format!("41010219850505{i:04}"), t0).unwrap(), "counted");
        }
        assert!(!budget.spend("1235", t0).unwrap(), "the last four are free, nothing to keep");
        let (key, recent) = budget.kept();
        assert_eq!(recent.len(), NAMED_SEARCHES_PER_MINUTE);
        // Nothing searched is kept as typed.
        assert!(recent.iter().all(|(_, h)| h.len() == 64 && !h.contains("4101021985")), "{recent:?}");
        // Resumed (a restart): still refused, and a search made before is still free.
        let mut again = SearchBudget::resumed(key, recent.clone());
        assert!(again.spend("王小明", t0 + chrono::Duration::seconds(5)).is_err());
        assert!(!again.spend("410102198505050003", t0 + chrono::Duration::seconds(5)).unwrap());
        // Under another key the same searches are other hashes: the hour's count stands, but a
        // search made before is counted again.
        let mut other = SearchBudget::resumed([7u8; 32], recent);
        assert!(other.spend("410102198505050003", t0 + chrono::Duration::seconds(5)).is_err());
    }

    #[test]
    fn a_day_search_matches_whole_things_never_parts_that_give_the_rest_away() {
        let (name, number, clock) = ("李秀英", "41025019951001400X", "14:05");
        let hits = |q: &str| day_search_matches(q, name, number, clock);
        // The full name, the last four (x as X), the whole number, the time or its start.
        for q in
            ["李秀英", "400X", "400x", "41025019951001400X", "41025019951001400x", "14:05", "14:0", "14:", "14", "1"]
        {
            assert!(hits(q), "{q}");
        }
        // Part of a name, more or fewer than four of the number's end, its start, other times.
        for q in [
            "李",
            "秀英",
            "李秀",
            "英",
            "1400X",
            "01400X",
            "1001400X",
            "00X",
            "4102",
            "410250",
            "14:06",
            "15",
            "2",
            "140",
            "14:05:00",
            "",
            "<b>李秀英</b>",
            "' OR 1=1 --",
        ] {
            assert!(!hits(q), "{q}");
        }
        // Four digits are a number's end, not a time (00:14 is searched as 00:14).
        assert!(!day_search_matches("0014", name, number, "00:14"));
        assert!(day_search_matches("00:14", name, number, "00:14"));
    }

    #[test]
    fn more_is_a_page_or_what_is_left_and_nothing_past_the_most() {
        assert_eq!(more_to_show(20_000, LIST_PAGE), LIST_PAGE);
        assert_eq!(more_to_show(250, LIST_PAGE), 50);
        assert_eq!(more_to_show(200, 200), 0);
        assert_eq!(more_to_show(3, 7), 0, "never negative");
        assert_eq!(more_to_show(20_000, LIST_MAX - 10), 10);
        assert_eq!(more_to_show(20_000, LIST_MAX), 0);
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_phone_form_becomes_the_input_the_rules_check() {
        let f = form(&[
            ("name", "李秀兰"),
            ("name", "second"),
            ("visited_risk_area", "no"),
            ("temperature_normal", "maybe"),
        ]);
        let d = DeclarationInput::from_form(&f);
        assert_eq!(d.name, "李秀兰", "the first value of a repeated field");
        assert_eq!((d.visited_risk_area, d.temperature_normal, d.contact_with_suspected), (Some(false), None, None));
        let t = TruckDeclarationInput::from_form(&form(&[("document_kind", "passport"), ("symptoms", "yes")]));
        assert_eq!((t.document_kind, t.symptoms), (Some(crate::identity::DocumentKind::Passport), Some(true)));
        // A tampered kind is no kind at all (never taken for a resident ID).
        let t = TruckDeclarationInput::from_form(&form(&[("document_kind", "<script>")]));
        assert_eq!(t.document_kind, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::identity::DocumentKind;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn good() -> DeclarationInput {
        DeclarationInput {
            name: "李秀英".into(),
            document_kind: None,
            id_number: "11010519491231002x".into(),
            address: "鼓楼区中山路18号院3号楼".into(),
            phone: String::new(),
            visited_risk_area: Some(false),
            contact_with_suspected: Some(false),
            temperature_normal: Some(true),
            temperature: "36.6".into(),
        }
    }

    /// Every kind of document is declared by its own rule; the reason names the kind's number,
    /// and a kind that is not chosen is a resident ID.
    #[test]
    fn a_declaration_of_every_document_kind() {
        use crate::identity::DocumentKind as K;
        for (kind, number, want, year) in [
            (K::HmtResidencePermit, "810000199003070015", "810000199003070015", 1990),
            (K::ForeignPermanentResident, "941840198506150017", "941840198506150017", 1985),
            (K::ForeignPermanentResident, "usa 4102 8506 1515", "USA410285061515", 0),
            (K::Passport, "x1234567a", "X1234567A", 0),
            (K::HkMacaoPermit, "H12345678", "H12345678", 0),
            (K::TaiwanPermit, "12345678", "12345678", 0),
        ] {
            let input = DeclarationInput { document_kind: Some(kind), id_number: number.into(), ..good() };
            let d = declaration(&input, today(), "").unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!((d.id.kind, d.id.number.as_str(), d.id.birth_year()), (kind, want, year));
        }
        let foreign = DeclarationInput {
            document_kind: Some(K::Passport),
            name: "John O'Neil-Smith".into(),
            id_number: "E1".into(),
            ..good()
        };
        assert_eq!(
            field_error(declaration(&foreign, today(), "")),
            ["id_number 护照号码：护照号码应为5至17位字母和数字"]
        );
        let mistaken = DeclarationInput { id_number: "810000199003070015".into(), ..good() };
        assert_eq!(
            field_error(declaration(&mistaken, today(), "")),
            ["id_number 身份证号：这是港澳台居民居住证的号码，请在证件类型中选择“港澳台居民居住证”"]
        );
        // The phone page's form: the kind by its key; an unknown key is no kind at all.
        let form = |k: &str| DeclarationInput::from_form(&[("document_kind".into(), k.into())]).document_kind;
        assert_eq!(form("foreign_permanent_resident"), Some(K::ForeignPermanentResident));
        assert_eq!(form("<script>"), None);
        assert_eq!(form(""), None);
    }

    fn field_error(r: Result<Declaration>) -> Vec<String> {
        match r {
            Err(crate::Error::Invalid(fields)) => {
                fields.into_iter().map(|f| format!("{} {}", f.field, f.message)).collect()
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn r5_general_declaration_passes_normalized() {
        let d = declaration(&good(), today(), "").unwrap();
        assert_eq!(d.id.number, "11010519491231002X");
        assert_eq!(d.answers.temperature, Some(36.6));
        assert!(!d.answers.symptoms);
    }

    #[test]
    fn r5_each_bad_field_is_named_with_the_prefix() {
        let input = DeclarationInput {
            name: "李😀".into(),
            id_number: "110105194902300021".into(),
            address: "<b>".into(),
            phone: "123".into(),
            temperature: "45".into(),
            ..good()
        };
        match declaration(&input, today(), "dependents.1.").unwrap_err() {
            Error::Invalid(f) => {
                let keys: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(
                    keys,
                    [
                        "dependents.1.name",
                        "dependents.1.id_number",
                        "dependents.1.address",
                        "dependents.1.phone",
                        "dependents.1.temperature"
                    ]
                );
                assert_eq!(f[1].message, "身份证号：出生日期不存在（第7至14位）");
                assert_eq!(f[4].message, "体温：应在35.0至42.0℃之间，请复测");
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn abnormal_temperature_answer_is_a_symptom() {
        let d = declaration(
            &DeclarationInput { temperature_normal: Some(false), temperature: String::new(), ..good() },
            today(),
            "",
        )
        .unwrap();
        assert!(d.answers.symptoms);
        assert_eq!(d.answers.temperature, None);
    }

    #[test]
    fn r6_a_child_without_a_document_is_registered_only_with_a_guardian() {
        let child = DeclarationInput {
            name: "王小明".into(),
            document_kind: Some(DocumentKind::ChildWithGuardian),
            id_number: "2018-05-12".into(),
            ..good()
        };
        let guardian = Guardian::Number("41020319800101001X");
        let d = declaration_with(&child, today(), "dependents.1.", guardian).unwrap();
        assert_eq!(d.id.kind, DocumentKind::ChildWithGuardian);
        assert_eq!(d.id.number, identity::child_number("41020319800101001X", d8(2018, 5, 12), "王小明"));
        assert_eq!(d.name, "王小明");
        // Without a guardian (the operator, the phone page), refused on the kind, the birth
        // date checked all the same.
        let bad = DeclarationInput { id_number: "2030-01-01".into(), ..child.clone() };
        match declaration_with(&bad, today(), "dependents.0.", Guardian::None) {
            Err(Error::Invalid(f)) => {
                let got: Vec<(&str, &str)> = f.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
                assert_eq!(
                    got,
                    [
                        ("dependents.0.document_kind", format!("证件类型：{CHILD_NEEDS_GUARDIAN}").as_str()),
                        ("dependents.0.id_number", "出生日期：不能在今天之后"),
                    ]
                );
            }
            e => panic!("{e:?}"),
        }
        assert!(declaration(&child, today(), "").is_err(), "the phone page's rule");
        // A guardian whose own number was refused: nothing more said about the child's row.
        match declaration_with(&child, today(), "", Guardian::Refused) {
            Err(Error::Invalid(f)) => assert!(f.is_empty(), "{f:?}"),
            e => panic!("{e:?}"),
        }
        // 16 and older show their own; a bad name is the name's message only.
        let teen = DeclarationInput { id_number: "2009-01-01".into(), ..child.clone() };
        let err = declaration_with(&teen, today(), "", guardian).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.len() == 1 && f[0].field == "id_number"
            && f[0].message == "出生日期：已满16周岁，应出示本人证件"),
            "{err:?}"
        );
        let nameless = DeclarationInput { name: "<b>".into(), ..child.clone() };
        let err = declaration_with(&nameless, today(), "", guardian).unwrap_err();
        assert!(matches!(&err, Error::Invalid(f) if f.len() == 1 && f[0].field == "name"), "{err:?}");
    }

    fn d8(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn r6_a_guardian_needs_name_phone_id_number_and_a_relation_per_person() {
        let guardian = HelperInput::Guardian {
            name: "张伟".into(),
            phone: "13837800001".into(),
            document_number: "41020319800101001X".into(),
        };
        let relations = ["儿子".to_owned(), "父亲".to_owned()];
        let ok = helpers(&guardian, &relations, 2, today()).unwrap();
        assert!(matches!(&ok[0], Helper::Guardian { relation, .. } if relation == "儿子"));
        assert!(matches!(&ok[1], Helper::Guardian { relation, document_number, .. }
            if relation == "父亲" && document_number == "41020319800101001X"));
        let bad = HelperInput::Guardian {
            name: "".into(),
            phone: "12345".into(),
            document_number: "410203198001010011".into(),
        };
        // A landline is a guardian's phone too (a grandmother without a mobile).
        let landline = HelperInput::Guardian {
            name: "李秀英".into(),
            phone: "0371-23456789".into(),
            document_number: "41020319800101001X".into(),
        };
        assert!(matches!(&helpers(&landline, &relations[..1], 1, today()).unwrap()[0],
            Helper::Guardian { phone, .. } if phone == "0371-23456789"));
        match helpers(&bad, &["<x>".to_owned()], 2, today()) {
            Err(Error::Invalid(f)) => {
                let keys: Vec<&str> = f.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(
                    keys,
                    [
                        "guardian_name",
                        "guardian_phone",
                        "guardian_document_number",
                        "dependents.0.relation",
                        "dependents.1.relation"
                    ]
                );
                assert!(f[2].message.starts_with("监护人证件号码："), "{}", f[2].message);
                assert!(f[3].message.starts_with("监护人身份："), "{}", f[3].message);
                assert_eq!(f[4].message, "监护人身份：必填");
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(helpers(&HelperInput::Operator, &[], 2, today()).unwrap(), [Helper::Operator, Helper::Operator]);
        // In English as an English desk asks for it; not a mix, not digits, not past the limits.
        for ok in ["father", "grand-daughter", "step mother", "godmother's son"] {
            assert_eq!(guardian_relation(ok).as_deref(), Ok(ok), "{ok}");
        }
        assert_eq!(guardian_relation("Ｆａｔｈｅｒ").as_deref(), Ok("Father"), "full-width letters taken as meant");
        // The reason names the limits the rule keeps.
        assert!(
            RELATION_RULE.contains(&format!("{RELATION_MAX}个汉字"))
                && RELATION_RULE.contains(&format!("{RELATION_MAX_LATIN}个英文字母"))
        );
        for bad in ["父亲father", "father1", "-father", "a".repeat(25).as_str(), "父".repeat(11).as_str(), "😀", "<b>"]
        {
            assert_eq!(guardian_relation(bad), Err(RELATION_RULE.to_owned()), "{bad}");
        }
        // A guardian of any document: a foreign parent with a passport, a Hong Kong resident's 居住证.
        for (number, kept) in [("x1234567a", "X1234567A"), ("810000199003070015", "810000199003070015")] {
            let guardian = HelperInput::Guardian {
                name: "Anna Smith".into(),
                phone: "13837800001".into(),
                document_number: number.into(),
            };
            let got = helpers(&guardian, &["母亲".to_owned()], 1, today()).unwrap();
            assert!(matches!(&got[0], Helper::Guardian { document_number, .. } if document_number == kept), "{got:?}");
        }
    }

    #[test]
    fn r9_every_trip_resolution_needs_its_own_note() {
        use TripResolution::*;
        for (r, why) in [
            (Verified, "说明：请写明如何核实到达（至少2个字），如“电话联系司机，已到达目的地”"),
            (TurnedBack, "说明：请写明劝返原因（至少2个字），如“司机体温37.8℃”"),
            (Cancelled, "说明：请写明作废原因（至少2个字），如“车牌录错”"),
        ] {
            for (note, message) in [
                ("", why),
                (" ．. ", why),
                ("车牌<录错", "说明：含有不允许的字符“<”"),
                ("车牌'; DROP TABLE trips;--", "说明：含有不允许的字符“;”"),
                (&"错".repeat(10_240)[..], "说明：不能超过60个字（现为10240个）"),
            ] {
                match trip_resolution_note(r, note).unwrap_err() {
                    Error::Invalid(f) => assert_eq!((f[0].field.as_str(), f[0].message.as_str()), ("note", message)),
                    e => panic!("{e:?}"),
                }
            }
            assert_eq!(TripResolution::from_key(r.key()), Some(r));
        }
        // Full-width forms are folded; rare characters and emoji are kept.
        assert_eq!(trip_resolution_note(Cancelled, "　车牌录错ＡＢ　").unwrap(), "车牌录错AB");
        assert_eq!(trip_resolution_note(TurnedBack, "司机𠈌发热🤒").unwrap(), "司机𠈌发热🤒");
        assert_eq!(TripResolution::from_key("arrived"), None);
    }

    /// A card reader types the next person's number, Enter included, into whatever has the focus:
    /// on a yellow or red screen's forms that is no decision, and no number is kept in clear.
    #[test]
    fn r7_a_card_swiped_into_a_release_or_a_report_is_refused() {
        use crate::decision::Colour::{Red, Yellow};
        for swiped in [
            "410202199001011150",
            "3410202199001011010",
            "11010519491231002x",
            "USA123456789012",
            "x 410202199001011117 y",
        ] {
            for reason in ReleaseReason::ALL {
                match release_note(reason, Red, swiped).unwrap_err() {
                    Error::Invalid(f) => assert_eq!(
                        (f[0].field.as_str(), f[0].message.as_str()),
                        ("note", format!("说明：{SWIPED}").as_str())
                    ),
                    e => panic!("{swiped}: {e:?}"),
                }
            }
            let e = incident_place("held_at", "临时隔离点", swiped).unwrap_err();
            assert_eq!((e.field.as_str(), e.message), ("held_at", format!("临时隔离点：{SWIPED}")));
            assert!(incident_step_note(swiped).is_err(), "{swiped}");
        }
        // Words with a few numbers in them stay notes.
        for fine in ["复测体温36.8℃", "已电话告知 13837800001", "0371-23456789 西司门社区", "1号楼201室"]
        {
            assert!(release_note(ReleaseReason::Other, Yellow, fine).is_ok(), "{fine}");
            assert!(incident_place("reported_to", "上报对象", fine).is_ok(), "{fine}");
        }
        // Blank-looking letters are no note.
        assert!(release_note(ReleaseReason::Other, Yellow, "\u{3164}\u{3164}").is_err());
    }

    #[test]
    fn r7_a_release_names_its_reason_and_other_needs_a_note() {
        use crate::decision::Colour::{Red, Yellow};
        assert_eq!(release_note(ReleaseReason::Misscan, Yellow, "").unwrap(), "误扫（扫错了人或证件）");
        // A red is never let go without a word.
        match release_note(ReleaseReason::Misscan, Red, " ").unwrap_err() {
            Error::Invalid(f) => assert_eq!(
                (f[0].field.as_str(), f[0].message.as_str()),
                ("note", "说明：红码人员按“误扫”放行也须写明扫错了什么（至少2个字），如“扫成了同行人的证件”")
            ),
            e => panic!("{e:?}"),
        }
        assert_eq!(
            release_note(ReleaseReason::Misscan, Red, "扫成了同行人").unwrap(),
            "误扫（扫错了人或证件）：扫成了同行人"
        );
        assert_eq!(
            release_note(ReleaseReason::VerifiedByStaff, Yellow, " 核实为同名 ").unwrap(),
            "工作人员核实后放行：核实为同名"
        );
        match release_note(ReleaseReason::VerifiedByStaff, Yellow, "").unwrap_err() {
            Error::Invalid(f) => {
                assert_eq!(f[0].message, "说明：核实后放行须写明核实了什么（至少2个字），如“复测体温36.8℃”")
            }
            e => panic!("{e:?}"),
        }
        for (note, message) in [
            ("", "说明：选择“其他”时请写明原因（至少2个字）"),
            ("..", "说明：选择“其他”时请写明原因（至少2个字）"),
            ("<b>家属", "说明：含有不允许的字符“<”"),
            (&"很".repeat(10_240)[..], "说明：不能超过60个字（现为10240个）"),
        ] {
            match release_note(ReleaseReason::Other, Yellow, note).unwrap_err() {
                Error::Invalid(f) => assert_eq!((f[0].field.as_str(), f[0].message.as_str()), ("note", message)),
                e => panic!("{e:?}"),
            }
        }
        assert_eq!(release_note(ReleaseReason::Other, Red, "家属𠈌陪同😀").unwrap(), "其他：家属𠈌陪同😀");
        match incident_step_note(" . ").unwrap_err() {
            Error::Invalid(f) => assert_eq!(
                (f[0].field.as_str(), f[0].message.as_str()),
                ("note", "说明：请写明这一步做了什么（至少2个字），如“已电话告知西司门社区”")
            ),
            e => panic!("{e:?}"),
        }
        assert_eq!(incident_step_note("已电话告知社区").unwrap(), "已电话告知社区");
    }

    #[test]
    fn r5_unanswered_questions_are_named_never_assumed() {
        let input = DeclarationInput {
            visited_risk_area: None,
            contact_with_suspected: Some(false),
            temperature_normal: None,
            ..good()
        };
        match declaration(&input, today(), "").unwrap_err() {
            Error::Invalid(f) => {
                let got: Vec<_> = f.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
                assert_eq!(
                    got,
                    [
                        ("visited_risk_area", "是否到过疫情严重地区：请选择“是”或“否”"),
                        ("temperature_normal", "体温是否异常：请选择“是”或“否”")
                    ]
                );
            }
            e => panic!("{e:?}"),
        }
        let truck = TruckDeclarationInput { symptoms: None, visited_risk_area: None, ..driver() };
        match truck_declaration(&truck, today(), "crew.0.").unwrap_err() {
            Error::Invalid(f) => {
                let keys: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(keys, ["crew.0.symptoms", "crew.0.visited_risk_area"]);
                assert_eq!(f[0].message, "是否有发热、咳嗽症状：请选择“是”或“否”");
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn home_address_must_be_findable_like_a_venues() {
        assert_eq!(home_address("附近").unwrap_err(), "缺少路、街、村等位置信息，无法找到这个地址");
        assert_eq!(home_address("开封市").unwrap_err(), "只写了辖区，请写明路、街或村，以及门牌号或标志性建筑");
        assert_eq!(home_address("鼓楼区中山路").unwrap_err(), "缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）");
        assert_eq!(home_address("ｘｘ路１８号").unwrap(), "xx路18号");
        assert!(home_address("北京市朝阳区建国路88号").is_ok());
        assert!(home_address("兰考县仪封乡代庄村").is_ok());
        // A record already made keeps a vague address: stored, not refused.
        assert_eq!(stored_home_address("附近").unwrap(), "附近");
        assert_eq!(stored_home_address("中山路1号;--").unwrap_err(), "含有不允许的字符“;”");
    }

    #[test]
    fn home_address_rules() {
        assert!(home_address("杞县𡒄家村").is_ok());
        assert_eq!(home_address("x").unwrap_err(), "至少2个字");
        assert!(home_address(&"村".repeat(10_240)).unwrap_err().starts_with("不能超过120个字"));
        assert_eq!(home_address("中山路1号;--").unwrap_err(), "含有不允许的字符“;”");
    }

    fn driver() -> TruckDeclarationInput {
        TruckDeclarationInput {
            name: "赵强".into(),
            document_kind: None,
            document_number: "410202199003070014".into(),
            plate: "冀A12345".into(),
            phone: "13837800001".into(),
            origin: "河北省石家庄市".into(),
            entry_point: "连霍高速开封西收费站".into(),
            expected_return: String::new(),
            expected_departure: "2026-11-28 18:00".into(),
            symptoms: Some(false),
            visited_risk_area: Some(false),
        }
    }

    #[test]
    fn r5_truck_declaration_passes_normalized() {
        let d = truck_declaration(&driver(), today(), "").unwrap();
        assert_eq!(d.plate, "冀A12345");
        assert_eq!(d.document_kind, DocumentKind::ResidentId);
        assert_eq!(d.expected_departure.unwrap().format("%Y-%m-%d %H:%M").to_string(), "2026-11-28 18:00");
        assert_eq!(d.expected_return, None);
    }

    #[test]
    fn r5_truck_crew_with_a_permit_and_symptoms() {
        let input = TruckDeclarationInput {
            name: "Chan Tai Man".into(),
            document_kind: Some(DocumentKind::HkMacaoPermit),
            document_number: "h12345678".into(),
            symptoms: Some(true),
            ..driver()
        };
        let d = truck_declaration(&input, today(), "").unwrap();
        assert_eq!(d.document_number, "H12345678");
        assert!(d.answers.symptoms);
        assert_eq!(crate::decision::decide(None, &d.answers).colour, crate::decision::Colour::Yellow);
    }

    #[test]
    fn r5_every_bad_truck_field_is_named() {
        let input = TruckDeclarationInput {
            name: "".into(),
            document_kind: Some(DocumentKind::Passport),
            document_number: "<x>".into(),
            plate: "冀A1234O".into(),
            phone: "0371-23456789".into(),
            origin: "x".into(),
            entry_point: "😀😀".into(),
            expected_return: "明天".into(),
            expected_departure: "2030-01-01".into(),
            ..driver()
        };
        match truck_declaration(&input, today(), "crew.2.").unwrap_err() {
            Error::Invalid(f) => {
                let keys: Vec<_> = f.iter().map(|e| e.field.trim_start_matches("crew.2.")).collect();
                assert_eq!(
                    keys,
                    [
                        "name",
                        "document_number",
                        "plate",
                        "phone",
                        "origin",
                        "entry_point",
                        "expected_return",
                        "expected_departure"
                    ]
                );
                assert_eq!(f[1].message, "护照：含有不允许的字符“<”");
                assert_eq!(f[2].message, "车牌号：车牌号不使用字母O（易与数字1、0混淆）");
                assert_eq!(f[7].message, "预计离豫时间：日期应在今天起一年以内");
            }
            e => panic!("{e:?}"),
        }
    }
}
