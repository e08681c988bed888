fn main() {
    // tauri.conf.json lives at the workspace root, not in src-tauri/.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script");
    // The desk carries its own SQLite (SQLCipher, linked in). Without this the program exported
    // 52 of its sqlite3_* functions, so WebKitGTK's and libsoup's calls to those would reach it
    // while their other sqlite3_* calls reach the system's SQLite (also loaded): two SQLite
    // builds on one database handle. Keeps the program's own symbols to itself (GNU ld, lld).
    // `placecode-desk --version` says the version the desk runs as (its package's, tauri.conf.json
    // or TAURI_CONFIG's when a release is built as the next version), without starting the app.
    println!("cargo:rerun-if-env-changed=TAURI_CONFIG");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    let version_of = |json: &str| -> Option<String> {
        serde_json::from_str::<serde_json::Value>(json).ok()?.get("version")?.as_str().map(str::to_owned)
    };
    let version = std::env::var("TAURI_CONFIG")
        .ok()
        .and_then(|c| version_of(&c))
        .or_else(|| std::fs::read_to_string("../tauri.conf.json").ok().and_then(|c| version_of(&c)))
        .expect("a version in tauri.conf.json");
    println!("cargo:rustc-env=PLACECODE_DESK_VERSION={version}");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,--exclude-libs,ALL");
    }
}
