//! 打印: posters sent straight to a printer through CUPS, from the real desk under Xvfb. The
//! printer is Debian's cups-pdf on a CUPS scheduler of the test's own; the printed file must be
//! A4 in the poster's orientation and its QR must decode and verify. The desk remembers the
//! printer and copies; a printer name or a number of copies from hostile script is refused; a
//! desk whose print service is not running says so.

use std::path::Path;
use std::process::Command;

use placecode_e2e::*;
use serde_json::json;
use thirtyfour::components::SelectElement;

fn page_size(pdf: &Path) -> String {
    let info = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    info.lines().find(|l| l.starts_with("Page size:")).unwrap_or_default().to_owned()
}

/// The request id in the 已送往打印机 notice ("（打印任务 queue-3）").
fn job_of(notice: &str) -> String {
    let after = notice.split(say("打印任务", "print job")).nth(1).unwrap_or_else(|| panic!("no job in {notice:?}"));
    after.trim().trim_end_matches(|c| c != ')' && c != '）').trim_end_matches(['）', ')']).trim().to_owned()
}

#[tokio::test]
async fn posters_print_straight_to_a_cups_printer() -> WebDriverResult<()> {
    let cups = PrivateCups::start("placecode-e2e");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed_desk(&data, &[venue("general", "market", "西司门农贸市场", "西司门街12号")], false);
    let socket = cups.socket();
    let desk = DeskApp::start_with_env(&data, &[("CUPS_SERVER", &socket)]).await?;
    sign_in(&desk).await?;

    desk.click("nav-venues").await?;
    desk.click("venue-codes").await?;
    desk.keys("new-code-label", "东门").await?;
    desk.keys("new-code-label", Key::Enter).await?;
    let code = desk.attr("code-row", "data-code").await?.unwrap_or_default();
    assert_eq!(code.len(), 34, "{code:?}");

    // 打印 opens the panel with the system's default printer chosen; Esc closes it, nothing printed.
    desk.click("code-print").await?;
    desk.testid("print-panel").await?;
    let chosen = SelectElement::new(&desk.testid("print-printer").await?).await?.first_selected_option().await?;
    assert_eq!(chosen.value().await?.as_deref(), Some(cups.queue.as_str()));
    desk.screenshot("40-print-panel").await?;
    desk.keys("print-copies", Key::Escape).await?;
    assert!(desk.all_testid("print-panel").await?.is_empty(), "Esc closes the print panel");

    // Two copies of the portrait poster.
    desk.click("code-print").await?;
    desk.clear("print-copies").await?;
    desk.keys("print-copies", "2").await?;
    desk.keys("print-copies", Key::Enter).await?;
    let notice = desk.wait_text("print-result", say("已送往打印机", "Sent to printer")).await?;
    assert!(
        notice.contains(&cups.queue) && notice.contains(say("1张海报，每张2份", "1 poster(s), 2 copies each")),
        "{notice:?}"
    );
    desk.screenshot("41-printed").await?;
    let printed = cups.printed(&job_of(&notice));
    assert!(page_size(&printed).contains("595 x 842 pts (A4)"), "{}", page_size(&printed));
    let url = qr_of(&printed, 1);
    let parsed = placecode_core::code::parse(&url).unwrap_or_else(|e| panic!("the printed QR {url:?}: {e:?}"));
    assert_eq!(parsed.code, code);
    let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("the desk's store");
    let key = placecode_store::keys::for_store(&data, &mut store).expect("desk key");
    drop(store);
    assert!(parsed.verify(&key), "the printed code verifies with the desk's key");

    // Landscape: printed on the same A4 paper (CUPS turns the landscape page onto the sheet,
    // unscaled), and its QR still reads. The panel offers the last copies again.
    desk.click("code-landscape").await?;
    desk.click("code-print").await?;
    assert_eq!(desk.value("print-copies").await?, "1", "every print starts at one copy");
    desk.clear("print-copies").await?;
    desk.keys("print-copies", "1").await?;
    desk.click("print-submit").await?;
    let notice = desk.wait_text("print-result", say("已送往打印机", "Sent to printer")).await?;
    let printed = cups.printed(&job_of(&notice));
    let size = page_size(&printed);
    assert!(size.contains("595 x 842 pts (A4)") || size.contains("842 x 595 pts (A4)"), "{size}");
    assert_eq!(placecode_core::code::parse(&qr_of(&printed, 1)).map(|p| p.code).ok(), Some(code.clone()));

    // Hostile script: a printer CUPS does not offer (an option of `lp`, a shell command) or an
    // absurd number of copies is refused before anything is made or printed.
    for (printer, copies, field) in [
        ("-o", 1, "printer"),
        ("placecode-e2e; touch /tmp/pwned", 1, "printer"),
        ("placecode-e2e", 0, "copies"),
        ("placecode-e2e", 100_000, "copies"),
    ] {
        let args = json!({ "venueIds": [], "codes": [code], "landscape": false, "printer": printer,
            "copies": copies, "onProgress": "__CHANNEL__:0" });
        let refused = desk.invoke("print_posters", args).await?;
        assert_eq!(refused, Err("invalid".to_owned()), "{printer:?} × {copies} ({field})");
    }
    // Nor does one code listed thousands of times make thousands of posters.
    let many = vec![code.clone(); 5_000];
    let args = json!({ "venueIds": [], "codes": many, "landscape": false, "printer": "placecode-e2e",
        "copies": 50, "onProgress": "__CHANNEL__:0" });
    let printed = desk.invoke("print_posters", args).await?.expect("one poster, printed once");
    assert_eq!((printed["pages"].as_u64(), printed["copies"].as_u64()), (Some(1), Some(50)), "{printed}");
    assert!(!Path::new("/tmp/pwned").exists());
    desk.quit().await
}

#[tokio::test]
async fn a_desk_without_a_running_print_service_says_so() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed_desk(&data, &[venue("general", "market", "鼓楼夜市管理处", "书店街66号")], false);
    let nowhere = dir.path().join("no-cups.sock");
    let desk = DeskApp::start_with_env(&data, &[("CUPS_SERVER", &nowhere)]).await?;
    sign_in(&desk).await?;
    desk.click("nav-venues").await?;
    desk.click("venue-select-all").await?;
    desk.click("venue-print-direct").await?;
    let said = desk.wait_text("print-setup-error", say("打印服务", "print service")).await?;
    assert!(said.contains(say("没有运行", "is not running")) && !said.contains("lpstat"), "{said:?}");
    assert!(desk.all_testid("print-submit").await?.is_empty(), "no 打印 without a printer");
    desk.screenshot("42-print-no-service").await?;
    desk.click("print-close").await?;
    desk.quit().await
}

/// Only the administrator issues codes: a clerk prints the codes a venue has, and printing or
/// saving a venue that has none asks for one instead of making it.
#[tokio::test]
async fn a_clerk_prints_only_the_codes_there_are() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("save dir");
    let (mut store, venues, _) = seed_desk(&data, &[venue("general", "market", "鼓楼夜市管理处", "书店街66号")], false);
    store.add_operator("李娜", "135792").expect("a clerk");
    drop(store);
    let desk = DeskApp::start_with_env(&data, &[("PLACECODE_SAVE_DIR", &saved)]).await?;
    sign_in_as(&desk, "李娜", "135792").await?;
    let args = json!({ "venueIds": [venues[0].id], "codes": [], "landscape": false, "format": "pdf",
        "onProgress": "__CHANNEL__:0" });
    assert_eq!(desk.invoke("save_posters", args).await?, Err("invalid".to_owned()));
    let codes = desk.invoke("venue_codes", json!({ "venueId": venues[0].id })).await?;
    assert_eq!(codes, Ok(json!([])), "no code was made by the clerk");
    assert_eq!(std::fs::read_dir(&saved).expect("saved").count(), 0, "nothing saved");
    desk.quit().await
}
