//! Check-in benchmarks (issue: check-in desk). Run with `make bench`.
//!
//! - Risk-list import: 10,000 rows from CSV (parse, validate, HMAC, door tag, upsert). A city's
//!   list is thousands of people; each row costs one memory-hard door tag (`risk::Epoch`), so the
//!   import runs on every core.
//! - Check-in decision (lookup with the door tag + colour + write) with 1,000,000 visits and a
//!   10,000-entry risk list in the database, against the same check-ins on an empty database
//!   with no list as the baseline.
//! - 今日登记 on a busy day (20,000 check-ins today): the counts with the first page listed, a
//!   search, and as the baseline the whole day listed (as the desk did before it listed a page).

use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use placecode_core::venue::VenueInput;
use placecode_store::CheckInContext;
use placecode_store::Store;

const RISK_ROWS: usize = 10_000;
const PEOPLE: usize = 100_000;
const VISITS: usize = 1_000_000;
const CHECKINS: usize = 5_000;

/// A valid resident ID number, the n-th of a deterministic sequence.
fn id_number(n: usize) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    // A scrambled walk over (birth year, day, sequence): distinct for every n below 29,200,000,
    // and spread like a real population, so last four digits collide as often as they do.
    let m = (n as u64 * 7919) % (80 * 365 * 1000);
    let (year, day, seq) = (1940 + m % 80, (m / 80) % 365, m / (80 * 365));
    let date = chrono::NaiveDate::from_yo_opt(year as i32, day as u32 + 1).expect("a day of the year");
    let body = format!("410202{}{seq:03}", date.format("%Y%m%d"));
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn venue() -> VenueInput {
    VenueInput {
        kind: "general".into(),
        category: "railway_station".into(),
        name: "开封火车站".into(),
        district: "yuwangtai".into(),
        address: "中山路南段1号".into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ctx: CheckInContext,
}

fn desk() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("desk.sqlite3")).expect("open");
    let v = store.register_venue(&venue(), false).expect("venue");
    store.set_served_venue(&v.id).expect("served");
    let op = store.add_operator("张敏", "246813").expect("operator");
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: Utc::now() };
    Fixture { _dir: dir, store, ctx }
}

/// Seeds `people` people (declared through the real path) and `visits` visit rows.
fn seed(d: &mut Fixture, people: usize, visits: usize) {
    for n in 0..people {
        let input = placecode_core::checkin::DeclarationInput {
            name: "李秀英".into(),
            id_number: id_number(n),
            address: "中山路18号".into(),
            visited_risk_area: Some(false),
            contact_with_suspected: Some(false),
            temperature_normal: Some(true),
            ..Default::default()
        };
        if n < 1000 || n == people - 1 {
            d.store.declare(&input, &d.ctx).expect("declare");
        } else {
            d.store
                .with_transaction(|tx| {
                    tx.execute(
                        "INSERT INTO people (id, id_number, last4, birth_year, name, address, created_at, updated_at)
                         VALUES (?1, ?2, substr(?2, 15), CAST(substr(?2, 7, 4) AS INTEGER), '李秀英', '中山路18号', ?3, ?3)",
                        rusqlite::params![uuid::Uuid::now_v7().to_string(), input.id_number, d.ctx.now.to_rfc3339()],
                    )?;
                    Ok(())
                })
                .expect("person");
        }
    }
    let copies = visits.saturating_sub(d.store.visit_count().expect("count") as usize);
    let at = d.ctx.now - chrono::Duration::days(3);
    more_visits(d, copies, |_| at);
}

/// `n` more check-ins (green, by four digits) of the people already there in turn, the i-th at
/// `at(i)`, written straight to the table.
fn more_visits(d: &mut Fixture, n: usize, at: impl Fn(usize) -> chrono::DateTime<Utc>) {
    d.store
        .with_transaction(|tx| {
            let (venue_id, operator_id): (String, String) =
                tx.query_row("SELECT venue_id, operator_id FROM visits LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let ids: Vec<String> =
                tx.prepare("SELECT id FROM people")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "INSERT INTO visits (id, person_id, venue_id, way_in, operator_id, trip_code_checked, colour,
                    health_code, reasons, at, desk_id)
                 VALUES (?1, ?2, ?3, 'last4', ?4, 1, 'green', 'green', '[]', ?5, 'bench')",
            )?;
            for i in 0..n {
                stmt.execute(rusqlite::params![
                    uuid::Uuid::now_v7().to_string(),
                    ids[i % ids.len()],
                    venue_id,
                    operator_id,
                    at(i).to_rfc3339()
                ])?;
            }
            Ok(())
        })
        .expect("visits");
}

fn import_risk(d: &mut Fixture, rows: usize) -> Duration {
    let mut csv = String::with_capacity(rows * 32);
    for n in 0..rows {
        let colour = ["红码", "黄码", "绿码"][n % 3];
        csv.push_str(&format!("{},{colour},测试\n", id_number(n)));
    }
    let t = Instant::now();
    let report = d.store.import_risk(csv.as_bytes(), true, d.ctx.now).expect("import");
    let took = t.elapsed();
    assert_eq!(report.imported, rows, "every generated row is valid");
    took
}

/// Check-ins of known people, half by full ID number and half by the last four digits.
fn check_ins(d: &mut Fixture, people: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(CHECKINS);
    let mut choices = 0;
    for i in 0..CHECKINS {
        let n = (i * 7919) % 1000; // people declared through the real path
        let _ = people;
        let id = id_number(n);
        // Three minutes apart: each is a new check-in, not a repeat scan (the repeat check still
        // runs and is measured).
        d.ctx.now += chrono::Duration::minutes(3);
        let t = Instant::now();
        let lookup = if i % 2 == 0 {
            d.store.check_in_by_id(&id, &d.ctx)
        } else {
            // A returning visitor: four digits; where several match, the operator picks one.
            match d.store.check_in_by_last4(&id[14..], None, &d.ctx) {
                Ok(placecode_core::checkin::Lookup::Choose { candidates }) => {
                    choices += 1;
                    let pick = &candidates[0].person_id;
                    d.store
                        .check_in_person(pick, placecode_core::checkin::WayIn::Last4, &d.ctx)
                        .map(|result| placecode_core::checkin::Lookup::CheckedIn { result })
                }
                other => other,
            }
        };
        times.push(t.elapsed());
        assert!(matches!(lookup, Ok(placecode_core::checkin::Lookup::CheckedIn { .. })), "{lookup:?}");
    }
    eprintln!("{choices} of {} four-digit check-ins needed a choice", CHECKINS / 2);
    times.sort();
    times
}

fn row(name: &str, t: &[Duration]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
        t.len(),
        ms(percentile(t, 0.5)),
        ms(percentile(t, 0.99)),
        ms(percentile(t, 0.999)),
        ms(*t.last().expect("samples"))
    )
}

const BUSY_DAY: usize = 20_000;

/// A door's busy day: 1,000 people declared now, then `BUSY_DAY` more check-ins of theirs since
/// this morning (Beijing time).
fn busy_day() -> Fixture {
    let mut d = desk();
    seed(&mut d, 1000, 0);
    let now = d.ctx.now;
    // Spread over the Beijing day so far (at least the last ten minutes).
    let since = now.with_timezone(&placecode_core::checkin::shanghai()).time().num_seconds_from_midnight().max(600);
    more_visits(&mut d, BUSY_DAY, |i| now - chrono::Duration::seconds(i64::from(since) * i as i64 / BUSY_DAY as i64));
    d
}

/// `runs` times the day's list with `query`, listing `limit`: the sorted times and the answer's
/// size as the desk sends it to its screen (JSON).
fn day_list(d: &Fixture, query: &str, limit: usize, runs: usize) -> (Vec<Duration>, usize, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let s = d.store.today(query, limit, d.ctx.now).expect("today");
        times.push(t.elapsed());
        last = Some(s);
    }
    times.sort();
    let s = last.expect("runs");
    (times, serde_json::to_vec(&s).expect("json").len(), s.total)
}

fn main() {
    let mut out = Vec::new();

    let busy = busy_day();
    let (whole, whole_bytes, whole_total) = day_list(&busy, "", usize::MAX, 20);
    let (page, page_bytes, page_total) = day_list(&busy, "", placecode_core::checkin::LIST_PAGE, 20);
    let four = id_number(7)[14..].to_owned();
    let (found, found_bytes, found_total) = day_list(&busy, &four, placecode_core::checkin::LIST_PAGE, 20);
    assert_eq!((whole_total, page_total), (BUSY_DAY + 1000, BUSY_DAY + 1000), "the day counted in full");
    drop(busy);
    let kb = |b: usize| format!("{:.0} kB", b as f64 / 1000.0);
    out.push(format!("今日登记 with {BUSY_DAY} check-ins today:"));
    out.push(String::new());
    out.push("| day list | samples | p50 ms | p99 ms | p99.9 ms | max ms | answer |".into());
    out.push("|---|---|---|---|---|---|---|".into());
    out.push(format!("{} {} |", row("baseline: the whole day listed", &whole), kb(whole_bytes)));
    out.push(format!("{} {} |", row("counts, the newest 200 listed", &page), kb(page_bytes)));
    out.push(format!(
        "{} {} |",
        row(&format!("a search by four digits ({found_total} matches), 200 listed"), &found),
        kb(found_bytes)
    ));
    out.push(String::new());

    let mut empty = desk();
    seed(&mut empty, 1000, 0);
    let baseline = check_ins(&mut empty, 1000);

    let mut full = desk();
    let t = Instant::now();
    seed(&mut full, PEOPLE, VISITS);
    eprintln!("seeded {PEOPLE} people and {VISITS} visits in {:.1} s", t.elapsed().as_secs_f64());
    let import = import_risk(&mut full, RISK_ROWS);
    let loaded = check_ins(&mut full, PEOPLE);

    out.push(format!(
        "Risk-list import, {RISK_ROWS} rows (full replacement): {:.2} s ({:.0} rows/s)",
        import.as_secs_f64(),
        RISK_ROWS as f64 / import.as_secs_f64()
    ));
    out.push(String::new());
    out.push("| check-in (lookup + colour + write) | samples | p50 ms | p99 ms | p99.9 ms | max ms |".into());
    out.push("|---|---|---|---|---|---|".into());
    out.push(row("baseline: empty database (1,000 people, no risk list)", &baseline));
    out.push(row(
        &format!(
            "{} visits, {} people, {} risk entries",
            full.store.visit_count().expect("count") - loaded.len() as i64,
            PEOPLE,
            full.store.risk_entry_count().expect("count")
        ),
        &loaded,
    ));
    let text = out.join("\n");
    println!("{text}");
}
