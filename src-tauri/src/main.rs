// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Where the installed package keeps the update guide (`tauri.conf.json` installs it).
const UPDATES_DOC: &str = "/usr/share/doc/placecode-desk/updates.md";

fn main() {
    // 软件更新's privileged step, run by pkexec: check the package again as root, install it, exit.
    // An argument that is not text is a mistake, refused (it would otherwise panic here, as
    // root under pkexec too).
    let Ok(args) = std::env::args_os().map(std::ffi::OsString::into_string).collect::<Result<Vec<String>, _>>() else {
        eprintln!("placecode-desk: 参数不是有效的文字（an argument is not valid UTF-8; see placecode-desk --help）");
        std::process::exit(2);
    };
    if args.get(1).map(String::as_str) == Some(placecode_desk::INSTALL_ARG) {
        std::process::exit(placecode_desk::install_helper(&args[2..]));
    }
    // An IT office's script asks which version a laptop runs, or what the program is, without
    // opening a window.
    match args.get(1).map(String::as_str) {
        // Nothing may follow (a script's `--version --bogus` is a mistake too).
        Some("--version" | "-V" | "--help" | "-h") if args.len() > 2 => {
            eprintln!("placecode-desk: 多余的参数 {:?}（unexpected argument; see placecode-desk --help）", args[2]);
            std::process::exit(2);
        }
        Some("--version" | "-V") => {
            println!("placecode-desk {}", env!("PLACECODE_DESK_VERSION"));
            return;
        }
        Some("--help" | "-h") => {
            println!(
                "placecode-desk {}: 场所码登记台 (the venue check-in desk)\n\n\
                 Usage: placecode-desk            open the desk\n\
                 \x20      placecode-desk --version  print the version and exit\n\
                 \x20      placecode-desk {} <package> <signature>\n\
                 \x20                                install a signed update (as root; the desk's\n\
                 \x20                                设置 › 软件更新 runs it through pkexec)\n\n\
                 Environment: PLACECODE_DATA_DIR (the data folder; default: the system's place for\n\
                 app data), PLACECODE_KEYSTORE=file (keep the database key in a file beside the\n\
                 database instead of the system keyring). Updates: {}.",
                env!("PLACECODE_DESK_VERSION"),
                placecode_desk::INSTALL_ARG,
                UPDATES_DOC
            );
            return;
        }
        // Anything else is a mistake, not a desk to open (a script's typo would otherwise open
        // a window, or fail without a screen).
        Some(other) => {
            eprintln!("placecode-desk: 不认识的参数 {other:?}（unknown argument; see placecode-desk --help）");
            std::process::exit(2);
        }
        None => {}
    }
    // Without a screen GTK cannot start and the window library panics: say so plainly, whether
    // no display is named or the one named cannot be reached (a stale DISPLAY after ssh).
    #[cfg(target_os = "linux")]
    {
        const NO_DISPLAY: &str = "placecode-desk: 没有可用的显示器，登记台需要在桌面环境中启动（no display: DISPLAY and WAYLAND_DISPLAY are not set or cannot be reached）";
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            eprintln!("{NO_DISPLAY}");
            std::process::exit(1);
        }
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let said = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if said.contains("Failed to initialize gtk backend") {
                eprintln!("{NO_DISPLAY}");
                std::process::exit(1);
            }
            default(info);
        }));
    }
    // The desk's screens are flat pages. WebKitGTK's compositing (GPU layers, or software GL on
    // a laptop without a GPU driver) cost its web process half its memory: 133 MB against 67 MB
    // at the first screen (docs/BENCHMARKS.md). Set before WebKit starts; an IT office that
    // wants compositing sets the variable to 0.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    // The screens' scripts are small and run for a person at a time: JavaScriptCore's JIT
    // compilers bought nothing a clerk can see (start-up is about 50 ms slower without them),
    // and cost the web process 10 MB at start and half its growth under check-ins (3.4 against
    // 1.7 MB per 100; docs/BENCHMARKS.md). `JSC_useJIT=1` brings the JIT back.
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_useJIT").is_none() {
        std::env::set_var("JSC_useJIT", "0");
    }
    placecode_desk::run();
}
