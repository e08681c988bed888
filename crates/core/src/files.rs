//! Reading a file a person named, safely: a regular file of bounded size (a device such as
//! /dev/zero, a pipe, a folder or a huge file is refused, never read without end).

use std::io::Read;
use std::path::Path;

/// Why a named file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRead {
    /// Missing, not a regular file, or unreadable.
    Unreadable,
    /// Larger than the limit.
    TooLarge,
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, NotRead> {
    // Asked before opening: opening a named pipe for reading waits for a writer.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(NotRead::Unreadable);
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
