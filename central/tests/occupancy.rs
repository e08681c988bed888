//! 限流 from the desk to the phone page, through the real sync: a desk (its own SQLite store and
//! sync client) sets its venue's limit and checks two people in; a phone's check-in then waits
//! (nothing stored); the desk's 离场 reaches the centre and the phone's next check-in is taken.

mod common;

use chrono::Utc;
use common::*;
use placecode_core::venue::CodeKind;
use sqlx::PgPool;

#[sqlx::test]
async fn a_full_venue_makes_the_phone_wait_until_the_desk_records_a_departure(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let a = resident_id(9101);
    let (d, mut store, code) = limited_desk(&s, dir.path(), 2, 100, &[9101, 9102]).await;
    let limit: (Option<i32>, Option<i32>) =
        sqlx::query_as("SELECT capacity, limit_percent FROM venues").fetch_one(&pool).await.unwrap();
    assert_eq!(limit, (Some(2), Some(100)));

    // Full: the phone's declaration waits, told why, and nothing is stored.
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let page = phone.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"wait-why\"") && page.contains("场内2人，限2人"), "said before the form: {page}");
    let t = form(&phone, &url).await;
    let res = phone.post(&url).form(&declaration(&t, "赵强", &resident_id(9103))).send().await.unwrap();
    assert_eq!(res.status(), 429);
    // The form's script sends the same form again by itself (fields, token and proof kept).
    assert_eq!(res.headers()["x-placecode-wait"], "30");
    assert!(res.headers().get("refresh").is_none(), "a reload would lose the form");
    // Why, for the waiting form's script to say above its button (percent-encoded UTF-8).
    let why = res.headers()["x-placecode-why"].to_str().unwrap().to_owned();
    let why: String = form_urlencoded::parse(format!("w={why}").as_bytes()).map(|(_, v)| v.into_owned()).collect();
    assert!(why.contains("本场所正在限流：场内2人，限2人") && why.contains("自动排队"), "{why}");
    let html = res.text().await.unwrap();
    assert!(html.contains("场内人数已满") && html.contains("场内2人，限2人"), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE source = 'phone'").await, 0);

    // 王建国 leaves at the desk: the departure reaches the centre and closes his check-in there.
    store.check_out(&d.venue_id, &a, Utc::now()).unwrap();
    d.engine.sync_once().await.unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE left_at IS NOT NULL").await, 1);
    let t = form(&phone, &url).await;
    let res = phone.post(&url).form(&declaration(&t, "赵强", &resident_id(9103))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("data-colour=\"green\""));

    // Full again; the desk removes the limit: the phone is taken.
    let other = phone_client();
    let t = form(&other, &url).await;
    let body = declaration(&t, "孙丽", &resident_id(9104));
    assert_eq!(other.post(&url).form(&body).send().await.unwrap().status(), 429);
    store.set_venue_limit(&d.venue_id, None).unwrap();
    d.engine.sync_once().await.unwrap();
    // The processes' cache is told of the change; give the notification a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let t = form(&other, &url).await;
        let res = other.post(&url).form(&declaration(&t, "孙丽", &resident_id(9104))).send().await.unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the limit was not lifted: {}", res.status());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A desk cannot close another desk's venue's check-ins, nor set its limit; a departure naming
/// nonsense is refused with the field.
#[sqlx::test]
async fn departures_and_limits_are_the_venues_desks_alone(pool: PgPool) {
    use placecode_core::sync::{PushStatus, RecordKind};
    use serde_json::json;
    let s = Server::start(pool.clone()).await;
    let mut owner = s.desk(&["gulou"], &[]).await;
    let (venue, _) = owner.venue_with_code("鼓楼超市", CodeKind::General).await;
    let visit = visit_record(venue, &resident_id(9201), "王建国", Utc::now());
    let visit_id = visit.id.clone();
    owner.push(&[visit]).await;
    let stranger = s.desk(&["longting"], &[]).await;
    let depart = |ids: serde_json::Value| {
        record(RecordKind::Departure, json!({"venue_id": venue, "visit_ids": ids, "at": Utc::now()}))
    };
    let limit = record(
        RecordKind::VenueLimit,
        json!({"venue_id": venue, "limit": {"capacity": 1, "percent": 100, "stay_minutes": 60}}),
    );
    let res = stranger.push(&[depart(json!([visit_id])), limit]).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Rejected), "{res:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE left_at IS NOT NULL").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM venues WHERE capacity IS NOT NULL").await, 0);
    for (bad, field) in
        [(json!([]), "visit_ids"), (json!(["<script>"]), "visit_ids"), (json!(vec![visit_id.clone(); 51]), "visit_ids")]
    {
        let res = owner.push(&[depart(bad)]).await;
        assert_eq!(res.results[0].status, PushStatus::Rejected);
        assert_eq!(res.results[0].field.as_deref(), Some(field));
    }
    let bad_limit = record(
        RecordKind::VenueLimit,
        json!({"venue_id": venue, "limit": {"capacity": 0, "percent": 100, "stay_minutes": 60}}),
    );
    let res = owner.push(&[bad_limit]).await;
    assert_eq!(res.results[0].field.as_deref(), Some("limit.capacity"), "{res:?}");
    let res = owner.push(&[depart(json!([visit_id]))]).await;
    assert_eq!(res.results[0].status, PushStatus::Stored, "{res:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE left_at IS NOT NULL").await, 1);
}

#[sqlx::test]
async fn phones_racing_for_the_last_place_get_it_once(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    // Three at once; two inside: one place left. Three rounds, a place more each.
    let (d, mut store, code) = limited_desk(&s, dir.path(), 3, 100, &[9301, 9302]).await;
    let url = s.url(&format!("/c/{code}"));
    for round in 0..3u64 {
        if round > 0 {
            store.set_venue_limit(&d.venue_id, Some((3 + i64::try_from(round).unwrap(), 100, 120))).unwrap();
            d.engine.sync_once().await.unwrap();
        }
        let mut ready = Vec::new();
        for i in 0..12u64 {
            let phone = phone_client();
            let t = form(&phone, &url).await;
            ready.push((phone, declaration(&t, "赵强", &resident_id(9310 + round * 100 + i))));
        }
        // All sent at once, after every form is open.
        let mut sends = tokio::task::JoinSet::new();
        for (phone, body) in ready {
            let url = url.clone();
            sends.spawn(async move { phone.post(&url).form(&body).send().await.unwrap().status().as_u16() });
        }
        let mut statuses = sends.join_all().await;
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 429, 429, 429, 429, 429, 429, 429, 429, 429, 429, 429], "round {round}");
        let phones = count(&pool, "SELECT count(*) FROM visits WHERE source = 'phone'").await;
        assert_eq!(phones, i64::try_from(round).unwrap() + 1, "round {round}");
        assert_eq!(count(&pool, "SELECT count(*) FROM door_holds").await, 0, "the winner's hold was given back");
    }
    // One phone sending five forms at once (five tabs, five people) for one more place: one in.
    store.set_venue_limit(&d.venue_id, Some((6, 100, 120))).unwrap();
    d.engine.sync_once().await.unwrap();
    let phone = phone_client();
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..5u64 {
        let body = declaration(&form(&phone, &url).await, "赵强", &resident_id(9390 + i));
        let (phone, url) = (phone.clone(), url.clone());
        sends.spawn(async move { phone.post(&url).form(&body).send().await.unwrap().status().as_u16() });
    }
    let mut statuses = sends.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 429, 429, 429, 429], "one phone's forms share the places too");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE source = 'phone'").await, 4);
    assert_eq!(count(&pool, "SELECT count(*) FROM door_holds").await, 0);
}

/// A phone holding a family: they come in together or wait together (never more people than
/// places), those inside already are not counted again, and a phone whose owner is inside cannot
/// bring new people into a full venue.
#[sqlx::test]
async fn a_family_waits_together_and_a_phone_inside_brings_no_one_new(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    // Three at once; one inside (at the desk): two places.
    let (_d, _store, code) = limited_desk(&s, dir.path(), 3, 100, &[9401]).await;
    let url = s.url(&format!("/c/{code}"));
    // The family is put on the phone at another venue (no limit there).
    let mut other = s.desk(&["gulou"], &[]).await;
    let (_, free) = other.venue_with_code("鼓楼区书店", CodeKind::General).await;
    let free = s.url(&format!("/c/{free}"));
    let phone = phone_client();
    let owner = resident_id(9410);
    let res = phone.post(&free).form(&declaration(&form(&phone, &free).await, "张伟", &owner)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    for (seed, relation) in [(9411, "父母"), (9412, "子女")] {
        let t = csrf(&phone.get(format!("{free}?new=1")).send().await.unwrap().text().await.unwrap());
        let mut f = declaration(&t, "张建国", &resident_id(seed));
        f.extend([("new", "1".into()), ("relation", relation.into())]);
        assert_eq!(phone.post(&free).form(&f).send().await.unwrap().status(), 200);
    }
    let here = || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM visits WHERE code = $1 AND source = 'phone'")
            .bind(&code)
            .fetch_one(&pool)
            .await
            .unwrap();
        n
    };
    let before = here().await;
    let send = |with: &'static [&'static str]| {
        let (phone, url, digits) = (phone.clone(), url.clone(), owner[14..].to_owned());
        async move {
            let t = csrf(&phone.get(&url).send().await.unwrap().text().await.unwrap());
            phone.post(&url).form(&t.last4(&digits, with)).send().await.unwrap().status().as_u16()
        }
    };
    // Three of them, two places: they all wait, nobody is stored.
    assert_eq!(send(&["1", "2", "3"]).await, 429);
    assert_eq!(here().await, before);
    // Two of them: both in. Full now.
    assert_eq!(send(&["1", "2"]).await, 200);
    assert_eq!(here().await, before + 2);
    // The third with them again: one place needed, none left.
    assert_eq!(send(&["1", "2", "3"]).await, 429);
    // The two inside, scanning again: not turned away.
    assert_eq!(send(&["1", "2"]).await, 200);
    // A new person declared on the same phone: waits like anyone else.
    let t = csrf(&phone.get(format!("{url}?new=1")).send().await.unwrap().text().await.unwrap());
    let mut f = declaration(&t, "张丽", &resident_id(9413));
    f.extend([("new", "1".into()), ("relation", "配偶".into())]);
    assert_eq!(phone.post(&url).form(&f).send().await.unwrap().status(), 429);
    assert_eq!(count(&pool, "SELECT count(*) FROM door_holds").await, 0, "every hold given back");
}

/// Who is inside after a yellow or red screen is one rule at the desk and the centre: a person let
/// go after checking (核实后放行) came in and counts on the phone page too; a wrong scan (误扫)
/// counts nowhere (the desk closes it and says so), nor does a person reported. Before, the
/// centre counted greens only, so a venue at its limit by the desk's count let phones in.
#[sqlx::test]
async fn a_person_let_in_after_a_yellow_screen_counts_on_the_phone_page_as_at_the_desk(pool: PgPool) {
    use placecode_core::checkin::ReleaseReason;
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (d, mut store, code) = limited_desk(&s, dir.path(), 2, 100, &[]).await;
    let ctx = placecode_store::CheckInContext { now: Utc::now(), ..d.ctx.clone() };
    let mut yellow = |name: &str, seed: u64| {
        let mut input = declaration_input(name, &resident_id(seed));
        input.temperature = "38.1".into();
        store.declare(&input, &ctx).unwrap().visit_id
    };
    let checked = yellow("李秀英", 9201);
    let wrong = yellow("王芳", 9202);
    let reported = yellow("张伟", 9203);
    store.release_visit(&checked, ReleaseReason::VerifiedByStaff, "复测36.8℃", &ctx).unwrap();
    store.release_visit(&wrong, ReleaseReason::Misscan, "", &ctx).unwrap();
    let held = placecode_store::IncidentInput { held_at: "东门".into(), reported_to: "社区".into() };
    store.report_incident(&reported, &held, &ctx).unwrap();
    assert_eq!(store.occupancy(&d.venue_id, Utc::now()).unwrap().inside, 1, "the desk's count");
    d.engine.sync_once().await.unwrap();
    let inside: i64 = sqlx::query_scalar("SELECT placecode_inside($1::uuid, clock_timestamp(), 120)")
        .bind(&d.venue_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(inside, 1, "the centre's count");

    // One place left of two: the first phone is taken, the second waits.
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let t = form(&phone, &url).await;
    let res = phone.post(&url).form(&declaration(&t, "赵强", &resident_id(9204))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let other = phone_client();
    let t = form(&other, &url).await;
    let res = other.post(&url).form(&declaration(&t, "孙丽", &resident_id(9205))).send().await.unwrap();
    assert_eq!(res.status(), 429, "the person let in after checking holds the second place");
}
