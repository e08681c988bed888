//! The check-in desk (登记台, R5 to R8) through the real app under Xvfb.

use std::path::Path;
use std::time::{Duration, Instant};

use placecode_e2e::*;
use placecode_store::CheckInContext;
use thirtyfour::components::SelectElement;

const ELDER: &str = "11010519491231002X";
// Two valid numbers sharing the last four characters 0014 (born 1990 and 1985).
const WANG: &str = "410202199003070014";
const LIU: &str = "410202198501190014";

/// A desk database with a served venue and one operator (张敏, PIN 246813); `people` are declared
/// beforehand through the core, as returning visitors.
fn seed(data: &Path, people: &[(&str, &str)]) {
    let (mut store, _, op) =
        seed_desk(data, &[venue("general", "elderly_care", "鼓楼区幸福养老院", "中山路18号")], true);
    // Earlier today: a scan in the test is a new check-in, not a repeat.
    let earlier = chrono::Utc::now() - chrono::Duration::minutes(10);
    let ctx = CheckInContext { operator_id: op.id, trip_code_checked: true, code: None, now: earlier };
    for (name, id) in people {
        let input = placecode_e2e::declaration(name, id);
        store.declare(&input, &ctx).expect("declare");
    }
}

/// Types into the check-in box as a scanner or a person would, Enter included.
async fn scan(desk: &DeskApp, text: &str) -> WebDriverResult<()> {
    desk.keys("checkin-input", format!("{text}\u{E007}")).await
}

async fn result_colour(desk: &DeskApp) -> WebDriverResult<String> {
    Ok(desk.attr("result-screen", "data-colour").await?.unwrap_or_default())
}

/// Answers a person's three questions (是否到过疫情严重地区, 是否接触过疑似病人, 体温是否异常)
/// from the keyboard, Y or N each: nothing is answered for them (R5). N, N, N: nothing to notice.
async fn answer(desk: &DeskApp, prefix: &str, keys: [&str; 3]) -> WebDriverResult<()> {
    for (q, k) in ["visited-risk-area", "contact", "temperature-abnormal"].into_iter().zip(keys) {
        desk.keys(&format!("{prefix}-{q}"), k).await?;
    }
    Ok(())
}

async fn type_into(desk: &DeskApp, id: &str, text: &str) -> WebDriverResult<()> {
    desk.clear(id).await?;
    desk.keys(id, text).await
}

#[tokio::test]
async fn r5_first_visit_then_returning_by_four_digits_and_shared_digits_told_apart() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[("王芳", WANG), ("刘洋", LIU)]);
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;
    desk.screenshot("10-checkin-ready").await?;

    // First visit: the full number opens the declaration with it filled in.
    scan(&desk, "11010519491231002x").await?;
    assert_eq!(desk.value("declare-id-number").await?, ELDER);
    type_into(&desk, "declare-name", "李秀英").await?;
    type_into(&desk, "declare-address", "鼓楼区中山路18号院3号楼").await?;
    type_into(&desk, "declare-temperature", "36.5").await?;
    // Enter with the questions unanswered: each is named, nothing is stored.
    desk.keys("declare-temperature", Key::Enter).await?;
    let missing =
        desk.wait_text("declare-visited-risk-area-error", say("请选择“是”或“否”", "please choose Yes or No")).await?;
    assert!(!missing.is_empty());
    answer(&desk, "declare", ["n", "n", "n"]).await?;
    desk.screenshot("11-declaration").await?;
    desk.keys("declare-temperature", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    assert_eq!(desk.text("result-name").await?, "李**");
    assert!(desk.text("result-id").await?.contains("002X"));
    assert_eq!(desk.text("result-venue").await?, "鼓楼区幸福养老院");
    desk.screenshot("12-result-green").await?;

    // Green returns to the input by itself.
    let back = Instant::now();
    while !desk.all_testid("result-screen").await?.is_empty() {
        assert!(back.elapsed() < Duration::from_secs(8), "green result did not return by itself");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Returning: four digits and Enter, five keystrokes. Moments after the first check-in it is
    // taken for a double scan: the desk asks, Enter records it again.
    scan(&desk, "002X").await?;
    let asked = desk.wait_text("repeat", say("已在本场所登记过", "already checked in at this venue")).await?;
    assert!(asked.contains("李**"), "{asked:?}");
    desk.screenshot("12a-repeat-asked").await?;
    let typed = Instant::now();
    desk.keys("checkin-input", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    eprintln!("returning check-in: keys sent to result on screen in {} ms", typed.elapsed().as_millis());
    assert_eq!(desk.text("result-name").await?, "李**");
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;

    // Two people share 0014: one more key picks the second.
    desk.testid("checkin-input").await?;
    scan(&desk, "0014").await?;
    desk.testid("candidate").await?;
    let candidates = desk.all_testid("candidate").await?;
    assert_eq!(candidates.len(), 2);
    let second = desk
        .driver
        .execute("return document.querySelector(\"[data-testid='candidate'][data-index='2']\").innerText", vec![])
        .await?;
    let second = second.json().as_str().unwrap_or_default().to_owned();
    desk.screenshot("13-choose-candidate").await?;
    desk.driver.action_chain().send_keys("2").perform().await?;
    assert_eq!(result_colour(&desk).await?, "green");
    let name = desk.text("result-name").await?;
    assert!(second.contains(&name), "picked {name:?} from {second:?}");
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;

    // A foreign permanent resident's card of 2023 (18 digits, first 9): the number tells its
    // kind, and the form opens on it; a Latin name as the passport prints it.
    desk.testid("checkin-input").await?;
    scan(&desk, "941840198506150017").await?;
    assert_eq!(desk.value("declare-document-kind").await?, "foreign_permanent_resident");
    type_into(&desk, "declare-name", "Anna O'Neil-Smith").await?;
    type_into(&desk, "declare-address", "鼓楼区中山路18号院3号楼").await?;
    answer(&desk, "declare", ["n", "n", "n"]).await?;
    desk.screenshot("14-declaration-foreign-resident").await?;
    desk.keys("declare-address", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    assert!(desk.text("result-id").await?.contains("0017"));
    let shown = desk.text("result-name").await?;
    assert!(shown.starts_with('A') && !shown.contains("nna"), "masked: {shown:?}");
    desk.quit().await
}

#[tokio::test]
async fn r7_red_on_the_imported_risk_list_is_refused_and_reported() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[]);
    let csv = dir.path().join("risk.csv");
    std::fs::write(&csv, format!("身份证号,颜色,原因\n{WANG},红码,密切接触者\n123,红,\n")).expect("csv");
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;

    desk.click("nav-settings").await?;
    desk.keys("risk-file", csv.to_string_lossy()).await?;
    let summary = desk.wait_text("risk-summary", "1").await?;
    assert!(summary.contains('1'), "{summary:?}");
    desk.screenshot("14-risk-import").await?;

    desk.click("nav-checkin").await?;
    // The risk list before any form: a listed stranger is red at once, recorded by ID number.
    scan(&desk, WANG).await?;
    assert_eq!(result_colour(&desk).await?, "red");
    assert_eq!(desk.text("result-name").await?, say("（姓名未登记）", "(name not registered)"));
    // Who is listed, never why (the desk does not keep the reason).
    let reasons = desk.text("result-reasons").await?;
    assert!(
        reasons.contains(say("风险人员名单为红码", "On the risk list as red")) && !reasons.contains("密切接触者"),
        "{reasons:?}"
    );
    desk.screenshot("15-result-red").await?;
    // Red waits for the operator: still there after the green timeout.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(result_colour(&desk).await?, "red");

    // The next person's card scanned too early (the keys a scanner types, Enter included):
    // nothing opens, nothing is recorded, and the clerk is told.
    desk.driver.action_chain().send_keys(format!("{LIU}\u{E007}")).perform().await?;
    desk.wait_text("result-scanned-early", say("刚扫入的证件没有登记", "The card just scanned was not checked in"))
        .await?;
    assert!(desk.all_testid("incident-held-at").await?.is_empty(), "the scan's Enter opened the report");
    assert_eq!(result_colour(&desk).await?, "red");
    desk.screenshot("15a-result-red-scanned-too-early").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Keyboard only: Enter opens 拒绝并上报, the two fields, Enter reports. A fresh database
    // fills in nothing (no place or recipient from another desk or venue).
    desk.driver.action_chain().send_keys(Key::Enter).perform().await?;
    assert_eq!(desk.value("incident-held-at").await?, "");
    assert_eq!(desk.value("incident-reported-to").await?, "");
    type_into(&desk, "incident-held-at", "东门临时隔离点").await?;
    type_into(&desk, "incident-reported-to", "西司门社区").await?;
    // A scan with the focus on 确认上报 files nothing; one into a field is taken out again.
    desk.driver.execute("document.querySelector('[data-testid=incident-submit]').focus()", vec![]).await?;
    desk.driver.action_chain().send_keys(format!("{LIU}\u{E007}")).perform().await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!desk.all_testid("incident-submit").await?.is_empty(), "the scan's Enter filed the report");
    desk.keys("incident-reported-to", format!("{LIU}\u{E007}")).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(desk.value("incident-reported-to").await?, "西司门社区");
    assert!(!desk.all_testid("incident-submit").await?.is_empty(), "the scan's Enter filed the report");
    desk.keys("incident-reported-to", Key::Enter).await?;
    let message = desk.wait_text("checkin-message", say("已拒绝并记录上报", "Refused, and report recorded")).await?;
    assert!(message.contains(say("（姓名未登记）", "(name not registered)")), "{message:?}");

    desk.click("nav-incidents").await?;
    let row = desk.wait_text("incident-row", "东门临时隔离点").await?;
    assert!(
        row.contains(say("（姓名未登记）", "(name not registered)"))
            && row.contains("东门临时隔离点")
            && row.contains("西司门社区"),
        "{row:?}"
    );
    desk.screenshot("16-incidents").await?;

    // A fever raises a green health code to yellow.
    desk.click("nav-checkin").await?;
    scan(&desk, LIU).await?;
    type_into(&desk, "declare-name", "刘洋").await?;
    type_into(&desk, "declare-address", "鼓楼区中山路18号院").await?;
    type_into(&desk, "declare-temperature", "38.2").await?;
    answer(&desk, "declare", ["n", "n", "n"]).await?;
    desk.click("declare-submit").await?;
    assert_eq!(result_colour(&desk).await?, "yellow");
    desk.screenshot("17-result-yellow").await?;

    // Esc never leaves a yellow screen silently: it asks why (keys 1 to 3), Enter records it.
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    desk.testid("release-misscan").await?;
    assert_eq!(result_colour(&desk).await?, "yellow");
    desk.driver.action_chain().send_keys("2").perform().await?;
    type_into(&desk, "release-note", "复测36.9℃").await?;
    desk.screenshot("17a-release-reason").await?;
    desk.keys("release-note", Key::Enter).await?;
    let message = desk.wait_text("checkin-message", say("未上报，原因", "not reported; reason")).await?;
    assert!(
        message.contains(say("工作人员核实后放行：复测36.9℃", "Let through after staff checked: 复测36.9℃")),
        "{message:?}"
    );

    // Scanned again by ID moments later (the desk asks first: a double scan?): still yellow,
    // the raised colour kept (R7).
    scan(&desk, LIU).await?;
    desk.wait_text("repeat", say("已在本场所登记过", "already checked in at this venue")).await?;
    desk.keys("checkin-input", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "yellow");
    assert!(desk.text("result-reasons").await?.contains(say("近期已判定为黄码", "Recently found yellow")));
    desk.screenshot("17b-rescan-still-yellow").await?;
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    desk.driver.action_chain().send_keys("1").perform().await?;
    desk.driver.action_chain().send_keys(Key::Enter).perform().await?;
    desk.wait_text("checkin-message", say("误扫", "Wrong scan")).await?;

    desk.click("nav-incidents").await?;
    desk.wait_text("incident-row", "东门").await?;
    let rows = desk.all_testid("incident-row").await?;
    let mut texts = Vec::new();
    for r in rows {
        texts.push(r.attr("data-status").await?.unwrap_or_default());
    }
    assert_eq!(texts, ["isolated", "released", "released"], "the red report open first, then the releases");
    desk.screenshot("17c-incidents-with-release").await?;
    desk.quit().await
}

/// R6: a child with no document of their own, registered by the mother who shows hers: the
/// birth date in the number's place, a 16-year-old refused with the reason, the child listed as
/// a child with who helped.
#[tokio::test]
async fn r6_a_child_without_a_document_is_registered_by_a_guardian() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[]);
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.keys("checkin-input", Key::F4).await?;
    desk.click("manual-helper-guardian").await?;
    type_into(&desk, "guardian-name", "李娜").await?;
    type_into(&desk, "guardian-document-number", "410203198001010036").await?;
    type_into(&desk, "guardian-phone", "13837800009").await?;
    type_into(&desk, "person-0-relation", "母亲").await?;
    type_into(&desk, "person-0-name", "王小雨").await?;
    SelectElement::new(&desk.testid("person-0-document-kind").await?)
        .await?
        .select_by_value("child_with_guardian")
        .await?;
    let placeholder = desk.attr("person-0-id-number", "placeholder").await?.unwrap_or_default();
    assert!(placeholder.contains("2019-03-04"), "{placeholder:?}");
    type_into(&desk, "person-0-id-number", "2008-01-01").await?;
    type_into(&desk, "person-0-address", "鼓楼区中山路18号院").await?;
    answer(&desk, "person-0", ["n", "n", "n"]).await?;
    desk.keys("person-0-address", Key::Enter).await?;
    let why = desk.wait_text("error-dependents.0.id_number", say("16", "16")).await?;
    assert!(why.contains(say("已满16周岁，应出示本人证件", "16 or older")), "{why:?}");
    desk.clear("person-0-id-number").await?;
    type_into(&desk, "person-0-id-number", "2019年3月4日").await?;
    desk.screenshot("18a-manual-child-without-document").await?;
    // One Esc with the form filled in asks before anything typed is thrown away.
    desk.keys("person-0-id-number", Key::Escape).await?;
    desk.wait_text("manual-esc-again", say("再按一次 Esc", "press Esc again")).await?;
    assert_eq!(desk.value("person-0-name").await?, "王小雨");
    desk.screenshot("18a2-manual-esc-asks-again").await?;
    desk.keys("person-0-id-number", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    let shown = desk.text("result-screen").await?;
    assert!(shown.contains(say("儿童（2019年生）", "儿童（2019年生）")), "{shown:?}");
    assert!(!shown.contains("0036"), "not the guardian's number: {shown:?}");
    desk.screenshot("18b-manual-child-result").await?;
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    desk.click("nav-today").await?;
    desk.wait_text("today-total", "1").await?;
    let row = desk.text("today-row").await?;
    assert!(row.contains("王**") && row.contains("儿童（2019年生）") && row.contains("母亲 李*"), "{row:?}");
    desk.quit().await
}

#[tokio::test]
async fn r6_guardian_registers_a_child_and_an_elderly_father_at_once() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[]);
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("saved dir");
    let desk = DeskApp::start_with_env(&data, &[("PLACECODE_SAVE_DIR", &saved)]).await?;
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;
    // F4 in the scan box opens 手工登记.
    desk.keys("checkin-input", Key::F4).await?;
    desk.click("manual-helper-guardian").await?;
    type_into(&desk, "guardian-name", "张伟").await?;
    type_into(&desk, "guardian-document-number", "410203198001010036").await?;
    type_into(&desk, "guardian-phone", "13837800009").await?;
    // Who the guardian is to each: the child's father, the old man's son.
    for (i, (relation, name, id)) in
        [("父亲", "张小明", "410202201501080012"), ("儿子", "张老汉", "11010519491231002X")].into_iter().enumerate()
    {
        if i > 0 {
            desk.click("manual-add").await?;
        }
        type_into(&desk, &format!("person-{i}-relation"), relation).await?;
        type_into(&desk, &format!("person-{i}-name"), name).await?;
        type_into(&desk, &format!("person-{i}-id-number"), id).await?;
        if i == 0 {
            type_into(&desk, "person-0-address", "鼓楼区中山路18号院").await?;
        } else {
            // The family's address came along.
            assert_eq!(desk.value("person-1-address").await?, "鼓楼区中山路18号院");
        }
        answer(&desk, &format!("person-{i}"), ["n", "n", "n"]).await?;
    }
    desk.screenshot("18-manual-guardian").await?;
    desk.click("manual-submit").await?;
    desk.testid("result-screen").await?;
    assert_eq!(desk.all_testid("result-item").await?.len(), 2);
    desk.screenshot("19-manual-results").await?;
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;

    desk.click("nav-today").await?;
    desk.wait_text("today-total", "2").await?;
    let rows = desk.all_testid("today-row").await?;
    assert_eq!(rows.len(), 2);
    let mut helped = Vec::new();
    for row in rows {
        let text: String =
            desk.driver.execute("return arguments[0].innerText", vec![row.to_json()?]).await?.convert()?;
        assert!(text.contains(say("未同步", "Not synced")), "{text:?}");
        helped.push(if text.contains("父亲 张*") {
            "父亲"
        } else if text.contains("儿子 张*") {
            "儿子"
        } else {
            ""
        });
    }
    helped.sort();
    assert_eq!(helped, ["儿子", "父亲"], "each person their own relation");
    // The header agrees that records wait (it heard of the check-ins without a sync).
    let bar = desk.wait_text("sync-bar", say("未同步 3 条", "Not synced: 3")).await?;
    assert!(!bar.is_empty(), "the venue and the two people: {bar:?}");
    desk.screenshot("20-today").await?;

    // The day's list as an Excel workbook: masked, then in full with a reason (administrator).
    let cells = |path: &std::path::Path| -> Vec<String> {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).expect("xlsx");
        let range = book.worksheet_range("登记名单").expect("sheet");
        range.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect()
    };
    desk.click("today-export").await?;
    let shown = desk.wait_text("today-exported", "登记名单.xlsx").await?;
    let masked = std::fs::read_dir(&saved).expect("saved").flatten().map(|e| e.path()).next().expect("a workbook");
    assert!(shown.contains(&*masked.to_string_lossy()), "{shown:?}");
    let all = cells(&masked);
    assert!(all.iter().any(|c| c.contains("共2人次")), "{all:?}");
    assert!(!all.iter().any(|c| c.contains("张小明") || c.contains("410202201501080012")), "{all:?}");
    desk.click("today-export-full-open").await?;
    desk.keys("today-export-reason", Key::Enter).await?;
    desk.wait_text("error-note", say("须写明用途", "needs its purpose")).await?;
    desk.keys("today-export-reason", "区疾控中心流调需要\u{E007}").await?;
    desk.wait_text("today-exported", "完整信息.xlsx").await?;
    desk.screenshot("21-today-exported").await?;
    let full = std::fs::read_dir(&saved)
        .expect("saved")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("完整信息"))
        .expect("the full workbook");
    let all = cells(&full);
    assert!(all.iter().any(|c| c == "张小明") && all.iter().any(|c| c == "410202201501080012"), "{all:?}");

    // F1: the help of the screen shown; Esc closes it.
    desk.driver.action_chain().send_keys(Key::F1).perform().await?;
    desk.wait_text("help-panel", say("帮助：今日登记", "Help: Today")).await?;
    desk.screenshot("22-help").await?;
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !desk.all_testid("help-panel").await?.is_empty() {
        assert!(Instant::now() < deadline, "help did not close on Esc");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    desk.quit().await
}

#[tokio::test]
async fn a_new_desk_creates_its_first_operator() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let desk = DeskApp::start(&dir.path().join("desk")).await?;
    desk.click("nav-checkin").await?;
    type_into(&desk, "first-operator-name", "张敏").await?;
    type_into(&desk, "first-operator-pin", "246813").await?;
    type_into(&desk, "first-operator-pin2", "246813").await?;
    desk.click("first-operator-submit").await?;
    let who = desk.wait_text("current-operator", "张敏").await?;
    assert!(who.contains("张敏"), "{who:?}");
    // 开始使用: a venue, then 下一步 with no poster made: the step says it was skipped, not done.
    desk.wait_text("first-run", say("开始使用本登记台", "Set up this check-in desk")).await?;
    for (id, value) in [("venue-kind", "general"), ("venue-category", "market"), ("venue-district", "gulou")] {
        SelectElement::new(&desk.testid(id).await?).await?.select_by_value(value).await?;
    }
    for (id, value) in [
        ("venue-name", "西司门农贸市场"),
        ("venue-address", "鼓楼区西司门街12号"),
        ("venue-manager-name", "王建国"),
        ("venue-manager-phone", "13837800001"),
    ] {
        desk.keys(id, value).await?;
    }
    desk.keys("venue-manager-phone", Key::Enter).await?;
    desk.wait_text("first-run", say("已设为本台服务场所", "is now the venue this desk serves")).await?;
    desk.click("first-run-next").await?;
    desk.testid("first-run-finish").await?;
    assert_eq!(desk.attr("first-run-step-poster", "data-state").await?.as_deref(), Some("skipped"));
    let step = desk.text("first-run-step-poster").await?;
    assert!(step.contains(say("已跳过", "skipped")) && !step.contains('✓'), "{step:?}");
    desk.screenshot("05-first-run-poster-skipped").await?;
    desk.quit().await
}

/// A data folder copied to another place (or a desk whose key left the keystore) cannot be
/// opened: the desk stays up and says why, every command answers the same, and nothing in the
/// folder is changed or deleted.
#[tokio::test]
async fn a_desk_that_cannot_open_its_data_says_why() -> WebDriverResult<()> {
    use serde_json::json;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let (store, _, _) = seed_desk(&data, &[venue("general", "market", "西司门农贸市场", "鼓楼区西司门街12号")], true);
    drop(store);
    let copy = dir.path().join("copied");
    std::fs::create_dir_all(&copy).expect("copy dir");
    for entry in std::fs::read_dir(&data).expect("data").flatten() {
        std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("copy");
    }
    let before = std::fs::read(copy.join("desk.sqlite3")).expect("db");
    let desk = DeskApp::start(&copy).await?;
    for (cmd, args) in
        [("served_venue", json!({})), ("operators", json!({})), ("sign_in", json!({ "name": OPERATOR, "pin": PIN }))]
    {
        assert_eq!(desk.invoke(cmd, args).await?, Err("unopened".into()), "{cmd}");
    }
    desk.screenshot("05-unopened").await?;
    desk.quit().await?;
    assert_eq!(std::fs::read(copy.join("desk.sqlite3")).expect("db"), before, "nothing changed");
    Ok(())
}

/// The gate sits in the real IPC path: script in the window calling commands directly gets
/// signed_out without an operator, forbidden for the administrator's work as a clerk, and
/// the clerk's own work goes through; wrong PINs lock the desk out.
#[tokio::test]
async fn commands_called_from_the_page_pass_the_gate() -> WebDriverResult<()> {
    use serde_json::json;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let (mut store, _, _) =
        seed_desk(&data, &[venue("general", "market", "西司门农贸市场", "鼓楼区西司门街12号")], true);
    store.add_operator("李娜", "135792").expect("second operator");
    drop(store);
    let desk = DeskApp::start(&data).await?;
    desk.testid("signin-operator").await?;

    assert_eq!(desk.invoke("today", json!({ "query": "" })).await?, Err("signed_out".into()));
    assert_eq!(desk.invoke("incidents", json!({})).await?, Err("signed_out".into()));
    assert_eq!(
        desk.invoke("add_operator", json!({ "name": "黑客", "pin": "864209" })).await?,
        Err("signed_out".into())
    );
    assert_eq!(desk.invoke("no_such_command", json!({})).await?, Err("forbidden".into()));
    assert!(desk.invoke("served_venue", json!({})).await?.is_ok(), "the header's own data stays open");

    let clerk = desk.invoke("sign_in", json!({ "name": "李娜", "pin": "135792" })).await?;
    assert_eq!(clerk.map(|o| o["is_admin"].clone()), Ok(json!(false)));
    assert!(desk.invoke("today", json!({ "query": "" })).await?.is_ok());
    // The venues' managers, masked for a clerk as every screen shows them, also to script.
    let venues = desk.invoke("list_venues", json!({ "query": "" })).await?.expect("venues");
    assert_eq!((&venues[0]["manager_name"], &venues[0]["manager_phone"]), (&json!("王**"), &json!("138****0001")));
    let served = desk.invoke("served_venue", json!({})).await?.expect("served");
    assert_eq!(served["manager_phone"], json!("138****0001"));
    for (cmd, args) in [
        ("add_operator", json!({ "name": "黑客", "pin": "864209" })),
        ("set_idle_minutes", json!({ "minutes": 120 })),
        ("set_risk_max_age", json!({ "hours": 9999 })),
        ("sync_connect", json!({ "url": "https://evil.example", "token": "x", "caFile": null })),
        ("open_file", json!({ "path": "/bin/sh" })),
    ] {
        assert_eq!(desk.invoke(cmd, args).await?, Err("forbidden".into()), "{cmd}");
    }

    // Five wrong PINs, then even the right one waits.
    assert_eq!(desk.invoke("sign_out", json!({})).await?, Ok(json!(null)));
    for _ in 0..5 {
        assert_eq!(desk.invoke("sign_in", json!({ "name": OPERATOR, "pin": "000001" })).await?, Err("invalid".into()));
    }
    assert_eq!(desk.invoke("sign_in", json!({ "name": OPERATOR, "pin": PIN })).await?, Err("invalid".into()));
    desk.quit().await?;

    // What the app wrote is encrypted, its key in the OS keystore when one runs.
    let head = std::fs::read(data.join("desk.sqlite3")).expect("database file");
    assert!(!head.starts_with(b"SQLite format 3"));
    if std::env::var_os("PLACECODE_EXPECT_KEYSTORE").is_some() {
        assert!(!data.join(placecode_store::dbkey::KEY_FILE).exists());
    }
    Ok(())
}

/// A clerk (not the administrator) signs in through the window: settings show the risk list's
/// status and their own PIN change, but no connect form, no import and no poster settings to
/// save; 场所登记 says it is the administrator's.
#[tokio::test]
async fn a_clerk_sees_no_administrator_controls() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    let (mut store, _, _) =
        seed_desk(&data, &[venue("general", "market", "西司门农贸市场", "鼓楼区西司门街12号")], true);
    store.add_operator("李娜", "135792").expect("clerk");
    drop(store);
    let desk = DeskApp::start(&data).await?;
    sign_in_as(&desk, "李娜", "135792").await?;
    desk.click("nav-settings").await?;
    desk.testid("risk-admin-only").await?;
    desk.testid("sync-admin-only").await?;
    desk.testid("poster-settings-admin-only").await?;
    desk.testid("pin-change-current").await?;
    assert!(desk.all_testid("sync-connect-url").await?.is_empty());
    assert!(desk.all_testid("risk-file").await?.is_empty());
    assert!(desk.all_testid("poster-settings-save").await?.is_empty());
    desk.screenshot("31-clerk-settings").await?;
    desk.click("nav-register").await?;
    desk.wait_text("admin-only", say("管理员", "administrator")).await?;
    desk.screenshot("32-clerk-register").await?;
    // 场所列表: the manager masked, and a search does not match them (R12).
    desk.click("nav-venues").await?;
    let row = desk.wait_text("venue-row", "西司门农贸市场").await?;
    assert!(row.contains("138****0001") && !row.contains("13837800001"), "{row}");
    assert_eq!(
        desk.attr("venue-search", "placeholder").await?.as_deref(),
        Some(say("搜索名称、地址、辖区或类型", "Search name, address, district or type"))
    );
    desk.keys("venue-search", "13837800001").await?;
    desk.testid("venue-empty").await?;
    desk.screenshot("33-clerk-venue-search").await?;
    desk.quit().await
}

/// 设置 › 界面语言: the window is drawn again in the language chosen; a tourist with a passport
/// is declared and checked in in English; the choice stays after the app restarts, and Chinese
/// comes back the same way. (The suite's English run starts the desk in English already.)
#[tokio::test]
async fn the_desk_in_english_checks_in_a_passport_holder() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[]);
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;
    if !english() {
        choose_language(&desk, "en", "Check").await?;
        // Drawn again in English (the operator is still signed in: the session is the backend's).
        assert!(!desk.text("nav-checkin").await?.contains("登记台"));
    }
    desk.click("nav-checkin").await?;
    scan(&desk, "x1234567a").await?;
    assert_eq!(desk.value("declare-document-kind").await?, "passport");
    type_into(&desk, "declare-name", "John O'Neil-Smith").await?;
    type_into(&desk, "declare-address", "Kaifeng Hostel, 18 Gulou Street").await?;
    // The rules' reasons in English too.
    desk.keys("declare-address", Key::Enter).await?;
    let missing = desk.wait_text("declare-visited-risk-area-error", "Yes or No").await?;
    assert!(missing.contains("please choose Yes or No"), "{missing:?}");
    answer(&desk, "declare", ["n", "n", "n"]).await?;
    desk.screenshot("16-declaration-in-english").await?;
    desk.keys("declare-address", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    assert!(desk.text("result-id").await?.contains("567A"));
    desk.screenshot("17-result-in-english").await?;
    desk.quit().await?;

    // The choice is this laptop's: the app starts in English next time; Chinese comes back the
    // same way, and is kept in its turn.
    let desk = DeskApp::start_as_left(&data).await?;
    assert_eq!(desk.lang().await?, "en", "the desk started again in English");
    sign_in(&desk).await?;
    choose_language(&desk, "zh-CN", "登记台").await?;
    desk.quit().await?;
    let desk = DeskApp::start_as_left(&data).await?;
    assert_eq!(desk.lang().await?, "zh-CN", "the desk started again in Chinese");
    desk.quit().await
}

/// 设置 › 界面语言: chooses `locale` and presses 切换; the window, drawn again, names the
/// check-in tab `nav`.
async fn choose_language(desk: &DeskApp, locale: &str, nav: &str) -> WebDriverResult<()> {
    desk.click("nav-settings").await?;
    desk.click("settings-go-language").await?;
    let option = format!("[data-testid='language-choice'] option[value='{locale}']");
    desk.driver.find(By::Css(option)).await?.click().await?;
    desk.screenshot(&format!("15-settings-language-{locale}")).await?;
    desk.click("language-apply").await?;
    desk.wait_text("nav-checkin", nav).await?;
    assert_eq!(desk.lang().await?, locale);
    Ok(())
}

/// 限流 at the door: a venue at its limit shows 已满 in red, the next person's declaration waits
/// (refused with the numbers, nothing saved), a 离场 by the number frees a place, and the same
/// declaration then goes through.
#[tokio::test]
async fn a_full_venue_makes_the_next_person_wait_until_someone_leaves() -> WebDriverResult<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[("王芳", WANG), ("刘洋", LIU)]);
    {
        let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("store");
        let venue = store.served_venue().expect("served").expect("a served venue").id;
        store.set_venue_limit(&venue, Some((4, 50, 180))).expect("limit");
    }
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    let count = desk.wait_text("occupancy-inside", say("场内 2 人", "2 inside")).await?;
    assert!(count.contains(say("限 2 人", "limit 2")), "{count:?}");
    desk.wait_text("occupancy-full", say("已满", "Full")).await?;
    desk.screenshot("17-occupancy-full").await?;
    // The administrator's limit form shows the limit as set; Esc closes it, nothing saved.
    desk.click("occupancy-set-limit").await?;
    assert_eq!(desk.value("limit-capacity").await?, "4");
    assert_eq!(desk.value("limit-percent").await?, "50");
    assert_eq!(desk.value("limit-stay_minutes").await?, "180");
    desk.screenshot("17a-occupancy-limit-form").await?;
    desk.keys("limit-capacity", Key::Escape).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !desk.all_testid("limit-form").await?.is_empty() {
        assert!(Instant::now() < deadline, "Esc did not close the limit form");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    scan(&desk, ELDER).await?;
    type_into(&desk, "declare-name", "李秀英").await?;
    type_into(&desk, "declare-address", "鼓楼区中山路18号院3号楼").await?;
    answer(&desk, "declare", ["n", "n", "n"]).await?;
    desk.keys("declare-address", Key::Enter).await?;
    let body = || async {
        let v = desk.driver.execute("return document.body.innerText", vec![]).await?;
        WebDriverResult::Ok(v.json().as_str().unwrap_or_default().to_owned())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = say("已达限流人数（场内2人，限2人）", "The venue is at its limit (2 inside, limit 2)");
    while !body().await?.contains(refused) {
        assert!(Instant::now() < deadline, "no refusal at the limit: {}", body().await?);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    desk.screenshot("18-occupancy-refused").await?;
    assert!(
        !body().await?.contains(say("设为本台场所", "Set as this desk’s venue")),
        "the refusal is the limit's alone"
    );
    assert!(desk.all_testid("result-screen").await?.is_empty(), "no result for one who waits");

    // 王芳 leaves; the same form goes through.
    desk.keys("checkout-query", format!("{WANG}\u{E007}")).await?;
    desk.wait_text("occupancy-notice", say("王* 已离场，场内 1 人", "王* left; 1 inside")).await?;
    desk.keys("declare-address", Key::Enter).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    desk.driver.action_chain().send_keys(Key::Escape).perform().await?;
    desk.wait_text("occupancy-inside", say("场内 2 人", "2 inside")).await?;
    desk.quit().await
}

/// Valid resident ID numbers (their check characters right) of people born on the days after
/// 1985-01-01 in Gulou, as a guesser would make them: none of them is on file.
fn guesses(n: usize) -> Vec<String> {
    let first = chrono::NaiveDate::from_ymd_opt(1985, 1, 1).expect("a day");
    (0..n)
        .map(|i| {
            let born = first + chrono::Duration::days(i as i64);
            let body = format!("410204{}123", born.format("%Y%m%d"));
            let check = placecode_core::identity::check_character(body.as_bytes()).expect("check character");
            format!("{body}{check}")
        })
        .collect()
}

/// Today's check-ins at this desk, as 今日登记 counts them.
async fn today_total(desk: &DeskApp) -> WebDriverResult<u64> {
    let today = desk.invoke("today", serde_json::json!({ "query": "" })).await?.expect("today");
    Ok(today["total"].as_u64().expect("a count"))
}

/// The attack test for the door as an oracle: script in the window sends guessed whole numbers
/// at once to the door and to 离场 (a trial learnt 53,000 a minute whether each was on file). After 30 answers that
/// recorded nobody, every lookup waits, a known person's too (so the refusal tells nothing), and
/// the clerk sees why and what still works, a restart changes nothing, and a first-time visitor
/// registered by hand gives room.
#[tokio::test]
async fn guessed_numbers_sent_from_script_stop_at_thirty_and_the_clerk_is_told_why() -> WebDriverResult<()> {
    use serde_json::json;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("desk");
    seed(&data, &[("王芳", WANG)]);
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    desk.testid("checkin-input").await?;

    // Eighty guesses at once, as the trial sent them, each asked at the door and at 离场 (whether
    // someone is inside answers as much).
    let answers = desk
        .driver
        .execute_async(
            "const [numbers, refusal, done] = arguments;
             const ask = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args).then(
                 (ok) => 'answered',
                 (err) => err.message.includes(refusal)
                     ? 'refused:' + (err.fields || []).map((f) => f.field).join(',')
                     : 'answered:' + err.code);
             Promise.all(numbers.flatMap((n) => [
                 ask('check_in_by_id', { idNumber: n, tripCodeChecked: false }),
                 ask('check_out', { query: n }),
             ])).then(done);",
            vec![
                json!(guesses(80)),
                json!(say("本台近来有30次查询没有登记任何人", "30 lookups at this desk lately recorded nobody")),
            ],
        )
        .await?;
    let answers: Vec<String> = serde_json::from_value(answers.json().clone()).expect("answers");
    let count = |what: &str| answers.iter().filter(|a| a.as_str() == what).count();
    assert_eq!(count("answered") + count("answered:invalid"), 30, "{answers:?}");
    assert!(count("refused:id_number") >= 50 && count("refused:query") >= 50, "{answers:?}");
    assert_eq!(count("refused:id_number") + count("refused:query"), 130, "{answers:?}");

    // The known person waits too, by number and by last four: the refusal says nothing of who
    // is on file. The clerk sees why, naming the field, and what to do.
    for (cmd, args) in [
        ("check_in_by_id", json!({ "idNumber": WANG, "tripCodeChecked": false })),
        ("check_in_by_last4", json!({ "digits": "0014", "birthYear": null, "tripCodeChecked": false })),
    ] {
        assert_eq!(desk.invoke(cmd, args).await?, Err("invalid".into()), "{cmd}");
    }
    // 离场 by the last four is never held up: a full venue must always let people out (they are
    // what 今日登记 shows of everyone, so they tell nothing more).
    let leaving = desk
        .driver
        .execute_async(
            "const [done] = arguments;
             window.__TAURI_INTERNALS__.invoke('check_out', { query: '0014' }).then(() => 'left', (e) => e.message).then(done);",
            vec![],
        )
        .await?;
    assert_eq!(leaving.json().as_str(), Some("left"), "王芳 (inside since the seed) signed out by 0014");
    scan(&desk, WANG).await?;
    let said = desk
        .wait_text(
            "error-id_number",
            say("本台近来有30次查询没有登记任何人", "30 lookups at this desk lately recorded nobody"),
        )
        .await?;
    assert!(said.contains(say("F4 手工登记", "registered by hand (F4)")), "{said}");
    desk.screenshot("18-door-guessing-stopped").await?;
    // F4, as the message says: the number scanned comes along into 手工登记.
    desk.keys("checkin-input", Key::F4).await?;
    assert_eq!(desk.value("person-0-id-number").await?, WANG);
    desk.screenshot("18a-door-waits-f4-takes-the-number").await?;
    // Closing the desk and opening it again starts nothing afresh.
    desk.quit().await?;
    let desk = DeskApp::start(&data).await?;
    sign_in(&desk).await?;
    assert_eq!(
        desk.invoke("check_in_by_id", json!({ "idNumber": WANG, "tripCodeChecked": false })).await?,
        Err("invalid".into()),
        "after a restart"
    );
    let visits = today_total(&desk).await?;

    // A first-time visitor registered by hand (F4 stays open) gives two lookups back.
    let manual = desk
        .invoke(
            "register_manual",
            json!({
                "helper": { "by": "operator" },
                "people": [placecode_e2e::declaration("李秀英", ELDER)],
                "relations": [""],
                "tripCodeChecked": false,
            }),
        )
        .await?;
    assert!(manual.is_ok(), "{manual:?}");
    desk.clear("checkin-input").await?;
    scan(&desk, WANG).await?;
    assert_eq!(result_colour(&desk).await?, "green");
    assert_eq!(today_total(&desk).await?, visits + 2, "the person registered by hand and 王芳");

    // Forms sent from script at once (a trial asked 5,900 numbers a minute this way, each made-up
    // visit answering whether the number was on file or inside): the desk takes 30 people, the
    // one above included, then one every ten seconds; the rest are refused above the form.
    const SURNAMES: [char; 8] = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄'];
    const GIVEN: [char; 5] = ['伟', '芳', '娜', '敏', '静'];
    let people: Vec<_> = guesses(40)
        .iter()
        .enumerate()
        .map(|(i, n)| placecode_e2e::declaration(&format!("{}{}", SURNAMES[i % 8], GIVEN[i / 8]), n))
        .collect();
    let answers = desk
        .driver
        .execute_async(
            "const [people, done] = arguments;
             Promise.all(people.map((p) => window.__TAURI_INTERNALS__
                 .invoke('register_manual', { helper: { by: 'operator' }, people: [p], relations: [''], tripCodeChecked: false })
                 .then(() => 'ok', (err) => err.code + ':' + (err.fields || []).map((f) => f.field).join(','))))
               .then(done);",
            vec![json!(people)],
        )
        .await?;
    let answers: Vec<String> = serde_json::from_value(answers.json().clone()).expect("answers");
    let taken = answers.iter().filter(|a| *a == "ok").count();
    let paced = answers.iter().filter(|a| *a == "invalid:people").count();
    assert_eq!((taken, paced), (29, 11), "{answers:?}");
    desk.quit().await
}
