//! The sync client against the desk's real store, without a centre (the centre's own tests,
//! `central/tests/`, run it against a real server and PostgreSQL).

use placecode_core::venue::VenueInput;
use placecode_store::Store;

fn input(name: &str, address: &str) -> VenueInput {
    VenueInput {
        kind: "general".into(),
        category: "mall".into(),
        name: name.into(),
        district: "gulou".into(),
        address: address.into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
    }
}

/// A desk not connected to a centre: each wake tells the screens what waits, so the header's
/// 未同步 agrees with the lists after a check-in (it stayed at the count of the start).
#[tokio::test]
async fn an_unconnected_desk_reports_what_waits_after_each_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).unwrap();
    store.register_venue(&input("大商新玛特", "中山路中段18号"), false).unwrap();
    drop(store);
    let engine = placecode_sync_client::SyncEngine::new(&path);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    engine.on_change(move |s| {
        let _ = tx.send(s.pending);
    });
    let task = tokio::spawn(engine.clone().run());
    assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.unwrap(), Some(1));
    // Another record (a second venue), then a wake as every write command does.
    Store::open(&path).unwrap().register_venue(&input("鼓楼农贸市场", "西司门街12号"), false).unwrap();
    engine.wake();
    let mut last = 0;
    while last != 2 {
        last = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    }
    task.abort();
}

/// A wrong centre address at enrolment says so, not "saved here, sent when the network is back".
#[tokio::test]
async fn enrolling_at_an_address_that_does_not_answer_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    drop(Store::open(&path).unwrap());
    let key = placecode_store::keys::load_or_create(&dir.path().join("k")).unwrap();
    let engine = placecode_sync_client::SyncEngine::new(&path);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = engine.enrol(&format!("http://127.0.0.1:{port}"), "ABCD-EFGH", "前台", None, &key).await.unwrap_err();
    assert_eq!(e.code(), "unreachable");
    assert!(e.retryable(), "a lost answer at enrolment is tried again with the same token");
    assert!(e.message().contains("请检查服务器地址") && !e.message().contains("网络恢复后自动上传"), "{}", e.message());
    assert!(!Store::open(&path).unwrap().sync_status().unwrap().enrolled);
}
