//! 扫码屏: a venue code shown on a screen, with a time token that changes every few seconds, so
//! a photo of it sent around works only for minutes (see docs/codes.md).
//!
//! The screen's QR carries `{public base URL}/C/{code}/{token}`. The token is 14 bytes in the
//! code's base32 (23 characters, the URL stays in QR alphanumeric mode):
//!
//! | bytes | what |
//! |---|---|
//! | 4 | the window's start, seconds since 1970 (UTC) by the desk's clock |
//! | 2 | the window's length in seconds ([`PERIOD_MIN`]..=[`PERIOD_MAX`]) |
//! | 8 | HMAC-SHA256 with the desk's code key over a domain label, the code's 21 bytes and the 6 bytes above, truncated to 64 bits |
//!
//! The desk signs offline with the key it signs its codes with; the centre, which holds every
//! enrolled desk's key, verifies. A token is taken from [`SKEW_SECS`] before its window until
//! [`SKEW_SECS`] after it, on the centre's clock. The desk stamps its windows on its own clock
//! corrected by the offset it measured at its last sync ([`corrected`]), so a desk clock hours
//! off still works once it has synced; a photo of the screen stops working minutes later. The
//! centre also takes a token on its clock corrected by the desk's measured offset, but only an
//! offset up to [`OFFSET_TRUSTED_MS`]: a desk whose clock is set back cannot make old photos of
//! its screen valid again beyond that.

use chrono::{DateTime, Utc};

use crate::code::{ParsedCode, SigningKey};

/// How often the screen's code changes unless the desk chooses otherwise.
pub const PERIOD_DEFAULT: u32 = 30;
pub const PERIOD_MIN: u32 = 10;
pub const PERIOD_MAX: u32 = 300;
/// How far outside its window a token is still taken: clocks that differ, a phone slow to open
/// the page. After that a forwarded photo is refused.
pub const SKEW_SECS: i64 = 120;
/// The largest desk clock offset the centre corrects a token's time by (a desk that has not
/// corrected its own stamps, or has not synced since its clock moved).
pub const OFFSET_TRUSTED_MS: i64 = 10 * 60 * 1000;

/// The time a desk stamps its screen's windows with: its clock corrected by the offset it
/// measured at its last sync (server minus desk), when it has one.
pub fn corrected(desk_now: DateTime<Utc>, offset_ms: Option<i64>) -> DateTime<Utc> {
    desk_now + chrono::Duration::milliseconds(offset_ms.unwrap_or(0))
}

/// How long after a phone opened the page with a live token its form may still be sent as
/// present (到场核验): a first declaration takes minutes to type.
pub const FORM_SECS: i64 = 15 * 60;

const TOKEN_BYTES: usize = 14;
pub const TOKEN_CHARS: usize = (TOKEN_BYTES * 8).div_ceil(5);
const DOMAIN: &[u8] = b"placecode rotating v1";

/// One of the screen's windows: the code shown from `start` for `period` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub period: u32,
}

impl Window {
    /// The window `now` falls in, windows of `period` seconds counted from 1970 (so every screen
    /// of a desk changes at the same moment). `period` outside the limits is brought within them.
    pub fn at(now: DateTime<Utc>, period: u32) -> Window {
        let period = period.clamp(PERIOD_MIN, PERIOD_MAX);
        let t = now.timestamp();
        Window { start: t - t.rem_euclid(i64::from(period)), period }
    }

    /// When the window ends (the next one starts).
    pub fn ends(&self) -> i64 {
        self.start + i64::from(self.period)
    }

    fn body(&self) -> Option<[u8; 6]> {
        let start = u32::try_from(self.start).ok()?;
        let period = u16::try_from(self.period).ok()?;
        let mut b = [0u8; 6];
        b[..4].copy_from_slice(&start.to_be_bytes());
        b[4..].copy_from_slice(&period.to_be_bytes());
        Some(b)
    }
}

fn mac(key: &SigningKey, code: &ParsedCode, body: &[u8; 6]) -> [u8; 8] {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.secret()).unwrap_or_else(|_| unreachable!("any key length"));
    m.update(DOMAIN);
    m.update(code.code.as_bytes());
    m.update(body);
    let full = m.finalize().into_bytes();
    let mut out = [0u8; 8];
    out.copy_from_slice(&full[..8]);
    out
}

/// The token of `code` for `window`, signed with the desk's `key`. `None` for a window outside
/// what a token can carry (before 1970, after 2106, a period over 65,535 s).
pub fn sign(key: &SigningKey, code: &ParsedCode, window: Window) -> Option<String> {
    let body = window.body()?;
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..6].copy_from_slice(&body);
    bytes[6..].copy_from_slice(&mac(key, code, &body));
    Some(crate::code::encode(&bytes))
}

/// Whether an entrance with a code of `kind` may take only its screen's code (只收扫码屏): a
/// general venue's. A checkpoint's code is published for crews to declare before they arrive,
/// and a destination's is scanned by crews arriving: neither may refuse them.
pub fn may_take_only_the_screen(kind: crate::venue::CodeKind) -> Result<(), String> {
    if kind == crate::venue::CodeKind::General {
        Ok(())
    } else {
        Err("只收扫码屏：只适用于一般场所的入口；交通卡口和目的地的码要供货车司乘人员提前申报和扫码".into())
    }
}

/// The URL a screen's QR carries: the poster's URL and the token.
pub fn url(base: &str, code: &str, token: &str) -> String {
    format!("{}/{token}", crate::code::url(base, code))
}

/// A token as read from a URL, before its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub window: Window,
    mac: [u8; 8],
}

/// Reads a token (any letter case, the code's look-alike letters). Fails with a Chinese reason.
pub fn parse(raw: &str) -> Result<Token, String> {
    let s = raw.trim().to_ascii_uppercase();
    if s.chars().count() != TOKEN_CHARS {
        return Err("扫码屏的时间码不完整".into());
    }
    let bytes: [u8; TOKEN_BYTES] = crate::code::decode(&s).map_err(|_| "扫码屏的时间码无效".to_string())?;
    let start = i64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
    let period = u32::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    if !(PERIOD_MIN..=PERIOD_MAX).contains(&period) {
        return Err("扫码屏的时间码无效".into());
    }
    let mut mac = [0u8; 8];
    mac.copy_from_slice(&bytes[6..]);
    Ok(Token { window: Window { start, period }, mac })
}

/// Why a genuine token is not taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Its window ended this many seconds ago (past the tolerance): a photo, or a page left open.
    Expired(i64),
    /// Its window starts later than the tolerance allows: the desk's clock runs ahead.
    Early(i64),
}

impl Token {
    /// Whether the desk holding `key` signed this token for `code`. Constant-time.
    pub fn verify(&self, key: &SigningKey, code: &ParsedCode) -> bool {
        let Some(body) = self.window.body() else { return false };
        let expected = mac(key, code, &body);
        expected.iter().zip(&self.mac).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Whether the token is live at `now` (the centre's clock), the desk's clock being
    /// `desk_offset_ms` behind the centre's (server minus desk, as measured at its last sync; 0
    /// when never measured).
    pub fn live(&self, now: DateTime<Utc>, desk_offset_ms: i64) -> Result<(), Stale> {
        match self.live_at(now, 0) {
            Err(e) if desk_offset_ms != 0 && desk_offset_ms.abs() <= OFFSET_TRUSTED_MS => {
                self.live_at(now, desk_offset_ms).map_err(|_| e)
            }
            r => r,
        }
    }

    fn live_at(&self, now: DateTime<Utc>, desk_offset_ms: i64) -> Result<(), Stale> {
        let desk_now = now.timestamp() - desk_offset_ms.div_euclid(1000);
        if desk_now > self.window.ends() + SKEW_SECS {
            return Err(Stale::Expired(desk_now - self.window.ends()));
        }
        if desk_now < self.window.start - SKEW_SECS {
            return Err(Stale::Early(self.window.start - desk_now));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::CodeKind;
    use chrono::TimeZone;

    fn key() -> SigningKey {
        SigningKey::new(0x0102_0304, [9u8; 32])
    }

    fn code() -> ParsedCode {
        crate::code::parse(&key().sign(CodeKind::General, 77)).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn a_token_round_trips_in_qr_alphanumerics_and_verifies_for_its_code_only() {
        let w = Window::at(at(1_800_000_017), 30);
        assert_eq!(w, Window { start: 1_800_000_000, period: 30 });
        let t = sign(&key(), &code(), w).unwrap();
        assert_eq!(t.len(), TOKEN_CHARS);
        assert!(t.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        let u = url("https://pc.example.cn", &code().code, &t);
        assert!(u.bytes().all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)), "{u}");
        let parsed = parse(&t.to_lowercase()).unwrap();
        assert_eq!(parsed.window, w);
        assert!(parsed.verify(&key(), &code()));
        // The code in the URL reads as the code alone.
        assert_eq!(crate::code::parse(&u).unwrap().code, code().code);
        // Another code of the same desk, another desk's key: refused.
        let other = crate::code::parse(&key().sign(CodeKind::General, 78)).unwrap();
        assert!(!parsed.verify(&key(), &other));
        assert!(!parsed.verify(&SigningKey::new(0x0102_0304, [8u8; 32]), &code()));
    }

    #[test]
    fn any_changed_character_is_refused() {
        let t = sign(&key(), &code(), Window::at(at(1_800_000_000), 30)).unwrap();
        for i in 0..t.len() {
            for c in ['0', 'Z', '7'] {
                let mut changed: Vec<char> = t.chars().collect();
                if changed[i] == c {
                    continue;
                }
                changed[i] = c;
                let changed: String = changed.into_iter().collect();
                if let Ok(p) = parse(&changed) {
                    assert!(!p.verify(&key(), &code()), "{changed}");
                }
            }
        }
    }

    #[test]
    fn a_token_is_live_in_its_window_and_the_tolerance_and_not_after() {
        let w = Window::at(at(1_800_000_000), 30);
        let tok = parse(&sign(&key(), &code(), w).unwrap()).unwrap();
        assert_eq!(tok.live(at(1_800_000_010), 0), Ok(()));
        assert_eq!(tok.live(at(1_800_000_030 + SKEW_SECS), 0), Ok(()));
        assert_eq!(tok.live(at(1_800_000_031 + SKEW_SECS), 0), Err(Stale::Expired(SKEW_SECS + 1)));
        assert_eq!(tok.live(at(1_800_000_000 + 3600), 0), Err(Stale::Expired(3570)));
        assert_eq!(tok.live(at(1_800_000_000 - SKEW_SECS), 0), Ok(()));
        assert_eq!(tok.live(at(1_800_000_000 - SKEW_SECS - 1), 0), Err(Stale::Early(SKEW_SECS + 1)));
        // A desk five minutes slow (server minus desk = +300 s): its tokens, stamped five
        // minutes early, are live when the centre corrects by the measured offset.
        let slow = parse(&sign(&key(), &code(), Window::at(at(1_800_000_000 - 300), 30)).unwrap()).unwrap();
        assert!(slow.live(at(1_800_000_005), 0).is_err());
        assert_eq!(slow.live(at(1_800_000_005), 300_000), Ok(()));
        // And one running ahead.
        let fast = parse(&sign(&key(), &code(), Window::at(at(1_800_000_000 + 300), 30)).unwrap()).unwrap();
        assert_eq!(fast.live(at(1_800_000_005), -300_000), Ok(()));
        // A desk set back a day (an insider with the laptop) does not make a day-old photo of its
        // screen valid: an offset past OFFSET_TRUSTED_MS is not corrected for.
        let yesterday = parse(&sign(&key(), &code(), Window::at(at(1_800_000_000 - 86_400), 30)).unwrap()).unwrap();
        assert_eq!(yesterday.live(at(1_800_000_005), 86_400_000), Err(Stale::Expired(86_375)));
        let eleven = parse(&sign(&key(), &code(), Window::at(at(1_800_000_000 - 660), 30)).unwrap()).unwrap();
        assert!(eleven.live(at(1_800_000_005), 660_000).is_err());
        assert_eq!(eleven.live(at(1_800_000_005), OFFSET_TRUSTED_MS), Ok(()), "ten minutes: corrected");
        // A desk that corrects its own stamps is live on the centre's clock, however far off.
        let desk_clock = at(1_800_000_000 - 5 * 3600);
        let stamped = corrected(desk_clock, Some(5 * 3600 * 1000));
        let fixed = parse(&sign(&key(), &code(), Window::at(stamped, 30)).unwrap()).unwrap();
        assert_eq!(fixed.live(at(1_800_000_005), 5 * 3600 * 1000), Ok(()));
        assert_eq!(corrected(desk_clock, None), desk_clock);
    }

    #[test]
    fn periods_are_kept_within_limits_and_bad_tokens_get_a_reason() {
        assert_eq!(Window::at(at(1_800_000_001), 1).period, PERIOD_MIN);
        assert_eq!(Window::at(at(1_800_000_001), 100_000).period, PERIOD_MAX);
        assert!(sign(&key(), &code(), Window { start: -5, period: 30 }).is_none());
        for bad in [
            "",
            "ABC",
            &"Z".repeat(TOKEN_CHARS + 1),
            &"Z".repeat(10_000),
            "'; DROP TABLE codes;--",
            "<script>",
            "码码码码码码码码码码码码码码码码码码码码码码码",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋𠀋",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("时间码"), "{bad}: {e}");
        }
        // A well-formed token with a period of 0 or 5 s is not one a desk makes.
        let mut b = [0u8; TOKEN_BYTES];
        b[..4].copy_from_slice(&1_800_000_000u32.to_be_bytes());
        b[4..6].copy_from_slice(&5u16.to_be_bytes());
        assert!(parse(&crate::code::encode(&b)).is_err());
    }
}
