//! The sync API against a real PostgreSQL: enrolment, idempotent push, per-record rejection,
//! revoked desks, venue permissions, forged codes, bad bodies and SQL metacharacters.

mod common;

use chrono::Utc;
use common::*;
use placecode_core::sync::ChangeKind;
use placecode_core::sync::{PushStatus, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test]
async fn the_same_batch_three_times_is_stored_once(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let batch: Vec<_> = (0..300)
        .map(|i| visit_record(venue, &resident_id(i), "张三", Utc::now() - chrono::Duration::minutes(i as i64)))
        .collect();
    let first = desk.push(&batch).await;
    assert!(first.results.iter().all(|r| r.status == PushStatus::Stored));
    for _ in 0..2 {
        let again = desk.push(&batch).await;
        assert_eq!(again.results.len(), 300);
        assert!(again.results.iter().all(|r| r.status == PushStatus::Duplicate), "{:?}", again.results[0]);
        assert_eq!(again.results[7].id, batch[7].id);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 300);
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 300);
    // Same id, different content: a conflict, and the stored record is unchanged.
    let mut changed = batch[0].clone();
    changed.body["person"]["name"] = json!("李四");
    let r = desk.push(&[changed]).await;
    assert_eq!(r.results[0].status, PushStatus::Conflict);
    let (hash, name): (Vec<u8>, String) =
        sqlx::query_as("SELECT p.id_hash, p.name FROM visits v JOIN people p ON p.id = v.person_id WHERE v.id = $1")
            .bind(Uuid::parse_str(&batch[0].id).unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(test_keys().data.open("name", &hash, &name).unwrap(), "张三");
}

#[sqlx::test]
async fn one_bad_record_is_rejected_alone_with_its_reason(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let mut batch: Vec<_> = (0..10).map(|i| visit_record(venue, &resident_id(i), "张三", Utc::now())).collect();
    let good = resident_id(50);
    let wrong_check = if good.ends_with('1') { "2" } else { "1" };
    let bad_id = visit_record(venue, &format!("{}{wrong_check}", &good[..17]), "张三", Utc::now());
    batch.insert(3, bad_id);
    let mut bad_name = visit_record(venue, &resident_id(99), "", Utc::now());
    bad_name.body["person"]["name"] = json!("<script>");
    batch.insert(6, bad_name);
    let mut not_json_shape = visit_record(venue, &resident_id(98), "张三", Utc::now());
    not_json_shape.body = json!({"venue_id": 5});
    batch.push(not_json_shape);
    let mut bad_uuid = visit_record(venue, &resident_id(97), "张三", Utc::now());
    bad_uuid.id = "not-a-uuid".into();
    batch.push(bad_uuid);
    let res = desk.push(&batch).await;
    let statuses: Vec<_> = res.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == PushStatus::Stored).count(), 10);
    assert_eq!(res.results[3].status, PushStatus::Rejected);
    assert_eq!(res.results[3].field.as_deref(), Some("person.document_number"));
    assert!(res.results[3].reason.as_deref().unwrap().contains("校验位"), "{:?}", res.results[3]);
    assert_eq!(res.results[6].field.as_deref(), Some("person.name"));
    assert!(res.results[6].reason.as_deref().unwrap().starts_with("姓名："));
    assert_eq!(res.results[12].field.as_deref(), Some("body"));
    assert_eq!(res.results[13].field.as_deref(), Some("id"));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 10);
    assert_eq!(count(&pool, "SELECT count(*) FROM records WHERE kind = 'visit'").await, 10);
}

#[sqlx::test]
async fn a_revoked_desk_is_refused(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    placecode_central::enrol::revoke_desk(&pool, desk.id, &placecode_central::audit::Actor::cli("test")).await.unwrap();
    let body = serde_json::to_vec(
        &json!({"batch_id": "b", "records": [visit_record(venue, &resident_id(1), "张三", Utc::now())]}),
    )
    .unwrap();
    let res = desk.push_raw(body).await;
    assert_eq!(res.status(), 401);
    let e: placecode_core::sync::ApiError = res.json().await.unwrap();
    assert_eq!(e.code, "desk_revoked");
    assert!(e.message.contains("吊销"));
    let pull = s.http.get(s.url("/api/v1/pull")).bearer_auth(&desk.credential).send().await.unwrap();
    assert_eq!(pull.status(), 401);
    let unknown = s.http.get(s.url("/api/v1/pull")).bearer_auth("pcd_nothing").send().await.unwrap();
    assert_eq!(unknown.json::<placecode_core::sync::ApiError>().await.unwrap().code, "desk_unknown");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
}

#[sqlx::test]
async fn a_desk_cannot_write_for_another_desks_venue(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut a = s.desk(&["gulou"], &[]).await;
    let (venue_a, _) = a.venue_with_code("鼓楼超市", CodeKind::General).await;
    let b = s.desk(&["longting"], &[]).await;
    let res = b.push(&[visit_record(venue_a, &resident_id(1), "张三", Utc::now())]).await;
    assert_eq!(res.results[0].status, PushStatus::Rejected);
    assert_eq!(res.results[0].field.as_deref(), Some("venue_id"));
    // Nor register a venue outside its districts, nor take over another desk's venue.
    let outside = venue_record(Uuid::now_v7(), "鼓楼药店", CodeKind::General);
    let takeover = venue_record(venue_a, "改名超市", CodeKind::General);
    let res = b.push(&[outside, takeover]).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Rejected), "{res:?}");
    // Nor does its own desk move a venue into a district it may not register in (an edit, or
    // the resend of an older record that was refused for that very reason).
    let mut moved = venue_record(venue_a, "鼓楼超市", CodeKind::General);
    moved.body["district"] = serde_json::json!("longting");
    moved.body["address"] = serde_json::json!("龙亭区中山路100号");
    let res = a.push(&[moved]).await;
    assert_eq!(res.results[0].status, PushStatus::Rejected, "{res:?}");
    assert_eq!(res.results[0].field.as_deref(), Some("district"));
    let district: String =
        sqlx::query_scalar("SELECT district FROM venues WHERE id = $1").bind(venue_a).fetch_one(&pool).await.unwrap();
    assert_eq!(district, "gulou");
    // A second desk enrolled for the venue by name may write for it.
    let c = s.desk(&[], &[venue_a]).await;
    let res = c.push(&[visit_record(venue_a, &resident_id(2), "李四", Utc::now())]).await;
    assert_eq!(res.results[0].status, PushStatus::Stored);
    // ... and desk A sees C's check-in at its next pull, but not its own.
    let changes = a.pull(0).await;
    let visits: Vec<_> = changes.changes.iter().filter(|c| c.kind == ChangeKind::Visit).collect();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].body["visit"]["person"]["name"], "李四");
}

#[sqlx::test]
async fn forged_and_foreign_codes_never_reach_a_phone(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    // Signed by a key the server never saw.
    let stranger = placecode_core::code::SigningKey::generate().unwrap();
    let forged = stranger.sign(CodeKind::General, 1);
    // A real code with one character changed.
    let mut altered = desk.key.sign(CodeKind::General, 77);
    let last = if altered.ends_with('0') { "1" } else { "0" };
    altered.replace_range(altered.len() - 1.., last);
    // A checkpoint code for a general venue.
    let wrong_kind = desk.key.sign(CodeKind::Checkpoint, 78);
    let recs: Vec<_> = [&forged, &altered, &wrong_kind]
        .iter()
        .map(|c| record(RecordKind::Code, json!({"code": c, "venue_id": venue, "label": "侧门"})))
        .collect();
    let res = desk.push(&recs).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Rejected), "{res:?}");
    assert!(res.results[0].reason.as_deref().unwrap().contains("签名"));
    for c in [&forged, &altered, &wrong_kind] {
        let page = s.http.get(s.url(&format!("/c/{c}"))).send().await.unwrap();
        assert_eq!(page.status(), 404);
        let text = page.text().await.unwrap();
        assert!(text.contains("无效的场所码"), "{text}");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM codes").await, 1);
}

/// One code, one venue: a code the centre has for one venue, sent again for another (a desk
/// restored from a backup signs a serial it signed before), is refused with its reason and
/// changes nothing. After the desk's key is rotated, it still revokes its codes of the old key;
/// another desk's revocation, of a code the centre has not seen, or of a forged code of the
/// current key is refused.
#[sqlx::test]
async fn a_code_sent_again_for_another_venue_is_refused_and_old_keys_codes_are_revoked(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (a, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let b = Uuid::now_v7();
    let again = record(RecordKind::Code, json!({"code": code, "venue_id": b, "label": "正门"}));
    let res = desk.push(&[venue_record(b, "鼓楼饭店", CodeKind::General), again]).await;
    assert_eq!(res.results[0].status, PushStatus::Stored);
    assert_eq!(res.results[1].status, PushStatus::Rejected, "{res:?}");
    assert!(res.results[1].reason.as_deref().unwrap().contains("已用于另一场所"), "{res:?}");
    let on_record: Uuid =
        sqlx::query_scalar("SELECT venue_id FROM codes WHERE code = $1").bind(&code).fetch_one(&pool).await.unwrap();
    assert_eq!(on_record, a);

    // Another desk cannot revoke it (it is not on record as that desk's): refused, never
    // answered stored while the poster stays live; nor a code the centre has not seen.
    let other = s.desk(&["gulou"], &[]).await;
    let unseen = desk.key.sign(CodeKind::General, 424_242);
    let res = other.push(&[record(RecordKind::CodeRevoked, json!({"code": code, "reason": "海报损坏"}))]).await;
    assert_eq!(res.results[0].status, PushStatus::Rejected, "{res:?}");
    assert!(res.results[0].reason.as_deref().unwrap().contains("只能停用本登记台签发"), "{res:?}");
    let res = desk.push(&[record(RecordKind::CodeRevoked, json!({"code": unseen, "reason": "海报损坏"}))]).await;
    assert_eq!(res.results[0].status, PushStatus::Rejected, "{res:?}");
    let revoked = || async {
        sqlx::query_scalar::<_, bool>("SELECT revoked_at IS NOT NULL FROM codes WHERE code = $1")
            .bind(&code)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert!(!revoked().await, "another desk revoked nothing");

    // The desk's key rotated (as a re-enrolment with a new key does).
    let new = placecode_core::code::SigningKey::generate().unwrap();
    sqlx::query("UPDATE desks SET code_key_id = $2, code_key_sealed = $3 WHERE id = $1")
        .bind(desk.id)
        .bind(i64::from(new.id))
        .bind(s.keys.data.seal_code_key(desk.id, new.secret()).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let mut forged = new.sign(CodeKind::General, 5);
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(forged.len() - 1.., last);
    let res = desk
        .push(&[
            record(RecordKind::CodeRevoked, json!({"code": forged, "reason": "海报损坏"})),
            record(RecordKind::CodeRevoked, json!({"code": code, "reason": "海报损坏"})),
        ])
        .await;
    assert_eq!(res.results[0].status, PushStatus::Rejected, "{res:?}");
    assert_eq!(res.results[1].status, PushStatus::Stored, "{res:?}");
    assert!(revoked().await, "the desk revoked its code of the old key");
}

#[sqlx::test]
async fn a_visit_naming_another_venues_code_is_refused(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (a, code_a) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (b, code_b) = desk.venue_with_code("鼓楼饭店", CodeKind::General).await;
    let now = Utc::now();
    let visit = |venue: Uuid, code: Option<&str>, seed: u64| {
        let mut r = visit_record(venue, &resident_id(seed), "张三", now);
        if let Some(c) = code {
            r.body["code"] = json!(c);
        }
        r
    };
    // A code not yet on record (its record may come later) is taken, as is the venue's own.
    let unseen = desk.key.sign(CodeKind::General, 434_343);
    let res = desk
        .push(&[visit(a, Some(&code_b), 1), visit(a, Some(&code_a), 2), visit(b, Some(&unseen), 3), visit(b, None, 4)])
        .await;
    let statuses: Vec<_> = res.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [PushStatus::Rejected, PushStatus::Stored, PushStatus::Stored, PushStatus::Stored], "{res:?}");
    assert_eq!(res.results[0].field.as_deref(), Some("code"), "{res:?}");
    assert!(res.results[0].reason.as_deref().unwrap().contains("属于其他场所"), "{res:?}");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visits WHERE venue_id = $1").bind(a).fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 1, "only the visit with its own venue's code");
}

#[sqlx::test]
async fn one_code_per_place_city_wide(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut a = s.desk(&["gulou"], &[]).await;
    a.venue_with_code("鼓楼超市", CodeKind::General).await;
    let b = s.desk(&["gulou"], &[]).await;
    // The same place, typed with full-width characters and spaces by another desk.
    let mut twin = venue_record(Uuid::now_v7(), "鼓楼 超市", CodeKind::General);
    twin.body["address"] = json!("鼓楼区中山路１００号");
    let res = b.push(&[twin]).await;
    assert_eq!(res.results[0].status, PushStatus::Stored);
    let d = res.results[0].decision.as_ref().unwrap();
    assert_eq!(d.status, "rejected");
    assert!(d.reason.contains("一所一码"), "{}", d.reason);
    // The rejecting decision reaches the desk by pull too.
    let pulled = b.pull(0).await;
    assert!(pulled.changes.iter().any(|c| c.kind == ChangeKind::VenueDecision && c.body["status"] == "rejected"));
    // The same place with the district written before its name and address, or not (a trial
    // had a logistics park approved both ways): refused, saying how its desk gets to serve it.
    let mut park = venue_record(Uuid::now_v7(), "祥符区豫东物流园", CodeKind::General);
    park.body["district"] = json!("xiangfu");
    park.body["address"] = json!("开封市祥符区物流大道8号");
    let c = s.desk(&["xiangfu"], &[]).await;
    assert_eq!(c.push(&[park]).await.results[0].decision.as_ref().unwrap().status, "approved");
    let mut again = venue_record(Uuid::now_v7(), "豫东物流园", CodeKind::General);
    again.body["district"] = json!("xiangfu");
    again.body["address"] = json!("物流大道8号");
    let res = c.push(&[again]).await;
    let d = res.results[0].decision.as_ref().unwrap();
    assert_eq!(d.status, "rejected", "{d:?}");
    assert!(d.reason.contains("祥符区豫东物流园") && d.reason.contains("接入凭证"), "{}", d.reason);
    // Another park on the same road is another place.
    let mut other = venue_record(Uuid::now_v7(), "豫东物流园", CodeKind::General);
    other.body["district"] = json!("xiangfu");
    other.body["address"] = json!("物流大道18号");
    assert_eq!(c.push(&[other]).await.results[0].decision.as_ref().unwrap().status, "approved");
}

#[sqlx::test]
async fn bad_requests_get_a_reason_and_store_nothing(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let res = desk.push_raw(b"{not json".to_vec()).await;
    assert_eq!(res.status(), 400);
    let e: placecode_core::sync::ApiError = res.json().await.unwrap();
    assert_eq!(e.code, "bad_request");
    assert!(e.message.contains("JSON"));
    let res = desk.push_raw(br#"{"batch_id": 1}"#.to_vec()).await;
    assert_eq!(res.status(), 400);
    // Over 4 MB.
    let big = vec![b' '; placecode_core::sync::MAX_BODY_BYTES + 10];
    let res = desk.push_raw(big).await;
    assert_eq!(res.status(), 413);
    // Over 5,000 records.
    let many: Vec<_> = (0..5001).map(|i| visit_record(venue, &resident_id(i), "张三", Utc::now())).collect();
    let body = serde_json::to_vec(&json!({"batch_id": "b", "records": many})).unwrap();
    let res = desk.push_raw(body).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<placecode_core::sync::ApiError>().await.unwrap().code, "batch_too_large");
    // A desk clock a day off is refused until fixed.
    let res = s
        .http
        .post(s.url("/api/v1/push"))
        .bearer_auth(&desk.credential)
        .header("x-desk-time", (Utc::now() - chrono::Duration::hours(30)).to_rfc3339())
        .body(r#"{"batch_id":"b","records":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
}

#[sqlx::test]
async fn sql_and_html_metacharacters_are_data_or_refused(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let nasty = ["'; DROP TABLE visits; --", "\" OR 1=1 --", "<img src=x onerror=alert(1)>", "\\x00", "𠀀𠀁", "😀"];
    let mut recs = Vec::new();
    for (i, n) in nasty.iter().enumerate() {
        let mut v = visit_record(venue, &resident_id(i as u64), "张三", Utc::now());
        v.body["person"]["name"] = json!(n);
        recs.push(v);
        let mut v = visit_record(venue, &resident_id(100 + i as u64), "张三", Utc::now());
        v.body["person"]["address"] = json!(n);
        recs.push(v);
        let mut v = visit_record(venue, &resident_id(200 + i as u64), "张三", Utc::now());
        v.body["operator"] = json!(n);
        recs.push(v);
        recs.push(record(
            RecordKind::Incident,
            json!({"visit_id": Uuid::now_v7(), "venue_id": venue, "colour": "red", "reason": n, "held_at": n,
                   "reported_to": n, "status": "isolated", "at": Utc::now()}),
        ));
    }
    let res = desk.push(&recs).await;
    for r in &res.results {
        assert!(matches!(r.status, PushStatus::Stored | PushStatus::Rejected), "{r:?}");
        if r.status == PushStatus::Rejected {
            assert!(r.reason.as_deref().is_some_and(|m| !m.is_empty()));
        }
    }
    // The tables are intact and what was stored is byte-for-byte what was sent.
    assert!(count(&pool, "SELECT count(*) FROM visits").await > 0);
    let held: Vec<String> =
        sqlx::query_scalar("SELECT held_at FROM incidents ORDER BY at").fetch_all(&pool).await.unwrap();
    assert!(held.iter().any(|h| h == "\" OR 1=1 --"), "{held:?}");
    // The report form's rule holds at the centre too: no ; < > in a place.
    assert!(!held.iter().any(|h| h.contains(';') || h.contains('<')), "{held:?}");
    let ops: Vec<Option<String>> = sqlx::query_scalar("SELECT operator FROM visits").fetch_all(&pool).await.unwrap();
    assert!(ops.iter().any(|o| o.as_deref() == Some("<img src=x onerror=alert(1)>")));
    // Rare characters outside the BMP are a valid name.
    let names: Vec<String> = people_on_file(&pool).await.into_iter().map(|p| p.name).collect();
    assert!(names.iter().any(|n| n == "𠀀𠀁"), "{names:?}");
}

#[sqlx::test]
async fn batches_travel_gzipped_both_ways(pool: PgPool) {
    use std::io::Write;
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let batch: Vec<_> = (0..2000).map(|i| visit_record(venue, &resident_id(i), "张三", Utc::now())).collect();
    let plain = serde_json::to_vec(&json!({"batch_id": "gz", "records": batch})).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let packed = gz.finish().unwrap();
    assert!(packed.len() * 5 < plain.len(), "{} → {}", plain.len(), packed.len());
    // A client that leaves the answer compressed, to see that it was.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let res = raw
        .post(s.url("/api/v1/push"))
        .bearer_auth(&desk.credential)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .header("accept-encoding", "gzip")
        .body(packed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&res.bytes().await.unwrap()[..]), &mut text)
        .unwrap();
    let answer: placecode_core::sync::PushResponse = serde_json::from_str(&text).unwrap();
    assert!(answer.results.iter().all(|r| r.status == PushStatus::Stored));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2000);
}

#[sqlx::test]
async fn enrolment_tokens_work_once(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.unwrap();
    let key = placecode_core::code::SigningKey::generate().unwrap();
    let req = |desk: Uuid| json!({"token": token, "desk_id": desk, "desk_name": "东门", "code_key": {"id": key.id, "secret_hex": hex::encode(key.secret())}});
    let first = s.http.post(s.url("/api/v1/enrol")).json(&req(Uuid::now_v7())).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let body: placecode_core::sync::EnrolResponse = first.json().await.unwrap();
    assert_eq!(body.risk_key_hex, hex::encode(s.keys.risk));
    assert_eq!(body.districts, vec!["gulou".to_string()]);
    let again = s.http.post(s.url("/api/v1/enrol")).json(&req(Uuid::now_v7())).send().await.unwrap();
    assert_eq!(again.status(), 403);
    assert_eq!(again.json::<placecode_core::sync::ApiError>().await.unwrap().code, "token_invalid");
    let bad = placecode_central::enrol::make_token(&pool, &[], &["nowhere".into()], None, "").await;
    assert!(
        matches!(bad, Err(placecode_central::CentralError::Invalid { ref field, .. }) if field == "district"),
        "{bad:?}"
    );
}

/// 一所一码's way out, end to end with the desk's real store and sync client: a second desk that
/// registered a known place again is refused; with an enrolment token for the approved venue it
/// receives that venue, serves it, and its check-ins reach the centre under it.
#[sqlx::test]
async fn a_refused_twins_desk_receives_the_approved_venue_and_serves_it(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let first = test_desk(&s, &dir.path().join("a"), "仁和医院", "general", "鼓楼区解放路88号").await;
    let second = test_desk(&s, &dir.path().join("b"), "鼓楼区仁和医院", "general", "解放路88号").await;
    let mut store = second.store();
    let served = store.served_venue().unwrap().unwrap();
    let approved = Uuid::parse_str(&first.venue_id).unwrap();
    let why = served.rejected.clone().unwrap_or_default();
    assert!(why.contains(&format!("编号 {approved}）的接入凭证")), "the number the district needs: {why}");
    let token = placecode_central::enrol::make_token(&s.pool, &[approved], &[], None, "").await.unwrap();
    let key = placecode_store::keys::load_or_create(&dir.path().join("b").join("k")).unwrap();
    second.engine.enrol(&s.base, &token, "鼓楼区仁和医院", None, &key).await.unwrap();
    second.engine.sync_once().await.unwrap();
    let listed = store.venues("").unwrap();
    let twin = listed.iter().find(|v| v.id == first.venue_id).expect("the approved venue on the second desk");
    assert_eq!((twin.name.as_str(), twin.rejected.as_deref()), ("仁和医院", None));
    store.set_served_venue(&first.venue_id).unwrap();
    let ctx = placecode_store::CheckInContext { now: Utc::now(), ..second.ctx.clone() };
    store.declare(&declaration_input("李秀英", &resident_id(77)), &ctx).unwrap();
    second.engine.sync_once().await.unwrap();
    let at_the_hospital: i64 = sqlx::query_scalar("SELECT count(*) FROM visits WHERE venue_id = $1")
        .bind(approved)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(at_the_hospital, 1, "the second desk's check-in is the approved venue's");
    // The first desk, sent the same venue again, keeps its own.
    first.engine.sync_once().await.unwrap();
    assert_eq!(first.store().venues("").unwrap().len(), 1);
}
