//! `make bench-central` (second part): a desk offline for a week with 1,000,000 records waiting
//! drains to the central server over loopback, while the desk keeps checking people in on its
//! own connection. Baseline in the same run: check-in latency with no sync running.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use placecode_central::{App, Keys, ServeConfig};
use placecode_core::checkin::DeclarationInput;
use placecode_core::venue::VenueInput;
use placecode_store::CheckInContext;
use placecode_store::Store;
use placecode_sync_client::SyncEngine;

/// The records waiting: a million, or `PLACECODE_BENCH_BACKLOG` (a quicker loop while tuning).
fn backlog() -> u64 {
    std::env::var("PLACECODE_BENCH_BACKLOG").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn resident_id(seed: u64) -> String {
    let body = format!(
        "4102{:02}{}{:02}{:02}{:03}",
        seed % 90 + 10,
        1950 + seed / 36_000 % 50,
        1 + seed / 1000 % 12,
        1 + seed % 28,
        seed % 1000
    );
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// Check-ins on the desk's own connection: the latency of each, in ms.
fn check_ins(db: &std::path::Path, n: usize, offset: u64) -> Vec<f64> {
    let mut store = Store::open(db).expect("store");
    let op = store.operators().expect("ops").into_iter().next().expect("operator");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ctx = CheckInContext { operator_id: op.id.clone(), trip_code_checked: true, code: None, now: Utc::now() };
        let input = DeclarationInput {
            name: "李四".into(),
            document_kind: None,
            id_number: resident_id(5_000_000 + offset + i as u64),
            address: "开封市鼓楼区中山路1号".into(),
            visited_risk_area: Some(false),
            contact_with_suspected: Some(false),
            temperature_normal: Some(true),
            ..Default::default()
        };
        let t = Instant::now();
        store.declare(&input, &ctx).expect("declare");
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(20));
    }
    out
}

fn p(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * q) as usize]
}

#[tokio::main]
async fn main() {
    let pool = common::fresh_database("placecode_drain", 16).await;
    let listener = placecode_central::listen("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let cfg = ServeConfig {
        listen: String::new(),
        rate_ip_per_minute: 1_000_000,
        rate_code_per_minute: 1_000_000,
        overdue_hours: 12,
        // Every request a new person from one address: the phone page's daily limits lifted.
        phone_new_ids_per_day: i32::MAX,
        address_new_ids_per_day: i32::MAX,
        address_on_file_per_day: i32::MAX,
        ..ServeConfig::default()
    };
    let app = App::new(pool.clone(), Keys::from_secret(&[3u8; 32]), &base, &cfg);
    tokio::spawn(async move {
        axum::serve(
            listener,
            placecode_central::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve")
    });

    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("desk.sqlite3");
    let key = placecode_store::keys::load_or_create(&dir.path().join("k")).expect("key");
    let mut store = Store::open(&db).expect("store");
    let venue = store
        .register_venue(
            &VenueInput {
                kind: "general".into(),
                category: "railway_station".into(),
                name: "开封站".into(),
                district: "gulou".into(),
                address: "鼓楼区中山路北段1号".into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            true,
        )
        .expect("venue");
    store.set_served_venue(&venue.id).expect("served");
    store.add_operator("张敏", "246813").expect("operator");
    let engine = SyncEngine::new(&db);
    let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.expect("token");
    engine.enrol(&base, &token, "开封站登记台", None, &key).await.expect("enrol");
    engine.sync_once().await.expect("first sync");

    // A week offline at a busy station: 1,000,000 check-ins waiting, written as the desk writes
    // them (visit, person, outbox row), in bulk.
    let started = Instant::now();
    let op = store.operators().expect("ops").remove(0);
    let mut done = 0u64;
    let backlog = backlog();
    while done < backlog {
        let n = 50_000.min(backlog - done);
        store
            .with_transaction(|tx| {
                for i in done..done + n {
                    let pid = uuid::Uuid::now_v7().to_string();
                    let number = resident_id(i);
                    tx.execute(
                        "INSERT INTO people (id, id_number, last4, birth_year, name, address, created_at, updated_at)
                         VALUES (?1, ?2, ?3, 1980, '王五', '开封市鼓楼区中山路1号', ?4, ?4) ON CONFLICT DO NOTHING",
                        rusqlite::params![pid, number, &number[14..], Utc::now().to_rfc3339()],
                    )?;
                    let vid = uuid::Uuid::now_v7().to_string();
                    let at = (Utc::now() - chrono::Duration::seconds(((backlog - i) / 2) as i64)).to_rfc3339();
                    tx.execute(
                        "INSERT INTO visits (id, person_id, venue_id, way_in, operator_id, trip_code_checked, colour, health_code,
                            reasons, at, desk_id)
                         SELECT ?1, id, ?2, 'last4', ?3, 1, 'green', 'green', '[]', ?4, 'bench' FROM people WHERE id_number = ?5",
                        rusqlite::params![vid, venue.id, op.id, at, number],
                    )?;
                    placecode_store::bench_enqueue_visit(tx, &vid)?;
                }
                Ok(())
            })
            .expect("backlog");
        done += n;
    }
    let status = engine.status().expect("status");
    println!("machine: 2 cores; date {}", Utc::now().date_naive());
    println!("backlog written: {} records waiting, in {:.0} s", status.pending, started.elapsed().as_secs_f64());

    // Baseline: check-ins on the desk with no sync running.
    let db2 = db.clone();
    let mut idle = tokio::task::spawn_blocking(move || check_ins(&db2, 200, 0)).await.expect("idle");
    println!(
        "baseline check-in while idle: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p(&mut idle, 0.5),
        p(&mut idle, 0.99),
        p(&mut idle, 1.0)
    );

    // The drain, with check-ins going on beside it.
    let db3 = db.clone();
    let during = tokio::task::spawn_blocking(move || check_ins(&db3, 400, 1000));
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        engine.sync_once().await.expect("sync");
        rounds += 1;
        if engine.status().expect("status").pending == 0 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let mut during = during.await.expect("during");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM visits").fetch_one(&pool).await.expect("count");
    println!(
        "drained {backlog} waiting records in {secs:.1} s ({:.0} records/s, {rounds} sync rounds); server holds {stored} visits",
        backlog as f64 / secs
    );
    println!(
        "check-in on the desk during the drain: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p(&mut during, 0.5),
        p(&mut during, 0.99),
        p(&mut during, 1.0)
    );
}
