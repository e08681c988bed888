//! A desk a week offline, for trying the drain by hand (the status bar's progress, check-ins
//! while it sends, the end state): `cargo run --release -p placecode-store --example backlog --
//! DATA_DIR [N]` makes the desk database of `DATA_DIR` (as `PLACECODE_DATA_DIR` names it) with a
//! railway station, its administrator 张敏 (PIN 246813) and N check-ins waiting (10,000 unless
//! given, at most 2,640,000) spread over the past seven days, each a different person, made
//! through the desk's own check-in.

use chrono::Utc;
use placecode_core::checkin::DeclarationInput;
use placecode_core::venue::VenueInput;
use placecode_store::{CheckInContext, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: backlog DATA_DIR [N]")?);
    let n: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    std::fs::create_dir_all(&dir)?;
    let mut store = Store::open(&dir.join("desk.sqlite3"))?;
    if !store.operators()?.is_empty() {
        return Err("this desk already has operators: give an empty folder".into());
    }
    let venue = store.register_venue(
        &VenueInput {
            kind: "general".into(),
            category: "railway_station".into(),
            name: "开封站".into(),
            district: "gulou".into(),
            address: "鼓楼区中山路北段1号".into(),
            manager_name: "王建国".into(),
            manager_phone: "13837800001".into(),
        },
        true,
    )?;
    store.set_served_venue(&venue.id)?;
    let op = store.add_operator("张敏", "246813")?;
    store.finish_setup()?;
    let week = chrono::Duration::days(7);
    let start = Utc::now() - week;
    for i in 0..n {
        let now = start + week * i32::try_from(i)? / i32::try_from(n)?;
        let ctx = CheckInContext { operator_id: op.id.clone(), trip_code_checked: true, code: None, now };
        let input = DeclarationInput {
            name: "李四".into(),
            id_number: placecode_core::identity::sample_resident_id(i),
            address: "开封市鼓楼区中山路1号".into(),
            visited_risk_area: Some(false),
            contact_with_suspected: Some(false),
            temperature_normal: Some(true),
            ..Default::default()
        };
        store.declare(&input, &ctx)?;
    }
    let status = store.sync_status()?;
    println!(
        "{}: {} records waiting, the oldest since {}",
        dir.display(),
        status.pending,
        status.oldest_pending_at.unwrap_or_default()
    );
    Ok(())
}
