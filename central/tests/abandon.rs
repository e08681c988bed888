//! Clients that give up mid-request (a phone off 3G, a desk's dropped link) under load: nothing
//! they started may leave a transaction or a lock behind; every desk still syncs within seconds.

mod common;

use std::time::Duration as StdDuration;

use chrono::Utc;
use common::*;
use placecode_core::sync::PushStatus;
use placecode_core::venue::CodeKind;
use sqlx::PgPool;

#[sqlx::test]
async fn requests_abandoned_under_load_leave_no_transaction_and_desks_still_sync(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));

    // Load with impatience: phone declarations and desk pushes, each abandoned after a few
    // milliseconds, most of them mid-flight.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..360u64 {
        let (url, base, credential) = (url.clone(), s.base.clone(), desk.credential.clone());
        tasks.spawn(async move {
            let patience = StdDuration::from_millis(1 + i % 40);
            if i % 2 == 0 {
                let phone = phone_client();
                let Ok(page) = phone.get(&url).send().await else { return };
                let t = csrf(&page.text().await.unwrap_or_default());
                let body = [
                    ("csrf", t.csrf),
                    ("once", t.once),
                    ("action", "declare".into()),
                    ("name", "张三".into()),
                    ("id_number", resident_id(40_000 + i)),
                    ("address", "开封市鼓楼区中山路1号".into()),
                    ("phone", "13837800003".into()),
                    ("visited_risk_area", "no".into()),
                    ("contact_with_suspected", "no".into()),
                    ("temperature_normal", "yes".into()),
                ];
                // Sent, then given up on.
                let _ = phone.post(&url).form(&body).timeout(patience).send().await;
            } else {
                let batch: Vec<_> =
                    (0..200).map(|j| visit_record(venue, &resident_id(i * 1000 + j), "李四", Utc::now())).collect();
                let _ = reqwest::Client::new()
                    .post(format!("{base}/api/v1/push"))
                    .bearer_auth(&credential)
                    .json(&serde_json::json!({"batch_id": format!("b{i}"), "records": batch}))
                    .timeout(patience)
                    .send()
                    .await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}

    // The desk's own pushes, four at once, each answered within seconds.
    let started = std::time::Instant::now();
    let mut pushes = tokio::task::JoinSet::new();
    for k in 0..4u64 {
        let records = vec![visit_record(venue, &resident_id(900_000 + k), "王五", Utc::now())];
        let (http, base, credential) = (s.http.clone(), s.base.clone(), desk.credential.clone());
        pushes.spawn(async move {
            let res = http
                .post(format!("{base}/api/v1/push"))
                .bearer_auth(&credential)
                .json(&serde_json::json!({"batch_id": format!("after{k}"), "records": records}))
                .timeout(StdDuration::from_secs(10))
                .send()
                .await
                .expect("a push after the load is answered");
            let answer: placecode_core::sync::PushResponse = res.json().await.unwrap();
            answer.results[0].status
        });
    }
    while let Some(status) = pushes.join_next().await {
        assert_eq!(status.unwrap(), PushStatus::Stored);
    }
    assert!(started.elapsed() < StdDuration::from_secs(5), "{:?}", started.elapsed());
    desk.pull(0).await;

    // Nothing of the abandoned requests is still open in PostgreSQL.
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let open = count(
        &pool,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .await;
    assert_eq!(open, 0);
}

/// Whatever leaves a transaction open, PostgreSQL ends it (and its locks) after 30 idle seconds.
#[sqlx::test]
async fn the_servers_connections_end_a_transaction_left_idle(pool: PgPool) {
    let server_pool = placecode_central::db::connect(&db_url(&pool).await, 2).await.unwrap();
    let timeout: String =
        sqlx::query_scalar("SHOW idle_in_transaction_session_timeout").fetch_one(&server_pool).await.unwrap();
    assert_eq!(timeout, "30s");
}
