//! The door's check-ins stored many at once (`phone/door.rs`): each form is claimed once
//! whatever the batch holds, and one bad form fails alone.

mod common;

use chrono::Utc;
use common::*;
use placecode_central::phone::door::{store, store_each, Visit, Write};
use placecode_core::venue::CodeKind;
use sqlx::PgPool;
use uuid::Uuid;

fn write(code: &str, venue: Uuid, phone: Uuid, once: Uuid, person: i64, way_in: Option<&str>) -> Write {
    Write {
        result: Uuid::now_v7(),
        phone,
        once,
        code: code.to_owned(),
        venue,
        at: Utc::now(),
        shown: serde_json::json!({"sealed": "test"}),
        way_in: way_in.map(str::to_owned),
        present: false,
        visits: vec![Visit {
            id: Uuid::now_v7(),
            person,
            colour: "green",
            health: "green",
            reasons: None,
            verified: true,
            body: serde_json::json!({"sealed": "test"}),
        }],
    }
}

#[sqlx::test]
async fn a_form_sent_twice_in_one_batch_is_stored_once(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let (phone, once) = (Uuid::now_v7(), Uuid::now_v7());
    let first = write(&code, venue, phone, once, 1, Some("last4"));
    let again = write(&code, venue, phone, once, 1, Some("last4"));
    let other = write(&code, venue, Uuid::now_v7(), once, 2, Some("last4"));
    let claimed = store(&pool, &[first, again, other]).await.unwrap();
    assert_eq!(claimed.len(), 2, "one claim per phone and form");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM changes WHERE kind = 'phone_visit'").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_results").await, 2);
    // Sent again in a later batch: nothing more.
    let later = write(&code, venue, phone, once, 1, Some("last4"));
    assert!(store(&pool, &[later]).await.unwrap().is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);
}

#[sqlx::test]
async fn one_bad_form_fails_alone(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let good = write(&code, venue, Uuid::now_v7(), Uuid::now_v7(), 1, Some("last4"));
    // A visit with no way in breaks the table's rule: the whole statement fails.
    let bad = write(&code, venue, Uuid::now_v7(), Uuid::now_v7(), 2, None);
    let also = write(&code, venue, Uuid::now_v7(), Uuid::now_v7(), 3, Some("last4"));
    let answers = store_each(&pool, &[good, bad, also]).await;
    assert_eq!(answers[0], Ok(true));
    assert!(answers[1].is_err(), "{:?}", answers[1]);
    assert_eq!(answers[2], Ok(true));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM phone_results").await, 2, "nothing of the bad form is half-saved");
}
