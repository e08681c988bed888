//! Venue codes in the store: issuing one per entrance, revoking and replacing, and checking a
//! code that was typed, pasted or scanned.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use super::{get, now, set_setting, setting, Store};
use crate::error::{Error, Result};
use placecode_core::code::{self, SigningKey};
use placecode_core::sync::{Body, CodeBody, CodeRevokedBody};
use placecode_core::venue::{CodeKind, Venue};
use placecode_core::FieldError;
use placecode_core::{normalize, validate};

const CODE_SERIAL: &str = "code_serial";
const OPEN_SCREENS: &str = "open_screens";

/// A code as the desk keeps it (场所码 or 专属场所码, one per entrance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueCode {
    pub code: String,
    pub venue_id: String,
    pub venue_name: String,
    pub kind: CodeKind,
    /// The entrance or lane: 东门, 2号通道.
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub revoked_reason: Option<String>,
    /// The code that took this one's place at the same entrance.
    pub replaced_by: Option<String>,
    /// The entrance takes only its 扫码屏's rotating code: a photo of its poster is refused.
    pub rotating_only: bool,
}

/// What the desk can say about a code (核验).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CodeCheck {
    pub code: String,
    pub kind: CodeKind,
    /// The signature was checked with this desk's key.
    pub verified: bool,
    /// Found in this desk's records.
    pub known: Option<VenueCode>,
    /// What it comes to, said by the screens in the desk's language ([`CodeCheck::chinese`]
    /// says it in Chinese, for the command line).
    pub verdict: Verdict,
}

/// A code's verdict (核验): only `valid` is good to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Issued by this desk, signature good, not revoked.
    Valid,
    /// Issued by this desk and revoked (its reason and replacement are in `known`).
    Revoked,
    /// Signed with this desk's key but not on its records.
    Unknown,
    /// Signed by another desk: only the centre can check it.
    OtherDesk,
    /// Claims this desk's key, and the signature does not match.
    Forged,
}

impl CodeCheck {
    /// The verdict as a Chinese sentence.
    pub fn chinese(&self) -> String {
        match (self.verdict, &self.known) {
            (Verdict::Forged, _) => "伪造或被篡改的场所码：签名不符，请勿使用".to_owned(),
            (Verdict::OtherDesk, _) => "其他登记台签发的场所码：本机无法离线核验，联网后由中心核验".to_owned(),
            (Verdict::Unknown, _) | (Verdict::Valid | Verdict::Revoked, None) => {
                "签名有效，但本机没有这个场所码的记录".to_owned()
            }
            (Verdict::Revoked, Some(c)) => format!(
                "已作废的场所码（{}）：请改用新码{}",
                c.revoked_reason.as_deref().unwrap_or(""),
                c.replaced_by.as_deref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            (Verdict::Valid, Some(c)) => format!("有效：{} · {} · {}", c.venue_name, c.label, c.kind.label()),
        }
    }
}

/// What the 扫码屏 shows now: its code with the current window's token, as a QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScreenCode {
    pub venue_name: String,
    pub label: String,
    pub code: String,
    /// What the QR carries: the poster's URL and the token.
    pub url: String,
    /// The QR as an SVG element.
    pub svg: String,
    /// The window shown (Unix milliseconds, by this desk's clock) and its length in seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub starts_at_ms: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ends_at_ms: i64,
    pub period: u32,
    /// The centre's clock minus this desk's, as measured at the last sync (none when never).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub clock_offset_ms: Option<i64>,
    /// The entrance takes only this screen's code.
    pub rotating_only: bool,
}

/// 公共网址 as a poster may print it: https, a host name, at most 40 characters.
fn public_url(raw: &str) -> std::result::Result<String, String> {
    let url = normalize::compact(raw).trim_end_matches('/').to_ascii_lowercase();
    let host = url.strip_prefix("https://").unwrap_or("");
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:/".contains(c)) || !host.contains('.')
    {
        Err("公共网址：应为https://开头的网址，如https://placecode.kaifeng.gov.cn".into())
    } else if url.len() > 40 {
        Err("公共网址：不能超过40个字符，否则二维码过密，远处扫不出".into())
    } else {
        Ok(url)
    }
}

/// A venue the centre refused prints no poster and gets no code: no phone could use them.
fn refuse_rejected(venue: &Venue) -> Result<()> {
    match &venue.rejected {
        Some(reason) => Err(Error::invalid(
            "venue",
            format!(
                "“{}”未通过中心审核（{reason}）：此场所的码在手机上不能使用，请修改登记信息或联系主管部门",
                venue.name
            ),
        )),
        None => Ok(()),
    }
}

/// The entrance name of the code a checkpoint gets at registration.
pub const CHECKPOINT_LABEL: &str = "卡口";

fn label(raw: &str) -> Result<String> {
    code::entrance_label(raw).map_err(|m| Error::invalid("label", format!("入口名称：{m}")))
}

const SELECT_CODE: &str = "SELECT c.code, c.venue_id, v.name, c.kind, c.label, c.created_at, c.revoked_at,
        c.revoked_reason, c.replaced_by, c.rotating_only
    FROM codes c JOIN venues v ON v.id = c.venue_id";

fn code_from_row(r: &Row) -> rusqlite::Result<VenueCode> {
    Ok(VenueCode {
        code: r.get(0)?,
        venue_id: r.get(1)?,
        venue_name: r.get(2)?,
        kind: CodeKind::parse(&r.get::<_, String>(3)?).unwrap_or(CodeKind::General),
        label: r.get(4)?,
        created_at: r.get(5)?,
        revoked_at: r.get(6)?,
        revoked_reason: r.get(7)?,
        replaced_by: r.get(8)?,
        rotating_only: r.get(9)?,
    })
}

impl Store {
    /// Issues a signed code for one entrance of a venue; the kind follows the venue's.
    /// A checkpoint's code is issued as it is registered: the centre publishes checkpoint codes
    /// (the phone page's 卡口列表), so crews can declare before they arrive, and a checkpoint
    /// prints no poster that would otherwise make someone issue one. Other venues: nothing.
    pub fn publish_checkpoint(&mut self, venue: &Venue, key: &SigningKey) -> Result<Option<VenueCode>> {
        if venue.kind != CodeKind::Checkpoint {
            return Ok(None);
        }
        let issued: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM codes WHERE venue_id = ?1 AND revoked_at IS NULL)",
            [&venue.id],
            |r| r.get(0),
        )?;
        if issued {
            return Ok(None);
        }
        self.issue_code(&venue.id, CHECKPOINT_LABEL, key).map(Some)
    }

    pub fn issue_code(&mut self, venue_id: &str, entrance: &str, key: &SigningKey) -> Result<VenueCode> {
        let entrance = label(entrance)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let venue = get(&tx, venue_id)?;
        refuse_rejected(&venue)?;
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM codes WHERE venue_id = ?1 AND label = ?2 AND revoked_at IS NULL)",
            params![venue_id, entrance],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::invalid_fields(vec![FieldError {
                field: "label".into(),
                message: format!("入口名称：“{entrance}”已有场所码；要换新码请先作废旧码"),
            }]));
        }
        let serial = next_serial(&tx)?;
        let code = key.sign(venue.kind, serial);
        tx.execute(
            "INSERT INTO codes (code, venue_id, kind, label, key_id, serial, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![code, venue_id, venue.kind.key(), entrance, key.id, serial as i64, now()],
        )?;
        let body = CodeBody {
            code: code.clone(),
            venue_id: venue_id.to_owned(),
            label: entrance.clone(),
            rotating_only: false,
        };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::Code(body))?;
        tx.commit()?;
        self.code(&code)
    }

    /// Revokes a code (poster stolen, damaged, copied elsewhere) and issues its replacement for
    /// the same entrance. Visits made with the old code keep pointing at the venue.
    pub fn revoke_code(&mut self, code: &str, reason: &str, key: &SigningKey) -> Result<VenueCode> {
        let reason = code::revoke_reason(reason).map_err(|m| Error::invalid("reason", format!("作废原因：{m}")))?;
        let old = self.code(code)?;
        if old.revoked_at.is_some() {
            return Err(Error::invalid("code", "该场所码已作废"));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stamp = now();
        tx.execute(
            "UPDATE codes SET revoked_at = ?2, revoked_reason = ?3 WHERE code = ?1",
            params![old.code, stamp, reason],
        )?;
        let serial = next_serial(&tx)?;
        let new = key.sign(old.kind, serial);
        tx.execute(
            "INSERT INTO codes (code, venue_id, kind, label, key_id, serial, created_at, rotating_only)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![new, old.venue_id, old.kind.key(), old.label, key.id, serial as i64, stamp, old.rotating_only],
        )?;
        tx.execute("UPDATE codes SET replaced_by = ?2 WHERE code = ?1", params![old.code, new])?;
        let issued = CodeBody {
            code: new.clone(),
            venue_id: old.venue_id.clone(),
            label: old.label.clone(),
            rotating_only: old.rotating_only,
        };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::Code(issued))?;
        let revoked = CodeRevokedBody { code: old.code.clone(), reason, replaced_by: Some(new.clone()) };
        super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::CodeRevoked(revoked))?;
        tx.commit()?;
        self.code(&new)
    }

    /// Sets whether an entrance takes only its 扫码屏's rotating code, and tells the centre (the
    /// code's record sent again). Setting what it already is sends nothing.
    pub fn set_code_rotating_only(&mut self, code: &str, rotating_only: bool) -> Result<VenueCode> {
        let c = self.code(code)?;
        if c.revoked_at.is_some() {
            return Err(Error::invalid("code", "该场所码已作废"));
        }
        if c.rotating_only == rotating_only {
            return Ok(c);
        }
        if rotating_only {
            placecode_core::rotating::may_take_only_the_screen(c.kind)
                .map_err(|m| Error::invalid("rotating_only", m))?;
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE codes SET rotating_only = ?2 WHERE code = ?1 AND revoked_at IS NULL AND rotating_only <> ?2",
            params![c.code, rotating_only],
        )?;
        if changed == 1 {
            let body =
                CodeBody { code: c.code.clone(), venue_id: c.venue_id.clone(), label: c.label.clone(), rotating_only };
            super::outbox::enqueue(&tx, &super::outbox::new_id(), Body::Code(body))?;
        }
        tx.commit()?;
        self.code(&c.code)
    }

    /// What the 扫码屏 of `code` shows at `now`: the code with the token of the window `now` falls
    /// in (windows of `period` seconds), signed with this desk's `key`. Offline: nothing but the
    /// key and the clock. A revoked code shows its replacement for the same entrance.
    pub fn screen_code(
        &self,
        code: &str,
        period: u32,
        key: &SigningKey,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ScreenCode> {
        use placecode_core::rotating;
        // A code revoked while its screen shows it: the screen moves on to its replacement for
        // the same entrance (作废 always issues one), so the queue is never left without a code.
        let mut c = self.code(code)?;
        for _ in 0..32 {
            match (&c.revoked_at, &c.replaced_by) {
                (Some(_), Some(next)) => c = self.code(next)?,
                _ => break,
            }
        }
        if c.revoked_at.is_some() {
            return Err(Error::invalid("code", "该场所码已作废：请在登记台的场所码页面为新码打开扫码屏"));
        }
        let parsed = code::parse(&c.code).map_err(|m| Error::invalid("code", m))?;
        // Stamped on the centre's time as last measured, so a desk clock far off still works
        // (the centre corrects by a few minutes at most); the screen counts down on this clock.
        let offset = self.clock_offset_ms()?;
        let window = rotating::Window::at(rotating::corrected(now, offset), period);
        let shift = offset.unwrap_or(0);
        let token = rotating::sign(key, &parsed, window).ok_or_else(|| Error::internal("clock outside token range"))?;
        let url = rotating::url(&self.poster_settings()?.public_base_url, &c.code, &token);
        Ok(ScreenCode {
            svg: placecode_core::qr::svg(&url)?,
            url,
            venue_name: c.venue_name,
            label: c.label,
            code: c.code,
            starts_at_ms: window.start * 1000 - shift,
            ends_at_ms: window.ends() * 1000 - shift,
            period: window.period,
            clock_offset_ms: offset,
            rotating_only: c.rotating_only,
        })
    }

    /// The 扫码屏 windows open at this desk (code and period), so they open again at start.
    pub fn open_screens(&self) -> Result<Vec<(String, u32)>> {
        Ok(setting(&self.conn, OPEN_SCREENS)?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
    }

    pub fn set_open_screens(&mut self, screens: &[(String, u32)]) -> Result<()> {
        let v = serde_json::to_string(screens).map_err(|e| Error::internal(e.to_string()))?;
        set_setting(&self.conn, OPEN_SCREENS, &v)
    }

    pub fn code(&self, code: &str) -> Result<VenueCode> {
        self.conn
            .query_row(&format!("{SELECT_CODE} WHERE c.code = ?1"), [code], code_from_row)
            .optional()?
            .ok_or(Error::not_found("场所码"))
    }

    /// A venue's codes, active ones first.
    pub fn codes(&self, venue_id: &str) -> Result<Vec<VenueCode>> {
        let mut stmt = self.conn.prepare(&format!(
            "{SELECT_CODE} WHERE c.venue_id = ?1 ORDER BY c.revoked_at IS NOT NULL, c.label, c.created_at"
        ))?;
        let rows = stmt.query_map([venue_id], code_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Checks a typed, pasted or scanned code against this desk's key and records.
    pub fn check_code(&self, input: &str, key: &SigningKey) -> Result<CodeCheck> {
        let parsed = code::parse(input)
            .map_err(|m| Error::invalid_fields(vec![FieldError { field: "code".into(), message: m }]))?;
        let ours = parsed.key_id == key.id;
        // A code this desk signed with an earlier key (before its key was rotated) is on its
        // records, all 34 characters, signature included: as good as verified.
        let known = self.code(&parsed.code).optional_not_found()?;
        let verified = if ours { parsed.verify(key) } else { known.is_some() };
        let known = known.filter(|_| verified);
        let verdict = match (&known, verified, ours) {
            (_, false, true) => Verdict::Forged,
            (_, false, false) => Verdict::OtherDesk,
            (None, true, _) => Verdict::Unknown,
            (Some(c), true, _) if c.revoked_at.is_some() => Verdict::Revoked,
            (Some(_), true, _) => Verdict::Valid,
        };
        Ok(CodeCheck { code: parsed.code, kind: parsed.kind, verified, known, verdict })
    }
}

const SIGNING_KEY_ID: &str = "code.signing_key_id";

impl Store {
    /// The id of the key this database's codes are signed with: recorded when a key is first
    /// used with it, or, for a database from before, the key of its latest code. `None`: a new
    /// database that has never met a key.
    pub fn signing_key_id(&self) -> Result<Option<u32>> {
        if let Some(id) = setting(&self.conn, SIGNING_KEY_ID)?.and_then(|s| s.parse().ok()) {
            return Ok(Some(id));
        }
        Ok(self
            .conn
            .query_row("SELECT key_id FROM codes ORDER BY serial DESC LIMIT 1", [], |r| r.get::<_, i64>(0))
            .optional()?
            .and_then(|id| u32::try_from(id).ok()))
    }

    /// Records that this database's codes are signed with the key `id` from now on.
    pub fn bind_signing_key(&mut self, id: u32) -> Result<()> {
        set_setting(&self.conn, SIGNING_KEY_ID, &id.to_string())
    }
}

/// The next serial number to sign: one more than the last, and at least the time in
/// milliseconds, so a database restored from a backup (or made again where one was deleted)
/// never signs a serial its key signed before while the clock moves on: two venues' posters
/// would carry one code. 48 bits of milliseconds last until the year 10889.
fn next_serial(conn: &rusqlite::Connection) -> Result<u64> {
    let last = setting(conn, CODE_SERIAL)?.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let n = (last + 1).max(millis);
    set_setting(conn, CODE_SERIAL, &n.to_string())?;
    Ok(n)
}

trait OptionalNotFound<T> {
    fn optional_not_found(self) -> Result<Option<T>>;
}

impl<T> OptionalNotFound<T> for Result<T> {
    fn optional_not_found(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::Rule(placecode_core::Error::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

const PUBLIC_BASE_URL: &str = "public_base_url";
const SUPERVISION_PHONE: &str = "supervision_phone";
pub const DEFAULT_BASE_URL: &str = "https://placecode.kaifeng.gov.cn";
pub const DEFAULT_SUPERVISION_PHONE: &str = "12345";

/// What every poster of this desk prints: where the QR points and whom to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PosterSettings {
    /// 公共网址: the central server's public https address, which the QR opens.
    pub public_base_url: String,
    /// 监督电话
    pub supervision_phone: String,
}

const PRINTER: &str = "printer";

/// The supervision phone the posters print.
pub(crate) fn supervision_phone(conn: &rusqlite::Connection) -> Result<String> {
    Ok(setting(conn, SUPERVISION_PHONE)?.unwrap_or_else(|| DEFAULT_SUPERVISION_PHONE.into()))
}

impl Store {
    /// The printer this desk last printed posters on, offered again next time (打印 remembers
    /// it per desk). The number of copies is not remembered: every print starts at one, so a
    /// clerk who presses Enter never prints fifty because someone did once.
    pub fn last_printer(&self) -> Result<Option<String>> {
        setting(&self.conn, PRINTER)
    }

    /// Remembers the printer of a print the print service accepted (the caller checked it).
    pub fn remember_printer(&mut self, printer: &str) -> Result<()> {
        set_setting(&self.conn, PRINTER, printer)
    }

    pub fn poster_settings(&self) -> Result<PosterSettings> {
        Ok(PosterSettings {
            public_base_url: setting(&self.conn, PUBLIC_BASE_URL)?.unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            supervision_phone: supervision_phone(&self.conn)?,
        })
    }

    /// Checks and saves the poster settings. The address must be plain https (any phone scanner
    /// opens it) and short enough that the QR stays at version 7 or below.
    /// At enrolment: the address the centre publishes its phone pages at becomes the posters'
    /// 公共网址, unless the administrator chose one, or it is not one a poster may print (the
    /// default would otherwise print codes for another server). Answers whether it was taken.
    pub fn adopt_public_url(&mut self, url: &str) -> Result<bool> {
        if setting(&self.conn, PUBLIC_BASE_URL)?.is_some() {
            return Ok(false);
        }
        match public_url(url) {
            Ok(url) => {
                set_setting(&self.conn, PUBLIC_BASE_URL, &url)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    pub fn set_poster_settings(&mut self, input: &PosterSettings) -> Result<PosterSettings> {
        let mut errors = Vec::new();
        let url = public_url(&input.public_base_url)
            .map_err(|m| errors.push(FieldError { field: "public_base_url".into(), message: m }))
            .unwrap_or_default();
        let phone = validate::supervision_phone(&input.supervision_phone).unwrap_or_else(|m| {
            errors.push(FieldError { field: "supervision_phone".into(), message: format!("监督电话：{m}") });
            String::new()
        });
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        let tx = self.conn.transaction()?;
        let before = supervision_phone(&tx)?;
        set_setting(&tx, PUBLIC_BASE_URL, &url)?;
        set_setting(&tx, SUPERVISION_PHONE, &phone)?;
        if before != phone {
            // The centre names the venue's supervision phone on a phone's yellow or red result.
            let ids: Vec<String> =
                tx.prepare("SELECT id FROM venues")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            for id in ids {
                let venue = super::get(&tx, &id)?;
                super::outbox::enqueue(&tx, &super::outbox::new_id(), super::outbox::venue_body(&tx, &venue)?)?;
            }
        }
        tx.commit()?;
        self.poster_settings()
    }

    /// A poster for every active code of each venue; a venue with no code gets one for 正门.
    pub fn poster_inputs(
        &mut self,
        venue_ids: &[String],
        key: &SigningKey,
        landscape: bool,
        issued: chrono::NaiveDate,
    ) -> Result<Vec<placecode_core::print::PosterInput>> {
        let settings = self.poster_settings()?;
        let mut out = Vec::new();
        for id in venue_ids {
            let venue = get(&self.conn, id)?;
            refuse_rejected(&venue)?;
            let mut codes: Vec<VenueCode> = self.codes(id)?.into_iter().filter(|c| c.revoked_at.is_none()).collect();
            if codes.is_empty() {
                codes.push(self.issue_code(id, "正门", key)?);
            }
            for c in codes {
                out.push(placecode_core::print::PosterInput {
                    url: code::url(&settings.public_base_url, &c.code),
                    code: c.code,
                    label: c.label,
                    venue: venue.clone(),
                    supervision_phone: settings.supervision_phone.clone(),
                    issued,
                    landscape,
                });
            }
        }
        Ok(out)
    }

    /// The poster of one code.
    pub fn poster_input(
        &self,
        code: &str,
        landscape: bool,
        issued: chrono::NaiveDate,
    ) -> Result<placecode_core::print::PosterInput> {
        let settings = self.poster_settings()?;
        let c = self.code(code)?;
        if c.revoked_at.is_some() {
            return Err(Error::invalid("code", "该场所码已作废，不能再打印"));
        }
        refuse_rejected(&get(&self.conn, &c.venue_id)?)?;
        Ok(placecode_core::print::PosterInput {
            url: code::url(&settings.public_base_url, &c.code),
            venue: get(&self.conn, &c.venue_id)?,
            code: c.code,
            label: c.label,
            supervision_phone: settings.supervision_phone,
            issued,
            landscape,
        })
    }
}
