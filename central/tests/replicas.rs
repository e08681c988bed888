//! Scale-out on the engines a city already runs: two `placecode-central` processes behind
//! Debian's nginx, on one PostgreSQL primary with a streaming replica (a private pair made by
//! `scripts/pg.sh`). Phones check in and a desk syncs through nginx while one process is killed:
//! every check-in acknowledged is stored, none twice, the clients' resends are safe; a revoked
//! code is refused by both processes; a trace is answered from the replica.
//!
//! Needs nginx and PostgreSQL (`make deps`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use placecode_core::sync::RecordKind;
use placecode_core::venue::CodeKind;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// Everything the test started, stopped and removed however it ends.
struct Cluster {
    dir: PathBuf,
    pg_env: Vec<(String, String)>,
    children: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = pg(&self.pg_env, "stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pg(env: &[(String, String)], what: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh");
    let out = Command::new(script).arg(what).envs(env.iter().cloned()).output().expect("scripts/pg.sh");
    assert!(out.status.success(), "pg.sh {what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/healthz")).await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "{base} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A replica on a port of its own (it says which once it listens), and that port.
fn central(dir: &Path, name: &str, primary: &str, replica: &str, public: &str) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_placecode-central"))
        .arg("serve")
        .env("DATABASE_URL", primary)
        .env("PLACECODE_TRACE_DATABASE_URL", replica)
        .env("PLACECODE_SECRET_FILE", dir.join("secret.key"))
        .env("PLACECODE_LISTEN", "127.0.0.1:0")
        .env("PLACECODE_PUBLIC_URL", public)
        .env("PLACECODE_TRUST_PROXY", "true")
        .env("PLACECODE_RATE_IP", "100000")
        .env("PLACECODE_RATE_CODE", "100000")
        .env("PLACECODE_MAX_PER_CLIENT", "10000")
        .env("PLACECODE_PHONE_NEW_IDS", "100")
        .env("PLACECODE_ADDRESS_NEW_IDS", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join(format!("central-{name}.log"))).expect("log"))
        .spawn()
        .expect("placecode-central");
    let port = common::bound_port(child.stdout.take().expect("stdout"))
        .unwrap_or_else(|e| panic!("replica {name} did not start: {e}"));
    (child, port)
}

fn nginx(dir: &Path, port: u16, upstreams: &[u16]) -> Child {
    let servers: String =
        upstreams.iter().map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n")).collect();
    let d = dir.display();
    // Requests that fail on one process go to the other, POSTs included: every form and every
    // batch carries its own one-time token or record ids, so a resend never stores twice.
    let conf = format!(
        "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/nginx-error.log;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  upstream placecode {{ {servers} keepalive 32; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      proxy_pass http://placecode;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 non_idempotent;
      proxy_connect_timeout 1s;
    }}
  }}
}}"
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf");
    Command::new("nginx")
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/nginx-error.log")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (make deps installs it)")
}

/// Sends a phone's four digits until the server answers with the result (303); a refusal to wait
/// or a process gone mid-request is sent again, the same form with the same token.
async fn check_in(phone: &reqwest::Client, url: &str, csrf: &str, last4: &str) -> Uuid {
    let once = Uuid::now_v7();
    let body = [("csrf", csrf), ("once", &once.to_string()), ("action", "last4"), ("last4", last4)];
    for _ in 0..100 {
        match phone.post(url).form(&body).send().await {
            Ok(r) if r.status() == 303 => return once,
            Ok(r) if [429, 502, 503, 504].contains(&r.status().as_u16()) => {}
            Ok(r) => panic!("{}: {}", r.status(), r.text().await.unwrap_or_default()),
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no answer after 100 tries");
}

#[tokio::test]
async fn two_processes_behind_nginx_lose_nothing_when_one_dies_and_trace_from_the_replica() {
    let dir = std::env::temp_dir().join(format!("placecode-replicas-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pg_port, replica_port) = (free_port(), free_port());
    let pg_env = vec![
        ("PLACECODE_PG_DIR".to_owned(), dir.join("pg").display().to_string()),
        ("PLACECODE_PG_PORT".to_owned(), pg_port.to_string()),
        ("PLACECODE_PG_REPLICA_PORT".to_owned(), replica_port.to_string()),
    ];
    let mut cluster = Cluster { dir: dir.clone(), pg_env: pg_env.clone(), children: vec![] };
    let primary = pg(&pg_env, "start");
    let replica = pg(&pg_env, "replica");
    // The first process makes the schema and the secret; the second shares both.
    let front = free_port();
    let base = format!("http://127.0.0.1:{front}");
    let (child, a) = central(&dir, "a", &primary, &replica, &base);
    cluster.children.push(child);
    healthy(&format!("http://127.0.0.1:{a}")).await;
    let (child, b) = central(&dir, "b", &primary, &replica, &base);
    cluster.children.push(child);
    healthy(&format!("http://127.0.0.1:{b}")).await;
    cluster.children.push(nginx(&dir, front, &[a, b]));
    healthy(&base).await;

    let pool = PgPool::connect(&primary).await.unwrap();
    let s = Server { base: base.clone(), pool: pool.clone(), keys: test_keys(), http: reqwest::Client::new() };
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = format!("{base}/c/{code}");

    // Twenty phones declare their person once.
    let mut phones = Vec::new();
    for i in 0..20u64 {
        // A phone's browser that keeps its cookie; the redirect to the result is looked at, not
        // followed.
        let phone =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let t = form(&phone, &url).await;
        let id = resident_id(7_000 + i);
        let r = phone.post(&url).form(&declaration(&t, "王建国", &id)).send().await.unwrap();
        assert_eq!(r.status(), 303);
        phones.push((phone, t.csrf, id));
    }
    let phones = Arc::new(phones);

    // Each phone checks in 15 times while the desk pushes 10 batches; one process dies early on.
    let started = Instant::now();
    let mut load = tokio::task::JoinSet::new();
    for i in 0..phones.len() {
        let (phones, url) = (phones.clone(), url.clone());
        load.spawn(async move {
            let (phone, csrf, id) = &phones[i];
            let mut done = Vec::new();
            for _ in 0..15 {
                done.push((check_in(phone, &url, csrf, &id[14..]).await, started.elapsed()));
            }
            done
        });
    }
    let batches: Vec<Vec<placecode_core::sync::Record>> = (0..10u64)
        .map(|b| {
            (0..50u64).map(|i| visit_record(venue, &resident_id(9_000 + b * 50 + i), "李秀英", Utc::now())).collect()
        })
        .collect();
    let pusher = {
        let (credential, base) = (desk.credential.clone(), base.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for batch in batches {
                let body = json!({"batch_id": Uuid::now_v7().to_string(), "records": batch});
                // A push that fails is sent again as it was: its records are stored once.
                for _ in 0..100 {
                    let sent = http
                        .post(format!("{base}/api/v1/push"))
                        .bearer_auth(&credential)
                        .header("x-desk-time", Utc::now().to_rfc3339())
                        .json(&body)
                        .send()
                        .await;
                    if sent.map(|r| r.status() == 200).unwrap_or(false) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = started.elapsed();
    cluster.children[0].kill().unwrap();
    cluster.children[0].wait().unwrap();
    let mut acknowledged = Vec::new();
    while let Some(done) = load.join_next().await {
        acknowledged.extend(done.unwrap());
    }
    pusher.await.unwrap();
    assert_eq!(acknowledged.len(), 300);
    assert!(acknowledged.iter().any(|(_, at)| *at < killed_at), "some check-ins before the kill");
    assert!(acknowledged.iter().any(|(_, at)| *at > killed_at), "and after it");
    // Every acknowledged check-in is stored, once.
    let tokens: Vec<Uuid> = acknowledged.iter().map(|(t, _)| *t).collect();
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE way_in = 'last4'").await, 300, "none lost, none twice");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM phone_results WHERE form_token = ANY($1)")
        .bind(&tokens)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 300);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE source = 'desk'").await, 500, "each pushed visit once");

    // A code revoked through nginx is refused by the process that stays (it follows the change).
    let revoke = record(RecordKind::CodeRevoked, json!({"code": code, "reason": "海报损坏"}));
    desk.push(&[revoke]).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while reqwest::get(&url).await.unwrap().status() != 410 {
        assert!(Instant::now() < deadline, "the revoked code still opens");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A trace through nginx, answered from the replica once it has caught up; its audit record
    // is on the primary.
    let tracer = placecode_central::trace::make_tracer(&pool, "流调员", 1, &[]).await.unwrap();
    let (_, _, first) = &phones[0];
    let now = Utc::now();
    let body = json!({"purpose": "流调测试", "id_number": first, "from": now - chrono::Duration::days(1), "to": now + chrono::Duration::hours(1)});
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res =
            s.http.post(format!("{base}/api/v1/trace/person")).bearer_auth(&tracer).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let answer: serde_json::Value = res.json().await.unwrap();
        if answer["visits"].as_array().map_or(0, |v| v.len()) == 16 {
            break;
        }
        assert!(Instant::now() < deadline, "the replica did not catch up: {answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reader = PgPool::connect(&replica).await.unwrap();
    let (standby, tracing): (bool, i64) = sqlx::query_as(
        "SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'placecode-trace')",
    )
    .fetch_one(&reader)
    .await
    .unwrap();
    assert!(standby && tracing > 0, "tracing reads from the standby ({standby}, {tracing} connections)");
    assert!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'trace_person'").await >= 1);
    reader.close().await;
    pool.close().await;
}
