//! The page every printed QR opens (`/c/{code}`, R4, R5, R7, R11): the declaration on a phone's
//! first visit, four digits after that, and the result in full-screen colour.

pub mod html;
pub mod text;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hmac::{Hmac, Mac};
use placecode::checkin::{DeclarationInput, TruckDeclarationInput};
use placecode::decision::{self, Colour, HealthAnswers, RiskEntry};
use placecode::venue::CodeKind;
use sha2::Sha256;
use uuid::Uuid;

use crate::error::CentralError;
use crate::people::PersonRow;
use crate::App;
use html::{Form, Shown};
use text as t;

const COOKIE: &str = "pc_phone";
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
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The phone id from its signed cookie, if the signature holds.
fn phone_from_cookie(app: &App, headers: &HeaderMap) -> Option<Uuid> {
    for value in headers.get_all(header::COOKIE) {
        for part in value.to_str().ok()?.split(';') {
            if let Some(v) = part.trim().strip_prefix("pc_phone=") {
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
            "{COOKIE}={id}.{}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{}",
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

fn client(app: &App, peer: SocketAddr, headers: &HeaderMap) -> String {
    if app.trust_proxy {
        if let Some(ip) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|s| s.split(',').next())
        {
            return ip.trim().to_owned();
        }
    }
    peer.ip().to_string()
}

/// A venue code that phones may use: on the server, signed by its desk, not revoked, approved.
struct Served {
    venue_id: Uuid,
    venue: String,
    kind: CodeKind,
    code: String,
}

async fn served(app: &App, raw: &str) -> Result<Served, Response> {
    let parsed = placecode::code::parse(raw)
        .map_err(|_| message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::BAD_CODE_BODY))?;
    let row: Option<(String, bool, Uuid, String, String)> = sqlx::query_as(
        "SELECT c.kind, c.revoked_at IS NOT NULL, v.id, v.name, v.status FROM codes c JOIN venues v ON v.id = c.venue_id
         WHERE c.code = $1",
    )
    .bind(&parsed.code)
    .fetch_optional(&app.pool)
    .await
    .map_err(|e| server_error(app, e.into()))?;
    let Some((kind, revoked, venue_id, venue, status)) = row else {
        return Err(message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::UNKNOWN_CODE_BODY));
    };
    if revoked {
        return Err(message(app, StatusCode::GONE, t::REVOKED_TITLE, t::REVOKED_BODY));
    }
    if status != "approved" {
        return Err(message(app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::REJECTED_VENUE_BODY));
    }
    let kind = CodeKind::parse(&kind).unwrap_or(CodeKind::General);
    Ok(Served { venue_id, venue, kind, code: parsed.code })
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
async fn admit(app: &App, peer: SocketAddr, headers: &HeaderMap, code: &str) -> Result<Served, Response> {
    let who = client(app, peer, headers);
    if let Some(r) = limited(app, &who, code) {
        return Err(r);
    }
    served(app, code).await
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    new: Option<String>,
}

/// The people this phone has declared: (id, masked name, last four, hash, risk colour, reason).
type Known = (i64, String, String, String, Option<String>, Option<String>);

async fn known(app: &App, phone: Uuid) -> Result<Vec<Known>, CentralError> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.name, p.last4, p.document_number, r.colour, r.reason
         FROM phone_people pp JOIN people p ON p.id = pp.person_id LEFT JOIN risk r ON r.id_hash = p.id_hash
         WHERE pp.phone_id = $1 ORDER BY pp.added_at",
    )
    .bind(phone)
    .fetch_all(&app.pool)
    .await?)
}

fn action_path(code: &str) -> String {
    format!("/c/{code}")
}

pub async fn show(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let s = match admit(&app, peer, &headers, &code).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (phone, fresh) = match phone_from_cookie(&app, &headers) {
        Some(p) => (p, false),
        None => (Uuid::now_v7(), true),
    };
    let people = if fresh || q.new.is_some() || s.kind != CodeKind::General {
        Vec::new()
    } else {
        match known(&app, phone).await {
            Ok(p) => p,
            Err(e) => return server_error(&app, e),
        }
    };
    let n = nonce();
    let body = page_for(&n, &s, &csrf(&app, phone), &people, &Form::default(), None, "");
    respond(&app, StatusCode::OK, &n, body, fresh.then_some(phone))
}

fn page_for(
    n: &str,
    s: &Served,
    csrf: &str,
    people: &[Known],
    form: &Form,
    last4_error: Option<&str>,
    last4: &str,
) -> String {
    let action = action_path(&s.code);
    match s.kind {
        CodeKind::General if !people.is_empty() => {
            let list: Vec<(i64, String)> = people
                .iter()
                .map(|p| (p.0, format!("{} {}", placecode::mask::name(&p.1), placecode::mask::id_number(&p.3))))
                .collect();
            html::returning(n, &s.venue, &action, csrf, &list, last4_error, last4)
        }
        CodeKind::General => html::declaration(n, &s.venue, &action, csrf, form),
        k => html::truck_declaration(n, &s.venue, k.label(), &action, csrf, form),
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
    let result = match get("action") {
        "last4" if s.kind == CodeKind::General => returning(&app, &s, phone, &fields).await,
        _ => declare(&app, &s, phone, &fields).await,
    };
    result.unwrap_or_else(|e| server_error(&app, e))
}

fn yes(fields: &[(String, String)], key: &str) -> bool {
    fields.iter().any(|(k, v)| k == key && v == "yes")
}

/// A first visit (or another person on this phone): the declaration of the code's kind.
async fn declare(app: &App, s: &Served, phone: Uuid, fields: &[(String, String)]) -> Result<Response, CentralError> {
    let now = Utc::now();
    let today = placecode::sync::shanghai_date(now);
    let get =
        |k: &str| fields.iter().find(|(key, _)| key == k).map_or(String::new(), |(_, v)| v.chars().take(200).collect());
    let checked = if s.kind == CodeKind::General {
        let input = DeclarationInput {
            name: get("name"),
            id_number: get("id_number"),
            address: get("address"),
            phone: get("phone"),
            visited_risk_area: yes(fields, "visited_risk_area"),
            contact_with_suspected: yes(fields, "contact_with_suspected"),
            temperature_normal: !fields.iter().any(|(k, v)| k == "temperature_normal" && v == "no"),
            temperature: get("temperature"),
        };
        placecode::checkin::declaration(&input, today, "").map(|d| {
            let row = PersonRow {
                document_kind: "resident_id",
                last4: d.id.last4().to_owned(),
                document_number: d.id.number,
                name: d.name,
                address: d.address,
                phone: d.phone,
                seen: now,
            };
            (row, d.answers, None)
        })
    } else {
        let input = TruckDeclarationInput {
            name: get("name"),
            document_kind: serde_json::from_value(serde_json::Value::String(get("document_kind"))).ok(),
            document_number: get("document_number"),
            plate: get("plate"),
            phone: get("phone"),
            origin: get("origin"),
            entry_point: get("entry_point"),
            expected_return: get("expected_return"),
            expected_departure: get("expected_departure"),
            symptoms: yes(fields, "symptoms"),
            visited_risk_area: yes(fields, "visited_risk_area"),
        };
        placecode::checkin::truck_declaration(&input, today, "").map(|d| {
            let last4 = d.document_number.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            let row = PersonRow {
                document_kind: crate::people::document_key(d.document_kind),
                document_number: d.document_number,
                last4,
                name: d.name,
                address: String::new(),
                phone: Some(d.phone),
                seen: now,
            };
            (row, d.answers, Some((d.plate, input)))
        })
    };
    let (row, answers, truck) = match checked {
        Ok(c) => c,
        Err(placecode::Error::Invalid(errors)) => {
            let n = nonce();
            let form = Form { values: fields, errors: &errors };
            let page = page_for(&n, s, &csrf(app, phone), &[], &form, None, "");
            return Ok(respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None));
        }
        Err(e) => return Err(CentralError::Internal(e.to_string())),
    };
    let mut tx = app.pool.begin().await?;
    sqlx::query("INSERT INTO phones (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()")
        .bind(phone)
        .execute(&mut *tx)
        .await?;
    let (name, number) = (row.name.clone(), row.document_number.clone());
    let ids = crate::people::upsert(&mut tx, &app.keys.risk, vec![row]).await?;
    let hash = placecode::risk::id_hash(&app.keys.risk, &number).to_vec();
    let person = ids.get(&hash).copied().ok_or_else(|| CentralError::Internal("person not upserted".into()))?;
    sqlx::query("INSERT INTO phone_people (phone_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(phone)
        .bind(person)
        .execute(&mut *tx)
        .await?;
    let risk: Option<(String, String)> = sqlx::query_as("SELECT colour, reason FROM risk WHERE id_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some((plate, input)) = &truck {
        let body =
            serde_json::json!({"venue_id": s.venue_id, "plate": plate, "crew": [input], "at": now, "code": s.code});
        sqlx::query("INSERT INTO truck_records (id, kind, desk_id, venue_id, plate, body, at) VALUES ($1, 'pre_declaration', NULL, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(s.venue_id)
            .bind(plate)
            .bind(&body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // The checkpoint's desks pull it, so staff find the crew by plate and confirm.
        let change = serde_json::json!({"id": Uuid::now_v7(), "venue_id": s.venue_id, "plate": plate, "crew": [input], "at": now});
        crate::push::change(&mut tx, "pre_declaration", Some(s.venue_id), None, &change).await?;
    }
    let shown = check_in(&mut tx, s, &[(person, name, number, risk, answers)], "declaration", now).await?;
    tx.commit().await?;
    Ok(result_page(app, s, &shown, now))
}

/// A returning phone: four digits pick one of its people; ticked companions come along.
async fn returning(app: &App, s: &Served, phone: Uuid, fields: &[(String, String)]) -> Result<Response, CentralError> {
    let now = Utc::now();
    let last4: String = fields
        .iter()
        .find(|(k, _)| k == "last4")
        .map_or(String::new(), |(_, v)| placecode::normalize::compact(v).to_ascii_uppercase());
    let people = known(app, phone).await?;
    let again = |error: &str| {
        let n = nonce();
        let page = page_for(&n, s, &csrf(app, phone), &people, &Form::default(), Some(error), &last4);
        respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None)
    };
    if last4.len() != 4 || !last4.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 3 && b == b'X')) {
        return Ok(again(t::LAST4_BAD));
    }
    let Some(main) = people.iter().find(|p| p.2 == last4) else {
        return Ok(again(t::LAST4_UNKNOWN));
    };
    let with: Vec<i64> = fields.iter().filter(|(k, _)| k == "with").filter_map(|(_, v)| v.parse().ok()).collect();
    let chosen: Vec<_> = people
        .iter()
        .filter(|p| p.0 == main.0 || with.contains(&p.0))
        .map(|p| {
            let risk = p.4.clone().map(|c| (c, p.5.clone().unwrap_or_default()));
            (p.0, p.1.clone(), p.3.clone(), risk, HealthAnswers::default())
        })
        .collect();
    let mut tx = app.pool.begin().await?;
    let shown = check_in(&mut tx, s, &chosen, "last4", now).await?;
    tx.commit().await?;
    Ok(result_page(app, s, &shown, now))
}

type Person = (i64, String, String, Option<(String, String)>, HealthAnswers);

/// Decides each person's colour with the core's rule and writes the visits and the changes that
/// the venue's desks pull.
async fn check_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    s: &Served,
    people: &[Person],
    way_in: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<Shown>, CentralError> {
    let mut shown = Vec::with_capacity(people.len());
    let (mut ids, mut persons, mut colours, mut healths, mut reasons, mut bodies) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (pid, name, number, risk, answers) in people {
        let entry = risk.as_ref().and_then(|(c, r)| Some(RiskEntry { colour: Colour::parse(c)?, reason: r.clone() }));
        let d = decision::decide(entry.as_ref(), answers);
        let id = Uuid::now_v7();
        ids.push(id);
        persons.push(*pid);
        colours.push(d.colour.key());
        healths.push(d.health_code.key());
        reasons.push(d.reasons.join("\u{1f}"));
        bodies.push(serde_json::json!({
            "id": id, "venue_id": s.venue_id, "code": s.code, "way_in": way_in, "at": now,
            "colour": d.colour, "health_code": d.health_code, "reasons": d.reasons,
            "person": {"name": name, "document_number": number},
        }));
        shown.push(Shown {
            colour: d.colour,
            name_masked: placecode::mask::name(name),
            id_masked: placecode::mask::id_number(number),
            reasons: d.reasons,
        });
    }
    sqlx::query(
        "WITH v AS (
            INSERT INTO visits (id, at, person_id, venue_id, code, source, way_in, colour, health_code, reasons)
            SELECT u.id, $1, u.person, $2, $3, 'phone', $4, u.colour, u.health, string_to_array(u.reasons, chr(31))
            FROM UNNEST($5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::text[]) AS u(id, person, colour, health, reasons)
            RETURNING 1)
         INSERT INTO changes (kind, venue_id, body) SELECT 'phone_visit', $2, b FROM UNNEST($10::jsonb[]) AS b",
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
    .execute(&mut **tx)
    .await?;
    Ok(shown)
}

fn result_page(app: &App, s: &Served, shown: &[Shown], now: chrono::DateTime<Utc>) -> Response {
    let n = nonce();
    let at = now.with_timezone(&placecode::store::shanghai()).format("%Y-%m-%d %H:%M:%S").to_string();
    let page = html::result(&n, &s.venue, &at, shown, &action_path(&s.code));
    respond(app, StatusCode::OK, &n, page, None)
}

/// R9: the published checkpoint codes, so crews can declare before they arrive.
pub async fn checkpoints(State(app): State<App>) -> Response {
    let rows: Result<Vec<(String, String, String)>, sqlx::Error> = sqlx::query_as(
        "SELECT v.name, c.label, c.code FROM codes c JOIN venues v ON v.id = c.venue_id
         WHERE c.kind = 'checkpoint' AND c.revoked_at IS NULL AND v.status = 'approved' ORDER BY v.name, c.label",
    )
    .fetch_all(&app.pool)
    .await;
    match rows {
        Ok(rows) => {
            let n = nonce();
            let page = html::checkpoints(&n, &rows, "");
            respond(&app, StatusCode::OK, &n, page, None)
        }
        Err(e) => server_error(&app, e.into()),
    }
}

/// Anything else a phone might open.
pub async fn not_found(State(app): State<App>) -> Response {
    message(&app, StatusCode::NOT_FOUND, t::BAD_CODE_TITLE, t::BAD_CODE_BODY)
}
