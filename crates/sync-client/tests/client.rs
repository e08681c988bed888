//! The sync client against the desk's real store, without a centre (the centre's own tests,
//! `central/tests/`, run it against a real server and PostgreSQL).

use placecode_store::Store;

/// Registers a supermarket, as the administrator's CSV import does.
fn register(path: &std::path::Path, name: &str, address: &str) {
    let csv = format!("场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n商场超市,{name},鼓楼区,{address},王建国,13837800001\n");
    assert_eq!(Store::open(path).unwrap().import_venues_csv(csv.as_bytes()).unwrap().imported, 1);
}

/// A desk not connected to a centre: each wake tells the screens what waits, so the header's
/// 未同步 agrees with the lists after a check-in (it stayed at the count of the start).
#[tokio::test]
async fn an_unconnected_desk_reports_what_waits_after_each_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    register(&path, "大商新玛特", "中山路中段18号");
    let engine = placecode_sync_client::SyncEngine::new(&path);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    engine.on_change(move |s| {
        let _ = tx.send(s.pending);
    });
    let task = tokio::spawn(engine.clone().run());
    assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.unwrap(), Some(1));
    // Another record (a second venue), then a wake as every write command does.
    register(&path, "鼓楼农贸市场", "西司门街12号");
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
