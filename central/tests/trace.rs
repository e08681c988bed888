//! Tracing (R11) through the authenticated API and its audit log, retention by day partitions,
//! and the OpenAPI document checked against the real routes and real answers.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use placecode_core::sync::PushStatus;
use placecode_core::venue::CodeKind;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// The names of a trace answer's rows (`visits` or `overlaps`), in its order.
fn row_names(body: &Value, rows: &str) -> Vec<String> {
    body[rows].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect()
}

async fn post(s: &Server, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = s.http.post(s.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[sqlx::test]
async fn person_venue_and_overlap_queries_are_answered_and_audited(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (hotel, _) = desk.venue_with_code("鼓楼宾馆", CodeKind::General).await;
    let now = Utc::now();
    let case = resident_id(1);
    let recs = vec![
        visit_record(mall, &case, "病例甲", now - Duration::hours(30)),
        visit_record(hotel, &case, "病例甲", now - Duration::hours(5)),
        // Within 2 hours of the case at the mall: a contact.
        visit_record(mall, &resident_id(2), "接触乙", now - Duration::hours(29)),
        // At the mall, but 5 hours later: not a contact.
        visit_record(mall, &resident_id(3), "路人丙", now - Duration::hours(25)),
        // At the hotel 90 minutes before the case: a contact.
        visit_record(hotel, &resident_id(4), "接触丁", now - Duration::minutes(390)),
        // 20 days ago, same venue: outside the 14 days.
        visit_record(mall, &case, "病例甲", now - Duration::days(20)),
        visit_record(mall, &resident_id(5), "旧客戊", now - Duration::days(20) + Duration::minutes(10)),
    ];
    assert!(desk.push(&recs).await.results.iter().all(|r| r.status == PushStatus::Stored));
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心张医生", 30, &[]).await.unwrap();

    let (status, body) =
        post(&s, "/api/v1/trace/overlap", &token, json!({"purpose": "流调测试", "id_number": case, "hours": 2})).await;
    assert_eq!(status, 200, "{body}");
    let mut names = row_names(&body, "overlaps");
    names.sort();
    assert_eq!(names, ["接触丁", "接触乙"]);

    let (_, body) = post(
        &s,
        "/api/v1/trace/person",
        &token,
        json!({"purpose": "流调测试", "id_number": case, "from": now - Duration::days(30), "to": now}),
    )
    .await;
    assert_eq!(body["visits"].as_array().unwrap().len(), 3);
    assert_eq!(body["visits"][0]["venue_name"], "鼓楼超市");

    let (_, body) = post(
        &s,
        "/api/v1/trace/venue",
        &token,
        json!({"purpose": "流调测试", "venue_id": mall, "from": now - Duration::hours(31), "to": now}),
    )
    .await;
    assert_eq!(body["visits"].as_array().unwrap().len(), 3);

    // Without a tracing credential: refused, nothing shown.
    let (status, body) = post(
        &s,
        "/api/v1/trace/person",
        "pct_wrong",
        json!({"purpose": "流调测试", "id_number": case, "from": now, "to": now}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) =
        post(&s, "/api/v1/trace/overlap", &desk.credential, json!({"purpose": "流调测试", "id_number": case})).await;
    assert_eq!(status, 401);
    // Bad input gets the field's reason.
    let (status, body) =
        post(&s, "/api/v1/trace/overlap", &token, json!({"purpose": "流调测试", "id_number": "123", "hours": 2})).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().starts_with("证件号："), "{body}");

    // Every answered query is in the audit log, with who asked and a masked number.
    let audit: Vec<(String, String, Value, i64, String, String)> = sqlx::query_as(
        "SELECT actor, action, params, results, source, purpose FROM audit_log WHERE action IN ('trace_person', 'trace_venue', 'trace_overlap') ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 3);
    assert!(audit[0].0.starts_with("tracer:") && audit[0].0.ends_with(":疾控中心张医生"), "{}", audit[0].0);
    // From where, and why.
    assert_eq!((audit[0].4.as_str(), audit[0].5.as_str()), ("127.0.0.1", "流调测试"));
    assert_eq!((audit[0].1.as_str(), audit[0].3), ("trace_overlap", 2));
    let logged = audit[0].2["id_number"].as_str().unwrap();
    assert!(logged.contains('*') && !logged.contains(&case[6..14]), "{logged}");
}

/// 时空伴随 by real stays: the case left the market ten minutes after arriving (离场 at the desk);
/// someone arriving 30 minutes after the case is no contact, someone who arrived before and was
/// still there is, and someone who left before the case arrived is not.
#[sqlx::test]
async fn overlap_uses_real_stays_where_a_departure_was_recorded(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let now = Utc::now();
    let at = |m: i64| now - Duration::hours(3) + Duration::minutes(m);
    let case = resident_id(11);
    let visits = [
        visit_record(mall, &case, "病例甲", at(60)),
        visit_record(mall, &resident_id(12), "后到乙", at(90)),
        visit_record(mall, &resident_id(13), "先到丙", at(30)),
        visit_record(mall, &resident_id(14), "早走丁", at(0)),
    ];
    let ids: Vec<String> = visits.iter().map(|v| v.id.clone()).collect();
    assert!(desk.push(&visits).await.results.iter().all(|r| r.status == PushStatus::Stored));
    let leave = |id: &str, m: i64| {
        record(placecode_core::sync::RecordKind::Departure, json!({"venue_id": mall, "visit_ids": [id], "at": at(m)}))
    };
    let res = desk.push(&[leave(&ids[0], 70), leave(&ids[3], 20)]).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Stored), "{res:?}");
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心张医生", 30, &[]).await.unwrap();
    let (status, body) =
        post(&s, "/api/v1/trace/overlap", &token, json!({"purpose": "流调测试", "id_number": case, "hours": 2})).await;
    assert_eq!(status, 200, "{body}");
    let names = row_names(&body, "overlaps");
    assert_eq!(names, ["先到丙"], "{body}");
}

#[sqlx::test]
async fn old_days_are_dropped_whole(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let now = Utc::now();
    let recs: Vec<_> = [1, 10, 27, 29, 40]
        .iter()
        .map(|d| visit_record(mall, &resident_id(*d), "张三", now - Duration::days(*d as i64)))
        .collect();
    desk.push(&recs).await;
    let partitions = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'visits'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    // A pull change carrying an old check-in, and a fresh one.
    for days in [40, 1] {
        sqlx::query("INSERT INTO changes (kind, venue_id, body, at) VALUES ('phone_visit', $1, '{}', now() - make_interval(days => $2))")
            .bind(mall)
            .bind(days)
            .execute(&pool)
            .await
            .unwrap();
    }
    let before = partitions(pool.clone()).await;
    // 29 + today + 2 ahead, and the default.
    assert_eq!(before, 29 + 2 + 1);
    let dropped = placecode_central::db::maintain_partitions(&pool, 14, 365).await.unwrap();
    assert_eq!(dropped.len(), 14);
    let left: Vec<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT at FROM visits ORDER BY at").fetch_all(&pool).await.unwrap();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|t| *t > now - Duration::days(15)));
    let changes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM changes WHERE kind = 'phone_visit'").fetch_one(&pool).await.unwrap();
    assert_eq!(changes, 1, "the old check-in's pull change went with it");
}

/// 保存期限 at the centre: after the retention window, nothing of a person seen only before it is
/// left anywhere in a dump of the database (document number, name, phone; their phone's link,
/// a closed incident and its steps); a person seen yesterday stays; the audit log is kept for its
/// own, longer period.
#[sqlx::test]
async fn r12_past_retention_nothing_of_a_person_is_left_in_a_dump(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let now = Utc::now();
    let (gone, stays) = (resident_id(40), resident_id(1));
    let mut old = visit_record(mall, &gone, "欧阳旧人", now - Duration::days(40));
    old.body["person"]["phone"] = json!("13911112222");
    desk.push(&[old, visit_record(mall, &stays, "李现在", now - Duration::days(1))]).await;
    // The clock moved on 40 days for the old person's record, a phone that declared them, a
    // closed incident with its step, and audit entries of 20 and 400 days.
    let exec = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query(sql).execute(&pool).await.unwrap() }
    };
    let old_hash = placecode_core::risk::id_hash(&s.keys.lookup, &gone).to_vec();
    sqlx::query("UPDATE people SET updated_at = now() - interval '40 days' WHERE id_hash = $1")
        .bind(&old_hash)
        .execute(&pool)
        .await
        .unwrap();
    exec("INSERT INTO phones (id, created_at, seen_at) VALUES ('00000000-0000-7000-8000-000000000001', now() - interval '40 days', now() - interval '40 days')").await;
    let linked = sqlx::query("INSERT INTO phone_people (phone_id, person_id, added_at) SELECT '00000000-0000-7000-8000-000000000001', id, now() - interval '40 days' FROM people WHERE id_hash = $1")
        .bind(&old_hash)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(linked.rows_affected(), 1);
    sqlx::query("INSERT INTO incidents (id, visit_id, venue_id, desk_id, colour, reason, held_at, reported_to, status, at, updated_at)
                 VALUES (gen_random_uuid(), gen_random_uuid(), $1, gen_random_uuid(), 'red', '欧阳旧人发热', '门卫室', '社区', 'handed_over', now() - interval '40 days', now() - interval '40 days')")
        .bind(mall)
        .execute(&pool)
        .await
        .unwrap();
    exec("INSERT INTO incident_events (id, incident_id, status, note, at) SELECT gen_random_uuid(), id, 'handed_over', '120送欧阳旧人', at FROM incidents").await;
    exec("INSERT INTO audit_log (at, actor, action, params, results) VALUES (now() - interval '400 days', 'tracer:old', 'trace', '{}', 1), (now() - interval '20 days', 'tracer:kept', 'trace', '{}', 1)").await;

    let before = pg_dump(&pool).await;
    assert!(before.contains("欧阳旧人发热") && before.contains("tracer:old"), "the check can fail");
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_people").await, 1);
    placecode_central::db::maintain_partitions(&pool, 28, 365).await.unwrap();
    let after = pg_dump(&pool).await;
    for left in [gone.as_str(), "欧阳旧人", "13911112222", "00000000-0000-7000-8000-000000000001", "tracer:old"] {
        assert!(!after.contains(left), "{left} is still in the dump");
    }
    assert!(after.contains("tracer:kept"));
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 1, "the person seen yesterday stays");
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_people").await, 0);
    let traced = trace_person(&s, &stays).await;
    assert_eq!(traced["visits"][0]["name"], "李现在");
}

/// A tracer's query for one person's visits over the last 30 days.
async fn trace_person(s: &Server, id_number: &str) -> Value {
    let token = placecode_central::trace::make_tracer(&s.pool, "test", 30, &[]).await.unwrap();
    let now = Utc::now();
    let body = json!({ "purpose": "流调测试", "id_number": id_number, "from": now - Duration::days(30), "to": now + Duration::days(1) });
    let (status, answer) = post(s, "/api/v1/trace/person", &token, body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// 数据加密 at the centre: a person's document number, name, address and phone are sealed in the
/// database (a dump shows none of them); tracing still reads them; a person stored in clear by an
/// older server is sealed by `reseal`; after a key rotation and a reseal, every value is under the
/// new key, the old key is gone from the file, and tracing still reads them.
#[sqlx::test]
async fn r12_personal_fields_are_sealed_at_rest_and_the_key_rotates(pool: PgPool) {
    use placecode_central::fields::DataKeys;
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (a, b) = (resident_id(11), resident_id(12));
    desk.push(&[visit_record(mall, &a, "欧阳𠮷祥", Utc::now())]).await;
    // A child registered by hand by a guardian: who helped is personal too.
    let mut helped = visit_record(mall, &resident_id(13), "张小明", Utc::now());
    helped.body["way_in"] = json!("manual");
    let guardian = placecode_core::checkin::Helper::Guardian {
        name: "张卫国".into(),
        relation: "父亲".into(),
        phone: "13912345678".into(),
        document_number: "410203198001010036".into(),
    };
    helped.body["helper"] = json!(serde_json::to_string(&guardian).unwrap());
    // Why the door showed yellow is health data: sealed with the visit.
    helped.body["colour"] = json!("yellow");
    helped.body["reasons"] = json!(["体温38.6℃，达到发热标准"]);
    let pushed = desk.push(&[helped]).await;
    assert_eq!(pushed.results[0].status, placecode_core::sync::PushStatus::Stored, "{:?}", pushed.results);
    let dump = pg_dump(&pool).await;
    for clear in [
        a.as_str(),
        "欧阳",
        "13837800002",
        "开封市鼓楼区中山路1号",
        "张卫国",
        "410203198001010036",
        "13912345678",
        "发热",
        "王建国",
        "13837800001",
    ] {
        assert!(!dump.contains(clear), "{clear} in clear in the dump");
    }
    assert!(dump.contains("pc1."), "sealed values are there");
    assert!(!dump.contains(&hex::encode(desk.key.secret())), "the desk's code-signing secret is sealed");
    let traced = trace_person(&s, &a).await;
    assert_eq!(traced["visits"][0]["name"], "欧阳𠮷祥");
    assert_eq!(traced["visits"][0]["document_number"], a.as_str());
    assert_eq!(traced["visits"][0]["phone"], "13837800002");

    // A person written in clear (by a server from before encryption), then sealed.
    desk.push(&[visit_record(mall, &b, "李娜", Utc::now())]).await;
    let hb = placecode_core::risk::id_hash(&s.keys.lookup, &b);
    sqlx::query("UPDATE people SET name = '李娜', document_number = $1 WHERE id_hash = $2")
        .bind(&b)
        .bind(&hb[..])
        .execute(&pool)
        .await
        .unwrap();
    // And a visit's reasons kept in clear by a server from before they were sealed.
    let (visit, at, sealed): (Uuid, DateTime<Utc>, String) =
        sqlx::query_as("SELECT id, at, sealed_reasons FROM visits WHERE sealed_reasons IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(s.keys.data.open_reasons(&visit, &sealed).unwrap(), ["体温38.6℃，达到发热标准"]);
    sqlx::query("UPDATE visits SET reasons = ARRAY['体温39.1℃，达到发热标准'], sealed_reasons = NULL WHERE id = $1")
        .bind(visit)
        .execute(&pool)
        .await
        .unwrap();
    let dump = pg_dump(&pool).await;
    assert!(dump.contains("李娜") && dump.contains("39.1℃"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.key");
    // A server started without its data key file, or with another one, refuses to run rather
    // than seal new values with a new key.
    let e = placecode_central::db::data_keys(&pool, &path).await.unwrap_err().to_string();
    assert!(e.contains("no data key file"), "{e}");
    assert!(!path.exists(), "no new key was made");
    DataKeys::load(&path, true).unwrap();
    let e = placecode_central::db::data_keys(&pool, &path).await.unwrap_err().to_string();
    assert!(e.contains("lacks the keys [\"00000000\"]"), "{e}");
    std::fs::remove_file(&path).unwrap();
    s.keys.data.save(&path).unwrap();
    assert!(placecode_central::db::data_keys(&pool, &path).await.is_ok());
    let mut keys = placecode_central::Keys { data: DataKeys::load(&path, false).unwrap(), ..s.keys.clone() };
    // And a desk's code key kept in clear by an older server: its pushes still verify.
    sqlx::query("UPDATE desks SET code_key_secret = $2, code_key_sealed = NULL WHERE id = $1")
        .bind(desk.id)
        .bind(&desk.key.secret()[..])
        .execute(&pool)
        .await
        .unwrap();
    desk.push(&[visit_record(mall, &resident_id(14), "王五", Utc::now())]).await;
    assert!(pg_dump(&pool).await.contains(&hex::encode(desk.key.secret())));
    // The visit's reasons and the desk's key.
    assert_eq!(placecode_central::people::seal_records(&pool, &keys).await.unwrap(), 2);
    assert!(!pg_dump(&pool).await.contains(&hex::encode(desk.key.secret())));
    let pushed = desk.push(&[visit_record(mall, &resident_id(15), "赵六", Utc::now())]).await;
    assert_eq!(pushed.results[0].status, PushStatus::Stored, "the desk is authenticated with its key sealed");
    let (resealed, used) = placecode_central::people::reseal(&pool, &keys).await.unwrap();
    assert_eq!((resealed, used), (1, vec![0]));
    let dump = pg_dump(&pool).await;
    assert!(!dump.contains("李娜") && !dump.contains("39.1℃"));
    let (reasons, sealed): (Vec<String>, String) =
        sqlx::query_as("SELECT reasons, sealed_reasons FROM visits WHERE id = $1 AND at = $2")
            .bind(visit)
            .bind(at)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(reasons.is_empty());
    assert_eq!(keys.data.open_reasons(&visit, &sealed).unwrap(), ["体温39.1℃，达到发热标准"]);
    assert!(keys.data.open_reasons(&Uuid::now_v7(), &sealed).is_err(), "bound to its visit");
    assert_eq!(trace_person(&s, &b).await["visits"][0]["name"], "李娜");

    // A body sealed whole under the old key (a pull change) keeps that key through a rotation.
    sqlx::query("INSERT INTO changes (kind, venue_id, body) VALUES ('phone_visit', $1, $2)")
        .bind(mall)
        .bind(s.keys.data.seal_body("phone_visit", &json!({"person": {"name": "欧阳𠮷祥"}})).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    keys.data = DataKeys::rotate(&path).unwrap();
    // The desk's code key and the venue's manager move to the new key: desks and venues are
    // kept for good, not aged out.
    assert_eq!(placecode_central::people::seal_records(&pool, &keys).await.unwrap(), 2);
    let (resealed, used) = placecode_central::people::reseal(&pool, &keys).await.unwrap();
    assert_eq!(resealed, 5, "the five people");
    let mut expected = vec![0, keys.data.current()];
    let mut got = used.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "the old key stays while the change sealed under it is kept");
    keys.data.retain(&path, &used).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    // The change and the guardian on the child's visit age out with retention.
    sqlx::query("DELETE FROM changes").execute(&pool).await.unwrap();
    sqlx::query("DELETE FROM visits WHERE helper IS NOT NULL").execute(&pool).await.unwrap();
    let (_, used) = placecode_central::people::reseal(&pool, &keys).await.unwrap();
    assert_eq!(used, vec![keys.data.current()]);
    keys.data.retain(&path, &used).unwrap();
    let current = format!("{:08x}", keys.data.current());
    let file = std::fs::read_to_string(&path).unwrap();
    assert_eq!(file.lines().count(), 1);
    assert!(file.starts_with(&current));
    let sealed_under: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT split_part(name, '.', 2) FROM people").fetch_all(&pool).await.unwrap();
    assert_eq!(sealed_under, vec![current]);
    let ha = placecode_core::risk::id_hash(&keys.lookup, &a);
    let name: String =
        sqlx::query_scalar("SELECT name FROM people WHERE id_hash = $1").bind(&ha[..]).fetch_one(&pool).await.unwrap();
    assert_eq!(keys.data.open("name", &ha, &name).unwrap(), "欧阳𠮷祥");
    assert!(s.keys.data.open("name", &ha, &name).is_err(), "the old key no longer opens it");
}

#[sqlx::test]
async fn a_day_without_a_partition_waits_in_the_default_then_moves(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    // Ten days ahead (a desk clock far off is refused beyond a day, so write directly).
    sqlx::query("INSERT INTO visits (id, at, person_id, venue_id, source, way_in, colour, health_code, reasons)
                 VALUES (gen_random_uuid(), now() + interval '10 days', 1, $1, 'desk', 'last4', 'green', 'green', '{}')")
        .bind(mall)
        .execute(&pool)
        .await
        .unwrap();
    let in_default: i64 = sqlx::query_scalar("SELECT count(*) FROM visits_default").fetch_one(&pool).await.unwrap();
    assert_eq!(in_default, 1);
}

/// The OpenAPI document lists exactly the routes the server has, and real answers match it.
#[sqlx::test]
async fn the_openapi_document_is_true(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let doc: Value = s.http.get(s.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> =
        placecode_central::API_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    routes.sort();
    assert_eq!(documented, routes);

    // Real answers, each checked against the documented schema of its status.
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let now = Utc::now();
    let case = resident_id(9);
    let token = placecode_central::trace::make_tracer(&pool, "审计", 30, &[]).await.unwrap();
    let push_body = json!({"batch_id": "b", "records": [visit_record(mall, &case, "张三", now), {"id": "x", "kind": "visit", "written_at": now, "body": {}}]});
    let calls: Vec<(&str, &str, Option<&str>, Option<Value>)> = vec![
        ("post", "/api/v1/push", Some(&desk.credential), Some(push_body)),
        ("post", "/api/v1/push", Some("pcd_nobody"), Some(json!({}))),
        ("get", "/api/v1/pull", Some(&desk.credential), None),
        (
            "post",
            "/api/v1/enrol",
            None,
            Some(
                json!({"token": "pce_x", "desk_id": "00000000-0000-0000-0000-000000000001", "desk_name": "x", "code_key": {"id": 1, "secret_hex": "00".repeat(32)}}),
            ),
        ),
        (
            "post",
            "/api/v1/trace/person",
            Some(&token),
            Some(
                json!({"purpose": "流调测试", "id_number": case, "from": now - Duration::hours(1), "to": now + Duration::hours(1)}),
            ),
        ),
        (
            "post",
            "/api/v1/trace/venue",
            Some(&token),
            Some(
                json!({"purpose": "流调测试", "venue_id": mall, "from": now - Duration::hours(1), "to": now + Duration::hours(1)}),
            ),
        ),
        ("post", "/api/v1/trace/overlap", Some(&token), Some(json!({"purpose": "流调测试", "id_number": case}))),
        ("post", "/api/v1/trace/overlap", None, Some(json!({"purpose": "流调测试", "id_number": case}))),
        ("post", "/api/v1/trips", Some(&token), Some(json!({"status": "open", "purpose": "流调测试"}))),
        ("post", "/api/v1/trips", Some(&token), Some(json!({"status": "lost"}))),
    ];
    for (method, path, auth, body) in calls {
        let mut req = if method == "get" { s.http.get(s.url(path)) } else { s.http.post(s.url(path)) };
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16().to_string();
        let op = &doc["paths"][path][method];
        let documented = &op["responses"][&status];
        assert!(documented.is_object(), "{method} {path} answered {status}, which is not documented");
        let answer: Value = res.json().await.unwrap();
        let schema = &documented["content"]["application/json"]["schema"];
        if let Err(e) = conforms(&doc, schema, &answer, "$") {
            panic!("{method} {path} {status}: {e}\n{answer}");
        }
    }
}

/// A small JSON Schema check: $ref, allOf, type (or types), required, properties, items, enum.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], v, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().try_for_each(|s| conforms(doc, s, v, at));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty() && !types.iter().any(|t| *t == kind || (*t == "number" && kind == "integer")) {
        return Err(format!("{at}: {kind}, documented {types:?}"));
    }
    if let Some(e) = schema["enum"].as_array() {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    for r in schema["required"].as_array().into_iter().flatten() {
        let key = r.as_str().unwrap_or_default();
        if v.get(key).is_none() {
            return Err(format!("{at}: missing {key}"));
        }
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), v.as_object()) {
        for (k, sv) in obj {
            match props.get(k) {
                Some(ps) => conforms(doc, ps, sv, &format!("{at}.{k}"))?,
                None => return Err(format!("{at}: undocumented field {k}")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, it) in arr.iter().enumerate() {
            conforms(doc, items, it, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// R6: a child registered without a document (their number made from the guardian's) is stored
/// as the desk sent it and found by tracing, by place and time and by their own number; a child
/// record the desk would refuse (renamed, aged 41, without the guardian in its number) is refused.
#[sqlx::test]
async fn a_child_without_a_document_is_stored_and_traced(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let now = Utc::now();
    let case = resident_id(1);
    let guardian = resident_id(2);
    let birth = chrono::NaiveDate::from_ymd_opt(2019, 3, 4).unwrap();
    let child = placecode_core::identity::child_number(&guardian, birth, "王小雨");
    let adult = placecode_core::identity::child_number(
        &guardian,
        chrono::NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(),
        "王小雨",
    );
    let helper = |number: &str| {
        json!({"Guardian": {"name": "王伟", "relation": "父亲", "phone": "13837800009", "document_number": number}})
            .to_string()
    };
    let child_visit = |number: &str, name: &str, helper: Option<String>| {
        let mut r = visit_record(mall, number, name, now - Duration::minutes(50));
        r.body["person"]["document_kind"] = "child_with_guardian".into();
        r.body["way_in"] = "manual".into();
        r.body["helper"] = helper.map_or(Value::Null, Value::from);
        r
    };
    let recs = vec![
        visit_record(mall, &case, "病例甲", now - Duration::hours(1)),
        child_visit(&child, "王小雨", Some(helper(&guardian))),
        // The guardian's check character wrong.
        child_visit("410203198001010011C20190304ABCD", "王小雨", Some(helper("410203198001010011"))),
        child_visit(&child, "张三", Some(helper(&guardian))),
        child_visit(&adult, "王小雨", Some(helper(&guardian))),
        child_visit(&child, "王小雨", None),
        child_visit(&child, "王小雨", Some(helper(&resident_id(3)))),
    ];
    let results = desk.push(&recs).await.results;
    let got: Vec<(PushStatus, Option<&str>)> = results.iter().map(|r| (r.status, r.field.as_deref())).collect();
    assert_eq!(
        got,
        [
            (PushStatus::Stored, None),
            (PushStatus::Stored, None),
            (PushStatus::Rejected, Some("person.document_number")),
            (PushStatus::Rejected, Some("person.document_number")),
            (PushStatus::Rejected, Some("person.document_number")),
            (PushStatus::Rejected, Some("helper")),
            (PushStatus::Rejected, Some("helper")),
        ],
        "{results:?}"
    );
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心张医生", 30, &[]).await.unwrap();
    let (status, body) =
        post(&s, "/api/v1/trace/overlap", &token, json!({"purpose": "流调测试", "id_number": case, "hours": 2})).await;
    assert_eq!(status, 200, "{body}");
    let overlaps = body["overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), 1, "{body}");
    assert_eq!(overlaps[0]["name"], "王小雨", "{body}");
    // The tracer reads the guardian's number and the birth date in it: the child is reached
    // through the guardian; and finds the child's visits by that number.
    let number = overlaps[0]["document_number"].as_str().unwrap();
    assert!(number.starts_with(&format!("{guardian}C20190304")), "{body}");
    let (status, body) = post(
        &s,
        "/api/v1/trace/person",
        &token,
        json!({"purpose": "流调测试", "id_number": number.to_lowercase(), "from": now - Duration::days(1), "to": now}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["visits"].as_array().unwrap().len(), 1, "{body}");
    // The guardian, traced by her own number (she is not a visit of her own): the visits she
    // made with the child, and who was there then.
    let (_, body) = post(
        &s,
        "/api/v1/trace/person",
        &token,
        json!({"purpose": "流调测试", "id_number": guardian, "from": now - Duration::days(1), "to": now}),
    )
    .await;
    let names = row_names(&body, "visits");
    assert_eq!(names, ["王小雨"], "{body}");
    let (_, body) =
        post(&s, "/api/v1/trace/overlap", &token, json!({"purpose": "流调测试", "id_number": guardian, "hours": 2}))
            .await;
    let names = row_names(&body, "overlaps");
    assert_eq!(names, ["病例甲"], "{body}");
    // A refused twin of the venue (一所一码), checked in at before its desk moved: traced with it.
    let twin = Uuid::now_v7();
    let res = desk.push(&[venue_record(twin, "鼓楼超市", CodeKind::General)]).await;
    assert_eq!(res.results[0].decision.as_ref().map(|d| d.status.as_str()), Some("rejected"));
    desk.push(&[visit_record(twin, &resident_id(9), "孪生丙", now - Duration::minutes(30))]).await;
    let (_, body) = post(
        &s,
        "/api/v1/trace/venue",
        &token,
        json!({"purpose": "流调测试", "venue_id": mall, "from": now - Duration::days(1), "to": now}),
    )
    .await;
    let names = row_names(&body, "visits");
    assert_eq!(names, ["病例甲", "王小雨", "孪生丙"], "{body}");
}
