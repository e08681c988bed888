//! Offline-first sync through the real app: connect the desk to the real central server
//! (PostgreSQL started by `make test`), take the server away, check people in, bring it back,
//! watch the backlog drain in the status strip, and find the visits with a tracing query.

use std::path::Path;
use std::time::{Duration, Instant};

use placecode_e2e::*;
use placecode_store::CheckInContext;

const WANG: &str = "410202199003070014";
const LIU: &str = "410202198501190014";

fn seed(data: &Path) -> String {
    let (mut store, venues, op) =
        seed_desk(data, &[venue("general", "elderly_care", "鼓楼区幸福养老院", "中山路18号")], true);
    let venue = venues.into_iter().next().expect("venue");
    // Earlier today: a scan in the test is a new check-in, not a repeat.
    let earlier = chrono::Utc::now() - chrono::Duration::minutes(10);
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: earlier };
    for (name, id) in [("王芳", WANG), ("刘洋", LIU)] {
        let input = placecode_e2e::declaration(name, id);
        store.declare(&input, &ctx).expect("declare");
    }
    venue.id
}

/// A week's backlog at the desk, made through the core on its own connection while the app runs.
fn backlog(data: &Path, n: u64) {
    let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("open");
    let op = store.operators().expect("ops").remove(0);
    for i in 0..n {
        let ctx =
            CheckInContext { operator_id: op.id.clone(), trip_code_checked: true, code: None, now: chrono::Utc::now() };
        let number = valid_id(i);
        let input = placecode_e2e::declaration("赵六", &number);
        store.declare(&input, &ctx).expect("declare");
    }
}

fn valid_id(seed: u64) -> String {
    let body = format!("41020219{:02}01{:02}{:03}", 50 + seed / 28_000 % 50, 1 + seed % 28, seed / 28 % 1000);
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(w).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

async fn pending_rows(desk: &DeskApp) -> WebDriverResult<i64> {
    let n = desk
        .driver
        .execute("return document.querySelectorAll(\"[data-testid='today-row'][data-sync='pending']\").length", vec![])
        .await?;
    Ok(n.json().as_i64().unwrap_or(-1))
}

async fn wait_tone(desk: &DeskApp, tone: &str, secs: u64) -> WebDriverResult<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if desk.attr("sync-bar", "data-tone").await?.as_deref() == Some(tone) {
            return Ok(());
        }
        assert!(Instant::now() < deadline, "sync bar never became {tone}: {}", desk.text("sync-bar").await?);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn offline_check_ins_drain_to_the_server_when_it_returns() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let venue = seed(&data);
    let db = fresh_database();
    let mut central = Central::start(&db, free_port(), dir.path());
    let token = central.admin(&["enrol-token", "--district", "gulou"]);
    // A risk list imported here from a file: the centre's list takes its place once connected.
    {
        let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("store");
        let csv = "身份证号,颜色,原因\n11010519491231002X,红,密接\n";
        store.import_risk(csv.as_bytes(), false, chrono::Utc::now()).expect("risk list");
    }

    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    assert!(desk.text("sync-bar").await?.contains(say("未接入中心", "Not connected to the centre")));
    // Connect in settings: the server address and the one-time token, Enter.
    desk.click("nav-settings").await?;
    desk.keys("sync-connect-url", format!("http://127.0.0.1:{}", central.port)).await?;
    desk.keys("sync-connect-token", &token).await?;
    desk.keys("sync-connect-token", Key::Enter).await?;
    // Not before the administrator says they know (R7): the box, ticked, connects.
    desk.wait_text("error-replace_risk_list", say("导入的1条名单", "the 1 entries imported")).await?;
    desk.screenshot("40a-sync-connect-risk-list").await?;
    desk.click("sync-connect-replace-risk").await?;
    desk.click("sync-connect-submit").await?;
    desk.wait_text("sync-server-url", &format!("127.0.0.1:{}", central.port)).await?;
    wait_tone(&desk, "ok", 30).await?;
    // Enrolled for its district, the desk lists the venue it serves there (it said —).
    desk.wait_text("sync-venues", "鼓楼区幸福养老院").await?;
    desk.screenshot("40-sync-connected").await?;

    // The server goes away; the desk carries on.
    central.stop();
    desk.click("nav-checkin").await?;
    for (i, id) in [WANG, LIU, WANG].into_iter().enumerate() {
        desk.keys("checkin-input", format!("{id}\u{E007}")).await?;
        if i == 2 {
            // The same person moments later: the desk asks, Enter records it again.
            desk.testid("repeat").await?;
            desk.keys("checkin-input", Key::Enter).await?;
        }
        desk.testid("result-screen").await?;
        desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    }
    backlog(&data, 3000);
    desk.click("sync-now").await?;
    desk.wait_text("sync-error", say("无法连接中心服务器", "Cannot reach the centre")).await?;
    desk.wait_text("sync-pending", "3003").await?;
    desk.wait_text("sync-state", say("离线", "Offline")).await?;
    desk.screenshot("41-sync-offline-backlog").await?;
    // Today's list marks them 未同步.
    desk.click("nav-today").await?;
    desk.testid("today-row").await?;
    assert!(pending_rows(&desk).await? >= 3, "offline check-ins are marked 未同步");

    // Back online: the backlog drains while the strip shows its progress.
    central.restart();
    desk.click("sync-now").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut saw_progress = false;
    loop {
        // The strip while the backlog drains, once the server has answered (the error gone).
        if !saw_progress
            && !desk.all_testid("sync-progress").await?.is_empty()
            && desk.all_testid("sync-error").await?.is_empty()
        {
            saw_progress = true;
            desk.screenshot("42-sync-draining").await?;
        }
        if desk.attr("sync-bar", "data-tone").await?.as_deref() == Some("ok") {
            break;
        }
        assert!(Instant::now() < deadline, "backlog did not drain: {}", desk.text("sync-bar").await?);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    desk.wait_text("sync-pending", say("无待同步记录", "Nothing waiting to sync")).await?;
    // Today's list, still open, follows: every row 已同步 once acknowledged, without a reload.
    let deadline = Instant::now() + Duration::from_secs(15);
    while pending_rows(&desk).await? != 0 {
        assert!(Instant::now() < deadline, "rows still shown 未同步 after the drain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    desk.screenshot("43-sync-drained").await?;
    eprintln!("saw the progress bar while draining: {saw_progress}");

    // The visits are on the server: a tracing query finds them.
    let now = chrono::Utc::now();
    let out = central.admin(&[
        "trace",
        "person",
        "--purpose",
        "流调核对",
        "--id-number",
        WANG,
        "--from",
        &(now - chrono::Duration::hours(1)).to_rfc3339(),
        "--to",
        &(now + chrono::Duration::hours(1)).to_rfc3339(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("trace json");
    let visits = v["visits"].as_array().expect("visits");
    assert_eq!(visits.len(), 3, "seeded once, checked in twice offline: {out}");
    assert!(visits.iter().all(|x| x["venue_id"] == venue.as_str()));
    let out = central.admin(&[
        "trace",
        "venue",
        "--purpose",
        "流调核对",
        "--venue",
        &venue,
        "--from",
        &(now - chrono::Duration::hours(1)).to_rfc3339(),
        "--to",
        &(now + chrono::Duration::hours(1)).to_rfc3339(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("trace json");
    assert_eq!(v["visits"].as_array().expect("visits").len(), 3005);
    desk.quit().await
}

/// A desk that had never pulled the risk list let a listed visitor in as green (a trial: the
/// visitor stayed green after the sync and nobody was told). Once connected, the centre finds
/// the visit on its list and tells the desk: the sync bar counts the person to report, opens
/// 异常处置, and the operator records the report with what was done; the count goes.
#[tokio::test]
async fn a_listed_visitor_let_in_before_the_list_is_reported_after_the_sync() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data);
    let db = fresh_database();
    let central = Central::start(&db, free_port(), dir.path());
    let list = dir.path().join("risk.csv");
    std::fs::write(&list, format!("身份证号,颜色,原因\n{WANG},红,密接\n")).expect("list");
    central.admin(&["import-risk", list.to_str().expect("path")]);
    let token = central.admin(&["enrol-token", "--district", "gulou"]);

    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.click("nav-settings").await?;
    desk.keys("sync-connect-url", format!("http://127.0.0.1:{}", central.port)).await?;
    desk.keys("sync-connect-token", &token).await?;
    desk.keys("sync-connect-token", Key::Enter).await?;
    desk.wait_text("sync-server-url", &format!("127.0.0.1:{}", central.port)).await?;
    wait_tone(&desk, "ok", 30).await?;
    // The centre's answer reaches the desk at a pull (the first sync's, or the next).
    let deadline = Instant::now() + Duration::from_secs(30);
    while desk.all_testid("sync-late").await?.is_empty() {
        assert!(Instant::now() < deadline, "never told: {}", desk.text("sync-bar").await?);
        desk.click("sync-now").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let chip = desk.text("sync-late").await?;
    assert!(chip.contains(say("事后发现风险人员 1 人待上报", "Found later to be at risk: 1 to report")), "{chip}");
    desk.screenshot("44-sync-late-hit").await?;
    desk.click("sync-late").await?;
    let row = desk.wait_text("late-hit-row", "王*").await?;
    assert!(row.contains(say("红码", "Red")) && !row.contains("刘"), "only the listed one: {row}");
    desk.screenshot("45-incidents-late-hit").await?;
    // A report is recorded only with what was done.
    desk.click("late-hit-report").await?;
    desk.keys("late-hit-note", Key::Enter).await?;
    desk.testid("late-hits-error").await?;
    desk.keys("late-hit-note", "已电话告知中山路社区").await?;
    desk.keys("late-hit-note", Key::Enter).await?;
    desk.wait_text("late-hit-done", "已电话告知中山路社区").await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !desk.all_testid("sync-late").await?.is_empty() {
        assert!(Instant::now() < deadline, "the count stays after the report");
        desk.click("sync-now").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    desk.screenshot("46-incidents-late-hit-reported").await?;
    desk.quit().await
}
