//! The desk's code-signing key. It is never inside the database: a copied or synced database
//! file does not carry the power to sign codes. It lives where the database key does: in the
//! operating system's keystore ([`crate::keystore`]) on a desk whose database key is there,
//! otherwise in `desk-signing.key` beside the database (mode 0600). A key file from before the
//! keystore was used is moved into it on first start. The database records which key its codes
//! are signed with, so a new database never takes over a key the keystore kept for a data folder
//! deleted at the same place (its serial numbers would be signed again).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::keystore::{self, Held};
use placecode_core::code::SigningKey;

/// The key file's name in the desk's data folder.
pub const SIGNING_KEY_FILE: &str = "desk-signing.key";
/// The keystore entry's secret name.
const SIGNING: &str = "signing";

/// The signing key of the desk whose data folder is `dir` and whose database is `store` (opened
/// first, so its database key's place is settled), made on first start, and recorded in the
/// database as the key its codes are signed with.
pub fn for_store(dir: &Path, store: &mut crate::Store) -> Result<SigningKey> {
    let bound = store.signing_key_id()?;
    let key = for_desk(dir, bound)?;
    if bound != Some(key.id) {
        store.bind_signing_key(key.id)?;
    }
    Ok(key)
}

/// The key for the database whose codes are signed with `bound` (`None`: a database that has
/// not met a key yet).
fn for_desk(dir: &Path, bound: Option<u32>) -> Result<SigningKey> {
    let file = dir.join(SIGNING_KEY_FILE);
    if keystore::file_only() || dir.join(crate::dbkey::KEY_FILE).exists() {
        return load_or_create(&file);
    }
    let on_disk = match std::fs::read(&file) {
        Ok(bytes) => Some(parse(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let held = match keystore::get(dir, SIGNING) {
        Held::Value(text) => Some(parse(text.as_bytes())?),
        Held::Nothing => None,
        // The database key came from the keystore a moment ago; a key file is still usable.
        Held::Unavailable => {
            return on_disk.ok_or_else(|| Error::bad_file("系统密钥库不可用，无法取得签码密钥：请联系管理员"))
        }
    };
    // The keystore holds the key this database's codes are signed with: kept (a file left by a
    // move that stopped half-way, holding the same key, is removed).
    if let (Some(k), Some(bound)) = (held, bound) {
        if k.id == bound {
            if on_disk.is_some_and(|f| f.id == k.id) {
                std::fs::remove_file(&file)?;
            }
            return Ok(k);
        }
    }
    // Otherwise a key file from before the keystore is moved in, or a new key is made: the
    // keystore holds no key for this folder, or another database's (one deleted at the same
    // place, or a newer one this database was restored over), which must not sign for this one.
    let key = match on_disk {
        Some(f) => f,
        None => SigningKey::generate()?,
    };
    if keystore::put(dir, SIGNING, &text(&key)) {
        if file.exists() {
            std::fs::remove_file(&file)?;
        }
    } else if !file.exists() {
        write_new_private(&file, format!("{}\n", text(&key)).as_bytes())?;
    }
    Ok(key)
}

/// A key as stored: its id and secret in hex.
fn text(key: &SigningKey) -> String {
    format!("{:08x}:{}", key.id, hex::encode(key.secret()))
}

/// Loads the key at `path`, or makes one and writes it there (mode 0600) on first start.
pub fn load_or_create(path: &Path) -> Result<SigningKey> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate()?;
            write_new_private(path, format!("{}\n", text(&key)).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a new file readable by its owner only (0600 on Unix); one already there is an error.
pub fn new_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes a new file readable by its owner only (0600 on Unix), its folder made if needed, and
/// synced to disk; an existing file is never overwritten. For key files.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = new_private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn parse(bytes: &[u8]) -> Result<SigningKey> {
    let bad = || Error::bad_file("签码密钥文件已损坏，请联系管理员");
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?.trim();
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let id = u32::from_str_radix(id, 16).map_err(|_| bad())?;
    let secret: [u8; 32] = hex::decode(secret).ok().and_then(|s| s.try_into().ok()).ok_or_else(bad)?;
    Ok(SigningKey::new(id, secret))
}

#[cfg(test)]
mod tests {
    #[test]
    fn created_once_then_loaded_unchanged_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/desk-signing.key");
        let a = super::load_or_create(&path).unwrap();
        let b = super::load_or_create(&path).unwrap();
        assert_eq!((a.id, a.secret()), (b.id, b.secret()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(super::load_or_create(&path).unwrap_err().code(), "bad_file");
    }
}
