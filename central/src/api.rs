//! The JSON API's handlers: thin, each one authenticates, parses and calls its module.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use placecode_core::sync::{EnrolRequest, PushRequest, PushResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::audit::Actor;
use crate::auth::{EnrolledDesk, Tracer};
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
        CentralError::BadRequest(match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "不是有效的JSON".to_string(),
            // In Chinese, naming the field but never echoing the input (the desk's rule).
            _ => placecode_core::sync::serde_reason(&e),
        })
    })
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers within 2 s (a probe's timeout is short; the pool's own wait
/// for a connection is 10 s).
pub async fn readyz(State(app): State<App>) -> Response {
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&app.pool),
    )
    .await;
    match answer {
        Ok(Ok(_)) => (StatusCode::OK, "ready").into_response(),
        failed => {
            let e = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 2 s".to_owned(),
            };
            tracing::warn!(error = %e, "not ready");
            let not_ready =
                placecode_core::sync::ApiError { code: "not_ready".into(), message: "数据库不可用".into() };
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(not_ready)).into_response()
        }
    }
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// More requests in flight than the server serves at once: refused now, to be tried again
/// (the answer is worded by [`refusals_in_chinese`]).
pub async fn overloaded(_: tower::BoxError) -> Response {
    let mut res = StatusCode::SERVICE_UNAVAILABLE.into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}

/// One client address holds at most its share of the requests in flight (429 beyond): a script
/// that opens slow requests from one address cannot hold every slot.
pub async fn one_clients_share(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let who = app.client(peer, req.headers());
    let Some(_slot) = app.in_flight.enter(&who) else {
        let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return res;
    };
    next.run(req).await
}

/// An API path that does not exist.
pub async fn no_such_route() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// Every refusal the framework or a layer makes (a body over the limit, a query that does not
/// parse, a wrong method, a timeout, the server busy) answered as the server's own are: under
/// /api/ and the probes `{code, message}` in Chinese, elsewhere the phone pages' Chinese page
/// (a busy one retrying by itself).
pub async fn refusals_in_chinese(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = path.starts_with("/api/") || path == "/healthz" || path == "/readyz";
    let lang = crate::phone::text::Lang::pick(None, req.headers());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let kind = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let ours = if api { kind.starts_with("application/json") } else { kind.starts_with("text/html") };
    if ours {
        return res;
    }
    let (code, message) = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY => {
            ("bad_request", "请求格式不对")
        }
        StatusCode::NOT_FOUND => ("not_found", "未找到该地址"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "不支持该请求方法"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "请求超时，请重试"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "请求内容过大（最多4 MiB）"),
        StatusCode::TOO_MANY_REQUESTS => ("slow_down", "请求过于频繁，请稍后再试"),
        StatusCode::SERVICE_UNAVAILABLE => ("busy", "服务器繁忙，请稍后再试"),
        _ => ("error", "请求未能处理，请稍后重试"),
    };
    let retry = res.headers().get(header::RETRY_AFTER).cloned();
    let mut out = if api {
        (status, axum::Json(placecode_core::sync::ApiError { code: code.into(), message: message.into() }))
            .into_response()
    } else {
        crate::phone::refusal(&app, lang, status)
    };
    if let Some(r) = retry {
        out.headers_mut().insert(header::RETRY_AFTER, r);
    }
    out
}

/// A desk's routes: its credential is checked before its body is read.
pub async fn desk_first(State(app): State<App>, mut req: Request, next: Next) -> Result<Response> {
    let desk = auth::desk(&app.pool, &app.keys.data, req.headers(), Utc::now()).await?;
    req.extensions_mut().insert(desk);
    Ok(next.run(req).await)
}

/// A tracer's routes: the credential and its scope (the route's last segment) are checked
/// before the body is read. A query outside the credential's scopes is refused and audited; an
/// unknown, revoked or expired credential is refused and logged with the address.
pub async fn tracer_first(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let scope = req.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
    let source = app.client(peer, req.headers());
    let tracer = match auth::tracer(&app.pool, req.headers()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(%source, "tracing refused: unknown, revoked or expired credential");
            return Err(e);
        }
    };
    if !tracer.scopes.contains(&scope) {
        let actor = Actor { name: tracer.actor_name(), source, purpose: String::new() };
        crate::audit::write(&app.pool, &actor, "trace_refused", serde_json::json!({"scope": scope}), 0).await?;
        return Err(CentralError::OutOfScope);
    }
    req.extensions_mut().insert(tracer);
    Ok(next.run(req).await)
}

/// Who is tracing, for the audit log: the tracer, from which address, why. Their queries are
/// limited per hour across every server (counted in the audit log itself); a query over the
/// limit is refused and audited too.
async fn tracing_actor(app: &App, t: &Tracer, peer: SocketAddr, headers: &HeaderMap, purpose: &str) -> Result<Actor> {
    let source = app.client(peer, headers);
    let purpose = crate::audit::purpose(purpose)?;
    let actor = Actor { name: t.actor_name(), source, purpose };
    crate::trace::within_hourly_limit(&app.pool, &actor, app.tracer_per_hour).await?;
    Ok(actor)
}

/// Enrolment. Re-enrolling a desk already enrolled takes its current credential as the bearer.
pub async fn enrol(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let req: EnrolRequest = parse(&body)?;
    let mut res = enrolment::enrol(&app.pool, &app.keys.data, &req, auth::bearer(&headers)).await?;
    res.risk_key_hex = hex::encode(app.keys.risk);
    res.public_url = app.public_url.clone();
    Ok(answer(&res))
}

pub async fn push(State(app): State<App>, Extension(desk): Extension<EnrolledDesk>, body: Bytes) -> Result<Response> {
    let req: PushRequest = parse(&body)?;
    let results = pushing::push(&app.pool, &app.keys, &desk, req.records, Utc::now()).await?;
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

pub async fn pull(
    State(app): State<App>,
    Extension(desk): Extension<EnrolledDesk>,
    Query(q): Query<PullQuery>,
) -> Result<Response> {
    Ok(answer(&pulling::pull(&app.pool, &app.keys, &desk, q.cursor, q.limit, Utc::now()).await?))
}

/// A desk whose door tag matched asks whether this person is listed (`risk::confirm`).
pub async fn risk_confirm(
    State(app): State<App>,
    Extension(desk): Extension<EnrolledDesk>,
    body: Bytes,
) -> Result<Response> {
    let req: placecode_core::sync::RiskConfirmRequest = parse(&body)?;
    let number = trace::document_number(&req.document_number)
        .map_err(|_| CentralError::Invalid {
            field: "document_number".into(), message: "证件号：格式不对".into()
        })?;
    Ok(answer(&crate::risk::confirm(&app.pool, &app.keys, desk.id, &number).await?))
}

#[derive(serde::Deserialize)]
pub struct LatestQuery {
    format: String,
    arch: String,
    /// The id of the release key the desk trusts: releases signed with another are not offered.
    key: Option<String>,
}

/// The newest desk release for the asking desk's package format and architecture (`null` when
/// none is published). The desk decides whether it is newer than itself.
pub async fn latest_release(
    State(app): State<App>,
    Extension(_desk): Extension<EnrolledDesk>,
    Query(q): Query<LatestQuery>,
) -> Result<Response> {
    let format = placecode_core::release::PackageFormat::parse(&q.format).ok_or_else(|| CentralError::Invalid {
        field: "format".into(),
        message: "安装包格式：应为 deb 或 rpm".into(),
    })?;
    let name_ok = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if q.arch.is_empty() || !name_ok(&q.arch, 16) {
        return Err(CentralError::Invalid { field: "arch".into(), message: "架构：格式不对".into() });
    }
    // A key id: 16 hexadecimal digits (`release::key_id`), in either case.
    if !q.key.as_deref().is_none_or(|k| k.len() == 16 && k.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(CentralError::Invalid { field: "key".into(), message: "发布公钥编号：格式不对".into() });
    }
    // A key id is hexadecimal, stored as `release::key_id` spells it (upper case).
    let key = q.key.as_deref().map(str::to_ascii_uppercase);
    Ok(answer(&crate::releases::latest(&app.pool, format, &q.arch, key.as_deref()).await?))
}

/// A release's package, by the file name its signature names, sent in slices as they are read
/// (a hundred desks updating hold a slice each, not a package each).
pub async fn release_package(
    State(app): State<App>,
    Extension(_desk): Extension<EnrolledDesk>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Result<Response> {
    let release = crate::releases::find(&app.pool, &file).await?.ok_or(CentralError::NotFound("该版本"))?;
    let size = i64::try_from(release.size).map_err(|_| CentralError::Internal("package size".into()))?;
    let name = release.file_name();
    let pool = app.pool.clone();
    let slices = futures_util::stream::unfold(0i64, move |offset| {
        let (pool, release) = (pool.clone(), release.clone());
        async move {
            if offset >= size {
                return None;
            }
            match crate::releases::slice(&pool, &release, offset, crate::releases::SLICE_BYTES).await {
                Ok(bytes) if !bytes.is_empty() => {
                    let next = offset + bytes.len() as i64;
                    Some((Ok(Bytes::from(bytes)), next))
                }
                // Withdrawn meanwhile, or a database failure: the body ends short and the desk,
                // which knows the size and the hash, discards what it got.
                _ => Some((Err(std::io::Error::other("release slice")), size)),
            }
        }
    });
    let mut res = axum::body::Body::from_stream(slices).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// A tracing query as its handler takes it: the tracer (authenticated before the body was
/// read), the query parsed from the body, and who asks from where and why (limited per hour).
pub struct Traced<Q> {
    query: Q,
    actor: Actor,
}

/// A tracing query's stated purpose (查询用途).
pub trait Purposed {
    fn purpose(&self) -> &str;
}

macro_rules! purposed {
    ($($t:ty),*) => {$(impl Purposed for $t {
        fn purpose(&self) -> &str {
            &self.purpose
        }
    })*};
}
purposed!(trace::PersonQuery, trace::VenueQuery, trace::OverlapQuery, trace_trips::TripQuery);

impl<Q: DeserializeOwned + Purposed + Send> axum::extract::FromRequest<App> for Traced<Q> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> std::result::Result<Self, Response> {
        let tracer =
            req.extensions().get::<Tracer>().cloned().ok_or_else(|| CentralError::Unauthorized.into_response())?;
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| CentralError::Internal("no peer address".into()).into_response())?;
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, app).await.map_err(IntoResponse::into_response)?;
        let query: Q = parse(&body).map_err(IntoResponse::into_response)?;
        let actor =
            tracing_actor(app, &tracer, peer, &headers, query.purpose()).await.map_err(IntoResponse::into_response)?;
        Ok(Traced { query, actor })
    }
}

pub async fn trace_person(State(app): State<App>, t: Traced<trace::PersonQuery>) -> Result<Response> {
    let (page, details) = trace::person(app.db(), &app.keys, &t.actor, &t.query).await?;
    Ok(answer(&serde_json::json!({ "visits": page.rows, "truncated": page.truncated, "details": details })))
}

pub async fn trace_venue(State(app): State<App>, t: Traced<trace::VenueQuery>) -> Result<Response> {
    let page = trace::venue(app.db(), &app.keys, &t.actor, &t.query).await?;
    Ok(answer(&serde_json::json!({ "visits": page.rows, "truncated": page.truncated })))
}

/// 监管: open, closed and overdue trips by checkpoint and destination (tracer credential).
pub async fn trips(State(app): State<App>, t: Traced<trace_trips::TripQuery>) -> Result<Response> {
    let now = Utc::now();
    Ok(answer(&trace_trips::supervise(app.db(), &app.keys, &t.actor, &t.query, app.overdue_hours, now).await?))
}

pub async fn trace_overlap(State(app): State<App>, t: Traced<trace::OverlapQuery>) -> Result<Response> {
    let page = trace::overlap(app.db(), &app.keys, &t.actor, &t.query, Utc::now()).await?;
    Ok(answer(&serde_json::json!({ "overlaps": page.rows, "truncated": page.truncated })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_of_the_wrong_shape_is_refused_in_chinese_without_echoing_it() {
        let cases: [(&[u8], &str); 4] = [
            (b"{", "不是有效的JSON"),
            (br#"{"from": "2026-11-29T00:00:00Z", "to": "2026-11-29T01:00:00Z"}"#, "缺少字段 id_number"),
            (br#"{"id_number": 410202198001010011, "from": 1, "to": 2}"#, "某个字段的类型不对"),
            (br#"{"id_number": "x", "from": "<script>", "to": "y"}"#, "某个字段的取值无法读取"),
        ];
        for (body, want) in cases {
            match parse::<trace::PersonQuery>(body) {
                Err(CentralError::BadRequest(m)) => {
                    assert!(m.contains(want) && !m.contains("script"), "{m}")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
