//! The key of the desk's encrypted database (SQLCipher): 32 random bytes, kept in the operating
//! system's keystore (Secret Service on Linux, Credential Manager on Windows, Keychain on macOS)
//! under the database folder's path, never beside the database.
//!
//! Where no keystore runs (a bare Linux session, a service account), the key is kept in
//! `desk-db.key` beside the database (mode 0600) and the desk says so once at start: the file
//! then protects a copied database, not a stolen disk. `PLACECODE_KEYSTORE=file` asks for the
//! file outright (portable installs, tests). A key is made only when there is no encrypted
//! database yet: a keystore that is missing later is an error, never a new key that would
//! leave the records unreadable.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const KEY_FILE: &str = "desk-db.key";

/// Where the key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Keystore,
    File(PathBuf),
}

/// The database key. Its text is only ever the `PRAGMA key` value.
pub struct DbKey([u8; 32]);

impl DbKey {
    /// The raw-key form SQLCipher takes without running its passphrase derivation (a desk
    /// starts in milliseconds; the key is random, so no derivation is needed).
    pub(super) fn pragma(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }

    fn parse(text: &str) -> Option<DbKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(DbKey(bytes))
    }

    fn generate() -> Result<DbKey> {
        let mut b = [0u8; 32];
        getrandom::getrandom(&mut b).map_err(|e| Error::from(std::io::Error::other(e.to_string())))?;
        Ok(DbKey(b))
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

fn key_error(reason: &str) -> Error {
    Error::bad_file(format!("无法取得数据库密钥：{reason}。请联系管理员，不要删除数据文件"))
}

/// The key of the database at `db`, made on first use. `exists` says whether an encrypted
/// database is already there (then a missing key is an error, never a new key).
pub fn load_or_create(db: &Path, exists: bool) -> Result<(DbKey, KeySource)> {
    load_or_create_with(db, exists, crate::keystore::file_only())
}

/// As [`load_or_create`]; `file_only` keeps the key in the file beside the database whatever
/// keystore runs (what `PLACECODE_KEYSTORE=file` asks for).
pub fn load_or_create_with(db: &Path, exists: bool, file_only: bool) -> Result<(DbKey, KeySource)> {
    let dir = db.parent().unwrap_or(Path::new("."));
    let file = dir.join(KEY_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            return DbKey::parse(&text).map(|k| (k, KeySource::File(file))).ok_or_else(|| key_error("密钥文件已损坏"))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        Err(_) => {}
    }
    if file_only {
        if exists {
            return Err(key_error("找不到密钥文件"));
        }
        return create_file(&file);
    }
    from_keystore(dir, &file, exists)
}

fn from_keystore(dir: &Path, file: &Path, exists: bool) -> Result<(DbKey, KeySource)> {
    use crate::keystore::{self, Held};
    match keystore::get(dir, "") {
        Held::Value(text) => {
            DbKey::parse(&text).map(|k| (k, KeySource::Keystore)).ok_or_else(|| key_error("系统密钥库中的密钥已损坏"))
        }
        Held::Nothing if exists => Err(key_error("系统密钥库中没有本台的密钥")),
        Held::Nothing => {
            let key = DbKey::generate()?;
            if keystore::put(dir, "", &hex::encode(key.0)) {
                Ok((key, KeySource::Keystore))
            } else {
                create_file(file)
            }
        }
        Held::Unavailable if exists => Err(key_error("系统密钥库不可用")),
        Held::Unavailable => create_file(file),
    }
}

fn create_file(file: &Path) -> Result<(DbKey, KeySource)> {
    let key = DbKey::generate()?;
    crate::keys::write_new_private(file, format!("{}\n", hex::encode(key.0)).as_bytes())?;
    eprintln!("placecode: no OS keystore; the database key is kept in {KEY_FILE} beside the database");
    Ok((key, KeySource::File(file.to_owned())))
}
