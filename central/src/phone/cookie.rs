//! The phone's cookie (who this phone is, signed; no account, no name) and the page's CSRF
//! token bound to it.

use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::App;

/// The phone's cookie. Over https it is a `__Host-` cookie: Secure, for this host and path `/`
/// only, so no other host under the same domain can plant one (a phone fixed to an attacker's
/// cookie would hand them whoever registers on it).
pub(super) const COOKIE: &str = "pc_phone";

pub(super) const HOST_COOKIE: &str = "__Host-pc_phone";

pub(super) fn cookie_name(app: &App) -> &'static str {
    if app.secure_cookies {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// A phone is remembered for 400 days (the longest browsers keep a cookie).
pub(super) const COOKIE_MAX_AGE: u32 = 400 * 24 * 3600;

pub(crate) fn nonce() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::getrandom(&mut b);
    hex::encode(b)
}

pub(crate) fn sign(key: &[u8; 32], what: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(what.as_bytes());
    hex::encode(mac.finalize().into_bytes().get(..16).unwrap_or_default())
}

pub(crate) fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The phone id from its signed cookie, if the signature holds.
pub(super) fn phone_from_cookie(app: &App, headers: &HeaderMap) -> Option<Uuid> {
    for value in headers.get_all(header::COOKIE) {
        for part in value.to_str().ok()?.split(';') {
            let value = part.trim().strip_prefix(cookie_name(app)).and_then(|r| r.strip_prefix('='));
            if let Some(v) = value {
                let (id, sig) = v.split_once('.')?;
                if constant_eq(&sign(&app.keys.cookie, id), sig) {
                    return Uuid::parse_str(id).ok();
                }
            }
        }
    }
    None
}

/// A form's proof that this phone opened `code`'s page with a live 扫码屏 token at `seen` (Unix
/// seconds): carried by the form, so the check-in it sends is marked present (到场核验). It is
/// bound to the form's one-time token: one scan, one check-in (of the people ticked on it).
pub(super) fn presence(app: &App, phone: Uuid, code: &str, seen: i64, once: Uuid) -> String {
    format!("{seen}.{}", sign(&app.keys.cookie, &format!("present|{phone}|{code}|{seen}|{once}")))
}

/// Whether a form's `raw` presence proof is this phone's, for this code, and made at most
/// [`placecode_core::rotating::FORM_SECS`] before `now` (Unix seconds).
pub(super) fn present(app: &App, phone: Uuid, code: &str, once: Uuid, raw: &str, now: i64) -> bool {
    let Some((seen, _)) = raw.split_once('.') else { return false };
    let Ok(seen) = seen.parse::<i64>() else { return false };
    (now - placecode_core::rotating::FORM_SECS..=now + 5).contains(&seen)
        && constant_eq(&presence(app, phone, code, seen, once), raw)
}

pub(super) fn csrf(app: &App, phone: Uuid) -> String {
    sign(&app.keys.cookie, &format!("csrf|{phone}"))
}
