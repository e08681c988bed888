//! The desk's code-signing key. It is never inside the database: a copied or synced database
//! file does not carry the power to sign codes. It lives where the database key does: in the
//! operating system's keystore ([`crate::keystore`]) on a desk whose database key is there,
//! otherwise in `desk-signing.key` beside the database (mode 0600). A key file from before the
//! keystore was used is moved into it on first start.

use std::io::Write;
use std::path::Path;

use crate::code::SigningKey;
use crate::error::{Error, Result};
use crate::keystore::{self, Held};

/// The key file's name in the desk's data folder.
pub const SIGNING_KEY_FILE: &str = "desk-signing.key";
/// The keystore entry's secret name.
const SIGNING: &str = "signing";

/// The signing key of the desk whose data folder is `dir` (its database opened first, so its
/// database key's place is settled), made on first start.
pub fn for_desk(dir: &Path) -> Result<SigningKey> {
    let file = dir.join(SIGNING_KEY_FILE);
    if keystore::file_only() || dir.join(crate::store::dbkey::KEY_FILE).exists() {
        return load_or_create(&file);
    }
    let on_disk = match std::fs::read(&file) {
        Ok(bytes) => Some(parse(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    match keystore::get(dir, SIGNING) {
        Held::Value(text) => {
            let key = parse(text.as_bytes())?;
            // A file left by a move that stopped half-way holds the same key: remove it.
            if on_disk.is_some_and(|k| (k.id, k.secret()) == (key.id, key.secret())) {
                std::fs::remove_file(&file)?;
            }
            Ok(key)
        }
        Held::Nothing => {
            let moved = on_disk.is_some();
            let key = match on_disk {
                Some(k) => k,
                None => SigningKey::generate()?,
            };
            if keystore::put(dir, SIGNING, &text(&key)) {
                if moved {
                    std::fs::remove_file(&file)?;
                }
            } else if !moved {
                write_new_private(&file, text(&key).as_bytes())?;
            }
            Ok(key)
        }
        // The database key came from the keystore a moment ago; a key file is still usable.
        Held::Unavailable => match on_disk {
            Some(k) => Ok(k),
            None => Err(Error::BadFile("系统密钥库不可用，无法取得签码密钥：请联系管理员".into())),
        },
    }
}

fn text(key: &SigningKey) -> String {
    format!("{:08x}:{}\n", key.id, hex::encode(key.secret()))
}

/// Loads the key at `path`, or makes one and writes it there (mode 0600) on first start.
pub fn load_or_create(path: &Path) -> Result<SigningKey> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate()?;
            write_new_private(path, text(&key).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a new file readable by its owner only (0600 on Unix), its folder made if needed, and
/// synced to disk; an existing file is never overwritten. For key files.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn parse(bytes: &[u8]) -> Result<SigningKey> {
    let bad = || Error::BadFile("签码密钥文件已损坏，请联系管理员".into());
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
