//! The checks a pushed record must pass, whoever wrote it: run by the centre when it receives a
//! record, and by the desk before it sends a corrected one. Each field's rule is the core's own
//! (the desk's form runs the same function), so the two ends cannot drift apart.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::decision::Colour;
use crate::error::FieldError;
use crate::identity::{self, DocumentKind};
use crate::venue::CodeKind;
use crate::{checkin, validate};

/// Why a record is refused: the field and a Chinese reason.
pub type Refusal = FieldError;

pub fn refuse(field: &str, message: impl Into<String>) -> Refusal {
    FieldError { field: field.into(), message: message.into() }
}

fn first(e: crate::Error) -> Refusal {
    match e {
        crate::Error::Invalid(mut v) if !v.is_empty() => v.swap_remove(0),
        other => refuse("body", other.to_string()),
    }
}

/// A record id: a UUID (the desk makes UUIDv7).
pub fn record_id(s: &str) -> Result<uuid::Uuid, Refusal> {
    uuid::Uuid::parse_str(s).map_err(|_| refuse("id", "记录编号格式不对，应为UUID"))
}

/// A record's body as its kind says: each kind has one type, built by the desk when it queues
/// the record and parsed by the centre (and by a desk checking a corrected record) from the
/// same definition, so a body cannot be sent as another kind or drift from what is read.
#[derive(Debug, Clone)]
pub enum Body {
    Venue(Box<VenueBody>),
    Code(CodeBody),
    CodeRevoked(CodeRevokedBody),
    Visit(Box<VisitBody>),
    Incident(Box<IncidentBody>),
    IncidentEvent(IncidentEventBody),
    TruckTrip(Box<TruckBody>),
    TruckArrival(Box<TruckBody>),
    TripUpdate(Box<TripUpdateBody>),
    VenueLimit(VenueLimitBody),
    Departure(DepartureBody),
}

impl Body {
    pub fn kind(&self) -> RecordKind {
        match self {
            Body::Venue(_) => RecordKind::Venue,
            Body::Code(_) => RecordKind::Code,
            Body::CodeRevoked(_) => RecordKind::CodeRevoked,
            Body::Visit(_) => RecordKind::Visit,
            Body::Incident(_) => RecordKind::Incident,
            Body::IncidentEvent(_) => RecordKind::IncidentEvent,
            Body::TruckTrip(_) => RecordKind::TruckTrip,
            Body::TruckArrival(_) => RecordKind::TruckArrival,
            Body::TripUpdate(_) => RecordKind::TripUpdate,
            Body::VenueLimit(_) => RecordKind::VenueLimit,
            Body::Departure(_) => RecordKind::Departure,
        }
    }

    /// The body of `record`, parsed as its kind's type.
    pub fn parse(record: &Record) -> Result<Body, Refusal> {
        Ok(match record.kind {
            RecordKind::Venue => Body::Venue(body(record)?),
            RecordKind::Code => Body::Code(body(record)?),
            RecordKind::CodeRevoked => Body::CodeRevoked(body(record)?),
            RecordKind::Visit => Body::Visit(body(record)?),
            RecordKind::Incident => Body::Incident(body(record)?),
            RecordKind::IncidentEvent => Body::IncidentEvent(body(record)?),
            RecordKind::TruckTrip => Body::TruckTrip(body(record)?),
            RecordKind::TruckArrival => Body::TruckArrival(body(record)?),
            RecordKind::TripUpdate => Body::TripUpdate(body(record)?),
            RecordKind::VenueLimit => Body::VenueLimit(body(record)?),
            RecordKind::Departure => Body::Departure(body(record)?),
        })
    }

    /// The body as the wire carries it.
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Body::Venue(b) => serde_json::to_value(b),
            Body::Code(b) => serde_json::to_value(b),
            Body::CodeRevoked(b) => serde_json::to_value(b),
            Body::Visit(b) => serde_json::to_value(b),
            Body::Incident(b) => serde_json::to_value(b),
            Body::IncidentEvent(b) => serde_json::to_value(b),
            Body::TruckTrip(b) | Body::TruckArrival(b) => serde_json::to_value(b),
            Body::TripUpdate(b) => serde_json::to_value(b),
            Body::VenueLimit(b) => serde_json::to_value(b),
            Body::Departure(b) => serde_json::to_value(b),
        }
    }
}

/// Parses a record's body as `T`, naming what is wrong in Chinese.
pub fn body<T: serde::de::DeserializeOwned>(record: &Record) -> Result<T, Refusal> {
    T::deserialize(&record.body).map_err(|e| refuse("body", format!("记录内容格式不对：{}", serde_reason(&e))))
}

/// serde's reason in Chinese, naming the field or value it is about but never echoing the input
/// (it may hold personal data).
pub fn serde_reason(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = s.split(" at line").next().unwrap_or(&s);
    // The first `quoted` name in serde's message: the missing field's.
    let quoted = || s.split('`').nth(1).map(|q| q.chars().take(40).collect::<String>()).unwrap_or_default();
    if s.starts_with("missing field") {
        format!("缺少字段 {}", quoted())
    } else if s.starts_with("unknown variant") || s.starts_with("unknown field") {
        // The names serde expected come from the record's type, not from the input.
        let expected: String = s.split("expected ").nth(1).unwrap_or("").replace('`', "").chars().take(120).collect();
        let what = if s.starts_with("unknown field") { "有不认识的字段" } else { "有不是可选的取值" };
        format!("{what}（应为 {}）", expected.trim_start_matches("one of "))
    } else if s.starts_with("invalid type") {
        "某个字段的类型不对".into()
    } else if s.starts_with("invalid length") || s.starts_with("invalid value") {
        "某个字段的取值不对".into()
    } else {
        "某个字段的取值无法读取（如时间应为 2026-11-29T08:00:00Z）".into()
    }
}

/// A checked visit: the normalized document number and name, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedVisit {
    pub venue: uuid::Uuid,
    pub document_kind: DocumentKind,
    pub document_number: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub last4: String,
}

/// The person rules of the core applied to a pushed person (the same as at the desk).
/// `admitted`: the visit was green (a name is then required; a refused person may be recorded by
/// ID number alone).
pub fn check_person(
    p: &PersonBody,
    today: NaiveDate,
    admitted: bool,
) -> Result<(String, String, String, Option<String>), Refusal> {
    let number = identity::recorded(p.document_kind, &p.document_number, today)
        .map_err(|m| refuse("person.document_number", format!("{}：{m}", p.document_kind.label())))?;
    // A person stopped at the door by the risk list is recorded by ID number alone.
    let name = if p.name.trim().is_empty() && !admitted {
        String::new()
    } else {
        validate::person_name(&p.name).map_err(|m| refuse("person.name", format!("姓名：{m}")))?
    };
    let address = if p.address.trim().is_empty() {
        String::new()
    } else {
        checkin::stored_home_address(&p.address).map_err(|m| refuse("person.address", format!("住址：{m}")))?
    };
    let phone = match p.phone.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(validate::phone(s).map_err(|m| refuse("person.phone", format!("手机号：{m}")))?),
        None => None,
    };
    if p.document_kind == DocumentKind::ChildWithGuardian {
        identity::child_record_of(&number, &name, today)
            .map_err(|m| refuse("person.document_number", format!("{}：{m}", p.document_kind.label())))?;
    }
    Ok((number, name, address, phone))
}

/// A child without a document came with the guardian whose number theirs is made from (R6).
fn check_child_guardian(v: &VisitBody, number: &str) -> Result<(), Refusal> {
    let guardian = identity::child_parts(number).map(|(g, _)| g);
    let helper = v.helper.as_deref().and_then(|h| serde_json::from_str::<checkin::Helper>(h).ok());
    match (guardian, helper) {
        (Some(g), Some(checkin::Helper::Guardian { document_number, .. })) if document_number == g => Ok(()),
        _ => Err(refuse("helper", "无证件儿童须由其号码中的监护人陪同登记")),
    }
}

pub fn check_visit(v: &VisitBody, now: DateTime<Utc>) -> Result<CheckedVisit, Refusal> {
    let venue = uuid::Uuid::parse_str(&v.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    check_time(v.at, now, "at")?;
    if crate::checkin::WayIn::parse(&v.way_in).is_none() {
        return Err(refuse("way_in", "登记方式不对"));
    }
    if v.reasons.len() > 20 || v.reasons.iter().any(|r| r.chars().count() > 200) {
        return Err(refuse("reasons", "原因过长"));
    }
    if let Some(code) = &v.code {
        crate::code::parse(code).map_err(|m| refuse("code", format!("场所码：{m}")))?;
    }
    for (field, text) in [("operator", &v.operator), ("helper", &v.helper)] {
        if text.as_deref().is_some_and(|s| s.chars().count() > 200) {
            return Err(refuse(field, "内容过长"));
        }
    }
    if v.raised.is_some_and(|r| !r.plausible(v.at)) {
        return Err(refuse("raised", "保持的颜色或期限不对"));
    }
    let today = shanghai_date(v.at);
    let (number, name, address, phone) = check_person(&v.person, today, v.colour == Colour::Green)?;
    if v.person.document_kind == DocumentKind::ChildWithGuardian {
        check_child_guardian(v, &number)?;
    }
    let last4 = identity::last_four_of(&number);
    Ok(CheckedVisit {
        venue,
        document_kind: v.person.document_kind,
        document_number: number,
        name,
        address,
        phone,
        last4,
    })
}

/// The calendar day in Kaifeng at `at`.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::checkin::shanghai()).date_naive()
}

/// A record's time: not more than a day in the future of the server's clock (a desk clock off by
/// hours is tolerated and measured; beyond a day the record is refused).
pub fn check_time(at: DateTime<Utc>, now: DateTime<Utc>, field: &str) -> Result<(), Refusal> {
    if at > now + chrono::Duration::hours(24) {
        return Err(refuse(field, "时间在未来，请检查登记台的时钟"));
    }
    if at < now - chrono::Duration::days(366) {
        return Err(refuse(field, "时间早于一年前"));
    }
    Ok(())
}

/// Checks a pushed venue with the same rules as the desk's registration form; answers its id,
/// the venue and its supervision phone (none when the desk sent none).
pub fn check_venue(b: &VenueBody) -> Result<(uuid::Uuid, crate::venue::ValidVenue, Option<String>), Refusal> {
    let id = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    let v = validate::venue(&b.input).map_err(first)?;
    let phone = if b.supervision_phone.trim().is_empty() {
        None
    } else {
        Some(
            validate::supervision_phone(&b.supervision_phone)
                .map_err(|m| refuse("supervision_phone", format!("监督电话：{m}")))?,
        )
    };
    Ok((id, v, phone))
}

/// Checks a pushed code: well formed and of the venue's kind; its signature is checked by the
/// caller, which holds the desk's key.
/// A code issued (kind `code`): well formed, its entrance label by the desk's rule. Answers the
/// venue, the code and the label normalized; the signature is checked by the caller, which holds
/// the desk's key.
pub fn check_code(b: &CodeBody) -> Result<(uuid::Uuid, crate::code::ParsedCode, String), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    let parsed = crate::code::parse(&b.code).map_err(|m| refuse("code", format!("场所码：{m}")))?;
    if b.rotating_only {
        crate::rotating::may_take_only_the_screen(parsed.kind).map_err(|m| refuse("rotating_only", m))?;
    }
    let label = crate::code::entrance_label(&b.label).map_err(|m| refuse("label", format!("入口名称：{m}")))?;
    Ok((venue, parsed, label))
}

/// Checks a truck record's crew with the core's truck declaration (R5).
/// Answers the venue and the record as the rules normalized it (plate, pass number, each
/// member's fields), which is what is stored: never the text as sent.
/// An entry (kind `truck_trip`) carries its crew, one to [`checkin::CREW_MAX`] people, as the
/// checkpoint's form takes it; an arrival (`truck_arrival`) names the truck, not its crew.
pub fn check_truck(b: &TruckBody, kind: RecordKind, now: DateTime<Utc>) -> Result<(uuid::Uuid, TruckBody), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    check_time(b.at, now, "at")?;
    let plate = identity::plate(&b.plate).map_err(|m| refuse("plate", format!("车牌号：{m}")))?;
    if kind == RecordKind::TruckTrip {
        checkin::crew_size(b.crew.len()).map_err(|m| refuse("crew", format!("司乘人员：{m}")))?;
    } else if b.crew.len() > checkin::CREW_MAX {
        return Err(refuse("crew", format!("司乘人员：最多{}人", checkin::CREW_MAX)));
    }
    let pass = pass_number(&b.pass_number)?;
    let today = shanghai_date(b.at);
    let mut crew = Vec::with_capacity(b.crew.len());
    let mut seen = std::collections::HashSet::new();
    for (i, c) in b.crew.iter().enumerate() {
        let d = checkin::truck_declaration(c, today, &format!("crew.{i}.")).map_err(first)?;
        if !seen.insert(d.document_number.clone()) {
            return Err(refuse(&format!("crew.{i}.document_number"), checkin::CREW_REPEATED));
        }
        crew.push(d.normalized());
    }
    Ok((venue, TruckBody { plate, pass_number: pass, crew, ..b.clone() }))
}

/// A refuse-and-report or a release (kind `incident`): the report form's rules, the same as the
/// desk's. Answers the venue.
pub fn check_incident(b: &IncidentBody, now: DateTime<Utc>) -> Result<uuid::Uuid, Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    check_time(b.at, now, "at")?;
    uuid::Uuid::parse_str(&b.visit_id).map_err(|_| refuse("visit_id", "登记记录编号格式不对"))?;
    text("reason", "原因", &b.reason, 200)?;
    checkin::check_incident_handling(&b.status, b.colour, &b.held_at, &b.reported_to, &b.note).map_err(first)?;
    text("operator", "操作员", b.operator.as_deref().unwrap_or(""), 60)?;
    Ok(venue)
}

/// A step of an incident (kind `incident_event`): well formed and in time. That the incident
/// is really at the venue named is the caller's to check (the centre holds the incident).
pub fn check_incident_event(b: &IncidentEventBody, now: DateTime<Utc>) -> Result<(uuid::Uuid, uuid::Uuid), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    let incident = uuid::Uuid::parse_str(&b.incident_id).map_err(|_| refuse("incident_id", "异常记录编号格式不对"))?;
    check_time(b.at, now, "at")?;
    checkin::check_incident_step(&b.status, &b.note).map_err(first)?;
    Ok((venue, incident))
}

/// A code revoked (kind `code_revoked`): well formed, with its reason; the signature is checked
/// by the caller, which holds the desk's key.
pub fn check_code_revoked(b: &CodeRevokedBody) -> Result<crate::code::ParsedCode, Refusal> {
    let parsed = crate::code::parse(&b.code).map_err(|m| refuse("code", format!("场所码：{m}")))?;
    crate::code::revoke_reason(&b.reason).map_err(|m| refuse("reason", format!("作废原因：{m}")))?;
    Ok(parsed)
}

/// Everything a record's content must satisfy, whoever wrote it: the rules the centre checks
/// before it looks at who may write what, and the rules a desk checks before it sends again a
/// record the centre refused and the clerk corrected.
pub fn check_content(r: &Record, now: DateTime<Utc>) -> Result<(), Refusal> {
    check_time(r.written_at, now, "written_at")?;
    match Body::parse(r)? {
        Body::Venue(b) => check_venue(&b).map(drop),
        Body::Code(b) => check_code(&b).map(drop),
        Body::CodeRevoked(b) => check_code_revoked(&b).map(drop),
        Body::Visit(b) => check_visit(&b, now).map(drop),
        Body::Incident(b) => check_incident(&b, now).map(drop),
        Body::IncidentEvent(b) => check_incident_event(&b, now).map(drop),
        Body::TruckTrip(b) | Body::TruckArrival(b) => check_truck(&b, r.kind, now).map(drop),
        Body::TripUpdate(b) => check_trip_update(&b, now).map(drop),
        Body::VenueLimit(b) => check_venue_limit(&b).map(drop),
        Body::Departure(b) => check_departure(&b, now).map(drop),
    }
}

/// A venue's limit, by the core's rule (`occupancy::Limit::checked`). Answers the venue and the
/// limit.
pub fn check_venue_limit(b: &VenueLimitBody) -> Result<(uuid::Uuid, Option<crate::occupancy::Limit>), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    let limit = match b.limit {
        None => None,
        Some(l) => {
            Some(crate::occupancy::Limit::checked(l.capacity.into(), l.percent.into(), l.stay_minutes.into()).map_err(
                |e| match e {
                    crate::Error::Invalid(f) => match f.into_iter().next() {
                        Some(f) => refuse(&format!("limit.{}", f.field), f.message),
                        None => refuse("limit", "限流设置不对"),
                    },
                    other => refuse("limit", other.to_string()),
                },
            )?)
        }
    };
    Ok((venue, limit))
}

/// 离场: the venue, one to [`DEPARTURE_VISITS_MAX`] visit ids, a time that is not in the future.
/// Answers the venue and the ids.
pub fn check_departure(b: &DepartureBody, now: DateTime<Utc>) -> Result<(uuid::Uuid, Vec<uuid::Uuid>), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    check_time(b.at, now, "at")?;
    if b.visit_ids.is_empty() || b.visit_ids.len() > super::DEPARTURE_VISITS_MAX {
        return Err(refuse("visit_ids", format!("离场应关闭1至{}条登记", super::DEPARTURE_VISITS_MAX)));
    }
    let ids = b
        .visit_ids
        .iter()
        .map(|id| uuid::Uuid::parse_str(id).map_err(|_| refuse("visit_ids", "登记编号格式不对")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((venue, ids))
}

/// The fields a clerk may correct in a refused record: what a person typed, never an id, a
/// time, a document number (another number is another person) or a choice from a list.
pub const CORRECTABLE: &[&str] = &[
    "name",
    "address",
    "phone",
    "origin",
    "entry_point",
    "reason",
    "note",
    "held_at",
    "reported_to",
    "plate",
    "pass_number",
    "label",
    "manager_name",
    "manager_phone",
    "supervision_phone",
];

/// Corrects the refused `field` of a record (a path as the refusal names it: `person.address`,
/// `crew.1.origin`, `note`) to `value`, and checks the whole record again by
/// [`check_content`]. Refused when the field itself is still wrong; otherwise the corrected
/// record, and the next field refused if another one is (a crew of two refused for the same
/// reason is corrected member by member).
pub fn correct(r: &Record, field: &str, value: &str, now: DateTime<Utc>) -> Result<(Record, Option<Refusal>), Refusal> {
    let mut fixed = r.clone();
    let at = correctable_value(&mut fixed.body, field)
        .ok_or_else(|| refuse("value", "该项不能在登记台更正：请放弃该记录，重新登记"))?;
    *at = serde_json::Value::String(crate::normalize::clean(value));
    match check_content(&fixed, now) {
        Ok(()) => Ok((fixed, None)),
        Err(e) if e.field == field => Err(refuse("value", e.message)),
        Err(next) => Ok((fixed, Some(next))),
    }
}

/// Whether [`correct`] can change the refused `field` of this record.
pub fn correctable(r: &Record, field: &str) -> bool {
    correctable_value(&mut r.body.clone(), field).is_some()
}

/// The text at `field` (`crew.1.origin`) when it is one a clerk may correct.
fn correctable_value<'a>(body: &'a mut serde_json::Value, field: &str) -> Option<&'a mut serde_json::Value> {
    if !CORRECTABLE.contains(&field.rsplit('.').next().unwrap_or("")) {
        return None;
    }
    let mut at = body;
    for part in field.split('.') {
        at = match part.parse::<usize>() {
            Ok(i) => at.get_mut(i),
            Err(_) => at.get_mut(part),
        }?;
    }
    at.is_string().then_some(at)
}

/// 电子通行证号: optional; letters and digits, up to 40.
pub fn pass_number(raw: &str) -> Result<String, Refusal> {
    let s = crate::normalize::compact(raw).to_ascii_uppercase();
    if s.chars().count() > 40 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(refuse("pass_number", "电子通行证号：应为字母和数字，不超过40位"));
    }
    Ok(s)
}

/// Checks a free-text field pushed by a desk: present, at most `max` characters, no control characters.
pub fn text(field: &str, label: &str, s: &str, max: usize) -> Result<(), Refusal> {
    let n = s.chars().count();
    if n > max {
        return Err(refuse(field, format!("{label}：不能超过{max}个字（现为{n}个）")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(refuse(field, format!("{label}：含有控制字符")));
    }
    Ok(())
}

/// The code kind for a code's venue must match the code: a checkpoint code at a checkpoint.
pub fn code_matches_venue(code: CodeKind, venue: CodeKind) -> bool {
    code == venue
}

/// Checks a trip update with the desk's rule for the note; answers the venue and the trip.
pub fn check_trip_update(b: &TripUpdateBody, now: DateTime<Utc>) -> Result<(uuid::Uuid, uuid::Uuid), Refusal> {
    let venue = uuid::Uuid::parse_str(&b.venue_id).map_err(|_| refuse("venue_id", "场所编号格式不对"))?;
    let trip = uuid::Uuid::parse_str(&b.trip_id).map_err(|_| refuse("trip_id", "行程编号格式不对"))?;
    check_time(b.at, now, "at")?;
    let note = checkin::trip_resolution_note(b.resolution, &b.note).map_err(first)?;
    if note != b.note {
        return Err(refuse("note", "说明：应为整理后的文字"));
    }
    text("operator", "操作员", b.operator.as_deref().unwrap_or(""), 60)?;
    Ok((venue, trip))
}
