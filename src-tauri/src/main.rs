// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // 软件更新's privileged step, run by pkexec: check the package again as root, install it, exit.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(placecode_desk::INSTALL_ARG) {
        std::process::exit(placecode_desk::install_helper(&args[2..]));
    }
    placecode_desk::run();
}
