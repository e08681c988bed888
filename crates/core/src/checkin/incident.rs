//! A yellow or red person at the door (R7): refused and reported (隔离, 上报), or released with
//! a reason; the later steps of an incident; the one rule for each text, at the desk and the
//! centre.

use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{Error, FieldError, Result};

/// 临时隔离 → 已上报 → 已闭环转运; or 已放行 (let go with a recorded reason), which ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Isolated,
    Reported,
    HandedOver,
    Released,
}

impl IncidentStatus {
    /// Every status, in the order an incident moves through them (never back).
    pub const ALL: [IncidentStatus; 4] =
        [IncidentStatus::Isolated, IncidentStatus::Reported, IncidentStatus::HandedOver, IncidentStatus::Released];

    pub fn key(self) -> &'static str {
        match self {
            IncidentStatus::Isolated => "isolated",
            IncidentStatus::Reported => "reported",
            IncidentStatus::HandedOver => "handed_over",
            IncidentStatus::Released => "released",
        }
    }

    /// A status as stored or synced; `None` for anything else (the centre refuses it).
    pub fn from_key(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|k| k.key() == s)
    }

    /// A stored status; anything else reads as the first step.
    pub fn parse(s: &str) -> IncidentStatus {
        IncidentStatus::from_key(s).unwrap_or(IncidentStatus::Isolated)
    }
}

/// Why a yellow or red person was let go without a report (R7: a safety screen is never left
/// without a recorded decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// 误扫：扫错了人或证件
    Misscan,
    /// 工作人员核实后放行
    VerifiedByStaff,
    /// 其他 (a note is required)
    Other,
}

impl ReleaseReason {
    pub const ALL: [ReleaseReason; 3] = [ReleaseReason::Misscan, ReleaseReason::VerifiedByStaff, ReleaseReason::Other];

    pub fn label(self) -> &'static str {
        match self {
            ReleaseReason::Misscan => "误扫（扫错了人或证件）",
            ReleaseReason::VerifiedByStaff => "工作人员核实后放行",
            ReleaseReason::Other => "其他",
        }
    }

    /// Whether the release closes the visit at once: a wrong scan recorded nobody who came in
    /// (the right person or document is scanned again), so it leaves the count of people inside
    /// (限流) now, not when the stay ends; anyone else let go after a yellow or red screen came
    /// in and counts like a green.
    pub fn closes_visit(self) -> bool {
        self == ReleaseReason::Misscan
    }
}

pub const RELEASE_NOTE_MAX: usize = 60;

/// The release as it is recorded and synced: the reason's label, then the note (required for
/// 其他 and for 工作人员核实后放行, and for any release of a red person: a red is never let go by
/// three keys). The desk and the centre check it with this one rule.
pub fn release_note(reason: ReleaseReason, colour: crate::decision::Colour, raw: &str) -> Result<String> {
    let required = match reason {
        ReleaseReason::Misscan if colour == crate::decision::Colour::Red => {
            Some("红码人员按“误扫”放行也须写明扫错了什么（至少2个字），如“扫成了同行人的证件”")
        }
        ReleaseReason::Misscan => None,
        ReleaseReason::VerifiedByStaff => Some("核实后放行须写明核实了什么（至少2个字），如“复测体温36.8℃”"),
        ReleaseReason::Other => Some("选择“其他”时请写明原因（至少2个字）"),
    };
    let note = note_rule(raw, required)?;
    Ok(if note.is_empty() { reason.label().to_owned() } else { format!("{}：{note}", reason.label()) })
}

/// A release as recorded (what [`release_note`] made of a reason and a note), checked again where
/// it is received: a reason's label, alone or followed by `：` and a note that passes the same
/// rule for the same colour. The one rule the desk records by and the centre checks.
pub fn check_release_note(recorded: &str, colour: crate::decision::Colour) -> Result<()> {
    for reason in ReleaseReason::ALL {
        let label = reason.label();
        let note = match recorded.strip_prefix(label) {
            Some("") => "",
            Some(rest) => match rest.strip_prefix('：') {
                Some(note) => note,
                None => continue,
            },
            None => continue,
        };
        return as_recorded("note", "说明", release_note(reason, colour, note)?, recorded);
    }
    Err(Error::invalid("note", "说明：不是登记台的放行原因"))
}

/// Whether a person of this colour is reported or released at the door: yellow and red only.
pub fn needs_handling(colour: crate::decision::Colour) -> bool {
    colour != crate::decision::Colour::Green
}

/// Why a green person has no incident.
pub const NO_HANDLING: &str = "绿码人员无需上报";

/// The handling an incident record carries, as the desk records it and the centre checks it: a
/// report (隔离 and 上报, with both places by [`incident_place`] and no note) or a release (no
/// places, the note by [`check_release_note`]). Later steps are incident events.
pub fn check_incident_handling(
    status: &str,
    colour: crate::decision::Colour,
    held_at: &str,
    reported_to: &str,
    note: &str,
) -> Result<()> {
    if !needs_handling(colour) {
        return Err(Error::invalid("colour", NO_HANDLING));
    }
    let place = |key: &str, label: &str, v: &str| match incident_place(key, label, v) {
        Ok(made) => as_recorded(key, label, made, v),
        Err(e) => Err(Error::Invalid(vec![e])),
    };
    match IncidentStatus::from_key(status) {
        Some(IncidentStatus::Isolated) => {
            place("held_at", "临时隔离点", held_at)?;
            place("reported_to", "上报对象", reported_to)?;
            if note.is_empty() {
                Ok(())
            } else {
                Err(Error::invalid("note", "说明：上报时不填"))
            }
        }
        Some(IncidentStatus::Released) if held_at.is_empty() && reported_to.is_empty() => {
            check_release_note(note, colour)
        }
        Some(IncidentStatus::Released) => Err(Error::invalid("held_at", "临时隔离点：放行时不填")),
        _ => Err(Error::invalid("status", "状态：应为隔离上报或放行")),
    }
}

/// An incident's next step (kind `incident_event`), as the desk records it and the centre checks
/// it: 已上报 or 已闭环转运 (a release is its own record), with its note by
/// [`incident_step_note`].
pub fn check_incident_step(status: &str, note: &str) -> Result<()> {
    match IncidentStatus::from_key(status) {
        Some(IncidentStatus::Reported | IncidentStatus::HandedOver) => {}
        _ => return Err(Error::invalid("status", "状态：应为已上报或已闭环转运")),
    }
    as_recorded("note", "说明", incident_step_note(note)?, note)
}

/// A received text is what the desk's rule made of it (`made`), not merely something the rule
/// would accept after cleaning: the record keeps what the desk showed.
fn as_recorded(field: &str, label: &str, made: String, received: &str) -> Result<()> {
    if made == received {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("{label}：应为整理后的文字")))
    }
}

/// The note an incident's next step records (已上报 to whom, 已闭环转运 to where): required, so a
/// step is never taken by a stray Enter.
pub fn incident_step_note(raw: &str) -> Result<String> {
    note_rule(raw, Some("请写明这一步做了什么（至少2个字），如“已电话告知西司门社区”"))
}

/// The longest 临时隔离点 or 上报对象.
pub const INCIDENT_PLACE_MAX: usize = 60;

/// A 临时隔离点 or 上报对象 as the report records it and the administrator lists it: required,
/// at most [`INCIDENT_PLACE_MAX`] characters, typed words (no markup, no swiped number). One rule for the report form, the
/// administrator's list and the centre.
pub fn incident_place(field: &str, label: &str, raw: &str) -> std::result::Result<String, FieldError> {
    let v = crate::normalize::clean(raw);
    let n = v.chars().count();
    let message = if n == 0 {
        format!("{label}：必填")
    } else if n > INCIDENT_PLACE_MAX {
        format!("{label}：不能超过{INCIDENT_PLACE_MAX}个字（现为{n}个）")
    } else if let Err(why) = super::typed_words(&v) {
        format!("{label}：{why}")
    } else {
        return Ok(v);
    };
    Err(FieldError { field: field.into(), message })
}
