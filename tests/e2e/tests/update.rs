//! 软件更新 as an IT office and a desk's administrator see it: the desk installed from its .deb
//! (version N, carrying the release key), a central server on which the next version (N+1,
//! signed with that key) is published with `admin publish-release`, and the desk connected to
//! it. The administrator sees the new version and its notes in 设置; a package changed on the
//! centre after publication is refused and nothing is installed; the genuine one is installed by
//! apt, the desk restarts into N+1, and its data (operator, connection) is as it was.
//!
//! `make test-e2e` makes the fixture (`make update-fixture`: a throw-away release key, N+1
//! built, packaged and signed) and names its folder in PLACECODE_UPDATE_DIR. Root or
//! password-less sudo, as the package test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use placecode_e2e::packages::*;
use placecode_e2e::*;

/// The N+1 package and the release key's public half from the fixture.
fn fixture() -> (PathBuf, PathBuf, String) {
    let dir = PathBuf::from(
        std::env::var_os("PLACECODE_UPDATE_DIR").expect("PLACECODE_UPDATE_DIR: run `make test-e2e`, which makes it"),
    );
    let deb = std::fs::read_dir(&dir)
        .expect("update fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("the next version's .deb in the fixture");
    let name = deb.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
    let (_, next, _) = placecode_core::release::parse_file_name(&name).expect("a package name");
    assert!(placecode_core::release::is_newer(&version(), &next), "{next} is newer than {}", version());
    (deb, dir.join("release.key.pub"), next)
}

fn psql(db: &str, sql: &str) {
    let ok = std::process::Command::new("psql").args([db, "-qc", sql]).status().expect("psql");
    assert!(ok.success(), "{sql}");
}

/// Waits for a desk process running the installed program (not a replaced one).
fn running_program(deadline: Instant) -> Option<u32> {
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            if std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == Path::new(PROGRAM)) {
                return Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[tokio::test]
async fn a_desk_updates_itself_from_its_centre_and_refuses_a_changed_package() -> WebDriverResult<()> {
    let deb = package_file("PLACECODE_DEB");
    let (next_deb, key, next) = fixture();
    let current = version();
    let _cleanup = Installed;
    if installed() {
        as_root(&["dpkg", "--purge", PACKAGE]);
    }
    as_root(&["apt-get", "install", "-y", "-qq", "--no-install-recommends", deb.to_str().expect("path")]);
    assert_eq!(installed_version(), current);

    // The privileged step (what pkexec runs) checks the very file it installs, where only root
    // writes: a package changed after the desk's own check (a swap in the user's folder), or
    // one not newer than what is installed, is refused and nothing is installed.
    let signature = std::fs::read_to_string(next_deb.with_extension("deb.sig")).expect("signature");
    let dir = tempfile::tempdir().expect("temp dir");
    let swapped = dir.path().join(next_deb.file_name().expect("name"));
    let mut bytes = std::fs::read(&next_deb).expect("package");
    let at = bytes.len() - 5000;
    bytes[at] ^= 1;
    std::fs::write(&swapped, &bytes).expect("swapped copy");
    let helper = |file: &Path| run(PROGRAM, &["--install-update", file.to_str().expect("path"), signature.trim()]);
    // A folder left by an install killed hours ago goes with the next install.
    as_root(&["mkdir", "-p", "-m", "0700", "/var/cache/placecode-desk/update-0000000000000000"]);
    as_root(&["touch", "-d", "2 hours ago", "/var/cache/placecode-desk/update-0000000000000000"]);
    let out = helper(&swapped);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("签名验证失败"), "{}", text(&out));
    let out = helper(&deb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // A pipe in the package's place would hold a root process for ever: refused at once.
    let fifo = dir.path().join("fifo").join(next_deb.file_name().expect("name"));
    std::fs::create_dir_all(fifo.parent().expect("parent")).expect("dir");
    assert!(run("mkfifo", &[fifo.to_str().expect("path")]).status.success());
    let out = helper(&fifo);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("普通文件"), "{}", text(&out));
    // A file larger than any release (sparse: 300 MB and a byte, nothing on disk) is refused
    // before root copies a byte of it.
    let huge = dir.path().join("huge").join(next_deb.file_name().expect("name"));
    std::fs::create_dir_all(huge.parent().expect("parent")).expect("dir");
    let file = std::fs::File::create(&huge).expect("huge");
    file.set_len(placecode_core::release::MAX_PACKAGE_BYTES + 1).expect("sparse");
    let out = helper(&huge);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("过大"), "{}", text(&out));
    assert_eq!(installed_version(), current);
    assert!(std::fs::read_dir("/var/cache/placecode-desk").map(|d| d.count()).unwrap_or(0) == 0, "no copy is left");

    // The centre, with N+1 published (checked there with the release key first).
    let db = fresh_database();
    let central = Central::start(&db, free_port(), dir.path());
    let published = central.admin(&[
        "publish-release",
        next_deb.to_str().expect("path"),
        "--public-key",
        key.to_str().expect("path"),
        "--notes",
        "修复：打印机列表\n新增：软件更新",
    ]);
    assert!(published.contains(&next), "published: {published}");
    let token = central.admin(&["enrol-token", "--district", "gulou"]);

    // The installed desk, a new user's folder: the administrator, then 设置.
    let home_data = dir.path().join("xdg-data");
    let env = [("XDG_DATA_HOME", home_data.as_path())];
    let desk = DeskApp::start_program(Path::new(PROGRAM), &dir.path().join("driver-1.log"), &env).await?;
    desk.click("nav-checkin").await?;
    for (id, value) in [("first-operator-name", OPERATOR), ("first-operator-pin", PIN), ("first-operator-pin2", PIN)] {
        desk.keys(id, value).await?;
    }
    desk.click("first-operator-submit").await?;
    desk.click("first-run-later").await?;
    desk.click("nav-settings").await?;
    desk.wait_text("update-current", &format!("{}{current}", say("本机版本：", "Version on this computer: "))).await?;
    desk.keys("sync-connect-url", format!("http://127.0.0.1:{}", central.port)).await?;
    desk.keys("sync-connect-token", &token).await?;
    desk.keys("sync-connect-token", Key::Enter).await?;
    desk.wait_text("sync-server-url", &format!("127.0.0.1:{}", central.port)).await?;

    // 检查更新: the new version and its notes.
    desk.click("update-check").await?;
    desk.wait_text("update-offered", &format!("{} {next}", say("有新版本", "New version"))).await?;
    assert_eq!(desk.text("update-notes").await?, "修复：打印机列表\n新增：软件更新");
    desk.wait_text("nav-settings-mark", say("新", "New")).await?;
    desk.screenshot("95-update-offered").await?;

    // The centre broken into: its copy changed (the hash made to match). Refused; N stays.
    psql(&db, "CREATE TABLE kept AS SELECT package, sha256 FROM desk_releases");
    psql(&db, "UPDATE desk_releases SET package = overlay(package PLACING '\\x00'::bytea FROM 70000)");
    psql(&db, "UPDATE desk_releases SET sha256 = encode(sha256(package), 'hex')");
    desk.click("update-install").await?;
    desk.wait_text("update-error", say("签名验证失败", "signature does not verify")).await?;
    desk.screenshot("96-update-refused").await?;
    assert_eq!(installed_version(), current, "a changed package is never installed");
    let left: Vec<_> =
        std::fs::read_dir(home_data.join("cn.placecode.desk/updates")).expect("updates folder").collect();
    assert!(left.is_empty(), "the refused download is removed");

    // The centre's copy repaired: installed, and the desk restarts into it.
    psql(&db, "UPDATE desk_releases SET package = kept.package, sha256 = kept.sha256 FROM kept");
    desk.click("update-install").await?;
    let deadline = Instant::now() + Duration::from_secs(180);
    while installed_version() != next {
        if let Ok(errors) = desk.all_testid("update-error").await {
            if let Some(e) = errors.first() {
                panic!("the install failed: {}", e.text().await.unwrap_or_default());
            }
        }
        assert!(Instant::now() < deadline, "N+1 not installed: {}", installed_version());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The desk came back by itself, running the new program (the old one's file is gone).
    let restarted = running_program(Instant::now() + Duration::from_secs(60)).expect("the desk restarted itself");
    let _ = desk.quit().await;
    let _ = std::process::Command::new("kill").arg(restarted.to_string()).status();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Opened again: N+1, the same operator and connection; nothing newer on offer.
    let desk = DeskApp::start_program(Path::new(PROGRAM), &dir.path().join("driver-2.log"), &env).await?;
    sign_in(&desk).await?;
    desk.click("nav-settings").await?;
    desk.wait_text("update-current", &format!("{}{next}", say("本机版本：", "Version on this computer: "))).await?;
    desk.wait_text(
        "update-updated",
        say(&format!("已从 {current} 更新到 {next}"), &format!("Updated from {current} to {next}")),
    )
    .await?;
    desk.wait_text("sync-server-url", &format!("127.0.0.1:{}", central.port)).await?;
    desk.click("update-check").await?;
    desk.wait_text("update-latest", say("已是最新版本", "Up to date")).await?;
    desk.screenshot("97-updated").await?;
    desk.quit().await?;
    as_root(&["apt-get", "purge", "-y", "-qq", PACKAGE]);
    Ok(())
}
