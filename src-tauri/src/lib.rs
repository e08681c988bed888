//! The desk app's shell: window, state and thin command adapters over the `placecode` core.

mod commands;
mod error;

#[cfg(test)]
mod bindings;

use std::path::PathBuf;
use std::sync::Mutex;

use placecode::Store;
use tauri::Manager;

pub use error::{CommandError, DeskError, DeskResult};

/// What every command can reach.
pub struct Desk {
    store: Mutex<Store>,
    /// This desk's code-signing key, from its own file beside the database.
    key: placecode::code::SigningKey,
    /// The poster fonts, read on first use (about 70 MB).
    fonts: Mutex<Option<std::sync::Arc<placecode::poster::FontSet>>>,
    /// Set by 取消 while posters are being made.
    cancel_posters: std::sync::atomic::AtomicBool,
    /// The operator signed in at this desk (登记员), if any.
    operator: Mutex<Option<placecode::store::Operator>>,
    /// Background sync with the central server, on its own connection to the database.
    sync: std::sync::Arc<placecode::sync_client::SyncEngine>,
}

impl Desk {
    pub fn open(data_dir: PathBuf) -> placecode::Result<Desk> {
        let db = data_dir.join("desk.sqlite3");
        let store = Store::open(&db)?;
        let key = placecode::keys::load_or_create(&data_dir.join("desk-signing.key"))?;
        Ok(Desk {
            sync: placecode::sync_client::SyncEngine::new(&db),
            store: Mutex::new(store),
            key,
            fonts: Mutex::new(None),
            cancel_posters: std::sync::atomic::AtomicBool::new(false),
            operator: Mutex::new(None),
        })
    }

    fn fonts(&self) -> DeskResult<std::sync::Arc<placecode::poster::FontSet>> {
        let mut slot = self.fonts.lock().map_err(|_| DeskError::Internal("font lock poisoned".into()))?;
        if let Some(f) = slot.as_ref() {
            return Ok(f.clone());
        }
        let fonts = std::sync::Arc::new(placecode::poster::FontSet::discover()?);
        *slot = Some(fonts.clone());
        Ok(fonts)
    }

    fn require_admin(&self) -> DeskResult<()> {
        match self.operator()?.as_ref() {
            Some(o) if o.is_admin => Ok(()),
            Some(_) => Err(DeskError::Forbidden),
            None => Err(DeskError::SignedOut),
        }
    }

    fn operator(&self) -> DeskResult<std::sync::MutexGuard<'_, Option<placecode::store::Operator>>> {
        self.operator.lock().map_err(|_| DeskError::Internal("operator lock poisoned".into()))
    }

    /// Who is at the desk and when: every check-in names its operator (R6, R11).
    fn context(&self, trip_code_checked: bool) -> DeskResult<placecode::store::CheckInContext> {
        let operator = self.operator()?.clone().ok_or(DeskError::SignedOut)?;
        Ok(placecode::store::CheckInContext {
            operator_id: operator.id,
            trip_code_checked,
            code: None,
            now: chrono::Utc::now(),
        })
    }

    fn store(&self) -> DeskResult<std::sync::MutexGuard<'_, Store>> {
        self.store.lock().map_err(|_| DeskError::Internal("store lock poisoned".into()))
    }
}

/// `PLACECODE_DATA_DIR` overrides the OS app-data folder (tests, a portable install).
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    match std::env::var_os("PLACECODE_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(app.path().app_data_dir()?),
    }
}

pub fn run() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            let desk = Desk::open(dir).map_err(|e| format!("无法打开数据库：{e}"))?;
            // Sync runs beside the UI and tells it every change of its status.
            let handle = app.handle().clone();
            desk.sync.on_change(move |status| {
                let _ = tauri::Emitter::emit(&handle, "sync-status", status);
            });
            tauri::async_runtime::spawn(desk.sync.clone().run());
            app.manage(desk);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::catalog,
            commands::list_venues,
            commands::register_venue,
            commands::update_venue,
            commands::set_served_venue,
            commands::served_venue,
            commands::import_venues_csv,
            commands::operators,
            commands::add_operator,
            commands::sign_in,
            commands::sign_out,
            commands::current_operator,
            commands::check_in_by_id,
            commands::check_in_by_last4,
            commands::check_in_person,
            commands::declare,
            commands::register_manual,
            commands::report_incident,
            commands::release_visit,
            commands::incident_places,
            commands::undecided_results,
            commands::advance_incident,
            commands::incidents,
            commands::today,
            commands::import_risk_csv,
            commands::risk_status,
            commands::set_risk_max_age,
            commands::venue_codes,
            commands::issue_code,
            commands::revoke_code,
            commands::check_code,
            commands::check_code_image,
            commands::poster_settings,
            commands::set_poster_settings,
            commands::poster_preview,
            commands::save_posters,
            commands::cancel_posters,
            commands::open_file,
            commands::sync_status,
            commands::sync_connect,
            commands::sync_now,
            commands::sync_rejected,
            commands::sync_retry,
            commands::sync_discard,
            commands::truck_destinations,
            commands::truck_find_crew,
            commands::truck_open_trip,
            commands::truck_record_arrival,
            commands::truck_board,
            commands::truck_set_overdue_hours,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("placecode-desk: cannot start: {e}");
        std::process::exit(1);
    }
}
