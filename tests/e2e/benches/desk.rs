//! The desk's start-up time and memory (`make bench-desk`, release build under Xvfb):
//! - start-up: from asking WebKitWebDriver to launch the program to its first screen usable
//!   (the navigation present), on an encrypted database of a served venue with 1,000 people
//!   already declared; each run a new process; the median and the worst of the runs.
//! - memory: the proportional set size (PSS) of every process of the desk (the program, WebKit's
//!   web and network processes) while a clerk checks people in by scanning their ID numbers,
//!   read every minute for `PLACECODE_BENCH_MINUTES` (60; the goal: at most 300 MB after an hour),
//!   as fast as the desk answers or, with `PLACECODE_BENCH_EVERY_MS`, at a door's pace.
//!
//! Baseline in the same run: the same start-up of the debug build (`target/debug`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use placecode_e2e::*;
use placecode_store::CheckInContext;

const PEOPLE: usize = 1_000;
const STARTS: usize = 7;

/// `n` valid resident ID numbers of 鼓楼区 (410204), born on distinct days.
fn numbers(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let born =
                chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date") + chrono::Duration::days(i as i64 * 9);
            let body = format!("410204{}{:03}", born.format("%Y%m%d"), 100 + i % 800);
            let check = placecode_core::identity::check_character(body.as_bytes()).expect("17 digits");
            format!("{body}{check}")
        })
        .collect()
}

fn seed(data: &Path, people: &[String]) {
    let (mut store, _, op) = seed_desk(data, &[venue("general", "market", "西司门农贸市场", "西司门街12号")], true);
    let earlier = chrono::Utc::now() - chrono::Duration::hours(2);
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: earlier };
    const SURNAMES: [char; 10] = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
    const GIVEN: [char; 10] = ['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '勇'];
    for (i, id) in people.iter().enumerate() {
        let name: String = [SURNAMES[i % 10], GIVEN[i / 10 % 10], GIVEN[i / 100 % 10]].iter().collect();
        store.declare(&declaration(&name, id), &ctx).expect("declare");
    }
}

/// PSS in kB of `pid` and every process below it, each with its name.
fn pss_each(pid: u32) -> Vec<(String, u64)> {
    let mut each = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        let pss = rollup
            .lines()
            .find(|l| l.starts_with("Pss:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default().trim().to_owned();
        each.push((name, pss));
        let children = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        todo.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
    }
    each
}

fn pss_tree(pid: u32) -> u64 {
    pss_each(pid).iter().map(|(_, kb)| kb).sum()
}

fn breakdown(pid: u32) -> String {
    pss_each(pid).iter().map(|(name, kb)| format!("{name} {} MB", kb / 1024)).collect::<Vec<_>>().join(", ")
}

/// The desk's own process: `program` exactly as WebKitWebDriver was asked to launch it (the
/// debug build, also named placecode-desk, is not it).
fn desk_pid(program: &Path) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()).find(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.split('\0').next().is_some_and(|exe| Path::new(exe) == program))
    })
}

async fn start_once(program: &Path, data: &Path) -> WebDriverResult<(Duration, DeskApp)> {
    let log = data.with_extension("driver.log");
    // As shipped: the desk's own choice, WebKit without compositing (the tests draw with it).
    let env = [("PLACECODE_DATA_DIR", data), (COMPOSITING, Path::new("1"))];
    let t = Instant::now();
    let desk = DeskApp::start_program(program, &log, &env).await?;
    Ok((t.elapsed(), desk))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn startups(program: &Path, data: &Path) -> WebDriverResult<Vec<Duration>> {
    // One start first, not counted: the system's file cache then holds the program and WebKit.
    let (_, desk) = start_once(program, data).await?;
    desk.quit().await?;
    let mut times = Vec::new();
    for _ in 0..STARTS {
        let (t, desk) = start_once(program, data).await?;
        times.push(t);
        desk.quit().await?;
    }
    times.sort();
    Ok(times)
}

/// Elements in the window's document: a page that keeps what it showed grows here.
async fn elements(desk: &DeskApp) -> WebDriverResult<u64> {
    let n = desk.driver.execute("return document.getElementsByTagName('*').length", vec![]).await?;
    Ok(n.json().as_u64().unwrap_or(0))
}

/// Waits until the result screen is shown (`shown`) or gone: one script that watches the page
/// and answers once, handing no element back to the driver. (Asking every few milliseconds
/// instead ran scripts in the page by the dozen for each check-in.)
async fn wait_for_result(desk: &DeskApp, shown: bool) -> WebDriverResult<()> {
    let script = r#"
        const [shown, done] = arguments;
        const now = () => (document.querySelector("[data-testid='result-screen']") !== null) === shown;
        if (now()) { done(true); return; }
        const seen = new MutationObserver(() => { if (now()) { seen.disconnect(); done(true); } });
        seen.observe(document.body, { childList: true, subtree: true });
        setTimeout(() => { seen.disconnect(); done(now()); }, 20000);
    "#;
    let on = desk.driver.execute_async(script, vec![serde_json::json!(shown)]).await?;
    assert_eq!(on.json().as_bool(), Some(true), "the result screen was not {}", if shown { "shown" } else { "closed" });
    Ok(())
}

#[tokio::main]
async fn main() -> WebDriverResult<()> {
    let release = target_dir().join("release/placecode-desk");
    let debug = target_dir().join("debug/placecode-desk");
    assert!(release.exists(), "{} missing: `make bench-desk` builds it", release.display());
    let minutes: u64 = std::env::var("PLACECODE_BENCH_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let people = numbers(PEOPLE);
    seed(&data, &people);

    let mut programs: Vec<(&str, PathBuf)> = vec![("release", release.clone())];
    if debug.exists() {
        programs.push(("debug (baseline)", debug));
    }
    // `PLACECODE_BENCH_STARTS=0`: the memory part alone.
    if std::env::var("PLACECODE_BENCH_STARTS").is_ok_and(|v| v == "0") {
        programs.clear();
    }
    for (label, program) in &programs {
        let times = startups(program, &data).await?;
        println!(
            "start-up, {label}: median {:.0} ms, best {:.0} ms, worst {:.0} ms ({} starts, a served venue, {PEOPLE} people)",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1]),
            times.len()
        );
    }

    let (_, desk) = start_once(&release, &data).await?;
    let pid = desk_pid(&release).expect("the desk's process");
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;
    println!("memory at start (signed in): {} MB PSS ({})", pss_tree(pid) / 1024, breakdown(pid));
    let end = Instant::now() + Duration::from_secs(minutes * 60);
    let mut next_report = Instant::now() + Duration::from_secs(60);
    let mut done = 0usize;
    let mut peak = 0;
    // As a scanner types: keystrokes to the focused box, the screen read by a script. Finding
    // elements through WebDriver instead (`PLACECODE_BENCH_FIND=1`, the earlier loop) keeps a
    // reference to every element found in the page for as long as it is open, the result
    // screens thrown away included: the page then grows by what the driver holds.
    let find = std::env::var("PLACECODE_BENCH_FIND").is_ok_and(|v| v == "1");
    println!(
        "driven by {}",
        if find { "elements found through WebDriver" } else { "keystrokes, the screen read by a script" }
    );
    // `PLACECODE_BENCH_EVERY_MS=5000`: a check-in every five seconds, as at a busy door (720 in
    // the hour); unset, as fast as the desk answers (about 12,000 in the hour).
    let every = std::env::var("PLACECODE_BENCH_EVERY_MS").ok().and_then(|m| m.parse().ok()).map(Duration::from_millis);
    // `PLACECODE_BENCH_BLIND_MS=400`: no script in the page for 99 check-ins in 100 (Enter, this
    // long, Escape, a quarter of it), so that what grows is the desk's own, not the driver's.
    let blind = std::env::var("PLACECODE_BENCH_BLIND_MS").ok().and_then(|m| m.parse().ok()).map(Duration::from_millis);
    if let Some(b) = blind {
        println!("blind: the screen read every 100th check-in only, {} ms given to each", b.as_millis());
    }
    match every {
        Some(e) => println!("paced: a check-in every {} ms", e.as_millis()),
        None => println!("paced: as fast as the desk answers"),
    }
    desk.testid("checkin-input").await?.click().await?;
    let mut next_due = Instant::now();
    while Instant::now() < end {
        if let Some(e) = every {
            tokio::time::sleep_until(next_due.into()).await;
            next_due += e;
        }
        let id = &people[done % people.len()];
        if find {
            desk.keys("checkin-input", format!("{id}\u{E007}")).await?;
            desk.testid("result-screen").await?;
            desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
            while !desk.all_testid("result-screen").await?.is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } else if let Some(wait) = blind.filter(|_| done % 100 != 99) {
            desk.driver.action_chain().send_keys(format!("{id}\u{E007}")).perform().await?;
            tokio::time::sleep(wait).await;
            desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
            tokio::time::sleep(wait / 4).await;
        } else {
            desk.driver.action_chain().send_keys(format!("{id}\u{E007}")).perform().await?;
            wait_for_result(&desk, true).await?;
            desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
            wait_for_result(&desk, false).await?;
        }
        done += 1;
        if Instant::now() >= next_report {
            let pss = pss_tree(pid);
            peak = peak.max(pss);
            println!(
                "  after {done} check-ins: {} MB PSS ({}; {} elements)",
                pss / 1024,
                breakdown(pid),
                elements(&desk).await?
            );
            next_report += Duration::from_secs(60);
        }
    }
    let pss = pss_tree(pid);
    println!(
        "memory after {minutes} min of check-ins ({done} check-ins by scanned ID number): {} MB PSS (peak {} MB; {})",
        pss / 1024,
        peak.max(pss) / 1024,
        breakdown(pid)
    );
    desk.quit().await
}
