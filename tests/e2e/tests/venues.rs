//! Venue registration (R1 to R3) through the real desk app under Xvfb.

use placecode_e2e::*;
use thirtyfour::components::SelectElement;

struct Form<'a> {
    kind: &'a str,
    category: &'a str,
    name: &'a str,
    district: &'a str,
    address: &'a str,
    manager_name: &'a str,
    manager_phone: &'a str,
}

const MARKET: Form = Form {
    kind: "general",
    category: "market",
    name: "西司门农贸市场",
    district: "gulou",
    address: "鼓楼区西司门街１２号",
    manager_name: "买买提·艾力",
    manager_phone: "１３８ ３７８０ ０００１",
};

async fn fill(desk: &DeskApp, f: &Form<'_>) -> WebDriverResult<()> {
    desk.click("nav-register").await?;
    for (id, value) in [("venue-kind", f.kind), ("venue-category", f.category), ("venue-district", f.district)] {
        SelectElement::new(&desk.testid(id).await?).await?.select_by_value(value).await?;
    }
    for (id, value) in [
        ("venue-name", f.name),
        ("venue-address", f.address),
        ("venue-manager-name", f.manager_name),
        ("venue-manager-phone", f.manager_phone),
    ] {
        desk.clear(id).await?;
        desk.keys(id, value).await?;
    }
    Ok(())
}

async fn submit_by_enter(desk: &DeskApp) -> WebDriverResult<()> {
    desk.keys("venue-manager-phone", Key::Enter).await
}

async fn listed_names(desk: &DeskApp) -> WebDriverResult<Vec<String>> {
    desk.click("nav-venues").await?;
    desk.testid("venue-search").await?;
    let mut names = Vec::new();
    for cell in desk.all_testid("venue-row-name").await? {
        names.push(cell.text().await?);
    }
    Ok(names)
}

#[tokio::test]
async fn r3_register_restart_and_duplicate() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");

    let desk = start_signed_in(&data).await?;
    desk.click("nav-register").await?;
    desk.screenshot("01-register-empty").await?;
    fill(&desk, &MARKET).await?;
    submit_by_enter(&desk).await?;
    let banner = desk.wait_text("form-success", "西司门农贸市场").await?;
    assert!(banner.contains("西司门农贸市场"), "success banner: {banner:?}");
    desk.screenshot("02-register-success").await?;

    let names = listed_names(&desk).await?;
    assert_eq!(names, ["西司门农贸市场"]);
    let row = desk.text("venue-row").await?;
    assert!(row.contains("138****0001"), "phone masked in the list: {row:?}");
    assert!(!row.contains("13837800001"), "full phone never in the list: {row:?}");
    desk.screenshot("03-venue-list").await?;
    desk.quit().await?;

    // The database outlives the process.
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    assert_eq!(listed_names(&desk).await?, ["西司门农贸市场"]);

    // The same venue typed differently is still the same venue (一所一码).
    fill(
        &desk,
        &Form {
            name: "西司门农贸市场 ", address: "鼓楼区西司门街12号", manager_name: "王建国", ..MARKET
        },
    )
    .await?;
    submit_by_enter(&desk).await?;
    let error = desk.wait_text("form-error", say("重复登记", "Already registered")).await?;
    assert!(error.contains("西司门农贸市场"), "duplicate reason on screen: {error:?}");
    desk.screenshot("04-register-duplicate").await?;
    assert_eq!(listed_names(&desk).await?, ["西司门农贸市场"]);
    desk.quit().await
}

#[tokio::test]
async fn r3_bad_fields_are_named_on_screen_and_nothing_is_saved() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let desk = start_signed_in(&dir.path().join("desk")).await?;
    fill(&desk, &Form { name: "<script>x</script>", address: "鼓楼区", manager_phone: "010-62345678", ..MARKET })
        .await?;
    submit_by_enter(&desk).await?;
    let phone = desk.wait_text("error-manager_phone", say("联系电话", "Phone")).await?;
    assert_eq!(
        phone,
        say("联系电话：不是开封的固定电话（区号应为0371）", "Phone: not a Kaifeng landline (the area code is 0371)")
    );
    let name = desk.text("error-name").await?;
    assert_eq!(name, say("场所名称：含有不允许的字符“<”", "Venue name: contains a character that is not allowed “<”"));
    let address = desk.text("error-address").await?;
    assert!(address.starts_with(say("详细地址：只写了辖区", "Address: only the district is given")), "{address:?}");
    desk.screenshot("05-register-invalid").await?;
    assert!(listed_names(&desk).await?.is_empty());
    desk.quit().await
}

#[tokio::test]
async fn near_duplicate_is_confirmed_and_served_venue_is_shown() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let desk = start_signed_in(&dir.path().join("desk")).await?;
    fill(&desk, &MARKET).await?;
    submit_by_enter(&desk).await?;
    desk.wait_text("form-success", "西司门农贸市场").await?;

    fill(&desk, &Form { name: "西司门农贸市场北区", ..MARKET }).await?;
    submit_by_enter(&desk).await?;
    desk.testid("venue-confirm-similar").await?;
    desk.screenshot("06-register-similar").await?;
    desk.click("venue-confirm-similar").await?;
    desk.wait_text("form-success", "西司门农贸市场北区").await?;
    assert_eq!(listed_names(&desk).await?.len(), 2);

    let buttons = desk.all_testid("venue-set-served").await?;
    buttons[0].click().await?;
    let served = desk.wait_text("served-venue", "西司门").await?;
    desk.screenshot("07-venue-served").await?;
    assert!(served.contains("西司门农贸市场"), "header shows the served venue: {served:?}");
    desk.quit().await
}

#[tokio::test]
async fn csv_import_reports_rejected_rows() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("venues.csv");
    let text = "场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n\
                商场超市,甲超市,鼓楼区,中山路1号,王建国,13837800001\n\
                商场超市,乙超市,鼓楼区,鼓楼区,王建国,13837800002\n";
    // Excel in China saves CSV as GBK.
    let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
    assert!(!lossy);
    std::fs::write(&csv, &gbk).expect("write csv");
    let desk = start_signed_in(&dir.path().join("desk")).await?;
    desk.click("nav-import").await?;
    desk.keys("import-file", csv.to_string_lossy()).await?;
    let summary = desk.wait_text("import-summary", say("驳回", "rejected")).await?;
    assert!(
        summary.contains(say("导入 1", "1 imported")) && summary.contains(say("驳回 1", "1 rejected")),
        "{summary:?}"
    );
    let rejected = desk.text("import-rejected-row").await?;
    assert!(
        rejected.contains('3') && rejected.contains(say("只写了辖区", "only the district is given")),
        "{rejected:?}"
    );
    desk.screenshot("08-import-report").await?;
    assert_eq!(listed_names(&desk).await?, ["甲超市"]);
    desk.quit().await
}
