//! 软件更新: the desk asks its centre for a newer release at start and daily; the administrator
//! installs it. The package is checked with the release key the desk's own package installed
//! (`/usr/lib/placecode-desk/update-key.pub`, root's file): the centre cannot sign, and a desk
//! built without a key (a source build, a package made without `UPDATE_PUBKEY`) is updated by
//! its IT office, never over the network.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use placecode_core::release::{PackageFormat, Release};
use serde::Serialize;

use crate::{DeskError, DeskResult};

/// The event every screen hears an update status by (after each check, and a failed install).
pub const STATUS_EVENT: &str = "update-status";

/// Between two checks while the desk runs.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// After start, before the first check (the desk's own start-up comes first).
pub const FIRST_CHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(15);

/// What 设置 › 软件更新 shows.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UpdateStatus {
    /// This desk's version.
    pub current: String,
    /// Why this desk cannot update itself, if so (the screen says it in the desk's language).
    pub unavailable: Option<Unavailable>,
    /// When the centre was last asked (whatever the answer).
    #[cfg_attr(test, ts(type = "string | null"))]
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A newer release than this desk, if the centre has one.
    pub offered: Option<Release>,
    /// Why the last check or installation failed, in Chinese.
    pub error: Option<String>,
    /// An installation is under way (a second one is refused).
    pub installing: bool,
    /// The version this one replaced on this desk (an update installed, by the desk itself or
    /// its IT office): 设置 says 已从 … 更新到 … while it runs.
    pub updated_from: Option<String>,
}

/// The file in the desk's data folder naming the version that last started on it, and on a
/// second line the version that one replaced.
pub const LAST_VERSION_FILE: &str = "last-version";

/// The version `current` replaced on `data_dir`, from the file that names the version started
/// last (updated for this start). A missing, unreadable or odd file, or an older program started
/// on the folder (put back by the IT office), is no update.
fn updated_from(data_dir: &Path, current: &str) -> Option<String> {
    let file = data_dir.join(LAST_VERSION_FILE);
    let text = std::fs::read(&file)
        .ok()
        .filter(|bytes| bytes.len() <= 128)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    let mut lines = text.lines().map(str::trim);
    let (last, before) = (lines.next().unwrap_or(""), lines.next());
    let newer = |old: &str| placecode_core::release::is_newer(old, current).then(|| old.to_owned());
    let from = if last == current { before.and_then(newer) } else { newer(last) };
    let kept = match &from {
        Some(old) => format!("{current}\n{old}"),
        None => current.to_owned(),
    };
    if kept != text {
        if let Err(e) = std::fs::write(&file, kept) {
            eprintln!("placecode-desk: cannot note the version started: {}", e.kind());
        }
    }
    from
}

/// Why a desk cannot update itself: its IT office installs new versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// Run from a build, not installed from a package.
    NotInstalled,
    /// The package carries no release key.
    NoReleaseKey,
}

/// The desk's update state, beside its other state.
pub struct Updater {
    current: String,
    key: Option<minisign_verify::PublicKey>,
    /// The key's id: the centre offers only releases signed with it.
    key_id: Option<String>,
    format: Option<PackageFormat>,
    download_dir: PathBuf,
    state: Mutex<UpdateStatus>,
}

/// The file a package's release key is installed as, in its resource folder.
pub const KEY_FILE: &str = "update-key.pub";

impl Updater {
    /// `resources`: the package's resource folder; `installed`: how this binary was packaged.
    pub fn new(current: &str, resources: Option<&Path>, installed: Option<PackageFormat>, data_dir: &Path) -> Updater {
        let text = resources.and_then(|dir| std::fs::read_to_string(dir.join(KEY_FILE)).ok());
        let key = text.as_deref().and_then(|t| placecode_core::release::public_key(t).ok());
        let key_id = text.as_deref().and_then(placecode_core::release::key_id);
        let download_dir = data_dir.join("updates");
        // A download left by a desk closed mid-update (70 MB) goes.
        if let Ok(entries) = std::fs::read_dir(&download_dir) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let unavailable = match (&key, installed) {
            (_, None) => Some(Unavailable::NotInstalled),
            (None, _) => Some(Unavailable::NoReleaseKey),
            _ => None,
        };
        Updater {
            current: current.to_owned(),
            key,
            key_id,
            format: installed,
            download_dir,
            state: Mutex::new(UpdateStatus {
                current: current.to_owned(),
                unavailable,
                checked_at: None,
                offered: None,
                error: None,
                installing: false,
                updated_from: updated_from(data_dir, current),
            }),
        }
    }

    fn state(&self) -> DeskResult<std::sync::MutexGuard<'_, UpdateStatus>> {
        self.state.lock().map_err(|_| DeskError::Internal("update lock poisoned".into()))
    }

    pub fn status(&self) -> DeskResult<UpdateStatus> {
        Ok(self.state()?.clone())
    }

    /// Asks the centre (nothing to do when this desk cannot update itself or is not connected).
    pub async fn check(&self, sync: &placecode_sync_client::SyncEngine) -> DeskResult<UpdateStatus> {
        let Some(format) = self.format.filter(|_| self.key.is_some()) else { return self.status() };
        if !matches!(sync.status(), Ok(s) if s.enrolled) {
            return self.status();
        }
        let answer = sync.latest_release(format, self.key_id.as_deref()).await;
        let mut state = self.state()?;
        state.checked_at = Some(chrono::Utc::now());
        match answer {
            Ok(latest) => {
                // Notes the centre would not have taken (40 MB, turned-around text) are not shown.
                state.offered = latest.filter(|r| {
                    placecode_core::release::is_newer(&self.current, &r.version)
                        && placecode_core::release::notes(&r.notes).is_ok_and(|n| n == r.notes)
                });
                state.error = None;
            }
            Err(f) => state.error = Some(format!("检查更新失败：{}", reason(&f))),
        }
        Ok(state.clone())
    }

    /// Downloads the offered release, checks it and installs it. Returns when the new version
    /// is installed (the caller restarts the desk); on failure nothing is installed and the
    /// reason is kept for the screen.
    pub async fn install(&self, sync: &placecode_sync_client::SyncEngine) -> DeskResult<()> {
        let (key, format) = {
            let mut state = self.state()?;
            if state.installing {
                return Err(DeskError::Core(placecode_core::Error::Release("正在安装更新，请稍候".into())));
            }
            let (Some(_), Some(key), Some(format)) = (state.offered.as_ref(), self.key.clone(), self.format) else {
                return Err(DeskError::Core(placecode_core::Error::Release("没有可安装的新版本".into())));
            };
            state.installing = true;
            state.error = None;
            (key, format)
        };
        // What the centre offers now, not what it said at the last check (withdrawn, replaced).
        let result = match sync.latest_release(format, self.key_id.as_deref()).await {
            Ok(Some(release)) if placecode_core::release::is_newer(&self.current, &release.version) => {
                self.state()?.offered = Some(release.clone());
                self.fetch_and_install(sync, &release, &key, format).await
            }
            Ok(_) => {
                self.state()?.offered = None;
                Err(DeskError::Core(placecode_core::Error::Release("中心已不再提供新版本".into())))
            }
            Err(f) => Err(failed(&f)),
        };
        let mut state = self.state()?;
        state.installing = false;
        if let Err(e) = &result {
            state.error = Some(e.to_string());
        }
        result
    }

    async fn fetch_and_install(
        &self,
        sync: &placecode_sync_client::SyncEngine,
        release: &Release,
        key: &minisign_verify::PublicKey,
        format: PackageFormat,
    ) -> DeskResult<()> {
        if release.format != format {
            return Err(DeskError::Core(placecode_core::Error::Release("中心提供的安装包格式与本机不符".into())));
        }
        private_dir(&self.download_dir).map_err(|e| DeskError::Internal(format!("update dir: {e}")))?;
        let file = self.download_dir.join(release.file_name());
        if let Err(f) = sync.fetch_release(release, key, &file).await {
            // Withdrawn since it was offered: the offer goes with it.
            if f == placecode_sync_client::Failure::Server(404) {
                self.state()?.offered = None;
            }
            return Err(failed(&f));
        }
        let installed = tauri::async_runtime::spawn_blocking({
            let (file, release) = (file.clone(), release.clone());
            move || install_package(&file, &release)
        })
        .await
        .map_err(|e| DeskError::Internal(format!("install task: {e}")))?;
        let _ = std::fs::remove_file(&file);
        installed
    }
}

/// Why talking to the centre about an update failed, in the clerk's words (the sync's own
/// wording speaks of records waiting, which is not what happened here).
fn reason(f: &placecode_sync_client::Failure) -> String {
    use placecode_sync_client::Failure;
    match f {
        Failure::Unreachable(_) => "无法连接中心服务器，请稍后再试".to_owned(),
        Failure::Server(404) => "这个版本已被中心撤回，请重新检查更新".to_owned(),
        Failure::Server(_) | Failure::SlowDown(_) => "中心服务器暂时无法提供更新，请稍后再试".to_owned(),
        other => other.message(),
    }
}

/// An installation that failed before anything was installed.
fn failed(f: &placecode_sync_client::Failure) -> DeskError {
    DeskError::Core(placecode_core::Error::Release(format!("未安装：{}", reason(f))))
}

/// The download folder, readable by this user alone (a link put in its place is removed).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        std::fs::remove_file(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// The argument that makes the desk's own binary the privileged install step:
/// `placecode-desk --install-update <package> <signature>`, run as root by `pkexec`.
pub const INSTALL_ARG: &str = "--install-update";
/// The helper's exit status when it refused the package (its reason on the last line of its
/// standard error).
const REFUSED: i32 = 3;

/// Installs a downloaded package as root: directly when the desk runs as root, else through
/// `pkexec` running this program as [`install_as_root`], which asks for an administrator's
/// system password. Either way the package is checked again where only root can write, and
/// that copy is what the package manager installs: a file swapped in the user's folder after
/// the desk's own check is never installed.
fn install_package(file: &Path, release: &Release) -> DeskResult<()> {
    let refused = |m: String| DeskError::Core(placecode_core::Error::Release(m));
    if is_root() {
        return install_as_root(file, &release.signature).map_err(refused);
    }
    let exe = std::env::current_exe().map_err(|e| DeskError::Internal(format!("current exe: {e}")))?;
    let out = std::process::Command::new("pkexec")
        .arg(exe)
        .arg(INSTALL_ARG)
        .arg(file)
        .arg(&release.signature)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| {
            refused(if e.kind() == std::io::ErrorKind::NotFound {
                "本机没有 pkexec（PolicyKit），不能安装更新；请由IT人员安装".to_owned()
            } else {
                "无法启动系统的软件安装程序".to_owned()
            })
        })?;
    let said = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().trim().to_owned();
    match out.status.code() {
        Some(0) => Ok(()),
        // pkexec: 126 when the password prompt was dismissed, 127 when not authorised.
        Some(126) | Some(127) => Err(refused("未获得系统管理员授权，更新未安装".to_owned())),
        Some(REFUSED) if !said.is_empty() => Err(refused(said)),
        _ => Err(refused("系统的软件安装程序未能安装更新，本机仍是原版本".to_owned())),
    }
}

/// `placecode-desk --install-update <package> <signature>` (as root, from `pkexec`): the exit
/// status, with the reason on standard error.
pub fn install_helper(args: &[String]) -> i32 {
    let [file, signature] = args else {
        eprintln!("用法：placecode-desk {INSTALL_ARG} <安装包> <签名>");
        return 2;
    };
    if !is_root() {
        eprintln!("须以系统管理员身份运行");
        return 2;
    }
    match install_as_root(Path::new(file), signature) {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("{reason}");
            REFUSED
        }
    }
}

/// The release key this installed program trusts: `/usr/lib/placecode-desk/update-key.pub`
/// beside `/usr/bin/placecode-desk` (where its package puts both).
fn installed_key() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let key = exe.parent()?.parent()?.join("lib").join(placecode_core::release::PACKAGE).join(KEY_FILE);
    std::fs::read_to_string(key).ok()
}

/// The version of this program the package manager has installed.
fn installed_version(format: PackageFormat) -> Option<String> {
    let out = match format {
        // By their full paths: root's PATH is not what decides which version is installed.
        PackageFormat::Deb => std::process::Command::new("/usr/bin/dpkg-query")
            .args(["-W", "-f=${Version}", placecode_core::release::PACKAGE])
            .output(),
        PackageFormat::Rpm => std::process::Command::new("/usr/bin/rpm")
            .args(["-q", "--qf", "%{VERSION}", placecode_core::release::PACKAGE])
            .output(),
    }
    .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// As root: copies the package into a new folder only root can write, checks that copy (the
/// signature with the installed release key, the file its signature names, the package's own
/// name and version, newer than what is installed) and installs it with the package manager,
/// which resolves any new dependency. The folder goes afterwards.
fn install_as_root(file: &Path, signature: &str) -> Result<(), String> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (format, version, arch) = placecode_core::release::parse_file_name(name).ok_or("更新包的文件名不对，已拒绝")?;
    // A regular file, not a link, a pipe (which would hold this root process for ever) or a
    // device; no larger than the centre publishes (root copies it before reading it).
    let too_large = placecode_core::release::MAX_PACKAGE_BYTES;
    match std::fs::symlink_metadata(file) {
        Ok(m) if m.file_type().is_file() && m.len() <= too_large => {}
        Ok(m) if m.file_type().is_file() => return Err("更新包过大，不是发布的安装包，已拒绝".to_owned()),
        // Named by hand (an IT person installing a package they were sent): the path as read.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{}，已拒绝", placecode_core::files::missing("更新包", file)));
        }
        _ => return Err("无法读取下载的更新包（应为一个普通文件），已拒绝".to_owned()),
    }
    let key_text = installed_key().ok_or("本机没有发布公钥，不能安装更新")?;
    let key = placecode_core::release::public_key(&key_text).map_err(|e| e.to_string())?;
    let installed = installed_version(format).unwrap_or_default();
    if !placecode_core::release::is_newer(&installed, &version) {
        return Err(format!("更新包的版本 {version} 不比已安装的 {installed} 新，已拒绝"));
    }
    // The signature read, and matched to this key, file and version, before anything is copied.
    let release = Release {
        version: version.clone(),
        format,
        arch: arch.clone(),
        notes: String::new(),
        published_at: chrono::Utc::now(),
        size: 0,
        sha256: String::new(),
        signature: signature.to_owned(),
        key_id: String::new(),
    };
    let verifier = placecode_core::release::Verifier::new(&key, &release).map_err(|e| e.to_string())?;
    let dir = root_only_dir().map_err(|e| format!("无法准备安装目录：{e}"))?;
    let result = (|| {
        let copy = dir.join(name);
        copy_at_most(file, &copy, too_large)?;
        let mut read = std::fs::File::open(&copy).map_err(|_| "无法读取更新包".to_owned())?;
        verifier.check(&mut read).map_err(|e| e.to_string())?;
        placecode_core::release::check_package_file(format, &copy, &version, &arch).map_err(|e| e.to_string())?;
        let tool: &[&str] = match format {
            PackageFormat::Deb => &["/usr/bin/apt-get", "install", "-y", "--no-install-recommends"],
            PackageFormat::Rpm if Path::new("/usr/bin/dnf").exists() => &["/usr/bin/dnf", "install", "-y"],
            PackageFormat::Rpm => &["/usr/bin/rpm", "-U"],
        };
        let out = std::process::Command::new(tool[0])
            .args(&tool[1..])
            .arg(&copy)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .map_err(|_| "无法启动系统的软件安装程序".to_owned())?;
        if !out.status.success() {
            eprintln!("placecode-desk: package install failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            return Err("系统的软件安装程序未能安装更新，本机仍是原版本".to_owned());
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Copies `from` to the new file `to`, refusing it past `limit` bytes (a file that grows
/// while it is copied).
fn copy_at_most(from: &Path, to: &Path, limit: u64) -> Result<(), String> {
    use std::io::Read;
    let unreadable = |_| "无法读取下载的更新包".to_owned();
    let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(to).map_err(unreadable)?;
    let copied = std::io::copy(&mut std::fs::File::open(from).map_err(unreadable)?.take(limit + 1), &mut out)
        .map_err(unreadable)?;
    if copied > limit {
        return Err("更新包过大，不是发布的安装包，已拒绝".to_owned());
    }
    Ok(())
}

/// Folders of installs that ended without removing theirs (the step killed, the machine off),
/// older than an install takes.
fn remove_stale(parent: &Path) {
    let stale = std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let old = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if entry.file_name().to_string_lossy().starts_with("update-") && old.is_some_and(|age| age > stale) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A new folder under /var/cache/placecode-desk that only root can write (its parent made so,
/// a link or a folder of someone else's refused).
fn root_only_dir() -> std::io::Result<PathBuf> {
    let parent = Path::new("/var/cache").join(placecode_core::release::PACKAGE);
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(&parent) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(&parent)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if !meta.is_dir() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
            return Err(std::io::Error::other("/var/cache/placecode-desk 不是只有系统管理员可写的目录"));
        }
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o700))?;
    }
    remove_stale(&parent);
    let mut id = [0u8; 8];
    getrandom::getrandom(&mut id).map_err(|e| std::io::Error::other(e.to_string()))?;
    let dir = parent.join(format!("update-{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    builder.create(&dir)?;
    Ok(dir)
}

#[cfg(unix)]
fn is_root() -> bool {
    // The owner of /proc/self is this process's effective user.
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// How this binary was packaged, as the bundler marked it.
pub fn installed_format() -> Option<PackageFormat> {
    match tauri::utils::platform::bundle_type()? {
        tauri::utils::config::BundleType::Deb => Some(PackageFormat::Deb),
        tauri::utils::config::BundleType::Rpm => Some(PackageFormat::Rpm),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_without_a_key_or_a_package_says_why_and_never_offers() {
        let dir = tempfile::tempdir().unwrap();
        let u = Updater::new("0.1.0", None, Some(PackageFormat::Deb), dir.path());
        assert_eq!(u.status().unwrap().unavailable, Some(Unavailable::NoReleaseKey));
        let u = Updater::new("0.1.0", Some(dir.path()), None, dir.path());
        assert_eq!(u.status().unwrap().unavailable, Some(Unavailable::NotInstalled));
        // A key file that is not a key is no key.
        std::fs::write(dir.path().join(KEY_FILE), "RWQ not a key").unwrap();
        let u = Updater::new("0.1.0", Some(dir.path()), Some(PackageFormat::Deb), dir.path());
        assert!(u.status().unwrap().unavailable.is_some());
        let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/core/tests/release/test-key.pub");
        std::fs::copy(key, dir.path().join(KEY_FILE)).unwrap();
        let u = Updater::new("0.1.0", Some(dir.path()), Some(PackageFormat::Deb), dir.path());
        assert_eq!(u.status().unwrap().unavailable, None);
    }

    #[test]
    fn a_package_named_by_hand_that_is_not_there_is_said_so_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("placecode-desk_9.0.0_amd64.deb");
        let said = install_as_root(&missing, "").unwrap_err();
        assert!(said.contains("文件不存在") && said.contains(&missing.display().to_string()), "{said}");
        // A folder with a package's name is not a package.
        std::fs::create_dir(&missing).unwrap();
        assert!(install_as_root(&missing, "").unwrap_err().contains("应为一个普通文件"));
    }

    #[test]
    fn a_newer_version_says_which_it_replaced_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let started = |version: &str| Updater::new(version, None, None, dir.path()).status().unwrap().updated_from;
        assert_eq!(started("0.1.0"), None, "a new desk was not updated");
        assert_eq!(started("0.1.0"), None);
        assert_eq!(started("0.2.0").as_deref(), Some("0.1.0"));
        assert_eq!(started("0.2.0").as_deref(), Some("0.1.0"), "at every start of 0.2.0");
        assert_eq!(started("0.3.0").as_deref(), Some("0.2.0"));
        // An older program on the same folder (put back by the IT office) is no update, and the
        // newer one started after it again says what it replaced.
        assert_eq!(started("0.1.5"), None);
        assert_eq!(started("0.3.0").as_deref(), Some("0.1.5"));
        // What the file holds is never shown unless it is a version older than this one.
        for odd in ["<script>alert(1)</script>", "0.1", "", "\u{202E}0.1.0", "0.4.0", "0.4.0\n0.1.0", &"9".repeat(200)]
        {
            std::fs::write(dir.path().join(LAST_VERSION_FILE), odd).unwrap();
            assert_eq!(started("0.3.0"), None, "{odd}");
        }
        std::fs::write(dir.path().join(LAST_VERSION_FILE), "0.3.0\n<b>0.1.0</b>").unwrap();
        assert_eq!(started("0.3.0"), None);
        assert_eq!(std::fs::read_to_string(dir.path().join(LAST_VERSION_FILE)).unwrap(), "0.3.0");
    }
}
