//! 货车闭环 end to end with two desks (a checkpoint and a destination, each its own database and
//! sync client) and the central server: pre-declaration on a phone, entry, sync, arrival, sync,
//! the loop closed on both desks; an overdue trip; an arrival without entry; a crew of three;
//! plates of every form.

mod common;

use chrono::Utc;
use common::*;
use placecode_core::checkin::TruckDeclarationInput;
use placecode_core::sync::RecordKind;
use placecode_store::{TripInput, TripStatus};
use sqlx::PgPool;

fn member(name: &str, seed: u64, plate: &str) -> TruckDeclarationInput {
    TruckDeclarationInput {
        name: name.into(),
        document_kind: None,
        document_number: resident_id(seed),
        plate: plate.into(),
        phone: format!("138378{:05}", seed % 100_000),
        origin: "郑州市".into(),
        entry_point: "开封东收费站".into(),
        expected_return: String::new(),
        expected_departure: String::new(),
        symptoms: Some(false),
        visited_risk_area: Some(false),
    }
}

#[sqlx::test]
async fn a_trip_closes_on_both_desks(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    // The checkpoint learns the destinations from the server.
    let found = cp.store().destinations("物流").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, dest.venue_id);

    // A crew of three, plates of every form, one trip each.
    let plates = ["豫B12345", "豫BD12345", "豫B1234挂", "京A12345", "粤Z1234港"];
    for (i, plate) in plates.iter().enumerate() {
        let mut crew: Vec<_> = (0..if i == 0 { 3 } else { 1 })
            .map(|j| member(&format!("司机{i}{j}").replace(char::is_numeric, ""), 100 * i as u64 + j, plate))
            .collect();
        if i == 3 {
            // A co-driver with a passport, typed in at the checkpoint.
            crew.push(TruckDeclarationInput {
                name: "Chan Tai Man".into(),
                document_kind: Some(placecode_core::identity::DocumentKind::Passport),
                document_number: "E12345678".into(),
                ..member("x", 399, plate)
            });
        }
        let input = TripInput {
            plate: plate.to_lowercase(),
            crew,
            pass_number: if i == 0 { "HN2026112700001".into() } else { String::new() },
            destination_id: dest.venue_id.clone(),
            predeclaration_id: None,
            turned_back_checked: false,
        };
        let r = cp.store().open_trip(&input, &cp.ctx).unwrap();
        let trip = r.trip.expect("all green: the trip opens");
        assert_eq!(trip.plate, *plate);
        assert_eq!(trip.status, TripStatus::Open);
        assert_eq!(r.results.len(), [3, 1, 1, 2, 1][i]);
    }
    cp.engine.sync_once().await.unwrap();
    // Every crew typed in at the checkpoint reaches the centre: nothing refused, and a trace of
    // a driver and of the passport holder finds their entry.
    assert!(cp.store().rejected_records().unwrap().is_empty(), "{:?}", cp.store().rejected_records().unwrap());
    let tracer = placecode_central::trace::make_tracer(&pool, "疾控中心", 30, &[]).await.unwrap();
    for number in [resident_id(0), "E12345678".to_owned()] {
        let res = s
            .http
            .post(s.url("/api/v1/trace/person"))
            .bearer_auth(&tracer)
            .json(&serde_json::json!({"purpose": "流调测试", "id_number": number, "from": Utc::now() - chrono::Duration::hours(1), "to": Utc::now() + chrono::Duration::hours(1)}))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["visits"].as_array().map(Vec::len), Some(1), "{number}: {body}");
    }
    dest.engine.sync_once().await.unwrap();
    let board = dest.store().trip_board(Utc::now()).unwrap();
    assert_eq!(board.expected_arrivals.len(), plates.len());
    assert_eq!(board.expected_arrivals.iter().find(|t| t.plate == "豫B12345").unwrap().crew.len(), 3);
    // The destination sees each member's last four digits only, and a 16-bit part of the keyed
    // hash: enough to find the trip by an ID, never enough to work out the number.
    let expected = board.expected_arrivals.iter().find(|t| t.plate == "豫BD12345").unwrap();
    let shown = &expected.crew[0].document_masked;
    assert!(shown.starts_with("**************") && shown.ends_with(&resident_id(100)[14..]), "{shown}");

    // Arrival in one action, by plate or by a crew member's ID number.
    let a = dest.store().record_arrival("豫b12345", &dest.ctx).unwrap();
    assert!(!a.flagged && a.trip.as_ref().unwrap().status == TripStatus::Closed);
    let b = dest.store().record_arrival(&resident_id(100), &dest.ctx).unwrap();
    assert_eq!(b.plate, "豫BD12345");
    dest.engine.sync_once().await.unwrap();
    cp.engine.sync_once().await.unwrap();
    // Closed on the checkpoint desk too.
    let board = cp.store().trip_board(Utc::now()).unwrap();
    assert_eq!(board.closed.len(), 2, "{:?}", board.closed);
    assert_eq!(board.open.len(), 3);
    // And in supervision.
    let sup = supervision(&pool).await;
    assert_eq!((sup.open, sup.closed, sup.overdue), (3, 2, 0));
    assert_eq!(sup.trips.iter().find(|t| t.trip.plate == "豫B12345").unwrap().trip.pass_number, "HN2026112700001");
}

#[sqlx::test]
async fn overdue_trips_and_arrivals_without_entry_are_listed(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    cp.engine.sync_once().await.unwrap();
    // Entered 13 hours ago, never arrived.
    let mut late = cp.ctx.clone();
    late.now = Utc::now() - chrono::Duration::hours(13);
    let mut m = member("张师傅", 7, "豫B77777");
    m.expected_departure = (Utc::now() + chrono::Duration::hours(30)).format("%Y-%m-%d %H:%M").to_string();
    let input = TripInput {
        plate: "豫B77777".into(),
        crew: vec![m],
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    cp.store().open_trip(&input, &late).unwrap().trip.unwrap();
    let board = cp.store().trip_board(Utc::now()).unwrap();
    assert_eq!(board.overdue.len(), 1);
    assert_eq!(board.overdue[0].crew[0].phone, "13837800007", "the phone in full, to call the crew");
    assert_eq!(board.expected_departures.len(), 1);
    cp.engine.sync_once().await.unwrap();
    let sup = placecode_central::trips::supervise(
        placecode_central::db::Db::one(&pool),
        &test_keys(),
        &placecode_central::audit::Actor::cli("test"),
        &placecode_central::trips::TripQuery { status: Some("overdue".into()), ..Default::default() },
        12,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(sup.trips.len(), 1);
    assert_eq!(sup.trips[0].trip.crew[0]["phone"], "13837800007");

    // An arrival with no entry: recorded, flagged, and matched when the entry reaches the server.
    let a = dest.store().record_arrival("豫C55555", &dest.ctx).unwrap();
    assert!(a.flagged);
    dest.engine.sync_once().await.unwrap();
    let sup = supervision(&pool).await;
    assert_eq!(sup.unmatched_arrivals.len(), 1);
    assert_eq!(sup.unmatched_arrivals[0].plate, "豫C55555");
    // An ID number with no trip cannot be flagged without a plate.
    let e = dest.store().record_arrival(&resident_id(999), &dest.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["query"]));
}

#[sqlx::test]
async fn a_crew_declares_on_a_phone_and_the_checkpoint_confirms(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    let mut store = cp.store();
    let key = placecode_store::keys::load_or_create(&dir.path().join("c/k")).unwrap();
    let code = store.issue_code(&cp.venue_id, "1号通道", &key).unwrap().code;
    drop(store);
    cp.engine.sync_once().await.unwrap();
    dest.engine.sync_once().await.unwrap();
    let dest_id = dest.venue_id.clone();
    // On the phone, before arriving: the published checkpoint code.
    let phone = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let url = s.url(&format!("/c/{code}"));
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    let t = csrf(&html);
    let number = resident_id(4242);
    let form = [
        ("csrf", t.csrf.as_str()),
        ("once", t.once.as_str()),
        ("action", "declare"),
        ("name", "孙师傅"),
        ("document_kind", "resident_id"),
        ("document_number", number.as_str()),
        ("plate", "豫B88888"),
        ("phone", "13837800088"),
        ("origin", "郑州"),
        ("entry_point", "开封东"),
        ("destination", dest_id.as_str()),
        ("symptoms", "no"),
        ("visited_risk_area", "no"),
    ];
    assert_eq!(phone.post(&url).form(&form).send().await.unwrap().status(), 200);
    // The co-driver declares on another phone.
    let phone2 = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let html = phone2.get(&url).send().await.unwrap().text().await.unwrap();
    let t2 = csrf(&html);
    let number2 = resident_id(4343);
    let mut form2 = form;
    form2[0] = ("csrf", t2.csrf.as_str());
    form2[1] = ("once", t2.once.as_str());
    form2[3] = ("name", "周师傅");
    form2[5] = ("document_number", number2.as_str());
    assert_eq!(phone2.post(&url).form(&form2).send().await.unwrap().status(), 200);
    cp.engine.sync_once().await.unwrap();
    // At the checkpoint: found by plate, confirmed in one action (the destination picked).
    let found = cp.store().find_crew("豫b88888").unwrap();
    assert_eq!(found.predeclarations.len(), 1, "one truck, two phones");
    let pre = &found.predeclarations[0];
    assert_eq!(pre.crew.len(), 2);
    // Where the crew said it goes is offered with it.
    assert_eq!(pre.destination.as_ref().map(|d| d.id.as_str()), Some(dest.venue_id.as_str()));
    // Declared, not yet a visit: nothing to trace until the checkpoint confirms.
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
    assert_eq!(pre.crew[0].document_number, number);
    let input = TripInput {
        plate: pre.plate.clone(),
        crew: pre.crew.clone(),
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: Some(pre.id.clone()),
        turned_back_checked: false,
    };
    let trip = cp.store().open_trip(&input, &cp.ctx).unwrap().trip.unwrap();
    assert!(cp.store().find_crew("豫B88888").unwrap().predeclarations.is_empty(), "confirmed once");
    cp.engine.sync_once().await.unwrap();
    assert_eq!(
        count(&pool, "SELECT count(*) FROM visits WHERE source = 'desk'").await,
        2,
        "confirmed: the crew's visits"
    );
    // A returning truck: its last crew is offered.
    assert_eq!(cp.store().find_crew("豫B88888").unwrap().previous.len(), 2);
    cp.engine.sync_once().await.unwrap();
    dest.engine.sync_once().await.unwrap();
    // The 货车通行单: the crew masked, its QR the trip; the destination scans it on arrival.
    let slip = cp.store().trip_slip(&trip.id, Utc::now()).unwrap();
    assert_eq!((slip.plate.as_str(), slip.destination.as_str(), slip.crew.len()), ("豫B88888", "鼓楼物流园", 2));
    assert!(slip
        .crew
        .iter()
        .all(|m| m.name.contains('*') && m.document.contains('*') && !m.document.contains(&number[..10])));
    let e = dest.store().trip_slip(&trip.id, Utc::now()).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("not_found", Vec::<&str>::new()));
    let unknown = dest.store().record_arrival("PCTRIP:00000000-0000-7000-8000-000000000000", &dest.ctx).unwrap_err();
    assert!(unknown.to_string().contains("未找到这张通行单") || format!("{unknown:?}").contains("未找到这张通行单"));
    let other = test_desk(&s, &dir.path().join("o"), "祥符物流园", "destination", "鼓楼区五一路99号").await;
    let e = other.store().record_arrival(&format!("PCTRIP:{}", slip.trip_id), &other.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["query"]));
    // As a scanner types it (lower case, a full-width colon from an IME).
    let scanned = format!("pctrip：{}", slip.trip_id);
    let arrival = dest.store().record_arrival(&scanned, &dest.ctx).unwrap();
    assert_eq!(arrival.trip.unwrap().id, trip.id);
    // Scanned again (a double read), or the plate typed again: said so, nothing recorded.
    for again in [scanned.as_str(), "豫B88888"] {
        let e = dest.store().record_arrival(again, &dest.ctx).unwrap_err();
        assert!(format!("{e:?}").contains("已闭环），无需重复登记"), "{e:?}");
    }
    assert_eq!(dest.store().trip_board(Utc::now()).unwrap().arrivals_today.len(), 1, "one arrival, no false flag");
    assert!(cp.store().trip_slip(&trip.id, Utc::now()).is_ok(), "the checkpoint has not heard yet");
    dest.engine.sync_once().await.unwrap();
    cp.engine.sync_once().await.unwrap();
    assert_eq!(cp.store().trip(&trip.id, Utc::now()).unwrap().status, TripStatus::Closed);
    let e = cp.store().trip_slip(&trip.id, Utc::now()).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["trip_id"]));
    // The centre's copy (truck records, the trip, the changes the desks pulled) is sealed.
    let dump = pg_dump(&pool).await;
    for clear in [number.as_str(), number2.as_str(), "孙师傅", "周师傅", "13837800088"] {
        assert!(!dump.contains(clear), "{clear} in clear in the dump");
    }
}

#[sqlx::test]
async fn a_red_crew_member_is_turned_back(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    placecode_central::risk::import(&pool, &s.keys, format!("{},红,密接\n", resident_id(2)).as_bytes(), false)
        .await
        .unwrap();
    cp.engine.sync_once().await.unwrap();
    let input = TripInput {
        plate: "豫B22222".into(),
        crew: vec![member("张甲", 1, "豫B22222"), member("李乙", 2, "豫B22222")],
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    let r = cp.store().open_trip(&input, &cp.ctx).unwrap();
    // The truck waits for the clerk's decision on the red member: nothing goes to the centre yet,
    // and the truck cannot be entered again meanwhile.
    let trip = r.trip.expect("a trip held at entry");
    assert_eq!(trip.status, TripStatus::Held);
    assert_eq!(trip.crew.len(), 2);
    assert_eq!(r.results[1].colour, placecode_core::decision::Colour::Red);
    let again = cp.store().open_trip(&input, &cp.ctx).unwrap_err();
    assert!(
        matches!(&again, placecode_store::Error::Rule(placecode_core::Error::Invalid(f)) if f[0].field == "plate" && f[0].message.contains("尚未处置")),
        "{again:?}"
    );
    let resolve = placecode_store::TripResolveInput {
        trip_id: trip.id.clone(),
        resolution: placecode_core::checkin::TripResolution::Cancelled,
        note: "想绕过处置".into(),
    };
    let e = cp.store().resolve_trip(&resolve, &cp.ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["trip"]));
    // However long ago, the board offers the undecided red member again.
    let later = Utc::now() + chrono::Duration::days(2);
    let again = cp.store().held_results(&trip.id, later).unwrap();
    assert_eq!(again.iter().map(|r| r.visit_id.as_str()).collect::<Vec<_>>(), [r.results[1].visit_id.as_str()]);
    cp.engine.sync_once().await.unwrap();
    let sup = supervision(&pool).await;
    assert!(sup.trips.is_empty(), "nothing at the centre before the decision");
    // The red member is reported through refuse-and-report: the truck is turned back, naming
    // the incident.
    let incident = cp
        .store()
        .report_incident(
            &r.results[1].visit_id,
            &placecode_store::IncidentInput {
                held_at: "卡口临时留观点".into(), reported_to: "县疾控中心".into()
            },
            &cp.ctx,
        )
        .unwrap();
    let trip = cp.store().trip(&trip.id, Utc::now()).unwrap();
    assert_eq!(trip.status, TripStatus::TurnedBack);
    let e = cp.store().held_results(&trip.id, Utc::now()).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("not_found", Vec::<&str>::new()));
    assert!(trip.resolution_note.contains("红码"), "{:?}", trip.resolution_note);
    assert_eq!(trip.incident_ids, vec![incident.id]);
    let board = cp.store().trip_board(Utc::now()).unwrap();
    assert_eq!((board.open.len(), board.overdue.len(), board.ended.len()), (0, 0, 1));
    // Looking the truck up, or the red member, tells it was turned back; the red member is not
    // offered again with the last crew.
    let found = cp.store().find_crew("豫B22222").unwrap();
    assert!(found.open_trip.is_none());
    assert_eq!(found.turned_back.as_ref().map(|t| t.id.as_str()), Some(trip.id.as_str()));
    assert_eq!(found.previous.len(), 1);
    assert_eq!(found.left_out.len(), 1);
    assert_eq!(found.left_out[0].colour, placecode_core::decision::Colour::Red);
    assert!(cp.store().find_crew(&resident_id(2)).unwrap().turned_back.is_some());
    // The same truck back at once with another crew: the clerk is asked to check first.
    let back =
        TripInput { crew: vec![member("张甲", 1, "豫B22222"), member("王丙", 5, "豫B22222")], ..input.clone() };
    match cp.store().open_trip(&back, &cp.ctx) {
        Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) => {
            assert_eq!(f[0].field, "turned_back_checked");
            assert!(f[0].message.contains("被劝返") && f[0].message.contains("豫B22222"), "{f:?}");
        }
        other => panic!("{other:?}"),
    }
    // The driver alone on another truck: asked too (he shared the cab).
    let other_truck =
        TripInput { plate: "豫B22223".into(), crew: vec![member("张甲", 1, "豫B22223")], ..input.clone() };
    assert!(
        matches!(cp.store().open_trip(&other_truck, &cp.ctx), Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) if f[0].field == "turned_back_checked")
    );
    cp.engine.sync_once().await.unwrap();
    assert!(cp.store().rejected_records().unwrap().is_empty(), "{:?}", cp.store().rejected_records().unwrap());
    let sup = supervision(&pool).await;
    assert_eq!((sup.open, sup.turned_back, sup.flagged), (0, 1, 0));
    assert_eq!(sup.trips[0].status, "turned_back");
    assert_eq!(sup.trips[0].trip.flag, None, "the red member's report is on record");
    // The destination learns the truck is not coming; if it comes anyway, the arrival is
    // flagged, linked to the trip turned back, and shown to supervision.
    dest.engine.sync_once().await.unwrap();
    assert!(dest.store().trip_board(Utc::now()).unwrap().expected_arrivals.is_empty());
    let a = dest.store().record_arrival("豫B22222", &dest.ctx).unwrap();
    assert!(a.flagged);
    assert_eq!(a.trip.as_ref().map(|t| t.status), Some(TripStatus::TurnedBack));
    dest.engine.sync_once().await.unwrap();
    let sup = supervision(&pool).await;
    assert_eq!(sup.unmatched_arrivals.len(), 1);
    assert_eq!(sup.unmatched_arrivals[0].trip_resolution.as_deref(), Some("turned_back"));
    assert_eq!(sup.turned_back, 1, "the arrival does not close a trip turned back");
    // Checked by the clerk, the truck enters with its new crew.
    let checked = TripInput { turned_back_checked: true, ..back };
    assert_eq!(cp.store().open_trip(&checked, &cp.ctx).unwrap().trip.unwrap().status, TripStatus::Open);

    // Bad input names every field; nothing is saved.
    let bad = TripInput {
        plate: "12345".into(),
        crew: vec![TruckDeclarationInput { name: "<b>".into(), ..member("x", 3, "") }],
        pass_number: "通行证!".into(),
        destination_id: "nowhere".into(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    let before = cp.store().visit_count().unwrap();
    match cp.store().open_trip(&bad, &cp.ctx) {
        Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) => {
            let fields: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
            for want in ["plate", "pass_number", "destination_id", "crew.0.name"] {
                assert!(fields.contains(&want), "{want} in {fields:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cp.store().visit_count().unwrap(), before);
}

/// One trip in transit per truck and per person; 到达核验, 作废 and 劝返 each need a note, are
/// final, reach the centre and the destination; only the checkpoint that opened a trip can end it.
#[sqlx::test]
async fn one_trip_in_transit_per_truck_and_what_became_of_it(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    cp.engine.sync_once().await.unwrap();
    let trip_input = |plate: &str, seeds: &[u64]| TripInput {
        plate: plate.into(),
        crew: seeds.iter().map(|&n| member("张师傅", n, plate)).collect(),
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    let first = cp.store().open_trip(&trip_input("豫B30001", &[31, 32]), &cp.ctx).unwrap().trip.unwrap();

    // The same truck again, as a tired clerk would enter it: warned, nothing stored.
    let visits = cp.store().visit_count().unwrap();
    let fields = |r: placecode_store::Result<placecode_store::TripResult>| match r {
        Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) => {
            f.into_iter().map(|e| (e.field, e.message)).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    let f = fields(cp.store().open_trip(&trip_input("豫b 30001", &[33]), &cp.ctx));
    assert_eq!(f[0].0, "plate");
    assert!(f[0].1.contains("在途行程") && f[0].1.contains("鼓楼物流园"), "{f:?}");
    // A crew member of the first truck on another truck.
    let f = fields(cp.store().open_trip(&trip_input("豫B30002", &[34, 32]), &cp.ctx));
    assert_eq!(f[0].0, "crew.1.document_number");
    assert!(f[0].1.contains("豫B30001"), "{f:?}");
    assert_eq!(cp.store().visit_count().unwrap(), visits);
    // Looking the plate up offers the trip in transit.
    assert_eq!(cp.store().find_crew("豫B30001").unwrap().open_trip.map(|t| t.id), Some(first.id.clone()));

    // Each resolution needs a note (named), and is final.
    use placecode_core::checkin::TripResolution;
    use placecode_store::TripResolveInput;
    let resolve = |id: &str, r: TripResolution, note: &str| {
        cp.store().resolve_trip(&TripResolveInput { trip_id: id.into(), resolution: r, note: note.into() }, &cp.ctx)
    };
    for note in ["", " ", "..", "<script>", &"长".repeat(61)] {
        match resolve(&first.id, TripResolution::Cancelled, note) {
            Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) => {
                assert_eq!(f[0].field, "note", "{note:?}")
            }
            other => panic!("{note:?}: {other:?}"),
        }
    }
    let cancelled = resolve(&first.id, TripResolution::Cancelled, "车牌录错").unwrap();
    assert_eq!(cancelled.status, TripStatus::Cancelled);
    match resolve(&first.id, TripResolution::Verified, "电话确认已到达") {
        Err(placecode_store::Error::Rule(placecode_core::Error::Invalid(f))) => assert_eq!(f[0].field, "trip"),
        other => panic!("{other:?}"),
    }
    let e = resolve("no-such-trip", TripResolution::Verified, "电话确认").unwrap_err();
    assert_eq!((e.code(), e.fields()), ("not_found", Vec::<&str>::new()));
    // Once resolved, the truck may enter again.
    let second = cp.store().open_trip(&trip_input("豫B30001", &[31, 32]), &cp.ctx).unwrap().trip.unwrap();
    let third = cp.store().open_trip(&trip_input("豫B30003", &[35]), &cp.ctx).unwrap().trip.unwrap();
    let verified = resolve(&second.id, TripResolution::Verified, "电话联系司机，已到达").unwrap();
    assert_eq!(verified.status, TripStatus::Verified);
    assert_eq!(
        resolve(&third.id, TripResolution::TurnedBack, "目的地不接收，掉头返回").unwrap().status,
        TripStatus::TurnedBack
    );
    let board = cp.store().trip_board(Utc::now()).unwrap();
    assert_eq!((board.open.len(), board.closed.len(), board.ended.len()), (0, 1, 2));

    cp.engine.sync_once().await.unwrap();
    assert!(cp.store().rejected_records().unwrap().is_empty(), "{:?}", cp.store().rejected_records().unwrap());
    assert!(cp.store().trip_board(Utc::now()).unwrap().ended.iter().all(|t| t.sync_state == "synced"));
    let sup = supervision(&pool).await;
    assert_eq!((sup.open, sup.verified, sup.cancelled, sup.turned_back), (0, 1, 1, 1));
    let at_centre = sup.trips.iter().find(|t| t.status == "verified").unwrap();
    assert_eq!(at_centre.trip.resolution_note.as_ref().unwrap()["note"], verified.resolution_note.as_str());
    assert!(verified.resolution_note.starts_with("电话联系司机"));
    assert_eq!(at_centre.trip.resolution_note.as_ref().unwrap()["operator"], "张敏");
    // The destination expects none of them, and knows why.
    dest.engine.sync_once().await.unwrap();
    let board = dest.store().trip_board(Utc::now()).unwrap();
    assert!(board.expected_arrivals.is_empty(), "{:?}", board.expected_arrivals);
    assert_eq!(dest.store().trip(&third.id, Utc::now()).unwrap().resolution_note, "目的地不接收,掉头返回");
    // The turned-back truck turning up anyway is flagged (an arrival with no trip in transit),
    // for supervision to see.
    assert!(dest.store().record_arrival("豫B30003", &dest.ctx).unwrap().flagged);
    // Notes are sealed at rest.
    let dump = pg_dump(&pool).await;
    for clear in ["车牌录错", "电话联系司机", "掉头返回"] {
        assert!(!dump.contains(clear), "{clear} in clear in the dump");
    }
}

/// Attack: a desk cannot end another checkpoint's trip, by its own venue or by the checkpoint's.
#[sqlx::test]
async fn only_the_checkpoint_that_opened_a_trip_ends_it(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    let other = test_desk(&s, &dir.path().join("o"), "西环收费站卡口", "checkpoint", "鼓楼区西环路收费站").await;
    cp.engine.sync_once().await.unwrap();
    let input = TripInput {
        plate: "豫B40001".into(),
        crew: vec![member("张师傅", 41, "豫B40001")],
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    let trip = cp.store().open_trip(&input, &cp.ctx).unwrap().trip.unwrap();
    cp.engine.sync_once().await.unwrap();
    let update = |venue: &str| {
        record(
            RecordKind::TripUpdate,
            serde_json::json!({"purpose": "流调测试", "venue_id": venue, "trip_id": trip.id, "resolution": "cancelled",
                               "note": "冒充作废", "at": Utc::now()}),
        )
    };
    let push_as = |who: &TestDesk, rec: placecode_core::sync::Record| {
        let credential = who.store().enrolment().unwrap().unwrap().credential;
        let http = s.http.clone();
        let url = s.url("/api/v1/push");
        async move {
            let res = http
                .post(url)
                .bearer_auth(credential)
                .header("x-desk-time", Utc::now().to_rfc3339())
                .json(&serde_json::json!({"batch_id": uuid::Uuid::now_v7().to_string(), "records": [rec]}))
                .send()
                .await
                .unwrap();
            let body: placecode_core::sync::PushResponse = res.json().await.unwrap();
            body.results.into_iter().next().unwrap()
        }
    };
    // The destination, naming the checkpoint's venue: not its venue.
    let r = push_as(&dest, update(&cp.venue_id)).await;
    assert_eq!(r.status, placecode_core::sync::PushStatus::Rejected, "{r:?}");
    // The destination, naming its own venue: a destination does not end trips.
    let r = push_as(&dest, update(&dest.venue_id)).await;
    assert_eq!((r.status, r.field.as_deref()), (placecode_core::sync::PushStatus::Rejected, Some("venue_id")), "{r:?}");
    // Another checkpoint, naming its own venue: stored as its record, the trip untouched.
    other.engine.sync_once().await.unwrap();
    let r = push_as(&other, update(&other.venue_id)).await;
    assert_eq!(r.status, placecode_core::sync::PushStatus::Stored, "{r:?}");
    let sup = supervision(&pool).await;
    assert_eq!((sup.open, sup.cancelled), (1, 0));
    // A note that is not the core's rule is refused.
    let mut bad = update(&cp.venue_id);
    bad.body["note"] = serde_json::json!("<b>x</b>");
    let r = push_as(&cp, bad).await;
    assert_eq!((r.status, r.field.as_deref()), (placecode_core::sync::PushStatus::Rejected, Some("note")), "{r:?}");
}

/// A red member let go by the clerk (误扫, 核实后放行) is not a truck turned back: once every
/// yellow or red member is released, the trip opens and reaches the centre as an entry.
#[sqlx::test]
async fn a_crew_member_released_by_the_clerk_lets_the_truck_in(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    cp.engine.sync_once().await.unwrap();
    let mut feverish = member("李乙", 52, "豫B52525");
    feverish.symptoms = Some(true);
    let input = TripInput {
        plate: "豫B52525".into(),
        crew: vec![member("张甲", 51, "豫B52525"), feverish],
        destination_id: dest.venue_id.clone(),
        ..Default::default()
    };
    let r = cp.store().open_trip(&input, &cp.ctx).unwrap();
    let trip = r.trip.unwrap();
    assert_eq!(trip.status, TripStatus::Held);
    assert_ne!(r.results[1].colour, placecode_core::decision::Colour::Green);
    cp.store()
        .release_visit(
            &r.results[1].visit_id,
            placecode_core::checkin::ReleaseReason::VerifiedByStaff,
            "复测体温36.6℃",
            &cp.ctx,
        )
        .unwrap();
    assert_eq!(cp.store().trip(&trip.id, Utc::now()).unwrap().status, TripStatus::Open);
    cp.engine.sync_once().await.unwrap();
    assert!(cp.store().rejected_records().unwrap().is_empty(), "{:?}", cp.store().rejected_records().unwrap());
    let sup = supervision(&pool).await;
    assert_eq!((sup.open, sup.turned_back, sup.flagged), (1, 0, 1));
    // A listed or feverish person entered: supervision sees who and why.
    let flag = sup.trips[0].trip.flag.clone().unwrap_or_default();
    assert!(flag.contains("李*") && flag.contains("经卡口放行：工作人员核实后放行：复测体温36.6℃"), "{flag:?}");
    dest.engine.sync_once().await.unwrap();
    assert_eq!(dest.store().trip_board(Utc::now()).unwrap().expected_arrivals.len(), 1);
}

/// Attack: a second desk enrolled at the same checkpoint (a lane's desk, or a stolen one) opens a
/// trip for a red-listed person with no decision, and tells the centre another desk's truck was
/// turned back. The first is flagged for supervision; the second changes nothing.
#[sqlx::test]
async fn a_second_desk_at_the_checkpoint_cannot_launder_a_red_crew_or_end_anothers_trip(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    placecode_central::risk::import(&pool, &s.keys, format!("{},红,密接\n", resident_id(62)).as_bytes(), false)
        .await
        .unwrap();
    cp.engine.sync_once().await.unwrap();
    let green = TripInput {
        plate: "豫B61616".into(),
        crew: vec![member("张甲", 61, "豫B61616")],
        destination_id: dest.venue_id.clone(),
        ..Default::default()
    };
    let trip = cp.store().open_trip(&green, &cp.ctx).unwrap().trip.unwrap();
    cp.engine.sync_once().await.unwrap();

    let venue: uuid::Uuid = cp.venue_id.parse().unwrap();
    let rogue = s.desk(&[], &[venue]).await;
    let forged = record(
        RecordKind::TruckTrip,
        serde_json::json!({"purpose": "流调测试", "venue_id": venue, "plate": "豫B62626", "destination_venue_id": dest.venue_id,
            "trip_id": uuid::Uuid::now_v7(), "crew": [member("李乙", 62, "豫B62626")], "pass_number": "", "at": Utc::now()}),
    );
    let spoof = record(
        RecordKind::TripUpdate,
        serde_json::json!({"purpose": "流调测试", "venue_id": venue, "trip_id": trip.id, "resolution": "turned_back",
            "note": "入口劝返:司乘人员有红码,已上报", "operator": "张敏", "at": Utc::now()}),
    );
    let res = rogue.push(&[forged, spoof]).await;
    assert!(res.results.iter().all(|r| r.status == placecode_core::sync::PushStatus::Stored), "{:?}", res.results);
    let sup = supervision(&pool).await;
    let by_plate = |p: &str| sup.trips.iter().find(|t| t.trip.plate == p).unwrap();
    // The green truck is still open: only the desk that opened it can end it.
    assert_eq!(by_plate("豫B61616").status, "open");
    // The red-listed passenger's truck is open, but flagged for supervision.
    let flag = by_plate("豫B62626").trip.flag.clone().unwrap_or_default();
    assert!(flag.contains("李*（红码）无拒绝上报或放行记录"), "{flag:?}");
    assert_eq!(sup.flagged, 1);

    // The real checkpoint reports the red person and turns a truck back; minutes later the rogue
    // desk puts the same person on another truck: that earlier report does not cover it.
    let red_crew = TripInput {
        plate: "豫B63636".into(),
        crew: vec![member("李乙", 62, "豫B63636")],
        destination_id: dest.venue_id.clone(),
        ..Default::default()
    };
    let r = cp.store().open_trip(&red_crew, &cp.ctx).unwrap();
    cp.store()
        .report_incident(
            &r.results[0].visit_id,
            &placecode_store::IncidentInput { held_at: "卡口留观点".into(), reported_to: "疾控中心".into() },
            &cp.ctx,
        )
        .unwrap();
    cp.engine.sync_once().await.unwrap();
    let later = Utc::now() + chrono::Duration::minutes(3);
    let again = record(
        RecordKind::TruckTrip,
        serde_json::json!({"purpose": "流调测试", "venue_id": venue, "plate": "豫B64646", "destination_venue_id": dest.venue_id,
            "trip_id": uuid::Uuid::now_v7(), "crew": [member("李乙", 62, "豫B64646")], "pass_number": "", "at": later}),
    );
    // With a release it wrote itself, as a rogue desk would.
    let visit = visit_record(venue, &resident_id(62), "李乙", later);
    let release = record(
        RecordKind::Incident,
        serde_json::json!({"visit_id": visit.id, "venue_id": venue, "colour": "red", "reason": "风险人员名单",
            "held_at": "", "reported_to": "", "status": "released", "note": "误扫（扫错了人或证件）", "at": later}),
    );
    let res = rogue.push(std::slice::from_ref(&release)).await;
    assert_eq!(
        res.results[0].field.as_deref(),
        Some("note"),
        "a red released with no word is refused: {:?}",
        res.results
    );
    let mut worded = release;
    worded.id = uuid::Uuid::now_v7().to_string();
    worded.body["note"] = serde_json::json!("误扫（扫错了人或证件）：看错了");
    let res = rogue.push(&[worded, visit, again]).await;
    assert!(res.results.iter().all(|r| r.status == placecode_core::sync::PushStatus::Stored), "{:?}", res.results);
    let sup = supervision(&pool).await;
    let flag = sup.trips.iter().find(|t| t.trip.plate == "豫B64646").unwrap().trip.flag.clone().unwrap_or_default();
    assert!(flag.contains("李*（红码）经卡口放行：误扫（扫错了人或证件）：看错了"), "{flag:?}");
    assert_eq!(
        sup.trips.iter().find(|t| t.trip.plate == "豫B63636").unwrap().trip.flag,
        None,
        "reported and turned back"
    );
}

/// What supervision sees of every trip (the administrator's view, 12 hours to overdue).
async fn supervision(pool: &PgPool) -> placecode_central::trips::Supervision {
    let actor = placecode_central::audit::Actor::cli("test");
    placecode_central::trips::supervise(
        placecode_central::db::Db::one(pool),
        &test_keys(),
        &actor,
        &Default::default(),
        12,
        Utc::now(),
    )
    .await
    .unwrap()
}

/// A crew form follows the rule of every form: a name on file stays (a crew form renamed the
/// person at the checkpoint, so a made-up name for a guessed number overwrote theirs), and each
/// visit keeps the name its form gave, which the lists show.
#[sqlx::test]
async fn a_crew_form_does_not_rename_a_person_on_file(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    let trip = |name: &str, plate: &str, at: chrono::DateTime<Utc>| {
        let input = TripInput {
            plate: plate.into(),
            crew: vec![member(name, 7, plate)],
            pass_number: String::new(),
            destination_id: dest.venue_id.clone(),
            predeclaration_id: None,
            turned_back_checked: false,
        };
        let mut ctx = cp.ctx.clone();
        ctx.now = at;
        cp.store().open_trip(&input, &ctx).unwrap()
    };
    let now = cp.ctx.now;
    let first = trip("王建国", "豫B33333", now);
    assert_eq!(first.results[0].masked_name, "王**");
    let done = placecode_store::TripResolveInput {
        trip_id: first.trip.unwrap().id,
        resolution: placecode_core::checkin::TripResolution::Verified,
        note: "电话核实已到达".into(),
    };
    cp.store().resolve_trip(&done, &cp.ctx).unwrap();
    let later = now + chrono::Duration::hours(1);
    assert_eq!(trip("测试人", "豫B44444", later).results[0].masked_name, "测**", "the name given is shown");
    let number = resident_id(7);
    let today = cp.store().today(&number[14..], 10, later).unwrap();
    let names: Vec<&str> = today.visits.iter().map(|v| v.masked_name.as_str()).collect();
    assert_eq!(names, ["测**", "王**"], "each visit as its form gave it");
    assert_eq!(cp.store().today("王建国", 10, later).unwrap().total, 1);
    // On file, the person is still 王建国: a scan of the number answers with that name.
    let scan = later + chrono::Duration::hours(1);
    let mut ctx = cp.ctx.clone();
    ctx.now = scan;
    match cp.store().check_in_by_id(&number, &ctx).unwrap() {
        placecode_core::checkin::Lookup::CheckedIn { result } => assert_eq!(result.masked_name, "王**"),
        other => panic!("{other:?}"),
    }
}
