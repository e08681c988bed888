fn main() {
    // tauri.conf.json lives at the workspace root, not in src-tauri/.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script");
    // The desk carries its own SQLite (SQLCipher, linked in). Without this the program exported
    // 52 of its sqlite3_* functions, so WebKitGTK's and libsoup's calls to those would reach it
    // while their other sqlite3_* calls reach the system's SQLite (also loaded): two SQLite
    // builds on one database handle. Keeps the program's own symbols to itself (GNU ld, lld).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,--exclude-libs,ALL");
    }
}
