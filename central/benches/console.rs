//! `make bench-central`, its last part: the supervision console at a city's size, 100,000 venues
//! (80,000 with a live code) and 10 million visits over 14 days, and a regulator's list of 60,000
//! places (50,000 without a code). Measured: the coverage page's table, the activity charts,
//! the list of places without a code, and its Excel export (over 50,000 rows); the baseline in
//! the same run is `SELECT count(*) FROM venues`.
//!
//! Uses its own database `placecode_bench_console` in the cluster at DATABASE_URL (dropped first).

mod common;

use std::time::Instant;

use chrono::Utc;
use placecode_central::console::{activity, coverage, places};
use placecode_central::Keys;
use placecode_core::venue::{Category, District};
use uuid::Uuid;

const VENUES: i64 = 100_000;
const VISITS: i64 = 10_000_000;
const LISTED: usize = 60_000;
const RUNS: usize = 5;

/// Median and max of `RUNS` runs of `f`, in ms.
async fn timed<F, Fut, T>(label: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut ms = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        last = Some(f().await);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!("{label}: median {:.1} ms, max {:.1} ms", ms[ms.len() / 2], ms[ms.len() - 1]);
    last.expect("ran")
}

#[tokio::main]
async fn main() {
    let pool = common::fresh_database("placecode_bench_console", 8).await;
    let keys = Keys::from_secret(&[7u8; 32]);
    let started = Instant::now();
    let desk = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO desks (id, name, credential_hash, code_key_id, code_key_secret, districts)
         VALUES ($1, '压测', sha256('bench'::bytea), 1, '\\x00', '{}')",
    )
    .bind(desk)
    .execute(&pool)
    .await
    .expect("desk");
    let districts: Vec<&str> = District::ALL.iter().map(|d| d.key()).collect();
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.key()).collect();
    sqlx::query(
        "INSERT INTO venues (id, desk_id, kind, category, name, district, address, manager_name, manager_phone, dedup_key, status)
         SELECT gen_random_uuid(), $1, 'general', ($3::text[])[1 + g % 25], '场所' || g, ($2::text[])[1 + g % 10],
                '中山路' || g || '号', '', '', ($2::text[])[1 + g % 10] || '|场所' || g || '|中山路' || g || '号',
                CASE WHEN g % 10 = 0 THEN 'rejected' ELSE 'approved' END
         FROM generate_series(1, $4) g",
    )
    .bind(desk)
    .bind(&districts)
    .bind(&categories)
    .bind(VENUES)
    .execute(&pool)
    .await
    .expect("venues");
    sqlx::query(
        "INSERT INTO codes (code, venue_id, desk_id, kind, label, created_at)
         SELECT 'C' || id, id, $1, 'general', '正门', now() - interval '30 days' FROM venues
         WHERE status = 'approved' AND substr(name, 3)::int % 9 <> 0",
    )
    .bind(desk)
    .execute(&pool)
    .await
    .expect("codes");
    let venues: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM venues ORDER BY id").fetch_all(&pool).await.expect("venue ids");
    for _ in 0..10 {
        sqlx::query(
            "INSERT INTO visits (id, at, person_id, venue_id, source, way_in, colour, health_code, reasons)
             SELECT gen_random_uuid(), now() - random() * interval '14 days', (random() * 1000000)::bigint,
                 ($1::uuid[])[1 + (random() * ($2 - 1))::int],
                 CASE WHEN random() < 0.7 THEN 'phone' ELSE 'desk' END,
                 CASE WHEN random() < 0.05 THEN 'manual' ELSE 'last4' END,
                 c, c, '{}'
             FROM (SELECT CASE WHEN r < 0.01 THEN 'red' WHEN r < 0.05 THEN 'yellow' ELSE 'green' END AS c
                   FROM (SELECT random() AS r FROM generate_series(1, $3)) r) g",
        )
        .bind(&venues)
        .bind(venues.len() as i64)
        .bind(VISITS / 10)
        .execute(&pool)
        .await
        .expect("visits");
    }
    let folded = activity::fold(&pool).await.expect("fold");
    // The regulator's list: 10,000 places registered as venues, 50,000 not, contacts sealed.
    let matched: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT 'listed|' || dedup_key, district, category, name, address FROM venues ORDER BY id LIMIT $1",
    )
    .bind((LISTED - 50_000) as i64)
    .fetch_all(&pool)
    .await
    .expect("matched");
    let mut rows: Vec<(String, String, String, String, String)> = matched;
    for g in 0..50_000usize {
        rows.push((
            format!("ref{g}"),
            districts[g % 10].to_owned(),
            categories[g % 25].to_owned(),
            format!("未登记商户{g}"),
            format!("某路{g}号"),
        ));
    }
    let sealed = |field: &str, key: &str, v: &str| keys.data.seal(field, key.as_bytes(), v).expect("seal");
    let names: Vec<String> = rows.iter().map(|r| sealed("place.contact_name", &r.0, "王建国")).collect();
    let phones: Vec<String> = rows.iter().map(|r| sealed("place.contact_phone", &r.0, "13837800001")).collect();
    let col = |i: usize| rows.iter().map(|r| [&r.0, &r.1, &r.2, &r.3, &r.4][i].clone()).collect::<Vec<String>>();
    sqlx::query(
        "INSERT INTO reference_places (id, place_key, district, category, name, address, contact_name, contact_phone,
             imported_at, imported_by, name_key, address_key)
         SELECT gen_random_uuid(), k, d, c, n, a, cn, cp, now(), 'bench', n, a
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(k, d, c, n, a, cn, cp)",
    )
    .bind(col(0))
    .bind(col(1))
    .bind(col(2))
    .bind(col(3))
    .bind(col(4))
    .bind(&names)
    .bind(&phones)
    .execute(&pool)
    .await
    .expect("reference places");
    for t in ["venues", "codes", "visits", "reference_places", "activity"] {
        sqlx::query(&format!("ANALYZE {t}")).execute(&pool).await.expect("analyze");
    }
    let visits: i64 = sqlx::query_scalar("SELECT count(*) FROM visits").fetch_one(&pool).await.expect("count");
    println!(
        "loaded {VENUES} venues, {visits} visits ({folded} hourly counts), {} listed places in {:.0} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );

    let now = Utc::now();
    timed("baseline SELECT count(*) FROM venues", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM venues").fetch_one(&pool).await.expect("count")
    })
    .await;
    let table = timed("coverage table, whole city", || coverage::table(&pool, None, now)).await.expect("coverage");
    println!("  {} rows, {} venues with a live code", table.rows.len(), table.total.with_codes);
    timed("coverage table, one district", || coverage::table(&pool, Some(District::Gulou), now))
        .await
        .expect("coverage");
    let charts = timed("activity charts, whole city", || activity::charts(&pool, None, now)).await.expect("charts");
    println!("  {} check-ins in the 14 days' chart", charts.days.rows().iter().map(|r| r.4).sum::<i64>());
    timed("activity charts, one district", || activity::charts(&pool, Some(District::Gulou), now))
        .await
        .expect("charts");
    let missing = timed("places without a code, first 1,000", || places::missing(&pool, &keys, None, 1000))
        .await
        .expect("missing");
    assert_eq!(missing.len(), 1000);
    timed("silent venues, first 1,000", || places::silent(&pool, &keys, None, now, 1000)).await.expect("silent");
    let (bytes, n) = timed("Excel export of places without a code and silent venues", || async {
        let missing = places::missing(&pool, &keys, None, 200_000).await.expect("missing");
        let silent = places::silent(&pool, &keys, None, now, 200_000).await.expect("silent");
        let n = missing.len() + silent.len();
        (places::xlsx(&missing, &silent, &[], false).expect("xlsx"), n)
    })
    .await;
    println!("  {n} rows, {} KB", bytes.len() / 1024);
}
