//! Tauri commands: each one unpacks its arguments, calls the core and returns. No rules here.
//! `async` commands run off the main thread, so a slow disk never freezes the window.

use placecode::import::ImportReport;
use placecode::venue::{Catalog, Venue, VenueInput};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::{Desk, DeskError, DeskResult};

#[tauri::command]
pub fn catalog() -> Catalog {
    Catalog::get()
}

#[tauri::command(async)]
pub fn list_venues(desk: State<'_, Desk>, query: String) -> DeskResult<Vec<Venue>> {
    Ok(desk.store()?.venues(&query)?)
}

#[tauri::command(async)]
pub fn register_venue(desk: State<'_, Desk>, input: VenueInput, confirm_similar: bool) -> DeskResult<Venue> {
    Ok(desk.store()?.register_venue(&input, confirm_similar)?)
}

#[tauri::command(async)]
pub fn update_venue(desk: State<'_, Desk>, id: String, input: VenueInput, confirm_similar: bool) -> DeskResult<Venue> {
    Ok(desk.store()?.update_venue(&id, &input, confirm_similar)?)
}

#[tauri::command(async)]
pub fn set_served_venue(desk: State<'_, Desk>, id: String) -> DeskResult<Venue> {
    Ok(desk.store()?.set_served_venue(&id)?)
}

#[tauri::command(async)]
pub fn served_venue(desk: State<'_, Desk>) -> DeskResult<Option<Venue>> {
    Ok(desk.store()?.served_venue()?)
}

/// The CSV arrives as the raw request body (a Uint8Array on the JS side), not as JSON numbers.
#[tauri::command(async)]
pub fn import_venues_csv(desk: State<'_, Desk>, request: Request<'_>) -> DeskResult<ImportReport> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(DeskError::Core(placecode::Error::BadFile("请选择CSV文件".into())));
    };
    Ok(placecode::import::import_venues(&mut *desk.store()?, bytes)?)
}
