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

#[tokio::test]
async fn r4_issue_preview_save_verify_revoke_and_print_many() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("save dir");
    seed(&data);
    let desk = DeskApp::start_with_env(&data, &[("PLACECODE_SAVE_DIR", &saved)]).await?;
    sign_in(&desk).await?;

    desk.click("nav-venues").await?;
    desk.testid("venue-search").await?;
    let row =
        desk.driver.query(By::XPath("//*[@data-testid='venue-row'][contains(., '西司门农贸市场')]")).first().await?;
    row.find(By::Css("[data-testid='venue-codes']")).await?.click().await?;
    desk.testid("codes-panel").await?;
    desk.keys("new-code-label", "东门").await?;
    desk.keys("new-code-label", Key::Enter).await?;
    let code = desk.attr("code-row", "data-code").await?.unwrap_or_default();
    assert_eq!(code.len(), 34, "{code:?}");

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
    let verdict = desk.wait_text("verify-verdict", "有效").await?;
    assert!(verdict.contains("西司门农贸市场") && verdict.contains("东门"), "{verdict:?}");
    desk.screenshot("31-verify").await?;
    // The same check from a picture of the printed poster.
    let photo = pdf.with_extension("p1.png");
    desk.keys("verify-image", photo.to_string_lossy()).await?;
    let verdict = desk.wait_text("verify-verdict", "有效").await?;
    assert!(verdict.contains("东门"), "{verdict:?}");

    desk.click("nav-venues").await?;
    desk.testid("venue-search").await?;
    let row =
        desk.driver.query(By::XPath("//*[@data-testid='venue-row'][contains(., '西司门农贸市场')]")).first().await?;
    row.find(By::Css("[data-testid='venue-codes']")).await?.click().await?;
    desk.click("code-revoke").await?;
    desk.keys("revoke-reason", "海报被撕毁").await?;
    desk.click("revoke-submit").await?;
    desk.wait_text("codes-panel", "已作废").await?;
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
    let verdict = desk.wait_text("verify-verdict", "已作废").await?;
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
