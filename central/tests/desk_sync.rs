//! The desk's real store and sync client against the real central server on PostgreSQL, with a
//! fault-injecting proxy between them: dropped connections mid-request and mid-response, 500s, a
//! slow link, the server killed and restarted mid-batch, the desk killed mid-sync, a desk clock
//! hours off. After each run the server holds every record exactly once with unchanged content,
//! and the desk shows nothing pending.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::resident_id;
use placecode_core::checkin::DeclarationInput;
use placecode_core::code::SigningKey;
use placecode_core::sync::Record;
use placecode_core::venue::VenueInput;
use placecode_store::Store;
use placecode_store::{CheckInContext, IncidentInput, IncidentStatus};
use placecode_sync_client::{Failure, SyncEngine};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// The real server binary on its own port and the test's database; killed with SIGKILL.
struct ServerProcess {
    child: Child,
    port: u16,
}

impl ServerProcess {
    /// Starts the server on `port` (0: any free one) and returns once it says it listens. Waiting
    /// for the port to answer was not enough: a port another test's server held answered with
    /// that server and its database (an enrolment token "not valid", once in CI).
    fn start(db_url: &str, port: u16, dir: &Path) -> ServerProcess {
        let secret = dir.join("secret.key");
        std::fs::write(&secret, SECRET).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_placecode-central"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db_url)
            .env("PLACECODE_SECRET_FILE", &secret)
            .env("PLACECODE_DB_CONNECTIONS", "4")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server binary");
        let port = common::bound_port(child.stdout.take().expect("stdout"))
            .unwrap_or_else(|e| panic!("server did not start on port {port}: {e}"));
        ServerProcess { child, port }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn test_db_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").unwrap();
    let db = pool.connect_options().get_database().unwrap_or("placecode").to_owned();
    format!("{}/{db}", base.rsplit_once('/').unwrap().0)
}

/// Faults the proxy plays, one per connection, in proportion to their weights.
#[derive(Clone, Copy, Debug)]
struct Weights {
    pass: u32,
    drop_request: u32,
    drop_response: u32,
    error_500: u32,
    slow: u32,
}

#[derive(Default)]
struct FaultCounts {
    connections: AtomicU64,
    dropped_requests: AtomicU64,
    dropped_responses: AtomicU64,
    errors: AtomicU64,
    slow: AtomicU64,
}

/// A TCP proxy in front of the server that breaks connections on purpose.
async fn proxy(target: u16, weights: Weights, counts: Arc<FaultCounts>, seed: Arc<AtomicU32>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            counts.connections.fetch_add(1, Ordering::Relaxed);
            // A small xorshift, so a failing run can be replayed from its seed.
            let mut x = seed.fetch_add(0x9E37_79B9, Ordering::Relaxed) | 1;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let total = weights.pass + weights.drop_request + weights.drop_response + weights.error_500 + weights.slow;
            let mut pick = x % total.max(1);
            let mut choose = |w: u32| {
                let hit = pick < w;
                pick = pick.saturating_sub(w);
                hit
            };
            let fault = if choose(weights.pass) {
                0
            } else if choose(weights.drop_request) {
                1
            } else if choose(weights.drop_response) {
                2
            } else if choose(weights.error_500) {
                3
            } else {
                4
            };
            let counts = counts.clone();
            tokio::spawn(async move { relay(client, target, fault, &counts).await });
        }
    });
    port
}

async fn relay(mut client: TcpStream, target: u16, fault: u8, counts: &FaultCounts) {
    match fault {
        1 => {
            // Mid-request: read part of it, then hang up; the server never sees it.
            let mut buf = [0u8; 512];
            let _ = client.read(&mut buf).await;
            counts.dropped_requests.fetch_add(1, Ordering::Relaxed);
        }
        3 => {
            let mut buf = vec![0u8; 1 << 16];
            let _ = client.read(&mut buf).await;
            let _ = client
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            counts.errors.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else { return };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let slow = fault == 4;
            if slow {
                counts.slow.fetch_add(1, Ordering::Relaxed);
            }
            let up = tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if slow {
                                // A slow uplink: 16 KB every 50 ms.
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match sr.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if fault == 2 {
                            // Mid-response: the server answered (and committed); the desk never hears.
                            counts.dropped_responses.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            }
            up.abort();
        }
    }
}

/// A desk with a venue, a code, an operator and `n` check-ins (every 25th refused and reported,
/// and moved on once), all made offline.
fn desk_with_backlog(dir: &Path, n: u64, seed: u64) -> (PathBuf, SigningKey) {
    let db = dir.join("desk.sqlite3");
    let key = placecode_store::keys::load_or_create(&dir.join("desk-signing.key")).unwrap();
    let mut store = Store::open(&db).unwrap();
    let venue = store
        .register_venue(
            &VenueInput {
                kind: "general".into(),
                category: "mall".into(),
                name: format!("鼓楼超市{seed}"),
                district: "gulou".into(),
                address: format!("鼓楼区中山路{}号", 1 + seed % 900),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            true,
        )
        .unwrap();
    store.set_served_venue(&venue.id).unwrap();
    store.issue_code(&venue.id, "正门", &key).unwrap();
    let op = store.add_operator("张敏", "246813").unwrap();
    for i in 0..n {
        let ctx = CheckInContext { operator_id: op.id.clone(), trip_code_checked: true, code: None, now: Utc::now() };
        let refuse = i % 25 == 0;
        let input = DeclarationInput {
            document_kind: None,
            name: "王'; DROP TABLE visits;--".chars().take(1).collect::<String>() + "建国",
            id_number: resident_id(seed * 100_000 + i),
            address: "开封市鼓楼区中山路1号".into(),
            phone: String::new(),
            visited_risk_area: Some(false),
            contact_with_suspected: Some(refuse),
            temperature_normal: Some(true),
            temperature: String::new(),
        };
        let r = store.declare(&input, &ctx).unwrap();
        if refuse {
            let inc = store
                .report_incident(
                    &r.visit_id,
                    &IncidentInput { held_at: "东门隔离点".into(), reported_to: "鼓楼区疾控".into() },
                    &ctx,
                )
                .unwrap();
            store.advance_incident(&inc.id, IncidentStatus::Reported, "已电话告知社区", Utc::now()).unwrap();
        }
    }
    (db, key)
}

/// Every record the desk queued is on the server exactly once with the same content, the desk
/// has nothing pending, and the server holds nothing else. Returns the number of records.
async fn assert_exactly_once(pool: &PgPool, db: &Path) -> usize {
    let n = assert_exactly_once_for_desk(pool, db).await;
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(pool).await.unwrap();
    assert_eq!(all as usize, n, "the server holds records the desk never made");
    n
}

/// Syncs until the outbox is empty, as the background task would (without its waits).
async fn drain(engine: &SyncEngine, limit: Duration) -> (u32, u32) {
    let deadline = Instant::now() + limit;
    let (mut ok, mut failed) = (0, 0);
    loop {
        match engine.sync_once().await {
            Ok(_) => {
                ok += 1;
                if engine.status().unwrap().pending == 0 {
                    return (ok, failed);
                }
            }
            Err(f) => {
                assert!(f.retryable(), "unexpected failure {f:?}");
                failed += 1;
            }
        }
        assert!(Instant::now() < deadline, "did not drain in {limit:?} ({ok} ok, {failed} failed)");
    }
}

async fn enrol(engine: &SyncEngine, pool: &PgPool, url: &str, key: &SigningKey) {
    let token = placecode_central::enrol::make_token(pool, &[], &["gulou".into()], None, "").await.unwrap();
    engine.enrol(url, &token, "东门登记台", None, key).await.unwrap();
}

#[sqlx::test]
async fn dropped_connections_500s_and_a_slow_link_lose_and_double_nothing(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&test_db_url(&pool), 0, dir.path());
    let counts = Arc::new(FaultCounts::default());
    let seed = Arc::new(AtomicU32::new(20261127));
    let weights = Weights { pass: 4, drop_request: 2, drop_response: 2, error_500: 2, slow: 1 };
    let port = proxy(server.port, weights, counts.clone(), seed).await;
    let url = format!("http://127.0.0.1:{port}");
    let mut total_records = 0;
    let runs = 30;
    for run in 0..runs {
        let desk_dir = dir.path().join(format!("desk{run}"));
        std::fs::create_dir_all(&desk_dir).unwrap();
        let (db, key) = desk_with_backlog(&desk_dir, 150, run + 1);
        let engine = SyncEngine::new(&db);
        // Enrolment crosses the faulty link too: a lost answer is retried with the same token.
        let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.unwrap();
        let mut tries = 0;
        while let Err(f) = engine.enrol(&url, &token, "东门登记台", None, &key).await {
            assert!(f.retryable(), "{f:?}");
            tries += 1;
            assert!(tries < 50);
        }
        drain(&engine, Duration::from_secs(120)).await;
        total_records += assert_exactly_once_for_desk(&pool, &db).await;
    }
    server.kill();
    eprintln!(
        "faults: {runs} runs, {total_records} records, {} connections: {} dropped mid-request, {} dropped mid-response, {} answered 500, {} slow; lost 0, doubled 0",
        counts.connections.load(Ordering::Relaxed),
        counts.dropped_requests.load(Ordering::Relaxed),
        counts.dropped_responses.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed),
        counts.slow.load(Ordering::Relaxed),
    );
    assert!(
        counts.dropped_responses.load(Ordering::Relaxed) > 0 && counts.dropped_requests.load(Ordering::Relaxed) > 0
    );
}

/// The exactly-once check for one desk among several on the same server.
async fn assert_exactly_once_for_desk(pool: &PgPool, db: &Path) -> usize {
    let desk_id = Store::open(db).unwrap().desk_id().unwrap();
    let desk = uuid::Uuid::parse_str(&desk_id).unwrap();
    let conn = placecode_store::raw_connection(db).unwrap();
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT record, state FROM outbox")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(rows.iter().all(|(_, s)| s == "sent"), "the desk still has records not acknowledged");
    let server: Vec<(uuid::Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, digest FROM records WHERE desk_id = $1").bind(desk).fetch_all(pool).await.unwrap();
    let server: std::collections::HashMap<_, _> = server.into_iter().collect();
    for (text, _) in &rows {
        let r: Record = serde_json::from_str(text).unwrap();
        let digest = server.get(&uuid::Uuid::parse_str(&r.id).unwrap()).unwrap_or_else(|| panic!("lost {}", r.id));
        assert_eq!(&digest[..], &r.digest()[..], "changed {}", r.id);
    }
    assert_eq!(server.len(), rows.len());
    let visits_desk: i64 = conn.query_row("SELECT count(*) FROM visits", [], |r| r.get(0)).unwrap();
    let visits_server: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE desk_id = $1").bind(desk).fetch_one(pool).await.unwrap();
    assert_eq!(visits_desk, visits_server);
    let unsynced: i64 =
        conn.query_row("SELECT count(*) FROM visits WHERE sync_state <> 'synced'", [], |r| r.get(0)).unwrap();
    assert_eq!(unsynced, 0);
    rows.len()
}

#[sqlx::test]
async fn the_server_killed_and_restarted_mid_batch(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = test_db_url(&pool);
    let mut server = ServerProcess::start(&db_url, 0, dir.path());
    let port = server.port;
    let (db, key) = desk_with_backlog(dir.path(), 1500, 7);
    let engine = SyncEngine::new(&db);
    enrol(&engine, &pool, &format!("http://127.0.0.1:{port}"), &key).await;
    let mut restarts = 0;
    for round in 0..10u64 {
        let e2 = SyncEngine::new(&db);
        let sync = tokio::spawn(async move { e2.sync_once().await });
        // Kill it while batches are in flight.
        tokio::time::sleep(Duration::from_millis(40 + round * 25)).await;
        server.kill();
        let _ = sync.await;
        server = ServerProcess::start(&db_url, port, dir.path());
        restarts += 1;
    }
    drain(&engine, Duration::from_secs(120)).await;
    let n = assert_exactly_once(&pool, &db).await;
    eprintln!("server restarts: {restarts} kills mid-sync, {n} records, lost 0, doubled 0");
}

const CHILD: &str = "PLACECODE_SYNC_CHILD_DB";

/// The child's work: sync the desk at $PLACECODE_SYNC_CHILD_DB until killed.
#[test]
fn child_syncs_until_killed() {
    let Some(db) = std::env::var_os(CHILD) else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let engine = SyncEngine::new(Path::new(&db));
        loop {
            let r = engine.sync_once().await;
            println!("synced {r:?}");
        }
    });
}

#[sqlx::test]
async fn the_desk_killed_mid_sync_resumes_from_its_outbox(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&test_db_url(&pool), 0, dir.path());
    let port = server.port;
    let (db, key) = desk_with_backlog(dir.path(), 12_000, 9);
    let engine = SyncEngine::new(&db);
    enrol(&engine, &pool, &format!("http://127.0.0.1:{port}"), &key).await;
    let total: i64 = placecode_store::raw_connection(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    let mut kills = 0;
    for round in 0..8u64 {
        // Half the backlog through: enough kills, and enough left to drain after the last.
        let through: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(&pool).await.unwrap();
        if through > total / 2 {
            break;
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_syncs_until_killed", "--nocapture", "--test-threads=1"])
            .env(CHILD, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        // Killed once its pushes are landing (a loaded machine takes longer to start the child,
        // and a fixed delay there killed it before it sent anything), a little later each round.
        let landed: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(&pool).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let now: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(&pool).await.unwrap();
            if now > landed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(round * 10)).await;
        // SIGKILL: mid-request, mid-acknowledgement, or between batches.
        child.kill().unwrap();
        child.wait().unwrap();
        drop(BufReader::new(out).lines());
        kills += 1;
        let conn = placecode_store::raw_connection(&db).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
    }
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(&pool).await.unwrap();
    assert!(kills >= 1, "no kill landed");
    assert!(before > 0 && before < total, "the kills landed mid-backlog: {before} of {total} through");
    drain(&engine, Duration::from_secs(120)).await;
    let n = assert_exactly_once(&pool, &db).await;
    eprintln!("desk kills ({before} records were through before the last restart): {kills} SIGKILLs mid-sync, {n} records, lost 0, doubled 0");
}

/// The status bar follows a drain batch by batch, and ends on what the store holds. (Each batch's
/// answer once counted the whole outbox again: a week's backlog took four times as long.)
#[sqlx::test]
async fn the_screens_hear_a_drain_batch_by_batch_and_its_end(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&test_db_url(&pool), 0, dir.path());
    let port = server.port;
    let (db, key) = desk_with_backlog(dir.path(), 3_000, 12);
    let engine = SyncEngine::new(&db);
    enrol(&engine, &pool, &format!("http://127.0.0.1:{port}"), &key).await;
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let h = heard.clone();
    engine.on_change(move |s| h.lock().unwrap().push((s.syncing, s.progress.map(|p| (p.done, p.total)), s.pending)));
    drain(&engine, Duration::from_secs(120)).await;
    let heard = heard.lock().unwrap().clone();
    let progress: Vec<(i64, i64)> = heard.iter().filter_map(|(_, p, _)| *p).collect();
    assert!(progress.len() >= 3, "a batch answered is a step on the bar: {heard:?}");
    assert!(progress.windows(2).all(|w| w[0].0 <= w[1].0), "the bar only moves forward: {progress:?}");
    let total = progress[0].1;
    assert!(total > 3_000 && progress.iter().any(|&(done, _)| done == total), "{progress:?}");
    // What waits and what is answered add up at every step (the count of what waits, read once a
    // second, once lagged behind the progress: "未同步 7003 条" beside "18001/20001").
    for (_, p, pending) in &heard {
        if let Some((done, total)) = p {
            assert_eq!(pending + done, *total, "{heard:?}");
        }
    }
    assert_eq!(heard.last().copied(), Some((false, None, 0)), "the end: nothing waits, {heard:?}");
    assert_exactly_once(&pool, &db).await;
}

#[sqlx::test]
async fn a_desk_clock_hours_off_still_syncs_and_a_day_off_is_refused(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&test_db_url(&pool), 0, dir.path());
    let port = server.port;
    let (db, key) = desk_with_backlog(dir.path(), 40, 11);
    let url = format!("http://127.0.0.1:{port}");
    let wrong = SyncEngine::with_clock_skew(&db, chrono::Duration::hours(30));
    enrol(&wrong, &pool, &url, &key).await;
    let f = wrong.sync_once().await.unwrap_err();
    assert_eq!(f, Failure::ClockSkew);
    let status = wrong.status().unwrap();
    assert!(status.error.as_ref().unwrap().message.contains("校准本机时间"));
    assert!(status.pending > 0);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM records").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 0);
    // Three hours off: synced, and the offset is measured and shown.
    let off = SyncEngine::with_clock_skew(&db, chrono::Duration::hours(-3));
    drain(&off, Duration::from_secs(60)).await;
    let status = off.status().unwrap();
    let offset = status.clock_offset_ms.unwrap();
    assert!((offset - 3 * 3600 * 1000).abs() < 5000, "{offset}");
    let server_offset: i64 = sqlx::query_scalar("SELECT clock_offset_ms FROM desks").fetch_one(&pool).await.unwrap();
    assert!((server_offset - 3 * 3600 * 1000).abs() < 5000, "{server_offset}");
    assert_exactly_once(&pool, &db).await;
}

#[sqlx::test]
async fn two_desks_at_one_venue_see_each_others_check_ins(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&test_db_url(&pool), 0, dir.path());
    let port = server.port;
    let url = format!("http://127.0.0.1:{port}");
    let a_dir = dir.path().join("a");
    std::fs::create_dir_all(&a_dir).unwrap();
    let (a_db, a_key) = desk_with_backlog(&a_dir, 5, 21);
    let a = SyncEngine::new(&a_db);
    enrol(&a, &pool, &url, &a_key).await;
    drain(&a, Duration::from_secs(30)).await;
    let venue = Store::open(&a_db).unwrap().served_venue().unwrap().unwrap();
    // Desk B joins the same venue by its id, with a token for that venue.
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let b_db = b_dir.join("desk.sqlite3");
    let b_key = placecode_store::keys::load_or_create(&b_dir.join("k")).unwrap();
    let token =
        placecode_central::enrol::make_token(&pool, &[uuid::Uuid::parse_str(&venue.id).unwrap()], &[], None, "")
            .await
            .unwrap();
    let b = SyncEngine::new(&b_db);
    b.enrol(&url, &token, "西门登记台", None, &b_key).await.unwrap();
    b.sync_once().await.unwrap();
    let b_store = Store::open(&b_db).unwrap();
    assert_eq!(b_store.sync_status().unwrap().venues.len(), 1);
}
