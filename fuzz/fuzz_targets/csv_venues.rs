//! A venue CSV as the desk imports it (`Store::import_venues_csv`: decode UTF-8/GBK, read the rows,
//! check each with the registration form's rules, store it with the duplicate checks) into a
//! throw-away unencrypted store. Invariants: the report adds up, and a venue that passed, sent
//! as the desk's venue record (keys and normalized text), passes the same rule again unchanged.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use placecode_core::import;
use placecode_core::venue::VenueInput;
use placecode_store::Store;

static STORE: Mutex<Option<(Store, usize)>> = Mutex::new(None);

fn store_path() -> std::path::PathBuf {
    std::env::var_os("PLACECODE_FUZZ_TMP")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from)
        .join(format!("placecode-fuzz-store-{}", std::process::id()))
        .join("desk.sqlite3")
}

fuzz_target!(|data: &[u8]| {
    // The rules alone, on every row.
    if let Ok(text) = import::decode(data) {
        if let Ok(parsed) = import::parse_venues(&text) {
            for (_, input) in &parsed.rows {
                if let Ok(v) = placecode_core::validate::venue(input) {
                    let sent = VenueInput::from(&v);
                    let again = placecode_core::validate::venue(&sent)
                        .unwrap_or_else(|e| panic!("a valid venue refused when sent again: {e:?}"));
                    assert_eq!(again, v, "venue normalization idempotent");
                }
            }
        }
    }

    // The whole import, into a store that is replaced now and then so it stays small.
    let mut guard = STORE.lock().unwrap_or_else(|e| e.into_inner());
    if guard.as_ref().is_none_or(|(_, n)| *n >= 2000) {
        *guard = None;
        let path = store_path();
        let _ = std::fs::remove_dir_all(path.parent().expect("a folder"));
        *guard = Some((Store::open_unencrypted(&path).expect("a fresh store opens"), 0));
    }
    let (store, runs) = guard.as_mut().expect("a store");
    *runs += 1;
    match store.import_venues_csv(data) {
        Ok(report) => {
            assert_eq!(report.imported + report.rejected.len(), report.total, "report adds up: {report:?}");
            assert!(report.warnings.len() <= report.imported);
        }
        Err(placecode_store::Error::Rule(placecode_core::Error::BadFile(_))) => {}
        Err(e) => panic!("import failed with something other than a bad file: {e:?}"),
    }
});
