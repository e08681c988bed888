//! The desk as an IT office installs it: the .deb that `make bundle` writes is installed with
//! apt, the installed program is started from its menu entry's command with a new user's empty
//! data folder, a clerk creates the administrator and is walked through 开始使用 (the venue this
//! desk serves, its first poster with the fonts the package ships, the centre), and the package
//! is removed cleanly, leaving the user's data. The .rpm is read with rpm (it cannot be installed on Debian).
//!
//! `make test-e2e` builds the packages from the debug build (`make bundle-debug`) and names them
//! in PLACECODE_DEB and PLACECODE_RPM. Installing needs root or password-less sudo.

use std::path::Path;

use placecode_e2e::packages::*;
use placecode_e2e::*;
use thirtyfour::components::SelectElement;

const FONTS: &str = "/usr/lib/placecode-desk/fonts";

#[test]
fn the_packages_declare_what_they_need_and_carry_the_fonts() {
    let deb = package_file("PLACECODE_DEB");
    let deb = deb.to_str().expect("path");
    let field = |f: &str| String::from_utf8_lossy(&run("dpkg-deb", &["-f", deb, f]).stdout).trim().to_owned();
    assert_eq!(field("Package"), PACKAGE);
    assert_eq!(field("Version"), version(), "the package's version is the desk's");
    let depends = field("Depends");
    // WebKitGTK and GTK (the bundler's), and what the program itself links: D-Bus (the keyring)
    // and OpenSSL's libcrypto (the encrypted database), named as Debian 12 and Ubuntu 24.04 do.
    for dep in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libdbus-1-3", "libssl3 | libssl3t64"] {
        assert_eq!(depends.matches(dep).count(), 1, "Depends names {dep} once: {depends}");
    }
    assert!(field("Description").contains("场所码登记台"), "{}", field("Description"));
    // 打印 speaks to CUPS through its client programs (lp, lpstat).
    assert_eq!(field("Recommends"), "cups-client");

    let files = text(&run("dpkg-deb", &["-c", deb]));
    for want in [
        "./usr/bin/placecode-desk",
        "./usr/share/applications/placecode-desk.desktop",
        "./usr/share/icons/hicolor/128x128/apps/placecode-desk.png",
        "./usr/lib/placecode-desk/fonts/NotoSansCJK-Regular.ttc",
        "./usr/lib/placecode-desk/fonts/NotoSansCJK-Bold.ttc",
        "./usr/lib/placecode-desk/fonts/HanaMinB.ttf",
        // The fonts' licence (SIL OFL 1.1) travels with them.
        "./usr/share/doc/placecode-desk/copyright",
        // The release key `make test-e2e` bundled (UPDATE_PUBKEY): the one key its 软件更新 trusts.
        "./usr/lib/placecode-desk/update-key.pub",
    ] {
        assert!(
            files.lines().any(|l| l.ends_with(want) || l.ends_with(want.trim_start_matches("./"))),
            "{want} not in the .deb:\n{files}"
        );
    }

    let rpm = package_file("PLACECODE_RPM");
    let rpm = rpm.to_str().expect("path");
    let requires = text(&run("rpm", &["-qpR", rpm]));
    for req in ["libwebkit2gtk-4.1.so.0", "libgtk-3.so.0", "dbus-libs", "openssl-libs"] {
        assert!(requires.lines().any(|l| l.starts_with(req)), "{req} not required by the .rpm:\n{requires}");
    }
    let listed = text(&run("rpm", &["-qpl", rpm]));
    for want in
        [PROGRAM, "/usr/share/applications/placecode-desk.desktop", "/usr/lib/placecode-desk/fonts/HanaMinB.ttf"]
    {
        assert!(listed.lines().any(|l| l == want), "{want} not in the .rpm:\n{listed}");
    }
    let name = text(&run("rpm", &["-qp", "--qf", "%{NAME} %{VERSION}", rpm]));
    assert_eq!(name, format!("{PACKAGE} {}", version()));
}

#[tokio::test]
async fn an_installed_desk_is_set_up_from_an_empty_folder_and_uninstalls() -> WebDriverResult<()> {
    let deb = package_file("PLACECODE_DEB");
    let _cleanup = Installed;
    if installed() {
        as_root(&["dpkg", "--purge", PACKAGE]);
    }
    // As an IT office would: apt resolves the declared dependencies (here already present).
    as_root(&["apt-get", "install", "-y", "-qq", "--no-install-recommends", deb.to_str().expect("path")]);
    assert!(installed(), "dpkg does not list {PACKAGE} as installed");
    // A fleet's script asks each laptop which version it runs, without a window.
    let said = run(PROGRAM, &["--version"]);
    assert!(said.status.success());
    assert_eq!(text(&said).trim(), format!("placecode-desk {}", version()));
    // Its help names the privileged step and the update guide the package installs; a typo is
    // refused instead of opening a window; without a screen it says so (a trial saw a panic).
    let help = text(&run(PROGRAM, &["--help"]));
    assert!(help.contains("--install-update"), "{help}");
    let guide = help.split("Updates: ").nth(1).and_then(|t| t.split_whitespace().next()).expect("a guide");
    let guide = guide.trim_end_matches('.');
    assert!(std::fs::read_to_string(guide).is_ok_and(|g| g.contains("软件更新")), "{guide} not installed");
    let typo = run(PROGRAM, &["--bogus"]);
    assert_eq!(typo.status.code(), Some(2), "{}", text(&typo));
    assert!(text(&typo).contains("不认识的参数"), "{}", text(&typo));
    let headless = std::process::Command::new(PROGRAM)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the installed program");
    assert_eq!(headless.status.code(), Some(1), "{}", text(&headless));
    assert!(
        text(&headless).contains("没有可用的显示器") && !text(&headless).contains("panicked"),
        "{}",
        text(&headless)
    );
    // A display named but not there (a stale DISPLAY after ssh; a re-trial saw the panic), and
    // anything after --version.
    let stale = std::process::Command::new(PROGRAM).env("DISPLAY", ":87").output().expect("the installed program");
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    assert!(text(&stale).contains("没有可用的显示器") && !text(&stale).contains("panicked"), "{}", text(&stale));
    let extra = run(PROGRAM, &["--version", "--bogus"]);
    assert_eq!(extra.status.code(), Some(2), "{}", text(&extra));

    // The menu entry names the program in Chinese and starts the installed binary.
    let entry = std::fs::read_to_string("/usr/share/applications/placecode-desk.desktop").expect("desktop entry");
    assert!(entry.lines().any(|l| l == "Name=场所码登记台"), "{entry}");
    assert!(entry.lines().any(|l| l == "Exec=placecode-desk"), "{entry}");
    let copyright = std::fs::read_to_string("/usr/share/doc/placecode-desk/copyright").expect("copyright");
    assert!(copyright.contains("SIL OPEN FONT LICENSE Version 1.1"), "the fonts' licence is installed");
    for font in ["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "HanaMinB.ttf"] {
        assert!(Path::new(FONTS).join(font).is_file(), "{font} not installed in {FONTS}");
    }

    // A new user: no data folder set, so the desk uses the system's own place for app data.
    let dir = tempfile::tempdir().expect("temp dir");
    let home_data = dir.path().join("xdg-data");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).expect("save dir");
    let desk = DeskApp::start_program(
        Path::new(PROGRAM),
        &dir.path().join("tauri-driver.log"),
        &[("XDG_DATA_HOME", &home_data), ("PLACECODE_SAVE_DIR", &saved)],
    )
    .await?;
    desk.click("nav-checkin").await?;
    desk.testid("first-operator-name").await?;
    desk.screenshot("90-installed-first-screen").await?;
    for (id, value) in
        [("first-operator-name", "张敏"), ("first-operator-pin", "246813"), ("first-operator-pin2", "246813")]
    {
        desk.keys(id, value).await?;
    }
    desk.click("first-operator-submit").await?;
    desk.wait_text("current-operator", "张敏").await?;

    // 开始使用: the new desk's administrator is walked through its first steps.
    desk.wait_text("first-run", say("开始使用本登记台", "Set up this check-in desk")).await?;
    desk.screenshot("92-first-run-venue").await?;
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
    // Registered, and the served venue at once.
    desk.wait_text("served-venue", "西司门农贸市场").await?;
    desk.wait_text("first-run", say("已设为本台服务场所", "is now the venue this desk serves")).await?;

    // Its first poster, drawn with the fonts the package installed: the 正门 code is made too.
    desk.click("first-run-save").await?;
    let result = desk.wait_text("save-result", ".pdf").await?;
    desk.screenshot("93-first-run-poster").await?;
    let pdf = saved_pdf(&saved, &result);
    let url = qr_of(&pdf, 1);
    assert!(placecode_core::code::parse(&url).is_ok(), "the poster's QR: {url:?}");
    desk.click("first-run-next").await?;
    desk.testid("first-run-finish").await?;
    desk.screenshot("94-first-run-centre").await?;
    desk.click("first-run-finish").await?;
    // Done: the desk opens on 登记台.
    desk.testid("checkin-input").await?;
    assert!(desk.all_testid("first-run").await?.is_empty());
    desk.click("nav-venues").await?;
    desk.click("venue-codes").await?;
    let code = desk.attr("code-row", "data-code").await?.unwrap_or_default();
    assert_eq!(placecode_core::code::parse(&url).map(|p| p.code).ok(), Some(code), "the poster is of the 正门 code");
    let fonts = text(&run("pdffonts", &[pdf.to_str().expect("path")]));
    assert!(fonts.contains("NotoSansCJKsc"), "the poster embeds the Chinese font:\n{fonts}");
    desk.screenshot("91-installed-venue-codes").await?;
    desk.quit().await?;

    // The data went where the system keeps a user's app data, encrypted.
    let db = home_data.join("cn.placecode.desk/desk.sqlite3");
    let bytes = std::fs::read(&db).unwrap_or_else(|e| panic!("{}: {e}", db.display()));
    assert!(!bytes.starts_with(b"SQLite format 3"), "the database is encrypted");

    // Removed cleanly: the program and what it shipped go, and what its 软件更新 left in the
    // system's cache (a trial found the folder left after a purge); the user's data stays.
    as_root(&["mkdir", "-p", "/var/cache/placecode-desk/update-left"]);
    as_root(&["apt-get", "remove", "-y", "-qq", PACKAGE]);
    assert!(!installed());
    for gone in [
        PROGRAM,
        FONTS,
        "/usr/lib/placecode-desk",
        "/usr/share/applications/placecode-desk.desktop",
        "/var/cache/placecode-desk",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} is left after removal");
    }
    assert!(db.is_file(), "removing the program keeps the user's data");
    // What dpkg keeps of a removed package with a removal script (state `rc`) goes with a purge.
    as_root(&["apt-get", "purge", "-y", "-qq", PACKAGE]);
    let state = run("dpkg-query", &["-W", "-f=${db:Status-Abbrev}", PACKAGE]);
    assert!(!state.status.success() || text(&state).trim().is_empty(), "dpkg still lists it: {}", text(&state));
    Ok(())
}
