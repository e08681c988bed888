//! The attack on a stolen desk's risk list (issue: data at rest), run against what the desk
//! really stores. Run with `make bench`.
//!
//! The attacker holds the desk's database and its key (a stolen laptop with its keystore, or the
//! fallback key file), so they read the risk key, the epoch (salt and width) and the door tags
//! (`risk_tags`) in clear. They walk ID numbers of people born in Kaifeng's districts and
//! counties, compute each one's door tag and look it up. This measures how fast that goes on one
//! core, checks that every planted entry is among the numbers that match, counts the numbers
//! that match without being listed, and projects the cost and the result over the whole space.
//! The baseline, in the same run: the form desks stored before (the HMAC itself, the key beside
//! it), walked over the same numbers.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use placecode_core::risk::Epoch;
use placecode_store::Store;

/// Kaifeng's district and county codes (龙亭, 顺河, 鼓楼, 禹王台, 祥符, 杞县, 通许, 尉氏, 兰考,
/// and the city code 410200 itself).
const REGIONS: [&str; 10] =
    ["410200", "410202", "410203", "410204", "410205", "410212", "410221", "410222", "410223", "410225"];
/// Birth years walked in the projection.
const YEARS: std::ops::RangeInclusive<i32> = 1940..=2025;
/// Entries planted in the walked slice.
const PLANTED: usize = 200;
/// Numbers walked with door tags (7 ms each): the first four days of 1990 in 鼓楼区.
const WALKED_DAYS: u32 = 4;
/// A city list's realistic size, for the projection of candidates per entry.
const CITY_LIST: usize = 10_000;
const CPU_YEAR: f64 = 365.25 * 86_400.0;

fn with_check(body: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn walked() -> Vec<String> {
    let mut out = Vec::new();
    for d in 1..=WALKED_DAYS {
        let day = NaiveDate::from_yo_opt(1990, d).expect("day");
        for seq in 0..1000 {
            out.push(with_check(&format!("410204{}{seq:03}", day.format("%Y%m%d"))));
        }
    }
    out
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path).expect("desk");
    let numbers = walked();
    let planted: HashSet<&String> = numbers.iter().step_by(numbers.len() / PLANTED).take(PLANTED).collect();
    let csv: String = planted.iter().map(|n| format!("{n},红,密接\n")).collect();
    let report = store.import_risk(csv.as_bytes(), true, Utc::now()).expect("risk list");
    assert_eq!(report.imported, PLANTED);
    drop(store);

    // What the thief reads: the key, the epoch and the tags.
    let conn = placecode_store::raw_connection(&path).expect("the desk's database, with its key");
    let setting = |k: &str| -> String {
        conn.query_row("SELECT value FROM settings WHERE key = ?1", [k], |r| r.get(0)).expect("setting")
    };
    let key = hex::decode(setting("risk_key")).expect("hex");
    let epoch: Epoch = serde_json::from_str(&setting("risk_epoch")).expect("epoch");
    let mut stmt = conn.prepare("SELECT tag FROM risk_tags").expect("tags");
    let tags: HashSet<u32> =
        stmt.query_map([], |r| r.get::<_, u32>(0)).expect("rows").map(|r| r.expect("row")).collect();

    // Baseline: the HMAC itself, as desks stored it before door tags.
    let hmacs: HashSet<[u8; 32]> = planted.iter().map(|n| placecode_core::risk::id_hash(&key, n)).collect();
    let started = Instant::now();
    let mut base_found = 0;
    for _ in 0..50 {
        base_found = numbers.iter().filter(|n| hmacs.contains(&placecode_core::risk::id_hash(&key, n))).count();
    }
    let base_rate = (numbers.len() * 50) as f64 / started.elapsed().as_secs_f64();

    // The attack on door tags, one core.
    let started = Instant::now();
    let mut matched = Vec::new();
    for n in &numbers {
        let tag = epoch.tag(&placecode_core::risk::id_hash(&key, n)).expect("tag");
        if tags.contains(&tag) {
            matched.push(n);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = numbers.len() as f64 / seconds;
    let found = matched.iter().filter(|n| planted.contains(*n)).count();
    let strangers = matched.len() - found;

    let space: f64 = REGIONS.len() as f64 * YEARS.clone().count() as f64 * 365.25 * 1000.0;
    let city_bits = placecode_core::risk::tag_bits(CITY_LIST);
    println!(
        "desk risk list, stored form: door tags, {} bits of Argon2id ({} MiB, {} pass) of the HMAC under an epoch salt",
        epoch.bits,
        placecode_core::risk::TAG_MEMORY_KIB / 1024,
        placecode_core::risk::TAG_PASSES
    );
    println!(
        "baseline (the HMAC, as stored before): {base_rate:.0} numbers/s on one core; found {base_found} of {PLANTED}; \
         whole Kaifeng-born space in {:.0} CPU-seconds, each entry named exactly",
        space / base_rate
    );
    println!(
        "door tags: walked {} numbers of 鼓楼区 born 1990 in {seconds:.1} s on one core ({rate:.0}/s, {:.0}x slower); \
         {} matched: all {found} of {PLANTED} planted entries and {strangers} people not listed",
        numbers.len(),
        base_rate / rate,
        matched.len()
    );
    println!(
        "whole Kaifeng-born space ({} codes x {} birth years x 365 days x 1000 = {space:.2e} numbers): \
         {:.0} CPU-days = {:.2} CPU-years to walk",
        REGIONS.len(),
        YEARS.count(),
        space / rate / 86_400.0,
        space / rate / CPU_YEAR
    );
    println!(
        "what the walk yields: each listed tag is shared by about {:.0} Kaifeng-born numbers with this list \
         ({} bits); with a city list of {CITY_LIST} ({city_bits} bits), about {:.0}, and {:.0} nationally (10^11 numbers). \
         Naming the one listed needs the centre: {} questions an hour per desk, audited, none for a revoked desk",
        space / f64::from(1u32 << epoch.bits),
        epoch.bits,
        space / f64::from(1u32 << city_bits),
        1e11 / f64::from(1u32 << city_bits),
        placecode_core::risk::CONFIRM_PER_HOUR
    );
    assert_eq!(found, PLANTED, "the walk finds every planted entry among the matches");
    assert!(base_found == PLANTED);
}
