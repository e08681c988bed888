//! Another process opening a running desk's database (a tool, a test, a second desk before the
//! folder lock) must not take the desk's writes with it. Closing a second descriptor of the file
//! drops a process's POSIX locks on it: the store once read the file's first bytes that way at
//! every open, so the desk's locks vanished once it opened its second connection, and the other
//! process took the desk's live WAL for its own and removed it.

use placecode_store::{CheckInContext, Store};

mod common;

/// The other process: opens the database, counts the visits, closes it.
#[test]
#[ignore = "run by another_process_opening_a_running_desks_database_loses_nothing"]
fn reader_in_another_process() {
    let Some(path) = std::env::var_os("PLACECODE_TEST_OTHER_PROCESS") else { return };
    let store = Store::open(std::path::Path::new(&path)).expect("open");
    println!("visits={}", store.visit_count().expect("count"));
}

fn count_in_another_process(path: &std::path::Path) -> i64 {
    let out = std::process::Command::new(std::env::current_exe().expect("this test"))
        .args(["--exact", "reader_in_another_process", "--ignored", "--nocapture"])
        .env("PLACECODE_TEST_OTHER_PROCESS", path)
        .output()
        .expect("run the other process");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text.lines().find_map(|l| l.strip_prefix("visits=")).and_then(|n| n.trim().parse().ok()).expect(&text)
}

#[test]
fn another_process_opening_a_running_desks_database_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut desk = Store::open(&path).unwrap();
    let venue = desk.register_venue(&common::venue_input("鼓楼区幸福养老院", "中山路18号"), false).unwrap();
    desk.set_served_venue(&venue.id).unwrap();
    let op = desk.add_operator("张敏", "246813").unwrap();
    // The desk's other connections (今日登记's, the sync engine's), opened after the first.
    let _lists = Store::open(&path).unwrap();
    let mut made = 0;
    for round in 0..4 {
        for _ in 0..3 {
            let ctx = CheckInContext {
                operator_id: op.id.clone(),
                trip_code_checked: true,
                code: None,
                now: chrono::Utc::now(),
            };
            desk.declare(&common::person("李秀英", &common::resident_id(made)), &ctx).unwrap();
            made += 1;
        }
        assert_eq!(count_in_another_process(&path), made as i64, "round {round}: the other process");
        assert_eq!(Store::open(&path).unwrap().visit_count().unwrap(), made as i64, "round {round}: the desk");
    }
}
