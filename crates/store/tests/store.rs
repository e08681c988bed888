//! The store against a real SQLite file: R3 registration, 一所一码, edits, search, CSV import.

use placecode_core::venue::{Category, District};
use placecode_core::Error as Rule;
use placecode_store::{Error, Store};

mod common;
use common::venue_input as input;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/desk.sqlite3")).unwrap();
    (dir, store)
}

#[test]
fn r3_registered_venue_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let id = {
        let mut store = Store::open(&path).unwrap();
        store.register_venue(&input("大商新玛特", "中山路中段18号"), false).unwrap().id
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 21);
    let v = store.venue(&id).unwrap();
    assert_eq!(v.name, "大商新玛特");
    assert_eq!(v.category, Category::Mall);
    assert_eq!(v.district, District::Gulou);
    assert_eq!(store.venues("").unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn r12_the_database_and_its_wal_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    store.register_venue(&input("大商新玛特", "中山路中段18号"), false).unwrap();
    for file in [path.clone(), dir.path().join("desk.sqlite3-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    // A file left world-readable by something else is narrowed when the desk opens it.
    drop(store);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn r3_identical_after_normalization_is_a_duplicate_naming_the_existing_venue() {
    let (_d, mut store) = open();
    store.register_venue(&input("KFC（鼓楼店）", "中山路18号"), false).unwrap();
    let mut again = input("ｋｆｃ (鼓楼店)", "中山路　１８号");
    again.manager_name = "李四".into();
    let e = store.register_venue(&again, false).unwrap_err();
    assert_eq!(e.code(), "duplicate");
    assert_eq!(e.to_string(), "重复登记：该场所已登记为“KFC(鼓楼店)”（中山路18号），一所一码，不能重复登记");
    // Confirming similarity does not override 一所一码.
    assert_eq!(store.register_venue(&again, true).unwrap_err().code(), "duplicate");
    assert_eq!(store.venues("").unwrap().len(), 1);
}

#[test]
fn near_duplicate_needs_confirmation() {
    let (_d, mut store) = open();
    store.register_venue(&input("大润发超市", "中山路18号"), false).unwrap();
    let e = store.register_venue(&input("大润发超市二店", "中山路18号"), false).unwrap_err();
    match e {
        Error::Rule(Rule::NearDuplicate(similar)) => assert_eq!(similar[0].name, "大润发超市"),
        other => panic!("expected a near duplicate, got {other:?}"),
    }
    assert_eq!(store.venues("").unwrap().len(), 1, "nothing saved before confirmation");
    store.register_venue(&input("大润发超市二店", "中山路18号"), true).unwrap();
    assert_eq!(store.venues("").unwrap().len(), 2);
    // A different name at the same address is not similar.
    store.register_venue(&input("新华书店", "中山路18号"), false).unwrap();
}

#[test]
fn invalid_input_saves_nothing() {
    let (_d, mut store) = open();
    let mut bad = input("好运来😀饭店", "鼓楼区");
    bad.manager_phone = "12345".into();
    match store.register_venue(&bad, true).unwrap_err() {
        Error::Rule(Rule::Invalid(fields)) => {
            let keys: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(keys, ["name", "address", "manager_phone"]);
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    assert!(store.venues("").unwrap().is_empty());
}

#[test]
fn sql_and_html_metacharacters_are_stored_verbatim_or_refused_never_executed() {
    let (_d, mut store) = open();
    let v = store.register_venue(&input("O'Brien's Bar & Grill", "中山路18号"), false).unwrap();
    assert_eq!(store.venue(&v.id).unwrap().name, "O'Brien's Bar & Grill");
    assert_eq!(store.venues("O'Brien").unwrap().len(), 1);
    assert_eq!(store.venues("'; DROP TABLE venues;--").unwrap().len(), 0);
    assert_eq!(store.venues("%").unwrap().len(), 0, "% is matched literally");
    assert_eq!(store.venues("_").unwrap().len(), 0, "_ is matched literally");
    assert_eq!(store.venues("").unwrap().len(), 1);
}

#[test]
fn edit_applies_the_same_rules_and_may_keep_its_own_name() {
    let (_d, mut store) = open();
    let a = store.register_venue(&input("甲超市", "中山路1号"), false).unwrap();
    store.register_venue(&input("乙超市", "中山路2号"), false).unwrap();
    let mut changed = input("甲超市", "中山路1号");
    changed.manager_phone = "0371-23456789".into();
    let edited = store.update_venue(&a.id, &changed, false).unwrap();
    assert_eq!(edited.manager_phone, "0371-23456789");
    assert!(edited.updated_at >= a.updated_at);
    let e = store.update_venue(&a.id, &input("乙超市", "中山路2号"), false).unwrap_err();
    assert_eq!(e.code(), "duplicate");
    let e = store.update_venue("no-such-id", &input("丙超市", "中山路3号"), false).unwrap_err();
    assert_eq!(e.code(), "not_found");
    assert_eq!(store.venue(&a.id).unwrap().manager_phone, "0371-23456789");
}

#[test]
fn search_by_name_address_manager_district_and_category() {
    let (_d, mut store) = open();
    store.register_venue(&input("甲超市", "中山路1号"), false).unwrap();
    let mut other = input("𠈌家饭店", "金明大道8号");
    other.category = "restaurant".into();
    other.district = "longting".into();
    other.manager_name = "买买提·艾力".into();
    store.register_venue(&other, false).unwrap();
    assert_eq!(store.venues("甲").unwrap().len(), 1);
    assert_eq!(store.venues("𠈌").unwrap()[0].name, "𠈌家饭店");
    assert_eq!(store.venues("金明").unwrap().len(), 1);
    assert_eq!(store.venues("买买提").unwrap().len(), 1);
    assert_eq!(store.venues("龙亭").unwrap().len(), 1);
    assert_eq!(store.venues("餐厅").unwrap().len(), 1);
    assert_eq!(store.venues("　中山路　").unwrap().len(), 1, "full-width spaces trimmed");
}

/// R12: a clerk sees the manager's name and phone masked, so a search must not match them (a
/// whole phone number typed would find its venue, and a name's parts would be confirmed).
#[test]
fn a_clerks_search_does_not_match_the_managers_contacts() {
    let (_d, mut store) = open();
    let mut other = input("𠈌家饭店", "金明大道8号");
    other.manager_name = "买买提·艾力".into();
    other.manager_phone = "13912345678".into();
    store.register_venue(&other, false).unwrap();
    for q in ["13912345678", "5678", "买买提", "艾力"] {
        assert_eq!(store.venues_for(q, true).unwrap().len(), 1, "the administrator: {q}");
        assert!(store.venues_for(q, false).unwrap().is_empty(), "a clerk: {q}");
    }
    // Everything else is found as before; the category and district labels too.
    for q in ["𠈌家", "金明", "鼓楼", "超市", "'; DROP TABLE venues;--"] {
        assert_eq!(store.venues_for(q, false).unwrap().len(), store.venues_for(q, true).unwrap().len(), "{q}");
    }
    assert_eq!(store.venues_for("金明", false).unwrap().len(), 1);
    assert_eq!(store.venues_for("", false).unwrap().len(), 1);
}

#[test]
fn served_venue_is_one_at_a_time_and_listed_first() {
    let (_d, mut store) = open();
    let a = store.register_venue(&input("甲超市", "中山路1号"), false).unwrap();
    let b = store.register_venue(&input("乙超市", "中山路2号"), false).unwrap();
    assert_eq!(store.served_venue().unwrap(), None);
    store.set_served_venue(&a.id).unwrap();
    store.set_served_venue(&b.id).unwrap();
    assert_eq!(store.served_venue().unwrap().unwrap().id, b.id);
    let list = store.venues("").unwrap();
    assert_eq!(list[0].id, b.id);
    assert!(list[0].served && !list[1].served);
    assert_eq!(store.set_served_venue("nope").unwrap_err().code(), "not_found");
}

const HEADER: &str = "场所码类型,场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n";

#[test]
fn csv_import_gbk_with_row_by_row_report() {
    let (_d, mut store) = open();
    store.register_venue(&input("甲超市", "中山路1号"), false).unwrap();
    let text = format!(
        "{HEADER}\
         场所码,商场超市,乙超市,鼓楼区,中山路2号,王建国,13837800001\n\
         场所码,商场超市,甲超市,鼓楼区,中山路1号,李四,13837800002\n\
         专属场所码·交通卡口,其他人员易聚集场所,开封西收费站卡口,龙亭区,连霍高速开封西收费站,张伟,0371-23456789\n\
         场所码,不存在的类型,丙超市,鼓楼区,鼓楼区,王建国,123\n\
         场所码,商场超市,丁超市,鼓楼区\n\
         场所码,商场超市,乙超市,鼓楼区,中山路2号,王建国,13837800001\n\
         \n\
         场所码,餐厅饭店,\"饭店,带逗号\",杞县,𡒄家村,刘𠈌,13837800003\n"
    );
    let (gbk, _, had_errors) = encoding_rs::GBK.encode(&text);
    // GBK cannot hold 𡒄 or 𠈌: Excel writes GB18030 for them, which decodes the same way.
    assert!(had_errors);
    let (gb18030, _, lossy) = encoding_rs::GB18030.encode(&text);
    assert!(!lossy);
    assert_ne!(gbk.as_ref(), gb18030.as_ref());
    let report = store.import_venues_csv(&gb18030).unwrap();
    assert_eq!(report.total, 7);
    assert_eq!(report.imported, 3);
    let rejected: Vec<_> = report.rejected.iter().map(|r| (r.line, r.name.as_str())).collect();
    assert_eq!(rejected, [(3, "甲超市"), (5, "丙超市"), (6, "丁超市"), (7, "乙超市")]);
    assert!(report.rejected[0].reasons[0].starts_with("重复登记"));
    assert_eq!(
        report.rejected[1].reasons,
        [
            "场所类型：不在可选范围内，请从列表中选择",
            "详细地址：只写了辖区，请写明路、街或村，以及门牌号或标志性建筑",
            "联系电话：请填写11位手机号或0371开头的固定电话"
        ]
    );
    assert_eq!(report.rejected[2].reasons, ["列数不对：应为7列，实为4列"]);
    assert!(report.rejected[3].reasons[0].starts_with("重复登记"), "a duplicate within the same file");
    let names: Vec<_> = store.venues("").unwrap().into_iter().map(|v| v.name).collect();
    assert!(names.contains(&"饭店,带逗号".to_owned()));
    assert!(names.contains(&"开封西收费站卡口".to_owned()));
    assert_eq!(names.len(), 4);
    assert!(!names.contains(&"丙超市".to_owned()), "nothing from a rejected row is saved");
}

#[test]
fn csv_import_plain_gbk_and_utf8_bom() {
    let (_d, mut store) = open();
    let text = "场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n商场超市,乙超市,鼓楼区,中山路2号,王建国,13837800001\n";
    let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
    assert!(!lossy);
    assert_eq!(store.import_venues_csv(&gbk).unwrap().imported, 1);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.replace("乙", "丙").as_bytes());
    assert_eq!(store.import_venues_csv(&bom).unwrap().imported, 1);
    assert_eq!(store.venues("").unwrap().len(), 2);
}

#[test]
fn csv_import_bad_files() {
    let (_d, mut store) = open();
    assert_eq!(store.import_venues_csv(b"").unwrap_err().code(), "bad_file");
    assert_eq!(store.import_venues_csv(&[0xFF, 0xFE, 0x00, 0x81]).unwrap_err().code(), "bad_file");
    let big = vec![b'a'; placecode_core::import::MAX_FILE_BYTES + 1];
    assert_eq!(store.import_venues_csv(&big).unwrap_err().code(), "bad_file");
    assert!(store.venues("").unwrap().is_empty());
}

/// 被中心退回 → 更正: the refused field is corrected by the same rule the centre applies, and
/// the record goes again; a bad correction changes nothing and says why; an id or a document
/// number is never corrected at the desk. Each correction is audited by field, not by value.
#[test]
fn a_refused_record_is_corrected_by_the_centres_rule_and_queued_again() {
    use placecode_core::sync::{PushResult, PushStatus};
    let (_d, mut store) = open();
    store.register_venue(&input("大商新玛特", "中山路中段18号"), false).unwrap();
    let row = store.outbox_batch((0, 0), 10).unwrap().remove(0);
    let refuse = |store: &mut Store, field: &str| {
        let r = PushResult {
            id: row.id.clone(),
            status: PushStatus::Rejected,
            field: Some(field.into()),
            reason: Some("详细地址：含有不允许的字符".into()),
            decision: None,
        };
        store.outbox_ack(&[r], chrono::Utc::now()).unwrap();
    };
    refuse(&mut store, "address");
    let rejected = store.rejected_records().unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].correctable);
    let now = chrono::Utc::now();
    // Refused again by the rule, naming the field; nothing changes.
    for bad in ["<script>中山路</script>", &"中山路".repeat(3400), "中山路\u{0007}18号", "🏠"] {
        match store.correct_rejected(&row.id, bad, None, now) {
            Err(Error::Rule(Rule::Invalid(f))) => {
                assert_eq!(f[0].field, "value");
                assert!(f[0].message.starts_with("详细地址："), "{}", f[0].message);
            }
            other => panic!("{bad}: {other:?}"),
        }
        assert_eq!(store.rejected_records().unwrap().len(), 1, "nothing half-saved");
    }
    store.correct_rejected(&row.id, "中山路中段１８号院", None, now).unwrap();
    assert!(store.rejected_records().unwrap().is_empty());
    let again = store.outbox_batch((0, 0), 10).unwrap().remove(0);
    assert_eq!(again.id, row.id, "the same record, queued again");
    assert!(again.record.contains("中山路中段18号院"), "normalized: {}", again.record);
    // An id, a choice or a document number is not corrected here.
    refuse(&mut store, "venue_id");
    assert!(!store.rejected_records().unwrap()[0].correctable);
    match store.correct_rejected(&row.id, "x", None, now) {
        Err(Error::Rule(Rule::Invalid(f))) => assert!(f[0].message.contains("不能在登记台更正"), "{f:?}"),
        other => panic!("{other:?}"),
    }
    refuse(&mut store, "district");
    assert!(!store.rejected_records().unwrap()[0].correctable);
    assert_eq!(store.correct_rejected("nope", "x", None, now).unwrap_err().code(), "not_found");
}

/// A venue refused by the centre, then edited: the edit supersedes the refused record, so
/// 重新发送 can no longer send the old one over the edit.
#[test]
fn editing_a_refused_venue_supersedes_the_refused_record() {
    use placecode_core::sync::{PushResult, PushStatus};
    let (_d, mut store) = open();
    let v = store.register_venue(&input("大商新玛特", "中山路中段18号"), false).unwrap();
    let row = store.outbox_batch((0, 0), 10).unwrap().remove(0);
    let refused = PushResult {
        id: row.id.clone(),
        status: PushStatus::Rejected,
        field: Some("district".into()),
        reason: Some("所在辖区：本登记台无权登记该辖区的场所".into()),
        decision: None,
    };
    store.outbox_ack(&[refused], chrono::Utc::now()).unwrap();
    assert_eq!(store.rejected_records().unwrap().len(), 1);
    store.update_venue(&v.id, &input("大商新玛特", "中山路中段18号院"), false).unwrap();
    assert!(store.rejected_records().unwrap().is_empty(), "superseded by the edit");
    assert_eq!(store.retry_rejected(&row.id, None).unwrap_err().code(), "not_found");
    let pending = store.outbox_batch((0, 0), 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].record.contains("中山路中段18号院"));
}

/// 开始使用: a new desk's guide begins with its first operator, stays until it is finished or
/// put off (across restarts, and after the served venue is registered), and is never shown to
/// a desk that held venues before its first operator.
#[test]
fn the_first_steps_guide_is_for_a_new_desk_until_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    assert!(!store.setup_pending().unwrap(), "no administrator yet");
    store.add_operator("张敏", "246813").unwrap();
    assert!(store.setup_pending().unwrap());
    store.add_operator("李娜", "135792").unwrap();
    let venue = store.register_venue(&input("西司门农贸市场", "鼓楼区西司门街12号"), false).unwrap();
    store.set_served_venue(&venue.id).unwrap();
    drop(store);
    store = Store::open(&path).unwrap();
    assert!(store.setup_pending().unwrap(), "a restart halfway keeps it");
    store.finish_setup().unwrap();
    assert!(!store.setup_pending().unwrap());
    drop(store);
    assert!(!Store::open(&path).unwrap().setup_pending().unwrap(), "finished is kept");

    // A desk set up from a list before anyone signed in does not see it.
    let (_dir, mut older) = open();
    older.register_venue(&input("鼓楼区便民超市", "鼓楼区书店街1号"), false).unwrap();
    older.add_operator("张敏", "246813").unwrap();
    assert!(!older.setup_pending().unwrap());
}

/// Misses in `conn`'s page cache since the last call (SQLITE_DBSTATUS_CACHE_MISS, reset).
fn cache_misses(conn: &rusqlite::Connection) -> i32 {
    let (mut now, mut high) = (0, 0);
    // SAFETY: the handle is open for the borrow's length; the out-pointers are live locals.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_CACHE_MISS,
            &mut now,
            &mut high,
            1,
        )
    };
    assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
    now
}

/// Each connection keeps its own page cache. SQLite built with SQLITE_ENABLE_MEMORY_MANAGEMENT
/// (libsqlite3-sys's default) pools every connection's pages: in the desk another connection,
/// reading in the background every few seconds, came to hold the pool, and the screens'
/// connection kept about four pages, so a search of a 43,000-check-in day took 2.8 s instead of
/// 0.3 s. `.cargo/config.toml` builds SQLite without it.
#[test]
fn a_busy_connection_does_not_take_another_ones_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages.sqlite3");
    let setup = rusqlite::Connection::open(&path).unwrap();
    setup
        .execute_batch(
            "CREATE TABLE big (b BLOB); CREATE TABLE small (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
             INSERT INTO big SELECT randomblob(3000) FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             INSERT INTO small SELECT randomblob(3000) FROM n;",
        )
        .unwrap();
    drop(setup);
    let (screens, sync) = (rusqlite::Connection::open(&path).unwrap(), rusqlite::Connection::open(&path).unwrap());
    let read = |c: &rusqlite::Connection, table: &str| {
        c.query_row(&format!("SELECT sum(length(b)) FROM {table}"), [], |r| r.get::<_, i64>(0)).unwrap()
    };
    // The screens read their 200 pages (their cache holds about 480), then the sync reads 1,000.
    read(&screens, "small");
    read(&sync, "big");
    read(&sync, "big");
    cache_misses(&screens);
    read(&screens, "small");
    let misses = cache_misses(&screens);
    assert!(misses < 10, "the screens' pages were taken: {misses} of about 200 read again");
    let options: Vec<String> = screens
        .prepare("SELECT compile_options FROM pragma_compile_options")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
}
