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
use placecode_core::checkin::ReleaseReason;
use placecode_core::code::SigningKey;
use placecode_core::normalize::clean;
use placecode_core::sync::{check_content, Record, RecordKind};
use placecode_store::{CheckInContext, IncidentInput, IncidentStatus, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod common;

const RED: &str = "410202199003070014";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ctx: CheckInContext,
    key: SigningKey,
    venues: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
        let venue = store.register_venue(&common::venue_input("幸福超市", "中山路1号"), false).unwrap();
        store.set_served_venue(&venue.id).unwrap();
        let op = store.add_operator("张敏", "246813").unwrap();
        let now = Utc::now() - Duration::days(1);
        store.import_risk(format!("身份证号,颜色,原因\n{RED},红码,密切接触者\n").as_bytes(), false, now).unwrap();
        let key = placecode_store::keys::load_or_create(&dir.path().join("k")).unwrap();
        let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now };
        Fixture { _dir: dir, store, ctx, key, venues: 1 }
    }

    /// A new venue of its own (one code per entrance label and venue is a rule of state, not
    /// of content).
    fn venue(&mut self) -> String {
        self.venues += 1;
        let n = self.venues;
        let input = common::venue_input(&format!("幸福超市第{n}分店"), &format!("中山路{n}号"));
        self.store.register_venue(&input, true).unwrap().id
    }

    /// A red person's new visit, a few minutes after the last (never within the repeat window).
    fn red_visit(&mut self) -> String {
        self.ctx.now += Duration::minutes(5);
        self.store.declare(&common::person("欧阳𠮷祥", RED), &self.ctx).unwrap().visit_id
    }

    /// A red person's visit, reported (隔离 and 上报): the incident's id.
    fn reported(&mut self, held_at: &str) -> placecode_store::Result<String> {
        let visit = self.red_visit();
        let input = IncidentInput { held_at: held_at.into(), reported_to: "社区".into() };
        Ok(self.store.report_incident(&visit, &input, &self.ctx)?.id)
    }

    /// A code of its own venue, issued for `label`.
    fn issue(&mut self, label: &str) -> placecode_store::Result<String> {
        let venue = self.venue();
        Ok(self.store.issue_code(&venue, label, &self.key)?.code)
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

/// The property for one field of one record kind. `act` has the desk take a typed value (it
/// may refuse it for `field` only); `sent` is what a desk that refused nothing would send for it.
/// The template is the last record of `kind` the fixture queued, its field replaced.
fn agree(
    f: &mut Fixture,
    kind: RecordKind,
    field: &str,
    cases: u32,
    act: impl Fn(&mut Fixture, &str) -> placecode_store::Result<()>,
    sent: impl Fn(&str) -> String,
) {
    let template = f.last(kind);
    let f = RefCell::new(f);
    let centre_accepts = |value: &str| {
        let mut r = template.clone();
        r.body[field] = serde_json::Value::String(value.to_owned());
        r.written_at = Utc::now();
        check_content(&r, Utc::now()).is_ok()
    };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let outcome = runner.run(&typed(), |typed| {
        let mut f = f.borrow_mut();
        let desk = act(&mut f, &typed);
        match &desk {
            Err(e) => prop_assert_eq!(e.fields(), [field], "{:?}", e),
            Ok(()) => prop_assert!(check_content(&f.last(kind), Utc::now()).is_ok(), "the record the desk queued"),
        }
        prop_assert_eq!(desk.is_ok(), centre_accepts(&sent(&typed)), "{:?}", typed);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{kind:?} {field}: {e}");
    }
}

#[test]
fn entrance_labels_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let mut f = Fixture::new();
    f.issue("正门").unwrap();
    agree(&mut f, RecordKind::Code, "label", 160, |f, label| f.issue(label).map(drop), clean);
}

#[test]
fn revoke_reasons_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let mut f = Fixture::new();
    let code = f.issue("正门").unwrap();
    f.store.revoke_code(&code, "海报破损", &f.key).unwrap();
    let revoke = |f: &mut Fixture, reason: &str| {
        let code = f.issue("正门")?;
        f.store.revoke_code(&code, reason, &f.key).map(drop)
    };
    agree(&mut f, RecordKind::CodeRevoked, "reason", 160, revoke, clean);
}

#[test]
fn incident_places_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let mut f = Fixture::new();
    f.reported("东门临时隔离点").unwrap();
    agree(&mut f, RecordKind::Incident, "held_at", 120, |f, place| f.reported(place).map(drop), clean);
}

#[test]
fn release_notes_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let mut f = Fixture::new();
    let visit = f.red_visit();
    f.store.release_visit(&visit, ReleaseReason::Other, "家属陪同离开", &f.ctx).unwrap();
    for reason in ReleaseReason::ALL {
        let release = |f: &mut Fixture, note: &str| {
            let visit = f.red_visit();
            f.store.release_visit(&visit, reason, note, &f.ctx).map(drop)
        };
        // As the desk records it: the reason's label, then the note if there is one.
        let sent = |note: &str| match clean(note) {
            n if n.is_empty() => reason.label().to_owned(),
            n => format!("{}：{n}", reason.label()),
        };
        agree(&mut f, RecordKind::Incident, "note", 60, release, sent);
    }
}

#[test]
fn incident_step_notes_are_accepted_by_the_desk_exactly_when_the_centre_accepts_them() {
    let mut f = Fixture::new();
    let incident = f.reported("东门临时隔离点").unwrap();
    f.store.advance_incident(&incident, IncidentStatus::Reported, "已电话告知社区", f.ctx.now).unwrap();
    let step = |f: &mut Fixture, note: &str| {
        let incident = f.reported("东门临时隔离点")?;
        f.store.advance_incident(&incident, IncidentStatus::Reported, note, f.ctx.now).map(drop)
    };
    agree(&mut f, RecordKind::IncidentEvent, "note", 120, step, clean);
}
