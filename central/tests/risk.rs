//! The risk list between the centre and its desks, against a real PostgreSQL: desks get door
//! tags of one epoch (never the keyed hashes, never the reasons), each replacement or interval
//! starts a new epoch that compacts the history, and a desk whose tag matched asks the centre
//! about the one person, audited and limited.

mod common;

use placecode_core::sync::ChangeKind;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use placecode_core::checkin::Lookup;
use placecode_core::decision::Colour;
use placecode_core::risk::{id_hash, tag_bits, Epoch};
use placecode_core::sync::{Change, RiskEpochBody, RiskTagBody};
use serde_json::json;
use sqlx::PgPool;

async fn import(s: &Server, csv: &str, replace: bool) {
    placecode_central::risk::import(&s.pool, &s.keys, csv.as_bytes(), replace).await.unwrap();
}

fn risk_changes(changes: &[Change]) -> Vec<&Change> {
    changes.iter().filter(|c| c.kind.is_risk_list()).collect()
}

async fn pull_all(desk: &DeskClient) -> Vec<Change> {
    let (mut cursor, mut all) = (0, Vec::new());
    loop {
        let p = desk.pull(cursor).await;
        all.extend(p.changes);
        cursor = p.cursor;
        if !p.more {
            return all;
        }
    }
}

#[sqlx::test]
async fn desks_get_door_tags_of_one_epoch_never_hashes_or_reasons(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let desk = s.desk(&["gulou"], &[]).await;
    let csv: String =
        (0..300).map(|i| format!("{},{},密切接触者\n", resident_id(i), ["红", "黄"][i as usize % 2])).collect();
    import(&s, &csv, false).await;
    let all = pull_all(&desk).await;
    let risk = risk_changes(&all);
    assert_eq!(risk.len(), 1, "the first import starts an epoch: one change with every tag");
    assert_eq!(risk[0].kind, ChangeKind::RiskEpoch);
    let body: RiskEpochBody = serde_json::from_value(risk[0].body.clone()).unwrap();
    assert_eq!(body.epoch.bits, tag_bits(300));
    let n = body.tags.red.len() + body.tags.yellow.len();
    assert!((290..=300).contains(&n), "a tag shared by two entries is sent once: {n}");
    // A listed red entry whose tag no other entry shares (a few of 300 share one: the tag's
    // width is chosen so that a door matches someone else's about once in 400).
    let tag_of = |i: u64| body.epoch.tag(&id_hash(&s.keys.risk, &resident_id(i))).unwrap();
    let lone = (0..300u64)
        .step_by(2)
        .find(|&i| (0..300u64).filter(|&j| tag_of(j) == tag_of(i)).count() == 1)
        .expect("a red entry with a tag of its own");
    let tag0 = tag_of(lone);
    assert!(body.tags.red.contains(&tag0));
    // And a person not listed whose tag is not on the list either.
    let newcomer = (1000..).find(|&i| (0..300u64).all(|j| tag_of(j) != tag_of(i))).expect("an unlisted tag");
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("密切接触者"), "no reasons");
    assert!(!pg_dump(&pool).await.contains("密切接触者"), "the reasons are sealed at rest");
    for i in [0, 1, 299] {
        assert!(!text.contains(&hex::encode(id_hash(&s.keys.risk, &resident_id(i)))), "no keyed hashes");
    }

    // An increment: one change per touched tag, in this epoch.
    import(&s, &format!("{},黄,\n{},绿,解除\n", resident_id(newcomer), resident_id(lone)), false).await;
    let more = desk.pull(all.last().unwrap().seq).await.changes;
    let mut tags: Vec<RiskTagBody> = more.iter().map(|c| serde_json::from_value(c.body.clone()).unwrap()).collect();
    tags.sort_by_key(|t| t.colour);
    assert!(more.iter().all(|c| c.kind == ChangeKind::RiskTag));
    let tag_new = tag_of(newcomer);
    assert_eq!(tags.len(), 2);
    assert!(tags.contains(&RiskTagBody { epoch: body.epoch.epoch, tag: tag_new, colour: Colour::Yellow }));
    assert!(tags.contains(&RiskTagBody { epoch: body.epoch.epoch, tag: tag0, colour: Colour::Green }));

    // A replacement is a new epoch, and the history is compacted: a desk enrolling now pulls
    // one snapshot, not every change since the first list.
    import(&s, &format!("{},红,\n", resident_id(7)), true).await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM changes WHERE kind LIKE 'risk%'").fetch_all(&pool).await.unwrap();
    assert_eq!(kinds, ["risk_epoch"]);
    let late = s.desk(&["gulou"], &[]).await;
    let got = pull_all(&late).await;
    let risk = risk_changes(&got);
    assert_eq!(risk.len(), 1);
    let second: RiskEpochBody = serde_json::from_value(risk[0].body.clone()).unwrap();
    assert!(second.epoch.epoch > body.epoch.epoch);
    assert_ne!(second.epoch.salt_hex, body.epoch.salt_hex);
    assert_eq!(second.tags.red, [second.epoch.tag(&id_hash(&s.keys.risk, &resident_id(7))).unwrap()]);

    // Epochs also turn over with time.
    let now = Utc::now();
    assert!(placecode_central::risk::rotate_if_due(&pool, &s.keys, 7, now).await.unwrap().is_none());
    let third =
        placecode_central::risk::rotate_if_due(&pool, &s.keys, 7, now + chrono::Duration::days(8)).await.unwrap();
    assert!(third.is_some_and(|e| e.epoch > second.epoch.epoch));
}

async fn confirm(s: &Server, desk: &DeskClient, body: serde_json::Value) -> reqwest::Response {
    s.http.post(s.url("/api/v1/risk/confirm")).bearer_auth(&desk.credential).json(&body).send().await.unwrap()
}

#[sqlx::test]
async fn confirm_answers_enrolled_desks_one_person_at_a_time_audited_and_limited(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let desk = s.desk(&["gulou"], &[]).await;
    import(&s, &format!("{},红,密接\n{},绿,解除\n", resident_id(1), resident_id(2)), false).await;
    let ask = |n: u64| json!({ "document_number": resident_id(n) });
    let colour = |v: serde_json::Value| v["colour"].clone();
    let res = confirm(&s, &desk, ask(1)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(colour(res.json().await.unwrap()), json!("red"), "listed: the colour, no reason");
    assert_eq!(colour(confirm(&s, &desk, ask(2)).await.json().await.unwrap()), json!(null), "green: not listed");
    assert_eq!(colour(confirm(&s, &desk, ask(3)).await.json().await.unwrap()), json!(null));
    // A colour kept for the person (raised elsewhere) comes with the answer.
    sqlx::query("INSERT INTO raised (id_hash, colour, until) VALUES ($1, 'yellow', now() + interval '3 days')")
        .bind(s.keys.person(&resident_id(3)).lookup)
        .execute(&pool)
        .await
        .unwrap();
    let answer: serde_json::Value = confirm(&s, &desk, ask(3)).await.json().await.unwrap();
    assert_eq!((answer["colour"].clone(), answer["raised"]["colour"].clone()), (json!(null), json!("yellow")));
    let long = "9".repeat(10_000);
    for bad in ["", "12", "' OR 1=1 --", "<script>", "😀😀😀😀😀😀", long.as_str(), "410202199003070015"] {
        let res = confirm(&s, &desk, json!({ "document_number": bad })).await;
        assert_eq!(res.status(), 400, "{bad:.20}");
        let e: serde_json::Value = res.json().await.unwrap();
        assert_eq!((e["code"].as_str(), e["message"].as_str()), (Some("invalid"), Some("证件号：格式不对")));
    }
    // Without a desk credential, nothing.
    let res = s.http.post(s.url("/api/v1/risk/confirm")).json(&ask(1)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'risk_confirm' AND actor = $1")
            .bind(format!("desk:{}", desk.id))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 4);
    let params: Vec<String> = sqlx::query_scalar("SELECT params::text FROM audit_log WHERE action = 'risk_confirm'")
        .fetch_all(&pool)
        .await
        .unwrap();
    let one = resident_id(1);
    assert!(params.iter().any(|p| p.contains(&placecode_core::mask::id_number(&one))), "{params:?}");
    assert!(params.iter().all(|p| !p.contains(&one)), "masked, as everywhere in the audit log");
    // The limit: an hour's questions per desk, counted in the database (every replica).
    sqlx::query(
        "INSERT INTO audit_log (actor, action, params, results)
         SELECT $1, 'risk_confirm', '{}', 0 FROM generate_series(1, $2)",
    )
    .bind(format!("desk:{}", desk.id))
    .bind(placecode_central::risk::CONFIRM_PER_HOUR as i32 - 4)
    .execute(&pool)
    .await
    .unwrap();
    let res = confirm(&s, &desk, ask(1)).await;
    assert_eq!(res.status(), 429);
    let other = s.desk(&["gulou"], &[]).await;
    assert_eq!(confirm(&s, &other, ask(1)).await.status(), 200, "another desk has its own budget");
    // A revoked (stolen) desk gets no answer.
    placecode_central::enrol::revoke_desk(&pool, other.id, &placecode_central::audit::Actor::cli("test"))
        .await
        .unwrap();
    assert_eq!(confirm(&s, &other, ask(1)).await.status(), 401);
}

/// The desk's real store and sync client: the list pulled as tags, a listed person confirmed
/// red by the centre, a person taken off the list since the last pull let in (the centre says
/// not listed), and with no centre to ask, no wait longer than the timeout.
#[sqlx::test]
async fn a_desk_confirms_a_matching_tag_with_the_centre(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = test_desk(&s, dir.path(), "鼓楼超市", "general", "鼓楼区中山路1号").await;
    let (listed, cleared) = (resident_id(11), resident_id(12));
    import(&s, &format!("{listed},红,密接\n{cleared},红,密接\n"), false).await;
    d.engine.sync_once().await.unwrap();
    let mut store = d.store();
    assert_eq!(store.risk_entry_count().unwrap(), 2);
    store.set_risk_confirm(Box::new(placecode_sync_client::confirm_risk));
    // The store blocks while it asks: off the runtime that serves the centre in this test.
    let run = |mut store: placecode_store::Store, n: &str| {
        let (ctx, n) = (d.ctx.clone(), n.to_owned());
        tokio::task::spawn_blocking(move || {
            let lookup = store.check_in_by_id(&n, &ctx).unwrap();
            (store, lookup)
        })
    };
    let (store, lookup) = run(store, &listed).await.unwrap();
    match lookup {
        Lookup::CheckedIn { result } => {
            assert_eq!(result.colour, Colour::Red);
            assert_eq!(result.reasons, [format!("风险人员名单为红码：{}", placecode_core::risk::CONFIRMED)]);
        }
        other => panic!("{other:?}"),
    }
    // Cleared at the centre; this desk has not pulled since: its tag still matches.
    import(&s, &format!("{cleared},绿,解除\n"), false).await;
    let (store, lookup) = run(store, &cleared).await.unwrap();
    assert!(matches!(lookup, Lookup::Unknown { .. }), "the centre says not listed");
    let asked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'risk_confirm'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(asked, 2);

    // Nobody to ask: no answer, within the timeout.
    let mut gone = store.enrolment().unwrap().unwrap();
    gone.server_url = "http://127.0.0.1:9".into();
    let started = Instant::now();
    let answer = placecode_sync_client::confirm_risk(&gone, &listed);
    assert_eq!(answer, None);
    assert!(started.elapsed() < placecode_sync_client::CONFIRM_TIMEOUT + Duration::from_secs(1));
    let _ = Epoch::new(0, 0);
}

/// A centre from before the lookup key: people, risk entries and kept colours found by the
/// desks' hash. At start they move to the server's own lookup hash (people's fields sealed
/// again for it); an entry for someone not on file stays `legacy` (found by the desks' hash, and
/// still reaching desks as a tag) until that person appears. Afterwards a dump matched with a
/// desk's key finds none of the converted people.
#[sqlx::test]
async fn rows_from_before_the_lookup_key_move_to_it(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let keys = &s.keys;
    let (a, b) = (resident_id(41), resident_id(42));
    let (pa, pb) = (keys.person(&a), keys.person(&b));
    // As an older server wrote them: person A under the desks' hash, A and B listed, A kept yellow.
    let old = pa.desk.to_vec();
    let seal = |field: &str, v: &str| keys.data.seal(field, &old, v).unwrap();
    sqlx::query(
        "INSERT INTO people (id_hash, document_kind, document_number, last4, name, address, phone, updated_at, hash_v)
         VALUES ($1, 'resident_id', $2, $3, $4, $5, $6, now(), 0)",
    )
    .bind(&old)
    .bind(seal("document_number", &a))
    .bind(&a[14..])
    .bind(seal("name", "赵强"))
    .bind(seal("address", "鼓楼区中山路1号"))
    .bind(seal("phone", "13837800001"))
    .execute(&pool)
    .await
    .unwrap();
    for p in [&pa, &pb] {
        sqlx::query("INSERT INTO risk (id_hash, colour, reason, legacy) VALUES ($1, 'red', '', true)")
            .bind(p.desk.as_slice())
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO raised (id_hash, colour, until, legacy) VALUES ($1, 'yellow', now() + interval '5 days', true)",
    )
    .bind(&old)
    .execute(&pool)
    .await
    .unwrap();

    assert_eq!(placecode_central::people::rekey(&pool, keys).await.unwrap(), 1);
    let (hash, sealed_name, v): (Vec<u8>, String, i16) =
        sqlx::query_as("SELECT id_hash, name, hash_v FROM people").fetch_one(&pool).await.unwrap();
    assert_eq!((hash.clone(), v), (pa.lookup.clone(), 1));
    assert_eq!(keys.data.open("name", &hash, &sealed_name).unwrap(), "赵强", "sealed again for the new hash");
    let legacy: Vec<(Vec<u8>, bool)> =
        sqlx::query_as("SELECT id_hash, legacy FROM risk ORDER BY legacy").fetch_all(&pool).await.unwrap();
    assert_eq!(legacy, [(pa.lookup.clone(), false), (pb.desk.to_vec(), true)]);
    let (kept_at, kept_legacy): (Vec<u8>, bool) =
        sqlx::query_as("SELECT id_hash, legacy FROM raised").fetch_one(&pool).await.unwrap();
    assert_eq!((kept_at, kept_legacy), (pa.lookup.clone(), false));

    // Both still reach desks as tags, and both are confirmed.
    let epoch = placecode_central::risk::rotate(&pool, keys).await.unwrap();
    let desk = s.desk(&["gulou"], &[]).await;
    let all = pull_all(&desk).await;
    let body: RiskEpochBody = serde_json::from_value(risk_changes(&all)[0].body.clone()).unwrap();
    for p in [&pa, &pb] {
        assert!(body.tags.red.contains(&epoch.tag(&p.desk).unwrap()));
    }
    assert_eq!(body.raised.len(), 1);
    for n in [&a, &b] {
        let answer: serde_json::Value = confirm(&s, &desk, json!({ "document_number": n })).await.json().await.unwrap();
        assert_eq!(answer["colour"], json!("red"), "{answer}");
    }

    // What a dump and a stolen desk's key give: nothing of A; B's old row until B appears.
    let dump = pg_dump(&pool).await;
    assert!(!dump.contains(&hex::encode(pa.desk)), "A is not found by the desks' hash");
    assert!(dump.contains(&hex::encode(pb.desk)));
    let mut tx = pool.begin().await.unwrap();
    let row = placecode_central::people::PersonRow {
        document_kind: "resident_id",
        document_number: b.clone(),
        last4: b[14..].to_owned(),
        name: "钱芳".into(),
        address: "鼓楼区中山路2号".into(),
        phone: None,
        seen: Utc::now(),
    };
    placecode_central::people::upsert(
        &mut tx,
        keys,
        vec![row],
        placecode_central::people::Source::Desk(uuid::Uuid::nil()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(!pg_dump(&pool).await.contains(&hex::encode(pb.desk)), "B moved when B appeared");
    let legacy: i64 = sqlx::query_scalar("SELECT count(*) FROM risk WHERE legacy").fetch_one(&pool).await.unwrap();
    assert_eq!(legacy, 0);
    let _ = id_hash;
}

/// A replacement of the list takes effect only whole: a file with a bad row, or with none good,
/// is refused and the list stays as it was (a truncated export must not turn everyone green).
#[sqlx::test]
async fn a_replacement_with_a_bad_row_changes_nothing(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let red = resident_id(4400);
    import(&s, &format!("{red},红,密接\n"), true).await;
    for bad in [format!("{},黄,次密接\nnot-a-number,红,\n", resident_id(4401)), "not-a-number,红,\n".to_owned()] {
        match placecode_central::risk::import(&pool, &s.keys, bad.as_bytes(), true).await {
            Err(placecode_central::CentralError::Invalid { field, message }) => {
                assert_eq!(field, "file");
                assert!(message.contains("名单未改动"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&pool, "SELECT count(*) FROM risk").await, 1);
        assert_eq!(count(&pool, "SELECT count(*) FROM risk WHERE colour = 'red'").await, 1);
    }
}
