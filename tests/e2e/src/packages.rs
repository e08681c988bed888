//! Installing and removing the desk's packages in the tests that need root (package.rs,
//! update.rs): they run one test binary at a time, so never two installs at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PACKAGE: &str = "placecode-desk";
pub const PROGRAM: &str = "/usr/bin/placecode-desk";

pub fn package_file(var: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} names the package to test: run `make test-e2e`, which builds it"));
    assert!(path.is_file(), "{} not found", path.display());
    path.canonicalize().expect("absolute package path")
}

/// The desk's version, as tauri.conf.json gives it to the bundler.
pub fn version() -> String {
    let conf = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tauri.conf.json"))
        .expect("tauri.conf.json");
    let conf: serde_json::Value = serde_json::from_str(&conf).expect("tauri.conf.json is JSON");
    conf["version"].as_str().expect("a version").to_owned()
}

pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"))
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs a command as root: directly when this is root, else through `sudo -n`.
pub fn as_root(args: &[&str]) -> Output {
    let root = String::from_utf8_lossy(&run("id", &["-u"]).stdout).trim() == "0";
    let out = if root { run(args[0], &args[1..]) } else { run("sudo", &[&["-n"], args].concat()) };
    assert!(out.status.success(), "{args:?} failed: {}", text(&out));
    out
}

pub fn installed() -> bool {
    !installed_version().is_empty()
}

/// Removes the package however the test ends, so a failed run leaves nothing installed.
pub struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if installed() {
            let _ = Command::new("sh")
                .args([
                    "-c",
                    &format!("[ \"$(id -u)\" = 0 ] && dpkg --purge {PACKAGE} || sudo -n dpkg --purge {PACKAGE}"),
                ])
                .status();
        }
    }
}

/// The installed package's version (empty when not installed).
pub fn installed_version() -> String {
    let out = run("dpkg-query", &["-W", "-f=${Status} ${Version}", PACKAGE]);
    let s = String::from_utf8_lossy(&out.stdout).to_string();
    s.strip_prefix("install ok installed ").map(str::to_owned).unwrap_or_default()
}
