//! The attack on a stolen desk's risk list (issue: data at rest), run against what the desk
//! really stores. Run with `make bench`.
//!
//! The attacker holds the desk's database and its key (a stolen laptop with its keystore, or the
//! fallback key file), so they read `risk_entries` (keyed hashes) and the risk key in clear. They
//! enumerate the ID numbers of people born in Kaifeng's districts and counties, hash each with
//! the desk's key and look it up. This measures how fast that goes on one core, checks that it
//! finds the entries planted in the slice it walks, and projects the cost of the whole space.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Datelike, NaiveDate, Utc};
use placecode::Store;

/// Kaifeng's district and county codes (龙亭, 顺河, 鼓楼, 禹王台, 祥符, 杞县, 通许, 尉氏, 兰考,
/// and the city code 410200 itself).
const REGIONS: [&str; 10] =
    ["410200", "410202", "410203", "410204", "410205", "410212", "410221", "410222", "410223", "410225"];
/// Birth years walked in the projection.
const YEARS: std::ops::RangeInclusive<i32> = 1940..=2025;
const PLANTED: usize = 200;

fn with_check(body: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).expect("desk");
    // The slice the attack walks: every number of people born in 鼓楼区 in 1990.
    let slice_region = "410204";
    let slice_year = 1990;
    let mut csv = String::new();
    for i in 0..PLANTED {
        let day = NaiveDate::from_yo_opt(slice_year, (i * 7 % 365) as u32 + 1).expect("day");
        let body = format!("{slice_region}{}{:03}", day.format("%Y%m%d"), (i * 37) % 1000);
        csv.push_str(&format!("{},红,密接\n", with_check(&body)));
    }
    let report = store.import_risk(csv.as_bytes(), true, Utc::now()).expect("risk list");
    assert_eq!(report.imported, PLANTED);
    drop(store);

    // What the thief reads: the key and the hashes.
    let conn = placecode::store::raw_connection(&path).expect("the desk's database, with its key");
    let key: String =
        conn.query_row("SELECT value FROM settings WHERE key = 'risk_key'", [], |r| r.get(0)).expect("the risk key");
    let key = hex::decode(key).expect("hex");
    let mut stmt = conn.prepare("SELECT id_hash FROM risk_entries").expect("entries");
    let hashes: HashSet<Vec<u8>> =
        stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).expect("rows").map(|r| r.expect("row")).collect();

    let started = Instant::now();
    let mut tried = 0u64;
    let mut found = 0usize;
    let mut day = NaiveDate::from_ymd_opt(slice_year, 1, 1).expect("day");
    while day.year() == slice_year {
        let date = day.format("%Y%m%d").to_string();
        for seq in 0..1000 {
            let number = with_check(&format!("{slice_region}{date}{seq:03}"));
            tried += 1;
            if hashes.contains(&placecode::risk::id_hash(&key, &number)[..]) {
                found += 1;
            }
        }
        day = day.succ_opt().expect("next day");
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = tried as f64 / seconds;
    let space: f64 = REGIONS.len() as f64 * YEARS.clone().count() as f64 * 365.25 * 1000.0;
    let cpu_seconds = space / rate;
    println!("desk risk list, stored form: HMAC-SHA256 of the ID number, key beside it in the database");
    println!(
        "walked 鼓楼区 born {slice_year}: {tried} numbers in {seconds:.2} s on one core ({rate:.0}/s); \
         found {found} of {PLANTED} planted entries"
    );
    println!(
        "Kaifeng-born space ({} codes x {} birth years x 365 days x 1000): {space:.2e} numbers",
        REGIONS.len(),
        YEARS.count()
    );
    println!(
        "projected cost of the whole space: {cpu_seconds:.0} CPU-seconds = {:.1e} CPU-years (goal: >= 1000 CPU-years)",
        cpu_seconds / (365.25 * 86_400.0)
    );
    assert_eq!(found, PLANTED, "the attack finds every planted entry");
}
