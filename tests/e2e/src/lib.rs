//! A harness for driving the real desk binary: one tauri-driver per app instance, each with its
//! own data folder, so tests are independent and a restart keeps the same database.
//!
//! Needs a display (`xvfb-run`), `tauri-driver` on PATH and the desk binary built
//! (`make app`); `make test` arranges all three.

pub mod packages;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use thirtyfour::prelude::*;

/// How long [`DeskApp::wait_text`] waits: a first poster or slip loads the fonts, which on a
/// loaded two-core machine (two desks, the centre and PostgreSQL at once) has taken over 10 s.
pub const WAIT_TEXT: Duration = Duration::from_secs(30);

/// The language the suite drives the desk in: Chinese, or English when `PLACECODE_E2E_LANG=en`
/// (`make test` runs the suite once in each).
pub fn english() -> bool {
    std::env::var("PLACECODE_E2E_LANG").is_ok_and(|l| l == "en")
}

/// The desk's text in the language the suite runs in: `zh` as the Chinese desk says it, `en` as
/// the English desk does. Names, addresses and other data typed in stay as typed in both.
pub fn say<'a>(zh: &'a str, en: &'a str) -> &'a str {
    if english() {
        en
    } else {
        zh
    }
}

/// The workspace's target folder.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn app_binary() -> PathBuf {
    let bin = std::env::var_os("PLACECODE_DESK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug/placecode-desk"));
    assert!(bin.exists(), "desk binary {} not found: run `make app` first", bin.display());
    bin.canonicalize().expect("absolute path of the desk binary")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn wait_for_port(port: u16, deadline: Instant) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// WebKitGTK's switch for drawing without compositing.
pub const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// A running desk app under WebDriver.
pub struct DeskApp {
    pub driver: WebDriver,
    tauri_driver: Child,
}

impl DeskApp {
    /// Starts the app on the database in `data_dir` and waits for its first screen.
    pub async fn start(data_dir: &Path) -> WebDriverResult<DeskApp> {
        DeskApp::start_with_env(data_dir, &[]).await
    }

    /// Starts the app on `data_dir` in whatever language the last desk left it (the others
    /// start in the suite's, [`english`]).
    pub async fn start_as_left(data_dir: &Path) -> WebDriverResult<DeskApp> {
        let log = data_dir.with_extension("tauri-driver.log");
        DeskApp::launch(&app_binary(), &log, &[("PLACECODE_DATA_DIR", data_dir)]).await
    }

    /// [`Desk::start`] with more environment for the app (e.g. `PLACECODE_SAVE_DIR`, which
    /// answers the native save dialog that WebDriver cannot reach).
    pub async fn start_with_env(data_dir: &Path, env: &[(&str, &Path)]) -> WebDriverResult<DeskApp> {
        let mut env = env.to_vec();
        env.push(("PLACECODE_DATA_DIR", data_dir));
        DeskApp::start_program(&app_binary(), &data_dir.with_extension("tauri-driver.log"), &env).await
    }

    /// Starts `program` (the desk as built, or as a package installed it) with only `env` added
    /// to this process's environment, logging tauri-driver to `log`, and waits for its first
    /// screen.
    pub async fn start_program(program: &Path, log: &Path, env: &[(&str, &Path)]) -> WebDriverResult<DeskApp> {
        let desk = DeskApp::launch(program, log, env).await?;
        desk.speak(if english() { "en" } else { "zh-CN" }).await?;
        Ok(desk)
    }

    async fn launch(program: &Path, log: &Path, env: &[(&str, &Path)]) -> WebDriverResult<DeskApp> {
        // The desk turns WebKit's compositing off for its memory (src-tauri/src/main.rs); drawn
        // that way, WebKitWebDriver's screenshot at times never answers (seen with the desk's
        // start-up dialog up, and once on a plain form). The tests draw with it, unless a caller
        // (the memory benchmark) names the desk's own setting.
        let mut env = env.to_vec();
        if !env.iter().any(|(k, _)| *k == COMPOSITING) {
            env.push((COMPOSITING, Path::new("0")));
        }
        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(log).expect("driver log");
        let tauri_driver = Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("GSETTINGS_BACKEND", "memory")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(log.try_clone().expect("driver log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver --locked)");
        let mut guard = DriverGuard(Some(tauri_driver));
        // tauri-driver binds its port at once, WebKitWebDriver comes up later: wait for both.
        let deadline = Instant::now() + Duration::from_secs(30);
        assert!(wait_for_port(port, deadline) && wait_for_port(native_port, deadline), "tauri-driver did not start");

        let mut caps = Capabilities::new();
        caps.set("browserName", "wry")?;
        caps.set("tauri:options", serde_json::json!({ "application": program, "args": [] }))?;
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await?;
        let desk = DeskApp { driver, tauri_driver: guard.0.take().expect("driver child") };
        desk.testid("nav-register").await?;
        Ok(desk)
    }

    /// The window's language (`document.documentElement.lang`).
    pub async fn lang(&self) -> WebDriverResult<String> {
        let lang = self.driver.execute("return document.documentElement.lang", vec![]).await?;
        Ok(lang.json().as_str().unwrap_or_default().to_owned())
    }

    /// Sets the desk to `locale` as 设置 › 界面语言 keeps it (this laptop's WebKit storage, which
    /// every test desk shares) and draws the window again when it spoke another.
    pub async fn speak(&self, locale: &str) -> WebDriverResult<()> {
        if self.lang().await? == locale {
            return Ok(());
        }
        self.driver
            .execute("localStorage.setItem('placecode.locale', arguments[0])", vec![serde_json::json!(locale)])
            .await?;
        self.driver.refresh().await?;
        self.testid("nav-register").await?;
        assert_eq!(self.lang().await?, locale, "the desk did not switch to {locale}");
        Ok(())
    }

    /// The element with this `data-testid`, waiting for it to appear.
    pub async fn testid(&self, id: &str) -> WebDriverResult<WebElement> {
        again_if_stale(|| async move { self.driver.query(By::Css(format!("[data-testid='{id}']"))).first().await })
            .await
    }

    /// Runs `act` on the element with this `data-testid`, finding it again when the page
    /// replaced it between the find and the action (Svelte re-renders a block when its state
    /// changes, and WebKitWebDriver then answers "stale element reference").
    pub async fn on<T, F, Fut>(&self, id: &str, act: F) -> WebDriverResult<T>
    where
        F: Fn(WebElement) -> Fut,
        Fut: std::future::Future<Output = WebDriverResult<T>>,
    {
        again_if_stale(|| async { act(self.testid(id).await?).await }).await
    }

    /// Types into the element with this `data-testid` (Enter and other keys included).
    pub async fn keys(&self, id: &str, keys: impl Into<TypingData>) -> WebDriverResult<()> {
        let text = keys.into().to_string();
        self.on(id, |e| {
            let text = text.clone();
            async move { e.send_keys(text).await }
        })
        .await
    }

    pub async fn click(&self, id: &str) -> WebDriverResult<()> {
        self.on(id, |e| async move { e.click().await }).await
    }

    pub async fn clear(&self, id: &str) -> WebDriverResult<()> {
        self.on(id, |e| async move { e.clear().await }).await
    }

    pub async fn attr(&self, id: &str, name: &str) -> WebDriverResult<Option<String>> {
        self.on(id, |e| async move { e.attr(name).await }).await
    }

    /// The value of an input, "" when it has none.
    pub async fn value(&self, id: &str) -> WebDriverResult<String> {
        self.on(id, |e| async move { Ok(e.value().await?.unwrap_or_default()) }).await
    }

    pub async fn all_testid(&self, id: &str) -> WebDriverResult<Vec<WebElement>> {
        again_if_stale(|| self.driver.find_all(By::Css(format!("[data-testid='{id}']")))).await
    }

    /// The rendered text of the first element with this `data-testid` ("" when absent). Read
    /// through `innerText`: WebKitWebDriver's element text comes back empty for some styled
    /// elements that are plainly on screen.
    pub async fn text(&self, id: &str) -> WebDriverResult<String> {
        let script =
            "const e = document.querySelector(`[data-testid='${arguments[0]}']`); return e ? e.innerText : '';";
        let value = self.driver.execute(script, vec![serde_json::json!(id)]).await?;
        Ok(value.json().as_str().unwrap_or_default().trim().to_owned())
    }

    /// Waits until `testid` shows text containing `needle`, returning the text; fails the test
    /// with what it shows instead when [`WAIT_TEXT`] passes first.
    pub async fn wait_text(&self, id: &str, needle: &str) -> WebDriverResult<String> {
        let deadline = Instant::now() + WAIT_TEXT;
        loop {
            let text = self.text(id).await?;
            if text.contains(needle) {
                return Ok(text);
            }
            assert!(
                Instant::now() < deadline,
                "`{id}` did not show {needle:?} within {WAIT_TEXT:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A screenshot of the window into target/e2e-screenshots/, after two animation frames so
    /// it shows the current paint.
    pub async fn screenshot(&self, name: &str) -> WebDriverResult<PathBuf> {
        self.driver
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await?;
        // The English run's beside the Chinese, not over them.
        let dir = target_dir().join(if english() { "e2e-screenshots/en" } else { "e2e-screenshots" });
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        self.driver.screenshot(&path).await?;
        Ok(path)
    }

    /// Calls a desk command straight through the window's IPC, as hostile script in the page
    /// would: `Ok(value)` or `Err(error code)`.
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> WebDriverResult<Result<serde_json::Value, String>> {
        let ret = self
            .driver
            .execute_async(
                "const [cmd, args, done] = arguments;
                 window.__TAURI_INTERNALS__.invoke(cmd, args).then((ok) => done({ ok }), (err) => done({ err }));",
                vec![serde_json::json!(command), args],
            )
            .await?;
        let v = ret.json().clone();
        Ok(match v.get("err") {
            Some(e) => Err(e.get("code").and_then(|c| c.as_str()).unwrap_or("?").to_owned()),
            None => Ok(v.get("ok").cloned().unwrap_or_default()),
        })
    }

    /// Closes the app and stops its tauri-driver (SIGTERM, so WebKitWebDriver goes too).
    pub async fn quit(mut self) -> WebDriverResult<()> {
        let result = self.driver.clone().quit().await;
        terminate(&mut self.tauri_driver);
        result
    }
}

impl Drop for DeskApp {
    fn drop(&mut self) {
        terminate(&mut self.tauri_driver);
    }
}

struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            terminate(child);
        }
    }
}

fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The PDF the desk saved into `dir` (its `PLACECODE_SAVE_DIR`); fails the test with what the
/// screen said when there is none.
pub fn saved_pdf(dir: &Path, screen_said: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("the save folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap_or_else(|| panic!("no PDF saved; the screen says {screen_said:?}"))
}

/// The text of the QR code on page `page` of a PDF, read by tools the desk does not use
/// (poppler's pdftoppm, then zbar's zbarimg); "" when none is found.
pub fn qr_of(pdf: &Path, page: u32) -> String {
    let png = pdf.with_extension(format!("p{page}"));
    let ok = Command::new("pdftoppm")
        .args(["-r", "100", "-png", "-singlefile", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(&png)
        // A PDF that went through a printer has Type 3 fonts that poppler grumbles about.
        .stderr(Stdio::null())
        .status()
        .expect("pdftoppm");
    assert!(ok.success());
    let out = Command::new("zbarimg").args(["-q", "--raw"]).arg(png.with_extension(format!("p{page}.png"))).output();
    String::from_utf8_lossy(&out.expect("zbarimg").stdout).trim().to_owned()
}

// ---- a printer: a private CUPS with a PDF printer, for tests of printing --------------------

/// A CUPS scheduler of the test's own (its own folder and socket, nothing of the system's CUPS
/// touched) with one printer, `queue`, that prints to PDF files (Debian's cups-pdf). A client
/// reaches it with `CUPS_SERVER` set to [`PrivateCups::socket`]. Needs root, as cups-pdf does.
pub struct PrivateCups {
    dir: tempfile::TempDir,
    cupsd: Child,
    pub queue: String,
    started: std::time::SystemTime,
}

impl PrivateCups {
    pub fn start(queue: &str) -> PrivateCups {
        let dir = tempfile::tempdir().expect("cups dir");
        let d = dir.path().to_path_buf();
        let d = d.as_path();
        for sub in ["root", "spool", "cache", "state", "log"] {
            std::fs::create_dir_all(d.join(sub)).expect("cups folder");
        }
        let p = |s: &str| d.join(s).display().to_string();
        std::fs::write(
            d.join("root/cupsd.conf"),
            format!(
                "Listen {}\nLogLevel warn\nWebInterface No\nBrowsing Off\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n",
                p("cups.sock")
            ),
        )
        .expect("cupsd.conf");
        std::fs::write(
            d.join("root/cups-files.conf"),
            format!(
                "ServerRoot {}\nRequestRoot {}\nCacheDir {}\nStateDir {}\nTempDir {}\nErrorLog {}\nAccessLog {}\nPageLog {}\nSystemGroup root\n",
                p("root"),
                p("spool"),
                p("cache"),
                p("state"),
                p("spool"),
                p("log/error_log"),
                p("log/access_log"),
                p("log/page_log"),
            ),
        )
        .expect("cups-files.conf");
        let cupsd = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(d.join("root/cupsd.conf"))
            .arg("-s")
            .arg(d.join("root/cups-files.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cupsd (make deps installs cups)");
        let cups = PrivateCups { cupsd, queue: queue.to_owned(), started: std::time::SystemTime::now(), dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cups.socket().exists() {
            assert!(
                Instant::now() < deadline,
                "cupsd did not start: {:?}",
                std::fs::read_to_string(d.join("log/error_log"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let ok = Command::new("lpadmin")
            .env("CUPS_SERVER", cups.socket())
            .args([
                "-p",
                queue,
                "-E",
                "-v",
                &format!("cups-pdf:/{queue}"),
                "-P",
                "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd",
            ])
            .status()
            .expect("lpadmin");
        assert!(ok.success(), "lpadmin could not add the PDF printer");
        let ok =
            Command::new("lpadmin").env("CUPS_SERVER", cups.socket()).args(["-d", queue]).status().expect("lpadmin");
        assert!(ok.success());
        cups
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("cups.sock")
    }

    /// The PDF cups-pdf wrote for CUPS request `job` ("queue-3"), waiting up to 30 s for it.
    /// cups-pdf writes it, with no settings file of its own, to /var/spool/cups-pdf/<user>/.
    pub fn printed(&self, job: &str) -> PathBuf {
        let n = job.rsplit('-').next().expect("a request id");
        let suffix = format!("-job_{n}.pdf");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = std::fs::read_dir("/var/spool/cups-pdf")
                .into_iter()
                .flatten()
                .flatten()
                .flat_map(|user| std::fs::read_dir(user.path()).into_iter().flatten().flatten())
                .map(|e| e.path())
                .find(|p| {
                    p.to_string_lossy().ends_with(&suffix)
                        && std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t >= self.started)
                });
            if let Some(path) = found {
                // Written by ghostscript: wait until it stops growing.
                let mut size = 0;
                loop {
                    std::thread::sleep(Duration::from_millis(300));
                    let now = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    if now > 0 && now == size {
                        return path;
                    }
                    size = now;
                }
            }
            assert!(Instant::now() < deadline, "no PDF printed for {job}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for PrivateCups {
    fn drop(&mut self) {
        terminate(&mut self.cupsd);
    }
}

// ---- the central server, for tests of sync and trucks ----------------------------------------

pub fn central_bin() -> PathBuf {
    let bin = target_dir().join("debug/placecode-central");
    assert!(bin.exists(), "{} not found: `make test` builds it", bin.display());
    bin
}

pub fn pg_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://placecode@127.0.0.1:55432/placecode".into())
}

/// A database of its own for this test.
pub fn fresh_database() -> String {
    let name = format!("e2e_{}", uuid_like());
    let ok = Command::new("psql").args([&pg_url(), "-qc", &format!("CREATE DATABASE {name}")]).status().expect("psql");
    assert!(ok.success(), "PostgreSQL is not running: `make pg` starts it");
    format!("{}/{name}", pg_url().rsplit_once('/').expect("url").0)
}

fn uuid_like() -> String {
    format!("{:x}{:x}", std::process::id(), chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

/// The central server binary on a port of its own, over a database of its own.
pub struct Central {
    child: Option<Child>,
    pub port: u16,
    db: String,
    secret: PathBuf,
}

impl Central {
    pub fn start(db: &str, port: u16, dir: &Path) -> Central {
        let mut c = Central { child: None, port, db: db.into(), secret: dir.join("central-secret.key") };
        c.restart();
        c
    }

    pub fn restart(&mut self) {
        let child = Command::new(central_bin())
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("DATABASE_URL", &self.db)
            .env("PLACECODE_SECRET_FILE", &self.secret)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("central server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "central server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(central_bin())
            .arg("admin")
            .args(args)
            .env("DATABASE_URL", &self.db)
            .env("PLACECODE_SECRET_FILE", &self.secret)
            .output()
            .expect("admin command");
        assert!(out.status.success(), "admin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---- test desks ---------------------------------------------------------------------------

/// The operator every test desk has (the first operator is the desk's administrator).
pub const OPERATOR: &str = "张敏";
pub const PIN: &str = "246813";

/// A venue in 鼓楼区 to register in a test desk.
pub fn venue(kind: &str, category: &str, name: &str, address: &str) -> placecode_core::venue::VenueInput {
    placecode_core::venue::VenueInput {
        kind: kind.into(),
        category: category.into(),
        name: name.into(),
        district: "gulou".into(),
        address: address.into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
    }
}

/// A desk database in `data` with `venues` registered and the operator added; the first venue
/// is the one the desk serves when `serve` is set.
pub fn seed_desk(
    data: &Path,
    venues: &[placecode_core::venue::VenueInput],
    serve: bool,
) -> (placecode_store::Store, Vec<placecode_core::venue::Venue>, placecode_store::Operator) {
    let mut store = placecode_store::Store::open(&data.join("desk.sqlite3")).expect("open the desk database");
    let registered: Vec<_> = venues.iter().map(|v| store.register_venue(v, false).expect("venue")).collect();
    if let (true, Some(first)) = (serve, registered.first()) {
        store.set_served_venue(&first.id).expect("served venue");
    }
    let op = store.add_operator(OPERATOR, PIN).expect("operator");
    (store, registered, op)
}

/// A new desk in `data` with its administrator only (no venue yet), started and signed in.
pub async fn start_signed_in(data: &Path) -> WebDriverResult<DeskApp> {
    drop(seed_desk(data, &[], false));
    let desk = DeskApp::start(data).await?;
    sign_in(&desk).await?;
    Ok(desk)
}

/// Signs the operator in on the check-in tab.
pub async fn sign_in(desk: &DeskApp) -> WebDriverResult<()> {
    sign_in_as(desk, OPERATOR, PIN).await
}

/// Signs `name` in with `pin` on the check-in tab.
pub async fn sign_in_as(desk: &DeskApp, name: &str, pin_typed: &str) -> WebDriverResult<()> {
    desk.click("nav-checkin").await?;
    thirtyfour::components::SelectElement::new(&desk.testid("signin-operator").await?)
        .await?
        .select_by_value(name)
        .await?;
    let pin = desk.testid("signin-pin").await?;
    pin.send_keys(pin_typed).await?;
    pin.send_keys(Key::Enter).await?;
    desk.wait_text("current-operator", name).await?;
    Ok(())
}

/// A first declaration as a person makes it at the door: all answers no, no temperature taken.
pub fn declaration(name: &str, id_number: &str) -> placecode_core::checkin::DeclarationInput {
    placecode_core::checkin::DeclarationInput {
        name: name.into(),
        document_kind: None,
        id_number: id_number.into(),
        address: "鼓楼区中山路18号院".into(),
        visited_risk_area: Some(false),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        ..Default::default()
    }
}

/// Runs `find` again when WebKitWebDriver answers "stale element reference", also from a find itself:
/// an element that matched was removed while its handle was made ("Stale element found when
/// trying to create the node handle", seen when a result screen closed during a poll for it).
async fn again_if_stale<T, F, Fut>(find: F) -> WebDriverResult<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = WebDriverResult<T>>,
{
    let mut tries = 0;
    loop {
        match find().await {
            Err(e)
                if tries < 20
                    && matches!(e.as_inner(), thirtyfour::error::WebDriverErrorInner::StaleElementReference(_)) =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            done => return done,
        }
    }
}
