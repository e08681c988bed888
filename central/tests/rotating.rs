//! 扫码屏 over HTTP against a real PostgreSQL: a live rotating code checks in and is marked
//! present; the same code after its window, a forged one, another code's token and another
//! desk's are refused; an entrance set to take only its screen refuses its poster, a saved link and
//! a form without a live proof; a desk clock minutes off still works once measured.

mod common;

use chrono::{Duration, Utc};
use common::*;
use placecode_core::code::{self, SigningKey};
use placecode_core::rotating::{self, Window};
use placecode_core::sync::{ChangeKind, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::json;
use sqlx::PgPool;

/// The page a screen's QR opens, for `code` at `at` by the desk's clock.
fn screen_url(s: &Server, key: &SigningKey, code: &str, at: chrono::DateTime<Utc>) -> String {
    let parsed = code::parse(code).unwrap();
    let token = rotating::sign(key, &parsed, Window::at(at, 30)).unwrap();
    // As the QR carries it: upper case, the base URL included.
    rotating::url(&s.base, code, &token)
}

#[sqlx::test]
async fn a_live_screen_code_checks_in_present_and_an_old_or_forged_one_is_refused(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (_, other) = desk.venue_with_code("鼓楼书店", CodeKind::General).await;
    let phone = phone_client();

    // Live: the form carries the proof, the check-in is marked present, the result says so,
    // and the venue's desks pull it marked.
    let live = screen_url(&s, &desk.key, &code, Utc::now());
    // Typed by hand with a slash after: the same page. An encoded slash between the code and the
    // token is no code (it would have opened the poster's page, the token dropped).
    assert_eq!(phone.get(format!("{live}/")).send().await.unwrap().status(), 200);
    let (before, token) = live.rsplit_once('/').unwrap();
    assert_eq!(phone.get(format!("{before}%2F{token}")).send().await.unwrap().status(), 404);
    let page = phone.get(&live).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"present\""), "{html}");
    let t = csrf(&html);
    let post = s.url(&format!("/c/{code}"));
    let mut body = declaration(&t, "王建国", &resident_id(7001));
    body.push(("present", present_of(&html)));
    let res = phone.post(&post).form(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"present\"") && html.contains("到场核验"), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE present").await, 1);
    let pulled = desk.pull(0).await;
    let visit = pulled.changes.iter().find(|c| c.kind == ChangeKind::PhoneVisit).unwrap();
    assert_eq!(visit.body["present"], json!(true), "{:?}", visit.body);

    // The poster's page: checked in, not marked.
    let html = last4(&phone, &post, &resident_id(7001)[14..]).await;
    assert!(html.contains("data-colour=\"green\"") && !html.contains("id=\"present\""), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE NOT present").await, 1);

    // A photo of the screen, opened five minutes later: refused, with what to do.
    let old = screen_url(&s, &desk.key, &code, Utc::now() - Duration::minutes(5));
    let res = phone.get(&old).send().await.unwrap();
    assert_eq!(res.status(), 410);
    let html = res.text().await.unwrap();
    assert!(html.contains("此码已过期") && html.contains("转发的截图或照片不能登记"), "{html}");
    // In English too.
    let res = phone_client().get(format!("{old}?lang=en")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("This code has expired"));

    // Made up: another key, another code's token, changed characters, nonsense: the bad-code page.
    let forged = screen_url(&s, &SigningKey::new(desk.key.id, [1u8; 32]), &code, Utc::now());
    let (base, token) = live.rsplit_once('/').unwrap();
    let other_token = screen_url(&s, &desk.key, &other, Utc::now()).rsplit_once('/').unwrap().1.to_owned();
    let mut changed: Vec<char> = token.chars().collect();
    changed[3] = if changed[3] == 'A' { 'B' } else { 'A' };
    let changed: String = changed.into_iter().collect();
    for bad in [
        forged,
        format!("{base}/{other_token}"),
        format!("{base}/{changed}"),
        format!("{base}/%3Cscript%3E"),
        format!("{base}/{}", "Z".repeat(10_000)),
        format!("{base}/'%20OR%201=1--"),
    ] {
        let res = phone.get(&bad).send().await.unwrap();
        assert!(res.status() == 404 || res.status() == 414, "{bad}: {}", res.status());
        if res.status() == 404 {
            let html = res.text().await.unwrap();
            assert!(html.contains("无效的场所码"), "{bad}: {html}");
        }
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);
}

/// The hidden `present` field of a page.
fn present_of(html: &str) -> String {
    let key = "name=\"present\" value=\"";
    let i = html.find(key).map(|i| i + key.len()).unwrap_or_else(|| panic!("no present field in {html}"));
    html[i..].split('"').next().unwrap_or_default().to_owned()
}

#[sqlx::test]
async fn an_entrance_that_takes_only_its_screen_refuses_posters_and_stale_proofs(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("清明上河园", CodeKind::General).await;
    let phone = phone_client();
    let poster = s.url(&format!("/c/{code}"));
    // The phone knows the venue already (declared at its poster before the change).
    let t = form(&phone, &poster).await;
    let res = phone.post(&poster).form(&declaration(&t, "李娜", &resident_id(7101))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let saved = form(&phone, &poster).await;

    // The desk sets the entrance to its screen only: the code's record sent again.
    let set = |on: bool| {
        record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门", "rotating_only": on}))
    };
    let res = desk.push(&[set(true)]).await;
    assert_eq!(res.results[0].status, placecode_core::sync::PushStatus::Stored, "{res:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM codes WHERE rotating_only").await, 1);

    // The poster's page, and a form opened from it before the change: refused, with what to do.
    let res = phone.get(&poster).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("本入口只接受现场扫码屏上正在显示的码"));
    let res = phone.post(&poster).form(&saved.last4(&resident_id(7101)[14..], &[])).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // The screen's page: taken, marked present.
    let live = screen_url(&s, &desk.key, &code, Utc::now());
    let html = phone.get(&live).send().await.unwrap().text().await.unwrap();
    let proof = present_of(&html);
    let t = csrf(&html);
    let digits = resident_id(7101)[14..].to_owned();
    let mut body = t.last4(&digits, &[]);
    body.push(("present", &proof));
    let res = phone.post(&poster).form(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("到场核验"));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE present").await, 1);

    // A proof is this phone's and this code's, and does not last: another phone, a forged one,
    // one twenty minutes old, all refused.
    let stranger = phone_client();
    let t2 = form(&stranger, &live).await;
    let mut body = declaration(&t2, "赵强", &resident_id(7102));
    body.push(("present", proof.clone()));
    assert_eq!(stranger.post(&poster).form(&body).send().await.unwrap().status(), 403);
    let t = form(&phone, &live).await;
    let (_, sig) = proof.split_once('.').unwrap();
    for bad in [format!("{}.{sig}", Utc::now().timestamp() - 20 * 60), "1.0".into(), "x".repeat(5000), String::new()] {
        let mut body = t.last4(&digits, &[]);
        body.push(("present", &bad));
        assert_eq!(phone.post(&poster).form(&body).send().await.unwrap().status(), 403, "{bad}");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);

    // Back to posters: the same code record, unticked.
    desk.push(&[set(false)]).await;
    assert_eq!(phone.get(&poster).send().await.unwrap().status(), 200);

    // Another desk cannot set it: the code is not signed with its key.
    let other = s.desk(&["gulou"], &[]).await;
    let res = other.push(&[set(true)]).await;
    assert_eq!(res.results[0].status, placecode_core::sync::PushStatus::Rejected, "{res:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM codes WHERE rotating_only").await, 0);
}

#[sqlx::test]
async fn a_desk_clock_minutes_off_still_works_once_the_centre_has_measured_it(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let phone = phone_client();
    let set_offset = |desk: uuid::Uuid, ms: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query("UPDATE desks SET clock_offset_ms = $2 WHERE id = $1")
                .bind(desk)
                .bind(ms)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    // Two desks whose clocks are seven minutes slow: their screens' tokens are stamped seven
    // minutes ago. The centre has measured one of them (server minus desk = +7 min).
    let mut measured = s.desk(&["gulou"], &[]).await;
    let (_, code) = measured.venue_with_code("鼓楼超市", CodeKind::General).await;
    set_offset(measured.id, 7 * 60 * 1000).await;
    let slow = screen_url(&s, &measured.key, &code, Utc::now() - Duration::minutes(7));
    assert_eq!(phone.get(&slow).send().await.unwrap().status(), 200);
    // A desk whose clock was set back a day (an insider with the laptop), as measured at its
    // last sync: a photo of its screen from yesterday stays refused (the centre corrects ten
    // minutes at most), while its screen, stamping the centre's time, works.
    let mut set_back = s.desk(&["gulou"], &[]).await;
    let (_, code) = set_back.venue_with_code("鼓楼餐馆", CodeKind::General).await;
    set_offset(set_back.id, 24 * 3600 * 1000).await;
    let yesterday = screen_url(&s, &set_back.key, &code, Utc::now() - Duration::hours(24));
    assert_eq!(phone.get(&yesterday).send().await.unwrap().status(), 410);
    let corrected = screen_url(&s, &set_back.key, &code, Utc::now());
    assert_eq!(phone.get(&corrected).send().await.unwrap().status(), 200);
    let mut unmeasured = s.desk(&["gulou"], &[]).await;
    let (_, code) = unmeasured.venue_with_code("鼓楼书店", CodeKind::General).await;
    let slow = screen_url(&s, &unmeasured.key, &code, Utc::now() - Duration::minutes(7));
    assert_eq!(phone.get(&slow).send().await.unwrap().status(), 410);
    // A revoked desk's screen is refused.
    let mut revoked = s.desk(&["gulou"], &[]).await;
    let (_, code) = revoked.venue_with_code("鼓楼药店", CodeKind::General).await;
    sqlx::query("UPDATE desks SET revoked_at = now() WHERE id = $1").bind(revoked.id).execute(&pool).await.unwrap();
    let live = screen_url(&s, &revoked.key, &code, Utc::now());
    assert_eq!(phone.get(&live).send().await.unwrap().status(), 404);
}

/// A flood of made-up tokens and proofs does not empty the code's bucket: they are refused before
/// it is touched, and the screen's live code still checks a phone in. One proof is one check-in:
/// sent again with another form, it is refused at an entrance that takes only its screen.
#[sqlx::test]
async fn forged_tokens_cannot_shut_a_screen_out_and_a_proof_is_used_once(pool: PgPool) {
    let cfg = placecode_central::ServeConfig { rate_code_per_minute: 20, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("清明上河园", CodeKind::General).await;
    let only =
        record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门", "rotating_only": true}));
    desk.push(&[only]).await;
    let flood = phone_client();
    let parsed = code::parse(&code).unwrap();
    let poster = s.url(&format!("/c/{code}"));
    for i in 0..60u8 {
        let forged =
            rotating::sign(&SigningKey::new(desk.key.id, [i; 32]), &parsed, Window::at(Utc::now(), 30)).unwrap();
        let res = flood.get(format!("{poster}/{forged}")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        // And forms with no proof at the entrance that takes only its screen.
        let res = flood.post(&poster).form(&[("csrf", "x"), ("once", "y"), ("present", "1.2")]).send().await.unwrap();
        assert!(res.status() == 403, "{}", res.status());
    }
    // The code's bucket (20 a minute) is untouched: a phone at the screen checks in.
    let phone = phone_client();
    let live = screen_url(&s, &desk.key, &code, Utc::now());
    let html = phone.get(&live).send().await.unwrap().text().await.unwrap();
    let proof = present_of(&html);
    let t = csrf(&html);
    let mut body = declaration(&t, "王建国", &resident_id(7301));
    body.push(("present", proof.clone()));
    let res = phone.post(&poster).form(&body).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The same proof with another form (someone else declared on this phone): refused.
    let other = form(&phone, &live).await;
    let mut body = declaration(&other, "李娜", &resident_id(7302));
    set(&mut body, "once", &other.once);
    body.push(("present", proof));
    assert_eq!(phone.post(&poster).form(&body).send().await.unwrap().status(), 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 1);
}
