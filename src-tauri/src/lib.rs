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
    /// The operator signed in at this desk (登记员), if any.
    operator: Mutex<Option<placecode::store::Operator>>,
}

impl Desk {
    pub fn open(data_dir: PathBuf) -> placecode::Result<Desk> {
        let store = Store::open(&data_dir.join("desk.sqlite3"))?;
        Ok(Desk { store: Mutex::new(store), operator: Mutex::new(None) })
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
            commands::advance_incident,
            commands::incidents,
            commands::today,
            commands::import_risk_csv,
            commands::risk_status,
            commands::set_risk_max_age,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("placecode-desk: cannot start: {e}");
        std::process::exit(1);
    }
}
