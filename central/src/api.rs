//! The JSON API's handlers: thin, each one authenticates, parses and calls its module.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use placecode::sync::{EnrolRequest, PushRequest, PushResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CentralError, Result};
use crate::{auth, enrol as enrolment, pull as pulling, push as pushing, trace, trips as trace_trips, App};

pub const OPENAPI: &str = include_str!("../openapi.json");

/// A JSON answer stamped with the server's clock (`X-Server-Time`), which desks use to measure
/// their own.
fn answer<T: Serialize>(value: &T) -> Response {
    let mut res = axum::Json(value).into_response();
    if let Ok(v) = HeaderValue::from_str(&Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)) {
        res.headers_mut().insert("x-server-time", v);
    }
    res
}

/// Parses a JSON body, answering `{code, message}` instead of a bare rejection.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "不是有效的JSON".to_string(),
            _ => {
                let s = e.to_string();
                format!(
                    "字段不对（{}）",
                    s.split(" at line").next().unwrap_or("").chars().take(100).collect::<String>()
                )
            }
        };
        CentralError::BadRequest(what)
    })
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
pub async fn readyz(State(app): State<App>) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&app.pool).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub async fn enrol(State(app): State<App>, body: Bytes) -> Result<Response> {
    let req: EnrolRequest = parse(&body)?;
    let mut res = enrolment::enrol(&app.pool, &req).await?;
    res.risk_key_hex = hex::encode(app.keys.risk);
    res.public_url = app.public_url.clone();
    Ok(answer(&res))
}

pub async fn push(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let now = Utc::now();
    let desk = auth::desk(&app.pool, &headers, now).await?;
    let req: PushRequest = parse(&body)?;
    let results = pushing::push(&app.pool, &app.keys, &desk, req.records, now).await?;
    Ok(answer(&PushResponse { results, server_time: Utc::now() }))
}

#[derive(serde::Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    cursor: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    1000
}

pub async fn pull(State(app): State<App>, headers: HeaderMap, Query(q): Query<PullQuery>) -> Result<Response> {
    let now = Utc::now();
    let desk = auth::desk(&app.pool, &headers, now).await?;
    Ok(answer(&pulling::pull(&app.pool, &app.keys, &desk, q.cursor, q.limit, now).await?))
}

/// A desk whose door tag matched asks whether this person is listed (`risk::confirm`).
pub async fn risk_confirm(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let desk = auth::desk(&app.pool, &headers, Utc::now()).await?;
    let req: placecode::sync::RiskConfirmRequest = parse(&body)?;
    let number = trace::document_number(&req.document_number)
        .map_err(|_| CentralError::Invalid {
            field: "document_number".into(), message: "证件号：格式不对".into()
        })?;
    Ok(answer(&crate::risk::confirm(&app.pool, &app.keys, desk.id, &number).await?))
}

pub async fn trace_person(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let actor = auth::tracer(&app.pool, &headers).await?;
    let q: trace::PersonQuery = parse(&body)?;
    Ok(answer(&serde_json::json!({ "visits": trace::person(&app.pool, &app.keys, &actor, &q).await? })))
}

pub async fn trace_venue(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let actor = auth::tracer(&app.pool, &headers).await?;
    let q: trace::VenueQuery = parse(&body)?;
    Ok(answer(&serde_json::json!({ "visits": trace::venue(&app.pool, &app.keys, &actor, &q).await? })))
}

/// 监管: open, closed and overdue trips by checkpoint and destination (tracer credential).
pub async fn trips(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let actor = auth::tracer(&app.pool, &headers).await?;
    let q: trace_trips::TripQuery = parse(&body)?;
    Ok(answer(&trace_trips::supervise(&app.pool, &app.keys, &actor, &q, app.overdue_hours, Utc::now()).await?))
}

pub async fn trace_overlap(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let actor = auth::tracer(&app.pool, &headers).await?;
    let q: trace::OverlapQuery = parse(&body)?;
    let rows = trace::overlap(&app.pool, &app.keys, &actor, &q, Utc::now()).await?;
    Ok(answer(&serde_json::json!({ "overlaps": rows })))
}
