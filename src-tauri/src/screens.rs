//! 扫码屏 windows: one per entrance, each showing its own code with a token that changes every
//! few seconds (`placecode_core::rotating`). A window keeps running while the desk is signed out,
//! and follows its code to the replacement when the code is revoked. The desk runs a screen until
//! the clerk stops it (关闭扫码屏 on the codes page): one whose window was closed, or that was
//! running when the desk quit (closing the desk's window quits it) or the laptop shut down, opens
//! again at start, as it was.
//!
//! A screen faces the public: the shell's gate (`Desk::admit`) lets a screen's window call only
//! `screen_code`, which answers that window's own code and nothing else.

use std::collections::HashMap;

use placecode_store::ScreenCode;
use tauri::Manager;

use crate::{Desk, DeskError, DeskResult};

/// The labels of the 扫码屏 windows start with this.
pub const PREFIX: &str = "screen-";

/// Whether the window labelled `label` is a 扫码屏.
pub fn is_screen(label: &str) -> bool {
    label.starts_with(PREFIX)
}

/// The open screens: window label → (the code it shows, its period in seconds).
pub type Screens = std::sync::Mutex<HashMap<String, (String, u32)>>;

fn lock(desk: &Desk) -> DeskResult<std::sync::MutexGuard<'_, HashMap<String, (String, u32)>>> {
    desk.screens.lock().map_err(|_| DeskError::Internal("screens lock poisoned".into()))
}

/// Keeps `code`'s screen (at `period`) in the store's list of the screens this desk runs, in
/// place of `was` (the code it showed before, when it moved on to a replacement); `None` stops it.
fn remember(desk: &Desk, code: &str, was: &str, period: Option<u32>) -> DeskResult<()> {
    let mut store = desk.store()?;
    let mut list = store.open_screens()?;
    list.retain(|(c, _)| c != code && c != was);
    if let Some(p) = period {
        list.push((code.to_owned(), p));
    }
    list.sort();
    Ok(store.set_open_screens(&list)?)
}

/// The codes whose screens this desk runs.
pub fn running(desk: &Desk) -> DeskResult<Vec<String>> {
    Ok(desk.store()?.open_screens()?.into_iter().map(|(c, _)| c).collect())
}

/// 关闭扫码屏: stops `code`'s screen (its window closes; it does not open again at start).
pub fn stop(app: &tauri::AppHandle, desk: &Desk, code: &str) -> DeskResult<()> {
    remember(desk, code, code, None)?;
    let mut labels = Vec::new();
    lock(desk)?.retain(|label, (c, _)| {
        if c == code {
            labels.push(label.clone());
        }
        c != code
    });
    for label in labels {
        if let Some(w) = app.get_webview_window(&label) {
            let _ = w.destroy();
        }
    }
    Ok(())
}

/// Opens the screen of `code` changing every `period` seconds, or brings forward (and sets the
/// period of) the window already showing it.
pub fn open(app: &tauri::AppHandle, desk: &Desk, code: &str, period: u32) -> DeskResult<()> {
    // Refused here, before any window opens, as the screen itself would refuse it.
    let shown = desk.store()?.screen_code(code, period, &desk.key, chrono::Utc::now())?;
    let label = {
        let mut screens = lock(desk)?;
        let label = screens
            .iter()
            .find(|(_, (c, _))| *c == shown.code)
            .map(|(l, _)| l.clone())
            .unwrap_or_else(|| format!("{PREFIX}{}", shown.code));
        screens.insert(label.clone(), (shown.code.clone(), shown.period));
        label
    };
    remember(desk, &shown.code, code, Some(shown.period))?;
    if let Some(w) = app.get_webview_window(&label) {
        let _ = w.unminimize();
        let _ = w.set_focus();
        return Ok(());
    }
    tauri::WebviewWindowBuilder::new(app, &label, tauri::WebviewUrl::App("index.html#screen".into()))
        .title(format!("{} · {}", crate::SCREEN_TITLE, shown.label))
        .inner_size(760.0, 900.0)
        .min_inner_size(360.0, 480.0)
        .build()
        .map_err(|e| DeskError::Internal(e.to_string()))?;
    Ok(())
}

/// What the screen in the window labelled `label` shows now; a code revoked meanwhile is
/// followed to its replacement.
pub fn current(desk: &Desk, label: &str) -> DeskResult<ScreenCode> {
    let Some((code, period)) = lock(desk)?.get(label).cloned() else {
        return Err(placecode_core::Error::invalid("code", "扫码屏尚未打开：请在登记台的场所码页面打开").into());
    };
    let shown = desk.store()?.screen_code(&code, period, &desk.key, chrono::Utc::now())?;
    if shown.code != code {
        lock(desk)?.insert(label.to_owned(), (shown.code.clone(), period));
        remember(desk, &shown.code, &code, Some(period))?;
    }
    Ok(shown)
}

/// `was` is revoked and `now` replaces it: a screen of `was` shows `now` (the window's next
/// tick draws it).
pub fn follow(desk: &Desk, was: &str, now: &str) -> DeskResult<()> {
    let mut moved = None;
    for (c, period) in lock(desk)?.values_mut() {
        if c == was {
            now.clone_into(c);
            moved = Some(*period);
        }
    }
    let stored = desk.store()?.open_screens()?.into_iter().find(|(c, _)| c == was).map(|(_, p)| p);
    match moved.or(stored) {
        Some(period) => remember(desk, now, was, Some(period)),
        None => Ok(()),
    }
}

/// The window labelled `label` is gone (closed by hand, or the desk is quitting): the desk still
/// runs its screen, which opens again at start or with 扫码屏.
pub fn closed(desk: &Desk, label: &str) -> DeskResult<()> {
    lock(desk)?.remove(label);
    Ok(())
}

/// At start (the desk's window asks once it is drawn): the screens the desk runs open again, as
/// they were; one already open is left as it is. Answers how many are open.
pub fn reopen(app: &tauri::AppHandle, desk: &Desk) -> DeskResult<usize> {
    let list = desk.store()?.open_screens()?;
    for (code, period) in &list {
        let open_now = lock(desk)?.values().any(|(c, _)| c == code);
        if open_now {
            continue;
        }
        if let Err(e) = open(app, desk, code, *period) {
            eprintln!("placecode-desk: a screen did not open again: {}", crate::CommandError::from(&e).code);
        }
    }
    Ok(lock(desk)?.len())
}
