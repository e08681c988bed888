//! The page every printed QR opens (`/c/{code}`, R4, R5, R7, R11): the declaration on a phone's
//! first visit, four digits after that, and the result in full-screen colour.

pub mod html;
pub mod limits;
pub mod text;

pub use limits::{flags, revoke};

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hmac::{Hmac, Mac};
use placecode_core::checkin::{DeclarationInput, TruckDeclarationInput};
use placecode_core::decision::{self, Colour, HealthAnswers, RiskEntry};
use placecode_core::sync::ChangeKind;
use placecode_core::venue::CodeKind;
use sha2::Sha256;
use uuid::Uuid;

use crate::error::CentralError;
use crate::people::PersonRow;
use crate::App;
use html::{Form, Shown};
use text as t;

/// The phone's cookie. Over https it is a `__Host-` cookie: Secure, for this host and path `/`
/// only, so no other host under the same domain can plant one (a phone fixed to an attacker's
/// cookie would hand them whoever registers on it).
const COOKIE: &str = "pc_phone";
const HOST_COOKIE: &str = "__Host-pc_phone";

fn cookie_name(app: &App) -> &'static str {
    if app.secure_cookies {
        HOST_COOKIE
    } else {
        COOKIE
    }
}
/// A phone is remembered for 400 days (the longest browsers keep a cookie).
const COOKIE_MAX_AGE: u32 = 400 * 24 * 3600;
/// Form bodies are small; anything bigger is not a person typing.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

fn nonce() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::getrandom(&mut b);
    hex::encode(b)
}

fn sign(key: &[u8; 32], what: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(what.as_bytes());
    hex::encode(mac.finalize().into_bytes().get(..16).unwrap_or_default())
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The phone id from its signed cookie, if the signature holds.
fn phone_from_cookie(app: &App, headers: &HeaderMap) -> Option<Uuid> {
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

fn csrf(app: &App, phone: Uuid) -> String {
    sign(&app.keys.cookie, &format!("csrf|{phone}"))
}

/// An HTML response with the security headers: a CSP allowing only this response's inline
/// style and script, no framing, no referrer, never cached (it may show personal data).
fn respond(app: &App, status: StatusCode, nonce: &str, body: String, phone: Option<Uuid>) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
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

fn message(app: &App, status: StatusCode, title: &str, text: &str) -> Response {
    let n = nonce();
    respond(app, status, &n, html::message(&n, title, text), None)
}

/// A venue code that phones may use: on the server, signed by its desk, not revoked, approved.
struct Served {
    venue_id: Uuid,
    venue: String,
    kind: CodeKind,
    code: String,
    supervision_phone: Option<String>,
}

async fn served(app: &App, raw: &str) -> Result<Served, Response> {
    let parsed = placecode_core::code::parse(raw)
        .map_err(|_| message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::BAD_CODE_BODY))?;
    let row: Option<(String, bool, Uuid, String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.kind, c.revoked_at IS NOT NULL, v.id, v.name, v.status, v.supervision_phone
         FROM codes c JOIN venues v ON v.id = c.venue_id WHERE c.code = $1",
    )
    .bind(&parsed.code)
    .fetch_optional(&app.pool)
    .await
    .map_err(|e| server_error(app, e.into()))?;
    let Some((kind, revoked, venue_id, venue, status, supervision_phone)) = row else {
        return Err(message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::UNKNOWN_CODE_BODY));
    };
    if revoked {
        return Err(message(app, StatusCode::GONE, t::REVOKED_TITLE, t::REVOKED_BODY));
    }
    if status != "approved" {
        return Err(message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::REJECTED_VENUE_BODY));
    }
    let kind = CodeKind::parse(&kind).unwrap_or(CodeKind::General);
    Ok(Served { venue_id, venue, kind, code: parsed.code, supervision_phone })
}

fn server_error(app: &App, e: CentralError) -> Response {
    tracing::error!(error = %e, "phone page");
    message(app, StatusCode::INTERNAL_SERVER_ERROR, t::TITLE, t::SERVER_ERROR)
}

fn limited(app: &App, who: &str, code: &str) -> Option<Response> {
    if app.ip_limiter.allow(who) && app.code_limiter.allow(code) {
        None
    } else {
        let mut r = message(app, StatusCode::TOO_MANY_REQUESTS, t::TITLE, t::SLOW_DOWN);
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        Some(r)
    }
}

/// Rate limits, then the code: the page to show instead when either says no.
///
/// A malformed code is refused before any bucket is touched; a code's bucket is keyed by the
/// code as parsed (case, dashes and look-alike letters of one code share it), and only a request
/// its client's own bucket let through takes from it, so one client cannot empty a venue's.
async fn admit(app: &App, peer: SocketAddr, headers: &HeaderMap, code: &str) -> Result<Served, Response> {
    let parsed = placecode_core::code::parse(code)
        .map_err(|_| message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::BAD_CODE_BODY))?;
    let who = app.client(peer, headers);
    if let Some(r) = limited(app, &who, &parsed.code) {
        return Err(r);
    }
    served(app, &parsed.code).await
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
#[derive(sqlx::FromRow)]
pub(crate) struct Known {
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
    colour: Option<String>,
    /// Who the person is to the phone's owner: 本人 for the owner.
    relation: String,
    /// The link is the person's own (see `declare`).
    verified: bool,
    /// Opens the sealed name and number.
    id_hash: Vec<u8>,
}

impl Known {
    /// How lists name the person: masked name, birth year and relation, never the ID number.
    fn label(&self) -> String {
        format!("{}（{}）", placecode_core::mask::name(&self.shown), who(&self.number, &self.relation))
    }
}

/// Birth year (from a resident ID) and relation: 1942年生，父母.
fn who(number: &str, relation: &str) -> String {
    match placecode_core::identity::birth_year_of(placecode_core::identity::DocumentKind::ResidentId, number) {
        Some(y) => format!("{y}年生，{relation}"),
        None => relation.to_owned(),
    }
}

async fn known(app: &App, phone: Uuid) -> Result<Vec<Known>, CentralError> {
    let rows = sqlx::query_as::<_, Known>(
        "SELECT p.id, p.name, p.last4, p.document_number AS number, r.colour, pp.relation, pp.verified, p.id_hash,
             d.details AS typed
         FROM phone_people pp JOIN people p ON p.id = pp.person_id LEFT JOIN risk r ON r.id_hash = p.id_hash
         LEFT JOIN person_details d ON NOT pp.verified AND d.person_id = p.id
             AND d.source = 'unverified_phone:' || pp.phone_id::text
         WHERE pp.phone_id = $1 ORDER BY pp.added_at, p.id",
    )
    .bind(phone)
    .fetch_all(&app.pool)
    .await?;
    rows.into_iter()
        .map(|mut k| {
            crate::people::open_fields(&app.keys.data, &k.id_hash, &mut k.name, &mut k.number, &mut None)?;
            k.shown = match &k.typed {
                Some(sealed) => crate::people::open_details(&app.keys.data, &k.id_hash, sealed)?.name,
                None => k.name.clone(),
            };
            Ok(k)
        })
        .collect()
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
    let s = match admit(&app, peer, &headers, &code).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Read leniently: the first of each parameter, anything else ignored (never the framework's
    // English refusal of a repeated or unknown parameter).
    let q = ShowQuery::parse(query.as_deref().unwrap_or(""));
    let cookie = phone_from_cookie(&app, &headers);
    let people = match cookie.filter(|_| s.kind == CodeKind::General) {
        Some(p) => match known(&app, p).await {
            Ok(people) => people,
            Err(e) => return server_error(&app, e),
        },
        None => Vec::new(),
    };
    // A phone the administrator revoked is a new phone from now on. Revoking takes its people
    // away, so only a phone that holds no one needs asking.
    let cookie = match cookie {
        Some(p) if people.is_empty() => match limits::revoked(&app.pool, p).await {
            Ok(false) => Some(p),
            Ok(true) => None,
            Err(e) => return server_error(&app, e),
        },
        other => other,
    };
    let (phone, fresh) = match cookie {
        Some(p) => (p, false),
        None => (Uuid::now_v7(), true),
    };
    let destinations = match destinations(&app, &s).await {
        Ok(d) => d,
        Err(e) => return server_error(&app, e),
    };
    let shared = match q.same.as_deref().filter(|_| s.kind == CodeKind::Checkpoint) {
        Some(token) => match shared(&app, &s, token).await {
            Ok(v) => v,
            Err(e) => return server_error(&app, e),
        },
        None => Vec::new(),
    };
    let n = nonce();
    let view = View {
        csrf: &csrf(&app, phone),
        once: &Uuid::now_v7().to_string(),
        new: q.new.is_some(),
        destinations: destinations.as_deref(),
        shared: !shared.is_empty(),
    };
    let form = Form { values: &shared, errors: &[] };
    let body = page_for(&n, &s, &view, &people, &form, None, "");
    respond(&app, StatusCode::OK, &n, body, fresh.then_some(phone))
}

/// What every form on a page carries: the phone's CSRF token, the form's one-time token, and
/// whether the phone asked to register someone else.
struct View<'a> {
    csrf: &'a str,
    once: &'a str,
    new: bool,
    /// A checkpoint's form asks the destination among these (id, name).
    destinations: Option<&'a [(String, String)]>,
    /// The truck's details came from a 同车人员申报 link.
    shared: bool,
}

/// At a checkpoint, the registered destination venues a crew chooses from; elsewhere none.
async fn destinations(app: &App, s: &Served) -> Result<Option<Vec<(String, String)>>, CentralError> {
    if s.kind != CodeKind::Checkpoint {
        return Ok(None);
    }
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, name FROM venues WHERE kind = 'destination' AND status = 'approved' ORDER BY name, id LIMIT 500",
    )
    .fetch_all(&app.pool)
    .await?;
    Ok(Some(rows.into_iter().map(|(id, name)| (id.to_string(), name)).collect()))
}

/// The destination a crew chose: a registered destination venue (id, name), `None` for
/// 不在列表中, or the form's reason.
async fn chosen_destination(
    app: &App,
    raw: &str,
) -> Result<Result<Option<(Uuid, String)>, &'static str>, CentralError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Err(t::DESTINATION_MISSING));
    }
    if raw == html::OTHER_DESTINATION {
        return Ok(Ok(None));
    }
    let Ok(id) = Uuid::parse_str(raw) else {
        return Ok(Err(t::DESTINATION_BAD));
    };
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM venues WHERE id = $1 AND kind = 'destination' AND status = 'approved'")
            .bind(id)
            .fetch_optional(&app.pool)
            .await?;
    Ok(name.map(|n| Some((id, n))).ok_or(t::DESTINATION_BAD))
}

/// The truck's details a 同车人员申报 link fills in: only at the checkpoint it was made for,
/// for one day; an unknown or old token fills in nothing.
async fn shared(app: &App, s: &Served, token: &str) -> Result<Vec<(String, String)>, CentralError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Vec::new());
    }
    let body: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM truck_shares WHERE token = $1 AND venue_id = $2 AND at > now() - interval '1 day'",
    )
    .bind(token)
    .bind(s.venue_id)
    .fetch_optional(&app.pool)
    .await?;
    let Some(body) = body else { return Ok(Vec::new()) };
    let body = app.keys.data.open_body("truck_share", body)?;
    Ok(SHARED_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()).map(|v| ((*k).to_owned(), v.to_owned())))
        .collect())
}

/// What a 同车人员申报 link fills in: the truck's, never a person's.
const SHARED_FIELDS: [&str; 6] =
    ["plate", "origin", "entry_point", "destination", "expected_departure", "expected_return"];

/// Makes the 同车人员申报 link for a crew member's pre-declaration: the truck's details as the
/// rules normalized them, and the destination chosen.
async fn share(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    app: &App,
    s: &Served,
    crew: &placecode_core::checkin::TruckDeclarationInput,
    destination: Option<Uuid>,
) -> Result<String, CentralError> {
    let destination = destination.map_or_else(|| html::OTHER_DESTINATION.to_owned(), |d| d.to_string());
    let body = serde_json::json!({
        "plate": crew.plate, "origin": crew.origin, "entry_point": crew.entry_point,
        "destination": destination, "expected_departure": crew.expected_departure,
        "expected_return": crew.expected_return,
    });
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).map_err(|e| CentralError::Internal(e.to_string()))?;
    let token = hex::encode(raw);
    sqlx::query("DELETE FROM truck_shares WHERE at < now() - interval '1 day'").execute(&mut **tx).await?;
    sqlx::query("INSERT INTO truck_shares (token, venue_id, body) VALUES ($1, $2, $3)")
        .bind(&token)
        .bind(s.venue_id)
        .bind(app.keys.data.seal_body("truck_share", &body)?)
        .execute(&mut **tx)
        .await?;
    Ok(format!("{}{}?same={token}", app.public_url, action_path(&s.code)))
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
    let hidden = html::Hidden { action: &action, csrf: view.csrf, once: view.once };
    match s.kind {
        CodeKind::General if !people.is_empty() && !view.new => {
            // Ticked by their place on this phone (1, 2, …), never by a database id.
            let list: Vec<(usize, String)> = people.iter().enumerate().map(|(i, p)| (i + 1, p.label())).collect();
            html::returning(n, &s.venue, &hidden, &list, last4_error, last4)
        }
        CodeKind::General => html::declaration(n, &s.venue, &hidden, form, !people.is_empty()),
        k => html::truck_declaration(n, &s.venue, k.label(), &hidden, form, view.destinations, view.shared),
    }
}

pub async fn submit(
    State(app): State<App>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let s = match admit(&app, peer, &headers, &code).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str());
    // CSRF: the form's token must be this phone's; a stale or foreign form starts over.
    let Some(phone) = phone_from_cookie(&app, &headers).filter(|p| constant_eq(&csrf(&app, *p), get("csrf"))) else {
        return message(&app, StatusCode::FORBIDDEN, t::TITLE, t::STALE_FORM);
    };
    let Ok(once) = Uuid::parse_str(get("once")) else {
        return message(&app, StatusCode::FORBIDDEN, t::TITLE, t::STALE_FORM);
    };
    // The same form sent again (a double tap, a reload of the POST): the first result, no new visit.
    match done(&app, phone, once).await {
        Ok(Some((id, code))) => return see_other(&app, &result_path(&code, id)),
        Ok(None) => {}
        Err(e) => return server_error(&app, e),
    }
    let client = app.client(peer, &headers);
    let form = Submitted { phone, once, fields: &fields, new: get("new") == "1", client: &client };
    let result = match get("action") {
        "last4" if s.kind == CodeKind::General => returning(&app, &s, &form).await,
        _ => declare(&app, &s, &form).await,
    };
    result.unwrap_or_else(|e| server_error(&app, e))
}

/// A submitted form: whose phone, its one-time token and its fields.
struct Submitted<'a> {
    phone: Uuid,
    once: Uuid,
    fields: &'a [(String, String)],
    new: bool,
    /// The client address, as the rate limits count it.
    client: &'a str,
}

impl Submitted<'_> {
    fn view<'v>(&'v self, csrf: &'v str, once: &'v str) -> View<'v> {
        View { csrf, once, new: self.new, destinations: None, shared: false }
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

/// Claims the form's token inside the check-in's transaction. `None`: another request with the
/// same token got there first (it waited for that one's commit): show its result instead.
async fn claim(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    s: &Served,
    form: &Submitted<'_>,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Uuid>, CentralError> {
    let id = Uuid::now_v7();
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO phone_results (id, phone_id, form_token, code, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (phone_id, form_token) DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(form.phone)
    .bind(form.once)
    .bind(&s.code)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(claimed)
}

/// Stores what the result page shows, commits, and sends the phone there (post/redirect/get).
async fn finish(
    app: &App,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    s: &Served,
    result: Uuid,
    shown: &[Shown],
) -> Result<Response, CentralError> {
    // What the page shows (masked names, a colour and why: health data) is sealed for the day
    // it is kept.
    let text = serde_json::to_string(shown).map_err(|e| CentralError::Internal(e.to_string()))?;
    let sealed = app.keys.data.seal(RESULT_FIELD, result.as_bytes(), &text)?;
    sqlx::query("UPDATE phone_results SET shown = $2 WHERE id = $1")
        .bind(result)
        .bind(serde_json::json!({ "sealed": sealed }))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(see_other(app, &result_path(&s.code, result)))
}

/// The first result of a form whose token was claimed by a request running at the same time.
async fn already(
    app: &App,
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    form: &Submitted<'_>,
) -> Result<Response, CentralError> {
    tx.rollback().await?;
    match done(app, form.phone, form.once).await? {
        Some((id, code)) => Ok(see_other(app, &result_path(&code, id))),
        None => Ok(message(app, StatusCode::CONFLICT, t::TITLE, t::STALE_FORM)),
    }
}

fn see_other(app: &App, to: &str) -> Response {
    let mut r = respond(app, StatusCode::SEE_OTHER, &nonce(), String::new(), None);
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A first visit (or another person on this phone): the declaration of the code's kind.
async fn declare(app: &App, s: &Served, form: &Submitted<'_>) -> Result<Response, CentralError> {
    let (phone, fields) = (form.phone, form.fields);
    let now = Utc::now();
    let today = placecode_core::sync::shanghai_date(now);
    let get = |k: &str| placecode_core::checkin::form_value(fields, k);
    let people = if s.kind == CodeKind::General { known(app, phone).await? } else { Vec::new() };
    let checked = if s.kind == CodeKind::General {
        let input = DeclarationInput::from_form(fields);
        let mut checked = placecode_core::checkin::declaration(&input, today, "");
        // Someone else on a phone that already holds people: who they are to its owner.
        let relation = if people.is_empty() { Some(t::SELF.to_owned()) } else { relation(&get("relation")) };
        if relation.is_none() {
            checked = also_invalid(checked, "relation", t::RELATION_MISSING);
        }
        checked.map(|d| {
            let row = PersonRow {
                document_kind: "resident_id",
                last4: d.id.last4().to_owned(),
                document_number: d.id.number,
                name: d.name,
                address: d.address,
                phone: d.phone,
                seen: now,
            };
            (row, d.answers, None, relation.unwrap_or_default())
        })
    } else {
        let kind = get("document_kind");
        let input = TruckDeclarationInput::from_form(fields);
        let mut checked = placecode_core::checkin::truck_declaration(&input, today, "");
        if input.document_kind.is_none() && !kind.is_empty() {
            // A tampered form: never taken for a resident ID.
            checked = also_invalid(checked, "document_kind", t::DOCUMENT_KIND_BAD);
        }
        // Before the truck arrives: where it is going (the checkpoint's staff confirm it).
        let destination = if s.kind == CodeKind::Checkpoint {
            match chosen_destination(app, &get("destination")).await? {
                Ok(d) => d,
                Err(m) => {
                    checked = also_invalid(checked, "destination", m);
                    None
                }
            }
        } else {
            None
        };
        checked.map(|d| {
            // Stored and sent on as the rules normalized it, never as typed.
            let crew = d.normalized();
            let last4 = placecode_core::identity::last_four_of(&d.document_number);
            let row = PersonRow {
                document_kind: d.document_kind.key(),
                document_number: d.document_number,
                last4,
                name: d.name,
                address: String::new(),
                phone: Some(d.phone),
                seen: now,
            };
            (row, d.answers, Some((d.plate, crew, destination)), t::SELF.to_owned())
        })
    };
    let (row, answers, truck, relation) = match checked {
        Ok(c) => c,
        Err(placecode_core::Error::Invalid(errors)) => {
            // A second tap of a form whose first tap was stored meanwhile: what changed (this
            // phone now holds the person, so 关系 is asked) is no reason to refuse; show the first.
            if let Some((id, code)) = done(app, phone, form.once).await? {
                return Ok(see_other(app, &result_path(&code, id)));
            }
            let n = nonce();
            let shown = Form { values: fields, errors: &errors };
            let token = csrf(app, phone);
            let once = form.once.to_string();
            let destinations = destinations(app, s).await?;
            let view = View { destinations: destinations.as_deref(), ..form.view(&token, &once) };
            let page = page_for(&n, s, &view, &people, &shown, None, "");
            return Ok(respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None));
        }
        Err(e) => return Err(CentralError::Internal(e.to_string())),
    };
    // A number this phone does not hold yet is counted against the phone's and the address's
    // limits (a number already on file, from a phone not linked to it, counts harder).
    let (on_file, held): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM people WHERE id_hash = $1),
                EXISTS (SELECT 1 FROM phone_people pp JOIN people p ON p.id = pp.person_id
                        WHERE p.id_hash = $1 AND pp.phone_id = $2)",
    )
    .bind(&app.keys.person(&row.document_number).lookup)
    .bind(phone)
    .fetch_one(&app.pool)
    .await?;
    if !held {
        if let Some(refusal) = limits::admit_new_id(app, phone, form.client, on_file, today).await? {
            let mut r = message(app, StatusCode::TOO_MANY_REQUESTS, t::TITLE, refusal);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
            return Ok(r);
        }
    }
    let mut tx = app.pool.begin().await?;
    let Some(result) = claim(&mut tx, s, form, now).await? else {
        return already(app, tx, form).await;
    };
    // A phone the administrator revoked declares no one (its four digits find no one either:
    // revoking took its people away).
    let live: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO phones (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()
         WHERE phones.revoked_at IS NULL RETURNING id",
    )
    .bind(phone)
    .fetch_optional(&mut *tx)
    .await?;
    if live.is_none() {
        tx.rollback().await?;
        return Ok(message(app, StatusCode::FORBIDDEN, t::TITLE, t::STALE_FORM));
    }
    let number = row.document_number.clone();
    let key = app.keys.person(&number);
    let hash = key.lookup.clone();
    // Is this the person's own phone? Yes when the centre did not know them (this phone declared
    // them first) or this phone's link to them is verified; no when someone typed an ID number
    // already on file. Only the person's own phone updates their details and raises a colour
    // that follows them everywhere.
    let verified: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM people WHERE id_hash = $1)
             OR EXISTS (SELECT 1 FROM phone_people pp JOIN people p ON p.id = pp.person_id
                        WHERE p.id_hash = $1 AND pp.phone_id = $2 AND pp.verified)",
    )
    .bind(&hash)
    .bind(phone)
    .fetch_one(&mut *tx)
    .await?;
    let source = if verified { crate::people::Source::OwnPhone(phone) } else { crate::people::Source::Phone(phone) };
    let typed_name = row.name.clone();
    let ids = crate::people::upsert(&mut tx, &app.keys, vec![row], source).await?;
    let person = ids.get(&hash).copied().ok_or_else(|| CentralError::Internal("person not upserted".into()))?;
    // The name on file (a phone never renames anyone): shown, and sent to the venue's desks.
    let sealed: String =
        sqlx::query_scalar("SELECT name FROM people WHERE id = $1").bind(person).fetch_one(&mut *tx).await?;
    let name = app.keys.data.open("name", &hash, &sealed)?;
    sqlx::query(
        "INSERT INTO phone_people (phone_id, person_id, relation, verified) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(phone)
    .bind(person)
    .bind(&relation)
    .bind(verified)
    .execute(&mut *tx)
    .await?;
    let risk = crate::risk::listed(&mut tx, &key).await?.map(|c| c.key().to_owned());
    let kept = crate::raised::for_hash(&mut tx, &key, Some(phone)).await?;
    let plate = truck.as_ref().map(|(plate, ..)| plate.clone());
    // At a checkpoint a crew member's declaration is a pre-declaration: the checkpoint's desks
    // pull it, staff find the crew by plate and confirm it, and only that entry is a visit.
    let mut share_url = None;
    let predeclared = s.kind == CodeKind::Checkpoint && truck.is_some();
    if let (true, Some((plate, input, destination))) = (predeclared, &truck) {
        let (destination_id, destination_name) = match destination {
            Some((id, name)) => (Some(*id), name.as_str()),
            None => (None, ""),
        };
        let body = serde_json::json!({
            "venue_id": s.venue_id, "plate": plate, "crew": [input], "at": now, "code": s.code,
            "destination_id": destination_id, "destination_name": destination_name,
        });
        sqlx::query("INSERT INTO truck_records (id, kind, desk_id, venue_id, plate, body, at) VALUES ($1, 'pre_declaration', NULL, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(s.venue_id)
            .bind(plate)
            .bind(app.keys.data.seal_body("truck_record", &body)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let change = placecode_core::sync::PreDeclarationChange {
            id: Uuid::now_v7().to_string(),
            venue_id: s.venue_id.to_string(),
            plate: plate.clone(),
            crew: vec![input.clone()],
            at: now,
            destination_id: destination_id.map(|d| d.to_string()),
        };
        let change = serde_json::to_value(&change).map_err(|e| crate::error::CentralError::Internal(e.to_string()))?;
        let change = app.keys.data.seal_body(ChangeKind::PreDeclaration.key(), &change)?;
        crate::push::change(&mut tx, ChangeKind::PreDeclaration, Some(s.venue_id), None, &change).await?;
        share_url = Some(share(&mut tx, app, s, input, destination.as_ref().map(|(id, _)| *id)).await?);
    }
    let who = Some(who(&number, &relation));
    // The person's own phone shows the name on file; another phone the name it typed.
    let shown = if verified { name.clone() } else { typed_name };
    let person = Person { id: person, key, name, shown, number, risk, kept, answers, plate, who, verified };
    let mut shown =
        check_in(&mut tx, &app.keys, s, phone, &[person], (!predeclared).then_some("declaration"), now).await?;
    if let Some(first) = shown.first_mut() {
        first.share = share_url;
        if predeclared {
            first.destination = Some(match &truck {
                Some((_, _, Some((_, name)))) => name.clone(),
                _ => t::DESTINATION_OTHER.to_owned(),
            });
        }
    }
    finish(app, tx, s, result, &shown).await
}

/// A check that passed or failed, with one more field error the page itself found.
fn also_invalid<T>(checked: placecode_core::Result<T>, field: &str, message: &str) -> placecode_core::Result<T> {
    let e = placecode_core::FieldError { field: field.into(), message: message.into() };
    match checked {
        Err(placecode_core::Error::Invalid(mut errors)) => {
            errors.push(e);
            Err(placecode_core::Error::Invalid(errors))
        }
        _ => Err(placecode_core::Error::Invalid(vec![e])),
    }
}

/// 与本人关系 for someone registered on another person's phone: one of the listed choices.
fn relation(raw: &str) -> Option<String> {
    t::RELATIONS.iter().find(|r| **r == raw.trim()).map(|r| (*r).to_owned())
}

/// A returning phone: four digits pick one of its people and ticked people come along; ticking
/// is enough when the phone's owner is among those ticked.
async fn returning(app: &App, s: &Served, form: &Submitted<'_>) -> Result<Response, CentralError> {
    let (phone, fields) = (form.phone, form.fields);
    let now = Utc::now();
    let last4: String = fields
        .iter()
        .find(|(k, _)| k == "last4")
        .map_or(String::new(), |(_, v)| placecode_core::identity::last4(v).unwrap_or_else(|_| v.trim().to_owned()));
    let people = known(app, phone).await?;
    let again = |error: &str| {
        let n = nonce();
        let (token, once) = (csrf(app, phone), form.once.to_string());
        let page = page_for(&n, s, &form.view(&token, &once), &people, &Form::default(), Some(error), &last4);
        respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None)
    };
    let ticked: Vec<usize> = fields.iter().filter(|(k, _)| k == "with").filter_map(|(_, v)| v.parse().ok()).collect();
    let ticked: Vec<i64> =
        people.iter().enumerate().filter(|(i, _)| ticked.contains(&(i + 1))).map(|(_, p)| p.id).collect();
    let main = if last4.is_empty() && !ticked.is_empty() {
        let owner = people.iter().find(|p| p.relation == t::SELF).map(|p| p.id);
        match owner.filter(|o| ticked.contains(o)) {
            Some(o) => o,
            None => return Ok(again(t::LAST4_NEEDED)),
        }
    } else {
        if placecode_core::identity::last4(&last4).is_err() {
            return Ok(again(t::LAST4_BAD));
        }
        // Two people on one phone may share the last four digits (a family): then the one
        // ticked is meant, and with none ticked the phone asks instead of picking one.
        let matching: Vec<&Known> = people.iter().filter(|p| p.last4 == last4).collect();
        match matching.as_slice() {
            [] => return Ok(again(t::LAST4_UNKNOWN)),
            [one] => one.id,
            several => match several.iter().find(|p| ticked.contains(&p.id)) {
                Some(p) => p.id,
                None => return Ok(again(t::LAST4_SHARED)),
            },
        }
    };
    let mut tx = app.pool.begin().await?;
    let mut chosen = Vec::new();
    for p in people.iter().filter(|p| p.id == main || ticked.contains(&p.id)) {
        let key = app.keys.person(&p.number);
        let kept = crate::raised::for_hash(&mut tx, &key, Some(phone)).await?;
        chosen.push(Person {
            id: p.id,
            key,
            name: p.name.clone(),
            shown: p.shown.clone(),
            number: p.number.clone(),
            risk: p.colour.clone(),
            kept,
            answers: HealthAnswers::default(),
            plate: None,
            who: Some(who(&p.number, &p.relation)),
            verified: p.verified,
        });
    }
    let Some(result) = claim(&mut tx, s, form, now).await? else {
        return already(app, tx, form).await;
    };
    let shown = check_in(&mut tx, &app.keys, s, phone, &chosen, Some("last4"), now).await?;
    finish(app, tx, s, result, &shown).await
}

/// One person being checked in from a phone.
struct Person {
    id: i64,
    /// The keyed hashes of the document number.
    key: crate::config::PersonKey,
    /// The name on file (what the venue's desks are sent).
    name: String,
    /// The name this phone shows (see [`Known::shown`]).
    shown: String,
    number: String,
    /// The risk list's colour for them, if listed.
    risk: Option<String>,
    /// A colour kept for them from an earlier check-in (R7).
    kept: Option<decision::Raised>,
    answers: HealthAnswers,
    /// A truck crew member's plate.
    plate: Option<String>,
    /// Birth year and relation on this phone.
    who: Option<String>,
    /// This phone is the person's own (see `declare`): a colour it raises follows the person.
    verified: bool,
}

/// Decides each person's colour with the core's rule and, for a check-in (`way_in`), writes the
/// visits and the changes that the venue's desks pull. A pre-declaration (`None`) writes none. The phone is shown the colour and the reasons that come from the
/// person's own answers, never the risk list's reason.
async fn check_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    all_keys: &crate::Keys,
    s: &Served,
    phone: Uuid,
    people: &[Person],
    way_in: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<Shown>, CentralError> {
    let keys = &all_keys.data;
    let mut shown = Vec::with_capacity(people.len());
    let (mut ids, mut persons, mut colours, mut healths, mut reasons, mut bodies, mut verified) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut raises, mut local) = (Vec::new(), Vec::new());
    for p in people {
        // The centre's own list names the person exactly.
        let entry = p.risk.as_deref().and_then(Colour::parse).map(|colour| RiskEntry {
            colour,
            reason: String::new(),
            confirmed: true,
        });
        // The same rule as the desk's door: fresh causes, then a colour kept from before.
        if let Some(r) = decision::raise(entry.as_ref(), p.kept.as_ref(), &p.answers, now) {
            if p.verified {
                raises.push((p.key.clone(), r));
            } else {
                local.push((p.key.lookup.clone(), r));
            }
        }
        let d = decision::decide_at(entry.as_ref(), p.kept.as_ref(), &p.answers, now);
        let id = Uuid::now_v7();
        ids.push(id);
        persons.push(p.id);
        // Declared from a phone that is not the person's own: kept apart in tracing.
        verified.push(p.verified);
        colours.push(d.colour.key());
        healths.push(d.health_code.key());
        reasons.push(keys.seal_reasons(&id, &d.reasons)?);
        // Sealed at rest like the person's record; opened when a desk pulls it.
        bodies.push(keys.seal_body(
            ChangeKind::PhoneVisit.key(),
            &serde_json::json!({
                "id": id, "venue_id": s.venue_id, "code": s.code, "way_in": way_in, "at": now,
                "colour": d.colour, "health_code": d.health_code, "reasons": d.reasons,
                "person": {"name": p.name, "document_number": p.number},
            }),
        )?);
        shown.push(Shown {
            colour: d.colour,
            name_masked: placecode_core::mask::name(&p.shown),
            id_masked: placecode_core::mask::id_number(&p.number),
            // The person's own answers and a kept colour's end; never the risk list's reason.
            reasons: decision::decide_at(None, p.kept.as_ref(), &p.answers, now).reasons,
            plate: p.plate.clone(),
            who: p.who.clone(),
            share: None,
            destination: None,
        });
    }
    // A pre-declaration is not a visit: the checkpoint's confirmation is.
    if let Some(way_in) = way_in {
        sqlx::query(
            "WITH v AS (
            INSERT INTO visits (id, at, person_id, venue_id, code, source, way_in, colour, health_code, sealed_reasons,
                verified, phone_id)
            SELECT u.id, $1, u.person, $2, $3, 'phone', $4, u.colour, u.health, u.reasons, u.verified,
                $13
            FROM UNNEST($5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::text[], $11::bool[])
                AS u(id, person, colour, health, reasons, verified)
            RETURNING 1)
         INSERT INTO changes (kind, venue_id, body) SELECT $12, $2, b FROM UNNEST($10::jsonb[]) AS b",
        )
        .bind(now)
        .bind(s.venue_id)
        .bind(&s.code)
        .bind(way_in)
        .bind(&ids)
        .bind(&persons)
        .bind(&colours)
        .bind(&healths)
        .bind(&reasons)
        .bind(&bodies)
        .bind(&verified)
        .bind(ChangeKind::PhoneVisit.key())
        .bind(phone)
        .execute(&mut **tx)
        .await?;
    }
    crate::raised::keep(tx, all_keys, &raises).await?;
    for (hash, r) in &local {
        crate::raised::keep_on_phone(tx, phone, hash, r).await?;
    }
    Ok(shown)
}

/// How long a result page shows its colour after the check-in. Later it says it has expired: a
/// result reopened hours later, with a live clock, must not pass for a current one.
pub const RESULT_LIVE_MINUTES: i64 = 5;

/// The result page (post/redirect/get): only the phone that checked in sees it, and only for
/// [`RESULT_LIVE_MINUTES`]. It is not rate limited per address (it stores nothing, and phones
/// sharing an address must still see the result of a check-in already stored).
pub async fn result(State(app): State<App>, Path((code, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let s = match served(&app, &code).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (Some(phone), Ok(id)) = (phone_from_cookie(&app, &headers), Uuid::parse_str(&id)) else {
        return message(&app, StatusCode::NOT_FOUND, t::TITLE, t::RESULT_GONE);
    };
    let row: Result<Option<(chrono::DateTime<Utc>, serde_json::Value)>, sqlx::Error> = sqlx::query_as(
        "SELECT r.at, r.shown FROM phone_results r WHERE r.id = $1 AND r.phone_id = $2 AND r.code = $3
           AND r.at > now() - interval '1 day'
           AND NOT EXISTS (SELECT 1 FROM phones p WHERE p.id = r.phone_id AND p.revoked_at IS NOT NULL)",
    )
    .bind(id)
    .bind(phone)
    .bind(&s.code)
    .fetch_optional(&app.pool)
    .await;
    let (at, shown) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return message(&app, StatusCode::NOT_FOUND, t::TITLE, t::RESULT_GONE),
        Err(e) => return server_error(&app, e.into()),
    };
    let shown = match shown.get("sealed").and_then(|v| v.as_str()) {
        Some(sealed) => {
            app.keys.data.open(RESULT_FIELD, id.as_bytes(), sealed).ok().and_then(|t| serde_json::from_str(&t).ok())
        }
        // Stored by a server from before results were sealed (kept one day).
        None => serde_json::from_value::<Vec<Shown>>(shown).ok(),
    };
    let Some(shown) = shown else {
        return message(&app, StatusCode::NOT_FOUND, t::TITLE, t::RESULT_GONE);
    };
    let n = nonce();
    let ends = at + chrono::Duration::minutes(RESULT_LIVE_MINUTES);
    let expired = Utc::now() > ends;
    let at = at.with_timezone(&placecode_core::checkin::shanghai()).format("%Y-%m-%d %H:%M:%S").to_string();
    if expired {
        // A pre-declaration is no pass at a door: later it still says what to do, and keeps the
        // link for the rest of the crew.
        if s.kind == CodeKind::Checkpoint && shown.iter().any(|p| p.plate.is_some()) {
            let body = html::predeclared_later(&n, &s.venue, &at, &shown, &action_path(&s.code));
            return respond(&app, StatusCode::OK, &n, body, None);
        }
        let body = html::expired(&n, &s.venue, &at, &action_path(&s.code));
        return respond(&app, StatusCode::GONE, &n, body, None);
    }
    let venue = html::ResultVenue {
        name: &s.venue,
        kind: s.kind,
        supervision_phone: s.supervision_phone.as_deref(),
        back: &action_path(&s.code),
    };
    respond(
        &app,
        StatusCode::OK,
        &n,
        html::result(&n, &venue, &at, (ends - Utc::now()).num_milliseconds().max(0), &shown),
        None,
    )
}

/// R9: the published checkpoint codes, so crews can declare before they arrive.
pub async fn checkpoints(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !app.ip_limiter.allow(&app.client(peer, &headers)) {
        let mut r = message(&app, StatusCode::TOO_MANY_REQUESTS, t::TITLE, t::SLOW_DOWN);
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
            let page = html::checkpoints(&n, &rows, "");
            respond(&app, StatusCode::OK, &n, page, None)
        }
        Err(e) => server_error(&app, e.into()),
    }
}

/// The page for a refusal the server or the framework made (busy, too many at once, too slow, a
/// form larger than the page ever sends): a busy page tries again by itself after a few seconds
/// (排队中).
pub fn refusal(app: &App, status: StatusCode) -> Response {
    let (title, text) = match status {
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => (t::BUSY_TITLE, t::BUSY),
        StatusCode::REQUEST_TIMEOUT => (t::TITLE, t::TIMED_OUT),
        StatusCode::PAYLOAD_TOO_LARGE => (t::TITLE, t::TOO_LARGE),
        StatusCode::NOT_FOUND => (t::BAD_CODE_TITLE, t::BAD_CODE_BODY),
        _ => (t::TITLE, t::STALE_FORM),
    };
    let mut res = message(app, status, title, text);
    if title == t::BUSY_TITLE {
        res.headers_mut().insert("refresh", HeaderValue::from_static("5"));
    }
    res
}

/// Anything else a phone might open.
pub async fn not_found(State(app): State<App>) -> Response {
    message(&app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::BAD_CODE_BODY)
}
