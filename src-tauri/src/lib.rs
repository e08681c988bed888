//! The desk app's shell: window, state and thin command adapters over the `placecode` core.

mod access;
mod commands;
mod error;
mod screens;
mod update;

#[cfg(test)]
mod bindings;

use std::path::PathBuf;
use std::sync::Mutex;

use placecode_store::session::Session;
use placecode_store::Store;
use tauri::Manager;

pub use error::{CommandError, DeskError, DeskResult};
pub use update::{install_helper, INSTALL_ARG};

/// What every command can reach.
pub struct Desk {
    store: Mutex<Store>,
    /// This desk's code-signing key, kept where the database key is (`placecode_store::keys::for_store`).
    key: placecode_core::code::SigningKey,
    /// The poster fonts, read on first use (about 70 MB).
    fonts: Mutex<Option<std::sync::Arc<placecode_poster::FontSet>>>,
    /// Where an installed package keeps the fonts it ships (the app's resource folder).
    font_dir: Option<PathBuf>,
    /// Set by 取消 while posters are being made.
    cancel_posters: std::sync::atomic::AtomicBool,
    /// The operator signed in at this desk (登记员), if any, and since when idle.
    session: Mutex<Session>,
    /// Files this desk saved (posters): the only ones `open_file` opens.
    saved_files: Mutex<std::collections::HashSet<PathBuf>>,
    /// Background sync with the central server, on its own connection to the database.
    sync: std::sync::Arc<placecode_sync_client::SyncEngine>,
    /// 软件更新: set up at start, once the app knows its version and resource folder.
    updater: std::sync::OnceLock<update::Updater>,
    /// The 扫码屏 windows open: each one's code and how often it changes (seconds).
    screens: screens::Screens,
    /// 今日登记's searches for a whole name or number in the last hour (the core's limits).
    search_budget: Mutex<placecode_core::checkin::SearchBudget>,
    /// 登记台's answers that recorded nobody, not yet forgotten (the core's limit): held through
    /// a lookup, before the store.
    door: Mutex<placecode_core::checkin::DoorBudget>,
    /// The pace of people recorded from forms (`checkin::FormPace`), kept across restarts.
    form_pace: Mutex<placecode_core::checkin::FormPace>,
    /// 今日登记's lists and searches, on a connection of their own: a search reads the whole
    /// day (0.3 s at a station), and fifty sent at once from script held a check-in 13 s when
    /// they shared the door's connection.
    lists: Mutex<Store>,
}

impl Desk {
    pub fn open(data_dir: PathBuf) -> placecode_store::Result<Desk> {
        let db = data_dir.join("desk.sqlite3");
        let mut store = Store::open(&db)?;
        // 保存期限: what is past the retention window goes before anyone signs in.
        store.purge_expired(chrono::Utc::now())?;
        // A matching door tag is confirmed with the centre, when the desk is connected to one.
        store.set_risk_confirm(Box::new(placecode_sync_client::confirm_risk));
        let key = placecode_store::keys::for_store(&data_dir, &mut store)?;
        let idle = store.idle_minutes()?;
        let lists = Mutex::new(Store::open(&db)?);
        let door = Mutex::new(store.door_budget()?);
        let form_pace = Mutex::new(store.form_pace()?);
        let search_budget = Mutex::new(store.search_budget()?);
        Ok(Desk {
            sync: placecode_sync_client::SyncEngine::new(&db),
            store: Mutex::new(store),
            key,
            fonts: Mutex::new(None),
            font_dir: None,
            cancel_posters: std::sync::atomic::AtomicBool::new(false),
            session: Mutex::new(Session::new(idle)),
            saved_files: Mutex::new(Default::default()),
            updater: std::sync::OnceLock::new(),
            screens: Default::default(),
            search_budget,
            door,
            form_pace,
            lists,
        })
    }

    fn fonts(&self) -> DeskResult<std::sync::Arc<placecode_poster::FontSet>> {
        let mut slot = self.fonts.lock().map_err(|_| DeskError::Internal("font lock poisoned".into()))?;
        if let Some(f) = slot.as_ref() {
            return Ok(f.clone());
        }
        let fonts = std::sync::Arc::new(placecode_poster::FontSet::discover_with(self.font_dir.as_deref())?);
        *slot = Some(fonts.clone());
        Ok(fonts)
    }

    fn updater(&self) -> DeskResult<&update::Updater> {
        self.updater.get().ok_or_else(|| DeskError::Internal("updater not set up".into()))
    }

    fn session(&self) -> DeskResult<std::sync::MutexGuard<'_, Session>> {
        self.session.lock().map_err(|_| DeskError::Internal("session lock poisoned".into()))
    }

    /// The operator signed in, if any.
    fn operator(&self) -> DeskResult<Option<placecode_store::Operator>> {
        Ok(self.session()?.operator().cloned())
    }

    /// The operator signed in, or `signed_out`.
    fn signed_in(&self) -> DeskResult<placecode_store::Operator> {
        Ok(self.session()?.signed_in()?.clone())
    }

    /// The gate every command passes before it runs: the table of what each command needs
    /// ([`access::COMMANDS`]), judged by the session (the idle sign-out, then who may).
    /// The session is always locked before the store.
    /// Whether the window labelled `window` may call `command` now. The 扫码屏 window faces the
    /// public: it may ask for its code and nothing else, and no other window may ask for that.
    pub fn admit(&self, command: &str, window: &str) -> DeskResult<()> {
        let access = access::access(command);
        if screens::is_screen(window) != (access == Some(access::Access::Screen)) {
            return Err(placecode_store::session::Denied::WrongWindow.into());
        }
        let mut session = self.session()?;
        let store = self.store()?;
        Ok(session.admit(access, &store, std::time::Instant::now())?)
    }

    /// Who acts and when: every record names its operator (R6, R11).
    fn acting(&self) -> DeskResult<placecode_store::CheckInContext> {
        Ok(self.session()?.acting(chrono::Utc::now())?)
    }

    /// A check-in's context: who, when, and whether the person's trip code was checked.
    fn check_in(&self, trip_code_checked: bool) -> DeskResult<placecode_store::CheckInContext> {
        Ok(placecode_store::CheckInContext { trip_code_checked, ..self.acting()? })
    }

    /// The door's count (locked before the store, never after).
    fn door(&self) -> DeskResult<std::sync::MutexGuard<'_, placecode_core::checkin::DoorBudget>> {
        self.door.lock().map_err(|_| DeskError::Internal("door count lock poisoned".into()))
    }

    fn form_pace(&self) -> DeskResult<std::sync::MutexGuard<'_, placecode_core::checkin::FormPace>> {
        self.form_pace.lock().map_err(|_| DeskError::Internal("form pace lock poisoned".into()))
    }

    fn store(&self) -> DeskResult<std::sync::MutexGuard<'_, Store>> {
        self.store.lock().map_err(|_| DeskError::Internal("store lock poisoned".into()))
    }

    /// The connection 今日登记 reads its lists on (reads only).
    fn lists(&self) -> DeskResult<std::sync::MutexGuard<'_, Store>> {
        self.lists.lock().map_err(|_| DeskError::Internal("list lock poisoned".into()))
    }
}

/// `PLACECODE_DATA_DIR` overrides the OS app-data folder (tests, a portable install).
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    match std::env::var_os("PLACECODE_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(app.path().app_data_dir()?),
    }
}

/// Registers the desk's commands and lists their names, from one list: a test checks that the
/// names are exactly those of the access table.
macro_rules! desk_commands {
    ($($name:ident),* $(,)?) => {
        #[cfg(test)]
        const REGISTERED: &[&str] = &[$(stringify!($name)),*];
        fn command_handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(commands::$name),*]
        }
    };
}

desk_commands![
    catalog,
    set_language,
    list_venues,
    register_venue,
    update_venue,
    set_served_venue,
    served_venue,
    import_venues_csv,
    operators,
    add_operator,
    sign_in,
    set_operator_disabled,
    sign_out,
    current_operator,
    still_here,
    change_pin,
    session_settings,
    set_idle_minutes,
    set_retention_days,
    check_in_by_id,
    check_in_by_last4,
    check_in_person,
    check_in_picked,
    declare,
    register_manual,
    report_incident,
    release_visit,
    incident_places,
    incident_place_list,
    set_incident_place_list,
    undecided_results,
    advance_incident,
    incidents,
    late_hits,
    report_late_hit,
    today,
    import_risk_csv,
    risk_status,
    set_risk_max_age,
    venue_codes,
    issue_code,
    revoke_code,
    check_code,
    check_code_image,
    poster_settings,
    set_poster_settings,
    open_screen,
    screen_code,
    running_screens,
    reopen_screens,
    stop_screen,
    set_code_rotating_only,
    occupancy,
    check_out,
    queue_view,
    set_venue_limit,
    poster_preview,
    save_posters,
    cancel_posters,
    open_file,
    print_setup,
    print_posters,
    setup_pending,
    finish_setup,
    update_status,
    update_check,
    update_install,
    sync_status,
    sync_connect,
    sync_now,
    sync_rejected,
    sync_retry,
    sync_correct,
    sync_discard,
    truck_destinations,
    truck_find_crew,
    truck_open_trip,
    truck_record_arrival,
    truck_resolve_trip,
    truck_trip_slip,
    truck_held_results,
    day_visits,
    export_day,
    export_day_full,
    truck_board,
    truck_set_overdue_hours,
];

/// The title of the desk's window and its dialogs.
const WINDOW_TITLE: &str = "开封市场所码 · 登记台";
/// The title of the 扫码屏 window.
const SCREEN_TITLE: &str = "开封市场所码 · 扫码屏";

/// Why the desk could not open its data at start (see [`run`]).
struct Unopened(String);

/// The data folder's lock, held while this desk runs.
struct DeskLock(#[allow(dead_code)] placecode_store::DataLock);

pub fn run() {
    let handler = command_handler();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            // One desk per data folder: a second start (a double click, the desk started again
            // while it runs) says so and leaves; two processes on one database lose writes. A
            // desk restarting itself into an update starts this one just before it exits: it is
            // given a few seconds to let go.
            let lock = placecode_store::lock_data_folder(&dir, std::time::Duration::from_secs(8))?;
            let Some(lock) = lock else {
                use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
                let handle = app.handle().clone();
                app.dialog()
                    .message("登记台已经在运行：请切换到已打开的登记台窗口。\nThe desk is already running: switch to its window.")
                    .title(WINDOW_TITLE)
                    .kind(MessageDialogKind::Info)
                    .show(move |_| handle.exit(0));
                app.manage(Unopened("登记台已经在运行".into()));
                return Ok(());
            };
            // Held while the desk runs.
            app.manage(DeskLock(lock));
            let resources = app.path().resource_dir().ok();
            let desk = match Desk::open(dir.clone()) {
                Ok(desk) => Desk { font_dir: resources.as_ref().map(|d| d.join("fonts")), ..desk },
                Err(e) => {
                    // A desk that cannot open its data (its key gone from the keystore, a folder
                    // copied from another computer) says why and what not to do, instead of
                    // vanishing; every command answers the same until it is restarted.
                    let reason = e.to_string();
                    eprintln!("placecode-desk: cannot open the desk's data: {}", e.code());
                    let handle = app.handle().clone();
                    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
                    app.dialog()
                        .message(DeskError::Unopened(reason.clone()).to_string())
                        .title(WINDOW_TITLE)
                        .kind(MessageDialogKind::Error)
                        .show(move |_| handle.exit(1));
                    app.manage(Unopened(reason));
                    return Ok(());
                }
            };
            // Sync runs beside the UI and tells it every change of its status.
            let handle = app.handle().clone();
            desk.sync.on_change(move |status| {
                let _ = tauri::Emitter::emit(&handle, "sync-status", error::spoken_sync(status));
            });
            tauri::async_runtime::spawn(desk.sync.clone().run());
            let version = app.package_info().version.to_string();
            let updater = update::Updater::new(&version, resources.as_deref(), update::installed_format(), &dir);
            let _ = desk.updater.set(updater);
            app.manage(desk);
            // 软件更新: the centre is asked soon after start, then daily.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(update::FIRST_CHECK_AFTER).await;
                loop {
                    let desk = handle.state::<Desk>();
                    if let Ok(u) = desk.updater() {
                        if let Ok(status) = u.check(&desk.sync).await {
                            let _ = tauri::Emitter::emit(&handle, update::STATUS_EVENT, status);
                        }
                    }
                    tokio::time::sleep(update::CHECK_EVERY).await;
                }
            });
            // And every hour while the desk runs (a desk may stay open for weeks).
            let handle = app.handle().clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                let desk = handle.state::<Desk>();
                if let Err(e) = desk.store().and_then(|mut s| Ok(s.purge_expired(chrono::Utc::now())?)) {
                    eprintln!("placecode-desk: retention purge failed: {}", CommandError::from(&e).code);
                }
            });
            Ok(())
        })
        // Closing the desk's own window quits the desk, its screens with it (they open again at the
        // next start, until 关闭扫码屏): a desk with no window of its own could not be reached,
        // and starting it again would be refused.
        .on_window_event(|window, event| {
            if window.label() == "main" && matches!(event, tauri::WindowEvent::Destroyed) {
                window.app_handle().exit(0);
            }
            if screens::is_screen(window.label()) && matches!(event, tauri::WindowEvent::Destroyed) {
                let desk = window.app_handle().state::<Desk>();
                if let Err(e) = screens::closed(&desk, window.label()) {
                    eprintln!("placecode-desk: a closed screen was not forgotten: {}", CommandError::from(&e).code);
                }
            }
        })
        .invoke_handler(move |invoke| {
            // Every call passes the gate first; a refused one never reaches its command.
            let webview = invoke.message.webview();
            let verdict = match (webview.try_state::<Desk>(), webview.try_state::<Unopened>()) {
                (Some(desk), _) => desk.admit(invoke.message.command(), webview.label()),
                (None, why) => Err(DeskError::Unopened(why.map_or_else(String::new, |w| w.0.clone()))),
            };
            match verdict {
                Ok(()) => handler(invoke),
                Err(e) => {
                    invoke.resolver.reject(e);
                    true
                }
            }
        })
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("placecode-desk: cannot start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use access::Access;

    /// One desk per data folder: the lock is refused while another holds it, and taken once it
    /// lets go (a desk restarting itself into an update).
    #[test]
    fn one_desk_per_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = placecode_store::lock_data_folder(dir.path(), std::time::Duration::ZERO).unwrap();
        assert!(first.is_some());
        let second = placecode_store::lock_data_folder(dir.path(), std::time::Duration::from_millis(300)).unwrap();
        assert!(second.is_none(), "a second desk on the same folder");
        let other = tempfile::tempdir().unwrap();
        assert!(
            placecode_store::lock_data_folder(other.path(), std::time::Duration::ZERO).unwrap().is_some(),
            "another folder"
        );
        let holder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        assert!(
            placecode_store::lock_data_folder(dir.path(), std::time::Duration::from_secs(5)).unwrap().is_some(),
            "after it let go"
        );
        holder.join().unwrap();
    }

    /// Every registered command has a line in the access table, and every line a command.
    #[test]
    fn the_access_table_names_exactly_the_registered_commands() {
        let mut registered: Vec<&str> = REGISTERED.to_vec();
        let mut table: Vec<&str> = access::COMMANDS.iter().map(|(n, _)| *n).collect();
        registered.sort_unstable();
        table.sort_unstable();
        assert_eq!(registered, table);
    }

    fn outcome(desk: &Desk, command: &str) -> &'static str {
        outcome_in(desk, command, "main")
    }

    fn outcome_in(desk: &Desk, command: &str, window: &str) -> &'static str {
        match desk.admit(command, window) {
            Ok(()) => "ok",
            Err(DeskError::Store(e @ placecode_store::Error::Denied(_))) => e.code(),
            Err(_) => "other",
        }
    }

    /// A real desk (its own database file), walked command by command: signed out, as an
    /// operator and as the administrator, on a new desk and on one with operators.
    #[test]
    fn every_command_signed_out_as_operator_and_as_administrator() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(dir.path().to_path_buf()).unwrap();
        // A new desk: only the sign-in screen's commands and adding the first operator.
        for (name, access) in access::COMMANDS {
            let expected = match access {
                Access::Open | Access::Setup => "ok",
                Access::Operator | Access::Admin | Access::ChangePin => "signed_out",
                // The 扫码屏's own, never the desk window's.
                Access::Screen => "forbidden",
            };
            assert_eq!(outcome(&desk, name), expected, "new desk, signed out: {name}");
        }
        let admin = desk.store().unwrap().add_operator("张敏", "246813").unwrap();
        let clerk = desk.store().unwrap().add_operator("李娜", "135792").unwrap();
        let now = std::time::Instant::now();
        for (who, op) in [("signed out", None), ("operator", Some(&clerk)), ("administrator", Some(&admin))] {
            match op {
                Some(op) => desk.session().unwrap().sign_in(op.clone(), now),
                None => desk.session().unwrap().sign_out(),
            }
            for (name, access) in access::COMMANDS {
                let expected = match (access, who) {
                    (Access::Screen, _) => "forbidden",
                    (Access::Open, _) => "ok",
                    (Access::ChangePin, "signed out") => "signed_out",
                    (Access::ChangePin, _) => "ok",
                    (_, "signed out") => "signed_out",
                    (Access::Operator, _) => "ok",
                    (Access::Setup | Access::Admin, "administrator") => "ok",
                    (Access::Setup | Access::Admin, _) => "forbidden",
                };
                assert_eq!(outcome(&desk, name), expected, "{who}: {name}");
            }
        }
        // The administrator-only work, by name, as the issue lists it.
        desk.session().unwrap().sign_in(clerk.clone(), now);
        for name in [
            "add_operator",
            "import_risk_csv",
            "sync_connect",
            "set_idle_minutes",
            "register_venue",
            "import_venues_csv",
            "set_served_venue",
            "sync_discard",
        ] {
            assert_eq!(outcome(&desk, name), "forbidden", "{name}");
        }
        for name in ["unknown", "check_in_by_id "] {
            assert_eq!(outcome(&desk, name), "forbidden", "{name}");
        }
        // The 扫码屏 window faces the public: its own command and nothing else, signed in or not
        // (a tablet's touch screen must not reach the desk's records).
        for op in [None, Some(&clerk), Some(&admin)] {
            match op {
                Some(op) => desk.session().unwrap().sign_in(op.clone(), now),
                None => desk.session().unwrap().sign_out(),
            }
            for (name, access) in access::COMMANDS {
                let expected = if *access == Access::Screen { "ok" } else { "forbidden" };
                assert_eq!(outcome_in(&desk, name, "screen-TEST"), expected, "扫码屏: {name}");
            }
        }
        // A running screen of a revoked code runs on with the replacement (the codes page marks
        // the new row at once, not when the window next asks).
        let venue = desk
            .store()
            .unwrap()
            .register_venue(
                &placecode_core::venue::VenueInput {
                    kind: "general".into(),
                    category: "mall".into(),
                    name: "鼓楼区便民超市".into(),
                    district: "gulou".into(),
                    address: "中山路18号".into(),
                    manager_name: "王建国".into(),
                    manager_phone: "13837800001".into(),
                },
                false,
            )
            .unwrap();
        let old = desk.store().unwrap().issue_code(&venue.id, "正门", &desk.key).unwrap().code;
        desk.store().unwrap().set_open_screens(&[(old.clone(), 30)]).unwrap();
        let new = desk.store().unwrap().revoke_code(&old, "海报被损坏", &desk.key).unwrap().code;
        screens::follow(&desk, &old, &new).unwrap();
        assert_eq!(screens::running(&desk).unwrap(), std::slice::from_ref(&new));
        assert_eq!(desk.store().unwrap().open_screens().unwrap(), [(new, 30)], "its period kept");
        // Said as what it is, not as a missing administrator's right.
        let said = desk.admit("today", "screen-TEST").unwrap_err().to_string();
        assert!(said.contains("扫码屏窗口只显示场所码"), "{said}");
    }
}
