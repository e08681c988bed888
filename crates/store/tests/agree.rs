//! One rule at both ends, as a property: for generated values a clerk could type (or a hostile
//! or outdated desk could send), the desk's store accepts a value exactly when the centre's
//! check (`sync::check_content`, what `/api/v1/push` runs before anything else) accepts the record
//! carrying it. Each case runs the real store on a real SQLite file.
//!
//! What the centre receives from a desk that refuses nothing is modelled by the one
//! normalization every desk applies to text (`normalize::clean`); the record itself is the one
//! the desk queued for an accepted value, its field replaced.

use std::cell::RefCell;

use chrono::{Duration, Utc};
use placecode_core::checkin::{DeclarationInput, ReleaseReason};
use placecode_core::code::SigningKey;
use placecode_core::normalize::clean;
use placecode_core::sync::{check_content, Record, RecordKind};
use placecode_core::venue::VenueInput;
use placecode_store::{CheckInContext, IncidentInput, IncidentStatus, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const RED: &str = "410202199003070014";

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    ctx: CheckInContext,
    key: SigningKey,
    venues: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
        let venue = store.register_venue(&venue_input(0), false).unwrap();
        store.set_served_venue(&venue.id).unwrap();
        let op = store.add_operator("张敏", "246813").unwrap();
        let now = Utc::now() - Duration::days(1);
        store.import_risk(format!("身份证号,颜色,原因\n{RED},红码,密切接触者\n").as_bytes(), false, now).unwrap();
        let key = placecode_store::keys::load_or_create(&dir.path().join("k")).unwrap();
        let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now };
        Fixture { dir, store, ctx, key, venues: 1 }
    }

    /// A new venue of its own (one code per entrance label and venue is a rule of state, not
    /// of content).
    fn venue(&mut self) -> String {
        self.venues += 1;
        self.store.register_venue(&venue_input(self.venues), true).unwrap().id
    }

    /// A red person's new visit, a few minutes after the last (never within the repeat window).
    fn red_visit(&mut self) -> String {
        self.ctx.now += Duration::minutes(5);
        self.store.declare(&person(), &self.ctx).unwrap().visit_id
    }

    /// The last record of `kind` the desk queued.
    fn last(&self, kind: RecordKind) -> Record {
        let rows = self.store.outbox_batch((0, 0), 100_000).unwrap();
        rows.iter()
            .rev()
            .map(|r| serde_json::from_str::<Record>(&r.record).unwrap())
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} queued"))
    }
}

fn venue_input(n: usize) -> VenueInput {
    VenueInput {
        kind: "general".into(),
        category: "mall".into(),
        name: format!("幸福超市第{n}分店"),
        district: "gulou".into(),
        address: format!("中山路{n}号"),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
    }
}

fn person() -> DeclarationInput {
    DeclarationInput {
        name: "欧阳𠮷祥".into(),
        id_number: RED.into(),
        address: "鼓楼区中山路18号院".into(),
        phone: String::new(),
        visited_risk_area: Some(false),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        temperature: "36.5".into(),
    }
}

/// The record with `field` of its body set to `value`, checked as the centre checks it.
fn centre_accepts(record: &Record, field: &str, value: &str) -> bool {
    let mut r = record.clone();
    r.body[field] = serde_json::Value::String(value.to_owned());
    r.written_at = Utc::now();
    check_content(&r, Utc::now()).is_ok()
}

/// What a clerk types: words that pass, spaces of every width, markup and SQL, emoji, characters
/// outside the BMP, control characters, full-width letters, and sometimes 10 kB.
fn typed() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("正门"),
        Just("东门"),
        Just("2号通道"),
        Just("已电话告知西司门社区"),
        Just("海报破损"),
        Just("复测体温36.8℃"),
        Just("a"),
        Just("Ａ１"),
        Just(" "),
        Just("\u{3000}"),
        Just("\t"),
        Just("\n"),
        Just("<script>"),
        Just("'; DROP TABLE visits;--"),
        Just("{}"),
        Just("\\"),
        Just(";"),
        Just("·"),
        Just("#"),
        Just("(1)"),
        Just("-"),
        Just("😀"),
        Just("𠈌"),
        Just("\u{0}"),
        Just("\u{7}"),
        Just("\u{200b}"),
        Just("："),
    ];
    prop_oneof![
        12 => prop::collection::vec(piece, 0..10).prop_map(|v| v.concat()),
        3 => "\\PC{0,70}",
        1 => Just("长".repeat(10_000)),
    ]
}

fn run(name: &str, cases: u32, test: impl Fn(String) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    if let Err(e) = runner.run(&typed(), test) {
        panic!("{name}: {e}");
    }
}

#[test]
fn entrance_labels_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let f = RefCell::new(Fixture::new());
    let template = {
        let mut f = f.borrow_mut();
        let venue = f.venue();
        let key = f.key.clone();
        f.store.issue_code(&venue, "正门", &key).unwrap();
        f.last(RecordKind::Code)
    };
    run("label", 160, |label| {
        let mut f = f.borrow_mut();
        let venue = f.venue();
        let key = f.key.clone();
        let desk = f.store.issue_code(&venue, &label, &key);
        if let Err(e) = &desk {
            prop_assert_eq!(e.fields(), ["label"], "{:?}", e);
        } else {
            prop_assert!(check_content(&f.last(RecordKind::Code), Utc::now()).is_ok());
        }
        prop_assert_eq!(desk.is_ok(), centre_accepts(&template, "label", &clean(&label)), "{:?}", label);
        Ok(())
    });
}

#[test]
fn revoke_reasons_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let f = RefCell::new(Fixture::new());
    let (venue, template) = {
        let mut f = f.borrow_mut();
        let venue = f.venue();
        let key = f.key.clone();
        let code = f.store.issue_code(&venue, "正门", &key).unwrap();
        f.store.revoke_code(&code.code, "海报破损", &key).unwrap();
        (venue, f.last(RecordKind::CodeRevoked))
    };
    run("revoke reason", 160, |reason| {
        let mut f = f.borrow_mut();
        let key = f.key.clone();
        let live = f.store.codes(&venue).unwrap().into_iter().find(|c| c.revoked_at.is_none()).unwrap();
        let desk = f.store.revoke_code(&live.code, &reason, &key);
        if let Err(e) = &desk {
            prop_assert_eq!(e.fields(), ["reason"], "{:?}", e);
        } else {
            prop_assert!(check_content(&f.last(RecordKind::CodeRevoked), Utc::now()).is_ok());
        }
        prop_assert_eq!(desk.is_ok(), centre_accepts(&template, "reason", &clean(&reason)), "{:?}", reason);
        Ok(())
    });
}

#[test]
fn incident_places_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let f = RefCell::new(Fixture::new());
    let template = {
        let mut f = f.borrow_mut();
        let visit = f.red_visit();
        let ctx = f.ctx.clone();
        let input = IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "社区".into() };
        f.store.report_incident(&visit, &input, &ctx).unwrap();
        f.last(RecordKind::Incident)
    };
    run("incident place", 120, |place| {
        let mut f = f.borrow_mut();
        let visit = f.red_visit();
        let ctx = f.ctx.clone();
        let input = IncidentInput { held_at: place.clone(), reported_to: "社区".into() };
        let desk = f.store.report_incident(&visit, &input, &ctx);
        if let Err(e) = &desk {
            prop_assert_eq!(e.fields(), ["held_at"], "{:?}", e);
        } else {
            prop_assert!(check_content(&f.last(RecordKind::Incident), Utc::now()).is_ok());
        }
        prop_assert_eq!(desk.is_ok(), centre_accepts(&template, "held_at", &clean(&place)), "{:?}", place);
        Ok(())
    });
}

#[test]
fn release_notes_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let f = RefCell::new(Fixture::new());
    let template = {
        let mut f = f.borrow_mut();
        let visit = f.red_visit();
        let ctx = f.ctx.clone();
        f.store.release_visit(&visit, ReleaseReason::Other, "家属陪同离开", &ctx).unwrap();
        f.last(RecordKind::Incident)
    };
    for reason in [ReleaseReason::Misscan, ReleaseReason::VerifiedByStaff, ReleaseReason::Other] {
        run("release note", 60, |note| {
            let mut f = f.borrow_mut();
            let visit = f.red_visit();
            let ctx = f.ctx.clone();
            let desk = f.store.release_visit(&visit, reason, &note, &ctx);
            if let Err(e) = &desk {
                prop_assert_eq!(e.fields(), ["note"], "{:?}", e);
            } else {
                prop_assert!(check_content(&f.last(RecordKind::Incident), Utc::now()).is_ok());
            }
            let sent = match clean(&note) {
                n if n.is_empty() => reason.label().to_owned(),
                n => format!("{}：{n}", reason.label()),
            };
            prop_assert_eq!(desk.is_ok(), centre_accepts(&template, "note", &sent), "{:?} {:?}", reason, note);
            Ok(())
        });
    }
}

#[test]
fn incident_step_notes_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let f = RefCell::new(Fixture::new());
    let template = {
        let mut f = f.borrow_mut();
        let visit = f.red_visit();
        let ctx = f.ctx.clone();
        let input = IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "社区".into() };
        let incident = f.store.report_incident(&visit, &input, &ctx).unwrap();
        f.store.advance_incident(&incident.id, IncidentStatus::Reported, "已电话告知社区", ctx.now).unwrap();
        f.last(RecordKind::IncidentEvent)
    };
    run("incident step note", 120, |note| {
        let mut f = f.borrow_mut();
        let visit = f.red_visit();
        let ctx = f.ctx.clone();
        let input = IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "社区".into() };
        let incident = f.store.report_incident(&visit, &input, &ctx).unwrap();
        let desk = f.store.advance_incident(&incident.id, IncidentStatus::Reported, &note, ctx.now);
        if let Err(e) = &desk {
            prop_assert_eq!(e.fields(), ["note"], "{:?}", e);
        } else {
            prop_assert!(check_content(&f.last(RecordKind::IncidentEvent), Utc::now()).is_ok());
        }
        prop_assert_eq!(desk.is_ok(), centre_accepts(&template, "note", &clean(&note)), "{:?}", note);
        Ok(())
    });
    drop(f.into_inner().dir);
}
