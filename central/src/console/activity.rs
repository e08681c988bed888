//! Activity (R10): check-ins by hour and by day, by colour, by way in (phone, desk, manual), by
//! district or category, as Apache ECharts charts with the table under each. Read from the
//! hourly counts (migration 0019), never from the visits themselves.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, DurationRound, Utc};
use placecode_core::venue::{Category, District};
use sqlx::PgPool;

use super::text as t;
use super::{render, Chrome};
use crate::audit;
use crate::error::Result;
use crate::App;

/// Folds the counts appended since the last fold into `activity`, and the venues' last
/// check-ins into `venue_seen` (every minute, by every server process: a row is taken by one of
/// them only). Answers how many hourly counts it folded.
pub async fn fold(pool: &PgPool) -> Result<u64> {
    sqlx::query(
        "WITH gone AS (DELETE FROM venue_seen_new RETURNING *)
         INSERT INTO venue_seen (venue_id, last_at) SELECT venue_id, max(last_at) FROM gone GROUP BY venue_id
         ON CONFLICT (venue_id) DO UPDATE SET last_at = greatest(venue_seen.last_at, EXCLUDED.last_at)",
    )
    .execute(pool)
    .await?;
    let folded = sqlx::query(
        "WITH gone AS (DELETE FROM activity_new RETURNING *)
         INSERT INTO activity (hour, district, category, colour, way, n)
         SELECT hour, district, category, colour, way, sum(n)::bigint FROM gone GROUP BY 1, 2, 3, 4, 5
         ON CONFLICT (hour, district, category, colour, way) DO UPDATE SET n = activity.n + EXCLUDED.n",
    )
    .execute(pool)
    .await?;
    Ok(folded.rows_affected())
}

/// Counts by colour for each label of one chart, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Series {
    pub labels: Vec<String>,
    pub green: Vec<i64>,
    pub yellow: Vec<i64>,
    pub red: Vec<i64>,
}

impl Series {
    fn with_labels(labels: Vec<String>) -> Series {
        let n = labels.len();
        Series { labels, green: vec![0; n], yellow: vec![0; n], red: vec![0; n] }
    }

    fn add(&mut self, i: usize, colour: &str, n: i64) {
        let slot = match colour {
            "red" => self.red.get_mut(i),
            "yellow" => self.yellow.get_mut(i),
            "green" => self.green.get_mut(i),
            _ => None,
        };
        if let Some(s) = slot {
            *s += n;
        }
    }

    /// (label, green, yellow, red, total) for the table under the chart.
    pub fn rows(&self) -> Vec<(String, i64, i64, i64, i64)> {
        self.labels
            .iter()
            .zip(&self.green)
            .zip(&self.yellow)
            .zip(&self.red)
            .map(|(((l, g), y), r)| (l.clone(), *g, *y, *r, g + y + r))
            .collect()
    }

    /// The same without the labels whose counts are all zero.
    fn without_empty(self) -> Series {
        let mut kept = Series::default();
        for (label, g, y, r, n) in self.rows() {
            if n > 0 {
                kept.labels.push(label);
                kept.green.push(g);
                kept.yellow.push(y);
                kept.red.push(r);
            }
        }
        kept
    }
}

/// Every chart of the page.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Charts {
    pub hours: Series,
    pub days: Series,
    pub ways: Series,
    pub areas: Series,
}

type Counted = (DateTime<Utc>, String, String, String, String, i64);

/// The charts for one district (`Some`) or all, over the last 14 days up to `now`.
pub async fn charts(db: &PgPool, district: Option<District>, now: DateTime<Utc>) -> Result<Charts> {
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let tz = placecode_core::checkin::shanghai();
    let today = now.with_timezone(&tz).date_naive();
    let first_day = today - chrono::Days::new(13);
    let since = first_day
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(tz).single())
        .map_or(now - Duration::days(14), |d| d.with_timezone(&Utc));
    let counted: Vec<Counted> = sqlx::query_as(
        "SELECT hour, district, category, colour, way, sum(n)::bigint FROM (
             SELECT * FROM activity WHERE hour >= $2 AND hour <= $3
             UNION ALL SELECT * FROM activity_new WHERE hour >= $2 AND hour <= $3
         ) a WHERE $1::text IS NULL OR district = $1
         GROUP BY 1, 2, 3, 4, 5",
    )
    .bind(district.map(District::key))
    .bind(since)
    .bind(this_hour)
    .fetch_all(db)
    .await?;

    let hour_labels: Vec<String> = (0..24)
        .rev()
        .map(|h| (this_hour - Duration::hours(h)).with_timezone(&tz).format("%m-%d %H:00").to_string())
        .collect();
    let day_labels: Vec<String> =
        (0..14).map(|d| (first_day + chrono::Days::new(d)).format("%m-%d").to_string()).collect();
    let ways = [("phone", t::WAY_PHONE), ("desk", t::WAY_DESK), ("manual", t::WAY_MANUAL)];
    // A city's supervisor compares districts; a district's compares its categories.
    let areas: Vec<(&str, &str)> = match district {
        None => District::ALL.iter().map(|d| (d.key(), d.label())).collect(),
        Some(_) => Category::ALL.iter().map(|c| (c.key(), c.label())).collect(),
    };
    let mut charts = Charts {
        hours: Series::with_labels(hour_labels),
        days: Series::with_labels(day_labels),
        ways: Series::with_labels(ways.iter().map(|(_, l)| (*l).to_owned()).collect()),
        areas: Series::with_labels(areas.iter().map(|(_, l)| (*l).to_owned()).collect()),
    };
    let week_ago = this_hour - Duration::days(7);
    for (hour, d, c, colour, way, n) in counted {
        let back = (this_hour - hour).num_hours();
        if (0..24).contains(&back) {
            charts.hours.add(23 - back as usize, &colour, n);
        }
        let day = hour.with_timezone(&tz).date_naive();
        if let Ok(i) = usize::try_from((day - first_day).num_days()) {
            charts.days.add(i, &colour, n);
        }
        if hour > week_ago {
            if let Some(i) = ways.iter().position(|(k, _)| *k == way) {
                charts.ways.add(i, &colour, n);
            }
            let area = if district.is_none() { &d } else { &c };
            if let Some(i) = areas.iter().position(|(k, _)| k == area) {
                charts.areas.add(i, &colour, n);
            }
        }
    }
    // Areas with nothing in the week are left out of the chart (and the table).
    charts.areas = charts.areas.without_empty();
    Ok(charts)
}

/// One chart and its table.
struct Panel {
    id: &'static str,
    title: &'static str,
    /// What the table's first column holds.
    first: &'static str,
    kind: &'static str,
    data: String,
    rows: Vec<(String, i64, i64, i64, i64)>,
}

#[derive(Template)]
#[template(path = "console/activity.html")]
struct ActivityPage<'a> {
    chrome: Chrome<'a>,
    note: &'static str,
    headers: [&'static str; 5],
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    all_districts: &'static str,
    show: &'static str,
    panels: Vec<Panel>,
    script: &'static str,
    legend: String,
    missing: &'static str,
    empty: &'static str,
    export: String,
    export_label: &'static str,
}

/// Draws every `[data-chart]` from the JSON beside it; says so where ECharts is not there.
const SCRIPT: &str = "(function(){var L=JSON.parse(document.getElementById('legend').textContent);\
document.querySelectorAll('[data-chart]').forEach(function(el){\
if(!window.echarts){el.textContent=el.getAttribute('data-missing');return}\
var d=JSON.parse(document.getElementById(el.id+'-data').textContent),bar=el.getAttribute('data-kind')==='bar';\
if(!d.green.concat(d.yellow,d.red).some(function(n){return n>0})){el.textContent=el.getAttribute('data-empty');el.className+=' empty';return}\
var s=[['green',L[0],'#0a8f45'],['yellow',L[1],'#e0a800'],['red',L[2],'#c40d0d']].map(function(c){\
return{name:c[1],type:bar?'bar':'line',stack:'n',data:d[c[0]],itemStyle:{color:c[2]},areaStyle:bar?undefined:{opacity:.25},\
smooth:!bar,emphasis:{focus:'series'}}});\
var c=echarts.init(el,null,{renderer:'canvas'});c.setOption({animation:false,tooltip:{trigger:'axis'},legend:{top:0},\
grid:{left:48,right:16,top:32,bottom:48},xAxis:{type:'category',data:d.labels,axisLabel:{interval:'auto',rotate:d.labels.length>12?30:0}},\
yAxis:{type:'value',minInterval:1},series:s});window.addEventListener('resize',function(){c.resize()})})})();";

pub async fn show(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let charts = match charts(&app.reads, district, Utc::now()).await {
        Ok(c) => c,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let actor = session.user.actor(&app.client(peer, &headers), "");
    let params = serde_json::json!({ "district": district.map(District::key) });
    if let Err(e) = audit::write(&app.pool, &actor, "console_activity", params, 0).await {
        return super::server_error(&app, Some(&session), e);
    }
    let (area_title, area_first) = match district {
        None => (t::ACTIVITY_BY_DISTRICT, t::ACTIVITY_DISTRICT),
        Some(_) => (t::ACTIVITY_BY_CATEGORY, t::ACTIVITY_CATEGORY),
    };
    let panel = |id, title, first, kind, s: &Series| Panel {
        id,
        title,
        first,
        kind,
        // Inside a JSON script element: `<` is written as an escape, so no text closes it.
        data: serde_json::to_string(s).unwrap_or_default().replace('<', "\\u003c"),
        rows: s.rows(),
    };
    let page = ActivityPage {
        chrome: Chrome::new(&app, t::ACTIVITY_TITLE, Some(&session), "/console/activity"),
        note: t::ACTIVITY_NOTE,
        headers: t::ACTIVITY_HEADERS,
        districts: super::district_choices(&session.user, district),
        all_districts: t::ALL_DISTRICTS,
        show: t::SHOW,
        panels: vec![
            panel("chart-hours", t::ACTIVITY_BY_HOUR, t::ACTIVITY_HOUR, "bar", &charts.hours),
            panel("chart-days", t::ACTIVITY_BY_DAY, t::ACTIVITY_DAY, "bar", &charts.days),
            panel("chart-ways", t::ACTIVITY_BY_WAY, t::ACTIVITY_WAY, "bar", &charts.ways),
            panel("chart-areas", area_title, area_first, "bar", &charts.areas),
        ],
        script: SCRIPT,
        legend: serde_json::to_string(&[t::GREEN, t::YELLOW, t::RED]).unwrap_or_default(),
        missing: t::ACTIVITY_NO_CHARTS,
        empty: t::ACTIVITY_EMPTY,
        export: super::export_link("/console/activity.xlsx", district, false),
        export_label: t::EXPORT,
    };
    render(&app, StatusCode::OK, &page.chrome.nonce, page.render())
}

/// The four tables as one workbook (audited).
pub async fn export(
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
    let now = Utc::now();
    let charts = match charts(&app.reads, district, now).await {
        Ok(c) => c,
        Err(e) => return super::server_error(&app, Some(&session), e),
    };
    let named = |first: &'static str| {
        let mut h = t::ACTIVITY_HEADERS;
        h[0] = first;
        h
    };
    let area_first = if district.is_none() { t::ACTIVITY_DISTRICT } else { t::ACTIVITY_CATEGORY };
    let area = if district.is_none() { t::ACTIVITY_SHEET_DISTRICTS } else { t::ACTIVITY_SHEET_CATEGORIES };
    let tables = [
        (t::ACTIVITY_SHEET_HOURS, named(t::ACTIVITY_HOUR), &charts.hours),
        (t::ACTIVITY_SHEET_DAYS, named(t::ACTIVITY_DAY), &charts.days),
        (t::ACTIVITY_SHEET_WAYS, named(t::ACTIVITY_WAY), &charts.ways),
        (area, named(area_first), &charts.areas),
    ];
    let book = super::export::workbook(
        tables
            .iter()
            .map(|(name, header, s)| Sheet {
                name,
                headers: &header[..],
                rows: s
                    .rows()
                    .into_iter()
                    .map(|(l, g, y, r, n)| (vec![Cell::from(l), g.into(), y.into(), r.into(), n.into()], false))
                    .collect(),
            })
            .collect(),
    );
    super::audited_xlsx(&app, &session, peer, &headers, "activity", district, false, 0, book, t::ACTIVITY_TITLE, now)
        .await
}

/// Apache ECharts, built into the server (see `build.rs`); cached for a day.
pub async fn echarts() -> Response {
    const SCRIPT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/echarts.min.js"));
    if SCRIPT.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut res = SCRIPT.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_adds_by_colour_and_totals_each_label() {
        let mut s = Series::with_labels(vec!["a".into(), "b".into()]);
        s.add(0, "green", 3);
        s.add(0, "red", 1);
        s.add(1, "yellow", 2);
        s.add(1, "purple", 5);
        s.add(7, "green", 9);
        assert_eq!(s.rows(), [("a".to_owned(), 3, 0, 1, 4), ("b".to_owned(), 0, 2, 0, 2)]);
        let mut t = Series::with_labels(vec!["x".into(), "y".into()]);
        t.add(1, "red", 1);
        assert_eq!(t.without_empty().rows(), [("y".to_owned(), 0, 0, 1, 1)]);
    }
}
