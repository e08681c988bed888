//! Occupancy and 限流 at the desk, on a real SQLite file: the count agrees with the core's rule
//! under random traffic (check-ins green and yellow, 离场, stays running out); a venue at its
//! limit makes the next person wait and saves nothing of them; 离场 frees a place.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{person, resident_id, venue_input};
use placecode_core::checkin::LIST_PAGE;
use placecode_core::occupancy::{inside, Event};
use placecode_store::{CheckInContext, Store};
use proptest::prelude::*;
use rusqlite::params;

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::minutes(min)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A door's traffic: who (one of six), when (minute), what (green in, yellow in, 离场).
fn traffic() -> impl Strategy<Value = Vec<(u8, i64, u8)>> {
    prop::collection::vec((0u8..6, 0i64..300, 0u8..3), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The store's count (SQL over its visits) is the core's count, whatever the traffic.
    #[test]
    fn the_desks_count_is_the_rules_count(events in traffic(), stay in 10i64..200, now in 0i64..320) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
        let venue = store.register_venue(&venue_input("鼓楼区便民超市", "中山路18号"), false).unwrap();
        store.set_venue_limit(&venue.id, Some((100_000, 100, stay))).unwrap();
        let people: Vec<(String, String)> = (0..6).map(|i| (format!("p{i}"), resident_id(100 + i))).collect();
        store.with_transaction(|tx| {
            for (id, number) in &people {
                tx.execute(
                    "INSERT INTO people (id, id_number, last4, birth_year, name, address, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 1980, '王建国', '中山路18号', '', '')",
                    params![id, number, &number[14..]],
                ).map_err(placecode_store::Error::from)?;
            }
            Ok(())
        }).unwrap();
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.1);
        // Each desk action has its own instant, as on a real desk: the i-th a millisecond after
        // the one before within its minute (two at one instant, a 离场 and a check-in of the same
        // person, would have no order for the rule, which goes by time, to follow).
        let when = |min: i64, i: usize| at(min) + Duration::milliseconds(i as i64);
        let mut model = Vec::new();
        for (i, (who, min, what)) in sorted.iter().enumerate() {
            let (pid, number) = &people[usize::from(*who)];
            match what {
                0 | 1 => {
                    let colour = if *what == 0 { "green" } else { "yellow" };
                    store.with_transaction(|tx| {
                        tx.execute(
                            "INSERT INTO visits (id, person_id, venue_id, way_in, trip_code_checked, colour, health_code,
                                reasons, at, desk_id) VALUES (?1, ?2, ?3, 'id_number', 1, ?4, 'green', '[]', ?5, 'd')",
                            params![format!("v{i}"), pid, venue.id, colour, stamp(when(*min, i))],
                        ).map_err(placecode_store::Error::from)?;
                        Ok(())
                    }).unwrap();
                    if *what == 0 {
                        model.push(Event::In { person: pid.clone(), at: when(*min, i) });
                    }
                }
                _ => {
                    // A 离场 of someone not inside is refused and changes nothing: only one taken
                    // is an event (a refused one at the minute of a later check-in would close it).
                    if store.check_out(&venue.id, number, when(*min, i)).is_ok() {
                        model.push(Event::Out { person: pid.clone(), at: when(*min, i) });
                    }
                }
            }
        }
        // Counted only after the traffic so far (events are in time order up to `now`).
        // (Counted at the end of a minute's second: after every action of that minute.)
        if sorted.iter().all(|e| e.1 <= now) {
            let end = when(now, 1000);
            let counted = store.occupancy(&venue.id, end).unwrap().inside;
            prop_assert_eq!(counted, inside(&model, end, Duration::minutes(stay)));
        }
        let last = when(sorted.last().map_or(0, |e| e.1), 1000);
        let counted = store.occupancy(&venue.id, last).unwrap().inside;
        prop_assert_eq!(counted, inside(&model, last, Duration::minutes(stay)));
    }
}

fn desk() -> (tempfile::TempDir, Store, String, CheckInContext) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
    let venue = store.register_venue(&venue_input("清明上河园", "龙亭西路5号"), false).unwrap();
    store.set_served_venue(&venue.id).unwrap();
    let op = store.add_operator("张敏", "246813").unwrap();
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: at(0) };
    (dir, store, venue.id, ctx)
}

#[test]
fn a_full_venue_makes_the_next_person_wait_and_a_check_out_frees_a_place() {
    let (_d, mut store, venue, ctx) = desk();
    let e = store.set_venue_limit(&venue, Some((0, 150, 5))).unwrap_err();
    assert_eq!(e.fields(), ["capacity", "percent", "stay_minutes"]);
    // Capacity 4 at 50%: two at once.
    let limit = store.set_venue_limit(&venue, Some((4, 50, 120))).unwrap().unwrap();
    assert_eq!(limit.max_inside(), 2);
    let (a, b, c) = (resident_id(201), resident_id(202), resident_id(203));
    store.declare(&person("王建国", &a), &ctx).unwrap();
    store.declare(&person("李娜", &b), &CheckInContext { now: at(1), ..ctx.clone() }).unwrap();
    let visits = store.visit_count().unwrap();
    let full = store.occupancy(&venue, at(2)).unwrap();
    assert_eq!((full.inside, full.max_inside, full.full), (2, Some(2), true));
    assert_eq!(full.entrances.len(), 1);
    assert_eq!((full.entrances[0].label.as_str(), full.entrances[0].inside), (placecode_store::DESK_ENTRANCE, 2));

    // The third waits: refused with the numbers, nothing of them saved.
    let e = store.declare(&person("赵强", &c), &CheckInContext { now: at(2), ..ctx.clone() }).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["occupancy"]));
    assert!(e.to_string().contains("已达限流人数（场内2人，限2人）"), "{e}");
    assert_eq!(store.visit_count().unwrap(), visits);
    assert!(store.check_out(&venue, &c, at(2)).is_err(), "never came in");
    // Someone already inside scanned again is not turned away.
    store.check_in_by_id(&a, &CheckInContext { now: at(3), ..ctx.clone() }).unwrap();

    // 离场 by the last four: a place frees, the third comes in.
    let out = store.check_out(&venue, &a[14..], at(4)).unwrap();
    assert_eq!((out.name_masked.as_str(), out.inside), ("王**", 1));
    assert!(store.check_out(&venue, &a[14..], at(4)).is_err(), "pressed twice: already gone");
    store.declare(&person("赵强", &c), &CheckInContext { now: at(5), ..ctx.clone() }).unwrap();
    assert_eq!(store.occupancy(&venue, at(5)).unwrap().inside, 2);
    // Those who never check out leave after the stay.
    assert_eq!(store.occupancy(&venue, at(125)).unwrap().inside, 0);
    // No limit: counted, never full.
    store.set_venue_limit(&venue, None).unwrap();
    let free = store.occupancy(&venue, at(6)).unwrap();
    assert_eq!((free.inside, free.max_inside, free.full), (2, None, false));
}

#[test]
fn check_out_refuses_hostile_and_ambiguous_input_with_a_reason() {
    let (_d, mut store, venue, ctx) = desk();
    // Two people inside share their last four.
    store.declare(&person("王建国", "410202199003070014"), &ctx).unwrap();
    store.declare(&person("李娜", "410202198501190014"), &ctx).unwrap();
    let e = store.check_out(&venue, "0014", at(1)).unwrap_err();
    assert_eq!(e.fields(), ["query"]);
    assert!(e.to_string().contains("场内有2人证件后四位相同"), "{e}");
    for bad in ["", "   ", "<script>", "'; DROP TABLE visits;--", "😀😀😀😀", "𠀋𠀋𠀋𠀋", &"1".repeat(10_000)]
    {
        let e = store.check_out(&venue, bad, at(1)).unwrap_err();
        assert_eq!((e.code(), e.fields()), ("invalid", vec!["query"]), "{bad}");
    }
    // A whole number mistyped is told so, not "not inside"; three digits ask for more.
    let e = store.check_out(&venue, "410202199003070015", at(1)).unwrap_err();
    assert_eq!(e.fields(), ["query"]);
    assert!(e.to_string().contains("校验位"), "{e}");
    let e = store.check_out(&venue, "102", at(1)).unwrap_err();
    assert!(e.to_string().contains("请输入完整证件号码或证件号码后四位"), "{e}");
    // Full-width digits are the same number.
    let out = store.check_out(&venue, "４１０２０２１９９００３０７００１４", at(1)).unwrap();
    assert_eq!(out.inside, 1);
    assert!(store.occupancy(&venue, at(1)).unwrap().entrances.iter().all(|e| e.inside == 1));
    assert!(store.occupancy("no-such-venue", at(1)).is_err());
}

/// 现场情况: thirty people checked in at the desk every 30 seconds: 2 a minute, 30 s each, the
/// desk busy all the time (open another lane); the day in quarter hours, empty ones included.
#[test]
fn the_queue_shows_the_desks_pace_and_the_day_in_quarter_hours() {
    let (_d, mut store, venue, ctx) = desk();
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(); // 09:00 in Kaifeng
    store
        .declare(
            &person("王建国", &resident_id(300)),
            &CheckInContext { now: start - Duration::minutes(40), ..ctx.clone() },
        )
        .unwrap();
    for i in 0..30 {
        let now = start + Duration::seconds(30 * i);
        store.declare(&person("李娜", &resident_id(301 + i as u64)), &CheckInContext { now, ..ctx.clone() }).unwrap();
    }
    let now = start + Duration::seconds(30 * 29 + 10);
    let q = store.queue(&venue, now).unwrap();
    assert_eq!((q.desk_median_secs, q.desk_p95_secs), (Some(30), Some(30)));
    assert_eq!(q.inside, 31);
    assert!(q.desk_per_minute >= 1.9 && q.open_another_lane, "{q:?}");
    assert_eq!(q.entrances.len(), 1);
    assert_eq!(q.entrances[0].label, placecode_store::DESK_ENTRANCE);
    assert_eq!(q.entrances[0].inside, 31);
    let day: Vec<(String, u32)> = q.day.iter().map(|d| (d.start.clone(), d.check_ins)).collect();
    assert_eq!(day, [("08:15".into(), 1), ("08:30".into(), 0), ("08:45".into(), 0), ("09:00".into(), 30)], "{day:?}");
    // Later, calm: one more after a long pause is no service time, and no lane to open.
    let later = now + Duration::hours(2);
    let q = store.queue(&venue, later).unwrap();
    assert!(!q.open_another_lane && q.desk_per_minute == 0.0);
    assert!(store.queue("no-such-venue", later).is_err());
}

/// A 限流令 as the centre sends it.
fn order(seq: i64, district: Option<&str>, percent: Option<u32>) -> placecode_core::sync::Change {
    placecode_core::sync::Change {
        seq,
        kind: placecode_core::sync::ChangeKind::LimitOrder,
        body: serde_json::json!({ "district": district, "percent": percent, "at": stamp(at(0)) }),
    }
}

#[test]
fn an_order_from_the_centre_lowers_the_limit_and_lifting_it_restores_the_venues_own() {
    let (_d, mut store, venue, ctx) = desk();
    // The venue (鼓楼区) admits 80% of 10: eight.
    store.set_venue_limit(&venue, Some((10, 80, 120))).unwrap();
    for i in 0..3u32 {
        store
            .declare(
                &person("王建国", &resident_id(300 + u64::from(i))),
                &CheckInContext { now: at(i64::from(i)), ..ctx.clone() },
            )
            .unwrap();
    }
    assert_eq!(store.occupancy(&venue, at(4)).unwrap().max_inside, Some(8));

    // The city orders 50%, 鼓楼区 30%, 龙亭区 10% (not this venue's district).
    store
        .apply_changes(
            &[order(1, None, Some(50)), order(2, Some("gulou"), Some(30)), order(3, Some("longting"), Some(10))],
            3,
        )
        .unwrap();
    let o = store.occupancy(&venue, at(4)).unwrap();
    assert_eq!((o.ordered, o.max_inside, o.full, o.limit.unwrap().percent), (Some(30), Some(3), true, 80));
    let e =
        store.declare(&person("赵强", &resident_id(399)), &CheckInContext { now: at(4), ..ctx.clone() }).unwrap_err();
    assert!(e.to_string().contains("已达限流人数（场内3人，限3人）"), "{e}");

    // A share out of range is not kept (the district's order is dropped, not half-applied);
    // an unknown district changes nothing.
    store.apply_changes(&[order(4, Some("gulou"), Some(0)), order(5, Some("atlantis"), Some(5))], 5).unwrap();
    assert_eq!(store.occupancy(&venue, at(4)).unwrap().ordered, Some(50));
    // The city's order over 鼓楼区 is kept apart from 鼓楼区's own: lifting the district's own
    // leaves the city's.
    let by_city = |seq: i64, percent: Option<u32>| placecode_core::sync::Change {
        body: serde_json::json!({ "district": "gulou", "by_city": true, "percent": percent, "at": stamp(at(0)) }),
        ..order(seq, Some("gulou"), percent)
    };
    store.apply_changes(&[order(60, Some("gulou"), Some(20)), by_city(61, Some(40))], 61).unwrap();
    assert_eq!(store.occupancy(&venue, at(4)).unwrap().ordered, Some(20));
    store.apply_changes(&[order(62, Some("gulou"), None)], 62).unwrap();
    assert_eq!(store.occupancy(&venue, at(4)).unwrap().ordered, Some(40), "the city's stays");
    store.apply_changes(&[by_city(63, None)], 63).unwrap();
    // Lifted: the venue's own share again.
    store.apply_changes(&[order(6, None, None)], 6).unwrap();
    let o = store.occupancy(&venue, at(4)).unwrap();
    assert_eq!((o.ordered, o.max_inside, o.full), (None, Some(8), false));
    store.declare(&person("赵强", &resident_id(399)), &CheckInContext { now: at(5), ..ctx.clone() }).unwrap();

    // An order over a venue with no capacity set: shown, not counted against.
    store.set_venue_limit(&venue, None).unwrap();
    store.apply_changes(&[order(7, Some("gulou"), Some(20))], 7).unwrap();
    let o = store.occupancy(&venue, at(6)).unwrap();
    assert_eq!((o.ordered, o.max_inside, o.full), (Some(20), None, false));
}

#[test]
fn todays_list_names_the_entrance_of_a_check_in_by_code() {
    let (d, mut store, venue, ctx) = desk();
    let key = placecode_store::keys::load_or_create(&d.path().join("k")).unwrap();
    let south = store.issue_code(&venue, "南门", &key).unwrap().code;
    let by_code = CheckInContext { code: Some(south), now: Utc::now(), ..ctx.clone() };
    store.declare(&person("王建国", &resident_id(501)), &by_code).unwrap();
    store.declare(&person("李娜", &resident_id(502)), &CheckInContext { now: Utc::now(), ..ctx }).unwrap();
    let day = Utc::now().with_timezone(&placecode_core::checkin::shanghai()).date_naive();
    let listed = store.visits_on(day, "", LIST_PAGE, Utc::now()).unwrap();
    let mut entrances: Vec<Option<String>> = listed.visits.iter().map(|v| v.entrance.clone()).collect();
    entrances.sort();
    assert_eq!(entrances, [None, Some("南门".to_owned())]);
}
