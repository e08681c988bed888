//! The supervision console (R10, R11) for the district and city offices, served under
//! `/console`: sign-in with a password and a TOTP code, and pages by role. Pages are askama
//! templates (`central/templates/console/`, escaped by the template engine) with the phone
//! page's strict headers; every view and every export is audited.

pub mod account;
pub mod activity;
pub mod coverage;
pub mod export;
pub mod occupancy;
pub mod places;
pub mod text;
pub mod traces;
pub mod trucks;

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use placecode_core::venue::District;

use crate::audit;
use crate::phone::cookie::{constant_eq, nonce, sign};
use crate::App;
use account::{Refused, Role, User};
use text as t;

/// The console's routes (the caller adds the background slots and the body limit).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/login", get(login_page).post(login_submit))
        .route("/console/logout", post(logout))
        .route("/console/coverage", get(coverage_page))
        .route("/console/coverage.xlsx", get(coverage_export))
        .route("/console/activity", get(activity::show))
        .route("/console/activity.xlsx", get(activity::export))
        .route("/console/assets/echarts.min.js", get(activity::echarts))
        .route("/console/places", get(places::show))
        .route(
            "/console/places/import",
            post(places::upload)
                .layer(axum::extract::DefaultBodyLimit::max(placecode_core::import::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/console/places/{id}/remind", post(places::remind_one))
        .route("/console/places.xlsx", get(places::export))
        .route("/console/trucks", get(trucks::trucks))
        .route("/console/trucks.xlsx", get(trucks::trucks_export))
        .route("/console/incidents", get(trucks::incidents))
        .route("/console/incidents.xlsx", get(trucks::incidents_export))
        .route("/console/occupancy", get(occupancy::show))
        .route("/console/occupancy/order", post(occupancy::order))
        .route("/console/trace", get(traces::show).post(traces::run))
        .route("/console/audit", get(audit_page))
        .route("/console/audit.xlsx", get(audit_export))
        .route("/console/{*rest}", axum::routing::any(not_found))
}

/// Sign-in attempts per client address and minute, before any password is hashed: enough for a
/// district office behind one address, too few to spray passwords (each name also locks alone).
pub const SIGN_INS_PER_MINUTE: u32 = 60;

/// The console's one style sheet, inlined in each page under its CSP nonce.
const STYLE: &str = include_str!("../../templates/console/console.css");

/// The frame every page shares: title, the user and their menu.
struct Chrome<'a> {
    lang: &'static str,
    product: &'static str,
    title: &'a str,
    nonce: String,
    style: &'static str,
    user: Option<&'a User>,
    /// (address, label, is this page) for what the role may open.
    nav: Vec<(&'static str, &'static str, bool)>,
    csrf: String,
    sign_out: &'static str,
}

impl<'a> Chrome<'a> {
    fn new(app: &App, title: &'a str, session: Option<&'a Session>, here: &str) -> Chrome<'a> {
        let user = session.map(|s| &s.user);
        let mut nav = Vec::new();
        if user.is_some_and(|u| u.role.supervises().is_some()) {
            nav.push(("/console/coverage", t::NAV_COVERAGE, here == "/console/coverage"));
            nav.push(("/console/activity", t::NAV_ACTIVITY, here == "/console/activity"));
            nav.push(("/console/places", t::NAV_PLACES, here == "/console/places"));
            nav.push(("/console/trucks", t::NAV_TRUCKS, here == "/console/trucks"));
            nav.push(("/console/incidents", t::NAV_INCIDENTS, here == "/console/incidents"));
            nav.push(("/console/occupancy", t::NAV_OCCUPANCY, here == "/console/occupancy"));
        }
        if user.is_some_and(|u| traces::sees(u.role).is_some()) {
            nav.push(("/console/trace", t::NAV_TRACE, here == "/console/trace"));
        }
        if user.is_some_and(|u| u.role == Role::City) {
            nav.push(("/console/audit", t::NAV_AUDIT, here == "/console/audit"));
        }
        Chrome {
            lang: t::LANG,
            product: t::PRODUCT,
            title,
            nonce: nonce(),
            style: STYLE,
            user,
            nav,
            csrf: session.map(|s| csrf(app, &s.token)).unwrap_or_default(),
            sign_out: t::SIGN_OUT,
        }
    }
}

/// A signed-in browser: who, and the cookie's token (for the forms' CSRF tokens).
pub struct Session {
    pub user: User,
    token: String,
}

fn cookie_name(app: &App) -> &'static str {
    if app.secure_cookies {
        "__Host-pc_console"
    } else {
        "pc_console"
    }
}

/// The session cookie: this host only, never sent by another site's form or script.
fn session_cookie(app: &App, token: &str) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        cookie_name(app),
        if app.secure_cookies { "; Secure" } else { "" }
    )
}

fn cookie_token<'h>(app: &App, headers: &'h HeaderMap) -> Option<&'h str> {
    let name = cookie_name(app);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|part| part.trim().strip_prefix(name)?.strip_prefix('='))
        .filter(|v| v.starts_with("pcs_") && v.len() <= 64)
}

fn csrf(app: &App, token: &str) -> String {
    sign(&app.keys.cookie, &format!("console-csrf|{token}"))
}

/// A signed-in form really sent from this console: this host's origin and the session's token.
fn sent_from_here(app: &App, session: &Session, headers: &HeaderMap, token: &str) -> bool {
    same_origin(headers) && constant_eq(token, &csrf(app, &session.token))
}

/// A form sent from another site is refused: its `Origin` must be this host (browsers send it
/// with every POST); where a browser sends none, `Sec-Fetch-Site` must not say cross-site.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        Some(Ok(origin)) => host.is_some_and(|host| {
            origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) == Some(host)
        }),
        Some(Err(_)) => false,
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|s| s == "same-origin" || s == "none"),
    }
}

fn render(app: &App, status: StatusCode, nonce: &str, html: askama::Result<String>) -> Response {
    match html {
        Ok(body) => {
            let mut res = (status, body).into_response();
            crate::phone::strict_headers(app, res.headers_mut(), nonce);
            // The console's forms must carry their origin (see `same_origin`): under the phone
            // page's `no-referrer` a browser sends `Origin: null`. No address leaves the site.
            res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "console template");
            (StatusCode::INTERNAL_SERVER_ERROR, t::ERROR_TITLE).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    chrome: Chrome<'a>,
    text: &'a str,
}

fn message(app: &App, status: StatusCode, session: Option<&Session>, title: &str, text: &str) -> Response {
    let page = MessagePage { chrome: Chrome::new(app, title, session, ""), text };
    render(app, status, &page.chrome.nonce, page.render())
}

fn server_error(app: &App, session: Option<&Session>, e: crate::CentralError) -> Response {
    tracing::error!(error = %e, "console");
    message(app, StatusCode::INTERNAL_SERVER_ERROR, session, t::ERROR_TITLE, &e.to_string())
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(to) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::SET_COOKIE, v);
    }
    res
}

/// The session of this request, or the answer to give instead (the sign-in page).
async fn signed_in(app: &App, headers: &HeaderMap) -> Result<Session, Response> {
    let Some(token) = cookie_token(app, headers) else {
        return Err(see_other("/console/login", None));
    };
    match account::session(&app.pool, token, Utc::now()).await {
        Ok(Some(user)) => Ok(Session { user, token: token.to_owned() }),
        Ok(None) => Err(see_other("/console/login?expired", None)),
        Err(e) => Err(server_error(app, None, e)),
    }
}

/// An address under /console that is no page: said in the console's own words.
async fn not_found(State(app): State<App>, headers: HeaderMap) -> Response {
    let session = match cookie_token(&app, &headers) {
        Some(_) => signed_in(&app, &headers).await.ok(),
        None => None,
    };
    message(&app, StatusCode::NOT_FOUND, session.as_ref(), t::NOT_FOUND_TITLE, t::NOT_FOUND)
}

/// The first page a role opens.
fn landing(user: &User) -> &'static str {
    if user.role.supervises().is_some() {
        "/console/coverage"
    } else {
        "/console/trace"
    }
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

async fn home(State(app): State<App>, headers: HeaderMap) -> Response {
    match signed_in(&app, &headers).await {
        Ok(s) => see_other(landing(&s.user), None),
        Err(r) => r,
    }
}

struct LoginText {
    sign_in_title: &'static str,
    login: &'static str,
    password: &'static str,
    code: &'static str,
    code_hint: &'static str,
    sign_in: &'static str,
}

const LOGIN_TEXT: LoginText = LoginText {
    sign_in_title: t::SIGN_IN_TITLE,
    login: t::LOGIN_LABEL,
    password: t::PASSWORD_LABEL,
    code: t::CODE_LABEL,
    code_hint: t::CODE_HINT,
    sign_in: t::SIGN_IN,
};

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    chrome: Chrome<'a>,
    t: LoginText,
    note: Option<&'a str>,
    error: Option<&'a str>,
    login: &'a str,
}

fn login_form(app: &App, status: StatusCode, note: Option<&str>, error: Option<&str>, login: &str) -> Response {
    let page = LoginPage { chrome: Chrome::new(app, t::SIGN_IN, None, ""), t: LOGIN_TEXT, note, error, login };
    render(app, status, &page.chrome.nonce, page.render())
}

async fn login_page(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let note = if q.contains_key("expired") {
        Some(t::EXPIRED)
    } else if q.contains_key("out") {
        Some(t::SIGNED_OUT)
    } else {
        None
    };
    login_form(&app, StatusCode::OK, note, None, "")
}

async fn login_submit(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_origin(&headers) {
        return message(&app, StatusCode::FORBIDDEN, None, t::FORBIDDEN_TITLE, t::FOREIGN_FORM);
    }
    let f = form(&body);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    // What was typed is shown back only as a plausible name (never a password, never markup
    // beyond what the template escapes).
    let typed: String = get("login").chars().take(64).collect();
    let who = app.client(peer, &headers);
    if !app.console_limiter.allow(&who) {
        // Not the typed name: a password typed into the name field must not reach the log.
        let actor = audit::Actor { name: t::ADDRESS_LIMITED.into(), source: who.clone(), purpose: String::new() };
        let params = serde_json::json!({ "over_address_limit": true });
        if let Err(e) = audit::write(&app.pool, &actor, "console_sign_in_refused", params, 0).await {
            return server_error(&app, None, e);
        }
        let mut r = login_form(&app, StatusCode::TOO_MANY_REQUESTS, None, Some(t::SIGN_IN_BUSY), &typed);
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    }
    let password: String = get("password").chars().take(account::PASSWORD_MAX + 1).collect();
    match account::sign_in(&app.pool, &app.keys, &typed, &password, get("code"), &who, Utc::now()).await {
        Ok(Ok((user, token))) => see_other(landing(&user), Some(session_cookie(&app, &token))),
        Ok(Err(Refused::Wrong)) => login_form(&app, StatusCode::UNAUTHORIZED, None, Some(t::SIGN_IN_WRONG), &typed),
        Ok(Err(Refused::Locked)) => {
            login_form(&app, StatusCode::TOO_MANY_REQUESTS, None, Some(t::SIGN_IN_LOCKED), &typed)
        }
        Err(e) => server_error(&app, None, e),
    }
}

async fn logout(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = form(&body);
    let sent = f.get("csrf").map(String::as_str).unwrap_or_default();
    if !sent_from_here(&app, &session, &headers, sent) {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FOREIGN_FORM);
    }
    let who = app.client(peer, &headers);
    if let Err(e) = account::sign_out(&app.pool, &session.user, &session.token, &who, Utc::now()).await {
        return server_error(&app, Some(&session), e);
    }
    let gone = format!("{}; Max-Age=0", session_cookie(&app, ""));
    see_other("/console/login?out", Some(gone))
}

/// A supervisor's page opened: the session and the district the page is held to (asked by
/// `?district=`), the view audited as `action`; or the answer to give instead.
pub(super) async fn supervised_view(
    app: &App,
    peer: SocketAddr,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    action: &str,
) -> Result<(Session, Option<District>), Response> {
    let (session, district) = supervisor(app, headers, q.get("district").map(String::as_str)).await?;
    let actor = session.user.actor(&app.client(peer, headers), "");
    let params = serde_json::json!({ "district": district.map(District::key) });
    if let Err(e) = audit::write(&app.pool, &actor, action, params, 0).await {
        return Err(server_error(app, Some(&session), e));
    }
    Ok((session, district))
}

/// A supervisor's form sent from this console (this host's origin, the session's CSRF token):
/// the session, the district it is held to and the form's fields; or the answer to give instead.
pub(super) async fn supervised_form(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Session, Option<District>, HashMap<String, String>), Response> {
    let (session, district) = supervisor(app, headers, None).await?;
    let f = form(body);
    if !sent_from_here(app, &session, headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return Err(message(app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FOREIGN_FORM));
    }
    Ok((session, district, f))
}

/// The session, and the district its page is held to; or the answer to give instead.
pub(super) async fn supervisor(
    app: &App,
    headers: &HeaderMap,
    asked: Option<&str>,
) -> Result<(Session, Option<District>), Response> {
    let session = signed_in(app, headers).await?;
    match scope(&session.user, asked) {
        Ok(d) => Ok((session, d)),
        Err(()) => Err(message(app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FORBIDDEN)),
    }
}

/// A page's export address for `district`, with contacts in full when `full`.
pub(super) fn export_link(path: &str, district: Option<District>, full: bool) -> String {
    let mut query: Vec<String> = district.map(|d| format!("district={}", d.key())).into_iter().collect();
    if full {
        query.push("full=1".into());
    }
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The districts a city supervisor may narrow a page to: (key, label, chosen); none for others.
pub(super) fn district_choices(
    user: &User,
    chosen: Option<District>,
) -> Option<Vec<(&'static str, &'static str, bool)>> {
    (user.role == Role::City).then(|| District::ALL.iter().map(|d| (d.key(), d.label(), Some(*d) == chosen)).collect())
}

/// The district a supervisor's page shows: their own for a district's supervisor, whatever
/// they chose (or all) for the city's; `Err` for a role that does not supervise venues.
fn scope(user: &User, asked: Option<&str>) -> Result<Option<District>, ()> {
    match user.role.supervises() {
        None => Err(()),
        Some(Some(own)) => Ok(Some(own)),
        Some(None) => Ok(asked.and_then(District::parse)),
    }
}

struct CoverageText {
    note: &'static str,
    all_districts: &'static str,
    show: &'static str,
    export: &'static str,
    empty: &'static str,
    as_of: &'static str,
    headers: [&'static str; 11],
}

#[derive(Template)]
#[template(path = "console/coverage.html")]
struct CoveragePage<'a> {
    chrome: Chrome<'a>,
    t: CoverageText,
    /// (key, label, chosen), for the city's supervisors only.
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    export: String,
    at: String,
    rows: Vec<(coverage::Row, bool)>,
    total: coverage::Row,
}

fn beijing(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&placecode_core::checkin::shanghai()).format("%Y-%m-%d %H:%M").to_string()
}

async fn coverage_page(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let table = match coverage::table(&app.reads, district, Utc::now()).await {
        Ok(table) => table,
        Err(e) => return server_error(&app, Some(&session), e),
    };
    let actor = session.user.actor(&app.client(peer, &headers), "");
    let params = serde_json::json!({ "district": district.map(District::key) });
    if let Err(e) = audit::write(&app.pool, &actor, "console_coverage", params, table.rows.len()).await {
        return server_error(&app, Some(&session), e);
    }
    let districts = district_choices(&session.user, district);
    let export = export_link("/console/coverage.xlsx", district, false);
    let rows = table
        .rows
        .into_iter()
        .map(|l| match l {
            coverage::Line::Row(r) => (r, false),
            coverage::Line::Subtotal(r) => (r, true),
        })
        .collect();
    let page = CoveragePage {
        chrome: Chrome::new(&app, t::COVERAGE_TITLE, Some(&session), "/console/coverage"),
        t: CoverageText {
            note: t::COVERAGE_NOTE,
            all_districts: t::ALL_DISTRICTS,
            show: t::SHOW,
            export: t::EXPORT_XLSX,
            empty: t::NO_VENUES,
            as_of: t::AS_OF,
            headers: t::COVERAGE_HEADERS,
        },
        districts,
        export,
        at: beijing(table.at),
        rows,
        total: table.total,
    };
    render(&app, StatusCode::OK, &page.chrome.nonce, page.render())
}

/// The coverage table as an Excel workbook, for the same scope as the page; audited.
async fn coverage_export(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = Utc::now();
    let (book, n) = match coverage::table(&app.reads, district, now).await {
        Ok(table) => (coverage::xlsx(&table), table.rows.len()),
        Err(e) => return server_error(&app, Some(&session), e),
    };
    audited_xlsx(&app, &session, peer, &headers, "coverage", district, false, n, book, t::COVERAGE_FILE, now).await
}

/// The newest 500 rows of the audit log, as the page lists them (city supervisors only).
async fn audit_rows(app: &App, action: Option<&str>) -> crate::Result<Vec<AuditRow>> {
    let label =
        |a: &str| t::AUDIT_ACTIONS.iter().find(|(k, _)| *k == a).map_or_else(|| a.to_owned(), |(_, l)| (*l).to_owned());
    Ok(audit::recent(&app.pool, action, 500)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: beijing(e.at),
            actor: e.actor,
            action: label(&e.action),
            purpose: e.purpose,
            params: if e.params.as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                let mut p = e.params;
                audit::beijing_times(&mut p);
                p.to_string()
            },
            results: e.results,
            source: e.source,
        })
        .collect())
}

/// Only an action from the list filters; anything else typed into the address shows all.
fn audit_action(q: &HashMap<String, String>) -> Option<&'static str> {
    q.get("action").and_then(|a| t::AUDIT_ACTIONS.iter().find(|(k, _)| k == a)).map(|(k, _)| *k)
}

async fn audit_export(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use export::{Cell, Sheet};
    let session = match signed_in(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if session.user.role != Role::City {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FORBIDDEN);
    }
    let rows = match audit_rows(&app, audit_action(&q)).await {
        Ok(r) => r,
        Err(e) => return server_error(&app, Some(&session), e),
    };
    let n = rows.len();
    let rows = rows
        .into_iter()
        .map(|r| {
            let cells: Vec<Cell> = vec![
                r.at.into(),
                r.actor.into(),
                r.action.into(),
                r.purpose.into(),
                r.params.into(),
                r.results.into(),
                r.source.into(),
            ];
            (cells, false)
        })
        .collect();
    let book = export::workbook(vec![Sheet { name: t::AUDIT_SHEET, headers: &t::AUDIT_HEADERS, rows }]);
    audited_xlsx(&app, &session, peer, &headers, "audit", None, false, n, book, t::AUDIT_TITLE, Utc::now()).await
}

struct AuditText {
    note: &'static str,
    action: &'static str,
    all_actions: &'static str,
    show: &'static str,
    headers: [&'static str; 7],
}

/// One audit row as shown (times in Beijing time).
struct AuditRow {
    at: String,
    actor: String,
    action: String,
    purpose: String,
    params: String,
    results: i64,
    source: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage<'a> {
    chrome: Chrome<'a>,
    t: AuditText,
    actions: Vec<(&'static str, &'static str, bool)>,
    export: String,
    export_label: &'static str,
    rows: Vec<AuditRow>,
}

/// The audit log, newest first: for the city's supervisors only, and itself audited.
async fn audit_page(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if session.user.role != Role::City {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FORBIDDEN);
    }
    let action = audit_action(&q);
    let actor = session.user.actor(&app.client(peer, &headers), "");
    let read = audit::write(&app.pool, &actor, "read_audit", serde_json::json!({ "action": action }), 0).await;
    let rows = match read {
        Ok(()) => audit_rows(&app, action).await,
        Err(e) => Err(e),
    };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return server_error(&app, Some(&session), e),
    };
    let page = AuditPage {
        chrome: Chrome::new(&app, t::AUDIT_TITLE, Some(&session), "/console/audit"),
        t: AuditText {
            note: t::AUDIT_NOTE,
            action: t::AUDIT_ACTION,
            all_actions: t::AUDIT_ALL,
            show: t::SHOW,
            headers: t::AUDIT_HEADERS,
        },
        actions: t::AUDIT_ACTIONS.iter().map(|(k, l)| (*k, *l, Some(*k) == action)).collect(),
        export: action.map_or_else(|| "/console/audit.xlsx".into(), |a| format!("/console/audit.xlsx?action={a}")),
        export_label: t::EXPORT,
        rows,
    };
    render(&app, StatusCode::OK, &page.chrome.nonce, page.render())
}

/// A workbook made for `session`, audited (`console_export` with its table, district, whether
/// contacts are in full, and its rows) and sent as a download named after `title`.
#[allow(clippy::too_many_arguments)]
async fn audited_xlsx(
    app: &App,
    session: &Session,
    peer: SocketAddr,
    headers: &HeaderMap,
    table: &str,
    district: Option<District>,
    full: bool,
    rows: usize,
    book: crate::Result<Vec<u8>>,
    title: &str,
    now: chrono::DateTime<Utc>,
) -> Response {
    let bytes = match book {
        Ok(b) => b,
        Err(e) => return server_error(app, Some(session), e),
    };
    let actor = session.user.actor(&app.client(peer, headers), "");
    let params = serde_json::json!({ "table": table, "district": district.map(District::key), "full": full });
    if let Err(e) = audit::write(&app.pool, &actor, "console_export", params, rows).await {
        return server_error(app, Some(session), e);
    }
    let scope_label = district.map_or(t::ALL_DISTRICTS, District::label);
    let stamp = now.with_timezone(&placecode_core::checkin::shanghai()).format("%Y%m%d-%H%M");
    let full = if full { t::FILE_FULL } else { "" };
    xlsx_response(&format!("{title}-{scope_label}{full}-{stamp}.xlsx"), bytes)
}

/// A workbook to download, named in Chinese (RFC 6266's `filename*`), never cached.
fn xlsx_response(file_name: &str, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"placecode.xlsx\"; filename*=UTF-8''{encoded}"))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_form_from_another_site_is_refused() {
        assert!(same_origin(&headers(&[("host", "jg.example.cn"), ("origin", "https://jg.example.cn")])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[("host", "jg.example.cn")])));
        assert!(same_origin(&headers(&[("host", "jg.example.cn"), ("sec-fetch-site", "same-origin")])));
        for bad in [
            headers(&[("host", "jg.example.cn"), ("origin", "https://evil.example")]),
            headers(&[("host", "jg.example.cn"), ("origin", "https://jg.example.cn.evil.example")]),
            headers(&[("host", "jg.example.cn"), ("origin", "null")]),
            headers(&[("origin", "https://jg.example.cn")]),
            headers(&[("host", "jg.example.cn"), ("sec-fetch-site", "cross-site")]),
            headers(&[("host", "jg.example.cn"), ("sec-fetch-site", "same-site")]),
        ] {
            assert!(!same_origin(&bad), "{bad:?}");
        }
    }
}
