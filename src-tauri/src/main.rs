// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // 软件更新's privileged step, run by pkexec: check the package again as root, install it, exit.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(placecode_desk::INSTALL_ARG) {
        std::process::exit(placecode_desk::install_helper(&args[2..]));
    }
    // The desk's screens are flat pages. WebKitGTK's compositing (GPU layers, or software GL on
    // a laptop without a GPU driver) cost its web process half its memory: 133 MB against 67 MB
    // at the first screen (docs/BENCHMARKS.md). Set before WebKit starts; an IT office that
    // wants compositing sets the variable to 0.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    placecode_desk::run();
}
