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
use placecode::poster::{render, FontSet, PosterInput};
use placecode::sync::RecordKind;
use placecode::venue::{Category, CodeKind, District, Venue};
use serde_json::json;
use sqlx::PgPool;
use thirtyfour::prelude::*;
use uuid::Uuid;

struct Chrome {
    driver: Option<WebDriver>,
    process: Child,
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

/// A phone: 390×844 CSS pixels, touch, WeChat's Android user agent.
async fn phone_browser() -> Chrome {
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
    let profile = tempfile_dir();
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
    caps.add_arg(&format!("--user-data-dir={}", profile.display())).expect("profile");
    caps.add_experimental_option(
        "mobileEmulation",
        json!({
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": true, "mobile": true},
            "userAgent": "Mozilla/5.0 (Linux; Android 12; V2145A) AppleWebKit/537.36 (KHTML, like Gecko) \
Version/4.0 Chrome/101.0.4951.74 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230405 MicroMessenger/8.0.35.2360 WeChat/arm64"
        }),
    )
    .expect("mobile emulation");
    if let Ok(bin) = std::env::var("CHROMIUM") {
        caps.set_binary(&bin).expect("binary");
    } else if std::path::Path::new("/usr/bin/chromium").exists() {
        caps.set_binary("/usr/bin/chromium").expect("binary");
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await.expect("chromium session");
    Chrome { driver: Some(driver), process }
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("placecode-chrome-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&d).expect("profile dir");
    d
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
    submit(driver).await;
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
    assert!(res.results.iter().all(|r| r.status == placecode::sync::PushStatus::Stored));
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
    };
    let poster = PosterInput {
        url: placecode::code::url(&s.base, &code),
        code: code.clone(),
        label: "正门".into(),
        venue,
        supervision_phone: "0371-23456789".into(),
        issued: placecode::sync::shanghai_date(Utc::now()),
        landscape: false,
    };
    let fonts = FontSet::discover().expect("fonts (make deps)");
    let scanned = scan_poster(&render(&fonts, &[poster]).expect("poster"));
    assert!(scanned.ends_with(&format!("/C/{code}")), "{scanned}");

    let chrome = phone_browser().await;
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
    placecode_central::risk::import(&pool, &s.keys.risk, format!("{red},红,密切接触者\n").as_bytes(), false)
        .await
        .unwrap();
    d.goto(&format!("{scanned}?new=1")).await.unwrap();
    wait_for(d, "#id_number").await;
    declare(d, "李红", &red).await;
    let result = wait_for(d, "#result").await;
    assert_eq!(result.attr("data-colour").await.unwrap().as_deref(), Some("red"));
    let page = text(d).await;
    assert!(page.contains("禁止进入") && page.contains("密切接触者"), "{page}");
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
    let token = placecode_central::trace::make_tracer(&pool, "疾控中心").await.unwrap();
    let res = s
        .http
        .post(s.url("/api/v1/trace/person"))
        .bearer_auth(&token)
        .json(&json!({"id_number": me, "from": Utc::now() - chrono::Duration::hours(1), "to": Utc::now() + chrono::Duration::hours(1)}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    let visits = body["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2, "{body}");
    assert!(visits.iter().all(|v| v["source"] == "phone" && v["venue_name"] == "鼓楼超市"));
}
