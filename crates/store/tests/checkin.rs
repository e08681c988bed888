//! The check-in desk (R5 to R8, R11) against a real SQLite file.

use chrono::{Duration, TimeZone, Utc};
use placecode_core::checkin::{HelperInput, Lookup, WayIn, LIST_PAGE};
use placecode_core::decision::Colour;
use placecode_core::sync::ChangeKind;
use placecode_core::venue::VenueInput;
use placecode_core::Error as Rule;
use placecode_store::{CheckInContext, IncidentInput, IncidentStatus};
use placecode_store::{Error, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ctx: CheckInContext,
}

fn desk() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
    let ctx = seed(&mut store);
    Fixture { _dir: dir, store, ctx }
}

/// A served venue and its first operator in `store`; the context of a check-in there.
fn seed(store: &mut Store) -> CheckInContext {
    let venue = store
        .register_venue(
            &VenueInput {
                category: "elderly_care".into(), ..common::venue_input("鼓楼区幸福养老院", "中山路18号")
            },
            false,
        )
        .unwrap();
    store.set_served_venue(&venue.id).unwrap();
    let op = store.add_operator("张敏", "246813").unwrap();
    CheckInContext {
        operator_id: op.id,
        trip_code_checked: true,
        code: None,
        now: Utc.with_ymd_and_hms(2026, 11, 27, 2, 30, 0).unwrap(),
    }
}

mod common;
use common::person;

// Two valid numbers that share the last four characters 0014, born 1990 and 1985.
const A: &str = "410202199003070014";
const B: &str = "410202198501190014";
const ELDER: &str = "11010519491231002X";
const CHILD: &str = "410204201003150025";

#[test]
fn valid_test_numbers() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    for id in [A, B, ELDER] {
        placecode_core::identity::resident_id(id, today).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn r5_first_declaration_then_full_id_then_last_four() {
    let mut d = desk();
    let r = d.store.declare(&person("李秀英", ELDER), &d.ctx).unwrap();
    assert_eq!(r.colour, Colour::Green);
    assert_eq!((r.masked_name.as_str(), r.masked_id.as_str()), ("李**", "110***********002X"));
    assert_eq!(r.venue_name, "鼓楼区幸福养老院");
    assert!(r.risk_stale, "no risk list loaded yet");

    // Returning later the same day: by full ID, then by last four.
    let mut later = d.ctx.clone();
    later.now = d.ctx.now + chrono::Duration::hours(2);
    match d.store.check_in_by_id("11010519491231002x", &later).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.way_in, WayIn::IdNumber),
        other => panic!("{other:?}"),
    }
    later.now += chrono::Duration::hours(2);
    match d.store.check_in_by_last4("002x", None, &later).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!((result.way_in, result.colour), (WayIn::Last4, Colour::Green)),
        other => panic!("{other:?}"),
    }
    match d.store.check_in_by_id(A, &d.ctx).unwrap() {
        Lookup::Unknown { id_number, document_kind } => {
            assert_eq!((id_number.as_str(), document_kind), (A, placecode_core::identity::DocumentKind::ResidentId))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.store.check_in_by_last4("9999", None, &d.ctx).unwrap(), Lookup::NoMatch);
    assert_eq!(
        d.store.check_in_by_last4("12a4", None, &d.ctx).unwrap(),
        Lookup::NoMatch,
        "a passport's may end in letters"
    );
    assert_eq!(d.store.check_in_by_last4("12<4", None, &d.ctx).unwrap_err().code(), "invalid");
    assert_eq!(d.store.visit_count().unwrap(), 3);
}

/// A foreign permanent resident, a Hong Kong resident and a passport holder: each scanned number
/// opens the form on its own kind, is declared by its kind's rule, returns by its last four, and
/// goes to the centre with its kind.
#[test]
fn every_document_kind_at_the_door() {
    use placecode_core::identity::DocumentKind as K;
    let mut d = desk();
    for (number, kind, last4) in [
        ("941840198506150017", K::ForeignPermanentResident, "0017"),
        ("usa410285061515", K::ForeignPermanentResident, "1515"),
        ("810000199003070015", K::HmtResidencePermit, "0015"),
        ("H12345678", K::HkMacaoPermit, "5678"),
        ("x1234567a", K::Passport, "567A"),
    ] {
        let (id_number, document_kind) = match d.store.check_in_by_id(number, &d.ctx).unwrap() {
            Lookup::Unknown { id_number, document_kind } => (id_number, document_kind),
            other => panic!("{number}: {other:?}"),
        };
        assert_eq!(document_kind, kind, "{number}");
        let input = placecode_core::checkin::DeclarationInput {
            document_kind: Some(document_kind),
            id_number,
            ..person("John Smith", "")
        };
        d.store.declare(&input, &d.ctx).unwrap_or_else(|e| panic!("{number}: {e:?}"));
        let mut later = d.ctx.clone();
        later.now += Duration::hours(3);
        match d.store.check_in_by_last4(&last4.to_lowercase(), None, &later).unwrap() {
            Lookup::CheckedIn { result } => assert_eq!(result.way_in, WayIn::Last4, "{number}"),
            other => panic!("{number}: {other:?}"),
        }
    }
    // A resident ID chosen for a 居住证 number: refused with the kind to choose, nothing saved.
    let before = d.store.visit_count().unwrap();
    let wrong =
        placecode_core::checkin::DeclarationInput { document_kind: None, ..person("王芳", "820000198512010026") };
    match d.store.declare(&wrong, &d.ctx).unwrap_err() {
        Error::Rule(Rule::Invalid(f)) => assert_eq!(
            (f[0].field.as_str(), f[0].message.as_str()),
            ("id_number", "身份证号：这是港澳台居民居住证的号码，请在证件类型中选择“港澳台居民居住证”")
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.store.visit_count().unwrap(), before);
    // What the centre receives: every visit's person with its kind, passing the centre's checks.
    let mut sent = sent_people(&d);
    sent.dedup();
    assert_eq!(
        sent,
        [
            ("foreign_permanent_resident".to_owned(), "941840198506150017".to_owned()),
            ("foreign_permanent_resident".to_owned(), "USA410285061515".to_owned()),
            ("hk_macao_permit".to_owned(), "H12345678".to_owned()),
            ("hmt_residence_permit".to_owned(), "810000199003070015".to_owned()),
            ("passport".to_owned(), "X1234567A".to_owned()),
        ]
    );
}

#[test]
fn r5_two_people_sharing_last_four_are_told_apart() {
    let mut d = desk();
    d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    d.store.declare(&person("刘洋", B), &d.ctx).unwrap();
    d.ctx.now += chrono::Duration::hours(1);
    let candidates = match d.store.check_in_by_last4("0014", None, &d.ctx).unwrap() {
        Lookup::Choose { candidates } => candidates,
        other => panic!("{other:?}"),
    };
    let mut shown: Vec<_> = candidates.iter().map(|c| (c.masked_name.as_str(), c.birth_year)).collect();
    shown.sort();
    assert_eq!(shown, [("刘*", 1985), ("王*", 1990)]);
    match d.store.check_in_by_last4("0014", Some(1985), &d.ctx).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.masked_name, "刘*"),
        other => panic!("{other:?}"),
    }
    let wang = candidates.iter().find(|c| c.birth_year == 1990).unwrap();
    let r = d.store.check_in_person(&wang.person_id, WayIn::Last4, &d.ctx).unwrap();
    assert_eq!(r.masked_name, "王*");
    // Picked again moments later (a second press): asked first, nothing recorded.
    let before = d.store.visit_count().unwrap();
    match d.store.check_in_picked(&wang.person_id, &d.ctx).unwrap() {
        Lookup::Repeat { masked_name, way_in, .. } => assert_eq!((masked_name.as_str(), way_in), ("王*", WayIn::Last4)),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.store.visit_count().unwrap(), before);
    // Picked later, outside the window: checked in.
    d.ctx.now += chrono::Duration::hours(1);
    assert!(matches!(d.store.check_in_picked(&wang.person_id, &d.ctx).unwrap(), Lookup::CheckedIn { .. }));
}

#[test]
fn r7_red_on_the_risk_list_is_refused_and_reported() {
    let mut d = desk();
    let csv = format!("身份证号,颜色,原因\n{A},红码,密切接触者\n{B},黄,次密接\nbad,红,\n");
    let report = d.store.import_risk(csv.as_bytes(), false, d.ctx.now).unwrap();
    assert_eq!((report.total, report.imported, report.rejected.len()), (3, 2, 1));
    assert_eq!(d.store.risk_entry_count().unwrap(), 2);
    // A replacement takes effect only whole: a file with a bad row (or none good) changes nothing.
    for bad in [format!("{A},红,密接\nbad,红,\n"), "bad,红,\n".to_owned()] {
        let e = d.store.import_risk(bad.as_bytes(), true, d.ctx.now).unwrap_err();
        assert_eq!((e.code(), e.fields()), ("invalid", vec!["file"]));
        assert!(e.to_string().contains("名单未改动") && e.to_string().contains("第"), "{e}");
        assert_eq!(d.store.risk_entry_count().unwrap(), 2);
    }

    let r = d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    assert_eq!((r.colour, r.health_code), (Colour::Red, Colour::Red));
    // The desk keeps who is listed, not why: the reason stays with the epidemic office.
    assert_eq!(r.reasons, [format!("风险人员名单为红码：{}", placecode_core::risk::LOCAL_MATCH)]);
    assert!(!r.risk_stale);

    let incident = d
        .store
        .report_incident(
            &r.visit_id,
            &IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "西司门社区".into() },
            &d.ctx,
        )
        .unwrap();
    assert_eq!(incident.status, IncidentStatus::Isolated);
    assert_eq!(incident.masked_name, "王*");
    assert_eq!(incident.operator_name.as_deref(), Some("张敏"));
    let again = d.store.report_incident(
        &r.visit_id,
        &IncidentInput { held_at: "x点".into(), reported_to: "社区".into() },
        &d.ctx,
    );
    assert_eq!(again.unwrap_err().code(), "invalid");
    // A step needs a note: a stray Enter takes none.
    let stray = d.store.advance_incident(&incident.id, IncidentStatus::Reported, "", d.ctx.now).unwrap_err();
    assert!(matches!(stray, Error::Rule(Rule::Invalid(ref f)) if f[0].field == "note"), "{stray:?}");
    d.store.advance_incident(&incident.id, IncidentStatus::HandedOver, "已交社区转运", d.ctx.now).unwrap();
    let e = d.store.advance_incident(&incident.id, IncidentStatus::Reported, "已电话告知", d.ctx.now).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["status"]));

    // A later, open incident is listed before the closed one.
    let y = d.store.declare(&person("刘洋", B), &d.ctx).unwrap();
    assert_eq!(y.colour, Colour::Yellow);
    d.store
        .report_incident(
            &y.visit_id,
            &IncidentInput { held_at: "东门".into(), reported_to: "疫情防控办".into() },
            &d.ctx,
        )
        .unwrap();
    let list = d.store.incidents().unwrap();
    assert_eq!(
        list.iter().map(|i| i.status).collect::<Vec<_>>(),
        [IncidentStatus::Isolated, IncidentStatus::HandedOver]
    );

    // A green visit has nothing to report.
    let g = d.store.declare(&person("李秀英", ELDER), &d.ctx).unwrap();
    let e = d.store.report_incident(
        &g.visit_id,
        &IncidentInput { held_at: "东门".into(), reported_to: "社区".into() },
        &d.ctx,
    );
    assert_eq!(e.unwrap_err().to_string(), "绿码人员无需上报");
}

/// One type from the desk's store to the centre: every record the desk queues (a venue, codes
/// issued and revoked, a check-in, its report and a later step) parses as its kind's body type,
/// reads back exactly as sent, and passes the centre's content check.
#[test]
fn every_queued_record_is_its_kinds_type_and_passes_the_centres_check() {
    use placecode_core::sync::{check_content, Body, Record, RecordKind};
    let mut d = desk();
    d.ctx.now = Utc::now();
    let key = placecode_store::keys::load_or_create(&d._dir.path().join("k")).unwrap();
    let venue = d.store.served_venue().unwrap().unwrap();
    let code = d.store.issue_code(&venue.id, "东门", &key).unwrap();
    d.store.revoke_code(&code.code, "海报破损", &key).unwrap();
    d.store.import_risk(format!("身份证号,颜色,原因\n{A},红码,密切接触者\n").as_bytes(), false, d.ctx.now).unwrap();
    let r = d.store.declare(&person("欧阳𠮷祥", A), &d.ctx).unwrap();
    let incident = d
        .store
        .report_incident(
            &r.visit_id,
            &IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "社区".into() },
            &d.ctx,
        )
        .unwrap();
    d.store.advance_incident(&incident.id, IncidentStatus::HandedOver, "已交社区转运", d.ctx.now).unwrap();
    let rows = d.store.outbox_batch((0, 0), 100).unwrap();
    let mut kinds = Vec::new();
    for row in rows {
        let record: Record = serde_json::from_str(&row.record).unwrap();
        let body = Body::parse(&record).unwrap_or_else(|e| panic!("{:?}: {e:?}", record.kind));
        assert_eq!(body.kind(), record.kind);
        assert_eq!(body.to_value().unwrap(), record.body, "{:?} reads back as sent", record.kind);
        check_content(&record, Utc::now()).unwrap_or_else(|e| panic!("{:?}: {e:?}", record.kind));
        kinds.push(record.kind);
    }
    kinds.sort_by_key(|k| k.key());
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            RecordKind::Code,
            RecordKind::CodeRevoked,
            RecordKind::Incident,
            RecordKind::IncidentEvent,
            RecordKind::Venue,
            RecordKind::Visit
        ]
    );
}

/// A list imported from a file gives way to the centre's once connected: never without someone
/// saying they know (a trial saw a listed person pass green after the desk was connected).
#[test]
fn r7_a_list_from_a_file_is_not_replaced_by_connecting_unawares() {
    let mut d = desk();
    assert!(d.store.risk_list_may_go(false).is_ok(), "nothing to lose");
    let csv = format!("身份证号,颜色,原因\n{A},红码,密切接触者\n{B},黄,次密接\n");
    d.store.import_risk(csv.as_bytes(), false, d.ctx.now).unwrap();
    let e = d.store.risk_list_may_go(false).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["replace_risk_list"]));
    assert!(e.to_string().contains("导入的2条名单"), "{e}");
    assert!(d.store.risk_list_may_go(true).is_ok(), "confirmed");
    // Connected, the list is the centre's: connecting again asks nothing.
    connect(&mut d.store);
    assert!(d.store.risk_list_may_go(false).is_ok());
}

/// 设置 › 中心服务器 lists the venues the desk syncs for: those its token named, and the venue it
/// serves in a district it was enrolled for (a district token names no venue; the screen said —).
#[test]
fn the_settings_list_the_served_venue_of_an_enrolled_district() {
    let mut d = desk();
    let mut enrolment = placecode_store::Enrolment {
        server_url: "https://centre.example".into(),
        credential: "c".repeat(40),
        ca_file: None,
        desk_name: "东门".into(),
        venues: vec![],
        districts: vec!["gulou".into()],
    };
    d.store.save_enrolment(&enrolment, &"ab".repeat(32)).unwrap();
    assert_eq!(d.store.sync_status().unwrap().venues, vec!["鼓楼区幸福养老院".to_owned()]);
    // Enrolled for another district: the centre will not take this venue, so it is not listed.
    enrolment.districts = vec!["longting".into()];
    d.store.save_enrolment(&enrolment, &"ab".repeat(32)).unwrap();
    assert!(d.store.sync_status().unwrap().venues.is_empty());
    // Named by the token and in the district: listed once.
    let served = d.store.served_venue().unwrap().unwrap();
    enrolment.districts = vec!["gulou".into()];
    enrolment.venues = vec![served.id.clone()];
    d.store.save_enrolment(&enrolment, &"ab".repeat(32)).unwrap();
    assert_eq!(d.store.sync_status().unwrap().venues, vec!["鼓楼区幸福养老院".to_owned()]);
}

/// Marks the desk as connected to a centre (an enrolment, no server needed).
fn connect(store: &mut Store) {
    let enrolment = placecode_store::Enrolment {
        server_url: "https://centre.example".into(),
        credential: "c".repeat(40),
        ca_file: None,
        desk_name: "东门".into(),
        venues: vec![],
        districts: vec![],
    };
    store.save_enrolment(&enrolment, &"ab".repeat(32)).unwrap();
}

/// The database file and its WAL, as a thief who copies them reads them.
fn raw_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The desk's database is encrypted: no SQLite header, no ID number, name or phone in its
/// bytes; plain SQLite cannot read it; the desk reopens it with its key.
#[test]
fn r12_the_desk_database_is_encrypted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let ctx = seed(&mut store);
    let mut p = person("欧阳𠮷祥", A);
    p.phone = "13912345678".into();
    store.declare(&p, &ctx).unwrap();
    store.import_risk(format!("{B},红,密接\n").as_bytes(), false, ctx.now).unwrap();
    let bytes = raw_bytes(&path);
    assert!(!bytes.starts_with(b"SQLite format 3"));
    for needle in [A, B, "欧阳", "13912345678", "鼓楼区幸福养老院", "密接"] {
        assert!(!contains(&bytes, needle), "{needle} readable in the file");
    }
    drop(store);
    let plain = rusqlite::Connection::open(&path).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM people", [], |r| r.get::<_, i64>(0)).is_err());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.visit_count().unwrap(), 1);
}

/// A desk from before encryption: its plain database is encrypted in place at the first start
/// with nothing lost (the same visits, people, schema version), and no plain copy is left.
#[test]
fn r12_a_plain_database_is_encrypted_in_place_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut old = Store::open_unencrypted(&path).unwrap();
    let ctx = seed(&mut old);
    old.declare(&person("王芳", A), &ctx).unwrap();
    old.declare(&person("李娜", B), &ctx).unwrap();
    let version = old.schema_version().unwrap();
    assert!(contains(&raw_bytes(&path), A), "the old file is plain");
    drop(old);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.visit_count().unwrap(), 2);
    assert_eq!(store.schema_version().unwrap(), version);
    assert_eq!(store.sign_in("张敏", "246813", ctx.now).unwrap().name, "张敏");
    let today = store.today("", LIST_PAGE, ctx.now).unwrap();
    assert_eq!(today.total, 2);
    let bytes = raw_bytes(&path);
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(!contains(&bytes, A) && !contains(&bytes, B) && !contains(&bytes, "王芳"));
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().contains("encrypting")), "{names:?}");
}

/// A key that does not fit, or no key at all for an encrypted file, is an error that says so:
/// never a new empty database in its place.
#[test]
fn r12_a_wrong_or_missing_key_is_refused_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open_with_key_file(&path).unwrap();
    let ctx = seed(&mut store);
    store.declare(&person("王芳", A), &ctx).unwrap();
    drop(store);
    let key_file = dir.path().join(placecode_store::dbkey::KEY_FILE);
    let key = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&key_file, "00".repeat(32)).unwrap();
    let e = Store::open_with_key_file(&path).err().unwrap();
    assert_eq!(e.to_string(), "数据库密钥与数据文件不符：请联系管理员，不要删除数据文件");
    std::fs::remove_file(&key_file).unwrap();
    let e = Store::open_with_key_file(&path).err().unwrap();
    assert_eq!(e.to_string(), "无法取得数据库密钥：找不到密钥文件。请联系管理员，不要删除数据文件");
    // Nor does the keystore (if one runs) hand out a new key for a file that has one elsewhere.
    let e = Store::open(&path).err().unwrap();
    assert!(e.to_string().starts_with("无法取得数据库密钥："), "{e}");
    assert!(!key_file.exists(), "no new key file was made");
    std::fs::write(&key_file, key).unwrap();
    assert_eq!(Store::open(&path).unwrap().visit_count().unwrap(), 1, "the right key reads it again");
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 0 && !raw_bytes(&path).starts_with(b"SQLite format 3"));
}

/// Where an OS keystore runs (`make test` runs the tests in a D-Bus session with gnome-keyring
/// and sets PLACECODE_EXPECT_KEYSTORE), the key is kept there and nothing key-like lies beside
/// the database; a second open finds the same key.
#[test]
fn r12_the_key_is_kept_in_the_os_keystore_where_one_runs() {
    use placecode_store::dbkey::{self, KeySource};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let ctx = seed(&mut store);
    store.declare(&person("王芳", A), &ctx).unwrap();
    drop(store);
    let (_, source) = dbkey::load_or_create(&path, true).unwrap();
    if std::env::var_os("PLACECODE_EXPECT_KEYSTORE").is_some() {
        assert_eq!(source, KeySource::Keystore);
        assert!(!dir.path().join(dbkey::KEY_FILE).exists());
    } else {
        // Without one, the documented fallback: the key file beside the database, 0600.
        #[cfg(unix)]
        if let KeySource::File(f) = &source {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    assert_eq!(Store::open(&path).unwrap().visit_count().unwrap(), 1);
}

/// The code-signing key lives where the database key does: in the keystore where one runs (a
/// key file from before is moved into it and removed; the same key signs afterwards), else in
/// its 0600 file beside the database. Never a new key for a desk that has one, and never an old
/// key for a new database: a folder deleted and made again at the same place gets a new key, so
/// no code is signed twice.
#[test]
fn r12_the_signing_key_lives_where_the_database_key_does() {
    use placecode_store::keys::{self, SIGNING_KEY_FILE};
    let keystore = std::env::var_os("PLACECODE_EXPECT_KEYSTORE").is_some();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("desk");
    let file = data.join(SIGNING_KEY_FILE);
    let db = data.join("desk.sqlite3");
    // A desk from before: its key in a file, a code signed with it.
    let old = keys::load_or_create(&file).unwrap();
    let mut store = Store::open(&db).unwrap();
    seed(&mut store);
    let venue = store.served_venue().unwrap().unwrap();
    let first = store.issue_code(&venue.id, "东门", &old).unwrap().code;
    drop(store);
    let mut store = Store::open(&db).unwrap();
    let key = keys::for_store(&data, &mut store).unwrap();
    assert_eq!((key.id, key.secret()), (old.id, old.secret()), "the same key signs after the move");
    assert!(store.check_code(&first, &key).unwrap().verified, "the code printed before still verifies");
    let again = keys::for_store(&data, &mut store).unwrap();
    assert_eq!((again.id, again.secret()), (old.id, old.secret()));
    assert_eq!(file.exists(), !keystore, "moved into the keystore where one runs");
    if keystore {
        // A stray copy of another key does not replace the one in the keystore.
        let stray = keys::load_or_create(&file).unwrap();
        assert_ne!(stray.secret(), old.secret());
        assert_eq!(keys::for_store(&data, &mut store).unwrap().secret(), old.secret());
        std::fs::remove_file(&file).unwrap();
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    drop(store);
    let backup = dir.path().join("backup.sqlite3");
    std::fs::copy(&db, &backup).unwrap();
    // The folder deleted and made again at the same place: a new database gets a new key, so
    // its first code is not the old desk's first code again.
    std::fs::remove_dir_all(&data).unwrap();
    let mut store = Store::open(&db).unwrap();
    seed(&mut store);
    let fresh = keys::for_store(&data, &mut store).unwrap();
    assert_ne!(fresh.secret(), old.secret());
    let venue = store.served_venue().unwrap().unwrap();
    assert_ne!(store.issue_code(&venue.id, "正门", &fresh).unwrap().code, first);
    assert_eq!(keys::for_store(&data, &mut store).unwrap().secret(), fresh.secret(), "kept on the next start");
    assert_eq!(file.exists(), !keystore);
    drop(store);
    if keystore {
        // The older database restored over the newer one never signs with the newer one's key.
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(data.join(format!("desk.sqlite3{side}")));
        }
        std::fs::copy(&backup, &db).unwrap();
        let mut store = Store::open(&db).unwrap();
        let restored = keys::for_store(&data, &mut store).unwrap();
        assert_ne!(restored.secret(), fresh.secret());
        assert_ne!(restored.secret(), old.secret());
        assert_eq!(keys::for_store(&data, &mut store).unwrap().secret(), restored.secret());
    }
}

/// Every byte of the database as the desk itself reads it (decrypted with its key): a plain
/// copy made by SQLCipher's export.
fn decrypted_bytes(path: &std::path::Path) -> Vec<u8> {
    let plain = path.with_extension("plain");
    let conn = placecode_store::raw_connection(path).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS p KEY ''", [plain.to_string_lossy()]).unwrap();
    conn.query_row("SELECT sqlcipher_export('p')", [], |_| Ok(())).unwrap();
    conn.execute_batch("DETACH DATABASE p").unwrap();
    let bytes = std::fs::read(&plain).unwrap();
    std::fs::remove_file(&plain).unwrap();
    bytes
}

/// 保存期限: 29 days on, the person seen only on the first day is gone (visit, person, the
/// outbox copy), read even with the key; the person seen on day 20 is still there.
#[test]
fn r12_past_the_retention_window_nothing_of_a_person_remains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    // The outbox stamps records with the real clock: the test's day 0 is today.
    let ctx = CheckInContext { now: Utc::now(), ..seed(&mut store) };
    let mut old = person("欧阳𠮷祥", A);
    old.phone = "13912345678".into();
    store.declare(&old, &ctx).unwrap();
    let day20 = CheckInContext { now: ctx.now + Duration::days(20), ..ctx.clone() };
    store.declare(&person("李娜", B), &day20).unwrap();
    assert_eq!(store.purge_expired(ctx.now + Duration::days(27)).unwrap(), placecode_store::PurgeReport::default());
    assert!(contains(&decrypted_bytes(&path), A), "the check below can fail");

    let report = store.purge_expired(ctx.now + Duration::days(29)).unwrap();
    assert_eq!((report.visits, report.people), (1, 1));
    assert!(report.outbox >= 1, "{report:?}");
    assert_eq!(store.visit_count().unwrap(), 1);
    drop(store);
    let bytes = decrypted_bytes(&path);
    for gone in [A, "欧阳", "13912345678"] {
        assert!(!contains(&bytes, gone), "{gone} still in the database");
    }
    assert!(contains(&bytes, B) && contains(&bytes, "李娜"), "the current person stays");
    assert!(!contains(&raw_bytes(&path), B), "and stays encrypted");
}

/// On a desk connected to the centre, a visit not yet sent is kept past the window (the centre
/// must get it); the window is the administrator's, 7 to 180 days.
#[test]
fn r12_a_connected_desk_keeps_what_the_centre_has_not_received() {
    let mut d = desk();
    d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    connect(&mut d.store);
    let report = d.store.purge_expired(d.ctx.now + Duration::days(60)).unwrap();
    assert_eq!((report.visits, report.people, report.outbox), (0, 0, 0));
    assert_eq!(d.store.visit_count().unwrap(), 1);
    for bad in [6, 181, -1] {
        let e = d.store.set_retention_days(bad).unwrap_err();
        assert_eq!(field_of(&e), ("invalid", "retention_days".into(), "保存期限：应为7至180天".into()));
    }
    assert_eq!(d.store.retention_days().unwrap(), 28);
    assert_eq!(d.store.set_retention_days(7).unwrap(), 7);
}

/// A stolen desk holds door tags, not the keyed hashes a thief could match against every ID
/// number: a few bits per entry (16 for a short list), the HMAC nowhere in the file.
#[test]
fn r12_the_desk_holds_door_tags_not_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open_unencrypted(&path).unwrap();
    store.import_risk(format!("{A},红,密接\n").as_bytes(), false, Utc::now()).unwrap();
    drop(store);
    // Even read with the key (here: a plain file), the list is a tag and an epoch.
    let conn = placecode_store::raw_connection(&path).unwrap();
    let (tag, colour): (i64, String) =
        conn.query_row("SELECT tag, colour FROM risk_tags", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(colour, "red");
    let epoch: placecode_core::risk::Epoch = serde_json::from_str(
        &conn.query_row("SELECT value FROM settings WHERE key = 'risk_epoch'", [], |r| r.get::<_, String>(0)).unwrap(),
    )
    .unwrap();
    assert_eq!(epoch.bits, 16);
    assert!((0..1 << 16).contains(&tag));
    let key: String = conn.query_row("SELECT value FROM settings WHERE key = 'risk_key'", [], |r| r.get(0)).unwrap();
    let hash = placecode_core::risk::id_hash(&hex::decode(key).unwrap(), A);
    assert_eq!(i64::from(epoch.tag(&hash).unwrap()), tag);
    let tables: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'risk_entries'", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 0);
    let bytes = raw_bytes(&path);
    assert!(!contains(&bytes, A));
    assert!(!bytes.windows(32).any(|w| w == hash), "the HMAC of the listed number is not in the file");
}

/// On a desk connected to the centre, the centre's list wins: a CSV (full or increment) is
/// refused and the cached list is untouched.
#[test]
fn a_connected_desk_refuses_a_risk_file() {
    let mut d = desk();
    connect(&mut d.store);
    for replace in [true, false] {
        let e = d.store.import_risk(format!("{A},绿,\n").as_bytes(), replace, d.ctx.now).unwrap_err();
        assert_eq!(
            field_of(&e),
            ("invalid", "file".into(), "风险名单：本台已连接中心，名单由中心下发，不能从文件导入".into())
        );
    }
    assert_eq!(d.store.risk_status(d.ctx.now).unwrap().entries, 0);
}

/// A desk that had a list of its own and then connects shows no list (stale) until the centre's
/// arrives, not "updated at …" with nothing in it.
#[test]
fn enrolling_leaves_the_list_stale_until_the_centres_arrives() {
    let mut d = desk();
    d.store.import_risk(format!("{A},红,\n").as_bytes(), true, d.ctx.now).unwrap();
    assert!(!d.store.risk_status(d.ctx.now).unwrap().stale);
    connect(&mut d.store);
    let status = d.store.risk_status(d.ctx.now).unwrap();
    assert_eq!((status.as_of, status.stale, status.entries), (None, true, 0));
}

/// A stolen desk holds as little of the list as the door needs: yellow and red tags, no
/// reasons, no green entries; a green row removes a listed person; a full list starts a new
/// epoch whose tags replace the old ones.
#[test]
fn r12_the_desk_keeps_no_reasons_and_no_green_entries() {
    let mut d = desk();
    let csv = format!("{A},红,密切接触者\n{B},绿,已解除\n{ELDER},黄,次密接\n");
    d.store.import_risk(csv.as_bytes(), true, d.ctx.now).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 2);
    d.store.import_risk(format!("{ELDER},绿,核酸阴性\n").as_bytes(), false, d.ctx.now).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 1, "a green row removes the entry");
    let path = d._dir.path().join("desk.sqlite3");
    let conn = placecode_store::raw_connection(&path).unwrap();
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('risk_tags')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(columns, ["tag", "colour"]);
    let epoch = |c: &rusqlite::Connection| -> String {
        c.query_row("SELECT value FROM settings WHERE key = 'risk_epoch'", [], |r| r.get(0)).unwrap()
    };
    let before = epoch(&conn);
    let r = d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    assert_eq!(r.colour, Colour::Red);
    assert_eq!(r.reasons[0], format!("风险人员名单为红码：{}", placecode_core::risk::LOCAL_MATCH));
    d.store.import_risk(format!("{B},黄,\n").as_bytes(), true, d.ctx.now).unwrap();
    assert_ne!(epoch(&conn), before, "a full list is a new epoch: a new salt");
    assert_eq!(d.store.risk_entry_count().unwrap(), 1);
    // A's match on this desk's own list (tags many numbers share) was shown, not kept: off the
    // list, A is green.
    d.ctx.now += Duration::minutes(10);
    match d.store.check_in_by_id(A, &d.ctx).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.colour, Colour::Green, "{:?}", result.reasons),
        other => panic!("{other:?}"),
    }
}

/// The door with a list from the centre: a tag that matches means "possibly listed", and the
/// desk asks the centre about this very number. Listed: the centre's colour. Not listed (a
/// stranger who shares the tag, or a list changed since): green. No answer: the tag's colour,
/// saying it is unconfirmed. A tag of an older epoch is ignored; a new epoch replaces all.
#[test]
fn r7_a_matching_tag_is_confirmed_with_the_centre() {
    use std::sync::{Arc, Mutex};
    let mut d = desk();
    connect(&mut d.store);
    let key = hex::decode("ab".repeat(32)).unwrap();
    let epoch = placecode_core::risk::Epoch { epoch: 3, salt_hex: "5a".repeat(32), bits: 16 };
    let tag_of = |n: &str| epoch.tag(&placecode_core::risk::id_hash(&key, n)).unwrap();
    let snapshot = placecode_core::risk::TagSnapshot::from_pairs([
        (tag_of(A), Colour::Red),
        (tag_of(B), Colour::Yellow),
        (tag_of(ELDER), Colour::Yellow),
    ]);
    let change = |seq, kind: ChangeKind, body: serde_json::Value| placecode_core::sync::Change { seq, kind, body };
    let body = serde_json::to_value(placecode_core::sync::RiskEpochBody {
        epoch: epoch.clone(),
        tags: snapshot,
        raised: vec![],
    })
    .unwrap();
    d.store.apply_changes(&[change(1, ChangeKind::RiskEpoch, body)], 1).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 3);

    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let answer: Arc<Mutex<Option<Option<Colour>>>> = Arc::default();
    let raised: Arc<Mutex<Option<placecode_core::decision::Raised>>> = Arc::default();
    let (a, q, k) = (answer.clone(), asked.clone(), raised.clone());
    d.store.set_risk_confirm(Box::new(move |e, number| {
        assert_eq!(e.server_url, "https://centre.example");
        q.lock().unwrap().push(number.to_owned());
        a.lock().unwrap().map(|colour| placecode_core::sync::RiskConfirmResponse { colour, raised: *k.lock().unwrap() })
    }));
    let lookup = |d: &mut Fixture, n: &str| match d.store.check_in_by_id(n, &d.ctx).unwrap() {
        Lookup::CheckedIn { result } => (result.colour, result.reasons),
        Lookup::Unknown { .. } => (Colour::Green, vec![]),
        other => panic!("{other:?}"),
    };
    *answer.lock().unwrap() = Some(Some(Colour::Red));
    assert_eq!(
        lookup(&mut d, A),
        (Colour::Red, vec![format!("风险人员名单为红码：{}", placecode_core::risk::CONFIRMED)])
    );
    assert_eq!(asked.lock().unwrap().as_slice(), [A], "asked about this number");
    *answer.lock().unwrap() = Some(None);
    assert_eq!(lookup(&mut d, B), (Colour::Green, vec![]), "the centre says not listed: green");
    *answer.lock().unwrap() = None;
    let (colour, reasons) = lookup(&mut d, ELDER);
    assert_eq!(colour, Colour::Yellow, "offline, the tag stands");
    assert_eq!(reasons, [format!("风险人员名单为黄码：{}", placecode_core::risk::UNCONFIRMED)]);
    assert_eq!(lookup(&mut d, CHILD), (Colour::Green, vec![]));
    assert_eq!(asked.lock().unwrap().len(), 3, "one question per person; none for a tag not listed");
    // The centre did not answer: for a minute the door does not wait on it again.
    d.ctx.now += Duration::minutes(5);
    let (colour, _) = lookup(&mut d, A);
    assert_eq!((colour, asked.lock().unwrap().len()), (Colour::Red, 3), "held, without asking");
    // An unconfirmed match keeps nothing: once the centre answers "not listed", ELDER is green
    // (a stranger who shares a tag must not stay yellow for 14 days).
    d.store.set_risk_confirm(Box::new(|_, _| {
        Some(placecode_core::sync::RiskConfirmResponse { colour: None, raised: None })
    }));
    d.ctx.now += Duration::minutes(5);
    // Held before by ID number alone, now clear: the first-time form, so the visit has a name
    // (the centre refuses a green visit without one).
    assert_eq!(
        d.store.check_in_by_id(ELDER, &d.ctx).unwrap(),
        Lookup::Unknown { id_number: ELDER.into(), document_kind: placecode_core::identity::DocumentKind::ResidentId }
    );
    let e = d.store.check_in_by_last4(&ELDER[14..], None, &d.ctx).unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "id_number".into(), placecode_core::checkin::NAMELESS_DECLARE_FIRST.into()));
    let r = d.store.declare(&person("孙老伯", ELDER), &d.ctx).unwrap();
    assert_eq!((r.colour, r.masked_name.as_str()), (Colour::Green, "孙**"));

    // A tag change of another epoch is stale; this epoch's green clears the tag.
    let tag = |epoch, n, colour| {
        serde_json::to_value(placecode_core::sync::RiskTagBody { epoch, tag: tag_of(n), colour }).unwrap()
    };
    d.store.apply_changes(&[change(2, ChangeKind::RiskTag, tag(2, A, Colour::Green))], 2).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 3);
    d.store.apply_changes(&[change(3, ChangeKind::RiskTag, tag(3, A, Colour::Green))], 3).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 2);
    // A new epoch: everything before goes.
    let next = placecode_core::risk::Epoch { epoch: 4, salt_hex: "77".repeat(32), bits: 20 };
    let body = serde_json::to_value(placecode_core::sync::RiskEpochBody {
        epoch: next,
        tags: placecode_core::risk::TagSnapshot { red: vec![1, 2, 3], yellow: vec![] },
        raised: vec![],
    })
    .unwrap();
    d.store.apply_changes(&[change(4, ChangeKind::RiskEpoch, body)], 4).unwrap();
    assert_eq!(d.store.risk_entry_count().unwrap(), 3);
    // A malformed epoch is skipped, not half-applied.
    let bad = json_body(r#"{"epoch": 5, "salt_hex": "zz", "bits": 99, "tags": {"red": [], "yellow": []}}"#);
    d.store.apply_changes(&[change(5, ChangeKind::RiskEpoch, bad)], 5).unwrap();
    *answer.lock().unwrap() = Some(None);
    assert!(d.store.check_in_by_id(A, &d.ctx).is_ok(), "a bad epoch is never used");
}

/// Colours kept for people raised elsewhere arrive as door tags: held (offline) or confirmed with
/// the centre like a risk-list match; a clearing by tag also drops what this desk raised itself.
#[test]
fn r7_colours_kept_elsewhere_arrive_as_tags_and_a_clearing_reaches_this_desks_own() {
    use placecode_core::sync::{Change, RaisedTag, RaisedTagBody, RiskEpochBody};
    let mut d = desk();
    connect(&mut d.store);
    let key = hex::decode("ab".repeat(32)).unwrap();
    let epoch = placecode_core::risk::Epoch { epoch: 1, salt_hex: "5a".repeat(32), bits: 16 };
    let tag_of = |n: &str| epoch.tag(&placecode_core::risk::id_hash(&key, n)).unwrap();
    let until = d.ctx.now + Duration::days(10);
    let raised = vec![RaisedTag { tag: tag_of(B), colour: Colour::Yellow, until }];
    let body = serde_json::to_value(RiskEpochBody { epoch: epoch.clone(), tags: Default::default(), raised }).unwrap();
    d.store.apply_changes(&[Change { seq: 1, kind: ChangeKind::RiskEpoch, body }], 1).unwrap();
    // B was made yellow at another desk: held here too (no centre to ask in this test).
    let r = d.store.declare(&person("李四", B), &d.ctx).unwrap();
    assert_eq!(r.colour, Colour::Yellow);
    assert!(r.reasons[0].starts_with("近期已判定为黄码"), "{:?}", r.reasons);
    // A declares a fever here: kept here by keyed hash, with its tag.
    let mut fever = person("王芳", A);
    fever.temperature_normal = Some(false);
    fever.temperature = "38.2".into();
    assert_eq!(d.store.declare(&fever, &d.ctx).unwrap().colour, Colour::Yellow);
    d.ctx.now += Duration::minutes(10);
    let again = d.store.check_in_by_id(A, &d.ctx).unwrap();
    assert!(matches!(&again, Lookup::CheckedIn { result } if result.colour == Colour::Yellow), "{again:?}");
    // The epidemic office clears A: the centre sends A's tag, cleared.
    let cleared = RaisedTagBody {
        epoch: 1,
        raised: RaisedTag { tag: tag_of(A), colour: Colour::Green, until: d.ctx.now },
        cleared: true,
    };
    let body = serde_json::to_value(cleared).unwrap();
    d.store.apply_changes(&[Change { seq: 2, kind: ChangeKind::RaisedTag, body }], 2).unwrap();
    d.ctx.now += Duration::minutes(10);
    match d.store.check_in_by_id(A, &d.ctx).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.colour, Colour::Green, "{:?}", result.reasons),
        other => panic!("{other:?}"),
    }
}

/// Every visit's person as the desk sends it to the centre (kind, number), sorted, each record
/// passing the centre's checks.
fn sent_people(d: &Fixture) -> Vec<(String, String)> {
    let mut sent = Vec::new();
    for row in d.store.outbox_batch((0, 0), 100).unwrap() {
        let record: placecode_core::sync::Record = serde_json::from_str(&row.record).unwrap();
        if record.kind == placecode_core::sync::RecordKind::Visit {
            placecode_core::sync::check_content(&record, Utc::now()).unwrap_or_else(|e| panic!("{e:?}"));
            let p = &record.body["person"];
            sent.push((
                p["document_kind"].as_str().unwrap().to_owned(),
                p["document_number"].as_str().unwrap().to_owned(),
            ));
        }
    }
    sent.sort();
    sent
}

fn json_body(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn stale_risk_list_is_flagged() {
    let mut d = desk();
    d.store.import_risk(format!("{A},红,\n").as_bytes(), false, d.ctx.now).unwrap();
    d.store.set_risk_max_age_hours(12).unwrap();
    let later = CheckInContext { now: d.ctx.now + chrono::Duration::hours(13), ..d.ctx.clone() };
    let r = d.store.declare(&person("王芳", A), &later).unwrap();
    assert!(r.risk_stale);
    let status = d.store.risk_status(later.now).unwrap();
    assert_eq!((status.entries, status.max_age_hours, status.stale), (1, 12, true));
    assert!(!d.store.risk_status(d.ctx.now).unwrap().stale);
    let e = d.store.set_risk_max_age_hours(0).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["risk_max_age_hours"]));
}

#[test]
fn r6_a_guardian_registers_a_child_and_an_elderly_father_each_with_their_own_relation_or_nothing() {
    let mut d = desk();
    let guardian = HelperInput::Guardian {
        name: "张伟".into(),
        phone: "13837800009".into(),
        document_number: "410203198001010036".into(),
    };
    let family = [person("张小明", "410202201501080012"), person("张老汉", ELDER)];
    // Who the guardian is to each: the child's father, the old man's son.
    let relations = ["父亲".to_owned(), "儿子".to_owned()];
    // One bad person: nothing saved, the reason names which one.
    let mut bad = family.clone();
    bad[1].name = "张😀".into();
    match d.store.register_manual(&guardian, &bad, &relations, &d.ctx).unwrap_err() {
        Error::Rule(Rule::Invalid(f)) => {
            assert_eq!(f[0].field, "dependents.1.name");
            assert_eq!(f[0].message, "第2位：姓名：含有不允许的字符“😀”");
        }
        e => panic!("{e:?}"),
    }
    // A relation missing for the second person, a bad guardian number: both named, nothing saved.
    let no_number = HelperInput::Guardian {
        name: "张伟".into(),
        phone: "13837800009".into(),
        document_number: "410203198001010037".into(),
    };
    match d.store.register_manual(&no_number, &family, &relations[..1], &d.ctx).unwrap_err() {
        Error::Rule(Rule::Invalid(f)) => {
            let keys: Vec<&str> = f.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(keys, ["guardian_document_number", "dependents.1.relation"], "{f:?}");
            assert_eq!(f[1].message, "第2位：监护人身份：必填");
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(d.store.visit_count().unwrap(), 0);

    let results = d.store.register_manual(&guardian, &family, &relations, &d.ctx).unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.way_in == WayIn::Manual && r.colour == Colour::Green));
    let today = d.store.today("", LIST_PAGE, d.ctx.now).unwrap();
    assert_eq!((today.total, today.by_manual, today.pending_sync), (2, 2, 2));
    let mut helped: Vec<_> = today.visits.iter().filter_map(|v| v.helped_by.clone()).collect();
    helped.sort();
    assert_eq!(helped, ["儿子 张*", "父亲 张*"], "each person their own relation");
    // The same person twice in one go is refused.
    let twice = [family[0].clone(), family[0].clone()];
    let e = d.store.register_manual(&guardian, &twice, &relations, &d.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["dependents.1.id_number"]));
    let e = d.store.register_manual(&HelperInput::Operator, &[], &[], &d.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["dependents"]));
}

/// R6: a child with no document, registered by a guardian showing theirs: one person each time,
/// its visit sent to the centre as it checks it; never by the operator alone, nothing half-saved.
#[test]
fn r6_a_child_without_a_document_is_registered_with_the_guardians_number() {
    use placecode_core::identity::{child_number, DocumentKind};
    let mut d = desk();
    let child = |name: &str, birth: &str| placecode_core::checkin::DeclarationInput {
        document_kind: Some(DocumentKind::ChildWithGuardian),
        ..person(name, birth)
    };
    let guardian = HelperInput::Guardian {
        name: "张伟".into(),
        phone: "13837800009".into(),
        document_number: "410203198001010036".into(),
    };
    let family = [person("张伟", "410203198001010036"), child("张小雨", "2019-03-04"), child("张小雪", "2019-03-04")];
    let relations = ["本人".to_owned(), "父亲".to_owned(), "父亲".to_owned()];
    // By the operator: refused on the child's kind, nothing saved.
    let e = d.store.register_manual(&HelperInput::Operator, &family, &[], &d.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["dependents.1.document_kind", "dependents.2.document_kind"]));
    assert_eq!(d.store.visit_count().unwrap(), 0);
    let results = d.store.register_manual(&guardian, &family, &relations, &d.ctx).unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.colour == Colour::Green), "{results:?}");
    // Twins are two people; the same child on another day is the one person again.
    let later = CheckInContext { now: d.ctx.now + Duration::days(1), ..d.ctx.clone() };
    d.store.register_manual(&guardian, &family[1..2], &relations[1..2], &later).unwrap();
    let people: i64 =
        d.store.with_transaction(|tx| Ok(tx.query_row("SELECT count(*) FROM people", [], |r| r.get(0))?)).unwrap();
    assert_eq!(people, 3, "the guardian and two children");
    let sent: Vec<String> =
        sent_people(&d).into_iter().filter(|(kind, _)| kind == "child_with_guardian").map(|(_, n)| n).collect();
    let birth = chrono::NaiveDate::from_ymd_opt(2019, 3, 4).unwrap();
    let mut want = vec![
        child_number("410203198001010036", birth, "张小雨"),
        child_number("410203198001010036", birth, "张小雨"),
        child_number("410203198001010036", birth, "张小雪"),
    ];
    want.sort();
    assert_eq!(sent, want);
    // The list shows the child masked, helped by the guardian.
    let today = d.store.today("", LIST_PAGE, later.now).unwrap();
    assert_eq!(today.visits[0].masked_name, "张**");
    assert_eq!(today.visits[0].helped_by.as_deref(), Some("父亲 张*"));
    // A guardian on the risk list: whoever they brought is stopped with them, the guardian
    // named as why (the child's own code is not the list's).
    // The same family sent again moments later (a double submission): refused, named, nothing
    // saved.
    let visits = d.store.visit_count().unwrap();
    let again = CheckInContext { now: later.now + Duration::seconds(30), ..later.clone() };
    let e = d.store.register_manual(&guardian, &family, &relations, &again).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["dependents.1.id_number"]));
    assert!(e.to_string().contains("第2位：张**已于10:30:00在本场所登记，可能是重复提交"), "{e}");
    assert_eq!(d.store.visit_count().unwrap(), visits);
    let much_later = CheckInContext { now: later.now + Duration::minutes(5), ..later.clone() };
    d.store.import_risk("410203198001010036,红,密接\n".as_bytes(), false, much_later.now).unwrap();
    let held = d.store.register_manual(&guardian, &family[1..2], &relations[1..2], &much_later).unwrap();
    assert_eq!((held[0].colour, held[0].health_code), (Colour::Red, Colour::Green));
    assert!(held[0].reasons.iter().any(|r| r.starts_with("陪同的监护人为红码")), "{:?}", held[0].reasons);
}

#[test]
fn r8_r11_today_lists_person_place_time_operator_and_trip_code_check() {
    let mut d = desk();
    d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    let noon = CheckInContext {
        now: Utc.with_ymd_and_hms(2026, 11, 27, 4, 5, 0).unwrap(),
        trip_code_checked: false,
        ..d.ctx.clone()
    };
    d.store.declare(&person("刘洋", B), &noon).unwrap();
    // Yesterday (Shanghai time) is not today.
    let yesterday = CheckInContext { now: Utc.with_ymd_and_hms(2026, 11, 26, 15, 59, 0).unwrap(), ..d.ctx.clone() };
    d.store.declare(&person("李秀英", ELDER), &yesterday).unwrap();

    let t = d.store.today("", LIST_PAGE, noon.now).unwrap();
    assert_eq!((t.total, t.green, t.by_declaration), (2, 2, 2));
    assert_eq!(t.visits[0].masked_name, "刘*");
    assert!(!t.visits[0].trip_code_checked && t.visits[1].trip_code_checked);
    assert_eq!(t.visits[1].operator_name.as_deref(), Some("张敏"));
    assert_eq!(d.store.today("王芳", LIST_PAGE, noon.now).unwrap().total, 1);
    // Part of a name, or more of the number's end than its last four, finds nothing: the
    // masked list would otherwise be read back a character at a time.
    assert_eq!(d.store.today("王", LIST_PAGE, noon.now).unwrap().total, 0);
    assert_eq!(d.store.today(&A[10..], LIST_PAGE, noon.now).unwrap().total, 0);
    assert_eq!(d.store.today(A, LIST_PAGE, noon.now).unwrap().total, 1, "the whole number");
    assert_eq!(d.store.today("0014", LIST_PAGE, noon.now).unwrap().total, 2);
    assert_eq!(d.store.today("12:0", LIST_PAGE, noon.now).unwrap().total, 1, "12:05 Shanghai time");
    assert_eq!(d.store.today("'; DROP TABLE visits;--", LIST_PAGE, noon.now).unwrap().total, 0);
}

#[test]
fn a_busy_day_is_counted_in_full_and_lists_only_the_newest() {
    let mut d = desk();
    let nine = Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap(); // 09:00 Shanghai time
    for i in 0..7u64 {
        let ctx = CheckInContext { now: nine + Duration::minutes(i as i64), ..d.ctx.clone() };
        let name = if i % 2 == 0 { "王芳" } else { "刘洋" };
        d.store.declare(&person(name, &placecode_core::identity::sample_resident_id(i)), &ctx).unwrap();
    }
    let later = nine + Duration::hours(1);

    let t = d.store.today("", 3, later).unwrap();
    assert_eq!((t.total, t.green, t.by_declaration, t.pending_sync), (7, 7, 7, 7), "every check-in counted");
    let shown: Vec<_> = t.visits.iter().map(|v| clock(&v.at)).collect();
    assert_eq!(shown, ["09:06", "09:05", "09:04"], "the newest three, newest first");
    assert_eq!(t.more, 4, "显示更多 lists the other four");

    // A search counts every match, and lists the newest of them.
    let wang = d.store.today("王芳", 2, later).unwrap();
    assert_eq!((wang.total, wang.visits.len()), (4, 2));
    assert_eq!(wang.visits.iter().map(|v| clock(&v.at)).collect::<Vec<_>>(), ["09:06", "09:04"]);

    // Asked for more than there are: all of them.
    let all = d.store.today("", LIST_PAGE, later).unwrap();
    assert_eq!((all.visits.len(), all.more), (7, 0));

    // The whole day is counted by the database, a search row by row: the same counts.
    d.store
        .with_transaction(|tx| {
            tx.execute(
                "UPDATE visits SET sync_state = 'synced' WHERE at < ?1",
                [nine + Duration::minutes(2)].map(|t| t.to_rfc3339()),
            )?;
            tx.execute(
                "UPDATE visits SET sync_state = 'failed', colour = 'yellow', way_in = 'last4' WHERE at >= ?1",
                [nine + Duration::minutes(6)].map(|t| t.to_rfc3339()),
            )?;
            Ok(())
        })
        .unwrap();
    let whole = d.store.today("", 2, later).unwrap();
    let searched = d.store.today("09:0", 2, later).unwrap();
    let counts = |t: &placecode_core::checkin::TodaySummary| {
        (t.total, t.green, t.yellow, t.red, t.by_declaration, t.by_last4, t.pending_sync, t.visits.len(), t.more)
    };
    assert_eq!(counts(&whole), (7, 6, 1, 0, 6, 1, 5, 2, 5), "a state other than synced is pending");
    assert_eq!(counts(&searched), counts(&whole));
    assert_eq!(whole.visits, searched.visits);
    let day = nine.with_timezone(&placecode_core::checkin::shanghai()).date_naive();
    assert_eq!(d.store.visits_on(day, "刘洋", 1, later).unwrap().visits.len(), 1);
}

/// 09:04, Shanghai time, of a stored instant.
fn clock(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&placecode_core::checkin::shanghai())
        .format("%H:%M")
        .to_string()
}

fn field_of(e: &Error) -> (&'static str, String, String) {
    match e {
        Error::Rule(Rule::Invalid(f)) => (e.code(), f[0].field.clone(), f[0].message.clone()),
        _ => (e.code(), String::new(), e.to_string()),
    }
}

/// 停用: the administrator stops an operator; only someone who knows the PIN learns it; the
/// administrator is never stopped; 启用 lets them in again.
#[test]
fn a_stopped_operator_cannot_sign_in_until_started_again() {
    let mut d = desk();
    let now = d.ctx.now;
    let admin = d.store.operators().unwrap().remove(0);
    let clerk = d.store.add_operator("李四", "135792").unwrap();
    assert!(d.store.set_operator_disabled(&clerk.id, true).unwrap().disabled);
    let e = d.store.sign_in("李四", "135792", now).unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "pin".into(), "登记员“李四”已被管理员停用，请联系管理员".into()));
    assert_eq!(d.store.sign_in("李四", "000000", now).unwrap_err().to_string(), "姓名或PIN不对", "no PIN, no news");
    let e = d.store.set_operator_disabled(&admin.id, true).unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "operator".into(), "不能停用管理员".into()));
    assert_eq!(d.store.set_operator_disabled("nobody", true).unwrap_err().code(), "not_found");
    assert!(d.store.operators().unwrap().iter().any(|o| o.id == clerk.id && o.disabled));
    assert!(!d.store.set_operator_disabled(&clerk.id, false).unwrap().disabled);
    assert_eq!(d.store.sign_in("李四", "135792", now).unwrap().id, clerk.id);
}

#[test]
fn operators_sign_in_by_name_and_pin() {
    let mut d = desk();
    let now = d.ctx.now;
    let ops = d.store.operators().unwrap();
    assert!(ops[0].is_admin);
    let second = d.store.add_operator("李四", "135792").unwrap();
    assert!(!second.is_admin);
    assert_eq!(d.store.sign_in("李四", "１３５７９２", now).unwrap().id, second.id, "full-width digits");
    assert_eq!(d.store.sign_in("李四", "000000", now).unwrap_err().to_string(), "姓名或PIN不对");
    assert_eq!(d.store.sign_in("nobody", "135792", now).unwrap_err().to_string(), "姓名或PIN不对");
    let e = d.store.add_operator("李四", "864209").unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "name".into(), "姓名：登记员“李四”已存在".into()));
    for (pin, why) in [
        ("2468", "PIN：应为6至12位数字"),
        ("1234567890123", "PIN：应为6至12位数字"),
        ("abcdef", "PIN：应为6至12位数字"),
        ("12345６' OR 1=1", "PIN：应为6至12位数字"),
        ("246８1😀", "PIN：应为6至12位数字"),
        ("000000", "PIN：太容易猜到（同一数字或连续数字），请换一个"),
        ("123456", "PIN：太容易猜到（同一数字或连续数字），请换一个"),
        ("7890123", "PIN：太容易猜到（同一数字或连续数字），请换一个"),
        ("654321", "PIN：太容易猜到（同一数字或连续数字），请换一个"),
    ] {
        let e = d.store.add_operator("王五", pin).unwrap_err();
        assert_eq!(field_of(&e), ("invalid", "pin".into(), why.into()), "{pin}");
    }
    assert_eq!(d.store.operators().unwrap().len(), 2, "nothing half-saved");
}

/// Wrong PINs in a row for one operator make that operator's sign-in wait: 30 s after the
/// fifth, doubling after each further one; the right PIN during the wait is refused too; a wait
/// that has passed lets the right PIN in and resets the count. The count survives reopening the
/// database. Another operator is not held up, and unknown names count for no one.
#[test]
fn wrong_pins_lock_an_operator_out_with_back_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let mut store = Store::open(&db).unwrap();
    store.add_operator("张敏", "246813").unwrap();
    store.add_operator("李娜", "135792").unwrap();
    let t0 = Utc::now();
    for _ in 0..10 {
        assert_eq!(store.sign_in("谁", "999999", t0).unwrap_err().to_string(), "姓名或PIN不对");
    }
    for _ in 0..4 {
        assert_eq!(store.sign_in("张敏", "999999", t0).unwrap_err().to_string(), "姓名或PIN不对");
    }
    let e = store.sign_in("张敏", "999999", t0).unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "pin".into(), "姓名或PIN不对；张敏已连续输错5次，请30秒后再试".into()));
    assert_eq!(store.sign_in("李娜", "135792", t0).unwrap().name, "李娜", "another operator signs in");
    drop(store);
    let store = Store::open(&db).unwrap();
    let e = store.sign_in("张敏", "246813", t0 + Duration::seconds(10)).unwrap_err();
    assert_eq!(e.to_string(), "张敏已连续输错5次，请20秒后再试", "the right PIN waits too");
    let t1 = t0 + Duration::seconds(31);
    assert_eq!(
        store.sign_in("张敏", "000001", t1).unwrap_err().to_string(),
        "姓名或PIN不对；张敏已连续输错6次，请1分钟后再试"
    );
    let t2 = t1 + Duration::seconds(61);
    assert!(store.sign_in("张敏", "246813", t2).is_ok());
    assert_eq!(store.sign_in("张敏", "999999", t2).unwrap_err().to_string(), "姓名或PIN不对", "count reset");
    assert_eq!(placecode_store::sign_in_lockout(4), None);
    assert_eq!(placecode_store::sign_in_lockout(5), Some(Duration::seconds(30)));
    assert_eq!(placecode_store::sign_in_lockout(40), Some(Duration::hours(1)));
}

#[test]
fn an_operator_changes_their_own_pin() {
    let mut d = desk();
    let op = d.store.operators().unwrap().remove(0);
    let e = d.store.change_pin(&op.id, "111111", "864213").unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "current".into(), "当前PIN：不对".into()));
    let e = d.store.change_pin(&op.id, "246813", "1234").unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "pin".into(), "新PIN：应为6至12位数字".into()));
    assert!(d.store.sign_in("张敏", "246813", d.ctx.now).is_ok(), "a refused change keeps the PIN");
    let e = d.store.change_pin(&op.id, "246813", "２４６８１３").unwrap_err();
    assert_eq!(field_of(&e), ("invalid", "pin".into(), "新PIN：与当前PIN相同，请换一个".into()));
    d.store.change_pin(&op.id, "246813", "864213").unwrap();
    let e = d.store.sign_in("张敏", "246813", d.ctx.now).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["pin"]));
    assert_eq!(d.store.sign_in("张敏", "864213", d.ctx.now).unwrap().id, op.id);
}

#[test]
fn check_in_needs_a_served_venue() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let op = store.add_operator("张敏", "246813").unwrap();
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: Utc::now() };
    let e = store.declare(&person("王芳", A), &ctx).unwrap_err();
    assert_eq!(e.to_string(), "请先在“场所列表”中设置本台服务场所");
    assert_eq!(store.visit_count().unwrap(), 0);
}

/// R7 at the door: a yellow from a declaration is kept; a rescan by full ID or by last four
/// minutes later shows yellow again, with the reason; a healthy new declaration does not undo
/// it; after the period it is green.
#[test]
fn r7_a_raised_colour_sticks_on_rescan_by_id_and_last_four() {
    let mut d = desk();
    let mut visited = person("李秀英", ELDER);
    visited.visited_risk_area = Some(true);
    let first = d.store.declare(&visited, &d.ctx).unwrap();
    assert_eq!(first.colour, Colour::Yellow);
    let mut later = d.ctx.clone();
    later.now = d.ctx.now + chrono::Duration::minutes(3);
    let by_id = match d.store.check_in_by_id(ELDER, &later).unwrap() {
        Lookup::CheckedIn { result } => result,
        other => panic!("{other:?}"),
    };
    later.now += chrono::Duration::minutes(3);
    assert_eq!(by_id.colour, Colour::Yellow);
    assert!(by_id.reasons.iter().any(|r| r.starts_with("近期已判定为黄码")), "{:?}", by_id.reasons);
    let by_last4 = match d.store.check_in_by_last4("002x", None, &later).unwrap() {
        Lookup::CheckedIn { result } => result,
        other => panic!("{other:?}"),
    };
    assert_eq!(by_last4.colour, Colour::Yellow);
    // Declaring again as healthy does not turn it green.
    assert_eq!(d.store.declare(&person("李秀英", ELDER), &later).unwrap().colour, Colour::Yellow);
    // The visit carries the raise to the centre (the first one only: a kept colour is not fresh).
    let raised: Vec<Option<String>> = {
        let conn = placecode_store::raw_connection(&d._dir.path().join("desk.sqlite3")).unwrap();
        let mut stmt = conn.prepare("SELECT raised_colour FROM visits ORDER BY at, rowid").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(raised, [Some("yellow".to_owned()), None, None, None]);
    let mut after = d.ctx.clone();
    after.now = d.ctx.now + chrono::Duration::days(14) + chrono::Duration::minutes(1);
    match d.store.check_in_by_id(ELDER, &after).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.colour, Colour::Green),
        other => panic!("{other:?}"),
    }
}

/// R7: leaving a yellow or red screen without a report records why (with the operator); 其他
/// needs a note; a visit is handled once (reported or released), and a release is final.
#[test]
fn r7_a_release_is_recorded_with_its_reason_once() {
    use placecode_core::checkin::ReleaseReason;
    let mut d = desk();
    let mut fever = person("李秀英", ELDER);
    fever.temperature = "38.1".into();
    let r = d.store.declare(&fever, &d.ctx).unwrap();
    assert_eq!(r.colour, Colour::Yellow);
    match d.store.release_visit(&r.visit_id, ReleaseReason::Other, " ", &d.ctx).unwrap_err() {
        Error::Rule(Rule::Invalid(f)) => assert_eq!(
            (f[0].field.as_str(), f[0].message.as_str()),
            ("note", "说明：选择“其他”时请写明原因（至少2个字）")
        ),
        e => panic!("{e:?}"),
    }
    let released = d.store.release_visit(&r.visit_id, ReleaseReason::VerifiedByStaff, "复测36.8℃", &d.ctx).unwrap();
    assert_eq!(released.status, IncidentStatus::Released);
    assert_eq!(released.note, "工作人员核实后放行：复测36.8℃");
    assert_eq!(released.operator_name.as_deref(), Some("张敏"));
    // Handled once: no report after a release, and a release never moves on.
    let again = d.store.report_incident(
        &r.visit_id,
        &IncidentInput { held_at: "东门".into(), reported_to: "社区".into() },
        &d.ctx,
    );
    assert!(matches!(again, Err(Error::Rule(Rule::Invalid(f))) if f[0].message.contains("已处置")));
    let e = d.store.advance_incident(&released.id, IncidentStatus::HandedOver, "已交社区转运", d.ctx.now).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["status"]));
    // A green visit has nothing to release.
    let green = d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    let e = d.store.release_visit(&green.visit_id, ReleaseReason::Misscan, "", &d.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["visit"]));
}

/// Who counts inside after a yellow or red screen, one rule on the desk and at the centre: a
/// person let go after checking (核实后放行) came in and counts like a green; a wrong scan (误扫)
/// recorded nobody who came in, so it is closed at once and the centre is told so as 离场 tells
/// it; a person reported does not count.
#[test]
fn a_wrong_scan_released_leaves_the_count_inside_and_a_checked_release_stays_in_it() {
    use placecode_core::checkin::ReleaseReason;
    let mut d = desk();
    let venue = d.store.served_venue().unwrap().unwrap().id;
    let inside = |d: &Fixture| d.store.occupancy(&venue, d.ctx.now).unwrap().inside;
    let yellow = |d: &mut Fixture, name: &str, id: &str| {
        let mut p = person(name, id);
        p.temperature = "38.1".into();
        let r = d.store.declare(&p, &d.ctx).unwrap();
        assert_eq!(r.colour, Colour::Yellow);
        r.visit_id
    };
    assert_eq!(inside(&d), 0);
    let checked = yellow(&mut d, "李秀英", ELDER);
    assert_eq!(inside(&d), 0, "a yellow screen not yet decided does not count");
    d.store.release_visit(&checked, ReleaseReason::VerifiedByStaff, "复测36.8℃", &d.ctx).unwrap();
    assert_eq!(inside(&d), 1, "let in after checking");
    let wrong = yellow(&mut d, "王芳", A);
    let reported = yellow(&mut d, "张伟", B);
    d.store
        .report_incident(&reported, &IncidentInput { held_at: "东门".into(), reported_to: "社区".into() }, &d.ctx)
        .unwrap();
    let departures = |d: &Fixture| {
        let rows = d.store.outbox_batch((0, 0), 100).unwrap();
        rows.into_iter().filter(|r| r.record.contains("\"departure\"")).map(|r| r.record).collect::<Vec<_>>()
    };
    assert!(departures(&d).is_empty());
    d.store.release_visit(&wrong, ReleaseReason::Misscan, "", &d.ctx).unwrap();
    assert_eq!(inside(&d), 1, "a wrong scan and a report count nobody");
    let sent = departures(&d);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(&wrong), "{sent:?}");

    // At its limit the venue lets no one more in by a release either (a trial released ten into
    // a full venue: 71 of 60); the screen stays undecided, and 误扫 or a report still records.
    d.store.set_venue_limit(&venue, Some((1, 100, 120))).unwrap();
    let waiting = yellow(&mut d, "陈静", CHILD);
    let e = d.store.release_visit(&waiting, ReleaseReason::VerifiedByStaff, "复测36.8℃", &d.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["occupancy"]));
    assert!(e.to_string().contains("场内1人，限1人"), "{e}");
    assert_eq!(inside(&d), 1);
    d.store.release_visit(&waiting, ReleaseReason::Misscan, "", &d.ctx).unwrap();
    assert_eq!(inside(&d), 1);
}

/// The report form's choices are this desk's own, per venue: a new database offers none, and
/// another venue served by the same desk offers its own.
#[test]
fn incident_places_belong_to_the_desk_and_the_venue() {
    let mut d = desk();
    let usual = vec!["所在社区".to_owned(), "疫情防控办".to_owned()];
    let nothing_used = |p: placecode_store::IncidentPlaces| {
        assert!(p.held_at.is_empty(), "{p:?}");
        assert_eq!(p.reported_to, ["所在社区", "疫情防控办"], "only the usual recipients");
    };
    nothing_used(d.store.incident_places().unwrap());
    let mut fever = person("李秀英", ELDER);
    fever.temperature = "38.5".into();
    let r = d.store.declare(&fever, &d.ctx).unwrap();
    let input = IncidentInput { held_at: "东门临时隔离点".into(), reported_to: "西司门社区".into() };
    d.store.report_incident(&r.visit_id, &input, &d.ctx).unwrap();
    let places = d.store.incident_places().unwrap();
    assert_eq!(
        (places.held_at, places.reported_to),
        (vec!["东门临时隔离点".to_owned()], [usual, vec!["西司门社区".to_owned()]].concat())
    );
    // Another venue on the same desk: nothing carried over.
    let other = d
        .store
        .register_venue(
            &VenueInput {
                kind: "general".into(),
                category: "market".into(),
                name: "鼓楼农贸市场".into(),
                district: "gulou".into(),
                address: "鼓楼区西司门街12号".into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            false,
        )
        .unwrap();
    d.store.set_served_venue(&other.id).unwrap();
    nothing_used(d.store.incident_places().unwrap());
}

/// A second scan of the same person moments later asks first (a double scan records nothing);
/// confirmed, it is recorded as scanned; outside the window, or with the window at 0, no question.
#[test]
fn a_repeat_scan_within_the_window_asks_before_recording() {
    let mut d = desk();
    d.store.declare(&person("李秀英", ELDER), &d.ctx).unwrap();
    let mut soon = d.ctx.clone();
    soon.now = d.ctx.now + chrono::Duration::seconds(5);
    let (pid, way_in) = match d.store.check_in_by_id(ELDER, &soon).unwrap() {
        Lookup::Repeat { person_id, masked_name, way_in, last_at, .. } => {
            assert_eq!((masked_name.as_str(), last_at.as_str()), ("李**", "2026-11-27T02:30:00.000Z"));
            (person_id, way_in)
        }
        other => panic!("{other:?}"),
    };
    assert!(matches!(d.store.check_in_by_last4("002X", None, &soon).unwrap(), Lookup::Repeat { .. }));
    assert_eq!(d.store.visit_count().unwrap(), 1, "asking records nothing");
    let again = d.store.check_in_person(&pid, way_in, &soon).unwrap();
    assert_eq!(again.way_in, WayIn::IdNumber);
    assert_eq!(d.store.visit_count().unwrap(), 2);
    // Past the window: a check-in at once.
    let mut after = soon.clone();
    after.now = soon.now + chrono::Duration::seconds(121);
    assert!(matches!(d.store.check_in_by_id(ELDER, &after).unwrap(), Lookup::CheckedIn { .. }));
    // The administrator may turn the question off, within bounds.
    assert_eq!(d.store.set_repeat_window_seconds(99_999).unwrap_err().code(), "invalid");
    d.store.set_repeat_window_seconds(0).unwrap();
    assert!(matches!(d.store.check_in_by_id(ELDER, &after).unwrap(), Lookup::CheckedIn { .. }));
}

/// A colour learnt since the first scan (here a list imported between the two) is shown and
/// recorded at once: the repeat question, whose Esc records nothing, would hide it.
#[test]
fn a_repeat_scan_of_someone_listed_since_is_shown_red_not_asked_about() {
    let mut d = desk();
    d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    let soon = CheckInContext { now: d.ctx.now + Duration::seconds(5), ..d.ctx.clone() };
    assert!(matches!(d.store.check_in_by_id(A, &soon).unwrap(), Lookup::Repeat { .. }), "still green: asked");
    d.store.import_risk(format!("{A},红,\n").as_bytes(), false, soon.now).unwrap();
    match d.store.check_in_by_id(A, &soon).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.colour, Colour::Red),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.store.visit_count().unwrap(), 2);
    // Red already recorded: a second scan is a repeat again.
    assert!(matches!(d.store.check_in_by_last4(&A[14..], None, &soon).unwrap(), Lookup::Repeat { .. }));
}

/// R7, the risk list first: a listed stranger's full ID number is checked before any form; they
/// are recorded and shown red at once, by ID number alone, and the report follows as usual. A
/// stranger not listed gets the declaration.
#[test]
fn r7_a_listed_stranger_goes_straight_to_red_without_the_form() {
    let mut d = desk();
    let csv = format!("身份证号,颜色,原因\n{A},红码,密切接触者\n");
    d.store.import_risk(csv.as_bytes(), true, d.ctx.now).unwrap();
    let r = match d.store.check_in_by_id(A, &d.ctx).unwrap() {
        Lookup::CheckedIn { result } => result,
        other => panic!("a listed stranger must not get the form: {other:?}"),
    };
    assert_eq!(
        (r.colour, r.masked_name.as_str(), r.masked_id.as_str()),
        (Colour::Red, "（姓名未登记）", "410***********0014")
    );
    assert_eq!(d.store.visit_count().unwrap(), 1);
    let incident = d
        .store
        .report_incident(&r.visit_id, &IncidentInput { held_at: "东门".into(), reported_to: "社区".into() }, &d.ctx)
        .unwrap();
    assert_eq!(incident.masked_name, "（姓名未登记）");
    // Not listed: the form, nothing recorded.
    assert!(matches!(d.store.check_in_by_id(B, &d.ctx).unwrap(), Lookup::Unknown { .. }));
    assert_eq!(d.store.visit_count().unwrap(), 1);
    // Declared later, the name is kept.
    let mut later = d.ctx.clone();
    later.now += chrono::Duration::hours(1);
    assert_eq!(d.store.declare(&person("王芳", A), &later).unwrap().masked_name, "王*");
}

/// R7: a yellow or red result nobody decided on (the clerk signed out, the app restarted) is
/// found again until it is reported or released; a decided one, a green one, and one older than
/// 12 hours are not.
#[test]
fn r7_undecided_results_come_back_until_decided() {
    use placecode_core::checkin::ReleaseReason;
    let mut d = desk();
    let mut fever = person("李秀英", ELDER);
    fever.temperature = "38.3".into();
    let yellow = d.store.declare(&fever, &d.ctx).unwrap();
    d.store.declare(&person("王芳", A), &d.ctx).unwrap();
    // "Restart": a new connection to the same file.
    let again = Store::open(&d._dir.path().join("desk.sqlite3")).unwrap();
    let left = again.undecided_results(d.ctx.now).unwrap();
    assert_eq!(
        left.iter().map(|r| (r.visit_id.as_str(), r.colour)).collect::<Vec<_>>(),
        [(yellow.visit_id.as_str(), Colour::Yellow)]
    );
    assert!(again.undecided_results(d.ctx.now + chrono::Duration::hours(13)).unwrap().is_empty());
    d.store.release_visit(&yellow.visit_id, ReleaseReason::VerifiedByStaff, "复测36.9℃", &d.ctx).unwrap();
    assert!(d.store.undecided_results(d.ctx.now).unwrap().is_empty());
}

/// The administrator's list of isolation points and recipients: offered first, checked by the
/// report's rule line by line (nothing saved when one is wrong), kept per venue; with no list,
/// the usual recipients for the venue's kind (a checkpoint's are not a community's).
#[test]
fn incident_places_come_from_the_venues_own_list() {
    use placecode_store::IncidentPlaceList;
    let mut d = desk();
    let fresh = d.store.incident_places().unwrap();
    assert_eq!((fresh.held_at.len(), fresh.configured), (0, false));
    assert_eq!(fresh.reported_to, ["所在社区", "疫情防控办"]);

    let list = |held: &[&str], reported: &[&str]| IncidentPlaceList {
        held_at: held.iter().map(|s| s.to_string()).collect(),
        reported_to: reported.iter().map(|s| s.to_string()).collect(),
    };
    let long = "隔".repeat(10_240);
    for (bad, field, message) in [
        (list(&["东门留观点", "<script>"], &[]), "held_at.1", "临时隔离点：含有不允许的字符“<”"),
        (list(&[], &["社区", "", "x'; DROP TABLE incidents;--"]), "reported_to.2", "上报对象：含有不允许的字符“;”"),
        (list(&[&long], &[]), "held_at.0", "临时隔离点：不能超过60个字（现为10240个）"),
    ] {
        let e = d.store.set_incident_place_list(&bad).unwrap_err();
        assert_eq!(field_of(&e), ("invalid", field.into(), message.into()));
    }
    let eleven: Vec<String> = (0..11).map(|i| format!("留观点{i}")).collect();
    let e = d.store.set_incident_place_list(&IncidentPlaceList { held_at: eleven, reported_to: vec![] }).unwrap_err();
    assert_eq!(field_of(&e).1, "held_at");
    assert_eq!(d.store.incident_place_list().unwrap(), IncidentPlaceList::default(), "nothing half-saved");

    // Blank lines and repeats dropped; full-width folded; rare characters and emoji kept.
    let saved = d
        .store
        .set_incident_place_list(&list(
            &[" 东门临时隔离区 ", "", "东门临时隔离区", "𠈌楼留观室😷"],
            &["西司门社区", "鼓楼区疫情防控指挥部"],
        ))
        .unwrap();
    assert_eq!(saved.held_at, ["东门临时隔离区", "𠈌楼留观室😷"]);
    let places = d.store.incident_places().unwrap();
    assert!(places.configured);
    assert_eq!(places.reported_to, ["西司门社区", "鼓楼区疫情防控指挥部"], "no generic recipients once listed");

    // Another venue served by this desk has none of them.
    let other = d
        .store
        .register_venue(
            &VenueInput {
                kind: "checkpoint".into(),
                category: "logistics".into(),
                name: "开封东收费站卡口".into(),
                district: "gulou".into(),
                address: "鼓楼区连霍高速开封东出口".into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            false,
        )
        .unwrap();
    d.store.set_served_venue(&other.id).unwrap();
    let at_checkpoint = d.store.incident_places().unwrap();
    assert!(at_checkpoint.held_at.is_empty());
    assert_eq!(at_checkpoint.reported_to, ["疫情防控指挥部", "疾控中心"]);
}

/// 登记名单 of any day within the retention window, and its workbook: masked for any operator;
/// in full only with a reason; every export recorded; read back by an independent xlsx reader.
#[test]
fn r11_a_days_check_ins_export_to_xlsx_masked_or_in_full_with_a_reason() {
    use calamine::{Reader, Xlsx};
    let mut d = desk();
    let yesterday = CheckInContext { now: Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0).unwrap(), ..d.ctx.clone() };
    let mut wang = person("王芳", A);
    wang.address = "鼓楼区中山路18号院3号楼".into();
    wang.phone = "13837800001".into();
    d.store.declare(&wang, &yesterday).unwrap();
    d.store.declare(&person("刘洋", B), &d.ctx).unwrap();
    let day = yesterday.now.with_timezone(&placecode_store::shanghai()).date_naive();

    // Another day's list, not today's.
    let list = d.store.visits_on(day, "", LIST_PAGE, d.ctx.now).unwrap();
    assert_eq!((list.total, list.visits[0].masked_name.as_str()), (1, "王*"));
    let future = d.store.visits_on(day + Duration::days(2), "", LIST_PAGE, d.ctx.now).unwrap_err();
    assert_eq!(field_of(&future), ("invalid", "date".into(), "日期：不能晚于今天".into()));
    let gone = d.store.visits_on(day - Duration::days(40), "", LIST_PAGE, d.ctx.now).unwrap_err();
    assert_eq!(field_of(&gone).1, "date");
    // The list names the retention window's first day (前一天 stops there): it is shown, the
    // day before it is not.
    let first = chrono::NaiveDate::parse_from_str(&list.first_day, "%Y-%m-%d").unwrap();
    let today = d.ctx.now.with_timezone(&placecode_store::shanghai()).date_naive();
    assert_eq!(today - first, Duration::days(d.store.retention_days().unwrap()));
    assert_eq!(d.store.visits_on(first, "", LIST_PAGE, d.ctx.now).unwrap().first_day, list.first_day);
    let before = d.store.visits_on(first - Duration::days(1), "", LIST_PAGE, d.ctx.now).unwrap_err();
    assert_eq!(field_of(&before).1, "date");

    let cells = |bytes: Vec<u8>| -> Vec<Vec<String>> {
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("登记名单").unwrap();
        range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    };
    let masked = d.store.export_day(day, None, &d.ctx).unwrap();
    assert_eq!(masked.file_name(), "2026-11-26-鼓楼区幸福养老院-登记名单.xlsx");
    let rows = cells(placecode_store::export::xlsx(&masked).unwrap());
    assert!(rows[0][0].contains("共1人次") && rows[0][0].contains("已遮挡"), "{:?}", rows[0]);
    assert_eq!(rows[2][..3], ["时间".to_owned(), "姓名".into(), "证件号".into()]);
    assert_eq!(rows[3][1], "王*");
    assert_eq!(rows[3][2], placecode_core::mask::id_number(A));
    assert!(!rows.concat().iter().any(|c| c.contains(A) || c.contains("王芳") || c.contains("中山路")));

    // In full: a reason first, by the note rule; then the numbers, phones and addresses as text.
    for bad in ["", "..", "<script>"] {
        assert_eq!(field_of(&d.store.export_day(day, Some(bad), &d.ctx).unwrap_err()).1, "note", "{bad:?}");
    }
    let full = d.store.export_day(day, Some("区疾控中心流调需要"), &d.ctx).unwrap();
    assert_eq!(full.file_name(), "2026-11-26-鼓楼区幸福养老院-登记名单-完整信息.xlsx");
    let rows = cells(placecode_store::export::xlsx(&full).unwrap());
    assert_eq!(rows[3][1..5], ["王芳".to_owned(), A.into(), "13837800001".into(), wang.address.clone()]);
    assert_eq!(rows[3][5], "绿码");
    // Every export is on record, with who and why; the refused ones are not.
    let audit = d.store.export_audit().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].operator.as_deref(), audit[0].full, audit[0].reason.as_str()),
        (Some("张敏"), true, "区疾控中心流调需要")
    );
    assert_eq!((audit[1].full, audit[1].rows, audit[1].day.as_str()), (false, 1, "2026-11-26"));
}

/// The door's count of answers that recorded nobody is kept in the database: a desk restarted
/// (or its window closed and opened) does not start guessing afresh.
#[test]
fn the_doors_count_of_unrecorded_answers_survives_a_restart() {
    let f = desk();
    let path = f._dir.path().join("desk.sqlite3");
    let now = Utc::now();
    let mut door = f.store.door_budget().unwrap();
    assert_eq!(door.unrecorded(now), 0);
    for _ in 0..placecode_core::checkin::DOOR_UNRECORDED_MAX {
        door.answered_unrecorded(now);
    }
    let mut store = f.store;
    store.keep_door_budget(&door).unwrap();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    let door = store.door_budget().unwrap();
    let e = door.check("id_number", "证件号码", now).unwrap_err();
    assert_eq!(e.fields(), vec!["id_number"]);
    // Forgotten in time, and a count back at nought leaves nothing behind.
    let later = now + Duration::hours(1);
    assert_eq!(door.unrecorded(later), 0);
    store.keep_door_budget(&placecode_core::checkin::DoorBudget::default()).unwrap();
    assert_eq!(store.door_budget().unwrap().empty_at(), None);
}

/// 今日登记's count of whole names and numbers searched survives a restart (a trial's script
/// restarted the desk to search afresh), and what is kept holds no search as typed.
#[test]
fn the_search_count_survives_a_restart_and_keeps_no_search_as_typed() {
    let mut f = desk();
    let path = f._dir.path().join("desk.sqlite3");
    let now = Utc::now();
    let mut budget = f.store.search_budget().unwrap();
    for i in 0..placecode_core::checkin::NAMED_SEARCHES_PER_MINUTE {
        assert!(budget.spend(&format!("41010219850505{i:04}"), now).unwrap());
    }
    f.store.keep_search_budget(&budget).unwrap();
    drop(f.store);
    let store = Store::open(&path).unwrap();
    let mut budget = store.search_budget().unwrap();
    let e = budget.spend("王小明", now).unwrap_err();
    assert_eq!(e.fields(), vec!["query"]);
    assert!(!budget.spend("410102198505050003", now).unwrap(), "a search made before the restart is free");
    // Nothing searched is in the database as typed.
    drop(store);
    let conn = placecode_store::raw_connection(&path).unwrap();
    let kept: String = conn.query_row("SELECT group_concat(value, '|') FROM settings", [], |r| r.get(0)).unwrap();
    assert!(!kept.contains("4101021985") && !kept.contains("王小明"), "{kept}");
}

/// A declaration or 手工登记 with a number on file keeps the name on file (the address and phone
/// declared are the latest): script in the window, or a name typed wrongly, renamed the person
/// silently. Someone recorded by number alone gets the name declared.
#[test]
fn a_declaration_for_a_number_on_file_does_not_rename_the_person() {
    let mut d = desk();
    d.store.declare(&person("李秀英", ELDER), &d.ctx).unwrap();
    let mut later = d.ctx.clone();
    later.now += chrono::Duration::hours(1);
    let mut renamed = person("王五", ELDER);
    renamed.address = "龙亭区北门大街1号".into();
    let r = d.store.declare(&renamed, &later).unwrap();
    // The result shows the name as declared: the one on file would tell a form for a guessed
    // number that it is on file (a trial told 300 numbers apart in 3 s that way).
    assert_eq!(r.masked_name, "王*", "the name declared is shown, never the one on file");
    later.now += chrono::Duration::hours(1);
    let r =
        d.store.register_manual(&HelperInput::Operator, &[person("赵六", ELDER)], &[String::new()], &later).unwrap();
    assert_eq!(r[0].masked_name, "赵*");
    // Each visit keeps the name its form gave: the lists show it and find it, never the name on
    // file (a made-up name for a guessed number showed the name on file in 今日登记).
    for name in ["李秀英", "王五", "赵六"] {
        assert_eq!(d.store.today(name, 10, later.now).unwrap().total, 1, "{name}");
    }
    let all = d.store.today(&ELDER[14..], 10, later.now).unwrap();
    let names: Vec<&str> = all.visits.iter().map(|v| v.masked_name.as_str()).collect();
    assert_eq!(names, ["赵*", "王*", "李**"], "newest first, each as its form gave it");
    // 离场 by the last four names them as their latest form did.
    let venue = d.store.served_venue().unwrap().unwrap().id;
    let out = d.store.check_out(&venue, &ELDER[14..], later.now).unwrap();
    assert_eq!(out.name_masked, "赵*");
    // The person on file is still 李秀英: a scan of the number is checked in under that name.
    later.now += chrono::Duration::hours(1);
    match d.store.check_in_by_id(ELDER, &later).unwrap() {
        Lookup::CheckedIn { result } => assert_eq!(result.masked_name, "李**"),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.store.today("李秀英", 10, later.now).unwrap().total, 2);
}
