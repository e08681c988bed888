//! The desk's code-signing key lives in its own file beside the database, never inside it: a
//! copied or synced database file does not carry the power to sign codes.

use std::io::Write;
use std::path::Path;

use crate::code::SigningKey;
use crate::error::{Error, Result};

/// Loads the key at `path`, or makes one and writes it there (mode 0600) on first start.
pub fn load_or_create(path: &Path) -> Result<SigningKey> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate()?;
            write_new_private(path, format!("{:08x}:{}\n", key.id, hex::encode(key.secret())).as_bytes())?;
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
