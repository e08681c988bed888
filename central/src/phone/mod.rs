//! The page every printed QR opens (`/c/{code}`, R4, R5, R7, R11): the declaration on a phone's
//! first visit, four digits after that, and the result in full-screen colour.

pub mod door;
pub mod html;
pub mod limits;
pub mod served;
pub mod text;

pub use limits::{flags, revoke};

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use placecode_core::venue::CodeKind;
use uuid::Uuid;

use crate::error::CentralError;
use crate::occupancy::{AtDoor, Coming};
use crate::App;
use html::{Form, Shown};
use text::{Lang, Texts};

pub(crate) mod cookie;
mod declare;
mod returning;

use cookie::*;
use declare::*;
use returning::*;

/// Form bodies are small; anything bigger is not a person typing.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// An HTML response with the security headers (see [`strict_headers`]), and the phone's cookie
/// when it is given one.
fn respond(app: &App, status: StatusCode, nonce: &str, body: String, phone: Option<Uuid>) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    strict_headers(app, h, nonce);
    if let Some(id) = phone {
        let cookie = format!(
            "{}={id}.{}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{}",
            cookie_name(app),
            sign(&app.keys.cookie, &id.to_string()),
            if app.secure_cookies { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    res
}

/// The headers of every page the server renders (the phone's and the console's): a CSP allowing
/// only this response's inline style and script, no framing, no referrer, never cached (it may
/// show personal data), HSTS over https.
pub(crate) fn strict_headers(app: &App, h: &mut HeaderMap, nonce: &str) {
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if app.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

fn message(app: &App, t: &Texts, status: StatusCode, title: &str, text: &str) -> Response {
    let n = nonce();
    respond(app, status, &n, html::message(t, &n, title, text), None)
}

/// A page answering a `?lang=` keeps the choice for the phone's next pages.
fn keep_lang(mut res: Response, chosen: Option<Lang>) -> Response {
    if let Some(lang) = chosen {
        let cookie = format!("{}={}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax", text::LANG_COOKIE, lang.key());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The `lang` a page was asked for, if it is one of the pages' languages.
fn asked_lang(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(&v))
}

/// A venue code that phones may use: on the server, signed by its desk, not revoked, approved.
type Served = served::Entry;

async fn served(app: &App, t: &Texts, raw: &str) -> Result<Served, Response> {
    let parsed = placecode_core::code::parse(raw)
        .map_err(|_| message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.bad_code_body))?;
    let found = app.codes.find(&app.pool, &parsed).await.map_err(|e| server_error(app, t, e.into()))?;
    let s = match found {
        served::Found::Code(s) => s,
        served::Found::Unknown => {
            return Err(message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.unknown_code_body))
        }
        served::Found::Forged => return Err(message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.bad_code_body)),
    };
    if s.revoked {
        return Err(message(app, t, StatusCode::GONE, t.revoked_title, t.revoked_body));
    }
    if !s.approved {
        return Err(message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.rejected_venue_body));
    }
    Ok(s)
}

fn server_error(app: &App, t: &Texts, e: CentralError) -> Response {
    tracing::error!(error = %e, "phone page");
    message(app, t, StatusCode::INTERNAL_SERVER_ERROR, t.title, t.server_error)
}

/// Rate limits, then the code, then what proves the request genuine: the page to show instead
/// when any says no.
///
/// A malformed code is refused before any bucket is touched; the client's own bucket next; then
/// `genuine` (a live 扫码屏 token, a form's CSRF token and proof of presence, an entrance that
/// takes only its screen) before the code's bucket, keyed by the code as parsed (case, dashes and
/// look-alike letters of one code share it): neither one client nor a flood of made-up tokens or
/// proofs can empty a venue's bucket and shut its door out.
async fn admit<F, Fut>(
    app: &App,
    t: &Texts,
    peer: SocketAddr,
    headers: &HeaderMap,
    code: &str,
    genuine: F,
) -> Result<(Served, bool), Response>
where
    F: FnOnce(Served) -> Fut,
    Fut: std::future::Future<Output = Result<(Served, bool), Response>>,
{
    // The address's code segment is the code alone: an encoded slash (`CODE%2FTOKEN`) would
    // otherwise open the poster's page with the screen's token silently dropped.
    let parsed = placecode_core::code::parse(code)
        .ok()
        .filter(|_| !code.contains('/'))
        .ok_or_else(|| message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.bad_code_body))?;
    let who = app.client(peer, headers);
    if !app.ip_limiter.allow(&who) {
        return Err(slow_down(app, t));
    }
    let (s, present) = genuine(served(app, t, &parsed.code).await?).await?;
    if !app.code_limiter.allow(&parsed.code) {
        return Err(slow_down(app, t));
    }
    Ok((s, present))
}

fn slow_down(app: &App, t: &Texts) -> Response {
    let mut r = message(app, t, StatusCode::TOO_MANY_REQUESTS, t.title, t.slow_down);
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    r
}

/// A desk's code key and clock offset (none when revoked or unknown), and when it was read.
type HeldKey = (Option<(placecode_core::code::SigningKey, i64)>, std::time::Instant);

/// The desks' code keys and clock offsets, held [`ScreenKeys::HOLD`] per process: a 扫码屏 token
/// is checked without a database read, and a desk revoked or re-keyed is seen within that time.
#[derive(Default)]
pub struct ScreenKeys(std::sync::Mutex<std::collections::HashMap<Uuid, HeldKey>>);

impl ScreenKeys {
    pub const HOLD: std::time::Duration = std::time::Duration::from_secs(60);

    /// The key and clock offset of `desk` (none when revoked or unknown).
    async fn get(
        &self,
        app: &App,
        desk: Uuid,
    ) -> Result<Option<(placecode_core::code::SigningKey, i64)>, CentralError> {
        if let Ok(held) = self.0.lock() {
            if let Some((v, at)) = held.get(&desk) {
                if at.elapsed() < Self::HOLD {
                    return Ok(v.clone());
                }
            }
        }
        /// Key id, key sealed (or, from before, in clear), clock offset.
        type KeyRow = (i64, Option<String>, Option<Vec<u8>>, Option<i64>);
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT code_key_id, code_key_sealed, code_key_secret, clock_offset_ms FROM desks
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(desk)
        .fetch_optional(&app.pool)
        .await?;
        let v = match row {
            Some((key_id, sealed, clear, offset)) => {
                let secret = app.keys.data.code_key(desk, sealed.as_deref(), clear.as_deref())?;
                Some((placecode_core::code::SigningKey::new(key_id as u32, secret), offset.unwrap_or(0)))
            }
            None => None,
        };
        if let Ok(mut held) = self.0.lock() {
            // One entry per desk that shows a screen: a few thousand at most.
            held.insert(desk, (v.clone(), std::time::Instant::now()));
        }
        Ok(v)
    }
}

/// What a code's page may be asked: `?new` (someone else on this phone), `?same=` (a 同车人员申报 link).
pub struct ShowQuery {
    new: Option<String>,
    /// A 同车人员申报 link's token: the truck's details from another member's pre-declaration.
    same: Option<String>,
}

impl ShowQuery {
    fn parse(raw: &str) -> ShowQuery {
        let mut q = ShowQuery { new: None, same: None };
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "new" if q.new.is_none() => q.new = Some(v.into_owned()),
                "same" if q.same.is_none() => q.same = Some(v.into_owned()),
                _ => {}
            }
        }
        q
    }
}

/// A person this phone has declared.
#[derive(sqlx::FromRow, Clone)]
pub struct Known {
    /// The phone that declared them.
    phone: Uuid,
    id: i64,
    /// The name on file (sent to the venue's desks).
    name: String,
    /// What this phone shows: the name on file, or, on a phone that is not the person's own,
    /// the name this phone typed (a stranger who typed a number learns nothing of the person).
    #[sqlx(default)]
    shown: String,
    /// What a phone that is not the person's own typed, sealed.
    typed: Option<String>,
    last4: String,
    number: String,
    /// Their document's kind (its key).
    kind: String,
    colour: Option<String>,
    /// Who the person is to the phone's owner: 本人 for the owner.
    relation: String,
    /// The link is the person's own (see `declare`).
    verified: bool,
    /// Opens the sealed name and number.
    id_hash: Vec<u8>,
    /// A colour kept for them at the centre, and one this phone's own declarations raised.
    kept_colour: Option<String>,
    kept_until: Option<chrono::DateTime<Utc>>,
    phone_colour: Option<String>,
    phone_until: Option<chrono::DateTime<Utc>>,
}

impl Known {
    /// The colour kept for them as this phone sees it: the centre's and the one this phone
    /// raised, the higher colour and the later end (the core's merge).
    fn kept(&self) -> Option<placecode_core::decision::Raised> {
        let raised = |c: &Option<String>, until: Option<chrono::DateTime<Utc>>| {
            Some(placecode_core::decision::Raised {
                colour: placecode_core::decision::Colour::parse(c.as_deref()?)?,
                until: until?,
            })
        };
        match (raised(&self.kept_colour, self.kept_until), raised(&self.phone_colour, self.phone_until)) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or(b),
        }
    }

    /// How lists name the person: masked name, birth year and relation, never the ID number.
    fn label(&self, t: &Texts) -> String {
        let who = who(t, &self.number, &self.relation);
        if t.lang == text::ZH.lang {
            format!("{}（{who}）", placecode_core::mask::name(&self.shown))
        } else {
            format!("{} ({who})", placecode_core::mask::name(&self.shown))
        }
    }
}

/// Birth year (from a number on GB 11643's pattern: resident IDs, 居住证, the new 永居证) and
/// relation: 1942年生，父母.
fn who(t: &Texts, number: &str, relation: &str) -> String {
    t.who(placecode_core::identity::birth_year_of(placecode_core::identity::DocumentKind::ResidentId, number), relation)
}

async fn known(app: &App, phone: Uuid) -> Result<Vec<Known>, CentralError> {
    app.door().known(phone).await
}

fn action_path(code: &str) -> String {
    format!("/c/{code}")
}

fn result_path(code: &str, id: Uuid) -> String {
    format!("/c/{code}/r/{id}")
}

pub async fn show(
    State(app): State<App>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let chosen = asked_lang(query.as_deref());
    let lang = Lang::pick(chosen.map(Lang::key), &headers);
    let page = Page { code: &code, token: None, query: query.as_deref() };
    keep_lang(show_in(&app, lang, &page, peer, &headers).await, chosen)
}

/// The page a 扫码屏's QR opens (`/c/{code}/{token}`): the code's page, its check-in marked
/// present (到场核验) when the token is genuine and live.
pub async fn show_rotating(
    State(app): State<App>,
    Path((code, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let chosen = asked_lang(query.as_deref());
    let lang = Lang::pick(chosen.map(Lang::key), &headers);
    let page = Page { code: &code, token: Some(&token), query: query.as_deref() };
    keep_lang(show_in(&app, lang, &page, peer, &headers).await, chosen)
}

/// What a code's page was opened with.
struct Page<'a> {
    code: &'a str,
    /// A 扫码屏's time token.
    token: Option<&'a str>,
    query: Option<&'a str>,
}

/// Whether a 扫码屏 token is genuine (signed by the code's desk with its current key) and live
/// (within its window and the tolerance, by the desk's clock as last measured): the page to show
/// instead when it is not.
async fn rotating(app: &App, t: &Texts, s: &Served, raw: &str) -> Result<(), Response> {
    use placecode_core::rotating::{self, Stale};
    let forged = || message(app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.bad_code_body);
    let token = rotating::parse(raw).map_err(|_| forged())?;
    let parsed = placecode_core::code::parse(&s.code).map_err(|_| forged())?;
    let held = app.screen_keys.get(app, s.desk_id).await.map_err(|e| server_error(app, t, e))?;
    let Some((key, offset)) = held else { return Err(forged()) };
    if !token.verify(&key, &parsed) {
        return Err(forged());
    }
    match token.live(Utc::now(), offset) {
        Ok(()) => Ok(()),
        Err(Stale::Expired(_)) => {
            Err(message(app, t, StatusCode::GONE, t.rotating_expired_title, t.rotating_expired_body))
        }
        Err(Stale::Early(_)) => Err(message(app, t, StatusCode::GONE, t.rotating_expired_title, t.rotating_early_body)),
    }
}

async fn show_in(app: &App, lang: Lang, page: &Page<'_>, peer: SocketAddr, headers: &HeaderMap) -> Response {
    let t = lang.texts();
    let genuine = |s: Served| async move {
        match page.token {
            Some(token) => rotating(app, t, &s, token).await.map(|()| (s, true)),
            None if s.rotating_only => {
                Err(message(app, t, StatusCode::FORBIDDEN, t.rotating_only_title, t.rotating_only_body))
            }
            None => Ok((s, false)),
        }
    };
    let (s, present) = match admit(app, t, peer, headers, page.code, genuine).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let query = page.query;
    // Read leniently: the first of each parameter, anything else ignored (never the framework's
    // English refusal of a repeated or unknown parameter).
    let q = ShowQuery::parse(query.unwrap_or(""));
    let cookie = phone_from_cookie(app, headers);
    let people = match cookie.filter(|_| s.kind == CodeKind::General) {
        Some(p) => match known(app, p).await {
            Ok(people) => people,
            Err(e) => return server_error(app, t, e),
        },
        None => Vec::new(),
    };
    // A phone the administrator revoked is a new phone from now on. Revoking takes its people
    // away, so only a phone that holds no one needs asking.
    let cookie = match cookie {
        Some(p) if people.is_empty() => match limits::revoked(&app.pool, p).await {
            Ok(false) => Some(p),
            Ok(true) => None,
            Err(e) => return server_error(app, t, e),
        },
        other => other,
    };
    let (phone, fresh) = match cookie {
        Some(p) => (p, false),
        None => (Uuid::now_v7(), true),
    };
    let destinations = match destinations(app, &s).await {
        Ok(d) => d,
        Err(e) => return server_error(app, t, e),
    };
    let shared = match q.same.as_deref().filter(|_| s.kind == CodeKind::Checkpoint) {
        Some(token) => match shared(app, &s, token).await {
            Ok(v) => v,
            Err(e) => return server_error(app, t, e),
        },
        None => Vec::new(),
    };
    // A full venue says so before the form is filled in.
    let notice = match (s.limit, s.kind) {
        (Some(own), CodeKind::General) => {
            match crate::occupancy::full_now(&app.pool, s.venue_id, s.district, own).await {
                Ok(Some((inside, max))) => {
                    t.full_wait.replace("{n}", &inside.to_string()).replace("{max}", &max.to_string())
                }
                Ok(None) => String::new(),
                Err(e) => return server_error(app, t, e),
            }
        }
        _ => String::new(),
    };
    let n = nonce();
    let once = Uuid::now_v7();
    let presence = if present { presence(app, phone, &s.code, Utc::now().timestamp(), once) } else { String::new() };
    let view = View {
        csrf: &csrf(app, phone),
        present: &presence,
        once: &once.to_string(),
        new: q.new.is_some(),
        destinations: destinations.as_deref(),
        shared: !shared.is_empty(),
        notice: &notice,
    };
    let form = Form { values: &shared, errors: &[], lang };
    let body = page_for(&n, &s, &view, &people, &form, None, "");
    respond(app, StatusCode::OK, &n, body, fresh.then_some(phone))
}

/// What every form on a page carries: the phone's CSRF token, the form's one-time token, and
/// whether the phone asked to register someone else.
struct View<'a> {
    csrf: &'a str,
    /// The proof the page was opened from a live 扫码屏 code (empty when not).
    present: &'a str,
    once: &'a str,
    new: bool,
    /// A checkpoint's form asks the destination among these (id, name).
    destinations: Option<&'a [(String, String)]>,
    /// The truck's details came from a 同车人员申报 link.
    shared: bool,
    /// Said above the form (the venue is full now), or empty.
    notice: &'a str,
}

fn page_for(
    n: &str,
    s: &Served,
    view: &View,
    people: &[Known],
    form: &Form,
    last4_error: Option<&str>,
    last4: &str,
) -> String {
    let action = action_path(&s.code);
    let hidden =
        html::Hidden { action: &action, csrf: view.csrf, once: view.once, present: view.present, notice: view.notice };
    match s.kind {
        CodeKind::General if !people.is_empty() && !view.new => {
            // Ticked by their place on this phone (1, 2, …), never by a database id.
            let t = form.lang.texts();
            let list: Vec<(usize, String)> = people.iter().enumerate().map(|(i, p)| (i + 1, p.label(t))).collect();
            let letters = people.iter().any(|p| p.last4.bytes().any(|b| b.is_ascii_alphabetic() && b != b'X'));
            let typed = html::Last4 { typed: last4, error: last4_error, letters };
            html::returning(form.lang, n, &s.venue, &hidden, &list, &typed)
        }
        CodeKind::General => html::declaration(n, &s.venue, &hidden, form, !people.is_empty()),
        k => html::truck_declaration(
            n,
            &s.venue,
            form.lang.texts().code_kind(k),
            &hidden,
            form,
            view.destinations,
            view.shared,
        ),
    }
}

pub async fn submit(
    State(app): State<App>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = Lang::pick(None, &headers);
    let t = lang.texts();
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str());
    // CSRF: the form's token must be this phone's; a stale or foreign form starts over.
    let phone = phone_from_cookie(&app, &headers).filter(|p| constant_eq(&csrf(&app, *p), get("csrf")));
    let once = Uuid::parse_str(get("once")).ok();
    // Opened from a live 扫码屏 code: marked present. An entrance that takes only that code
    // refuses any other form (a poster's page, a saved link, a proof minutes too old, another
    // form's) before the code's bucket is touched.
    let genuine = |s: Served| async {
        let (Some(phone), Some(once)) = (phone, once) else {
            return Err(message(&app, t, StatusCode::FORBIDDEN, t.title, t.stale_form));
        };
        let present = cookie::present(&app, phone, &s.code, once, get("present"), Utc::now().timestamp());
        if s.rotating_only && !present {
            return Err(message(&app, t, StatusCode::FORBIDDEN, t.rotating_only_title, t.rotating_only_body));
        }
        Ok((s, present))
    };
    let (s, present) = match admit(&app, t, peer, &headers, &code, genuine).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (Some(phone), Some(once)) = (phone, once) else {
        return message(&app, t, StatusCode::FORBIDDEN, t.title, t.stale_form);
    };
    let client = app.client(peer, &headers);
    let form = Submitted {
        phone,
        once,
        fields: &fields,
        new: get("new") == "1",
        client: &client,
        lang,
        present: if present { get("present") } else { "" },
    };
    let result = match get("action") {
        // The same form sent again (a double tap, a reload of the POST) finds its token claimed
        // when it stores: the first result, no new visit.
        "last4" if s.kind == CodeKind::General => returning(&app, &s, &form).await,
        // A declaration writes the person before its check-in: a form sent again is answered
        // with its first result before anything is written.
        _ => match done(&app, phone, once).await {
            Ok(Some((id, code))) => return see_other(&app, &result_path(&code, id)),
            Ok(None) => match door_limit(&app, t, &s, Coming::New).await {
                Ok(hold) => {
                    let declared = declare(&app, &s, &form).await;
                    give_back(&app, &s, hold).await;
                    declared
                }
                Err(wait) => return wait,
            },
            Err(e) => Err(e),
        },
    };
    result.unwrap_or_else(|e| server_error(&app, t, e))
}

/// 限流 at the door of a general venue with a limit, once it is known who comes (a new person,
/// or people this phone holds): `Ok(hold)` to go on, with places held for this form until
/// [`give_back`] so that forms racing for the last places (from many phones or one) do not all
/// get them; or the page that tells the phone to wait (nothing stored). The form's script sends
/// the same form again by itself every 30 seconds (its fields, its one-time token and its proof
/// of presence kept, as at a busy door); without the script the page says why, and the
/// browser's back button has the form as it was. People of the phone already inside, scanning
/// again, are not turned away (as at the desk).
pub(super) async fn door_limit(app: &App, t: &Texts, s: &Served, coming: Coming<'_>) -> Result<Option<Uuid>, Response> {
    let (Some(own), CodeKind::General) = (s.limit, s.kind) else { return Ok(None) };
    match crate::occupancy::at_door(&app.pool, s.venue_id, s.district, own, coming).await {
        Ok(AtDoor::In { hold }) => Ok(hold),
        Ok(AtDoor::Full { inside, max }) => {
            let fill = |text: &str| text.replace("{n}", &inside.to_string()).replace("{max}", &max.to_string());
            let mut r = message(app, t, StatusCode::TOO_MANY_REQUESTS, t.full_title, &fill(t.full_body));
            r.headers_mut().insert(BUSY_WAIT, HeaderValue::from_static("30"));
            // Said above the waiting form by its script (a header carries ASCII only).
            let why: String = form_urlencoded::byte_serialize(fill(t.full_wait).as_bytes()).collect();
            if let Ok(v) = HeaderValue::from_str(&why.replace('+', "%20")) {
                r.headers_mut().insert(BUSY_WHY, v);
            }
            Err(r)
        }
        Err(e) => Err(server_error(app, t, e)),
    }
}

/// Gives back the places [`door_limit`] held for a form, its check-in stored or refused.
pub(super) async fn give_back(app: &App, s: &Served, hold: Option<Uuid>) {
    let Some(hold) = hold else { return };
    if let Err(e) = crate::occupancy::release(&app.pool, s.venue_id, hold).await {
        tracing::warn!(error = %e, "door hold not released; it lapses by itself");
    }
}

/// A submitted form: whose phone, its one-time token and its fields.
struct Submitted<'a> {
    phone: Uuid,
    once: Uuid,
    fields: &'a [(String, String)],
    new: bool,
    /// The client address, as the rate limits count it.
    client: &'a str,
    /// The language of the pages answering it.
    lang: Lang,
    /// Its proof of a live 扫码屏 code, when it holds (empty when not).
    present: &'a str,
}

impl Submitted<'_> {
    fn view<'v>(&'v self, csrf: &'v str, once: &'v str) -> View<'v> {
        View { csrf, present: self.present, once, new: self.new, destinations: None, shared: false, notice: "" }
    }

    /// Opened from a live 扫码屏 code (到场核验).
    fn present(&self) -> bool {
        !self.present.is_empty()
    }
}

/// The field a result page's contents are sealed as, bound to the result's id.
const RESULT_FIELD: &str = "phone_result";

/// The result already stored for this phone's form, if any.
async fn done(app: &App, phone: Uuid, once: Uuid) -> Result<Option<(Uuid, String)>, CentralError> {
    Ok(sqlx::query_as("SELECT id, code FROM phone_results WHERE phone_id = $1 AND form_token = $2")
        .bind(phone)
        .bind(once)
        .fetch_optional(&app.pool)
        .await?)
}

/// The first result of a form whose token was claimed by a request running at the same time.
async fn already(app: &App, form: &Submitted<'_>) -> Result<Response, CentralError> {
    let t = form.lang.texts();
    match done(app, form.phone, form.once).await? {
        Some((id, code)) => Ok(see_other(app, &result_path(&code, id))),
        None => Ok(message(app, t, StatusCode::CONFLICT, t.title, t.stale_form)),
    }
}

fn see_other(app: &App, to: &str) -> Response {
    let mut r = respond(app, StatusCode::SEE_OTHER, &nonce(), String::new(), None);
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// How long a result page shows its colour after the check-in. Later it says it has expired: a
/// result reopened hours later, with a live clock, must not pass for a current one.
pub const RESULT_LIVE_MINUTES: i64 = 5;

/// The result page (post/redirect/get): only the phone that checked in sees it, and only for
/// [`RESULT_LIVE_MINUTES`]. It is not rate limited per address (it stores nothing, and phones
/// sharing an address must still see the result of a check-in already stored).
pub async fn result(
    State(app): State<App>,
    Path((code, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let chosen = asked_lang(query.as_deref());
    let lang = Lang::pick(chosen.map(Lang::key), &headers);
    keep_lang(result_in(&app, lang.texts(), &code, &id, &headers).await, chosen)
}

async fn result_in(app: &App, t: &Texts, code: &str, id: &str, headers: &HeaderMap) -> Response {
    let s = match served(app, t, code).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (Some(phone), Ok(id)) = (phone_from_cookie(app, headers), Uuid::parse_str(id)) else {
        return message(app, t, StatusCode::NOT_FOUND, t.title, t.result_gone);
    };
    let row: Result<Option<(chrono::DateTime<Utc>, serde_json::Value, bool)>, sqlx::Error> = sqlx::query_as(
        "SELECT r.at, r.shown, r.present FROM phone_results r WHERE r.id = $1 AND r.phone_id = $2 AND r.code = $3
           AND r.at > now() - interval '1 day'
           AND NOT EXISTS (SELECT 1 FROM phones p WHERE p.id = r.phone_id AND p.revoked_at IS NOT NULL)",
    )
    .bind(id)
    .bind(phone)
    .bind(&s.code)
    .fetch_optional(&app.pool)
    .await;
    let (at, shown, present) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return message(app, t, StatusCode::NOT_FOUND, t.title, t.result_gone),
        Err(e) => return server_error(app, t, e.into()),
    };
    let shown = match shown.get("sealed").and_then(|v| v.as_str()) {
        Some(sealed) => {
            app.keys.data.open(RESULT_FIELD, id.as_bytes(), sealed).ok().and_then(|t| serde_json::from_str(&t).ok())
        }
        // Stored by a server from before results were sealed (kept one day).
        None => serde_json::from_value::<Vec<Shown>>(shown).ok(),
    };
    let Some(shown) = shown else {
        return message(app, t, StatusCode::NOT_FOUND, t.title, t.result_gone);
    };
    let n = nonce();
    let ends = at + chrono::Duration::minutes(RESULT_LIVE_MINUTES);
    let expired = Utc::now() > ends;
    let at = at.with_timezone(&placecode_core::checkin::shanghai()).format("%Y-%m-%d %H:%M:%S").to_string();
    if expired {
        // A pre-declaration is no pass at a door: later it still says what to do, and keeps the
        // link for the rest of the crew.
        if s.kind == CodeKind::Checkpoint && shown.iter().any(|p| p.plate.is_some()) {
            let body = html::predeclared_later(t, &n, &s.venue, &at, &shown, &action_path(&s.code));
            return respond(app, StatusCode::OK, &n, body, None);
        }
        let body = html::expired(t, &n, &s.venue, &at, &action_path(&s.code));
        return respond(app, StatusCode::GONE, &n, body, None);
    }
    let venue = html::ResultVenue {
        name: &s.venue,
        kind: s.kind,
        supervision_phone: s.supervision_phone.as_deref(),
        back: &action_path(&s.code),
        present,
    };
    respond(
        app,
        StatusCode::OK,
        &n,
        html::result(t, &n, &venue, &at, (ends - Utc::now()).num_milliseconds().max(0), &shown),
        None,
    )
}

/// R9: the published checkpoint codes, so crews can declare before they arrive.
pub async fn checkpoints(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let chosen = asked_lang(query.as_deref());
    let t = Lang::pick(chosen.map(Lang::key), &headers).texts();
    keep_lang(checkpoints_in(&app, t, peer, &headers).await, chosen)
}

async fn checkpoints_in(app: &App, t: &Texts, peer: SocketAddr, headers: &HeaderMap) -> Response {
    if !app.ip_limiter.allow(&app.client(peer, headers)) {
        let mut r = message(app, t, StatusCode::TOO_MANY_REQUESTS, t.title, t.slow_down);
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        return r;
    }
    // One code per checkpoint (its first), named with its district and address: a desk cannot
    // fill the list with codes, and a look-alike name shows where it is.
    let rows: Result<Vec<(String, String, String, String)>, sqlx::Error> = sqlx::query_as(
        "SELECT DISTINCT ON (v.id) v.name, v.district, v.address, c.code FROM codes c JOIN venues v ON v.id = c.venue_id
         WHERE c.kind = 'checkpoint' AND c.revoked_at IS NULL AND v.status = 'approved'
         ORDER BY v.id, c.created_at, c.code",
    )
    .fetch_all(&app.pool)
    .await
    .map(|mut rows: Vec<(String, String, String, String)>| {
        rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        rows
    });
    match rows {
        Ok(rows) => {
            let rows: Vec<(String, String, String)> = rows
                .into_iter()
                .map(|(name, district, address, code)| {
                    let district = placecode_core::venue::District::parse(&district).map_or("", |d| d.label());
                    (name, format!("{district} {address}"), code)
                })
                .collect();
            let n = nonce();
            let page = html::checkpoints(t, &n, &rows, "");
            respond(app, StatusCode::OK, &n, page, None)
        }
        Err(e) => server_error(app, t, e.into()),
    }
}

/// The page for a refusal the server or the framework made (busy, too many at once, too slow, a
/// form larger than the page ever sends): a busy page tries again by itself after a few seconds
/// (排队中).
pub fn refusal(app: &App, lang: Lang, status: StatusCode) -> Response {
    let t = lang.texts();
    // A door never shows a server error for being busy: the excess is told to wait (429).
    let status = if status == StatusCode::SERVICE_UNAVAILABLE { StatusCode::TOO_MANY_REQUESTS } else { status };
    let (title, text) = match status {
        StatusCode::TOO_MANY_REQUESTS => (t.busy_title, t.busy),
        StatusCode::REQUEST_TIMEOUT => (t.title, t.timed_out),
        StatusCode::PAYLOAD_TOO_LARGE => (t.title, t.too_large),
        StatusCode::NOT_FOUND => (t.bad_code_title, t.bad_code_body),
        _ => (t.title, t.stale_form),
    };
    let mut res = message(app, t, status, title, text);
    if title == t.busy_title {
        res.headers_mut().insert("refresh", HeaderValue::from_static("5"));
        // What the form's script waits on before it sends the same form again: only this
        // answer (a limit reached or a rate exceeded is a page to read, not a queue).
        res.headers_mut().insert(BUSY_WAIT, HeaderValue::from_static("5"));
    }
    res
}

/// The header of a busy door's answer: the seconds to wait before sending the form again.
pub const BUSY_WAIT: &str = "x-placecode-wait";
/// Why the phone waits, percent-encoded (UTF-8), for the waiting form to say.
pub const BUSY_WHY: &str = "x-placecode-why";

/// Anything else a phone might open.
pub async fn not_found(State(app): State<App>, headers: HeaderMap) -> Response {
    let t = Lang::pick(None, &headers).texts();
    message(&app, t, StatusCode::NOT_FOUND, t.bad_code_title, t.bad_code_body)
}
