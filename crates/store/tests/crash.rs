//! The store survives the desk being killed mid-write (issue: desk foundation, "survives a
//! crash"): a child process registers venues as fast as it can and reports each one after its
//! commit; it is killed with SIGKILL; the reopened file passes SQLite's integrity check and holds
//! every venue the child had reported.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use placecode_core::venue::VenueInput;
use placecode_store::Store;

const CHILD: &str = "PLACECODE_CRASH_CHILD_DB";

mod common;

fn venue(n: usize) -> VenueInput {
    common::venue_input(&format!("第{n}号超市"), &format!("中山路{n}号"))
}

/// The child's work: register venues until killed, printing each number once committed.
#[test]
fn child_writes_until_killed() {
    let Some(path) = std::env::var_os(CHILD) else { return };
    let mut store = Store::open(std::path::Path::new(&path)).expect("open");
    for n in 0.. {
        store.register_venue(&venue(n), true).expect("register");
        println!("committed {n}");
    }
}

#[test]
fn sigkill_mid_write_loses_nothing_that_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writes_until_killed", "--nocapture", "--test-threads=1"])
            .env(CHILD, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child");
        let mut last = None;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let target = 150 + round * 37;
        while let Some(Ok(line)) = lines.next() {
            if let Some(n) = line.strip_prefix("committed ").and_then(|n| n.parse::<usize>().ok()) {
                last = Some(n);
                if n >= target {
                    break;
                }
            }
        }
        // SIGKILL: no destructor, no flush, no checkpoint.
        child.kill().unwrap();
        child.wait().unwrap();
        let last = last.expect("the child committed something");

        let conn = placecode_store::raw_connection(&db).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok", "round {round}");
        drop(conn);
        let store = Store::open(&db).unwrap();
        let names: std::collections::HashSet<String> = store.venues("").unwrap().into_iter().map(|v| v.name).collect();
        for n in 0..=last {
            assert!(names.contains(&format!("第{n}号超市")), "round {round}: venue {n} was committed but is gone");
        }
        // Each round starts its numbering again, so later rounds hit 一所一码 for old names;
        // move the file aside to keep rounds independent.
        drop(store);
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
}
