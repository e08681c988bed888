//! Venue codes (场所码 and 专属场所码): short signed strings carried in the QR as
//! `{public base URL}/C/{code}`. See docs/codes.md for the scheme.
//!
//! A code is 21 bytes in Crockford base32 (34 characters, digits and capitals only, so the whole
//! URL fits QR alphanumeric mode):
//!
//! | bytes | what |
//! |---|---|
//! | 1 | format version (high 4 bits) and code kind (low 4 bits) |
//! | 4 | the issuing desk's key id |
//! | 6 | the code's serial number at that desk |
//! | 10 | HMAC-SHA256 over the 11 bytes before it, with the desk's key, truncated to 80 bits |

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::venue::CodeKind;

const VERSION: u8 = 1;
const BODY: usize = 11;
const MAC: usize = 10;
pub const CODE_BYTES: usize = BODY + MAC;
pub const CODE_CHARS: usize = (CODE_BYTES * 8).div_ceil(5);

/// Crockford's base32 alphabet: no I, L, O or U, so a code typed by hand survives the usual
/// confusions (O for 0, I or L for 1), which decoding maps back.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A desk's code-signing key: 32 random bytes and the id printed into every code it signs.
#[derive(Clone)]
pub struct SigningKey {
    pub id: u32,
    secret: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey {{ id: {:08x}, secret: .. }}", self.id)
    }
}

impl SigningKey {
    pub fn new(id: u32, secret: [u8; 32]) -> Self {
        SigningKey { id, secret }
    }

    pub fn generate() -> std::io::Result<Self> {
        let mut secret = [0u8; 32];
        let mut id = [0u8; 4];
        getrandom::getrandom(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
        getrandom::getrandom(&mut id).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(SigningKey { id: u32::from_be_bytes(id), secret })
    }

    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    fn mac(&self, body: &[u8]) -> [u8; MAC] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC];
        for (o, f) in out.iter_mut().zip(full) {
            *o = f;
        }
        out
    }

    /// Signs a new code for `kind` with this desk's `serial`.
    pub fn sign(&self, kind: CodeKind, serial: u64) -> String {
        let mut bytes = [0u8; CODE_BYTES];
        bytes[0] = (VERSION << 4) | kind_nibble(kind);
        bytes[1..5].copy_from_slice(&self.id.to_be_bytes());
        bytes[5..11].copy_from_slice(&serial.to_be_bytes()[2..]);
        let mac = self.mac(&bytes[..BODY]);
        bytes[BODY..].copy_from_slice(&mac);
        encode(&bytes)
    }
}

fn kind_nibble(kind: CodeKind) -> u8 {
    match kind {
        CodeKind::General => 1,
        CodeKind::Checkpoint => 2,
        CodeKind::Destination => 3,
    }
}

/// What a code says about itself before its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedCode {
    /// The canonical form: uppercase, no spaces.
    pub code: String,
    pub kind: CodeKind,
    pub key_id: u32,
    pub serial: u64,
    bytes: [u8; CODE_BYTES],
}

impl ParsedCode {
    /// Whether `key` signed this code. A forged, altered or mistyped code fails here.
    pub fn verify(&self, key: &SigningKey) -> bool {
        if key.id != self.key_id {
            return false;
        }
        let expected = key.mac(&self.bytes[..BODY]);
        // Constant-time comparison: the MAC is a secret until it matches.
        expected.iter().zip(&self.bytes[BODY..]).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// The longest entrance label (入口名称) a code carries.
pub const LABEL_MAX: usize = 20;

/// 入口名称 of a code (正门, 东门, 2号通道), as the desk's form takes it and the centre receives
/// it: required, at most [`LABEL_MAX`] characters, Chinese characters, letters, digits and
/// ` -#·()` only (it is printed on the poster). Answers the label normalized.
pub fn entrance_label(raw: &str) -> Result<String, String> {
    let s = crate::normalize::clean(raw);
    let n = s.chars().count();
    if n == 0 {
        return Err("必填，如“正门”“东门”“2号通道”".into());
    }
    if n > LABEL_MAX {
        return Err(format!("不能超过{LABEL_MAX}个字"));
    }
    if let Some(c) =
        s.chars().find(|&c| !(crate::validate::is_han(c) || c.is_ascii_alphanumeric() || " -#·()".contains(c)))
    {
        return Err(crate::normalize::forbidden(c));
    }
    Ok(s)
}

/// The longest reason a code is revoked for (作废原因).
pub const REVOKE_REASON_MAX: usize = 60;

/// 作废原因: why a code was revoked (poster stolen, damaged, copied elsewhere), as the desk's form
/// takes it and the centre receives it: required, at most [`REVOKE_REASON_MAX`] characters, no
/// control characters. Answers the reason normalized.
pub fn revoke_reason(raw: &str) -> Result<String, String> {
    let s = crate::normalize::clean(raw);
    let n = s.chars().count();
    if n == 0 || n > REVOKE_REASON_MAX {
        return Err(format!("必填，不超过{REVOKE_REASON_MAX}个字"));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(crate::normalize::forbidden(c));
    }
    Ok(s)
}

/// Reads a code typed, pasted or decoded from a QR: a bare code or a URL ending in `/c/{code}`,
/// any letter case, spaces and dashes ignored. Fails with a Chinese reason.
pub fn parse(input: &str) -> Result<ParsedCode, String> {
    let s = crate::normalize::compact(input);
    if s.is_empty() {
        return Err("请输入场所码".into());
    }
    let upper = s.to_ascii_uppercase();
    let tail = match upper.rfind("/C/") {
        Some(i) => &upper[i + 3..],
        None if upper.contains("://") => return Err("这个网址不是场所码".into()),
        None => upper.as_str(),
    };
    // A 扫码屏 URL carries its time token after the code (`/C/{code}/{token}`): the code is the
    // first segment.
    let tail = tail.trim_end_matches('/');
    let tail = tail.split('/').next().unwrap_or(tail);
    let cleaned: String = tail.chars().filter(|&c| c != '-').collect();
    if cleaned.chars().count() < CODE_CHARS {
        return Err(format!("场所码不完整：应为{CODE_CHARS}位，现为{}位", cleaned.chars().count()));
    }
    if cleaned.chars().count() > CODE_CHARS {
        return Err(format!("场所码过长：应为{CODE_CHARS}位，现为{}位", cleaned.chars().count()));
    }
    let bytes = decode(&cleaned)?;
    if bytes[0] >> 4 != VERSION {
        return Err("不是本系统的场所码（版本不符）".into());
    }
    let kind = match bytes[0] & 0x0F {
        1 => CodeKind::General,
        2 => CodeKind::Checkpoint,
        3 => CodeKind::Destination,
        _ => return Err("不是本系统的场所码（类型不符）".into()),
    };
    let key_id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let mut serial = [0u8; 8];
    serial[2..].copy_from_slice(&bytes[5..11]);
    Ok(ParsedCode { code: encode(&bytes), kind, key_id, serial: u64::from_be_bytes(serial), bytes })
}

pub(crate) fn encode<const N: usize>(bytes: &[u8; N]) -> String {
    let mut out = String::with_capacity((N * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(acc >> bits));
        }
    }
    if bits > 0 {
        out.push(symbol(acc << (5 - bits)));
    }
    out
}

/// The base32 symbol of the low five bits.
fn symbol(v: u32) -> char {
    ALPHABET.get((v & 31) as usize).map_or('0', |&a| a as char)
}

/// Crockford base32 to `N` bytes (the caller has checked the length).
pub(crate) fn decode<const N: usize>(s: &str) -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
    for c in s.chars() {
        let v = match c {
            'O' => 0,
            'I' | 'L' => 1,
            _ => match ALPHABET.iter().position(|&a| a as char == c) {
                Some(v) => v as u32,
                None => return Err(format!("场所码含有无效字符“{c}”")),
            },
        };
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            if let Some(o) = out.get_mut(n) {
                *o = (acc >> bits) as u8;
            }
            n += 1;
        }
    }
    // The padding bits of the last character must be zero, or the code was altered.
    if acc & ((1 << bits) - 1) != 0 {
        return Err("场所码校验不通过，可能输错或被篡改".into());
    }
    Ok(out)
}

/// The URL a poster's QR carries. Uppercase throughout so the whole string stays in QR
/// alphanumeric mode (scheme and host are case-insensitive; the server routes `/C/`).
pub fn url(base: &str, code: &str) -> String {
    format!("{}/C/{}", base.trim_end_matches('/').to_ascii_uppercase(), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::new(0x0A0B_0C0D, [7u8; 32])
    }

    #[test]
    fn sign_parse_verify_round_trip_for_every_kind() {
        for (kind, serial) in
            [(CodeKind::General, 1), (CodeKind::Checkpoint, 42), (CodeKind::Destination, (1 << 48) - 1)]
        {
            let code = key().sign(kind, serial);
            assert_eq!(code.len(), CODE_CHARS);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
            let p = parse(&code).unwrap();
            assert_eq!((p.kind, p.key_id, p.serial), (kind, 0x0A0B_0C0D, serial));
            assert!(p.verify(&key()));
        }
    }

    #[test]
    fn urls_lowercase_and_spaces_are_the_same_code() {
        let code = key().sign(CodeKind::General, 9);
        let u = url("https://pc.example.cn/", &code);
        assert_eq!(u, format!("HTTPS://PC.EXAMPLE.CN/C/{code}"));
        for form in [
            u.clone(),
            u.to_lowercase(),
            format!("  {code}\n"),
            code.to_lowercase(),
            format!("{}-{}", &code[..17], &code[17..]),
        ] {
            let p = parse(&form).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(p.code, code);
            assert!(p.verify(&key()));
        }
    }

    #[test]
    fn confusable_letters_are_read_as_digits() {
        let code = key().sign(CodeKind::General, 9);
        let typed: String = code
            .chars()
            .map(|c| match c {
                '0' => 'O',
                '1' => 'I',
                c => c,
            })
            .collect();
        assert_eq!(parse(&typed).unwrap().code, code);
    }

    #[test]
    fn forged_altered_truncated_and_foreign_codes_fail() {
        let code = key().sign(CodeKind::General, 9);
        // One character altered anywhere: the signature no longer verifies (or it no longer parses).
        for i in 0..code.len() {
            let mut chars: Vec<char> = code.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let altered: String = chars.into_iter().collect();
            assert!(parse(&altered).map(|p| !p.verify(&key())).unwrap_or(true), "position {i}");
        }
        let other = SigningKey::new(0x0A0B_0C0D, [8u8; 32]);
        assert!(!parse(&code).unwrap().verify(&other), "same id, another secret");
        assert!(!parse(&code).unwrap().verify(&SigningKey::new(1, [7u8; 32])), "another key id");
        assert_eq!(parse(&code[..20]).unwrap_err(), "场所码不完整：应为34位，现为20位");
        assert_eq!(parse(&format!("{code}A")).unwrap_err(), "场所码过长：应为34位，现为35位");
        assert_eq!(parse("").unwrap_err(), "请输入场所码");
        assert_eq!(parse("https://example.com/x").unwrap_err(), "这个网址不是场所码");
        assert!(parse(&format!("{}<{}", &code[..10], &code[11..])).unwrap_err().contains("无效字符“<”"));
        assert!(parse(&"😀".repeat(34)).unwrap_err().contains("无效字符"));
        assert_eq!(parse(&"A".repeat(10_240)).unwrap_err(), "场所码过长：应为34位，现为10240位");
    }

    #[test]
    fn the_url_fits_qr_alphanumeric_mode() {
        let u = url("https://placecode.kaifeng.gov.cn", &key().sign(CodeKind::Checkpoint, 1));
        assert!(u.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c)));
        assert!(u.len() <= 70, "{} characters", u.len());
    }
}
