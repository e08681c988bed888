//! The operating system's keystore (Secret Service on Linux, Credential Manager on Windows,
//! Keychain on macOS), where the desk keeps its secrets: the database key and the code-signing
//! key, each an entry of the service `placecode-desk` named after the desk's data folder.
//!
//! Without the `keystore` feature, or with `PLACECODE_KEYSTORE=file`, nothing is asked of the
//! keystore and the secrets are key files beside the database (mode 0600).

use std::path::Path;

/// What the keystore holds for a secret.
#[derive(Debug, PartialEq, Eq)]
pub enum Held {
    Value(String),
    Nothing,
    /// No keystore runs here (no Secret Service, a locked or absent collection), or the
    /// keystore is not used (see [`file_only`]).
    Unavailable,
}

/// Whether secrets are kept in files only: `PLACECODE_KEYSTORE=file` (portable installs,
/// tests), or a build without the keystore.
pub fn file_only() -> bool {
    !cfg!(feature = "keystore") || std::env::var("PLACECODE_KEYSTORE").is_ok_and(|v| v == "file")
}

#[cfg(feature = "keystore")]
const SERVICE: &str = "placecode-desk";

/// The entry's account: the data folder's full path, and the secret's name after `#` (the
/// database key, the first secret kept, has the folder alone).
#[cfg(feature = "keystore")]
fn entry(dir: &Path, secret: &str) -> Option<keyring::Entry> {
    let mut account = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned()).to_string_lossy().into_owned();
    if !secret.is_empty() {
        account = format!("{account}#{secret}");
    }
    keyring::Entry::new(SERVICE, &account).ok()
}

/// What the keystore holds for the secret `secret` of the desk whose data folder is `dir`.
#[cfg(feature = "keystore")]
pub fn get(dir: &Path, secret: &str) -> Held {
    match entry(dir, secret).map(|e| e.get_password()) {
        Some(Ok(text)) => Held::Value(text),
        Some(Err(keyring::Error::NoEntry)) => Held::Nothing,
        _ => Held::Unavailable,
    }
}

/// Stores `value` as the secret `secret`; true only when it reads back the same (a keystore that
/// accepts but forgets would lose what the secret protects).
#[cfg(feature = "keystore")]
pub fn put(dir: &Path, secret: &str, value: &str) -> bool {
    let Some(e) = entry(dir, secret) else { return false };
    e.set_password(value).and_then(|()| e.get_password()).is_ok_and(|back| back == value)
}

#[cfg(not(feature = "keystore"))]
pub fn get(_dir: &Path, _secret: &str) -> Held {
    Held::Unavailable
}

#[cfg(not(feature = "keystore"))]
pub fn put(_dir: &Path, _secret: &str, _value: &str) -> bool {
    false
}
