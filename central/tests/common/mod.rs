//! A real server on a loopback port over a real PostgreSQL database (one per test, made by
//! `#[sqlx::test]`), and a desk that talks to it as the desk app will.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use placecode_central::{App, Keys, ServeConfig};
use placecode_core::code::SigningKey;
use placecode_core::sync::{EnrolRequest, EnrolResponse, PushResponse, Record, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

pub struct Server {
    pub base: String,
    pub pool: PgPool,
    pub keys: Keys,
    pub http: reqwest::Client,
}

/// The port a `placecode-central serve` child bound, read from the line it prints on stdout once
/// listening ("listening on ADDRESS"). An error when it ended first (its port was taken) or said
/// nothing for 20 s. The rest of its stdout is read and dropped, so it never blocks on a full pipe.
pub fn bound_port(stdout: std::process::ChildStdout) -> Result<u16, String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("listening on ").and_then(|a| a.rsplit_once(':')) {
                let _ = tx.send(port.1.parse::<u16>());
            }
        }
    });
    match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(e)) => Err(format!("an unreadable port: {e}")),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err("no answer in 20 s".into()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err("it ended before listening".into()),
    }
}

pub fn serve_config(rate_ip: u32) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".into(),
        rate_ip_per_minute: rate_ip,
        rate_code_per_minute: 100_000,
        overdue_hours: 12,
        ..ServeConfig::default()
    }
}

impl Server {
    pub async fn start(pool: PgPool) -> Server {
        Server::start_with(pool, serve_config(100_000)).await
    }

    pub async fn start_with(pool: PgPool, cfg: ServeConfig) -> Server {
        placecode_central::db::maintain_partitions(&pool, 28, 365).await.expect("partitions");
        let keys = test_keys();
        // As `serve` does at start: the first epoch of door tags.
        placecode_central::risk::rotate_if_due(&pool, &keys, 7, Utc::now()).await.expect("risk epoch");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let app = App::new(pool.clone(), keys.clone(), &base, &cfg);
        tokio::spawn(async move {
            axum::serve(
                listener,
                placecode_central::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        Server { base, pool, keys, http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Enrols a new desk for a district (and venues), with a fresh signing key.
    pub async fn desk(&self, districts: &[&str], venues: &[Uuid]) -> DeskClient {
        let districts: Vec<String> = districts.iter().map(|s| s.to_string()).collect();
        let token =
            placecode_central::enrol::make_token(&self.pool, venues, &districts, None, "test").await.expect("token");
        let key = SigningKey::generate().expect("key");
        let id = Uuid::now_v7();
        let req = EnrolRequest {
            token,
            desk_id: id.to_string(),
            desk_name: "测试登记台".into(),
            code_key: placecode_core::sync::CodeKeyWire { id: key.id, secret_hex: hex::encode(key.secret()) },
            app_version: "test".into(),
        };
        let res = self.http.post(self.url("/api/v1/enrol")).json(&req).send().await.expect("enrol");
        assert_eq!(res.status(), 200, "enrol: {}", res.text().await.unwrap_or_default());
        let e: EnrolResponse = res.json().await.expect("enrol json");
        DeskClient { id, key, credential: e.credential, base: self.base.clone(), http: self.http.clone(), serial: 0 }
    }
}

pub struct DeskClient {
    pub id: Uuid,
    pub key: SigningKey,
    pub credential: String,
    pub base: String,
    pub http: reqwest::Client,
    pub serial: u64,
}

pub fn record(kind: RecordKind, body: serde_json::Value) -> Record {
    Record { id: Uuid::now_v7().to_string(), kind, written_at: Utc::now(), clock_offset_ms: 0, body }
}

impl DeskClient {
    pub async fn push_raw(&self, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/push", self.base))
            .bearer_auth(&self.credential)
            .header("content-type", "application/json")
            .header("x-desk-time", Utc::now().to_rfc3339())
            .body(body)
            .send()
            .await
            .expect("push")
    }

    pub async fn push(&self, records: &[Record]) -> PushResponse {
        let body =
            serde_json::to_vec(&json!({"batch_id": Uuid::now_v7().to_string(), "records": records})).expect("json");
        let res = self.push_raw(body).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("push json")
    }

    pub async fn pull(&self, cursor: i64) -> placecode_core::sync::PullResponse {
        let res = self
            .http
            .get(format!("{}/api/v1/pull?cursor={cursor}", self.base))
            .bearer_auth(&self.credential)
            .send()
            .await
            .expect("pull");
        assert_eq!(res.status(), 200);
        res.json().await.expect("pull json")
    }

    /// Registers a venue and issues one code for it; both must be stored and the venue approved.
    pub async fn venue_with_code(&mut self, name: &str, kind: CodeKind) -> (Uuid, String) {
        let venue = Uuid::now_v7();
        let v = venue_record(venue, name, kind);
        self.serial += 1;
        let code = self.key.sign(kind, self.serial);
        let c = record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门"}));
        let res = self.push(&[v, c]).await;
        for r in &res.results {
            assert_eq!(r.status, placecode_core::sync::PushStatus::Stored, "{r:?}");
        }
        assert_eq!(res.results[0].decision.as_ref().map(|d| d.status.as_str()), Some("approved"));
        (venue, code)
    }
}

pub fn venue_record(id: Uuid, name: &str, kind: CodeKind) -> Record {
    record(
        RecordKind::Venue,
        json!({
            "venue_id": id, "kind": kind.key(), "category": "mall", "name": name, "district": "gulou",
            "address": "鼓楼区中山路100号", "manager_name": "王建国", "manager_phone": "13837800001",
        }),
    )
}

/// A valid resident ID number (Kaifeng prefix, born 1980-1999) from a seed.
pub fn resident_id(seed: u64) -> String {
    placecode_core::identity::sample_resident_id(seed)
}

pub fn visit_record(venue: Uuid, id_number: &str, name: &str, at: DateTime<Utc>) -> Record {
    record(
        RecordKind::Visit,
        json!({
            "venue_id": venue, "way_in": "id_number", "colour": "green", "health_code": "green", "reasons": [],
            "at": at, "person": {"document_number": id_number, "name": name, "address": "开封市鼓楼区中山路1号", "phone": "13837800002"},
        }),
    )
}

/// The hidden tokens of a phone page's form: the phone's CSRF token and the form's one-time
/// token (each form is sent once; a second send shows the first result).
pub struct Tokens {
    pub csrf: String,
    pub once: String,
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap_or_else(|| panic!("{name} field in {html}")) + key.len();
    html[i..].split('"').next().unwrap_or("").to_owned()
}

pub fn csrf(html: &str) -> Tokens {
    Tokens { csrf: hidden(html, "csrf"), once: hidden(html, "once") }
}

impl Tokens {
    /// A returning phone's form: four digits, and the people ticked to come along by their
    /// place on the phone.
    pub fn last4<'a>(&'a self, digits: &'a str, with: &[&'a str]) -> Vec<(&'a str, &'a str)> {
        let mut f =
            vec![("csrf", self.csrf.as_str()), ("once", self.once.as_str()), ("action", "last4"), ("last4", digits)];
        f.extend(with.iter().map(|w| ("with", *w)));
        f
    }
}

/// A desk as the app runs it: its own SQLite store and sync client, enrolled for Gulou, with
/// one registered venue it serves and an operator signed in.
pub struct TestDesk {
    pub db: std::path::PathBuf,
    pub engine: std::sync::Arc<placecode_sync_client::SyncEngine>,
    pub ctx: placecode_store::CheckInContext,
    pub venue_id: String,
}

impl TestDesk {
    pub fn store(&self) -> placecode_store::Store {
        placecode_store::Store::open(&self.db).unwrap()
    }
}

pub async fn test_desk(s: &Server, dir: &std::path::Path, name: &str, kind: &str, address: &str) -> TestDesk {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("desk.sqlite3");
    let key = placecode_store::keys::load_or_create(&dir.join("k")).unwrap();
    let mut store = placecode_store::Store::open(&db).unwrap();
    let venue = store
        .register_venue(
            &placecode_core::venue::VenueInput {
                kind: kind.into(),
                category: "logistics".into(),
                name: name.into(),
                district: "gulou".into(),
                address: address.into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            true,
        )
        .unwrap();
    store.set_served_venue(&venue.id).unwrap();
    let op = store.add_operator("张敏", "246813").unwrap();
    let engine = placecode_sync_client::SyncEngine::new(&db);
    let token = placecode_central::enrol::make_token(&s.pool, &[], &["gulou".into()], None, "").await.unwrap();
    engine.enrol(&s.base, &token, name, None, &key).await.unwrap();
    engine.sync_once().await.unwrap();
    let ctx =
        placecode_store::CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: Utc::now() };
    TestDesk { db, engine, ctx, venue_id: venue.id }
}

/// A phone's four digits on a venue's page, through a fresh form; the result page's HTML.
pub async fn last4(phone: &reqwest::Client, url: &str, digits: &str) -> String {
    let t = csrf(&phone.get(url).send().await.expect("page").text().await.expect("html"));
    phone.post(url).form(&t.last4(digits, &[])).send().await.expect("post").text().await.expect("html")
}

/// The keys every test server runs with.
pub fn test_keys() -> Keys {
    Keys::from_secret(&[42u8; 32])
}

/// A person on file as the server reads them (sealed fields opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnFile {
    pub document_number: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
}

/// Everyone on file, in the order they were stored, their sealed fields opened with the test
/// server's keys (the raw columns hold only sealed values).
pub async fn people_on_file(pool: &PgPool) -> Vec<OnFile> {
    let keys = test_keys();
    type Row = (Vec<u8>, String, String, String, Option<String>);
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id_hash, document_number, name, address, phone FROM people ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("people");
    rows.into_iter()
        .map(|(h, number, name, address, phone)| {
            let open = |f: &str, v: &str| keys.data.open(f, &h, v).expect("a sealed field opens");
            OnFile {
                document_number: open("document_number", &number),
                name: open("name", &name),
                address: open("address", &address),
                phone: phone.map(|p| open("phone", &p)),
            }
        })
        .collect()
}

/// The URL of this test's own database (for the server binary and the PostgreSQL tools).
pub async fn db_url(pool: &PgPool) -> String {
    let db: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let base = std::env::var("DATABASE_URL").unwrap();
    format!("{}/{db}", base.rsplit_once('/').unwrap().0)
}

/// A plain-text dump of this test's database, as a backup or a copy would hold it.
pub async fn pg_dump(pool: &PgPool) -> String {
    let url = db_url(pool).await;
    let out = std::process::Command::new("pg_dump").args(["--data-only", "--dbname", &url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One number a query counts.
pub async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("count")
}

/// A phone's browser: it keeps its cookie.
pub fn phone_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (Linux; Android 10) AppleWebKit/537.36 MicroMessenger/8.0.40")
        .build()
        .unwrap()
}

/// Sets one field of a form body.
pub fn set(body: &mut [(&'static str, String)], key: &str, value: &str) {
    for (k, v) in body.iter_mut() {
        if *k == key {
            *v = value.into();
        }
    }
}

/// A fresh form's tokens (each form may be sent once).
pub async fn form(phone: &reqwest::Client, url: &str) -> Tokens {
    csrf(&phone.get(url).send().await.unwrap().text().await.unwrap())
}

/// A first-visit declaration form for a general code.
pub fn declaration(t: &Tokens, name: &str, id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", t.csrf.clone()),
        ("once", t.once.clone()),
        ("action", "declare".into()),
        ("name", name.into()),
        ("id_number", id.into()),
        ("address", "开封市鼓楼区中山路1号".into()),
        ("phone", "13837800003".into()),
        ("visited_risk_area", "no".into()),
        ("contact_with_suspected", "no".into()),
        ("temperature_normal", "yes".into()),
        ("temperature", "36.5".into()),
    ]
}

/// Venues in two districts: 鼓楼区 with a code and a check-in today, 龙亭区 with a code only,
/// and one in 鼓楼区 whose code was revoked.
pub async fn venues_in_two_districts(s: &Server) {
    let mut gulou = s.desk(&["gulou"], &[]).await;
    let (mall, _) = gulou.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (_, revoked) = gulou.venue_with_code("鼓楼书店", CodeKind::General).await;
    sqlx::query("UPDATE codes SET revoked_at = now() WHERE code = $1").bind(&revoked).execute(&s.pool).await.unwrap();
    gulou.push(&[visit_record(mall, &resident_id(1), "李秀英", Utc::now() - chrono::Duration::hours(2))]).await;
    let mut longting = s.desk(&["longting"], &[]).await;
    let venue = Uuid::now_v7();
    let mut v = venue_record(venue, "龙亭农贸市场", CodeKind::General);
    v.body["district"] = json!("longting");
    v.body["category"] = json!("market");
    v.body["address"] = json!("龙亭区北门大街1号");
    longting.serial += 1;
    let code = longting.key.sign(CodeKind::General, longting.serial);
    let c = record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门"}));
    let res = longting.push(&[v, c]).await;
    assert!(res.results.iter().all(|r| r.status == placecode_core::sync::PushStatus::Stored), "{res:?}");
}

/// A desk's first declaration for `name`: all answers no, temperature normal.
pub fn declaration_input(name: &str, id_number: &str) -> placecode_core::checkin::DeclarationInput {
    placecode_core::checkin::DeclarationInput {
        name: name.into(),
        document_kind: None,
        id_number: id_number.into(),
        address: "鼓楼区中山路18号院".into(),
        phone: String::new(),
        visited_risk_area: Some(false),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        temperature: "36.5".into(),
    }
}

/// A desk whose venue (鼓楼区便民超市) admits `percent`% of `capacity` (stay 120 minutes), with its
/// code 正门 issued and the people of `seeds` checked in at the desk, synced: the desk, its
/// store and the code.
pub async fn limited_desk(
    s: &Server,
    dir: &std::path::Path,
    capacity: i64,
    percent: i64,
    seeds: &[u64],
) -> (TestDesk, placecode_store::Store, String) {
    let d = test_desk(s, dir, "鼓楼区便民超市", "general", "中山路18号").await;
    let key = placecode_store::keys::load_or_create(&dir.join("k")).unwrap();
    let mut store = d.store();
    let code = store.issue_code(&d.venue_id, "正门", &key).unwrap().code;
    store.set_venue_limit(&d.venue_id, Some((capacity, percent, 120))).unwrap();
    for seed in seeds {
        let input = declaration_input("王建国", &resident_id(*seed));
        store.declare(&input, &placecode_store::CheckInContext { now: Utc::now(), ..d.ctx.clone() }).unwrap();
    }
    d.engine.sync_once().await.unwrap();
    (d, store, code)
}
