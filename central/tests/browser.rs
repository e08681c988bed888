//! The phone page in a real headless Chromium at a phone's size and user agent, opened from the
//! QR of a poster rendered by the desk's own poster code and decoded by zbarimg: first visit with
//! the full declaration, second visit with four digits, a red person refused, and the visits
//! found by a tracing query.
//!
//! Needs chromium, chromedriver, poppler-utils and zbar-tools (`make deps`).

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use placecode_core::sync::RecordKind;
use placecode_core::venue::{Category, CodeKind, District, Venue};
use placecode_poster::{render, FontSet, PosterInput};
use serde_json::json;
use sqlx::PgPool;
use thirtyfour::prelude::*;
use uuid::Uuid;

struct Chrome {
    driver: Option<WebDriver>,
    process: Child,
    /// The browser's profile, removed with it (each run left 3.6 MB in the temporary folder).
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/central-screenshots");
    std::fs::create_dir_all(&d).expect("screenshot folder");
    d
}

/// A phone: `width`×`height` CSS pixels, touch, WeChat's Android user agent, and the text size
/// the person chose (`font_px` is the browser's default font size: 16 normal, 24 for 150%).
async fn phone_browser(width: u32, height: u32, font_px: u32) -> Chrome {
    phone_browser_speaking(width, height, font_px, "zh-CN,zh").await
}

/// A phone whose language settings ask for `languages` (its Accept-Language).
async fn phone_browser_speaking(width: u32, height: u32, font_px: u32, languages: &'static str) -> Chrome {
    chromium(move |caps| {
        caps.add_experimental_option(
            "mobileEmulation",
            json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true},
                "userAgent": "Mozilla/5.0 (Linux; Android 12; V2145A) AppleWebKit/537.36 (KHTML, like Gecko) \
Version/4.0 Chrome/101.0.4951.74 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230405 MicroMessenger/8.0.35.2360 WeChat/arm64"
            }),
        )
        .expect("mobile emulation");
        caps.add_experimental_option(
            "prefs",
            json!({"webkit": {"webprefs": {"default_font_size": font_px, "default_fixed_font_size": font_px * 13 / 16}},
                   "intl": {"accept_languages": languages}}),
        )
        .expect("text size");
    })
    .await
}

/// An office's desktop browser, saving downloads into `downloads` without asking.
async fn office_browser(downloads: &std::path::Path) -> Chrome {
    chromium(|caps| {
        caps.add_arg("--window-size=1280,900").expect("size");
        caps.add_experimental_option(
            "prefs",
            json!({"download": {"default_directory": downloads, "prompt_for_download": false}}),
        )
        .expect("downloads");
    })
    .await
}

/// Headless Chromium through chromedriver, with `configure`'s capabilities.
async fn chromium(configure: impl FnOnce(&mut thirtyfour::ChromeCapabilities)) -> Chrome {
    let port = free_port();
    let process = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (make deps installs chromium-driver)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = tempfile::Builder::new().prefix("placecode-chrome-").tempdir().expect("profile dir");
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=zh-CN",
    ] {
        caps.add_arg(arg).expect("arg");
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).expect("profile");
    configure(&mut caps);
    if let Ok(bin) = std::env::var("CHROMIUM") {
        caps.set_binary(&bin).expect("binary");
    } else if std::path::Path::new("/usr/bin/chromium").exists() {
        caps.set_binary("/usr/bin/chromium").expect("binary");
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await.expect("chromium session");
    Chrome { driver: Some(driver), process, _profile: profile }
}

/// What a phone's camera reads off the printed poster: render the PDF, rasterise it with
/// pdftoppm, decode with zbarimg.
fn scan_poster(pdf: &[u8]) -> String {
    let dir = out_dir();
    let path = dir.join("poster.pdf");
    std::fs::write(&path, pdf).expect("pdf");
    let prefix = dir.join("poster");
    let ok = Command::new("pdftoppm")
        .args(["-r", "100", "-png", "-singlefile", path.to_str().unwrap(), prefix.to_str().unwrap()])
        .status()
        .expect("pdftoppm (make deps)");
    assert!(ok.success());
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", dir.join("poster.png").to_str().unwrap()])
        .output()
        .expect("zbarimg");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!text.is_empty(), "no QR decoded from the poster");
    text
}

async fn fill(driver: &WebDriver, id: &str, value: &str) {
    let e = driver.find(By::Id(id)).await.expect(id);
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

async fn choose(driver: &WebDriver, name: &str, value: &str) {
    driver
        .find(By::Css(format!("input[name='{name}'][value='{value}']")))
        .await
        .expect(name)
        .click()
        .await
        .expect("click");
}

async fn submit(driver: &WebDriver) {
    driver.find(By::Css("button[type=submit]")).await.expect("button").click().await.expect("submit");
}

async fn text(driver: &WebDriver) -> String {
    driver
        .execute("return document.body.innerText", vec![])
        .await
        .expect("innerText")
        .json()
        .as_str()
        .unwrap_or("")
        .to_owned()
}

async fn wait_for(driver: &WebDriver, css: &str) -> WebElement {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(e) = driver.find(By::Css(css)).await {
            return e;
        }
        assert!(Instant::now() < deadline, "{css} did not appear: {}", text(driver).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until an element matching `css` holds `needle`. A page that answers a form reloads: the
/// element of the answer before stays on screen until the new page replaces it, so waiting for
/// the element alone can read the old answer.
async fn wait_for_text(driver: &WebDriver, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(e) = driver.find(By::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return t;
                }
            }
        }
        assert!(Instant::now() < deadline, "{css} did not say {needle}: {}", text(driver).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn shot(driver: &WebDriver, name: &str) {
    let png = driver.screenshot_as_png().await.expect("screenshot");
    std::fs::write(out_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn declare(driver: &WebDriver, name: &str, id: &str) {
    fill(driver, "name", name).await;
    fill(driver, "id_number", id).await;
    fill(driver, "address", "开封市鼓楼区中山路1号").await;
    fill(driver, "phone", "13837800003").await;
    fill(driver, "temperature", "36.6").await;
    choose(driver, "visited_risk_area", "no").await;
    choose(driver, "contact_with_suspected", "no").await;
    choose(driver, "temperature_normal", "yes").await;
    submit(driver).await;
}

/// The result's colour word, live clock and moving bar are inside the screen, the clock on one
/// line, at the top of the page and after scrolling to its end.
async fn clock_in_view(driver: &WebDriver, state: &str) {
    for scroll in ["window.scrollTo(0, 0)", "window.scrollTo(0, document.body.scrollHeight)"] {
        driver.execute(scroll, vec![]).await.expect("scroll");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let box_: Vec<f64> = driver
            .execute(
                "var c=document.getElementById('clock'),t=document.querySelector('.track'),\
                 r=c.getBoundingClientRect(),q=t.getBoundingClientRect(),fs=parseFloat(getComputedStyle(c).fontSize);\
                 return [r.top,r.bottom,r.left,r.right,q.top,q.bottom,innerWidth,innerHeight,r.height/fs];",
                vec![],
            )
            .await
            .expect("clock box")
            .convert()
            .expect("numbers");
        let [top, bottom, left, right, bar_top, bar_bottom, w, h, lines] = box_[..] else { panic!("{box_:?}") };
        assert!(top >= 0.0 && bottom <= h && left >= 0.0 && right <= w, "{state} {scroll}: clock at {box_:?}");
        assert!(bar_top >= 0.0 && bar_bottom <= h, "{state} {scroll}: bar at {box_:?}");
        assert!(lines < 2.0, "{state}: the clock wraps ({box_:?})");
    }
    driver.execute("window.scrollTo(0, 0)", vec![]).await.expect("scroll");
}

async fn visits(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM visits").fetch_one(pool).await.expect("count")
}

#[sqlx::test]
async fn a_printed_posters_qr_checks_a_phone_in(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let desk = s.desk(&["gulou"], &[]).await;
    // The desk registers its venue and issues a code; both reach the server.
    let venue_id = Uuid::now_v7();
    let code = desk.key.sign(CodeKind::General, 1);
    let res = desk
        .push(&[
            venue_record(venue_id, "鼓楼超市", CodeKind::General),
            record(RecordKind::Code, json!({"code": code, "venue_id": venue_id, "label": "正门"})),
        ])
        .await;
    assert!(res.results.iter().all(|r| r.status == placecode_core::sync::PushStatus::Stored));
    // The desk prints the poster for the server's public address.
    let venue = Venue {
        id: venue_id.to_string(),
        kind: CodeKind::General,
        category: Category::Mall,
        name: "鼓楼超市".into(),
        district: District::Gulou,
        address: "鼓楼区中山路100号".into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
        manager_name_masked: "王**".into(),
        manager_phone_masked: "138****0001".into(),
        served: true,
        created_at: String::new(),
        updated_at: String::new(),
        rejected: None,
    };
    let poster = PosterInput {
        url: placecode_core::code::url(&s.base, &code),
        code: code.clone(),
        label: "正门".into(),
        venue,
        supervision_phone: "0371-23456789".into(),
        issued: placecode_core::sync::shanghai_date(Utc::now()),
        landscape: false,
    };
    let fonts = FontSet::discover().expect("fonts (make deps)");
    let scanned = scan_poster(&render(&fonts, &[poster]).expect("poster"));
    assert!(scanned.ends_with(&format!("/C/{code}")), "{scanned}");

    let chrome = phone_browser(390, 844, 16).await;
    let d = chrome.driver.as_ref().expect("driver");
    // First visit: the full declaration.
    d.goto(&scanned).await.expect("open the scanned URL");
    wait_for(d, "#id_number").await;
    let width: i64 = d.execute("return window.innerWidth", vec![]).await.unwrap().convert().unwrap();
    assert!(width <= 400, "phone viewport, got {width}");
    shot(d, "phone-1-declaration").await;
    let me = resident_id(7001);
    declare(d, "王建国", &me).await;
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    let page = text(d).await;
    assert!(page.contains("绿码") && page.contains("王**") && page.contains("鼓楼超市"), "{page}");
    // The clock is live: a screenshot would not change.
    let clock1 = d.find(By::Id("clock")).await.unwrap().text().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let clock2 = d.find(By::Id("clock")).await.unwrap().text().await.unwrap();
    assert!(!clock1.is_empty() && clock1 != clock2, "{clock1} / {clock2}");
    let animated: String = d
        .execute("return getComputedStyle(document.querySelector('.dot')).animationName", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(animated, "run");
    shot(d, "phone-2-green").await;

    // Second visit: four digits.
    d.goto(&scanned).await.unwrap();
    wait_for(d, "#last4").await;
    assert!(d.find(By::Id("id_number")).await.is_err());
    fill(d, "last4", &me[14..]).await;
    shot(d, "phone-3-last4").await;
    submit(d).await;
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("green"));

    // A red person on the same phone is refused.
    let red = resident_id(7002);
    placecode_central::risk::import(&pool, &s.keys, format!("{red},红,密切接触者\n").as_bytes(), false).await.unwrap();
    d.goto(&format!("{scanned}?new=1")).await.unwrap();
    wait_for(d, "#relation").await;
    d.find(By::Css("#relation option:nth-child(2)")).await.unwrap().click().await.unwrap();
    declare(d, "李红", &red).await;
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("red"));
    let page = text(d).await;
    // The colour and what to do; never the risk list's reason.
    assert!(page.contains("禁止进入") && !page.contains("密切接触者") && page.contains("12345"), "{page}");
    let bg: String = d
        .execute("return getComputedStyle(document.getElementById('result')).backgroundColor", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(bg, "rgb(196, 13, 13)");
    shot(d, "phone-4-red").await;

    // A validation error shows on the page, in Chinese, by the field.
    d.goto(&format!("{scanned}?new=1")).await.unwrap();
    wait_for(d, "#id_number").await;
    declare(d, "张三", "410202198001011230").await;
    let banner = wait_for(d, "#errors").await;
    assert!(banner.text().await.unwrap().contains("身份证号："));
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }

    // The visits are found by a tracing query.
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心", 30, &[]).await.unwrap();
    let res = s
        .http
        .post(s.url("/api/v1/trace/person"))
        .bearer_auth(&token)
        .json(&json!({"purpose": "流调测试", "id_number": me, "from": Utc::now() - chrono::Duration::hours(1), "to": Utc::now() + chrono::Duration::hours(1)}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    let visits = body["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2, "{body}");
    assert!(visits.iter().all(|v| v["source"] == "phone" && v["venue_name"] == "鼓楼超市"));
}

/// A foreign permanent resident on an ordinary phone: the document kind is chosen from the list,
/// the keyboard turns to letters for a card that has them, the declaration is green and filed
/// with its kind, and the next visit needs only the last four.
#[sqlx::test]
async fn a_foreign_permanent_resident_declares_and_returns_by_the_last_four(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("清明上河园（南门）", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let chrome = phone_browser(390, 844, 16).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(&url).await.expect("open");
    wait_for(d, "#document_kind").await;
    let mode = || async { d.find(By::Id("id_number")).await.unwrap().attr("inputmode").await.unwrap() };
    assert_eq!(mode().await.as_deref(), Some("numeric"), "a resident ID by default: the number pad");
    d.find(By::Css("#document_kind option[value='foreign_permanent_resident']")).await.unwrap().click().await.unwrap();
    assert_eq!(mode().await.as_deref(), Some("text"), "the 2004/2017 card has letters");
    fill(d, "name", "Anna O'Neil-Smith").await;
    fill(d, "id_number", "usa410285061515").await;
    fill(d, "address", "开封市龙亭区中山路北段1号").await;
    choose(d, "visited_risk_area", "no").await;
    choose(d, "contact_with_suspected", "no").await;
    choose(d, "temperature_normal", "yes").await;
    shot(d, "phone-20-foreign-resident-declares").await;
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    let shown = text(d).await;
    assert!(shown.contains("1515") && !shown.contains("USA410285061515"), "{shown}");
    let kinds: Vec<(String,)> = sqlx::query_as("SELECT document_kind FROM people").fetch_all(&pool).await.unwrap();
    assert_eq!(kinds, [("foreign_permanent_resident".to_owned(),)]);

    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    fill(d, "last4", "1515").await;
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    shot(d, "phone-21-foreign-resident-returns").await;
    assert_eq!(visits(&pool).await, 2);
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// 扫码屏 in Chromium: at an entrance that takes only its screen, the poster's page is refused
/// with what to do; the screen's live code checks the phone in marked present (到场核验); a
/// photo of the screen opened minutes later is refused.
#[sqlx::test]
async fn a_screen_code_checks_in_present_and_a_forwarded_photo_is_refused(pool: PgPool) {
    use placecode_core::rotating;
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("清明上河园（南门）", CodeKind::General).await;
    let only =
        record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门", "rotating_only": true}));
    desk.push(&[only]).await;
    let screen = |at: chrono::DateTime<Utc>| {
        let parsed = placecode_core::code::parse(&code).unwrap();
        rotating::url(&s.base, &code, &rotating::sign(&desk.key, &parsed, rotating::Window::at(at, 30)).unwrap())
    };
    let chrome = phone_browser(390, 844, 16).await;
    let d = chrome.driver.as_ref().expect("driver");

    d.goto(&s.url(&format!("/c/{code}"))).await.expect("open");
    let shown = text(d).await;
    assert!(shown.contains("请扫描现场屏幕上的码") && shown.contains("张贴的码或保存的链接不能登记"), "{shown}");
    shot(d, "phone-40-screen-only-poster-refused").await;

    d.goto(&screen(Utc::now())).await.expect("open");
    declare(d, "王建国", &resident_id(8801)).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    let present = wait_for(d, "#present").await.text().await.unwrap();
    assert!(present.contains("到场核验"), "{present}");
    shot(d, "phone-41-screen-present").await;

    d.goto(&screen(Utc::now() - chrono::Duration::minutes(6))).await.expect("open");
    let shown = text(d).await;
    assert!(shown.contains("此码已过期") && shown.contains("转发的截图或照片不能登记"), "{shown}");
    shot(d, "phone-42-screen-photo-refused").await;
    assert_eq!(visits(&pool).await, 1);
    let marked: i64 = sqlx::query_scalar("SELECT count(*) FROM visits WHERE present").fetch_one(&pool).await.unwrap();
    assert_eq!(marked, 1);
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// A tourist's phone set to English: the form, its reasons and the result are in English; a
/// passport holder checks in; the link to 中文 turns the pages Chinese.
#[sqlx::test]
async fn a_tourists_phone_in_english_checks_in_with_a_passport(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("清明上河园（南门）", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let chrome = phone_browser_speaking(390, 844, 16, "en-US,en").await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(&url).await.expect("open");
    wait_for(d, "#document_kind").await;
    let lang: String = d.execute("return document.documentElement.lang", vec![]).await.unwrap().convert().unwrap();
    assert_eq!(lang, "en");
    let page = text(d).await;
    assert!(page.contains("First visit") && page.contains("Send and check in"), "{page}");
    d.find(By::Css("#document_kind option[value='passport']")).await.unwrap().click().await.unwrap();
    fill(d, "name", "John O'Neil-Smith").await;
    fill(d, "id_number", "X1234567").await;
    fill(d, "address", "开封市龙亭区中山路北段1号").await;
    choose(d, "visited_risk_area", "no").await;
    choose(d, "contact_with_suspected", "no").await;
    submit(d).await;
    // The question left unanswered is named, in English.
    wait_for(d, "#errors").await;
    let page = text(d).await;
    assert!(page.contains("please choose Yes or No"), "{page}");
    shot(d, "phone-22-english-question-named").await;
    choose(d, "temperature_normal", "yes").await;
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    let page = text(d).await;
    assert!(page.contains("You may enter") && page.contains("Green") && page.contains("4567"), "{page}");
    assert!(!page.contains("X1234567"), "the number masked: {page}");
    shot(d, "phone-23-english-result").await;

    // 中文 on the page for someone else: the same page in Chinese (its query kept), and it stays so.
    d.goto(&format!("{url}?new=1")).await.unwrap();
    let link = wait_for(d, "#lang").await;
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.contains("new=1") && href.contains("lang=zh"), "{href}");
    link.click().await.unwrap();
    wait_for(d, "#relation").await;
    let lang: String = d.execute("return document.documentElement.lang", vec![]).await.unwrap().convert().unwrap();
    assert_eq!(lang, "zh-CN");
    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    assert!(text(d).await.contains("欢迎再次登记"));
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// A small phone (320×568) with the text at 150%: questions named when unanswered, a vague
/// address refused, an ID ending in X typed with the X key, a double tap and a reload storing
/// one visit, and the clock and bar in view on green, a group, yellow and red.
#[sqlx::test]
async fn a_small_phone_with_large_text_checks_in_once_and_always_sees_the_clock(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼区西司门农贸市场（东门入口）", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let chrome = phone_browser(320, 568, 24).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(&url).await.expect("open");
    wait_for(d, "#id_number").await;
    let root: String = d
        .execute("return getComputedStyle(document.documentElement).fontSize", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(root, "24px", "the phone's text size applies");

    // An ID number ending in X, typed on a number pad: 17 digits, then the X key.
    let me = (1..).map(resident_id).find(|n| n.ends_with('X')).expect("an X number");
    fill(d, "name", "王建国").await;
    fill(d, "id_number", &me[..17]).await;
    d.find(By::Css("button.xkey[data-for=id_number]")).await.unwrap().click().await.unwrap();
    fill(d, "address", "附近").await;
    choose(d, "contact_with_suspected", "no").await;
    submit(d).await;
    let banner = wait_for(d, "#errors").await.text().await.unwrap();
    for m in ["是否到过疫情严重地区：请选择", "体温是否异常：请选择", "住址：缺少路、街、村等位置信息"]
    {
        assert!(banner.contains(m), "{m} in {banner}");
    }
    let typed: String =
        d.execute("return document.getElementById('id_number').value", vec![]).await.unwrap().convert().unwrap();
    assert_eq!(typed, me, "the X key completed the number and it was kept");
    shot(d, "phone-5-errors-small-large-text").await;
    assert_eq!(visits(&pool).await, 0);

    fill(d, "address", "鼓楼区中山路18号院").await;
    choose(d, "visited_risk_area", "no").await;
    choose(d, "temperature_normal", "yes").await;
    // A double tap: the second tap finds the button already 提交中 and disabled.
    let label: String = d
        .execute("var b=document.getElementById('send');b.click();var t=b.textContent;b.click();return t", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(label, "提交中…");
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    clock_in_view(d, "green").await;
    shot(d, "phone-6-green-small-large-text").await;
    d.refresh().await.expect("reload");
    wait_for(d, "#result").await;
    assert_eq!(visits(&pool).await, 1, "a double tap and a reload store one visit");

    // Someone else on this phone, then both ticked: no last four needed with the owner ticked.
    d.goto(&format!("{url}?new=1")).await.unwrap();
    wait_for(d, "#relation").await;
    assert!(text(d).await.contains("为他人登记"));
    d.find(By::Css("#relation option:nth-child(3)")).await.unwrap().click().await.unwrap();
    declare(d, "王小明", &resident_id(9009)).await;
    wait_for(d, "#result").await;
    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    for b in d.find_all(By::Css("input[name=with]")).await.unwrap() {
        b.click().await.unwrap();
    }
    submit(d).await;
    wait_for(d, "#result").await;
    assert_eq!(d.find_all(By::Css(".who")).await.unwrap().len(), 2);
    clock_in_view(d, "group").await;
    shot(d, "phone-7-group-small-large-text").await;

    // Four digits ending in X, with the X key.
    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    fill(d, "last4", &me[14..17]).await;
    d.find(By::Css("button.xkey[data-for=last4]")).await.unwrap().click().await.unwrap();
    shot(d, "phone-8-last4-x").await;
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    assert_eq!(visits(&pool).await, 5);

    // Yellow by a declaration, and red on the risk list: the clock in view, help at the end.
    d.goto(&format!("{url}?new=1")).await.unwrap();
    wait_for(d, "#relation").await;
    d.find(By::Css("#relation option:nth-child(2)")).await.unwrap().click().await.unwrap();
    fill(d, "name", "李秀英").await;
    fill(d, "id_number", &resident_id(9010)).await;
    fill(d, "address", "鼓楼区中山路18号院").await;
    choose(d, "visited_risk_area", "yes").await;
    choose(d, "contact_with_suspected", "no").await;
    choose(d, "temperature_normal", "yes").await;
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("yellow"));
    clock_in_view(d, "yellow").await;
    assert!(text(d).await.contains("12345"));
    shot(d, "phone-9-yellow-small-large-text").await;

    // The family together, one of them yellow: each person in their own colour, who is who,
    // and whether each may enter.
    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    for b in d.find_all(By::Css("input[name=with]")).await.unwrap() {
        b.click().await.unwrap();
    }
    submit(d).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("yellow"));
    let cards: Vec<String> = d
        .execute("return [...document.querySelectorAll('.who')].map(e => e.dataset.colour + ' ' + e.innerText)", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(cards.len(), 3, "{cards:?}");
    assert!(cards.iter().any(|c| c.starts_with("yellow") && c.contains("不能进入") && c.contains("父母")), "{cards:?}");
    assert_eq!(cards.iter().filter(|c| c.starts_with("green") && c.contains("可以进入")).count(), 2, "{cards:?}");
    clock_in_view(d, "family").await;
    shot(d, "phone-9b-family-mixed-small-large-text").await;
    let red = resident_id(9011);
    placecode_central::risk::import(&pool, &s.keys, format!("{red},红,密切接触者\n").as_bytes(), false).await.unwrap();
    d.goto(&format!("{url}?new=1")).await.unwrap();
    wait_for(d, "#relation").await;
    d.find(By::Css("#relation option:nth-child(4)")).await.unwrap().click().await.unwrap();
    declare(d, "赵红", &red).await;
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("red"));
    clock_in_view(d, "red").await;
    let page = text(d).await;
    assert!(!page.contains("密切接触者") && page.contains("如对结果有疑问"), "{page}");
    shot(d, "phone-10-red-small-large-text").await;

    // A result page left open: when its few minutes end it reloads and shows no colour.
    sqlx::query("UPDATE phone_results SET at = at - interval '4 minutes 57 seconds'").execute(&pool).await.unwrap();
    d.refresh().await.unwrap();
    assert_eq!(wait_for(d, "#result").await.attr("data-colour").await.unwrap().as_deref(), Some("red"));
    wait_for(d, "#expired").await;
    assert!(d.find(By::Id("result")).await.is_err());
    shot(d, "phone-11-expired").await;
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// At a rush the server refuses what it cannot serve at once. The phone is told to wait (429,
/// never a server error), says so on its button, and sends the same form again by itself when
/// told: one check-in, stored once, with nobody pressing anything.
#[sqlx::test]
async fn a_busy_door_tells_the_phone_to_wait_and_it_sends_again_by_itself(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let cfg = placecode_central::ServeConfig { max_concurrent: 1, request_timeout_secs: 20, ..serve_config(100_000) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼区西司门农贸市场", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let chrome = phone_browser(390, 844, 16).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(&url).await.expect("open");
    wait_for(d, "#id_number").await;
    let me = resident_id(4242);
    declare(d, "李秀英", &me).await;
    wait_for(d, "#result").await;
    d.goto(&url).await.unwrap();
    wait_for(d, "#last4").await;
    fill(d, "last4", &me[14..]).await;

    // A slow desk push holds the only slot the server has.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/push HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: 1000\r\n\r\n{{\"records\": [",
        desk.credential
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Where the page sends its form, and what it hears back.
    d.execute(
        "sessionStorage.setItem('sent','[]');var f0=window.fetch;window.fetch=function(u,o){return f0(u,o)\
         .then(function(r){var s=JSON.parse(sessionStorage.getItem('sent'));s.push([String(u),r.status]);\
         sessionStorage.setItem('sent',JSON.stringify(s));return r})}",
        vec![],
    )
    .await
    .unwrap();
    submit(d).await;
    let deadline = Instant::now() + Duration::from_secs(4);
    let waiting = loop {
        let label = d.find(By::Id("send")).await.unwrap().text().await.unwrap();
        if label.contains("排队中") || Instant::now() > deadline {
            break label;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(waiting.contains("排队中") && waiting.contains("秒后自动重试"), "{waiting}");
    shot(d, "phone-busy-waits").await;
    // The button counts down.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = d.find(By::Id("send")).await.unwrap().text().await.unwrap();
    assert!(later != waiting && later.contains("秒后自动重试"), "{waiting} then {later}");
    assert_eq!(visits(&pool).await, 1, "nothing stored while told to wait");
    // The rush passes; the phone sends again by itself.
    drop(slow);
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("green"));
    assert_eq!(visits(&pool).await, 2, "the retried form is one check-in");
    // The same form went to the code's address each time: told to wait, then its result.
    let path = format!("/c/{code}");
    let sent: Vec<(String, u16)> = d
        .execute("return JSON.parse(sessionStorage.getItem('sent')||'[]')", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap_or_default();
    assert!(sent.len() >= 2, "{sent:?}");
    assert!(sent.iter().all(|(u, _)| u.ends_with(&path)), "{sent:?}");
    assert_eq!(sent.first().map(|(_, s)| *s), Some(429), "{sent:?}");
    assert_eq!(sent.last().map(|(_, s)| *s), Some(200), "{sent:?}");
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// A full venue (限流) says so on the page a phone opens, before the form is filled in; sent
/// anyway, the form waits and says why above its counting-down button.
#[sqlx::test]
async fn a_full_venue_says_so_before_and_while_the_phone_waits(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼区西司门农贸市场", CodeKind::General).await;
    let limit = json!({"venue_id": venue, "limit": {"capacity": 1, "percent": 100, "stay_minutes": 120}});
    desk.push(&[record(RecordKind::VenueLimit, limit), visit_record(venue, &resident_id(4301), "王建国", Utc::now())])
        .await;
    let chrome = phone_browser(390, 844, 16).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(&s.url(&format!("/c/{code}"))).await.expect("open");
    let before = wait_for(d, "#wait-why").await.text().await.unwrap();
    assert!(before.contains("本场所正在限流：场内1人，限1人"), "{before}");
    shot(d, "phone-50-full-before").await;
    declare(d, "李秀英", &resident_id(4302)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let waiting = loop {
        let label = d.find(By::Id("send")).await.unwrap().text().await.unwrap();
        if label.contains("排队中") || Instant::now() > deadline {
            break label;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(waiting.contains("秒后自动重试"), "{waiting}");
    // Said just above the button, where the phone's user is looking.
    let why = d.find(By::Id("wait-now")).await.unwrap().text().await.unwrap();
    assert!(why.contains("场内1人，限1人") && why.contains("提交后手机会自动排队"), "{why}");
    d.execute("document.getElementById('send').scrollIntoView({block:'end'})", vec![]).await.unwrap();
    shot(d, "phone-51-full-waiting").await;
    assert_eq!(visits(&pool).await, 1, "nothing stored while it waits");
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// 场内人数 in an office's browser: 鼓楼区's supervisor sees a venue inside its limit, gives a
/// 限流令 by the form (the share typed with its sign), sees the venue full, and lifts the order
/// only through its confirmation.
#[sqlx::test]
async fn a_district_supervisor_gives_and_lifts_a_limit_order_in_the_browser(pool: PgPool) {
    use placecode_central::console::account::{self, Role};
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, _) = desk.venue_with_code("鼓楼区西司门农贸市场", CodeKind::General).await;
    let limit = json!({"venue_id": venue, "limit": {"capacity": 10, "percent": 80, "stay_minutes": 120}});
    let inside: Vec<_> = (0..3).map(|i| visit_record(venue, &resident_id(4400 + i), "王建国", Utc::now())).collect();
    desk.push(&[vec![record(RecordKind::VenueLimit, limit)], inside].concat()).await;
    let password = "鼓楼区疫情防控2026！";
    let created = account::add(
        &pool,
        &s.keys,
        &placecode_central::audit::Actor::cli(""),
        "gulou.jg",
        "王丽",
        Role::District(placecode_core::venue::District::Gulou),
        password,
    )
    .await
    .expect("user");
    let downloads = tempfile::tempdir().expect("downloads");
    let chrome = office_browser(downloads.path()).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(s.url("/console/login")).await.expect("open");
    fill(d, "login", "gulou.jg").await;
    fill(d, "password", password).await;
    fill(d, "code", &account::totp_code(&created.totp_secret, Utc::now()).expect("code")).await;
    submit(d).await;
    wait_for(d, "[data-testid=coverage-table]").await;
    d.goto(s.url("/console/occupancy")).await.expect("open");
    let row = wait_for(d, "[data-testid=occupancy-row]").await.text().await.unwrap();
    assert!(row.contains("鼓楼区西司门农贸市场") && row.contains("80%") && row.contains("37%"), "{row}");
    shot(d, "console-occupancy").await;

    fill(d, "order-percent", "30").await;
    d.find(By::Css("[data-testid=order-submit]")).await.unwrap().click().await.unwrap();
    let done = wait_for(d, "[data-testid=occupancy-done]").await.text().await.unwrap();
    assert!(done.contains("限流令已下达"), "{done}");
    let order = d.find(By::Css("[data-testid=order-row]")).await.unwrap().text().await.unwrap();
    assert!(order.contains("鼓楼区") && order.contains("30%") && order.contains("王丽（gulou.jg）"), "{order}");
    let row = d.find(By::Css("[data-testid=occupancy-row]")).await.unwrap().text().await.unwrap();
    assert!(row.contains("已满"), "3 inside, 3 allowed: {row}");
    shot(d, "console-occupancy-ordered").await;

    // 解除 asks first: the confirming button is hidden until 解除 is opened.
    let confirm = d.find(By::Css("[data-testid=order-lift]")).await.unwrap();
    assert!(!confirm.is_displayed().await.unwrap());
    d.find(By::Css("[data-testid=order-lift-open]")).await.unwrap().click().await.unwrap();
    assert!(confirm.is_displayed().await.unwrap());
    shot(d, "console-occupancy-lift").await;
    confirm.click().await.unwrap();
    wait_for_text(d, "[data-testid=occupancy-done]", "限流令已解除").await;
    assert!(d.find(By::Css("[data-testid=orders-none]")).await.is_ok());
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}

/// The supervision console in an office's browser: the sign-in page (password and the code of
/// an authenticator app), the coverage table, its Excel export downloaded and read back, 退出.
#[sqlx::test]
async fn a_supervisor_signs_in_reads_coverage_and_downloads_it(pool: PgPool) {
    use placecode_central::console::account::{self, Role};
    let s = Server::start(pool.clone()).await;
    venues_in_two_districts(&s).await;
    let password = "鼓楼区疫情防控2026！";
    let created = account::add(
        &pool,
        &s.keys,
        &placecode_central::audit::Actor::cli(""),
        "zhangmin",
        "张敏",
        Role::City,
        password,
    )
    .await
    .expect("user");
    let downloads = tempfile::tempdir().expect("downloads");
    let chrome = office_browser(downloads.path()).await;
    let d = chrome.driver.as_ref().expect("driver");
    d.goto(s.url("/console")).await.expect("open");
    wait_for(d, "#login").await;
    assert!(d.current_url().await.unwrap().as_str().ends_with("/console/login"));
    shot(d, "console-sign-in").await;
    // A wrong code first: the page says so, keeps the name, and forgets the password.
    fill(d, "login", "zhangmin").await;
    fill(d, "password", password).await;
    fill(d, "code", "000000").await;
    submit(d).await;
    let error = wait_for(d, "[data-testid=login-error]").await.text().await.unwrap();
    assert_eq!(error, "用户名、密码或动态验证码不正确");
    assert_eq!(d.find(By::Id("login")).await.unwrap().value().await.unwrap().as_deref(), Some("zhangmin"));
    assert_eq!(d.find(By::Id("password")).await.unwrap().value().await.unwrap().as_deref(), Some(""));
    fill(d, "password", password).await;
    fill(d, "code", &account::totp_code(&created.totp_secret, Utc::now()).expect("code")).await;
    submit(d).await;
    wait_for(d, "[data-testid=coverage-table]").await;
    let page = text(d).await;
    assert!(page.contains("张敏 · 市级监管") && page.contains("场所码覆盖情况"), "{page}");
    let row = d.find(By::Css("[data-testid=coverage-row]")).await.unwrap().text().await.unwrap();
    assert!(row.starts_with("鼓楼区") && row.contains("商场超市"), "{row}");
    shot(d, "console-coverage").await;

    // 导出Excel: the browser saves the workbook; it reads back with the same rows.
    d.find(By::Css("[data-testid=coverage-export]")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let saved = loop {
        let done = std::fs::read_dir(downloads.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if let Some(p) = done {
            break p;
        }
        assert!(Instant::now() < deadline, "no workbook downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let name = saved.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("场所码覆盖情况-全部辖区-"), "{name}");
    use calamine::Reader;
    let mut book = calamine::open_workbook::<calamine::Xlsx<_>, _>(&saved).expect("xlsx");
    let sheet = book.worksheet_range("覆盖情况").expect("sheet");
    let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(cells[0][..5], ["辖区", "场所类型", "已登记", "审核通过", "已发码"].map(String::from));
    assert!(cells.iter().any(|r| r[..5] == ["龙亭区", "农贸市场", "1", "1", "1"].map(String::from)), "{cells:?}");

    // 无码场所: the regulator's list, saved by Excel as GBK, picked in the file chooser.
    let list = downloads.path().join("应赋码场所名单.csv");
    let csv = "场所名称,详细地址,所在辖区,场所类型,联系人,联系电话\r\n\
               鼓楼超市,鼓楼区中山路100号,鼓楼区,商场超市,王建国,13837800001\r\n\
               龙亭花店,龙亭区北门大街9号,龙亭,花店,赵敏,13837800006\r\n";
    std::fs::write(&list, encoding_rs::GBK.encode(csv).0).expect("list");
    d.find(By::Css("a[href='/console/places']")).await.unwrap().click().await.unwrap();
    d.find(By::Id("file")).await.unwrap().send_keys(list.to_str().unwrap()).await.unwrap();
    d.find(By::Css("[data-testid=places-upload]")).await.unwrap().click().await.unwrap();
    let report = wait_for(d, "[data-testid=places-report]").await.text().await.unwrap();
    assert!(report.contains("2 行，新增 2") && report.contains("“花店”不是本系统的场所类型"), "{report}");
    let row = wait_for(d, "[data-testid=places-row]").await;
    let shown = row.text().await.unwrap();
    assert!(shown.contains("龙亭花店") && shown.contains("未登记") && shown.contains("13837800006"), "{shown}");
    assert!(!text(d).await.contains("鼓楼超市"), "the supermarket has a live code");
    // 记录催办 under the row: how, a note, Enter.
    row.find(By::Css("summary")).await.unwrap().click().await.unwrap();
    row.find(By::Css("select[name=how]")).await.unwrap().send_keys("上门").await.unwrap();
    row.find(By::Css("input[name=note]")).await.unwrap().send_keys("已上门告知负责人\u{E007}").await.unwrap();
    let done = wait_for(d, "[data-testid=places-done]").await.text().await.unwrap();
    assert_eq!(done, "已记录催办");
    let shown = wait_for(d, "[data-testid=places-row]").await.text().await.unwrap();
    assert!(shown.contains("上门 · zhangmin：已上门告知负责人"), "{shown}");
    shot(d, "console-places").await;

    // 登记动态: ECharts draws each chart on a canvas, from the server's own copy of the library.
    d.find(By::Css("a[href='/console/activity']")).await.unwrap().click().await.unwrap();
    for chart in ["chart-hours", "chart-days", "chart-ways", "chart-areas"] {
        wait_for(d, &format!("#{chart} canvas")).await;
    }
    let drawn: bool = d
        .execute(
            "return echarts.getInstanceByDom(document.getElementById('chart-days')).getOption().series.length === 3",
            vec![],
        )
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert!(drawn, "the days chart has its three colours");
    shot(d, "console-activity").await;

    // 流调查询 with a purpose: the visits, masked for the city's supervisor, and a timeline.
    d.find(By::Css("a[href='/console/trace']")).await.unwrap().click().await.unwrap();
    fill(d, "id_number", &resident_id(1)).await;
    fill(d, "purpose", "流调2026-118号").await;
    d.find(By::Css("[data-testid=trace-run]")).await.unwrap().click().await.unwrap();
    let row = wait_for(d, "[data-testid=trace-row]").await.text().await.unwrap();
    assert!(row.contains("鼓楼超市") && row.contains("李**") && !row.contains(&resident_id(1)), "{row}");
    wait_for(d, "[data-testid=trace-timeline]").await;
    shot(d, "console-trace").await;
    // The trace is in the audit log with its purpose, the person masked.
    d.find(By::Css("a[href='/console/audit']")).await.unwrap().click().await.unwrap();
    let first = wait_for(d, "[data-testid=audit-row]").await;
    let audit = text(d).await;
    assert!(audit.contains("查询某人行程") && audit.contains("流调2026-118号"), "{audit}");
    assert!(!audit.contains(&resident_id(1)), "the audit shows the person masked");
    drop(first);

    // 退出: back to the sign-in page, and the console is closed to this browser.
    d.find(By::Css("[data-testid=console-sign-out]")).await.unwrap().click().await.unwrap();
    let note = wait_for(d, "[data-testid=login-note]").await.text().await.unwrap();
    assert_eq!(note, "已退出登录");
    d.goto(s.url("/console/coverage")).await.unwrap();
    wait_for(d, "#login").await;
    if let Some(driver) = chrome.driver.clone() {
        driver.quit().await.ok();
    }
}
