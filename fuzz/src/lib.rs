//! Fixed inputs shared by the fuzz targets: a clock and keys that never change, so a crash
//! found today reproduces tomorrow (a target that read the real clock would not).

use chrono::{DateTime, NaiveDate, Utc};
use placecode_core::code::SigningKey;

/// "Now" for every target: the morning of 2026-11-29 in Kaifeng.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T00:30:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// Today in Kaifeng, as the centre computes it from [`now`].
pub fn today() -> NaiveDate {
    placecode_core::sync::shanghai_date(now())
}

/// The desk key the seed codes were signed with (the same as the core's unit tests).
pub fn desk_key() -> SigningKey {
    SigningKey::new(0x0A0B_0C0D, [7u8; 32])
}

/// The risk list's HMAC key for the CSV target.
pub const RISK_KEY: &[u8] = b"placecode fuzz risk key, 32 byte";

/// The input as text; libFuzzer's mutations that break UTF-8 are dropped (every parser here
/// takes `&str`, and the byte-level entry points have targets of their own).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
