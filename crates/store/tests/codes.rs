//! Venue codes in the store (R1, R4): one per entrance, revocation, checking.

use placecode_core::code::SigningKey;
use placecode_core::venue::{CodeKind, VenueInput};
use placecode_store::Store;

fn setup(kind: &str) -> (tempfile::TempDir, Store, String, SigningKey) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
    let key = placecode_store::keys::load_or_create(&dir.path().join("desk-signing.key")).unwrap();
    let v = store
        .register_venue(
            &VenueInput {
                kind: kind.into(),
                category: "logistics".into(),
                name: "开封中通物流园".into(),
                district: "xiangfu".into(),
                address: "祥符区金明大道88号".into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            false,
        )
        .unwrap();
    (dir, store, v.id, key)
}

#[test]
fn one_code_per_entrance_with_the_venues_kind() {
    let (_d, mut store, venue, key) = setup("destination");
    let east = store.issue_code(&venue, "东门", &key).unwrap();
    let lane = store.issue_code(&venue, "２号通道", &key).unwrap();
    assert_eq!(east.kind, CodeKind::Destination);
    assert_eq!(lane.label, "2号通道");
    assert_ne!(east.code, lane.code);
    assert_eq!(store.issue_code(&venue, "东门", &key).unwrap_err().code(), "invalid");
    assert_eq!(store.issue_code(&venue, "<东门>", &key).unwrap_err().code(), "invalid");
    assert_eq!(store.issue_code(&venue, "", &key).unwrap_err().code(), "invalid");
    assert_eq!(store.issue_code("nope", "西门", &key).unwrap_err().code(), "not_found");
    assert_eq!(store.codes(&venue).unwrap().len(), 2);
}

#[test]
fn revoked_code_names_its_replacement_and_checks_say_so() {
    let (_d, mut store, venue, key) = setup("general");
    let old = store.issue_code(&venue, "正门", &key).unwrap();
    let check = store.check_code(&old.code.to_lowercase(), &key).unwrap();
    assert!(check.verified);
    assert_eq!(check.verdict, placecode_store::Verdict::Valid);
    assert_eq!(check.chinese(), "有效：开封中通物流园 · 正门 · 场所码");

    let new = store.revoke_code(&old.code, "海报被撕毁", &key).unwrap();
    assert_eq!(new.label, "正门");
    let check = store.check_code(&old.code, &key).unwrap();
    assert_eq!(check.verdict, placecode_store::Verdict::Revoked);
    assert_eq!(check.chinese(), format!("已作废的场所码（海报被撕毁）：请改用新码 {}", new.code));
    assert!(store.check_code(&new.code, &key).unwrap().chinese().starts_with("有效"));
    let e = store.revoke_code(&old.code, "again", &key).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["code"]));
    let codes = store.codes(&venue).unwrap();
    assert_eq!(codes[0].code, new.code, "active first");
    assert_eq!(codes[1].replaced_by.as_deref(), Some(new.code.as_str()));
}

/// A code another desk signed (another key id).
fn foreign_for_kind(key: &SigningKey) -> String {
    SigningKey::new(key.id.wrapping_add(1), [1u8; 32]).sign(CodeKind::General, 1)
}

#[test]
fn forged_and_foreign_codes_are_told_apart() {
    let (_d, mut store, venue, key) = setup("checkpoint");
    let real = store.issue_code(&venue, "连霍高速开封西出口", &key).unwrap();
    // Same desk key id, wrong secret: a forgery.
    let forged = SigningKey::new(key.id, [0u8; 32]).sign(CodeKind::Checkpoint, 1);
    assert_eq!(store.check_code(&forged, &key).unwrap().verdict, placecode_store::Verdict::Forged);
    assert_eq!(store.check_code(&foreign_for_kind(&key), &key).unwrap().verdict, placecode_store::Verdict::OtherDesk);
    assert_eq!(
        store.check_code(&key.sign(CodeKind::General, 999_999), &key).unwrap().verdict,
        placecode_store::Verdict::Unknown
    );
    assert_eq!(store.check_code(&forged, &key).unwrap().chinese(), "伪造或被篡改的场所码：签名不符，请勿使用");
    let foreign = SigningKey::new(key.id.wrapping_add(1), [1u8; 32]).sign(CodeKind::General, 1);
    assert!(store.check_code(&foreign, &key).unwrap().chinese().starts_with("其他登记台签发"));
    let unknown = key.sign(CodeKind::General, 999_999);
    assert_eq!(store.check_code(&unknown, &key).unwrap().chinese(), "签名有效，但本机没有这个场所码的记录");
    assert_eq!(store.check_code("'; DROP TABLE codes;--", &key).unwrap_err().code(), "invalid");
    assert!(store.check_code(&real.code, &key).unwrap().verified);
}

#[test]
fn poster_settings_are_checked_and_used_for_every_poster() {
    let (_d, mut store, venue, key) = setup("general");
    let s = store.poster_settings().unwrap();
    assert_eq!(s.public_base_url, "https://placecode.kaifeng.gov.cn");
    let bad =
        placecode_store::PosterSettings { public_base_url: "http://x.cn".into(), supervision_phone: "abc".into() };
    assert_eq!(store.set_poster_settings(&bad).unwrap_err().fields(), ["public_base_url", "supervision_phone"]);
    let long = placecode_store::PosterSettings {
        public_base_url: format!("https://{}.cn", "a".repeat(40)),
        supervision_phone: "12345".into(),
    };
    assert!(store.set_poster_settings(&long).unwrap_err().to_string().contains("不能超过40个字符"));
    let good = placecode_store::PosterSettings {
        public_base_url: " HTTPS://Pc.Kf.CN/ ".into(),
        supervision_phone: "0371-23456789".into(),
    };
    assert_eq!(store.set_poster_settings(&good).unwrap().public_base_url, "https://pc.kf.cn");
    // The centre learns the new supervision phone (the phone page names it on yellow and red):
    // the venue is queued again with it.
    let queued = store.outbox_batch((0, 0), 1000).unwrap();
    let venues: Vec<&str> =
        queued.iter().map(|r| r.record.as_str()).filter(|r| r.contains("\"kind\":\"venue\"")).collect();
    assert!(venues.last().is_some_and(|r| r.contains("\"supervision_phone\":\"0371-23456789\"")), "{venues:?}");
    // A venue with no code gets one for 正门; every poster points at the configured address.
    let inputs = store.poster_inputs(std::slice::from_ref(&venue), &key, false, chrono::NaiveDate::default()).unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].label, "正门");
    assert!(inputs[0].url.starts_with("HTTPS://PC.KF.CN/C/"));
    assert_eq!(inputs[0].supervision_phone, "0371-23456789");
    store.issue_code(&venue, "东门", &key).unwrap();
    assert_eq!(store.poster_inputs(&[venue], &key, true, chrono::NaiveDate::default()).unwrap().len(), 2);
    let revoked = store.revoke_code(&inputs[0].code, "损坏", &key).unwrap();
    let e = store.poster_input(&inputs[0].code, false, chrono::NaiveDate::default()).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["code"]));
    assert!(store.poster_input(&revoked.code, false, chrono::NaiveDate::default()).is_ok());
}

/// A checkpoint gets its code as it is registered (so the centre publishes it for crews to
/// declare ahead), once; other venues get none until someone issues one.
#[test]
fn a_checkpoint_is_published_with_its_code_once() {
    let (_d, mut store, venue, key) = setup("checkpoint");
    let v = store.venue(&venue).unwrap();
    let code = store.publish_checkpoint(&v, &key).unwrap().expect("a checkpoint code");
    assert_eq!((code.kind, code.label.as_str()), (CodeKind::Checkpoint, placecode_store::CHECKPOINT_LABEL));
    assert!(store.publish_checkpoint(&v, &key).unwrap().is_none(), "not twice");
    assert_eq!(store.codes(&venue).unwrap().len(), 1);
    let (_d, mut store, venue, key) = setup("destination");
    let v = store.venue(&venue).unwrap();
    assert!(store.publish_checkpoint(&v, &key).unwrap().is_none());
    assert!(store.codes(&venue).unwrap().is_empty());
}

/// A venue the centre refused (驳回) gets no code and prints no poster, saying why.
#[test]
fn a_venue_the_centre_refused_prints_nothing() {
    let (_d, mut store, venue, key) = setup("general");
    let code = store.issue_code(&venue, "正门", &key).unwrap();
    let decision = placecode_core::sync::Change {
        seq: 1,
        kind: placecode_core::sync::ChangeKind::VenueDecision,
        body: serde_json::json!({"venue_id": venue, "status": "rejected", "reason": "重复登记：一所一码"}),
    };
    store.apply_changes(&[decision], 1).unwrap();
    assert_eq!(store.venue(&venue).unwrap().rejected.as_deref(), Some("重复登记：一所一码"));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let e = store.poster_input(&code.code, false, today).unwrap_err().to_string();
    assert!(e.contains("未通过中心审核（重复登记：一所一码）"), "{e}");
    let e = store.poster_inputs(std::slice::from_ref(&venue), &key, false, today).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["venue"]));
    let e = store.issue_code(&venue, "东门", &key).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["venue"]));
}

/// At enrolment the centre's public address becomes the posters' 公共网址, unless the
/// administrator chose one, and only an address a poster may print (https, short).
#[test]
fn enrolment_brings_the_centres_public_address_to_the_posters() {
    let (_d, mut store, _venue, _key) = setup("general");
    assert!(!store.adopt_public_url("http://127.0.0.1:8080").unwrap(), "not https");
    assert!(!store.adopt_public_url("https://a-very-long-host-name.placecode.kaifeng.gov.cn").unwrap(), "too long");
    assert!(store.adopt_public_url("https://m.kfcode.cn/").unwrap());
    assert_eq!(store.poster_settings().unwrap().public_base_url, "https://m.kfcode.cn");
    assert!(!store.adopt_public_url("https://other.cn").unwrap(), "once chosen, kept");
    assert_eq!(store.poster_settings().unwrap().public_base_url, "https://m.kfcode.cn");
}

/// A database restored from a backup never signs again a code it signed after the backup: the
/// serial is at least the time in milliseconds, so two venues' posters never carry one code.
#[test]
fn a_restored_backup_signs_no_code_twice() {
    let (dir, mut store, venue, key) = setup("general");
    store.issue_code(&venue, "东门", &key).unwrap();
    drop(store);
    let db = dir.path().join("desk.sqlite3");
    let backup = dir.path().join("backup.sqlite3");
    std::fs::copy(&db, &backup).unwrap();
    let mut store = Store::open(&db).unwrap();
    let after_backup = store.issue_code(&venue, "南门", &key).unwrap().code;
    drop(store);
    std::fs::copy(&backup, &db).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("desk.sqlite3{side}")));
    }
    std::thread::sleep(std::time::Duration::from_millis(2));
    let mut store = Store::open(&db).unwrap();
    let restored = store.issue_code(&venue, "北门", &key).unwrap().code;
    assert_ne!(restored, after_backup);
    let (a, b) = (placecode_core::code::parse(&after_backup).unwrap(), placecode_core::code::parse(&restored).unwrap());
    assert!(b.serial > a.serial, "{} then {}", a.serial, b.serial);
}

/// After its key is rotated, the desk still verifies its codes of the old key from its own
/// records (all characters, the signature included); another key's code it never issued stays
/// "not verifiable offline".
#[test]
fn codes_of_an_earlier_key_verify_from_the_desks_records() {
    let (_d, mut store, venue, old) = setup("general");
    let code = store.issue_code(&venue, "东门", &old).unwrap().code;
    let new = SigningKey::generate().unwrap();
    let check = store.check_code(&code, &new).unwrap();
    assert!(check.verified && check.known.is_some(), "{check:?}");
    assert!(check.chinese().starts_with("有效"), "{}", check.chinese());
    let stranger = old.sign(CodeKind::General, 999_999);
    let check = store.check_code(&stranger, &new).unwrap();
    assert!(!check.verified && check.known.is_none());
    assert!(check.chinese().starts_with("其他登记台签发"), "{}", check.chinese());
}

/// 扫码屏: the screen's code changes with its window and verifies with the desk's key; an
/// entrance set to take only it tells the centre (its code's record sent again, once per change),
/// keeps the setting when the code is replaced, and a screen of a revoked code shows its
/// replacement.
#[test]
fn the_screen_code_rotates_and_an_entrance_can_take_only_it() {
    use placecode_core::rotating;
    let (_d, mut store, venue, key) = setup("general");
    let code = store.issue_code(&venue, "正门", &key).unwrap();
    assert!(!code.rotating_only);
    let at = chrono::DateTime::from_timestamp(1_800_000_005, 0).unwrap();
    let a = store.screen_code(&code.code, 30, &key, at).unwrap();
    let b = store.screen_code(&code.code, 30, &key, at + chrono::Duration::seconds(20)).unwrap();
    let c = store.screen_code(&code.code, 30, &key, at + chrono::Duration::seconds(30)).unwrap();
    assert_eq!(a.url, b.url, "one window, one code");
    assert_ne!(a.url, c.url, "the next window, the next code");
    assert_eq!((a.starts_at_ms, a.ends_at_ms, a.period), (1_800_000_000_000, 1_800_000_030_000, 30));
    assert!(a.url.starts_with(&format!("HTTPS://PLACECODE.KAIFENG.GOV.CN/C/{}/", code.code)), "{}", a.url);
    assert!(a.svg.starts_with("<svg") && a.svg.len() > 1000);
    let token = rotating::parse(a.url.rsplit('/').next().unwrap()).unwrap();
    let parsed = placecode_core::code::parse(&a.url).unwrap();
    assert_eq!(parsed.code, code.code);
    assert!(token.verify(&key, &parsed));
    assert_eq!(token.live(at, 0), Ok(()));
    // A desk whose clock is five hours slow (measured at its last sync) stamps the centre's
    // time, live with no correction at the centre; the window it counts down is on its own clock.
    store.set_clock_offset(5 * 3600 * 1000).unwrap();
    let slow_clock = at - chrono::Duration::hours(5);
    let s = store.screen_code(&code.code, 30, &key, slow_clock).unwrap();
    let stamped = rotating::parse(s.url.rsplit('/').next().unwrap()).unwrap();
    assert_eq!(stamped.live(at, 0), Ok(()), "on the centre's clock");
    assert_eq!(s.starts_at_ms, 1_800_000_000_000 - 5 * 3600 * 1000, "counted down on the desk's");
    assert_eq!(s.clock_offset_ms, Some(5 * 3600 * 1000), "and the screen warns");
    store.set_clock_offset(0).unwrap();
    // A period outside the limits is brought within them.
    assert_eq!(store.screen_code(&code.code, 1, &key, at).unwrap().period, rotating::PERIOD_MIN);
    // Unknown codes and hostile input: a reason, nothing shown.
    for bad in ["", "<script>", "'; DROP TABLE codes;--", &"码".repeat(5000)] {
        assert!(store.screen_code(bad, 30, &key, at).is_err());
    }

    let pending = |store: &Store| {
        store
            .outbox_batch((0, 0), 1000)
            .unwrap()
            .into_iter()
            .filter(|r| r.record.contains("\"kind\":\"code\"") && r.record.contains(&code.code))
            .map(|r| r.record)
            .collect::<Vec<_>>()
    };
    assert_eq!(pending(&store).len(), 1);
    let on = store.set_code_rotating_only(&code.code, true).unwrap();
    assert!(on.rotating_only);
    // Pressed twice: nothing more to send.
    store.set_code_rotating_only(&code.code, true).unwrap();
    let sent = pending(&store);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].contains("\"rotating_only\":true"));
    assert!(store.screen_code(&code.code, 30, &key, at).unwrap().rotating_only);
    // A replacement keeps the entrance's setting, and its record says so.
    let new = store.revoke_code(&code.code, "海报被撕毁", &key).unwrap();
    assert!(new.rotating_only);
    // A screen showing the revoked code moves on to its replacement.
    let moved = store.screen_code(&code.code, 30, &key, at).unwrap();
    assert_eq!(moved.code, new.code);
    assert!(moved.url.contains(&new.code));
    assert!(store.set_code_rotating_only(&code.code, false).is_err(), "a revoked code");
    let queued = store.outbox_batch((0, 0), 1000).unwrap();
    assert!(queued.iter().any(|r| r.record.contains(&new.code) && r.record.contains("\"rotating_only\":true")));
    assert!(!store.set_code_rotating_only(&new.code, false).unwrap().rotating_only);
}
