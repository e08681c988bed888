//! The venue codes held in memory (`phone/served.rs`): they follow every change PostgreSQL
//! announces, go back to the database when the announcements may have been missed, and refuse a
//! flood of forged codes without touching the database.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use placecode_central::phone::served::{Codes, Found};
use placecode_core::venue::CodeKind;
use sqlx::PgPool;

async fn until(what: &str, mut ok: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if ok().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 5 s: {what}");
}

async fn revoked(codes: &Codes, pool: &PgPool, code: &str) -> Option<bool> {
    let parsed = placecode_core::code::parse(code).expect("a code");
    match codes.find(pool, &parsed).await.expect("find") {
        Found::Code(e) => Some(e.revoked),
        Found::Unknown | Found::Forged => None,
    }
}

/// A server with a desk's venue and code, and a cache of the codes loaded (five misses a minute).
async fn held(pool: &PgPool) -> (Server, DeskClient, String, Arc<Codes>) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let codes = Arc::new(Codes::new(5));
    codes.start(pool.clone());
    until("the cache is loaded", async || codes.warm()).await;
    (s, desk, code, codes)
}

async fn revoke(desk: &DeskClient, code: &str) {
    let revoke =
        record(placecode_core::sync::RecordKind::CodeRevoked, serde_json::json!({"code": code, "reason": "海报损坏"}));
    desk.push(&[revoke]).await;
}

#[sqlx::test]
async fn held_codes_follow_revocations_and_forged_codes_touch_no_database(pool: PgPool) {
    let (_s, mut desk, code, codes) = held(&pool).await;
    assert_eq!(revoked(&codes, &pool, &code).await, Some(false));

    // A code pushed after the load is announced and held.
    let (_, later) = desk.venue_with_code("鼓楼药房", CodeKind::General).await;
    // A revocation reaches the cache without a restart.
    revoke(&desk, &code).await;
    until("the revocation is held", async || revoked(&codes, &pool, &code).await == Some(true)).await;

    // With no database at all, held codes are still answered. Codes made up under a key no desk
    // has are refused without an attempt to reach it; made up under a real desk's key id, only
    // the small budget's lookups try.
    let gone = sqlx::postgres::PgPoolOptions::new().connect_with((*pool.connect_options()).clone()).await.unwrap();
    gone.close().await;
    until("the later code is held", async || revoked(&codes, &gone, &later).await == Some(false)).await;
    let forge = async |key: &placecode_core::code::SigningKey| {
        let (mut forged, mut unknown, mut errors) = (0, 0, 0);
        for serial in 0..1_000u64 {
            let made = placecode_core::code::parse(&key.sign(CodeKind::General, serial)).unwrap();
            match codes.find(&gone, &made).await {
                Ok(Found::Forged) => forged += 1,
                Ok(Found::Unknown) => unknown += 1,
                Ok(Found::Code(_)) => panic!("a made-up code was found"),
                Err(_) => errors += 1,
            }
        }
        (forged, unknown, errors)
    };
    assert_eq!(forge(&placecode_core::code::SigningKey::generate().unwrap()).await, (1_000, 0, 0));
    let under_real_id = placecode_core::code::SigningKey::new(desk.key.id, [7u8; 32]);
    assert_eq!(forge(&under_real_id).await, (0, 995, 5), "only the budget's five lookups went to the database");
    codes.stop().await;
    assert!(!codes.warm());
}

/// A code deleted in the database (a script, an administrator at psql) goes from every cache.
#[sqlx::test]
async fn a_code_deleted_in_the_database_is_forgotten(pool: PgPool) {
    let (_s, _desk, code, codes) = held(&pool).await;
    assert_eq!(revoked(&codes, &pool, &code).await, Some(false));
    sqlx::query("DELETE FROM codes WHERE code = $1").bind(&code).execute(&pool).await.unwrap();
    until("the deleted code is gone", async || revoked(&codes, &pool, &code).await.is_none()).await;
    codes.stop().await;
}

#[sqlx::test]
async fn a_lost_listening_connection_reloads_what_it_missed(pool: PgPool) {
    let (_s, desk, code, codes) = held(&pool).await;
    // The listening connection is killed and the code revoked while it is down: that
    // announcement is lost, so the cache must go cold and load everything again.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(killed, vec![true], "one listening connection");
    until("the cache goes cold", async || !codes.warm()).await;
    revoke(&desk, &code).await;
    // Cold, lookups read the database; warm again, the reload holds what was missed.
    assert_eq!(revoked(&codes, &pool, &code).await, Some(true));
    until("reloaded", async || codes.warm()).await;
    assert_eq!(revoked(&codes, &pool, &code).await, Some(true));
    codes.stop().await;
}
