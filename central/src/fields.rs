//! Personal fields encrypted at rest (R12): a person's document number, name, address and phone
//! are stored sealed with XChaCha20-Poly1305, so a database dump, a backup or a replica holds no
//! one's identity. The key comes from its own file (`PLACECODE_DATA_KEY_FILE`), not the
//! database and not the server secret, so each can be rotated without the other.
//!
//! A sealed value reads `pc1.<key id>.<base64 of nonce and ciphertext>`; the field's name and the
//! person's keyed hash are bound in as associated data, so a value moved to another column or
//! another person does not open. Empty values stay empty (the upsert's "keep what is on file"
//! rules compare with '').
//!
//! Rotation: `admin rotate-data-key` puts a new key first in the file (new values are sealed
//! with it once each server restarts); `admin reseal` then seals every value still under an
//! older key (or in clear, from before encryption) with the current one and removes the keys
//! no value uses any more.

use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::{CentralError, Result};

const PREFIX: &str = "pc1.";

/// The data keys, the current one first.
#[derive(Clone)]
pub struct DataKeys {
    keys: Vec<(u32, [u8; 32])>,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|(id, _)| format!("{id:08x}"))).finish()
    }
}

fn bad_file() -> std::io::Error {
    std::io::Error::other("the data key file must hold lines of <8 hex>:<64 hex>")
}

impl DataKeys {
    /// One key, for tests and benchmarks that make their keys from a fixed secret.
    pub fn single(id: u32, key: [u8; 32]) -> DataKeys {
        DataKeys { keys: vec![(id, key)] }
    }

    /// The keys in `path`. `create`: make the file (0600) with one new key if it is missing;
    /// otherwise a missing file is an error (an admin command must not seal with a key the
    /// server does not have).
    pub fn load(path: &Path, create: bool) -> std::io::Result<DataKeys> {
        match std::fs::read_to_string(path) {
            Ok(text) => DataKeys::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let keys = DataKeys { keys: vec![new_key()?] };
                crate::config::write_private(path, keys.text().as_bytes())?;
                tracing::info!(path = %path.display(), "made a new data key");
                Ok(keys)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(std::io::Error::other(format!(
                "no data key at {} (set PLACECODE_DATA_KEY_FILE to the file the server uses)",
                path.display()
            ))),
            Err(e) => Err(e),
        }
    }

    fn parse(text: &str) -> std::io::Result<DataKeys> {
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (id, key) = line.split_once(':').ok_or_else(bad_file)?;
            let id = u32::from_str_radix(id, 16).map_err(|_| bad_file())?;
            let key: [u8; 32] = hex::decode(key).ok().and_then(|k| k.try_into().ok()).ok_or_else(bad_file)?;
            keys.push((id, key));
        }
        if keys.is_empty() {
            return Err(bad_file());
        }
        Ok(DataKeys { keys })
    }

    fn text(&self) -> String {
        self.keys.iter().map(|(id, k)| format!("{id:08x}:{}\n", hex::encode(k))).collect()
    }

    /// Whether the key `id` is here.
    pub fn has(&self, id: u32) -> bool {
        self.keys.iter().any(|(k, _)| *k == id)
    }

    /// The current key's id.
    pub fn current(&self) -> u32 {
        self.keys.first().map_or(0, |(id, _)| *id)
    }

    /// Puts a new key first in `path` (written whole, then renamed over the old file).
    pub fn rotate(path: &Path) -> std::io::Result<DataKeys> {
        let mut keys = DataKeys::load(path, false)?;
        keys.keys.insert(0, new_key()?);
        keys.save(path)?;
        Ok(keys)
    }

    /// Keeps only the keys `used` names (and always the current one), in `path`.
    pub fn retain(&mut self, path: &Path, used: &[u32]) -> std::io::Result<()> {
        let current = self.current();
        self.keys.retain(|(id, _)| *id == current || used.contains(id));
        self.save(path)
    }

    /// Writes the keys to `path` (whole, then renamed over the old file), mode 0600.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        crate::config::write_private(&tmp, self.text().as_bytes())?;
        std::fs::rename(&tmp, path)
    }

    /// `plain` sealed under the current key for `field` of the person `id_hash`; "" stays "".
    pub fn seal(&self, field: &str, id_hash: &[u8], plain: &str) -> Result<String> {
        if plain.is_empty() {
            return Ok(String::new());
        }
        let (id, key) = *self.keys.first().ok_or_else(|| CentralError::Internal("no data key".into()))?;
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce).map_err(|e| CentralError::Internal(e.to_string()))?;
        let sealed = XChaCha20Poly1305::new(&key.into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: &aad(field, id_hash) })
            .map_err(|_| CentralError::Internal("seal".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{PREFIX}{id:08x}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// What `stored` holds; a value from before encryption (not sealed) reads as it is.
    pub fn open(&self, field: &str, id_hash: &[u8], stored: &str) -> Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let broken = || CentralError::Internal(format!("a sealed {field} does not open"));
        let (id, body) = rest.split_once('.').ok_or_else(broken)?;
        let id = u32::from_str_radix(id, 16).map_err(|_| broken())?;
        let key = self.keys.iter().find(|(k, _)| *k == id).map(|(_, k)| k).ok_or_else(|| {
            CentralError::Internal(format!("no data key {id:08x} (was it removed before `admin reseal`?)"))
        })?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).map_err(|_| broken())?;
        if bytes.len() < 24 {
            return Err(broken());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = XChaCha20Poly1305::new(key.into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad(field, id_hash) })
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }

    /// `stored` sealed under the current key: as it is when it already is (or empty), else
    /// opened (a value in clear from before encryption reads as it is) and sealed again.
    pub fn reseal(&self, field: &str, id_hash: &[u8], stored: &str) -> Result<String> {
        if self.is_current(stored) {
            Ok(stored.to_owned())
        } else {
            self.seal(field, id_hash, &self.open(field, id_hash, stored)?)
        }
    }

    /// Whether `stored` is sealed under the current key (or empty): nothing to reseal.
    pub fn is_current(&self, stored: &str) -> bool {
        stored.is_empty() || stored.starts_with(&format!("{PREFIX}{:08x}.", self.current()))
    }
}

impl DataKeys {
    /// A pull change's body sealed whole (a check-in carries a name and a document number):
    /// `{"sealed": "pc1.…"}`, bound to its kind.
    pub fn seal_body<T: serde::Serialize + ?Sized>(&self, kind: &str, body: &T) -> Result<serde_json::Value> {
        let text = serde_json::to_string(body).map_err(|e| CentralError::Internal(e.to_string()))?;
        Ok(serde_json::json!({ "sealed": self.seal(&format!("change.{kind}"), b"", &text)? }))
    }

    /// A change's body as desks receive it: opened when sealed, as stored otherwise.
    pub fn open_body(&self, kind: &str, body: serde_json::Value) -> Result<serde_json::Value> {
        match body.get("sealed").and_then(|s| s.as_str()) {
            Some(sealed) => serde_json::from_str(&self.open(&format!("change.{kind}"), b"", sealed)?)
                .map_err(|e| CentralError::Internal(e.to_string())),
            None => Ok(body),
        }
    }
}

impl DataKeys {
    /// Why a visit had its colour, sealed for that visit (health data about a person: a
    /// risk-list match, a temperature); `None` when there is no reason.
    pub fn seal_reasons(&self, visit: &uuid::Uuid, reasons: &[String]) -> Result<Option<String>> {
        if reasons.is_empty() {
            return Ok(None);
        }
        self.seal(REASONS, visit.as_bytes(), &reasons.join("\u{1f}")).map(Some)
    }

    /// The reasons [`DataKeys::seal_reasons`] sealed for `visit`.
    pub fn open_reasons(&self, visit: &uuid::Uuid, sealed: &str) -> Result<Vec<String>> {
        let text = self.open(REASONS, visit.as_bytes(), sealed)?;
        Ok(text.split('\u{1f}').filter(|r| !r.is_empty()).map(str::to_owned).collect())
    }
}

const REASONS: &str = "visit.reasons";

impl DataKeys {
    /// A desk's code-signing secret, sealed for that desk.
    pub fn seal_code_key(&self, desk: uuid::Uuid, secret: &[u8; 32]) -> Result<String> {
        self.seal(CODE_KEY, desk.as_bytes(), &hex::encode(secret))
    }

    /// A desk's code-signing secret as its row holds it: `sealed` by
    /// [`DataKeys::seal_code_key`], or, from an older server, `clear`.
    pub fn code_key(&self, desk: uuid::Uuid, sealed: Option<&str>, clear: Option<&[u8]>) -> Result<[u8; 32]> {
        let bytes = match (sealed, clear) {
            (Some(sealed), _) => hex::decode(self.open(CODE_KEY, desk.as_bytes(), sealed)?).ok(),
            (None, Some(clear)) => Some(clear.to_vec()),
            (None, None) => None,
        };
        bytes
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| CentralError::Internal("a desk's code key is missing or broken".into()))
    }
}

const CODE_KEY: &str = "desk.code_key";
/// The fields of an incident's sealed texts (why the person was stopped, what was done, a
/// step's note), each sealed for its incident.
pub const INCIDENT_REASON: &str = "incident.reason";
pub const INCIDENT_NOTE: &str = "incident.note";
/// The fields of a venue's manager, sealed for the venue.
pub const MANAGER_NAME: &str = "venue.manager_name";
pub const MANAGER_PHONE: &str = "venue.manager_phone";

/// The key id a stored value is sealed under, if it is sealed.
pub fn key_id(stored: &str) -> Option<u32> {
    let rest = stored.strip_prefix(PREFIX)?;
    u32::from_str_radix(rest.split_once('.')?.0, 16).ok()
}

fn aad(field: &str, id_hash: &[u8]) -> Vec<u8> {
    let mut a = field.as_bytes().to_vec();
    a.push(0);
    a.extend_from_slice(id_hash);
    a
}

fn new_key() -> std::io::Result<(u32, [u8; 32])> {
    let mut key = [0u8; 32];
    let mut id = [0u8; 4];
    getrandom::getrandom(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
    getrandom::getrandom(&mut id).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok((u32::from_be_bytes(id), key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_field_and_row() {
        let keys = DataKeys::single(7, [9u8; 32]);
        let hash = [1u8; 32];
        let sealed = keys.seal("name", &hash, "欧阳𠮷祥").unwrap_or_default();
        assert!(sealed.starts_with("pc1.00000007.") && !sealed.contains("欧阳"));
        assert_ne!(sealed, keys.seal("name", &hash, "欧阳𠮷祥").unwrap_or_default(), "a new nonce each time");
        assert_eq!(keys.open("name", &hash, &sealed).ok().as_deref(), Some("欧阳𠮷祥"));
        assert!(keys.open("phone", &hash, &sealed).is_err(), "another column");
        assert!(keys.open("name", &[2u8; 32], &sealed).is_err(), "another person");
        let mut tampered = sealed.clone();
        tampered.pop();
        assert!(keys.open("name", &hash, &tampered).is_err());
        assert!(DataKeys::single(8, [9u8; 32]).open("name", &hash, &sealed).is_err(), "a key removed too early");
        assert_eq!(keys.seal("address", &hash, "").unwrap_or_default(), "");
        assert_eq!(keys.open("name", &hash, "王芳").ok().as_deref(), Some("王芳"), "from before encryption");
        assert_eq!(key_id(&sealed), Some(7));
        assert!(keys.is_current(&sealed) && !keys.is_current("王芳"));
    }

    #[test]
    fn the_key_file_rotates_and_keeps_what_is_used() {
        let dir = std::env::temp_dir().join(format!("placecode-data-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("data.key");
        assert!(DataKeys::load(&path, false).is_err(), "admin commands never make a key");
        let first = DataKeys::load(&path, true).unwrap_or_else(|e| panic!("{e}"));
        let sealed = first.seal("name", b"h", "王芳").unwrap_or_default();
        let mut rotated = DataKeys::rotate(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(rotated.current(), first.current());
        assert_eq!(rotated.open("name", b"h", &sealed).ok().as_deref(), Some("王芳"), "old values still open");
        rotated.retain(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        let reread = DataKeys::load(&path, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reread.keys.len(), 1);
        assert_eq!(reread.current(), rotated.current());
        std::fs::remove_dir_all(&dir).ok();
    }
}
