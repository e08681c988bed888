//! R7: a raised colour sticks everywhere. A visitor declares a visit to a risk area at one desk
//! (yellow); the centre keeps the colour; a second desk, after its pull, and the phone page both
//! show yellow for the same person who now declares nothing; the epidemic office clears it
//! (audited) and both turn green. A desk cannot push a raise longer than the rule's period.

mod common;

use chrono::Utc;
use common::*;
use placecode_core::checkin::{DeclarationInput, Lookup};
use placecode_core::decision::Colour;
use placecode_core::sync::PushStatus;
use sqlx::PgPool;

const ME: &str = "410202199003070014";

fn declaration(risk_area: bool) -> DeclarationInput {
    DeclarationInput {
        name: "赵强".into(),
        document_kind: None,
        id_number: ME.into(),
        address: "鼓楼区中山路18号院".into(),
        phone: String::new(),
        visited_risk_area: Some(risk_area),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        temperature: String::new(),
    }
}

fn colour_by_id(desk: &TestDesk) -> (Colour, Vec<String>) {
    let mut ctx = desk.ctx.clone();
    ctx.now = Utc::now();
    match desk.store().check_in_by_id(ME, &ctx).unwrap() {
        Lookup::CheckedIn { result } => (result.colour, result.reasons),
        Lookup::Repeat { person_id, way_in, .. } => {
            let r = desk.store().check_in_person(&person_id, way_in, &ctx).unwrap();
            (r.colour, r.reasons)
        }
        Lookup::Unknown { .. } => {
            let r = desk.store().declare(&declaration(false), &ctx).unwrap();
            (r.colour, r.reasons)
        }
        other => panic!("{other:?}"),
    }
}

#[sqlx::test]
async fn r7_a_yellow_raised_at_one_desk_holds_at_another_and_on_the_phone_until_cleared(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let a = test_desk(&s, &dir.path().join("a"), "鼓楼超市", "general", "鼓楼区中山路100号").await;
    let b = test_desk(&s, &dir.path().join("b"), "鼓楼医院", "general", "鼓楼区中山路200号").await;
    // Desk A: declared a visit to a risk area: yellow.
    let mut ctx = a.ctx.clone();
    ctx.now = Utc::now();
    assert_eq!(a.store().declare(&declaration(true), &ctx).unwrap().colour, Colour::Yellow);
    a.engine.sync_once().await.unwrap();
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM raised WHERE colour = 'yellow'").fetch_one(&pool).await.unwrap();
    assert_eq!(kept, 1, "the centre keeps the colour");

    // Desks hear of it by door tag, never by the person's keyed hash.
    let by_hash: i64 = sqlx::query_scalar("SELECT count(*) FROM changes WHERE body::text LIKE '%id_hash%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let by_tag: i64 =
        sqlx::query_scalar("SELECT count(*) FROM changes WHERE kind = 'raised_tag'").fetch_one(&pool).await.unwrap();
    assert_eq!((by_hash, by_tag), (0, 1));

    // Desk B, after its pull: the same person declaring nothing risky is yellow.
    b.engine.sync_once().await.unwrap();
    let (colour, reasons) = colour_by_id(&b);
    assert_eq!(colour, Colour::Yellow, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("近期已判定为黄码")), "{reasons:?}");

    // The phone page: a first declaration with every answer 否 is yellow too.
    let mut phone_desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = phone_desk.venue_with_code("鼓楼书店", placecode_core::venue::CodeKind::General).await;
    let phone = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let url = s.url(&format!("/c/{code}"));
    let t = csrf(&phone.get(&url).send().await.unwrap().text().await.unwrap());
    let form = [
        ("csrf", t.csrf.as_str()),
        ("once", t.once.as_str()),
        ("action", "declare"),
        ("name", "赵强"),
        ("id_number", ME),
        ("address", "鼓楼区中山路18号院"),
        ("visited_risk_area", "no"),
        ("contact_with_suspected", "no"),
        ("temperature_normal", "yes"),
    ];
    let html = phone.post(&url).form(&form).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"yellow\""), "{html}");

    // The epidemic office clears it: audited, and every desk and the phone turn green.
    let err = placecode_central::raised::clear(&pool, &s.keys, &placecode_central::audit::Actor::cli("test"), ME, "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("解除说明") || format!("{err:?}").contains("note"), "{err:?}");
    assert!(placecode_central::raised::clear(
        &pool,
        &s.keys,
        &placecode_central::audit::Actor::cli("test"),
        ME,
        "核酸阴性，社区解除"
    )
    .await
    .unwrap());
    let audit: String =
        sqlx::query_scalar("SELECT params::text FROM audit_log WHERE action = 'clear_colour' AND results = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(audit.contains("核酸阴性") && !audit.contains(ME), "{audit}");
    a.engine.sync_once().await.unwrap();
    b.engine.sync_once().await.unwrap();
    assert_eq!(colour_by_id(&a).0, Colour::Green);
    assert_eq!(colour_by_id(&b).0, Colour::Green);
    let html = last4(&phone, &url, &ME[14..]).await;
    assert!(html.contains("data-colour=\"green\""), "{html}");
}

#[sqlx::test]
async fn a_desk_cannot_push_a_raise_beyond_the_period_or_a_green_one(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let now = Utc::now();
    let mut records = Vec::new();
    for (colour, days) in [("red", 30), ("green", 1), ("yellow", 14)] {
        let mut v = visit_record(venue, ME, "赵强", now);
        v.body["colour"] = serde_json::json!(colour);
        v.body["raised"] = serde_json::json!({"colour": colour, "until": now + chrono::Duration::days(days)});
        records.push(v);
    }
    let res = desk.push(&records).await;
    let got: Vec<_> = res.results.iter().map(|r| (r.status, r.field.clone())).collect();
    assert_eq!(
        got,
        [
            (PushStatus::Rejected, Some("raised".into())),
            (PushStatus::Rejected, Some("raised".into())),
            (PushStatus::Stored, None)
        ]
    );
    let kept: Vec<String> = sqlx::query_scalar("SELECT colour FROM raised").fetch_all(&pool).await.unwrap();
    assert_eq!(kept, ["yellow"]);
}

/// A desk offline for a while scans one person twice, each time raising a colour: one batch
/// carries both. It is stored (merged), not refused with a 500 the desk would resend forever
/// (which kept such a desk from ever pulling the risk list).
#[sqlx::test]
async fn two_raising_visits_of_one_person_in_one_batch_are_merged(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let now = Utc::now();
    let records: Vec<_> = [("yellow", 10), ("red", 14)]
        .into_iter()
        .enumerate()
        .map(|(i, (colour, days))| {
            let mut v = visit_record(venue, ME, "赵强", now + chrono::Duration::minutes(i as i64));
            v.body["colour"] = serde_json::json!(colour);
            v.body["raised"] = serde_json::json!({"colour": colour, "until": now + chrono::Duration::days(days)});
            v
        })
        .collect();
    let res = desk.push(&records).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Stored), "{:?}", res.results);
    let kept: Vec<String> = sqlx::query_scalar("SELECT colour FROM raised").fetch_all(&pool).await.unwrap();
    assert_eq!(kept, ["red"], "the higher colour");
}

/// A release at the door (not reported) reaches the centre with its reason and the operator;
/// the incident's reason and note are sealed at rest (a dump shows neither).
#[sqlx::test]
async fn r7_a_release_at_the_door_reaches_the_centre(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let a = test_desk(&s, &dir.path().join("a"), "鼓楼超市", "general", "鼓楼区中山路100号").await;
    let mut ctx = a.ctx.clone();
    ctx.now = Utc::now();
    let r = a.store().declare(&declaration(true), &ctx).unwrap();
    a.store().release_visit(&r.visit_id, placecode_core::checkin::ReleaseReason::Misscan, "", &ctx).unwrap();
    a.engine.sync_once().await.unwrap();
    let (status, id, note, reason, operator): (String, uuid::Uuid, String, String, Option<String>) =
        sqlx::query_as("SELECT status, id, note, reason, operator FROM incidents").fetch_one(&pool).await.unwrap();
    let note = s.keys.data.open(placecode_central::fields::INCIDENT_NOTE, id.as_bytes(), &note).unwrap();
    assert_eq!(
        (status.as_str(), note.as_str(), operator.as_deref()),
        ("released", "误扫（扫错了人或证件）", Some("张敏"))
    );
    let reason = s.keys.data.open(placecode_central::fields::INCIDENT_REASON, id.as_bytes(), &reason).unwrap();
    assert!(!reason.is_empty());
    let dump = pg_dump(&pool).await;
    for clear in ["误扫", reason.as_str()] {
        let line = dump.lines().find(|l| l.contains(clear));
        assert!(line.is_none(), "{clear} in clear in the dump: {line:?}");
    }
    assert!(a.store().rejected_records().unwrap().is_empty());
}

/// A person stopped at the door by the risk list may reach the centre by ID number alone; a
/// green visit still needs a name.
#[sqlx::test]
async fn a_refused_stranger_syncs_by_id_number_alone(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let mut red = visit_record(venue, ME, "", Utc::now());
    red.body["colour"] = serde_json::json!("red");
    red.body["health_code"] = serde_json::json!("red");
    let green = visit_record(venue, &resident_id(4040), "", Utc::now());
    let res = desk.push(&[red, green]).await;
    let got: Vec<_> = res.results.iter().map(|r| (r.status, r.field.clone())).collect();
    assert_eq!(got, [(PushStatus::Stored, None), (PushStatus::Rejected, Some("person.name".into()))]);
}

/// The database remembers its server secret: an admin command or a server started with another
/// secret is refused (a risk list hashed with it would match nobody: everyone green).
#[sqlx::test]
async fn another_secret_is_refused_by_the_database(pool: PgPool) {
    let ours = placecode_central::Keys::from_secret(&[1u8; 32]);
    let theirs = placecode_central::Keys::from_secret(&[2u8; 32]);
    placecode_central::db::check_secret(&pool, &ours).await.unwrap();
    placecode_central::db::check_secret(&pool, &ours).await.unwrap();
    let err = placecode_central::db::check_secret(&pool, &theirs).await.unwrap_err();
    assert!(format!("{err:?}").contains("PLACECODE_SECRET_FILE"), "{err:?}");
}
