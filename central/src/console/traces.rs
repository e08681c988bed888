//! Tracing in the console (R11): a person's visits in a window, and who overlapped them
//! (时空伴随), as a table and a timeline. A purpose is required and audited with each query;
//! tracers see identities in full (finding and reaching people is the screen's purpose), the
//! city's supervisors see them masked; the hourly limit is the tracing API's.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::text as t;
use super::{form, message, render, signed_in, Chrome, Role, Session};
use crate::error::CentralError;
use crate::trace::{self, TracedVisit};
use crate::App;

/// Whether a role may trace, and whether it sees identities in full.
pub fn sees(role: Role) -> Option<Identity> {
    match role {
        Role::Tracer => Some(Identity::Full),
        Role::City => Some(Identity::Masked),
        Role::District(_) => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Full,
    Masked,
}

/// The form as typed (shown again with the answer or the error).
#[derive(Debug, Default)]
struct Asked {
    kind: String,
    id_number: String,
    /// 场所: a venue's name (or part of it) for a venue's people.
    venue: String,
    venue_id: String,
    from: String,
    to: String,
    hours: String,
    purpose: String,
}

/// One visit as the page shows it.
struct Shown {
    at: String,
    venue: String,
    name: String,
    id_number: String,
    phone: String,
    colour: &'static str,
    colour_label: &'static str,
    source: &'static str,
    unverified: bool,
    apart: String,
}

struct TraceText {
    note: &'static str,
    kind_person: &'static str,
    kind_overlap: &'static str,
    kind_venue: &'static str,
    venue: &'static str,
    venue_hint: &'static str,
    id_number: &'static str,
    from: &'static str,
    to: &'static str,
    hours: &'static str,
    purpose: &'static str,
    purpose_hint: &'static str,
    run: &'static str,
    headers: [&'static str; 8],
    overlap_headers: [&'static str; 1],
    none: &'static str,
    truncated: &'static str,
    masked: &'static str,
    export: &'static str,
    full: &'static str,
    timeline: &'static str,
    unverified: &'static str,
}

const TEXT: TraceText = TraceText {
    note: t::TRACE_NOTE,
    kind_person: t::TRACE_PERSON,
    kind_overlap: t::TRACE_OVERLAP,
    kind_venue: t::TRACE_VENUE,
    venue: t::TRACE_VENUE_LABEL,
    venue_hint: t::TRACE_VENUE_HINT,
    id_number: t::TRACE_ID_NUMBER,
    from: t::TRACE_FROM,
    to: t::TRACE_TO,
    hours: t::TRACE_HOURS,
    purpose: t::TRACE_PURPOSE,
    purpose_hint: t::TRACE_PURPOSE_HINT,
    run: t::TRACE_RUN,
    headers: t::TRACE_HEADERS,
    overlap_headers: [t::TRACE_APART],
    none: t::TRACE_NONE,
    truncated: t::TRACE_TRUNCATED,
    masked: t::TRACE_MASKED,
    export: t::TRACE_EXPORT,
    full: t::TRACE_EXPORT_FULL,
    timeline: t::TRACE_TIMELINE,
    unverified: t::TRACE_UNVERIFIED,
};

/// A Beijing date and that day's visits: (time, venue, colour).
type Day = (String, Vec<(String, String, &'static str)>);

#[derive(Template)]
#[template(path = "console/trace.html")]
struct TracePage<'a> {
    chrome: Chrome<'a>,
    t: TraceText,
    asked: Asked,
    masked: bool,
    error: Option<String>,
    field: String,
    /// Venues to choose from: (id, name and address).
    choices: Vec<(String, String)>,
    /// None before a query runs.
    rows: Option<Vec<Shown>>,
    overlap: bool,
    truncated: bool,
    /// The person's visits by day (Beijing dates), for the timeline.
    days: Vec<Day>,
}

fn page(app: &App, status: StatusCode, session: &Session, asked: Asked, outcome: Outcome) -> Response {
    let masked = sees(session.user.role) == Some(Identity::Masked);
    let (rows, truncated, error, field) = match outcome {
        Outcome::Form => (None, false, None, String::new()),
        Outcome::Answer(rows, truncated) => (Some(rows), truncated, None, String::new()),
        Outcome::Refused(field, message) => (None, false, Some(message), field),
    };
    // Several venues hold the typed name: they are offered as buttons.
    let (error, choices) = match (field.as_str(), error) {
        ("venue_choices", Some(list)) => {
            let many: Vec<(uuid::Uuid, String, String)> = serde_json::from_str(&list).unwrap_or_default();
            let more = many.len() > 10;
            let choices: Vec<(String, String)> = many
                .into_iter()
                .take(10)
                .map(|(id, name, address)| (id.to_string(), format!("{name}（{address}）")))
                .collect();
            (Some(if more { t::TRACE_VENUE_MANY_MORE } else { t::TRACE_VENUE_MANY }.to_owned()), choices)
        }
        (_, e) => (e, Vec::new()),
    };
    let overlap = asked.kind == "overlap";
    let mut days: Vec<Day> = Vec::new();
    if !overlap {
        for r in rows.iter().flatten() {
            let (day, time) = r.at.split_once(' ').unwrap_or((&r.at, ""));
            if days.last().is_none_or(|(d, _)| d != day) {
                days.push((day.to_owned(), Vec::new()));
            }
            if let Some((_, items)) = days.last_mut() {
                items.push((time.to_owned(), r.venue.clone(), r.colour));
            }
        }
    }
    let p = TracePage {
        chrome: Chrome::new(app, t::TRACE_TITLE, Some(session), "/console/trace"),
        t: TEXT,
        asked,
        masked,
        error,
        field,
        choices,
        rows,
        overlap,
        truncated,
        days,
    };
    render(app, status, &p.chrome.nonce, p.render())
}

enum Outcome {
    Form,
    Answer(Vec<Shown>, bool),
    Refused(String, String),
}

pub async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if sees(session.user.role).is_none() {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FORBIDDEN);
    }
    let today = placecode_core::sync::shanghai_date(Utc::now());
    let asked = Asked {
        kind: "person".into(),
        from: (today - chrono::Days::new(13)).to_string(),
        to: today.to_string(),
        hours: "2".into(),
        ..Asked::default()
    };
    page(&app, StatusCode::OK, &session, asked, Outcome::Form)
}

pub async fn run(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match signed_in(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(identity) = sees(session.user.role) else {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FORBIDDEN);
    };
    let f: HashMap<String, String> = form(&body);
    let sent = f.get("csrf").map(String::as_str).unwrap_or_default();
    if !super::sent_from_here(&app, &session, &headers, sent) {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FOREIGN_FORM);
    }
    let get = |k: &str, max: usize| f.get(k).map(|v| v.chars().take(max).collect::<String>()).unwrap_or_default();
    let asked = Asked {
        kind: match get("kind", 10).as_str() {
            "overlap" => "overlap".into(),
            "venue" => "venue".into(),
            _ => "person".into(),
        },
        id_number: get("id_number", 40),
        venue: get("venue", 100),
        venue_id: get("venue_id", 40),
        from: get("from", 10),
        to: get("to", 10),
        hours: get("hours", 3),
        purpose: get("purpose", 1000),
    };
    let source = app.client(peer, &headers);
    // 导出Excel: masked unless a tracer asks for people in full (audited either way).
    let export = f.get("export").is_some_and(|v| v == "1");
    let full = identity == Identity::Full && f.get("full").is_some_and(|v| v == "1");
    let identity = if export && !full { Identity::Masked } else { identity };
    let mut asked = asked;
    match query(&app, &session, &mut asked, &source, identity).await {
        Ok((rows, _)) if export => {
            let n = rows.len();
            let book = workbook(rows, asked.kind == "overlap");
            let title = match asked.kind.as_str() {
                "overlap" => t::TRACE_OVERLAP_FILE,
                "venue" => t::TRACE_VENUE_FILE,
                _ => t::TRACE_PERSON_FILE,
            };
            super::audited_xlsx(&app, &session, peer, &headers, "trace", None, full, n, book, title, Utc::now()).await
        }
        Ok((rows, truncated)) => page(&app, StatusCode::OK, &session, asked, Outcome::Answer(rows, truncated)),
        Err(CentralError::Invalid { field, message }) => {
            page(&app, StatusCode::BAD_REQUEST, &session, asked, Outcome::Refused(field, message))
        }
        Err(e @ CentralError::TooManyQueries) => {
            page(&app, StatusCode::TOO_MANY_REQUESTS, &session, asked, Outcome::Refused(String::new(), e.to_string()))
        }
        Err(e) => super::server_error(&app, Some(&session), e),
    }
}

/// The venue asked for: the one chosen from a list (`venue_id`), or the only venue whose name
/// holds what was typed; several are offered to choose from (as the error's list).
async fn venue(app: &App, asked: &Asked) -> Result<(uuid::Uuid, String), CentralError> {
    use placecode_core::normalize::comparable;
    // A venue chosen from the list stays chosen while the name typed is still part of its name.
    if let Ok(id) = uuid::Uuid::parse_str(asked.venue_id.trim()) {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM venues WHERE id = $1").bind(id).fetch_optional(&app.reads).await?;
        if let Some(name) = name.filter(|n| comparable(n).contains(&comparable(&asked.venue))) {
            return Ok((id, name));
        }
    }
    let typed = placecode_core::normalize::clean(&asked.venue);
    if typed.chars().count() < 2 {
        return Err(CentralError::Invalid { field: "venue".into(), message: t::TRACE_VENUE_REQUIRED.into() });
    }
    let like = format!("%{}%", typed.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let found: Vec<(uuid::Uuid, String, String)> =
        sqlx::query_as("SELECT id, name, address FROM venues WHERE name ILIKE $1 ORDER BY name LIMIT 11")
            .bind(&like)
            .fetch_all(&app.reads)
            .await?;
    match found.as_slice() {
        [] => Err(CentralError::Invalid { field: "venue".into(), message: t::TRACE_VENUE_NONE.into() }),
        [(id, name, _)] => Ok((*id, name.clone())),
        many => Err(CentralError::Invalid {
            field: "venue_choices".into(),
            message: serde_json::to_string(many).unwrap_or_default(),
        }),
    }
}

/// A Beijing date typed in the form, as the start of that day.
fn day_start(field: &str, label: &str, raw: &str) -> Result<DateTime<Utc>, CentralError> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| CentralError::Invalid {
        field: field.into(),
        message: format!("{label}：{}", t::TRACE_BAD_DATE),
    })?;
    date.and_time(NaiveTime::MIN)
        .and_local_timezone(placecode_core::checkin::shanghai())
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| CentralError::Invalid {
            field: field.into(),
            message: format!("{label}：{}", t::TRACE_BAD_DATE),
        })
}

async fn query(
    app: &App,
    session: &Session,
    asked: &mut Asked,
    source: &str,
    identity: Identity,
) -> Result<(Vec<Shown>, bool), CentralError> {
    let purpose = crate::audit::purpose(&asked.purpose)?;
    let actor = session.user.actor(source, &purpose);
    let keys = &app.keys;
    if asked.kind == "venue" {
        // The venue found is shown in the form and kept for the next query or export.
        let (venue, name) = venue(app, asked).await?;
        (asked.venue, asked.venue_id) = (name, venue.to_string());
        let from = day_start("from", t::TRACE_FROM, &asked.from)?;
        let to = day_start("to", t::TRACE_TO, &asked.to)? + chrono::TimeDelta::days(1);
        let q = trace::VenueQuery { venue_id: venue, from, to, purpose: purpose.clone() };
        trace::within_hourly_limit(&app.pool, &actor, app.tracer_per_hour).await?;
        let page = trace::venue(app.db(), keys, &actor, &q).await?;
        let rows = page.rows.into_iter().map(|v| shown(v, identity, String::new())).collect();
        return Ok((rows, page.truncated));
    }
    // The number is checked before anything counts against the hour.
    trace::document_number(&asked.id_number)?;
    if asked.kind == "overlap" {
        let hours: i64 = asked
            .hours
            .trim()
            .parse()
            .map_err(|_| CentralError::Invalid { field: "hours".into(), message: t::TRACE_BAD_HOURS.into() })?;
        let q = trace::OverlapQuery { id_number: asked.id_number.clone(), hours, purpose: purpose.clone() };
        trace::within_hourly_limit(&app.pool, &actor, app.tracer_per_hour).await?;
        let page = trace::overlap(app.db(), keys, &actor, &q, Utc::now()).await?;
        let rows = page.rows.into_iter().map(|o| shown(o.visit, identity, format!("{:.0}", o.minutes_apart))).collect();
        return Ok((rows, page.truncated));
    }
    let from = day_start("from", t::TRACE_FROM, &asked.from)?;
    let to = day_start("to", t::TRACE_TO, &asked.to)? + chrono::TimeDelta::days(1);
    let q = trace::PersonQuery { id_number: asked.id_number.clone(), from, to, purpose: purpose.clone() };
    trace::within_hourly_limit(&app.pool, &actor, app.tracer_per_hour).await?;
    let (page, _) = trace::person(app.db(), keys, &actor, &q).await?;
    let rows = page.rows.into_iter().map(|v| shown(v, identity, String::new())).collect();
    Ok((rows, page.truncated))
}

/// The answer as a workbook, with the table's headers.
fn workbook(rows: Vec<Shown>, overlap: bool) -> crate::Result<Vec<u8>> {
    use super::export::{Cell, Sheet};
    let mut headers: Vec<&str> = t::TRACE_HEADERS.to_vec();
    if overlap {
        headers.push(t::TRACE_APART);
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            let mut cells: Vec<Cell> = vec![
                r.at.into(),
                r.venue.into(),
                r.name.into(),
                r.id_number.into(),
                r.phone.into(),
                r.colour_label.into(),
                r.source.into(),
                if r.unverified { t::TRACE_UNVERIFIED } else { "" }.into(),
            ];
            if overlap {
                cells.push(r.apart.into());
            }
            (cells, false)
        })
        .collect();
    super::export::workbook(vec![Sheet { name: t::TRACE_TITLE, headers: &headers, rows }])
}

fn shown(v: TracedVisit, identity: Identity, apart: String) -> Shown {
    use placecode_core::mask;
    let (colour, colour_label) = match v.colour.as_str() {
        "red" => ("red", t::RED),
        "yellow" => ("yellow", t::YELLOW),
        _ => ("green", t::GREEN),
    };
    let phone = v.phone.unwrap_or_default();
    let full = identity == Identity::Full;
    Shown {
        at: super::beijing(v.at),
        venue: v.venue_name.unwrap_or_default(),
        name: if full { v.name } else { mask::name(&v.name) },
        id_number: if full { v.document_number } else { mask::id_number(&v.document_number) },
        phone: if full || phone.is_empty() { phone } else { mask::phone(&phone) },
        colour,
        colour_label,
        source: if v.source == "phone" { t::SOURCE_PHONE } else { t::SOURCE_DESK },
        unverified: !v.verified,
        apart,
    }
}
