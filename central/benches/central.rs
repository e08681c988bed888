//! `make bench-central`: the central server measured on this machine against its real PostgreSQL.
//!
//! 1. Phone check-in of a returning visitor (four digits), driven by wrk over loopback, with
//!    `/healthz` on the same server as the baseline: with 32 connections, and with as many
//!    phones waiting at once as a rush of 10,000 a second holds in flight.
//! 2. Push ingest in batches of 1,000 visits, with a re-push of the same batches (all duplicates)
//!    as the baseline.
//! 3. The overlap query (时空伴随) over 10 million visits, with the person query as the baseline.
//!
//! Uses its own database `placecode_bench` in the cluster at DATABASE_URL (dropped first).

mod common;

use std::process::Command;
use std::time::Instant;

use chrono::Utc;
use placecode_central::{App, Keys, ServeConfig};
use placecode_core::code::SigningKey;
use placecode_core::sync::{PushResponse, Record, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

const VISITS: i64 = 10_000_000;

fn resident_id(seed: u64) -> String {
    resident_id_in("410202", seed)
}

/// A valid resident ID in `region`: distinct regions never collide.
fn resident_id_in(region: &str, seed: u64) -> String {
    let year = 1950 + (seed / 100_000 % 50);
    let month = 1 + (seed / 1000 % 12);
    let day = 1 + (seed % 28);
    let serial = seed % 1000;
    let body = format!("{region}{year}{month:02}{day:02}{serial:03}");
    format!("{body}{}", placecode_core::identity::check_character(body.as_bytes()).unwrap_or('0'))
}

fn visit(venue: Uuid, seed: u64) -> Record {
    Record {
        id: Uuid::now_v7().to_string(),
        kind: RecordKind::Visit,
        written_at: Utc::now(),
        clock_offset_ms: 0,
        body: json!({
            "venue_id": venue, "way_in": "last4", "colour": "green", "health_code": "green", "reasons": [],
            "at": Utc::now() - chrono::Duration::seconds((seed % 86_400) as i64),
            "person": {"document_number": resident_id(seed), "name": "张三", "address": "开封市鼓楼区中山路1号", "phone": "13837800002"},
        }),
    }
}

async fn database() -> PgPool {
    common::fresh_database("placecode_bench", 24).await
}

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    requests: u64,
    max_ms: f64,
    /// Socket errors and timeouts (wrk's "Socket errors" line).
    errors: u64,
}

fn ms(s: &str) -> f64 {
    let s = s.trim();
    if let Some(v) = s.strip_suffix("us") {
        v.parse::<f64>().unwrap_or(0.0) / 1000.0
    } else if let Some(v) = s.strip_suffix("ms") {
        v.parse().unwrap_or(0.0)
    } else if let Some(v) = s.strip_suffix('s') {
        v.parse::<f64>().unwrap_or(0.0) * 1000.0
    } else {
        0.0
    }
}

fn wrk(url: &str, script: Option<&std::path::Path>, connections: u32, secs: u32) -> Wrk {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", &format!("-c{connections}"), &format!("-d{secs}s"), "--latency"]);
    if let Some(s) = script {
        cmd.args(["-s", s.to_str().expect("path")]);
    }
    let out = cmd.arg(url).output().expect("wrk (make bench-central installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| text.lines().find(|l| l.trim_start().starts_with(prefix)).map(|l| l.trim().to_owned());
    let rps = field("Requests/sec:").and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0.0);
    let p50 = field("50%").map(|l| ms(l.split_whitespace().nth(1).unwrap_or(""))).unwrap_or(0.0);
    let p99 = field("99%").map(|l| ms(l.split_whitespace().nth(1).unwrap_or(""))).unwrap_or(0.0);
    let non_2xx = field("Non-2xx").and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0);
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let max_ms = field("Latency").map(|l| ms(l.split_whitespace().nth(3).unwrap_or(""))).unwrap_or(0.0);
    let errors = field("Socket errors:")
        .map(|l| l.split(',').filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Wrk { rps, p50_ms: p50, p99_ms: p99, non_2xx, requests, max_ms, errors }
}

/// Phones mid-request at once in the open-loop run.
const OPEN_LOOP_IN_FLIGHT: usize = 1024;

/// What an open-loop run saw.
struct OpenLoop {
    accepted: u64,
    waiting: u64,
    server_errors: u64,
    failed: u64,
    /// Arrivals the generator could not send (all its slots busy).
    unsent: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Phones arriving at `rate` a second for `secs` seconds, each sending its four digits once
/// (a new one-time token each), answered or not: the load does not wait for the server.
async fn open_loop(url: &str, cookie: &str, body: &str, rate: u32, secs: u32) -> OpenLoop {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(5))
        .pool_max_idle_per_host(OPEN_LOOP_IN_FLIGHT)
        .build()
        .expect("client");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<u16>, f64)>();
    let started = tokio::time::Instant::now();
    let total = u64::from(rate) * u64::from(secs);
    // At most this many phones mid-request at once: past it an arrival is not sent (counted), so
    // the generator cannot bury the machine under sockets of its own.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(OPEN_LOOP_IN_FLIGHT));
    let mut unsent = 0;
    for i in 0..total {
        let due = started + std::time::Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(due).await;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            unsent += 1;
            continue;
        };
        let (client, tx) = (client.clone(), tx.clone());
        let (url, cookie) = (url.to_owned(), cookie.to_owned());
        let form = format!("{body}{:08x}-0000-4000-8000-{i:012x}", 3);
        tokio::spawn(async move {
            let t = Instant::now();
            let status = client
                .post(&url)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16());
            let _ = tx.send((status, t.elapsed().as_secs_f64() * 1000.0));
            drop(slot);
        });
    }
    drop(tx);
    let (mut accepted, mut waiting, mut server_errors, mut failed) = (0, 0, 0, 0);
    let mut latencies = Vec::with_capacity(total as usize);
    while let Some((status, ms)) = rx.recv().await {
        match status {
            Some(303) => accepted += 1,
            Some(429) => waiting += 1,
            Some(s) if s >= 500 => server_errors += 1,
            Some(_) => {}
            None => failed += 1,
        }
        if status.is_some() {
            latencies.push(ms);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    OpenLoop { accepted, waiting, server_errors, failed, unsent, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
}

#[tokio::main]
async fn main() {
    let pool = database().await;
    let keys = Keys::from_secret(&[7u8; 32]);
    // As `serve` listens: a rush's connections held by the kernel until they are accepted.
    // `PLACECODE_BENCH_BACKLOG=1024` measures the baseline (tokio's default).
    let backlog = std::env::var("PLACECODE_BENCH_BACKLOG")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(placecode_central::LISTEN_BACKLOG);
    let listener = placecode_central::listen_with_backlog("127.0.0.1:0", backlog).await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let cfg = ServeConfig {
        listen: String::new(),
        rate_ip_per_minute: 10_000_000,
        rate_code_per_minute: 10_000_000,
        overdue_hours: 12,
        // Every request a new person from one address: the phone page's daily limits lifted.
        phone_new_ids_per_day: i32::MAX,
        address_new_ids_per_day: i32::MAX,
        address_on_file_per_day: i32::MAX,
        // wrk's connections all come from 127.0.0.1: counted as many phones, not one client.
        max_per_client: 100_000,
        ..ServeConfig::default()
    };
    let app = App::new(pool.clone(), keys.clone(), &base, &cfg);
    // As `serve` does: the venue codes held in memory.
    app.hold_codes();
    let codes = app.codes.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            placecode_central::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve")
    });
    let http = reqwest::Client::builder().cookie_store(true).build().expect("client");

    // A desk, its venue and code.
    let token =
        placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "bench").await.expect("token");
    let key = SigningKey::generate().expect("key");
    let enrol: serde_json::Value = http
        .post(format!("{base}/api/v1/enrol"))
        .json(&json!({"token": token, "desk_id": Uuid::now_v7(), "desk_name": "压测", "code_key": {"id": key.id, "secret_hex": hex::encode(key.secret())}}))
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("enrol json");
    let credential = enrol["credential"].as_str().expect("credential").to_owned();
    let venue = Uuid::now_v7();
    let code = key.sign(CodeKind::General, 1);
    let push = |records: Vec<Record>| {
        let http = http.clone();
        let credential = credential.clone();
        let base = base.clone();
        async move {
            let res = http
                .post(format!("{base}/api/v1/push"))
                .bearer_auth(credential)
                .json(&json!({"batch_id": "bench", "records": records}))
                .send()
                .await
                .expect("push");
            res.json::<PushResponse>().await.expect("push json")
        }
    };
    let setup = vec![
        Record {
            id: Uuid::now_v7().to_string(),
            kind: RecordKind::Venue,
            written_at: Utc::now(),
            clock_offset_ms: 0,
            body: json!({"venue_id": venue, "kind": "general", "category": "mall", "name": "压测超市", "district": "gulou",
                "address": "鼓楼区中山路100号", "manager_name": "王建国", "manager_phone": "13837800001"}),
        },
        Record {
            id: Uuid::now_v7().to_string(),
            kind: RecordKind::Code,
            written_at: Utc::now(),
            clock_offset_ms: 0,
            body: json!({"code": code, "venue_id": venue, "label": "正门"}),
        },
    ];
    push(setup).await;
    for _ in 0..100 {
        if codes.warm() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(codes.warm(), "the venue codes are held in memory");

    // 1. Phone check-in, returning visitor: a phone (its cookie) declares once, then wrk sends
    // its four digits.
    // Not following the redirect: the answer itself says whether the check-in was stored.
    let phone = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let first = phone.get(format!("{base}/c/{code}")).send().await.expect("page");
    let jar_cookie = first
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or("").to_owned())
        .expect("a cookie");
    let page = first.text().await.expect("html");
    let i = page.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let csrf = page[i..i + 32].to_owned();
    let me = resident_id(1);
    let once = uuid::Uuid::now_v7().to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("once", once.as_str()),
        ("action", "declare"),
        ("name", "王建国"),
        ("id_number", &me),
        ("address", "开封市鼓楼区中山路1号"),
        ("phone", ""),
        ("visited_risk_area", "no"),
        ("contact_with_suspected", "no"),
        ("temperature_normal", "yes"),
        ("temperature", ""),
    ];
    let r =
        phone.post(format!("{base}/c/{code}")).header("cookie", &jar_cookie).form(&form).send().await.expect("declare");
    assert_eq!(r.status(), 303, "a check-in answers with its result page");
    // Each form carries a new one-time token (a resent form stores nothing): the script makes one
    // per request, as each phone's page does.
    let body = format!("csrf={csrf}&action=last4&last4={}&once=", &me[14..]);
    let check = phone
        .post(format!("{base}/c/{code}"))
        .header("cookie", &jar_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{body}{}", uuid::Uuid::now_v7()))
        .send()
        .await
        .expect("last4");
    assert_eq!(check.status(), 303, "four digits check in");
    // Each run of wrk its own script: a run, a thread and a request count name each token.
    let script_for = |run: u32| {
        let path = std::env::temp_dir().join(format!("placecode-bench-last4-{run}.lua"));
        std::fs::write(
            &path,
            format!(
                "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\nwrk.headers[\"Cookie\"] = \"{jar_cookie}\"\n\
                 local threads = 0\nfunction setup(thread)\n  threads = threads + 1\n  thread:set(\"tid\", threads)\nend\n\
                 local n = 0\nrequest = function()\n  n = n + 1\n  local once = string.format(\"{run:08x}-0000-4000-8000-%04x%08x\", tid, n)\n  return wrk.format(nil, nil, nil, \"{body}\" .. once)\nend\n"
            ),
        )
        .expect("lua");
        path
    };
    let script = script_for(1);
    let url = format!("{base}/c/{code}");
    let (base2, url2, script2, script_rush) = (base.clone(), url.clone(), script.clone(), script_for(4));
    // `PLACECODE_BENCH_ONLY=phone` or `=push`: one part alone (a quicker loop while tuning it).
    let only = std::env::var("PLACECODE_BENCH_ONLY").unwrap_or_default();
    // Phones waiting at once at a rush: 10,000 check-ins a second answered in about 20 ms are
    // 200 in flight (Little's law), which 32 connections cannot be. `PLACECODE_BENCH_RUSH` to vary.
    let rush: u32 = std::env::var("PLACECODE_BENCH_RUSH").ok().and_then(|n| n.parse().ok()).unwrap_or(192);
    let capacity = if only == "push" {
        0.0
    } else {
        // A forged code: well formed, signed by no desk the centre knows.
        let forged = format!("{base}/c/{}", SigningKey::generate().expect("key").sign(CodeKind::General, 1));
        let (health, phone, at_rush, forged) = tokio::task::spawn_blocking(move || {
            let health = wrk(&format!("{base2}/healthz"), None, 32, 10);
            let phone = wrk(&url2, Some(&script2), 32, 20);
            let at_rush = wrk(&url2, Some(&script_rush), rush, 20);
            let forged = wrk(&forged, None, 32, 10);
            (health, phone, at_rush, forged)
        })
        .await
        .expect("wrk");
        let checked_in: i64 = sqlx::query_scalar("SELECT count(*) FROM visits WHERE way_in = 'last4'")
            .fetch_one(&pool)
            .await
            .expect("count");
        println!(
            "machine: {} cores; date {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            Utc::now().date_naive()
        );
        println!(
            "baseline GET /healthz: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            health.rps, health.p50_ms, health.p99_ms
        );
        println!(
            "phone check-in (four digits, 32 phones at once): {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, non-2xx {}; \
             at a rush ({rush} phones at once): {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, non-2xx {}; visits written \
             {checked_in} for {} requests",
            phone.rps,
            phone.p50_ms,
            phone.p99_ms,
            phone.non_2xx,
            at_rush.rps,
            at_rush.p50_ms,
            at_rush.p99_ms,
            at_rush.non_2xx,
            phone.requests + at_rush.requests
        );

        println!(
            "forged code (refused with 404): {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, answered 404 {} of {}",
            forged.rps, forged.p50_ms, forged.p99_ms, forged.non_2xx, forged.requests
        );
        phone.rps
    };

    // 2. Push ingest, batches of 1,000, four desks' worth of concurrency.
    let batches: Vec<Vec<Record>> =
        (0..60u64).map(|b| (0..1000u64).map(|i| visit(venue, 1_000 + b * 1000 + i)).collect()).collect();
    let rounds = if only == "phone" { 0 } else { 1 };
    for (label, rounds) in
        [("push ingest (new records)", rounds), ("baseline: the same batches again (duplicates)", rounds)]
    {
        if rounds == 0 {
            continue;
        }
        let started = Instant::now();
        let mut stored = 0usize;
        for _ in 0..rounds {
            for chunk in batches.chunks(4) {
                let answers = futures_join(chunk.iter().map(|b| push(b.clone())).collect()).await;
                stored += answers.iter().map(|a| a.results.len()).sum::<usize>();
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!("{label}: {stored} records in {secs:.2} s = {:.0} records/s", stored as f64 / secs);
    }

    if only == "push" {
        return;
    }

    // After push ingest: what an overload leaves behind (connections closing, tuples to vacuum)
    // would slow it.
    // 2b. Overload: far more phones at once than the server serves at once (1,536 connections
    // against 512 requests in flight). The excess is told to wait (排队中); every check-in
    // acknowledged (303) is stored, and nothing else is (a shed form stored nothing).
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE way_in = 'last4'").fetch_one(&pool).await.expect("count");
    let (url3, script3) = (url.clone(), script_for(2));
    let over = tokio::task::spawn_blocking(move || wrk(&url3, Some(&script3), 1536, 15)).await.expect("wrk");
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE way_in = 'last4'").fetch_one(&pool).await.expect("count");
    let accepted = over.requests - over.non_2xx;
    println!(
        "overload, 1,536 connections for 15 s (listen backlog {backlog}): offered {:.0} req/s, checked in {:.0}/s, told to wait {:.0}/s, \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, other errors {}; visits written {} for {accepted} acknowledged",
        over.rps,
        accepted as f64 / 15.0,
        over.non_2xx as f64 / 15.0,
        over.p50_ms,
        over.p99_ms,
        over.max_ms,
        over.errors,
        after - before,
    );

    // 2c. Three times capacity, open loop: phones arrive at three times the rate the phone step
    // measured whatever the server answers (a phone told to wait comes back later, not here).
    let rate = (capacity * 3.0).max(100.0) as u32;
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE way_in = 'last4'").fetch_one(&pool).await.expect("count");
    let o = open_loop(&url, &jar_cookie, &body, rate, 15).await;
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE way_in = 'last4'").fetch_one(&pool).await.expect("count");
    println!(
        "3x capacity, open loop, {rate} arrivals/s for 15 s: checked in {:.0}/s, told to wait {:.0}/s, 5xx {}, \
         failed to connect or timed out {}, not sent (1,024 already waiting) {}; answered p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms; visits written {} for {} acknowledged",
        o.accepted as f64 / 15.0,
        o.waiting as f64 / 15.0,
        o.server_errors,
        o.failed,
        o.unsent,
        o.p50_ms,
        o.p99_ms,
        o.max_ms,
        after - before,
        o.accepted,
    );

    if only == "phone" {
        return;
    }

    // 3. The overlap query over 10 million visits: 200,000 people, 2,000 venues, 14 days.
    let started = Instant::now();
    sqlx::query(
        "INSERT INTO people (id_hash, document_kind, document_number, last4, name, address)
         SELECT sha256(('p' || g)::bytea), 'resident_id', 'P' || g, right('000' || g, 4), '某人', '' FROM generate_series(1, 200000) g",
    )
    .execute(&pool)
    .await
    .expect("people");
    let ids: (i64, i64) = sqlx::query_as("SELECT min(id), max(id) FROM people WHERE document_number LIKE 'P%'")
        .fetch_one(&pool)
        .await
        .expect("ids");
    let venues: Vec<Uuid> = (0..2000).map(|_| Uuid::now_v7()).collect();
    for _ in 0..10 {
        let n = VISITS / 10;
        sqlx::query(
            "INSERT INTO visits (id, at, person_id, venue_id, source, way_in, colour, health_code, reasons)
             SELECT gen_random_uuid(), now() - random() * interval '14 days', $1 + (random() * ($2 - $1))::bigint,
                 ($3::uuid[])[1 + (random() * 1999)::int], 'desk', 'last4', 'green', 'green', '{}'
             FROM generate_series(1, $4)",
        )
        .bind(ids.0)
        .bind(ids.1)
        .bind(&venues)
        .bind(n)
        .execute(&pool)
        .await
        .expect("visits");
    }
    sqlx::query("ANALYZE visits").execute(&pool).await.expect("analyze");
    sqlx::query("ANALYZE people").execute(&pool).await.expect("analyze");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM visits").fetch_one(&pool).await.expect("count");
    println!("loaded {total} visits in {:.0} s", started.elapsed().as_secs_f64());
    // Tracing looks people up by the server's lookup key; give the sampled people real hashes of
    // their numbers.
    let samples: Vec<i64> = (0..30).map(|i| ids.0 + 1 + i * 6151).collect();
    for s in &samples {
        let number = resident_id_in("410203", *s as u64);
        sqlx::query("UPDATE people SET id_hash = $2, document_number = $3 WHERE id = $1")
            .bind(s)
            .bind(keys.person(&number).lookup)
            .bind(&number)
            .execute(&pool)
            .await
            .expect("sample");
    }
    let mut overlap_ms = Vec::new();
    let mut person_ms = Vec::new();
    let mut found = 0usize;
    let actor = placecode_central::audit::Actor::cli("bench");
    for s in &samples {
        let number = resident_id_in("410203", *s as u64);
        let t = Instant::now();
        placecode_central::trace::person(
            placecode_central::db::Db::one(&pool),
            &keys,
            &actor,
            &placecode_central::trace::PersonQuery {
                id_number: number.clone(),
                from: Utc::now() - chrono::Duration::days(14),
                to: Utc::now(),
                purpose: "bench".into(),
            },
        )
        .await
        .expect("person");
        person_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let rows = placecode_central::trace::overlap(
            placecode_central::db::Db::one(&pool),
            &keys,
            &actor,
            &placecode_central::trace::OverlapQuery { id_number: number, hours: 2, purpose: "bench".into() },
            Utc::now(),
        )
        .await
        .expect("overlap");
        overlap_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        found += rows.rows.len();
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (pm, px) = stats(&mut person_ms);
    let (om, ox) = stats(&mut overlap_ms);
    println!("baseline person query (14 days): median {pm:.1} ms, max {px:.1} ms");
    println!(
        "overlap query (±2 h, 14 days) over {total} visits: median {om:.1} ms, max {ox:.1} ms, {:.0} people found per query",
        found as f64 / samples.len() as f64
    );
}

async fn futures_join<F: std::future::Future<Output = PushResponse> + Send + 'static>(fs: Vec<F>) -> Vec<PushResponse> {
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("push task"));
    }
    out
}
