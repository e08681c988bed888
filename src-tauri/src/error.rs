//! The error the UI receives: `{code, message, fields, similar}`. The message is Chinese and
//! meant for the operator; internals (SQL, paths) go to the log, never to the screen.

use placecode_core::venue::Venue;
use placecode_core::FieldError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Core(#[from] placecode_core::Error),

    /// The store's error: a rule's refusal passed on, or the database failing.
    #[error(transparent)]
    Store(#[from] placecode_store::Error),

    /// Sync with the central server failed; the message says why in Chinese.
    #[error("{}", .0.message())]
    Sync(placecode_sync_client::Failure),

    /// Something the operator cannot act on; the detail is logged, not shown.
    #[error("操作失败，请重试；如仍失败，请重启登记台")]
    Internal(String),

    /// The desk could not open its data at start (its key missing from the keystore, a folder
    /// copied from another computer): why, in Chinese. Nothing works until that is fixed.
    #[error("无法打开本台数据：{0}")]
    Unopened(String),
}

/// What crosses to the UI when a command fails.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandError {
    /// Stable, for the UI to branch on: invalid, duplicate, near_duplicate, not_found,
    /// bad_file, printer, storage, io, signed_out, forbidden, pin_change_required, internal, unopened.
    pub code: String,
    pub message: String,
    /// With `invalid`: every bad field and its reason.
    pub fields: Vec<FieldError>,
    /// With `near_duplicate`: the similar venues to compare with.
    pub similar: Vec<Venue>,
}

/// The desk's screens speak English (设置 › 界面语言): the rules' reasons go to them in English
/// too (`placecode_core::english`), as the phone pages show them. Chinese by default.
static ENGLISH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_english(english: bool) {
    ENGLISH.store(english, std::sync::atomic::Ordering::Relaxed);
}

/// A check-in's result as the screens show it: its reasons (and a name never registered) in
/// English when they speak it.
pub fn spoken(r: placecode_core::checkin::CheckInResult) -> placecode_core::checkin::CheckInResult {
    spoken_in(r, speaks_english())
}

fn speaks_english() -> bool {
    ENGLISH.load(std::sync::atomic::Ordering::Relaxed)
}

/// A masked name as the screens show it: only a name never registered has words to translate.
fn spoken_name(masked: &mut String) {
    if masked == placecode_core::checkin::NAME_UNKNOWN {
        *masked = placecode_core::english::english(masked);
    }
}

fn spoken_in(mut r: placecode_core::checkin::CheckInResult, english: bool) -> placecode_core::checkin::CheckInResult {
    if english {
        for reason in &mut r.reasons {
            *reason = placecode_core::english::english(reason);
        }
        spoken_name(&mut r.masked_name);
    }
    r
}

/// A day's list as the screens show it: a name never registered named in English when they
/// speak it.
pub fn spoken_day(mut day: placecode_core::checkin::TodaySummary) -> placecode_core::checkin::TodaySummary {
    if speaks_english() {
        for v in &mut day.visits {
            spoken_name(&mut v.masked_name);
            // Registered for the person by the operator ("登记员"; a guardian is named as typed).
            if let Some(h) = v.helped_by.as_mut().filter(|h| h.as_str() == placecode_core::checkin::BY_OPERATOR) {
                *h = placecode_core::english::english(h);
            }
        }
    }
    day
}

/// An incident as the screens show it: in English when they speak it, its reasons, a name never
/// registered and the release's reason (the operator's own note stays as typed).
pub fn spoken_incident(i: placecode_store::Incident) -> placecode_store::Incident {
    spoken_incident_in(i, speaks_english())
}

fn spoken_incident_in(mut i: placecode_store::Incident, english: bool) -> placecode_store::Incident {
    if english {
        spoken_name(&mut i.masked_name);
        i.reason = placecode_core::english::english(&i.reason);
        if i.status == placecode_store::IncidentStatus::Released {
            i.note = placecode_core::english::english(&i.note);
        }
    }
    i
}

/// The sync's status as the screens show it: why it failed, in English when they speak it.
pub fn spoken_sync(mut status: placecode_store::SyncStatus) -> placecode_store::SyncStatus {
    if speaks_english() {
        if let Some(e) = status.error.as_mut() {
            e.message = placecode_core::english::english(&e.message);
        }
    }
    status
}

/// Rows of an imported file the rules refused or warned about, their reasons in English when the
/// screens speak it.
pub fn spoken_rows(rows: &mut [placecode_core::import::RowNote]) {
    if speaks_english() {
        for row in rows {
            for reason in &mut row.reasons {
                *reason = placecode_core::english::english(reason);
            }
        }
    }
}

impl From<&DeskError> for CommandError {
    fn from(e: &DeskError) -> Self {
        CommandError::in_language(e, speaks_english())
    }
}

impl CommandError {
    /// The error as the screens show it, in English when they speak it.
    fn in_language(e: &DeskError, english: bool) -> Self {
        let mut out = CommandError::chinese(e);
        if english {
            out.message = placecode_core::english::english(&out.message);
            for f in &mut out.fields {
                f.message = placecode_core::english::english(&f.message);
            }
        }
        out
    }

    fn chinese(e: &DeskError) -> Self {
        let (code, fields, similar) = match e {
            DeskError::Core(rule) | DeskError::Store(placecode_store::Error::Rule(rule)) => {
                let (fields, similar) = match rule {
                    placecode_core::Error::Invalid(fields) => (fields.clone(), Vec::new()),
                    placecode_core::Error::NearDuplicate(similar) => (Vec::new(), similar.clone()),
                    _ => (Vec::new(), Vec::new()),
                };
                (rule.code(), fields, similar)
            }
            DeskError::Store(e @ (placecode_store::Error::Storage(_) | placecode_store::Error::Denied(_))) => {
                (e.code(), Vec::new(), Vec::new())
            }
            DeskError::Internal(_) => ("internal", Vec::new(), Vec::new()),
            DeskError::Unopened(_) => ("unopened", Vec::new(), Vec::new()),
            DeskError::Sync(f) => {
                // A refusal of what was typed names its field, as the form shows it.
                let fields = match f {
                    placecode_sync_client::Failure::Refused { field: Some(key), message } => {
                        vec![FieldError { field: (*key).to_owned(), message: message.clone() }]
                    }
                    _ => Vec::new(),
                };
                (f.code(), fields, Vec::new())
            }
        };
        CommandError { code: code.to_owned(), message: e.to_string(), fields, similar }
    }
}

impl Serialize for DeskError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Only the kind of failure is logged: the detail of a storage or I/O error names
            // no person, but a field error may echo what was typed.
            DeskError::Core(e @ (placecode_core::Error::Io(_) | placecode_core::Error::Internal(_)))
            | DeskError::Store(placecode_store::Error::Rule(
                e @ (placecode_core::Error::Io(_) | placecode_core::Error::Internal(_)),
            )) => {
                eprintln!("placecode-desk: {}: {e:?}", e.code());
            }
            DeskError::Store(e @ placecode_store::Error::Storage(_)) => {
                eprintln!("placecode-desk: {}: {e:?}", e.code());
            }
            DeskError::Internal(detail) => eprintln!("placecode-desk: internal: {detail}"),
            _ => {}
        }
        CommandError::from(self).serialize(s)
    }
}

impl From<placecode_store::session::Denied> for DeskError {
    fn from(d: placecode_store::session::Denied) -> Self {
        DeskError::Store(d.into())
    }
}

pub type DeskResult<T> = Result<T, DeskError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_in_english_shows_a_results_reasons_in_english() {
        let result = placecode_core::checkin::CheckInResult {
            visit_id: "v".into(),
            colour: placecode_core::decision::Colour::Red,
            health_code: placecode_core::decision::Colour::Red,
            reasons: vec!["风险人员名单为红码".into(), "申报接触过疑似病人".into()],
            masked_name: placecode_core::checkin::NAME_UNKNOWN.into(),
            masked_id: "110***********002X".into(),
            venue_name: "开封宾馆".into(),
            way_in: placecode_core::checkin::WayIn::IdNumber,
            at: "2026-11-30T08:00:00Z".into(),
            risk_stale: false,
            risk_as_of: None,
        };
        let en = spoken_in(result.clone(), true);
        assert_eq!(en.reasons, ["On the risk list as red", "Declared contact with a suspected case"]);
        assert_eq!(en.masked_name, "(name not registered)");
        assert_eq!(spoken_in(result.clone(), false), result);
    }

    #[test]
    fn a_desk_in_english_shows_an_incident_in_english_and_the_note_as_typed() {
        let incident = placecode_store::Incident {
            id: "i".into(),
            visit_id: "v".into(),
            colour: placecode_core::decision::Colour::Yellow,
            reason: "申报接触过疑似病人；风险人员名单为黄码：密接".into(),
            masked_name: placecode_core::checkin::NAME_UNKNOWN.into(),
            masked_id: "410***********0014".into(),
            held_at: String::new(),
            reported_to: String::new(),
            reported_at: String::new(),
            operator_name: None,
            status: placecode_store::IncidentStatus::Released,
            note: "工作人员核实后放行：复测36.9℃".into(),
            updated_at: String::new(),
            sync_state: "pending".into(),
        };
        let en = spoken_incident_in(incident.clone(), true);
        assert_eq!(en.reason, "Declared contact with a suspected case; On the risk list as yellow: 密接");
        assert_eq!(en.masked_name, "(name not registered)");
        assert_eq!(en.note, "Let through after staff checked: 复测36.9℃");
        assert_eq!(spoken_incident_in(incident.clone(), false), incident, "Chinese as kept");
    }

    #[test]
    fn a_desk_in_english_gets_the_rules_reasons_in_english() {
        let e = DeskError::Core(placecode_core::Error::Invalid(vec![
            placecode_core::FieldError { field: "name".into(), message: "姓名：必填".into() },
            placecode_core::FieldError {
                field: "dependents.1.id_number".into(),
                message: "第2位：身份证号：校验位不对，请核对号码是否输错".into(),
            },
        ]));
        let en = CommandError::in_language(&e, true);
        let messages: Vec<&str> = en.fields.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            ["Name: required", "Person 2: ID number: the check character does not match: please check the number"]
        );
        assert_eq!(en.code, "invalid");
        let zh = CommandError::in_language(&e, false);
        assert_eq!(zh.fields[0].message, "姓名：必填");
    }

    #[test]
    fn invalid_input_serializes_code_message_and_fields() {
        let e = DeskError::from(placecode_core::Error::invalid("manager_phone", "联系电话：必填"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "invalid",
                "message": "联系电话：必填",
                "fields": [{"field": "manager_phone", "message": "联系电话：必填"}],
                "similar": []
            })
        );
    }

    #[test]
    fn storage_errors_hide_their_detail() {
        let e = DeskError::from(placecode_store::Error::Storage(rusqlite_error()));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "storage");
        assert_eq!(json["message"], "数据库错误，请重试；如仍失败，请联系管理员");
        assert!(!json.to_string().contains("venues"));
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = DeskError::Internal("mutex poisoned at /home/x".into());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "internal");
        assert!(!json.to_string().contains("/home"));
    }

    fn rusqlite_error() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(1), Some("no such table: venues".into()))
    }
}
