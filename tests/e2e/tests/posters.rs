//! Venue codes and posters (R1, R4) through the real app: issue a code, preview, save the PDF,
//! decode its QR with an independent decoder, verify, revoke, and print many venues at once.

use std::path::Path;
use std::process::Command;

use placecode_e2e::*;

fn seed(data: &Path) {
    seed_desk(
        data,
        &[
            venue("general", "market", "西司门农贸市场", "西司门街12号"),
            venue("general", "market", "鼓楼夜市管理处", "书店街66号"),
        ],
        false,
    );
}

/// 场所列表 › 西司门农贸市场 › 场所码.
async fn open_codes(desk: &DeskApp) -> WebDriverResult<()> {
    desk.click("nav-venues").await?;
    desk.testid("venue-search").await?;
    let row =
        desk.driver.query(By::XPath("//*[@data-testid='venue-row'][contains(., '西司门农贸市场')]")).first().await?;
    row.find(By::Css("[data-testid='venue-codes']")).await?.click().await?;
    desk.testid("codes-panel").await?;
    Ok(())
}

/// 新增入口: the first code of the venue's first entrance, as its row shows it.
async fn issue(desk: &DeskApp, entrance: &str) -> WebDriverResult<String> {
    desk.keys("new-code-label", entrance).await?;
    desk.keys("new-code-label", Key::Enter).await?;
    let code = desk.attr("code-row", "data-code").await?.unwrap_or_default();
    assert_eq!(code.len(), 34, "{code:?}");
    Ok(code)
}

#[tokio::test]
async fn r4_issue_preview_save_verify_revoke_and_print_many() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("save dir");
    seed(&data);
    let desk = DeskApp::start_with_env(&data, &[("PLACECODE_SAVE_DIR", &saved)]).await?;
    sign_in(&desk).await?;

    open_codes(&desk).await?;
    let code = issue(&desk, "东门").await?;

    desk.click("code-preview-button").await?;
    assert!(desk.attr("code-preview-image", "src").await?.unwrap_or_default().starts_with("data:image/png;base64,"));
    desk.screenshot("30-codes-preview").await?;

    desk.click("code-save-pdf").await?;
    let result = desk.wait_text("save-result", ".pdf").await?;
    let pdf = saved_pdf(&saved, &result);
    let url = qr_of(&pdf, 1);
    let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("the desk's store");
    let key = placecode_store::keys::for_store(&data, &mut store).expect("desk key");
    drop(store);
    let parsed = placecode_core::code::parse(&url).expect("a venue code URL");
    assert_eq!(parsed.code, code);
    assert!(parsed.verify(&key), "the printed code verifies with the desk's key");

    // Verify by typing the code, then revoke it and verify again.
    desk.click("nav-settings").await?;
    desk.keys("verify-input", format!("{}\u{E007}", code.to_lowercase())).await?;
    let verdict = desk.wait_text("verify-verdict", say("有效：", "Valid: ")).await?;
    assert!(verdict.contains("西司门农贸市场") && verdict.contains("东门"), "{verdict:?}");
    desk.screenshot("31-verify").await?;
    // The same check from a picture of the printed poster.
    let photo = pdf.with_extension("p1.png");
    desk.keys("verify-image", photo.to_string_lossy()).await?;
    let verdict = desk.wait_text("verify-verdict", say("有效：", "Valid: ")).await?;
    assert!(verdict.contains("东门"), "{verdict:?}");

    desk.click("nav-venues").await?;
    desk.testid("venue-search").await?;
    let row =
        desk.driver.query(By::XPath("//*[@data-testid='venue-row'][contains(., '西司门农贸市场')]")).first().await?;
    row.find(By::Css("[data-testid='venue-codes']")).await?.click().await?;
    desk.click("code-revoke").await?;
    desk.keys("revoke-reason", "海报被撕毁").await?;
    desk.click("revoke-submit").await?;
    desk.wait_text("codes-panel", say("已作废", "Revoked")).await?;
    // The notice shows as the list reloads: wait for the replacement's row.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while desk.all_testid("code-row").await?.len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let codes: Vec<String> = {
        let mut v = Vec::new();
        for r in desk.all_testid("code-row").await? {
            v.push(r.attr("data-code").await?.unwrap_or_default());
        }
        v
    };
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&code));
    desk.screenshot("32-codes-revoked").await?;

    desk.click("nav-settings").await?;
    desk.clear("verify-input").await?;
    desk.keys("verify-input", format!("{url}\u{E007}")).await?;
    let verdict = desk.wait_text("verify-verdict", say("已作废", "Revoked code")).await?;
    assert!(verdict.contains("海报被撕毁"), "{verdict:?}");

    // Bulk: every venue, one PDF, a page per active code.
    for f in std::fs::read_dir(&saved).expect("saved").flatten() {
        std::fs::remove_file(f.path()).expect("clear");
    }
    desk.click("nav-venues").await?;
    desk.click("venue-select-all").await?;
    desk.click("venue-print-selected").await?;
    desk.wait_text("save-result", ".pdf").await?;
    desk.screenshot("33-bulk-saved").await?;
    let pdf = std::fs::read_dir(&saved).expect("saved").flatten().map(|e| e.path()).next().expect("bulk PDF");
    let info =
        String::from_utf8_lossy(&Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo").stdout).into_owned();
    assert!(info.contains("Pages:           2"), "one active code each: {info}");
    let second = qr_of(&pdf, 2);
    assert!(placecode_core::code::parse(&second).expect("code").verify(&key));
    desk.quit().await
}

/// 扫码屏: a clerk opens the screen of an entrance; its window shows the code with a time token,
/// its screenshot decodes (zbarimg) to a URL that verifies with the desk's key, and the code
/// changes when its window ends. The screen's window can ask for its code and nothing else; the
/// desk's window cannot ask for the screen's code. The administrator sets the entrance to take
/// only its screen.
#[tokio::test]
async fn a_code_screen_rotates_and_its_screenshot_decodes() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data);
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    open_codes(&desk).await?;
    let code = issue(&desk, "南门").await?;
    assert_eq!(desk.invoke("screen_code", serde_json::json!({})).await?, Err("forbidden".into()));

    thirtyfour::components::SelectElement::new(&desk.testid("screen-period").await?)
        .await?
        .select_by_value("15")
        .await?;
    let main = desk.driver.window().await?;
    desk.click("code-screen").await?;
    desk.wait_text("codes-notice", say("扫码屏已打开", "code screen of “南门” is open")).await?;
    desk.screenshot("34-codes-screen-opened").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let screen = loop {
        let others: Vec<_> = desk.driver.windows().await?.into_iter().filter(|w| *w != main).collect();
        if let Some(w) = others.into_iter().next() {
            break w;
        }
        assert!(std::time::Instant::now() < deadline, "no 扫码屏 window appeared");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    desk.driver.switch_to_window(screen).await?;
    desk.wait_text("screen-venue", "西司门农贸市场").await?;
    assert_eq!(desk.text("screen-entrance").await?, "南门");
    let first = desk.attr("screen-qr", "data-url").await?.unwrap_or_default();
    assert!(first.contains(&format!("/C/{code}/")), "{first}");

    // The picture on the screen is the code: read by an independent decoder from a screenshot
    // (checked against the desk's key once it has quit: no second process opens its data while
    // it runs).
    let shot = desk.screenshot("35-code-screen").await?;
    let read = Command::new("zbarimg").args(["-q", "--raw"]).arg(&shot).output().expect("zbarimg");
    let read = String::from_utf8_lossy(&read.stdout).trim().to_owned();
    assert!(read.contains(&format!("/C/{code}/")), "the screen shows {read:?}");
    let mut urls = vec![read, first.clone()];

    // The window ends: a new code, without anyone touching anything.
    let next = loop {
        let now = desk.attr("screen-qr", "data-url").await?.unwrap_or_default();
        if now != first && !now.is_empty() {
            break now;
        }
        assert!(std::time::Instant::now() < deadline + std::time::Duration::from_secs(20), "the code never changed");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    urls.push(next);

    // The screen faces the public: its window reaches nothing else, signed in or not.
    for (command, args) in [
        ("today", serde_json::json!({})),
        ("day_visits", serde_json::json!({"date": "2026-12-01"})),
        ("sign_out", serde_json::json!({})),
        ("open_screen", serde_json::json!({"code": code, "period": 10})),
    ] {
        assert_eq!(desk.invoke(command, args).await?, Err("forbidden".into()), "{command}");
    }
    assert!(desk.invoke("screen_code", serde_json::json!({})).await?.is_ok());

    // The administrator's box: the screen says the entrance takes only it.
    desk.driver.switch_to_window(main.clone()).await?;
    desk.click("code-rotating-only").await?;
    desk.wait_text("codes-notice", say("只接受扫码屏", "takes only the code on its screen")).await?;
    let screen = desk.driver.windows().await?.into_iter().find(|w| *w != main).expect("the screen");
    desk.driver.switch_to_window(screen).await?;
    // The screen speaks both languages to the queue, whatever the desk's.
    desk.wait_text("screen-only", "本入口只接受本屏上的码").await?;
    desk.screenshot("36-code-screen-only").await?;

    // A second entrance gets a screen of its own; the first keeps its code.
    desk.driver.switch_to_window(main.clone()).await?;
    desk.keys("new-code-label", "东门").await?;
    desk.keys("new-code-label", Key::Enter).await?;
    desk.wait_text("codes-notice", "东门").await?;
    let east = desk
        .driver
        .query(By::XPath("//*[@data-testid='code-row'][contains(., '东门')]//*[@data-testid='code-screen']"))
        .first()
        .await?;
    east.click().await?;
    desk.wait_text("codes-notice", say("“东门”的扫码屏已打开", "code screen of “东门” is open")).await?;
    let screens =
        |handles: Vec<WindowHandle>, main: &WindowHandle| handles.into_iter().filter(|w| w != main).collect::<Vec<_>>();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while screens(desk.driver.windows().await?, &main).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no second screen");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut shown = Vec::new();
    for w in screens(desk.driver.windows().await?, &main) {
        desk.driver.switch_to_window(w).await?;
        shown.push(desk.wait_text("screen-entrance", "门").await?);
    }
    shown.sort();
    assert_eq!(shown, ["东门", "南门"]);
    desk.quit().await?;

    // Started again, the desk opens both screens as they were, nobody signed in.
    let desk = DeskApp::start(&data).await?;
    let main = desk.driver.window().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while screens(desk.driver.windows().await?, &main).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the screens did not open again");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let w = screens(desk.driver.windows().await?, &main).remove(0);
    desk.driver.switch_to_window(w).await?;
    urls.push(desk.attr("screen-qr", "data-url").await?.unwrap_or_default());
    desk.quit().await?;

    let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("the desk's store");
    let key = placecode_store::keys::for_store(&data, &mut store).expect("desk key");
    for url in &urls {
        let parsed = placecode_core::code::parse(url).expect("a venue code URL");
        let token = placecode_core::rotating::parse(url.rsplit('/').next().unwrap_or_default()).expect("a token");
        assert!(parsed.verify(&key) && token.verify(&key, &parsed) && token.window.period == 15, "{url}");
    }
    Ok(())
}
