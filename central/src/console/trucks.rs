//! Trucks and incidents (R9, R7) for supervisors: trips open, overdue (with the crew's phones, to
//! reach them) and closed by checkpoint and day, arrivals that match no entry; and the yellow and
//! red incidents still open, by district, with their steps.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use placecode_core::checkin::IncidentStatus;
use placecode_core::venue::District;
use sqlx::PgPool;
use uuid::Uuid;

use super::text as t;
use super::{beijing, render, Chrome};
use crate::error::Result;
use crate::trips::{self, TripQuery};
use crate::App;

/// A trip as the page shows it.
struct TripRow {
    plate: String,
    checkpoint: String,
    destination: String,
    entered: String,
    status: &'static str,
    overdue: bool,
    /// Crew: name and phone, for trips still on the road; the count otherwise.
    crew: String,
}

struct TrucksText {
    note: &'static str,
    counts: [&'static str; 6],
    trips: &'static str,
    trip_headers: [&'static str; 6],
    loops: &'static str,
    loop_headers: [&'static str; 3],
    unmatched: &'static str,
    unmatched_headers: [&'static str; 3],
    none: &'static str,
    export: &'static str,
    export_full: &'static str,
}

#[derive(Template)]
#[template(path = "console/trucks.html")]
struct TrucksPage<'a> {
    chrome: Chrome<'a>,
    t: TrucksText,
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    all_districts: &'static str,
    show: &'static str,
    export: String,
    export_full: String,
    counts: [i64; 6],
    trips: Vec<TripRow>,
    loops: Vec<(String, String, i64)>,
    unmatched: Vec<(String, String, String)>,
}

fn status_label(s: &str) -> &'static str {
    t::TRIP_STATUS.iter().find(|(k, _)| *k == s).map_or(t::TRIP_STATUS_OTHER, |(_, l)| l)
}

/// What the trucks page and its export show.
struct Trucks {
    counts: [i64; 6],
    trips: Vec<TripRow>,
    loops: Vec<(String, String, i64)>,
    unmatched: Vec<(String, String, String)>,
}

/// The trips of the last 14 days in `district` (audited as `supervise_trips`); the crew's phones
/// of trips still on the road in full when `phones`, their names and phones masked otherwise.
async fn gather(app: &App, actor: &crate::audit::Actor, district: Option<District>, phones: bool) -> Result<Trucks> {
    let query = TripQuery { district: district.map(|d| d.key().to_owned()), ..TripQuery::default() };
    let s = trips::supervise(app.db(), &app.keys, actor, &query, app.overdue_hours, Utc::now()).await?;
    let mut loops: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut rows = Vec::new();
    for st in &s.trips {
        let trip = &st.trip;
        let checkpoint = trip.checkpoint_name.clone().unwrap_or_default();
        if let Some(arrived) = trip.arrived_at {
            let day = arrived.with_timezone(&placecode_core::checkin::shanghai()).format("%Y-%m-%d").to_string();
            *loops.entry((day, checkpoint.clone())).or_default() += 1;
        }
        let on_road = st.status == "open" || st.status == "overdue";
        let crew: Vec<placecode_core::sync::TripCrew> = serde_json::from_value(trip.crew.clone()).unwrap_or_default();
        let crew = if on_road {
            // Masked, the workbook shows neither a name nor a phone in full.
            let shown = |c: &placecode_core::sync::TripCrew| {
                if phones {
                    format!("{} {}", c.name, c.phone)
                } else {
                    format!("{} {}", placecode_core::mask::name(&c.name), placecode_core::mask::phone(&c.phone))
                }
            };
            crew.iter().map(shown).collect::<Vec<_>>().join("；")
        } else {
            format!("{}{}", crew.len(), t::PEOPLE)
        };
        rows.push(TripRow {
            plate: trip.plate.clone(),
            checkpoint,
            destination: trip.destination_name.clone().unwrap_or_default(),
            entered: beijing(trip.entered_at),
            status: status_label(&st.status),
            overdue: st.status == "overdue",
            crew,
        });
    }
    // Overdue first: those are the ones to chase.
    rows.sort_by_key(|r| !r.overdue);
    Ok(Trucks {
        counts: [s.open, s.overdue, s.closed, s.turned_back + s.cancelled + s.verified, s.flagged, s.unmatched],
        trips: rows,
        loops: loops.into_iter().rev().map(|((day, checkpoint), n)| (day, checkpoint, n)).collect(),
        unmatched: s
            .unmatched_arrivals
            .iter()
            .map(|a| (beijing(a.at), a.plate.clone(), a.venue_name.clone().unwrap_or_default()))
            .collect(),
    })
}

pub async fn trucks(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let actor = session.user.actor(&app.client(peer, &headers), t::TRUCKS_PURPOSE);
    let data = match gather(&app, &actor, district, true).await {
        Ok(d) => d,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let page = TrucksPage {
        chrome: Chrome::new(&app, t::TRUCKS_TITLE, Some(&session), "/console/trucks"),
        t: TrucksText {
            note: t::TRUCKS_NOTE,
            counts: t::TRUCKS_COUNTS,
            trips: t::TRUCKS_TRIPS,
            trip_headers: t::TRUCKS_TRIP_HEADERS,
            loops: t::TRUCKS_LOOPS,
            loop_headers: t::TRUCKS_LOOP_HEADERS,
            unmatched: t::TRUCKS_UNMATCHED,
            unmatched_headers: t::TRUCKS_UNMATCHED_HEADERS,
            none: t::NONE,
            export: t::EXPORT_MASKED,
            export_full: t::EXPORT_FULL,
        },
        districts: super::district_choices(&session.user, district),
        all_districts: t::ALL_DISTRICTS,
        show: t::SHOW,
        export: super::export_link("/console/trucks.xlsx", district, false),
        export_full: super::export_link("/console/trucks.xlsx", district, true),
        counts: data.counts,
        trips: data.trips,
        loops: data.loops,
        unmatched: data.unmatched,
    };
    render(&app, StatusCode::OK, &page.chrome.nonce, page.render())
}

/// The three tables as a workbook: crew phones masked unless `full=1` (audited either way).
pub async fn trucks_export(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use super::export::{Cell, Sheet};
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let full = q.get("full").is_some_and(|f| f == "1");
    let actor = session.user.actor(&app.client(peer, &headers), t::TRUCKS_PURPOSE);
    let data = match gather(&app, &actor, district, full).await {
        Ok(d) => d,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let n = data.trips.len();
    let text = |v: Vec<String>| (v.into_iter().map(Cell::from).collect::<Vec<_>>(), false);
    let book = super::export::workbook(vec![
        Sheet {
            name: t::TRUCKS_TRIPS_SHEET,
            headers: &t::TRUCKS_TRIP_HEADERS,
            rows: data
                .trips
                .into_iter()
                .map(|r| text(vec![r.plate, r.checkpoint, r.destination, r.entered, r.status.into(), r.crew]))
                .collect(),
        },
        Sheet {
            name: t::TRUCKS_LOOPS_SHEET,
            headers: &t::TRUCKS_LOOP_HEADERS,
            rows: data
                .loops
                .into_iter()
                .map(|(d, c, n)| (vec![Cell::from(d), Cell::from(c), Cell::from(n)], false))
                .collect(),
        },
        Sheet {
            name: t::TRUCKS_UNMATCHED_SHEET,
            headers: &t::TRUCKS_UNMATCHED_HEADERS,
            rows: data.unmatched.into_iter().map(|(a, p, v)| text(vec![a, p, v])).collect(),
        },
    ]);
    super::audited_xlsx(&app, &session, peer, &headers, "trucks", district, full, n, book, t::TRUCKS_TITLE, Utc::now())
        .await
}

/// An incident still open, as the page shows it.
pub struct Incident {
    pub district: String,
    pub venue: String,
    pub colour: &'static str,
    pub colour_label: &'static str,
    pub reason: String,
    pub held_at: String,
    pub status: &'static str,
    pub at: String,
    /// (when, step, note), oldest first.
    pub steps: Vec<(String, &'static str, String)>,
}

type IncidentRow = (Uuid, Option<String>, Option<String>, String, String, String, String, String, DateTime<Utc>);

/// The incidents not yet released or handed over, newest first (at most 1,000).
pub async fn open_incidents(db: &PgPool, keys: &crate::Keys, district: Option<District>) -> Result<Vec<Incident>> {
    let rows: Vec<IncidentRow> = sqlx::query_as(
        "SELECT i.id, v.district, v.name, i.colour, i.reason, i.held_at, i.reported_to, i.status, i.at
         FROM incidents i LEFT JOIN venues v ON v.id = i.venue_id
         WHERE i.status IN ('isolated', 'reported') AND ($1::text IS NULL OR v.district = $1)
         ORDER BY i.at DESC LIMIT 1000",
    )
    .bind(district.map(District::key))
    .fetch_all(db)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let events: Vec<(Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT incident_id, status, note, at FROM incident_events WHERE incident_id = ANY($1) ORDER BY at",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let label =
        |s: &str| t::INCIDENT_STATUS.iter().find(|(k, _)| *k == IncidentStatus::parse(s).key()).map_or("", |(_, l)| *l);
    let mut steps: HashMap<Uuid, Vec<(String, &'static str, String)>> = HashMap::new();
    for (id, status, note, at) in events {
        let note = keys.data.open(crate::fields::INCIDENT_NOTE, id.as_bytes(), &note)?;
        steps.entry(id).or_default().push((beijing(at), label(&status), note));
    }
    rows.into_iter()
        .map(|(id, district, venue, colour, reason, held_at, reported_to, status, at)| {
            let (colour, colour_label) = colour_shown(&colour);
            Ok(Incident {
                district: district_shown(district),
                venue: venue.unwrap_or_default(),
                colour,
                colour_label,
                reason: keys.data.open(crate::fields::INCIDENT_REASON, id.as_bytes(), &reason)?,
                // Where they are held, and whom the desk said it reports to.
                held_at: format!("{held_at}（{}{reported_to}）", t::REPORTED_TO),
                status: label(&status),
                at: beijing(at),
                steps: steps.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// A stored yellow or red as the page shows it: its class and its label.
fn colour_shown(colour: &str) -> (&'static str, &'static str) {
    if colour == "red" {
        ("red", t::RED)
    } else {
        ("yellow", t::YELLOW)
    }
}

/// A venue's district key as the page shows it: its name, or the key itself if unknown.
fn district_shown(district: Option<String>) -> String {
    match district.as_deref().and_then(District::parse) {
        Some(d) => d.label().to_owned(),
        None => district.unwrap_or_default(),
    }
}

/// The open incidents and the late hits, read together, for the page and the workbook.
async fn incidents_and_late_hits(app: &App, district: Option<District>) -> Result<(Vec<Incident>, Vec<LateHit>)> {
    tokio::try_join!(open_incidents(&app.reads, &app.keys, district), late_hits(&app.reads, district))
}

/// A desk's green check-in of someone the centre held as yellow or red (`late_hits`), as the
/// page shows it: no personal field.
pub struct LateHit {
    pub at: String,
    pub district: String,
    pub venue: String,
    pub colour: &'static str,
    pub colour_label: &'static str,
    pub found_at: String,
}

/// The late hits of the retention window, newest first (at most 1,000).
pub async fn late_hits(db: &PgPool, district: Option<District>) -> Result<Vec<LateHit>> {
    type Row = (DateTime<Utc>, Option<String>, Option<String>, String, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT h.visit_at, v.district, v.name, h.colour, h.found_at
         FROM late_hits h LEFT JOIN venues v ON v.id = h.venue_id
         WHERE ($1::text IS NULL OR v.district = $1)
         ORDER BY h.visit_at DESC LIMIT 1000",
    )
    .bind(district.map(District::key))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, district, venue, colour, found_at)| {
            let (colour, colour_label) = colour_shown(&colour);
            LateHit {
                at: beijing(at),
                district: district_shown(district),
                venue: venue.unwrap_or_default(),
                colour,
                colour_label,
                found_at: beijing(found_at),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "console/incidents.html")]
struct IncidentsPage<'a> {
    chrome: Chrome<'a>,
    note: &'static str,
    headers: [&'static str; 7],
    none: &'static str,
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    all_districts: &'static str,
    show: &'static str,
    export_label: &'static str,
    export: String,
    /// (district, isolated, reported) counts.
    summary: Vec<(String, i64, i64)>,
    summary_headers: [&'static str; 3],
    incidents: Vec<Incident>,
    late_title: &'static str,
    late_note: &'static str,
    late_headers: [&'static str; 5],
    late: Vec<LateHit>,
}

pub async fn incidents(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (list, late) = match incidents_and_late_hits(&app, district).await {
        Ok(l) => l,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let actor = session.user.actor(&app.client(peer, &headers), "");
    let params = serde_json::json!({ "district": district.map(District::key) });
    if let Err(e) = crate::audit::write(&app.pool, &actor, "console_incidents", params, list.len() + late.len()).await {
        return super::server_error(&app, Some(&session), e);
    }
    let mut summary: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let isolated = t::INCIDENT_STATUS.first().map_or("", |(_, l)| *l);
    for i in &list {
        let e = summary.entry(i.district.clone()).or_default();
        if i.status == isolated {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let page = IncidentsPage {
        chrome: Chrome::new(&app, t::INCIDENTS_TITLE, Some(&session), "/console/incidents"),
        note: t::INCIDENTS_NOTE,
        headers: t::INCIDENTS_HEADERS,
        none: t::INCIDENTS_NONE,
        districts: super::district_choices(&session.user, district),
        all_districts: t::ALL_DISTRICTS,
        show: t::SHOW,
        export_label: t::EXPORT,
        export: super::export_link("/console/incidents.xlsx", district, false),
        summary: summary.into_iter().map(|(d, (a, b))| (d, a, b)).collect(),
        summary_headers: t::INCIDENTS_SUMMARY_HEADERS,
        incidents: list,
        late_title: t::LATE_HITS_TITLE,
        late_note: t::LATE_HITS_NOTE,
        late_headers: t::LATE_HITS_HEADERS,
        late,
    };
    render(&app, StatusCode::OK, &page.chrome.nonce, page.render())
}

/// The open incidents as a workbook, their steps in one cell, and the late hits on a second
/// sheet (audited).
pub async fn incidents_export(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use super::export::{Cell, Sheet};
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (list, late) = match incidents_and_late_hits(&app, district).await {
        Ok(l) => l,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let n = list.len() + late.len();
    let late_rows = late
        .into_iter()
        .map(|h| {
            let cells: Vec<Cell> =
                vec![h.at.into(), h.district.into(), h.venue.into(), h.colour_label.into(), h.found_at.into()];
            (cells, false)
        })
        .collect();
    let rows = list
        .into_iter()
        .map(|i| {
            let steps: Vec<String> = i.steps.iter().map(|(at, step, note)| format!("{at} {step}：{note}")).collect();
            let progress = std::iter::once(i.status.to_owned()).chain(steps).collect::<Vec<_>>().join("\n");
            let cells: Vec<Cell> = vec![
                i.at.into(),
                i.district.into(),
                i.venue.into(),
                i.colour_label.into(),
                i.reason.into(),
                i.held_at.into(),
                progress.into(),
            ];
            (cells, false)
        })
        .collect();
    let book = super::export::workbook(vec![
        Sheet { name: t::INCIDENTS_SHEET, headers: &t::INCIDENTS_HEADERS, rows },
        Sheet { name: t::LATE_HITS_TITLE, headers: &t::LATE_HITS_HEADERS, rows: late_rows },
    ]);
    super::audited_xlsx(
        &app,
        &session,
        peer,
        &headers,
        "incidents",
        district,
        false,
        n,
        book,
        t::INCIDENTS_TITLE,
        Utc::now(),
    )
    .await
}
