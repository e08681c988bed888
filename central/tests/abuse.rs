//! The attacks of docs/security.md ("The centre against abuse"), each written as the attacker
//! would try it against a real server and a real PostgreSQL, asserting that it now fails: the
//! answer, the page's text and the database unchanged. One test (or two) per numbered attack.

mod common;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use common::*;
use placecode_central::ServeConfig;
use placecode_core::code::SigningKey;
use placecode_core::sync::{EnrolRequest, EnrolResponse, PushStatus, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// A phone page form posted; the answer's status and text.
async fn post_form(phone: &reqwest::Client, url: &str, body: &[(&'static str, String)]) -> (u16, String) {
    let res = phone.post(url).form(body).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// 1. Knowing someone's ID number: a stranger's phone sees a colour but no reason, changes
/// nothing on file, and the visit it makes is kept apart in tracing (it starts no overlap).
#[sqlx::test]
async fn attack_1_an_id_number_typed_on_another_phone_gets_no_reason_and_stays_apart(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, market) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (park, park_code) = desk.venue_with_code("龙亭公园", CodeKind::General).await;
    let (market, park_url) = (s.url(&format!("/c/{market}")), s.url(&format!("/c/{park_code}")));
    let victim = resident_id(5151);
    let own = phone_client();
    let (status, _) = post_form(&own, &market, &declaration(&form(&own, &market).await, "李秀兰", &victim)).await;
    assert_eq!(status, 200);
    placecode_central::risk::import(
        &pool,
        &s.keys,
        format!("{victim},红,密切接触者（流调2026-118）\n").as_bytes(),
        false,
    )
    .await
    .unwrap();

    // The attacker, on their own phone, at another venue, with other details.
    let stranger = phone_client();
    let mut body = declaration(&form(&stranger, &park_url).await, "冒名者", &victim);
    set(&mut body, "address", "假地址路1号");
    set(&mut body, "phone", "13000000000");
    let (status, html) = post_form(&stranger, &park_url, &body).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-colour=\"red\""), "the colour alone: {html}");
    assert!(!html.contains("密切接触者") && !html.contains("流调") && !html.contains("风险人员名单"), "{html}");
    assert!(html.contains("冒**") && !html.contains("李*"), "the name it typed, never the one on file: {html}");
    // Coming back with four digits, the stranger's phone still lists only what it typed.
    let again = last4(&stranger, &park_url, &victim[14..]).await;
    assert!(again.contains("冒**") && !again.contains("李*"), "{again}");
    let on_file = people_on_file(&pool).await;
    assert_eq!(on_file.len(), 1);
    assert_eq!(
        (on_file[0].name.as_str(), on_file[0].address.as_str(), on_file[0].phone.as_deref()),
        ("李秀兰", "开封市鼓楼区中山路1号", Some("13837800003"))
    );
    // Someone who really was at the park, next to the attacker's visit.
    let bystander = resident_id(5152);
    let pushed = desk.push(&[visit_record(park, &bystander, "王路人", Utc::now())]).await;
    assert_eq!(pushed.results[0].status, PushStatus::Stored);

    let visits: Vec<(bool,)> = sqlx::query_as("SELECT verified FROM visits WHERE source = 'phone' ORDER BY at")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(visits, [(true,), (false,), (false,)], "the stranger's visits are marked unverified");
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心", 30, &[]).await.unwrap();
    let traced = trace_person_this_hour(&s, &token, &victim).await;
    let flags: Vec<(Option<&str>, bool)> = traced["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["venue_name"].as_str(), v["verified"].as_bool().unwrap()))
        .collect();
    assert_eq!(flags, [(Some("鼓楼超市"), true), (Some("龙亭公园"), false), (Some("龙亭公园"), false)]);
    // Beside the person on file, what the declaring phone typed: perhaps who was really there.
    let declared = &traced["visits"][1]["declared"];
    assert_eq!(
        (declared["name"].as_str(), declared["phone"].as_str()),
        (Some("冒名者"), Some("13000000000")),
        "{traced}"
    );
    assert!(traced["visits"][0].get("declared").is_none(), "a verified visit has none");
    // 时空伴随 starts from the person's own visits only: the bystander at the park is not named.
    let overlaps =
        trace(&s, &token, "/api/v1/trace/overlap", json!({"purpose": "流调2026-118", "id_number": victim})).await;
    let names: Vec<&str> = overlaps["overlaps"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert!(!names.contains(&"王路人"), "{overlaps}");
}

/// 1. Looking people up in bulk: new ID numbers per phone and per address are limited, numbers
/// already on file from unlinked phones harder; crossing a limit is refused, stores nothing and
/// is flagged for supervision.
#[sqlx::test]
async fn attack_1_bulk_look_ups_are_refused_and_flagged(pool: PgPool) {
    let cfg = ServeConfig { phone_new_ids_per_day: 2, address_on_file_per_day: 3, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let leaked: Vec<String> = (0..5).map(|i| resident_id(6100 + i)).collect();
    let on_file: Vec<_> = leaked.iter().map(|id| visit_record(venue, id, "张三", Utc::now())).collect();
    desk.push(&on_file).await;

    // A script that takes a fresh cookie for every number: three pass, the fourth is refused.
    let mut answers = Vec::new();
    for id in &leaked[..4] {
        let phone = phone_client();
        let (status, html) = post_form(&phone, &url, &declaration(&form(&phone, &url).await, "某某", id)).await;
        answers.push(status);
        if status == 429 {
            assert!(
                html.contains("您所在的网络今天为已在中心登记过的证件号提交的次数已达上限") && html.contains("登记台"),
                "{html}"
            );
            assert!(!html.contains("data-colour"), "no colour for a refused look-up: {html}");
        }
    }
    assert_eq!(answers, [200, 200, 200, 429]);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE source = 'phone'").await, 3);
    let flags = placecode_central::phone::flags(&pool).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!((flags[0].kind.as_str(), flags[0].who.as_str(), flags[0].attempts), ("on_file", "addr:127.0.0.1", 4));

    // One phone, new people (not on file): a family fits, a city does not.
    let phone = phone_client();
    let mut statuses = Vec::new();
    for i in 0..3 {
        let mut body = declaration(&form(&phone, &url).await, "家人", &resident_id(6200 + i));
        if i > 0 {
            body.extend([("new", "1".into()), ("relation", "子女".into())]);
        }
        let (status, html) = post_form(&phone, &url, &body).await;
        statuses.push(status);
        if status == 429 {
            assert!(html.contains("本手机今天登记的新证件号已达上限"), "{html}");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_people").await, 3 + 2);
}

/// 2. Rate limits: variants of one code (case, dashes) share one bucket, a malformed code takes
/// from none, and one client flooding a poster does not lock the venue's other phones out.
#[sqlx::test]
async fn attack_2_code_variants_share_a_bucket_and_one_client_cannot_lock_a_venue_out(pool: PgPool) {
    let cfg = ServeConfig { trust_proxy: true, rate_code_per_minute: 6, ..serve_config(3) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let http = reqwest::Client::new();
    let get = |path: String, client: &'static str| {
        let (http, url) = (http.clone(), s.url(&path));
        async move { http.get(url).header("x-forwarded-for", client).send().await.unwrap().status().as_u16() }
    };
    // Malformed codes are refused before any bucket: the client's own bucket is untouched.
    for junk in ["x", "PC1-ZZZZ", &"A".repeat(500)] {
        assert_eq!(get(format!("/c/{junk}"), "203.0.113.1").await, 404);
    }
    // One flooding client: its own three, then 429; the code's bucket has lost only three.
    let lower = code.to_lowercase();
    let dashed: String = code.chars().flat_map(|c| [c, '-']).collect();
    let mut flood = Vec::new();
    for path in [format!("/c/{code}"), format!("/c/{lower}"), format!("/c/{dashed}"), format!("/c/{code}")] {
        flood.push(get(path, "203.0.113.1").await);
    }
    assert_eq!(flood, [200, 200, 200, 429]);
    // Other phones at the venue still get in: the code's bucket (6) holds three more ...
    let mut others = Vec::new();
    for (i, path) in [format!("/c/{code}"), format!("/c/{lower}"), format!("/c/{dashed}"), format!("/c/{code}")]
        .into_iter()
        .enumerate()
    {
        let client: &'static str = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"][i];
        others.push(get(path, client).await);
    }
    // ... and its variants are counted as the one code they are: the fourth is over its six.
    assert_eq!(others, [200, 200, 200, 429]);
}

/// The enrolment request a desk sends, for a desk id of the caller's choosing.
fn enrol_request(token: &str, desk: Uuid) -> EnrolRequest {
    let key = SigningKey::generate().unwrap();
    EnrolRequest {
        token: token.into(),
        desk_id: desk.to_string(),
        desk_name: "冒名登记台".into(),
        code_key: placecode_core::sync::CodeKeyWire { id: key.id, secret_hex: hex::encode(key.secret()) },
        app_version: "test".into(),
    }
}

async fn enrol(s: &Server, req: &EnrolRequest, bearer: Option<&str>) -> (u16, Value) {
    let mut r = s.http.post(s.url("/api/v1/enrol")).json(req);
    if let Some(b) = bearer {
        r = r.bearer_auth(b);
    }
    let res = r.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// 3. Desk takeover: a fresh token and a known desk id replace nothing; the desk itself (its
/// credential) may; after revocation only a token naming the desk brings it back.
#[sqlx::test]
async fn attack_3_a_known_desk_id_and_a_spare_token_take_over_nothing(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let desk = s.desk(&["gulou"], &[]).await;
    let before: (Vec<u8>, i64) = sqlx::query_as("SELECT credential_hash, code_key_id FROM desks WHERE id = $1")
        .bind(desk.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let spare = placecode_central::enrol::make_token(&pool, &[], &["longting".into()], None, "").await.unwrap();
    let (status, body) = enrol(&s, &enrol_request(&spare, desk.id), None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("desk_enrolled")), "{body}");
    let after: (Vec<u8>, i64) = sqlx::query_as("SELECT credential_hash, code_key_id FROM desks WHERE id = $1")
        .bind(desk.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "credential and code key unchanged");
    assert_eq!(count(&pool, "SELECT count(*) FROM desks WHERE 'longting' = ANY(districts)").await, 0);
    desk.pull(0).await;
    // The spare token is still unused: the attempt did not burn it.
    assert_eq!(count(&pool, "SELECT count(*) FROM enrol_tokens WHERE used_at IS NULL").await, 1);

    // The desk itself, adding a district with a new token, shows its credential.
    let (status, body) = enrol(&s, &enrol_request(&spare, desk.id), Some(&desk.credential)).await;
    assert_eq!(status, 200, "{body}");
    let renewed: EnrolResponse = serde_json::from_value(body).unwrap();
    assert!(renewed.districts.contains(&"longting".to_string()));

    // Revoked: a token that does not name the desk is refused; one that does brings it back.
    placecode_central::enrol::revoke_desk(&pool, desk.id, &placecode_central::audit::Actor::cli("test")).await.unwrap();
    let plain = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.unwrap();
    let (status, body) = enrol(&s, &enrol_request(&plain, desk.id), Some(&renewed.credential)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("desk_revoked")), "{body}");
    let other = Uuid::now_v7();
    // A token for a desk (or a venue) the centre does not know is not made.
    for (venues, named) in [(vec![], Some(other)), (vec![other], None)] {
        match placecode_central::enrol::make_token(&pool, &venues, &[], named, "").await {
            Err(placecode_central::CentralError::Invalid { field, .. }) => assert!(field == "desk" || field == "venue"),
            wrong => panic!("{wrong:?}"),
        }
    }
    let named = placecode_central::enrol::make_token(&pool, &[], &[], Some(desk.id), "重新接入").await.unwrap();
    let (status, _) = enrol(&s, &enrol_request(&named, other), None).await;
    assert_eq!(status, 403, "a token naming one desk enrols no other");
    let (status, body) = enrol(&s, &enrol_request(&named, desk.id), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count(&pool, "SELECT count(*) FROM desks WHERE revoked_at IS NULL").await, 1);
}

/// 3b. A token the desk already used (read out at the desk, left on paper) and its id (shown in
/// 设置) take over nothing: only the desk's own retry, with the signing key it sent, is answered
/// again; a used token naming the desk is not a way back in either.
#[sqlx::test]
async fn attack_3b_a_spent_token_replayed_takes_over_nothing(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let desk = Uuid::now_v7();
    let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.unwrap();
    let genuine = enrol_request(&token, desk);
    let (status, first) = enrol(&s, &genuine, None).await;
    assert_eq!(status, 200, "{first}");
    let on_record = || async {
        sqlx::query_as::<_, (Vec<u8>, i64)>("SELECT credential_hash, code_key_id FROM desks WHERE id = $1")
            .bind(desk)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = on_record().await;
    // The attacker: the same token and desk id, a key of their own; and the same key id with
    // another secret.
    let mut forged = enrol_request(&token, desk);
    for _ in 0..2 {
        let (status, body) = enrol(&s, &forged, None).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("desk_enrolled")), "{body}");
        assert!(body.get("credential").is_none(), "{body}");
        assert_eq!(on_record().await, before, "credential and key unchanged");
        forged.code_key.id = genuine.code_key.id;
    }
    // The desk itself, its answer lost, sends the same request again: a fresh credential.
    let (status, again) = enrol(&s, &genuine, None).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["credential"], first["credential"]);

    // An administrator's token naming the desk, once used, is spent for anyone else too.
    let named = placecode_central::enrol::make_token(&pool, &[], &[], Some(desk), "重新接入").await.unwrap();
    let (status, body) = enrol(&s, &enrol_request(&named, desk), Some(again["credential"].as_str().unwrap())).await;
    assert_eq!(status, 200, "{body}");
    let after = on_record().await;
    let (status, body) = enrol(&s, &enrol_request(&named, desk), None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("desk_enrolled")), "{body}");
    assert_eq!(on_record().await, after);
    // Revoked, a used token naming it does not lift the revocation.
    placecode_central::enrol::revoke_desk(&pool, desk, &placecode_central::audit::Actor::cli("test")).await.unwrap();
    let (status, body) = enrol(&s, &enrol_request(&named, desk), None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("desk_revoked")), "{body}");
}

/// 4. Contact details forged by a desk: a visit dated a day ahead does not beat the details a
/// later genuine visit brings.
#[sqlx::test]
async fn attack_4_a_visit_dated_ahead_does_not_win_the_details(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut rogue = s.desk(&["gulou"], &[]).await;
    let (rogue_venue, _) = rogue.venue_with_code("鼓楼小卖部", CodeKind::General).await;
    let mut honest = s.desk(&["gulou"], &[]).await;
    let (venue, _) = honest.venue_with_code("鼓楼超市", CodeKind::General).await;
    let person = resident_id(7300);
    let mut forged = visit_record(rogue_venue, &person, "冒名者", Utc::now() + Duration::hours(23));
    forged.body["person"]["address"] = json!("假地址路1号");
    forged.body["person"]["phone"] = json!("13000000000");
    assert_eq!(rogue.push(&[forged]).await.results[0].status, PushStatus::Stored);
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    let genuine = visit_record(venue, &person, "李秀兰", Utc::now());
    assert_eq!(honest.push(&[genuine]).await.results[0].status, PushStatus::Stored);
    let on_file = people_on_file(&pool).await;
    assert_eq!(
        (on_file[0].name.as_str(), on_file[0].address.as_str(), on_file[0].phone.as_deref()),
        ("李秀兰", "开封市鼓楼区中山路1号", Some("13837800002"))
    );
    // What each desk said is kept apart, with when: tracing sees the rogue desk's rename.
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心", 30, &[]).await.unwrap();
    let traced = trace_person_this_hour(&s, &token, &person).await;
    let said: Vec<(String, String)> = traced["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["source"].as_str().unwrap().to_owned(), d["name"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        said,
        [(format!("desk:{}", honest.id), "李秀兰".into()), (format!("desk:{}", rogue.id), "冒名者".into())]
    );
}

/// A person's visits within an hour either side of now, and every source's details of them.
async fn trace_person_this_hour(s: &Server, token: &str, id_number: &str) -> Value {
    let now = Utc::now();
    let window = json!({"purpose": "流调2026-118", "id_number": id_number,
        "from": now - Duration::hours(1), "to": now + Duration::hours(1)});
    trace(s, token, "/api/v1/trace/person", window).await
}

async fn trace(s: &Server, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = trace_status(s, token, path, body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn trace_status(s: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = s.http.post(s.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// 5. Tracing credentials: they expire, are revoked, reach only their scopes, need a purpose,
/// are limited per hour; every query is audited with its source and purpose, and so is every
/// administrator's command.
#[sqlx::test]
async fn attack_5_tracing_credentials_expire_are_scoped_limited_and_audited(pool: PgPool) {
    let cfg = ServeConfig { tracer_per_hour: 3, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let case = resident_id(8100);
    let person = json!({"purpose": "流调2026-7", "id_number": case});
    let scoped = placecode_central::trace::make_tracer(&pool, "社区网格员", 30, &["overlap".into()]).await.unwrap();
    // Out of scope: the person query; no purpose: refused naming the field.
    let now = Utc::now();
    let window = json!({"purpose": "流调2026-7", "id_number": case, "from": now - Duration::hours(1), "to": now});
    let (status, body) = trace_status(&s, &scoped, "/api/v1/trace/person", window).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("out_of_scope")), "{body}");
    let (status, body) = trace_status(&s, &scoped, "/api/v1/trace/overlap", json!({"id_number": case})).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().starts_with("查询用途："), "{body}");
    // Three an hour, then 429.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(trace_status(&s, &scoped, "/api/v1/trace/overlap", person.clone()).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    // The refused ones are in the log too: out of scope, and over the hour's limit.
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'trace_refused'").await, 2);
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT source, purpose FROM audit_log WHERE action = 'trace_overlap'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audited, vec![("127.0.0.1".to_string(), "流调2026-7".to_string()); 3]);

    // Expired: refused like an unknown one.
    let old = placecode_central::trace::make_tracer(&pool, "已离职", 30, &[]).await.unwrap();
    sqlx::query("UPDATE tracers SET expires_at = now() - interval '1 second' WHERE name = '已离职'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(trace_status(&s, &old, "/api/v1/trace/overlap", person.clone()).await.0, 401);

    // Revoked by the administrator's command, which is audited with the rest.
    let fresh = placecode_central::trace::make_tracer(&pool, "疾控中心", 30, &[]).await.unwrap();
    assert_eq!(trace_status(&s, &fresh, "/api/v1/trace/overlap", person.clone()).await.0, 200);
    let id: Uuid = sqlx::query_scalar("SELECT id FROM tracers WHERE name = '疾控中心'").fetch_one(&pool).await.unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_placecode-central"))
        .args(["admin", "revoke-tracer", &id.to_string()])
        .env("DATABASE_URL", db_url(&pool).await)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(trace_status(&s, &fresh, "/api/v1/trace/overlap", person).await.0, 401);
    let admin: Vec<(String, String)> =
        sqlx::query_as("SELECT action, source FROM audit_log WHERE actor LIKE 'admin-cli:%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let actions: Vec<&str> = admin.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["tracer_token", "tracer_token", "tracer_token", "revoke_tracer"]);
    assert!(admin.iter().all(|(_, source)| source == "cli"));
    // The administrator reads the log (and that reading is audited too).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_placecode-central"))
        .args(["admin", "audit", "--action", "trace_overlap"])
        .env("DATABASE_URL", db_url(&pool).await)
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = listed["audit"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{listed}");
    assert!(rows.iter().all(|r| r["purpose"] == "流调2026-7" && r["source"] == "127.0.0.1"), "{listed}");
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'read_audit'").await, 1);
}

/// 6. Incident steps: one naming another venue's incident is refused, and so is a time out of
/// range, without failing the rest of the batch.
#[sqlx::test]
async fn attack_6_an_incident_step_is_checked_against_its_incidents_venue(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut owner = s.desk(&["gulou"], &[]).await;
    let (venue, _) = owner.venue_with_code("鼓楼超市", CodeKind::General).await;
    let incident = placecode_core::sync::Record {
        id: Uuid::now_v7().to_string(),
        ..record(
            RecordKind::Incident,
            json!({"visit_id": Uuid::now_v7(), "venue_id": venue, "colour": "red", "reason": "风险人员名单为红码",
                   "held_at": "临时隔离室", "reported_to": "社区", "status": "isolated", "at": Utc::now()}),
        )
    };
    assert_eq!(owner.push(std::slice::from_ref(&incident)).await.results[0].status, PushStatus::Stored);
    let mut other = s.desk(&["gulou"], &[]).await;
    let (own_venue, _) = other.venue_with_code("鼓楼菜市场", CodeKind::General).await;
    let step = |venue: Uuid, at: Value| {
        record(
            RecordKind::IncidentEvent,
            json!({"incident_id": incident.id, "venue_id": venue, "status": "reported", "note": "已电话告知社区", "at": at}),
        )
    };
    let res = other
        .push(&[
            step(own_venue, json!(Utc::now())),
            step(venue, json!("9999-12-31T00:00:00Z")),
            visit_record(own_venue, &resident_id(9100), "张三", Utc::now()),
        ])
        .await;
    let statuses: Vec<_> = res.results.iter().map(|r| (r.status, r.field.clone())).collect();
    assert_eq!(
        statuses,
        [
            (PushStatus::Rejected, Some("incident_id".to_string())),
            (PushStatus::Rejected, Some("at".to_string())),
            (PushStatus::Stored, None)
        ],
        "{res:?}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM incident_events").await, 0);
    let status: String = sqlx::query_scalar("SELECT status FROM incidents").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "isolated");
    // The incident's own desk may step it.
    let res = owner.push(&[step(venue, json!(Utc::now()))]).await;
    assert_eq!(res.results[0].status, PushStatus::Stored, "{res:?}");
    // Forward only: 已闭环转运, then a later "已上报" (which no desk makes) is kept as a step and
    // does not reopen the incident.
    let to = |status: &str, minutes: i64| {
        record(
            RecordKind::IncidentEvent,
            json!({"incident_id": incident.id, "venue_id": venue, "status": status, "note": "已电话告知社区",
                   "at": Utc::now() + chrono::Duration::minutes(minutes)}),
        )
    };
    let res = owner.push(&[to("handed_over", 1), to("reported", 2)]).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Stored), "{res:?}");
    let status: String = sqlx::query_scalar("SELECT status FROM incidents").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "handed_over");
    // A green person has no incident: refused, naming the colour.
    let green = record(
        RecordKind::Incident,
        json!({"visit_id": Uuid::now_v7(), "venue_id": venue, "colour": "green", "reason": "",
               "held_at": "临时隔离室", "reported_to": "社区", "status": "isolated", "at": Utc::now()}),
    );
    let res = owner.push(&[green]).await;
    assert_eq!((res.results[0].status, res.results[0].field.as_deref()), (PushStatus::Rejected, Some("colour")));
}

/// 7. Work before authentication: a push without a valid credential is refused before its body
/// is read (a client announcing 4 MB and sending 10 bytes gets 401 at once, not after the
/// timeout); past the concurrency limit a request is refused at once (503 for the API, 429 and a
/// page that retries by itself at a door).
#[sqlx::test]
async fn attack_7_no_body_is_read_before_the_credential_and_overload_is_refused(pool: PgPool) {
    let cfg = ServeConfig { max_concurrent: 1, request_timeout_secs: 5, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let head = |auth: &str| {
        format!(
            "POST /api/v1/push HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n\
             Authorization: Bearer {auth}\r\nContent-Length: 4000000\r\n\r\n0123456789"
        )
    };
    let started = std::time::Instant::now();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(head("pcd_nobody").as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(StdDuration::from_secs(3), conn.read(&mut answer)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(started.elapsed() < StdDuration::from_secs(2), "{:?}", started.elapsed());

    // One slow push holds the only slot; the next request is refused at once, in Chinese: JSON
    // under /api/, a page that retries by itself elsewhere. The probes still answer.
    let desk = s.desk(&["gulou"], &[]).await;
    let trickle = |credential: &str| {
        format!(
            "POST /api/v1/push HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {credential}\r\nContent-Length: 1000\r\n\r\n{{\"records\": ["
        )
    };
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(trickle(&desk.credential).as_bytes()).await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let res = s.http.get(s.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["message"].as_str()), (Some("busy"), Some("服务器繁忙，请稍后再试")));
    // A door is told to wait, never shown a server error.
    let res = s.http.get(s.url("/c/0123456789ABCDEFGHJKMNPQRSTVWXYZ01")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers().get("refresh").and_then(|v| v.to_str().ok()), Some("5"));
    let html = res.text().await.unwrap();
    assert!(html.contains("排队中") && html.contains("自动重试"), "{html}");
    assert_eq!(s.http.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    drop(slow);
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert_eq!(s.http.get(s.url("/api/v1/openapi.json")).send().await.unwrap().status(), 200);
}

/// 7. One client cannot hold every slot: past its share of requests in flight it is refused
/// (429) while other clients are served.
#[sqlx::test]
async fn attack_7_one_client_holds_only_its_share_of_the_server(pool: PgPool) {
    let cfg = ServeConfig { max_per_client: 2, trust_proxy: true, request_timeout_secs: 5, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /c/X HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: 203.0.113.5\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname="
        );
        c.write_all(head.as_bytes()).await.unwrap();
        held.push(c);
    }
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let from = |ip: &'static str| s.http.get(s.url("/checkpoints")).header("x-forwarded-for", ip).send();
    let res = from("203.0.113.5").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("排队中"));
    assert_eq!(from("198.51.100.9").await.unwrap().status(), 200, "another client is served");
    drop(held);
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert_eq!(from("203.0.113.5").await.unwrap().status(), 200, "its slots come back");
}

/// What the framework refuses (a body over the limit, a query that does not parse, a wrong
/// method, a route that does not exist, a timeout) is answered in Chinese: JSON under /api/.
#[sqlx::test]
async fn attack_7_the_frameworks_refusals_are_answered_in_chinese(pool: PgPool) {
    let cfg = ServeConfig { request_timeout_secs: 1, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let desk = s.desk(&["gulou"], &[]).await;
    let json = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or_else(|e| panic!("{status}: not JSON ({e})"));
        (
            status,
            body["code"].as_str().unwrap_or_default().to_owned(),
            body["message"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let big = vec![b' '; 5 * 1024 * 1024];
    let res = desk.http.post(s.url("/api/v1/push")).bearer_auth(&desk.credential).body(big).send().await.unwrap();
    assert_eq!(json(res).await, (413, "too_large".into(), "请求内容过大（最多4 MiB）".into()));
    let res = desk.http.get(s.url("/api/v1/pull?cursor=abc")).bearer_auth(&desk.credential).send().await.unwrap();
    assert_eq!(json(res).await, (400, "bad_request".into(), "请求格式不对".into()));
    let res = s.http.get(s.url("/api/v1/enrol")).send().await.unwrap();
    assert_eq!(json(res).await, (405, "method_not_allowed".into(), "不支持该请求方法".into()));
    let res = s.http.get(s.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(json(res).await, (404, "not_found".into(), "未找到该地址".into()));
    // A body that never comes: 408, in words.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/enrol HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(StdDuration::from_secs(5), c.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408") && text.contains("请求超时"), "{text}");
}

/// 8. Cleartext and cookies: the desk refuses an http:// server (except this machine); over
/// https the phone's cookie is `__Host-` and Secure, a plain `pc_phone` cookie planted by
/// another host is not honoured, and a phone the administrator revoked holds no one.
#[sqlx::test]
async fn attack_8_no_cleartext_host_only_cookies_and_a_revoked_phone(pool: PgPool) {
    match placecode_sync_client::server_url("http://placecode.kaifeng.gov.cn") {
        Err(placecode_sync_client::Failure::Refused { field: Some("url"), message: m }) => {
            assert!(m.contains("https://"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(placecode_sync_client::server_url("http://127.0.0.1:8080").is_ok());

    // A server whose public address is https (behind its TLS proxy).
    let s = Server::start_with(pool.clone(), serve_config(100_000)).await;
    let app =
        placecode_central::App::new(pool.clone(), s.keys.clone(), "https://placecode.example", &serve_config(100_000));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let https_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            placecode_central::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = format!("{https_base}/c/{code}");
    let plain = reqwest::Client::new();
    let res = plain.get(&url).send().await.unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-pc_phone=") && cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    // The same signed value under the old name is not the phone.
    let value = cookie.split(';').next().unwrap().trim_start_matches("__Host-pc_phone=").to_owned();
    let res = plain.get(&url).header("cookie", format!("pc_phone={value}")).send().await.unwrap();
    assert!(res.headers().get("set-cookie").is_some(), "a fresh phone: the planted cookie is ignored");

    // Revocation, on the plain-http test server: a phone holding a person, then revoked.
    let phone = phone_client();
    let plain_url = s.url(&format!("/c/{code}"));
    let (status, _) =
        post_form(&phone, &plain_url, &declaration(&form(&phone, &plain_url).await, "李秀兰", &resident_id(9300)))
            .await;
    assert_eq!(status, 200);
    let id: Uuid = sqlx::query_scalar("SELECT phone_id FROM phone_people").fetch_one(&pool).await.unwrap();
    let result: String = sqlx::query_scalar("SELECT id::text FROM phone_results").fetch_one(&pool).await.unwrap();
    let result_url = format!("{plain_url}/r/{result}");
    assert_eq!(phone.get(&result_url).send().await.unwrap().status(), 200);
    placecode_central::phone::revoke(&pool, id).await.unwrap();
    assert_eq!(phone.get(&result_url).send().await.unwrap().status(), 404, "its results are gone with it");
    let html = phone.get(&plain_url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"id_number\"") && !html.contains("李**"), "a new phone's first visit: {html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_people").await, 0);
}

/// 7. What can wait yields at a rush: pulls, traces and supervision share a few slots of their
/// own; when they are taken, more are asked to come back (503, Retry-After) while phones and
/// desks' pushes are still served.
#[sqlx::test]
async fn attack_7_traces_and_pulls_cannot_take_the_doors_slots(pool: PgPool) {
    let cfg = ServeConfig { max_background: 1, request_timeout_secs: 10, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let tracer = placecode_central::trace::make_tracer(&s.pool, "流调员", 1, &[]).await.unwrap();
    // A tracer's slow query (its body sent a byte at a time) holds the one background slot.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/trace/person HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {tracer}\r\nContent-Length: 1000\r\n\r\n{{\"purpose\": "
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    // Another trace and a desk's pull wait their turn.
    let res = s
        .http
        .post(s.url("/api/v1/trace/venue"))
        .bearer_auth(&tracer)
        .json(&json!({"purpose": "流调测试", "venue_id": venue, "from": Utc::now() - Duration::days(1), "to": Utc::now()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let res = s.http.get(s.url("/api/v1/pull?cursor=0")).bearer_auth(&desk.credential).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"].as_str(), Some("busy"));
    // A trace without a credential is refused as before, taking no slot.
    let res = s.http.post(s.url("/api/v1/trace/venue")).bearer_auth("pct_wrong").json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // The door and the desks' pushes are served meanwhile.
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let t = form(&phone, &url).await;
    let r = phone.post(&url).form(&declaration(&t, "王建国", &resident_id(31))).send().await.unwrap();
    assert_eq!(r.status(), 200, "the phone reached its result");
    let pushed = desk.push(&[visit_record(venue, &resident_id(32), "李秀英", Utc::now())]).await;
    assert_eq!(pushed.results[0].status, PushStatus::Stored);
    // The slot given back, pulls are served again.
    drop(slow);
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let res = s.http.get(s.url("/api/v1/pull?cursor=0")).bearer_auth(&desk.credential).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
