//! Reading a file a person named, safely: a regular file of bounded size (a device such as
//! /dev/zero, a pipe, a folder or a huge file is refused, never read without end).

use std::io::Read;
use std::path::Path;

/// Why a named file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRead {
    /// Nothing at that path.
    Missing,
    /// Not a regular file, or unreadable.
    Unreadable,
    /// Larger than the limit.
    TooLarge,
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, NotRead> {
    // Asked before opening: opening a named pipe for reading waits for a writer.
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NotRead::Missing),
        _ => return Err(NotRead::Unreadable),
    }
    let file = std::fs::File::open(path).map_err(|_| NotRead::Unreadable)?;
    // Read one byte past the limit: a larger file (or one growing meanwhile) is seen as such.
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|_| NotRead::Unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(NotRead::TooLarge);
    }
    Ok(bytes)
}

/// A path as a person should see it in a refusal: absolute, since a relative one is read from
/// where the command runs, which need not be where they think.
pub fn shown(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// The refusal for a named file that is not there: what it was meant to be, and where.
pub fn missing(what: &str, path: &Path) -> String {
    format!("找不到{what}：{}（文件不存在）", shown(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_told_from_one_that_is_no_file_or_too_large() {
        let dir = std::env::temp_dir().join(format!("placecode-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(read_bounded(&dir.join("nokey.pub"), 10), Err(NotRead::Missing));
        assert_eq!(read_bounded(&dir, 10), Err(NotRead::Unreadable));
        let file = dir.join("a.pub");
        std::fs::write(&file, "12345678901").unwrap();
        assert_eq!(read_bounded(&file, 10), Err(NotRead::TooLarge));
        assert_eq!(read_bounded(&file, 11).unwrap(), b"12345678901");
        #[cfg(unix)]
        assert_eq!(read_bounded(Path::new("/dev/zero"), 10), Err(NotRead::Unreadable));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_is_named_by_its_full_path() {
        let said = missing("签名文件", Path::new("release/desk.deb.sig"));
        let full = std::env::current_dir().unwrap().join("release/desk.deb.sig");
        assert_eq!(said, format!("找不到签名文件：{}（文件不存在）", full.display()));
    }
}
