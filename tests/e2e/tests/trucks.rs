//! 货车闭环 through two real desk apps side by side (a checkpoint and a destination) and the
//! real central server: a crew declares on a phone before arriving, the checkpoint confirms it by
//! plate, the destination records the arrival, and both desks show the loop closed.

use std::path::Path;
use std::time::{Duration, Instant};

use placecode_e2e::*;

const PLATE: &str = "豫B88888";

/// A desk database serving one venue, with an operator, enrolled with the server and synced once.
async fn seed(data: &Path, central: &Central, name: &str, kind: &str, address: &str) -> (String, Option<String>) {
    std::fs::create_dir_all(data).expect("dir");
    let db = data.join("desk.sqlite3");
    let (mut store, venues, _) = seed_desk(data, &[venue(kind, "logistics", name, address)], true);
    let key = placecode_store::keys::for_store(data, &mut store).expect("key");
    let venue = venues.into_iter().next().expect("venue");
    let code = (kind == "checkpoint").then(|| store.issue_code(&venue.id, "1号通道", &key).expect("code").code);
    drop(store);
    let token = central.admin(&["enrol-token", "--district", "gulou"]);
    let engine = placecode_sync_client::SyncEngine::new(&db);
    engine.enrol(&format!("http://127.0.0.1:{}", central.port), &token, name, None, &key).await.expect("enrol");
    engine.sync_once().await.expect("sync");
    (venue.id, code)
}

/// 立即同步, then waits until nothing is pending.
async fn sync_now(desk: &DeskApp) -> WebDriverResult<()> {
    desk.click("sync-now").await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if desk.attr("sync-bar", "data-tone").await?.as_deref() == Some("ok") {
            return Ok(());
        }
        assert!(Instant::now() < deadline, "sync did not finish: {}", desk.text("sync-bar").await?);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Opens the truck tab again, so its board reloads.
async fn trucks(desk: &DeskApp) -> WebDriverResult<()> {
    desk.click("nav-checkin").await?;
    desk.click("nav-trucks").await
}

async fn wait_row(desk: &DeskApp, row: &str, needle: &str) -> WebDriverResult<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for r in desk.all_testid(row).await? {
            let text: String =
                desk.driver.execute("return arguments[0].innerText", vec![r.to_json()?]).await?.convert()?;
            if text.contains(needle) {
                return Ok(());
            }
        }
        assert!(Instant::now() < deadline, "no {row} with {needle}");
        trucks(desk).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_pre_declared_crew_closes_the_loop_across_two_desks() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let central = Central::start(&fresh_database(), free_port(), dir.path());
    let dest_dir = dir.path().join("destination");
    let cp_dir = dir.path().join("checkpoint");
    seed(&dest_dir, &central, "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let (_, code) = seed(&cp_dir, &central, "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    let code = code.expect("checkpoint code");

    // Before arriving: the crew opens the published checkpoint code on a phone and declares.
    let phone = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let url = format!("http://127.0.0.1:{}/c/{code}", central.port);
    let html = phone.get(&url).send().await.expect("page").text().await.expect("html");
    let hidden = |name: &str| {
        let key = format!("name=\"{name}\" value=\"");
        let i = html.find(&key).map(|i| i + key.len()).expect("hidden field");
        html[i..].split('"').next().unwrap_or("").to_owned()
    };
    let (csrf, once) = (hidden("csrf"), hidden("once"));
    // The crew chooses where the truck goes among the registered destinations.
    let park = html
        .split("<option value=\"")
        .find(|o| o.contains("\">鼓楼物流园</option>"))
        .and_then(|o| o.split('"').next())
        .expect("the destination offered on the phone")
        .to_owned();
    let form = [
        ("csrf", csrf.as_str()),
        ("once", once.as_str()),
        ("action", "declare"),
        ("name", "孙建军"),
        ("document_kind", "resident_id"),
        ("document_number", "410202199003070014"),
        ("plate", PLATE),
        ("phone", "13837800088"),
        ("origin", "郑州"),
        ("entry_point", "开封东"),
        ("destination", park.as_str()),
        ("symptoms", "no"),
        ("visited_risk_area", "no"),
    ];
    let res = phone.post(&url).form(&form).send().await.expect("declare");
    assert_eq!(res.status().as_u16(), 200);
    let result = res.text().await.expect("result");
    assert!(
        result.contains(&format!("已预申报 · 到卡口报车牌 {PLATE} 确认")) && result.contains("还不是登记"),
        "{result}"
    );

    // At the checkpoint: find by plate, confirm in one action, pick the destination, Enter.
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("save dir");
    let cp = DeskApp::start_with_env(&cp_dir, &[("PLACECODE_SAVE_DIR", &saved)]).await?;
    sign_in(&cp).await?;
    sync_now(&cp).await?;
    cp.click("nav-trucks").await?;
    cp.keys("truck-find", format!("{PLATE}\u{E007}")).await?;
    cp.click("truck-confirm-predeclaration").await?;
    assert_eq!(cp.value("crew-0-name").await?, "孙建军");
    // The destination the crew declared is taken with it.
    cp.wait_text("truck-destination-chosen", "鼓楼物流园").await?;
    cp.screenshot("50-truck-checkpoint-confirm").await?;
    // The form does not move when the focus first leaves the prefilled crew (WebKitGTK shrank
    // a fieldset here, and a click on 登记入口 landed under the moved button and was lost).
    let height = "return document.querySelector('[data-testid=truck-member]').getBoundingClientRect().height";
    let before: f64 = cp.driver.execute(height, vec![]).await?.convert()?;
    cp.driver.execute("document.activeElement.blur()", vec![]).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after: f64 = cp.driver.execute(height, vec![]).await?.convert()?;
    assert!((before - after).abs() < 0.5, "the crew moved: {before} → {after}");
    // A click on 登记入口 enters the truck.
    cp.click("truck-open").await?;
    cp.wait_text("truck-notice", say("已登记入口", "Entry registered")).await?;
    wait_row(&cp, "truck-open-row", PLATE).await?;
    // The 货车通行单 for the driver: a PDF whose QR an independent decoder reads as the trip.
    cp.click("truck-notice-slip").await?;
    cp.wait_text("truck-notice", say("货车通行单已保存", "Truck pass slip for")).await?;
    let slip = std::fs::read_dir(&saved)
        .expect("saved")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        .expect("the slip's PDF");
    let text = run_tool("pdftotext", &[slip.as_os_str(), std::ffi::OsStr::new("-")]);
    assert!(text.contains(PLATE) && text.contains("鼓楼物流园") && !text.contains("孙建军"), "{text}");
    let scanned = qr_text(&slip);
    assert!(scanned.starts_with("PCTRIP:"), "{scanned}");
    sync_now(&cp).await?;

    // At the destination: the trip is expected; the arrival is one action.
    let dest = DeskApp::start(&dest_dir).await?;
    sign_in(&dest).await?;
    sync_now(&dest).await?;
    dest.click("nav-trucks").await?;
    wait_row(&dest, "truck-expected-row", PLATE).await?;
    // The scanner reads the slip and types what it holds, then Enter.
    dest.keys("truck-arrival-input", format!("{scanned}\u{E007}")).await?;
    dest.wait_text("truck-arrival-matched", PLATE).await?;
    dest.screenshot("51-truck-destination-arrived").await?;
    sync_now(&dest).await?;
    wait_row(&dest, "truck-closed-row", PLATE).await?;

    // Back at the checkpoint: the loop is closed there too.
    sync_now(&cp).await?;
    wait_row(&cp, "truck-closed-row", PLATE).await?;
    cp.screenshot("52-truck-checkpoint-closed").await?;
    assert!(cp.all_testid("truck-open-row").await?.is_empty(), "no trip left open");

    // And in supervision on the server.
    let out = central.admin(&["trips", "--purpose", "闭环核对", "--status", "closed"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["closed"], 1, "{out}");
    assert_eq!(v["trips"][0]["plate"], PLATE);

    // The truck comes back: its last crew is offered, the new trip opens.
    enter_again(&cp).await?;
    cp.wait_text("truck-notice", say("已登记入口", "Entry registered")).await?;
    wait_row(&cp, "truck-open-row", PLATE).await?;
    // A tired clerk enters it once more: refused, naming the trip in transit; nothing stored.
    enter_again(&cp).await?;
    let refused = cp.wait_text("error-plate", say("在途行程", "trip in transit")).await?;
    assert!(refused.contains("鼓楼物流园"), "{refused:?}");
    // Looking the plate up shows that trip and what can be done with it: 作废 with a note.
    cp.clear("truck-find").await?;
    cp.keys("truck-find", format!("{PLATE}\u{E007}")).await?;
    cp.testid("truck-open-trip").await?;
    cp.screenshot("53-truck-in-transit-found").await?;
    cp.click("truck-open-trip-cancelled").await?;
    cp.keys("trip-resolve-note", Key::Enter).await?;
    cp.wait_text("error-note", say("请写明作废原因", "why the trip is voided")).await?;
    cp.keys("trip-resolve-note", "重复登记\u{E007}").await?;
    cp.wait_text("truck-notice", say("已登记作废", "Recorded “Voided”")).await?;
    // The refusal no longer holds: it is gone from the entry form.
    assert_eq!(cp.text("error-plate").await?, "");
    wait_row(&cp, "truck-ended-row", "重复登记").await?;
    cp.screenshot("54-truck-cancelled").await?;
    sync_now(&cp).await?;
    let out = central.admin(&["trips", "--purpose", "闭环核对", "--status", "cancelled"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!((v["cancelled"].as_i64(), v["trips"][0]["plate"].as_str()), (Some(1), Some(PLATE)), "{out}");
    // The destination no longer expects it.
    sync_now(&dest).await?;
    trucks(&dest).await?;
    assert!(dest.all_testid("truck-expected-row").await?.is_empty(), "the void trip is not expected");
    dest.quit().await?;
    cp.quit().await
}

/// Looks the plate up, takes the truck's last crew and the destination, and submits.
async fn enter_again(cp: &DeskApp) -> WebDriverResult<()> {
    cp.clear("truck-find").await?;
    cp.keys("truck-find", format!("{PLATE}\u{E007}")).await?;
    cp.click("truck-use-previous").await?;
    cp.keys("truck-destination", "物流").await?;
    cp.testid("truck-destination-option").await?;
    cp.keys("truck-destination", Key::Enter).await?;
    cp.testid("truck-destination-chosen").await?;
    // The crew's answers are asked anew each time.
    for q in ["crew-0-symptoms", "crew-0-risk-area"] {
        cp.keys(q, "n").await?;
    }
    cp.click("truck-open").await
}

fn run_tool(cmd: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What zbarimg reads from the first page of a PDF drawn at 150 dpi.
fn qr_text(pdf: &std::path::Path) -> String {
    let png = pdf.with_extension("slip");
    run_tool(
        "pdftoppm",
        &["-r".as_ref(), "150".as_ref(), "-png".as_ref(), "-singlefile".as_ref(), pdf.as_os_str(), png.as_os_str()],
    );
    run_tool("zbarimg", &["-q".as_ref(), "--raw".as_ref(), png.with_extension("slip.png").as_os_str()])
        .trim()
        .to_owned()
}
