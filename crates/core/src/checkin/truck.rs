//! Truck crews (R5, R9): the 专属场所码 declaration every member fills, the crew's size, and what
//! becomes of a trip that does not arrive.

use serde::{Deserialize, Serialize};

use super::*;
use crate::decision::HealthAnswers;
use crate::error::{FormCheck, Result};
use crate::identity::{self};
use crate::validate;

/// A trip with no arrival this many hours after entry is overdue (the desk's setting and the
/// central server's flag both start here).
pub const DEFAULT_OVERDUE_HOURS: i64 = 12;

/// Why a crew member is refused who was declared already (one person, one place on the crew).
pub const CREW_REPEATED: &str = "证件号：与前面登记的人重复";

/// The most people a truck carries through a checkpoint (司乘人员).
pub const CREW_MAX: usize = 10;

/// 司乘人员 of a truck entering at a checkpoint, as the desk's form takes it and the centre
/// receives it: one to [`CREW_MAX`] people.
pub fn crew_size(n: usize) -> std::result::Result<(), String> {
    if (1..=CREW_MAX).contains(&n) {
        Ok(())
    } else {
        Err(format!("应为1至{CREW_MAX}人"))
    }
}

/// What became of a truck's trip other than its arrival being recorded at the destination (R9):
/// the checkpoint's staff confirmed the arrival another way (到达核验), the truck was turned back
/// (劝返), or the entry was a mistake (作废). Each is final, recorded with a note and synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TripResolution {
    /// 到达核验: the arrival confirmed by the checkpoint (a call to the crew or the destination).
    Verified,
    /// 劝返: turned back at or after the checkpoint (a crew not all green is turned back at entry).
    TurnedBack,
    /// 作废: entered by mistake.
    Cancelled,
}

impl TripResolution {
    pub fn key(self) -> &'static str {
        match self {
            TripResolution::Verified => "verified",
            TripResolution::TurnedBack => "turned_back",
            TripResolution::Cancelled => "cancelled",
        }
    }

    pub fn from_key(s: &str) -> Option<TripResolution> {
        [TripResolution::Verified, TripResolution::TurnedBack, TripResolution::Cancelled]
            .into_iter()
            .find(|r| r.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TripResolution::Verified => "到达核验",
            TripResolution::TurnedBack => "劝返",
            TripResolution::Cancelled => "作废",
        }
    }
}

/// The note a trip's resolution records, required for each (how the arrival was confirmed, why
/// the truck was turned back, why the entry is void): one rule for the desk and the centre.
pub fn trip_resolution_note(resolution: TripResolution, raw: &str) -> Result<String> {
    let why = match resolution {
        TripResolution::Verified => "请写明如何核实到达（至少2个字），如“电话联系司机，已到达目的地”",
        TripResolution::TurnedBack => "请写明劝返原因（至少2个字），如“司机体温37.8℃”",
        TripResolution::Cancelled => "请写明作废原因（至少2个字），如“车牌录错”",
    };
    note_rule(raw, Some(why))
}

/// 专属场所码 declaration for truck crews (R5, R9): every crew member fills one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TruckDeclarationInput {
    /// 姓名
    pub name: String,
    /// 证件类型: resident ID (default), passport, or a Hong Kong-Macao / Taiwan permit.
    pub document_kind: Option<crate::identity::DocumentKind>,
    /// 证件号
    pub document_number: String,
    /// 车牌号
    pub plate: String,
    /// 手机号
    pub phone: String,
    /// 来源地
    pub origin: String,
    /// 入豫地 (where the truck entered Henan)
    pub entry_point: String,
    /// 预计返豫时间, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (Asia/Shanghai); optional
    pub expected_return: String,
    /// 预计离豫时间, same format; optional
    pub expected_departure: String,
    /// 是否有发热/咳嗽症状: asked, never assumed.
    pub symptoms: Option<bool>,
    /// 是否到过中高风险地区
    pub visited_risk_area: Option<bool>,
}

impl TruckDeclarationInput {
    /// The checkpoint's phone form, field by field. A document kind that is not one of the
    /// list's keys is `None` (the rule then refuses it, never taking it for a resident ID).
    pub fn from_form(fields: &[(String, String)]) -> TruckDeclarationInput {
        let get = |k: &str| form_value(fields, k);
        TruckDeclarationInput {
            name: get("name"),
            document_kind: crate::identity::DocumentKind::parse(&get("document_kind")),
            document_number: get("document_number"),
            plate: get("plate"),
            phone: get("phone"),
            origin: get("origin"),
            entry_point: get("entry_point"),
            expected_return: get("expected_return"),
            expected_departure: get("expected_departure"),
            symptoms: form_answer(fields, "symptoms"),
            visited_risk_area: form_answer(fields, "visited_risk_area"),
        }
    }
}

/// A truck crew member's declaration that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TruckDeclaration {
    pub name: String,
    pub document_kind: crate::identity::DocumentKind,
    pub document_number: String,
    pub plate: String,
    pub phone: String,
    pub origin: String,
    pub entry_point: String,
    pub expected_return: Option<chrono::NaiveDateTime>,
    pub expected_departure: Option<chrono::NaiveDateTime>,
    pub answers: HealthAnswers,
}

impl TruckDeclaration {
    /// The declaration as it is stored and sent on: every field as the rules normalized it
    /// (invisible characters dropped, widths folded), never as typed.
    pub fn normalized(&self) -> TruckDeclarationInput {
        let time =
            |t: Option<chrono::NaiveDateTime>| t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default();
        TruckDeclarationInput {
            name: self.name.clone(),
            document_kind: Some(self.document_kind),
            document_number: self.document_number.clone(),
            plate: self.plate.clone(),
            phone: self.phone.clone(),
            origin: self.origin.clone(),
            entry_point: self.entry_point.clone(),
            expected_return: time(self.expected_return),
            expected_departure: time(self.expected_departure),
            symptoms: Some(self.answers.symptoms),
            visited_risk_area: Some(self.answers.visited_risk_area),
        }
    }
}

pub const PLACE_MAX: usize = 40;

/// 来源地 / 入豫地: a place name, 2 to 40 characters of Chinese, letters, digits and spaces.
pub fn place(raw: &str) -> Result<String, String> {
    let s = crate::normalize::clean(raw);
    let n = s.chars().count();
    if n == 0 {
        return Err("必填".into());
    }
    if n < 2 {
        return Err("至少2个字".into());
    }
    if n > PLACE_MAX {
        return Err(format!("不能超过{PLACE_MAX}个字（现为{n}个）"));
    }
    if let Some(c) = s.chars().find(|&c| !(validate::is_han(c) || c.is_ascii_alphanumeric() || " ·-()".contains(c))) {
        return Err(crate::normalize::forbidden(c));
    }
    Ok(s)
}

/// An expected time: a date, or a date and time, in Asia/Shanghai; optional.
pub fn expected_time(raw: &str, today: chrono::NaiveDate) -> Result<Option<chrono::NaiveDateTime>, String> {
    let s = crate::normalize::clean(raw).replace('/', "-").replace(' ', "T");
    if s.is_empty() {
        return Ok(None);
    }
    let t = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .map_err(|_| "应为日期，如2026-12-01或2026-12-01 08:30".to_string())?;
    let days = (t.date() - today).num_days();
    if !(-1..=366).contains(&days) {
        return Err("日期应在今天起一年以内".into());
    }
    Ok(Some(t))
}

/// Checks a truck crew member's declaration (R5, 专属场所码); every bad field is named.
pub fn truck_declaration(
    input: &TruckDeclarationInput,
    today: chrono::NaiveDate,
    prefix: &str,
) -> Result<TruckDeclaration> {
    let kind = input.document_kind.unwrap_or(crate::identity::DocumentKind::ResidentId);
    let mut f = FormCheck::new(prefix);
    let name = f.field("name", "姓名", validate::person_name(&input.name));
    let document_number =
        f.field("document_number", kind.label(), identity::document(kind, &input.document_number, today));
    let plate = f.field("plate", "车牌号", identity::plate(&input.plate));
    let phone = f.field("phone", "手机号", validate::mobile(&input.phone));
    let origin = f.field("origin", "来源地", place(&input.origin));
    let entry_point = f.field("entry_point", "入豫地", place(&input.entry_point));
    let expected_return = f.field("expected_return", "预计返豫时间", expected_time(&input.expected_return, today));
    let expected_departure =
        f.field("expected_departure", "预计离豫时间", expected_time(&input.expected_departure, today));
    let symptoms = f.field("symptoms", SYMPTOMS, answered(input.symptoms));
    let visited = f.field("visited_risk_area", RISK_AREA_TRUCK, answered(input.visited_risk_area));
    f.finish(|| {
        Some(TruckDeclaration {
            name: name?,
            document_kind: kind,
            document_number: document_number?,
            plate: plate?,
            phone: phone?,
            origin: origin?,
            entry_point: entry_point?,
            expected_return: expected_return?,
            expected_departure: expected_departure?,
            answers: HealthAnswers {
                visited_risk_area: visited?,
                contact_with_suspected: false,
                symptoms: symptoms?,
                temperature: None,
            },
        })
    })
}
