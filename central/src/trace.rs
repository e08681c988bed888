//! Tracing (追溯, R11): a person's visits, everyone at a venue, and everyone who overlapped a
//! person (时空伴随). Every query is written to the audit log with who asked.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{CentralError, Result};

/// A visit as tracing shows it: the screen's purpose is to find and reach people, so identity
/// and phone are shown in full to the authorised tracer.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct TracedVisit {
    pub visit_id: Uuid,
    pub at: DateTime<Utc>,
    pub venue_id: Uuid,
    pub venue_name: Option<String>,
    pub name: String,
    pub document_number: String,
    pub phone: Option<String>,
    pub colour: String,
    pub source: String,
    /// The person's keyed hash: opens their sealed fields; never sent.
    #[serde(skip)]
    pub id_hash: Vec<u8>,
}

impl TracedVisit {
    fn opened(mut self, keys: &crate::fields::DataKeys) -> Result<TracedVisit> {
        let h = std::mem::take(&mut self.id_hash);
        crate::people::open_fields(keys, &h, &mut self.name, &mut self.document_number, &mut self.phone)?;
        Ok(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PersonQuery {
    pub id_number: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VenueQuery {
    pub venue_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OverlapQuery {
    pub id_number: String,
    /// Within how many hours of the person's visit (default 2).
    #[serde(default = "two")]
    pub hours: i64,
}

fn two() -> i64 {
    2
}

/// One person who overlapped: where and when they were, next to whose visit.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct Overlap {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub visit: TracedVisit,
    /// The traced person's visit it overlapped.
    pub near_visit_id: Uuid,
    pub minutes_apart: f64,
}

const SELECT: &str = "SELECT v.id AS visit_id, v.at, v.venue_id, ve.name AS venue_name, p.name, p.document_number,
    p.phone, v.colour, v.source, p.id_hash FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN venues ve ON ve.id = v.venue_id";

fn id_hash(key: &[u8; 32], raw: &str) -> Result<Vec<u8>> {
    Ok(placecode::risk::id_hash(key, &document_number(raw)?).to_vec())
}

/// A document number as typed: a resident ID checked and normalized; another document (5 to 32
/// letters and digits) uppercased.
pub fn document_number(raw: &str) -> Result<String> {
    let today = placecode::sync::shanghai_date(Utc::now());
    // Resident IDs are checked and normalized; other documents match as typed, uppercased.
    placecode::identity::resident_id(raw, today)
        .map(|id| id.number)
        .or_else(|e| {
            let s = placecode::normalize::compact(raw).to_ascii_uppercase();
            if s.chars().all(|c| c.is_ascii_digit())
                || !(5..=32).contains(&s.len())
                || !s.chars().all(|c| c.is_ascii_alphanumeric())
            {
                Err(e)
            } else {
                Ok(s)
            }
        })
        .map_err(|m| CentralError::Invalid { field: "id_number".into(), message: format!("证件号：{m}") })
}

fn window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if to <= from || to - from > Duration::days(60) {
        return Err(CentralError::Invalid {
            field: "to".into(),
            message: "时间范围：结束应晚于开始，且不超过60天".into(),
        });
    }
    Ok(())
}

async fn audit(pool: &PgPool, actor: &str, action: &str, params: serde_json::Value, results: usize) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (actor, action, params, results) VALUES ($1, $2, $3, $4)")
        .bind(actor)
        .bind(action)
        .bind(params)
        .bind(results as i64)
        .execute(pool)
        .await?;
    Ok(())
}

/// The audit log keeps who was traced as a masked number, not in clear.
fn masked(raw: &str) -> String {
    placecode::mask::id_number(&placecode::normalize::compact(raw).to_ascii_uppercase())
}

pub async fn person(pool: &PgPool, keys: &crate::Keys, actor: &str, q: &PersonQuery) -> Result<Vec<TracedVisit>> {
    window(q.from, q.to)?;
    let h = id_hash(&keys.lookup, &q.id_number)?;
    let rows: Vec<TracedVisit> = sqlx::query_as(&format!(
        "{SELECT} WHERE v.person_id = (SELECT id FROM people WHERE id_hash = $1) AND v.at >= $2 AND v.at < $3
         ORDER BY v.at"
    ))
    .bind(h)
    .bind(q.from)
    .bind(q.to)
    .fetch_all(pool)
    .await?;
    let params = serde_json::json!({"id_number": masked(&q.id_number), "from": q.from, "to": q.to});
    audit(pool, actor, "trace_person", params, rows.len()).await?;
    rows.into_iter().map(|r| r.opened(&keys.data)).collect()
}

pub async fn venue(pool: &PgPool, keys: &crate::Keys, actor: &str, q: &VenueQuery) -> Result<Vec<TracedVisit>> {
    window(q.from, q.to)?;
    let rows: Vec<TracedVisit> =
        sqlx::query_as(&format!("{SELECT} WHERE v.venue_id = $1 AND v.at >= $2 AND v.at < $3 ORDER BY v.at"))
            .bind(q.venue_id)
            .bind(q.from)
            .bind(q.to)
            .fetch_all(pool)
            .await?;
    audit(pool, actor, "trace_venue", serde_json::to_value(q).unwrap_or_default(), rows.len()).await?;
    rows.into_iter().map(|r| r.opened(&keys.data)).collect()
}

/// 时空伴随: everyone at the same venue within `hours` of one of the person's visits in the last
/// 14 days. Each of the person's visits is one index range scan on (venue_id, at).
pub async fn overlap(
    pool: &PgPool,
    keys: &crate::Keys,
    actor: &str,
    q: &OverlapQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Overlap>> {
    if !(1..=72).contains(&q.hours) {
        return Err(CentralError::Invalid {
            field: "hours".into(), message: "时间间隔：应为1至72小时".into()
        });
    }
    let h = id_hash(&keys.lookup, &q.id_number)?;
    let rows: Vec<Overlap> = sqlx::query_as(
        "WITH me AS (SELECT id FROM people WHERE id_hash = $1),
         mine AS (SELECT v.id, v.venue_id, v.at FROM visits v, me
                  WHERE v.person_id = me.id AND v.at >= $2 - interval '14 days' AND v.at <= $2)
         SELECT DISTINCT ON (o.id) o.id AS visit_id, o.at, o.venue_id, ve.name AS venue_name, p.name,
             p.document_number, p.phone, o.colour, o.source, p.id_hash, m.id AS near_visit_id,
             (abs(extract(epoch FROM o.at - m.at)) / 60.0)::float8 AS minutes_apart
         FROM mine m
         JOIN visits o ON o.venue_id = m.venue_id
             AND o.at BETWEEN m.at - make_interval(hours => $3) AND m.at + make_interval(hours => $3)
         JOIN people p ON p.id = o.person_id
         LEFT JOIN venues ve ON ve.id = o.venue_id
         WHERE o.person_id <> (SELECT id FROM me)
         ORDER BY o.id, abs(extract(epoch FROM o.at - m.at))",
    )
    .bind(h)
    .bind(now)
    .bind(q.hours as i32)
    .fetch_all(pool)
    .await?;
    let params = serde_json::json!({"id_number": masked(&q.id_number), "hours": q.hours});
    audit(pool, actor, "trace_overlap", params, rows.len()).await?;
    rows.into_iter().map(|o| Ok(Overlap { visit: o.visit.opened(&keys.data)?, ..o })).collect()
}

/// Makes a tracer's token (追溯查询凭证).
pub async fn make_tracer(pool: &PgPool, name: &str) -> Result<String> {
    placecode::sync::text("name", "姓名", name, 40).map_err(CentralError::invalid)?;
    let token = crate::auth::new_secret("pct_")?;
    sqlx::query("INSERT INTO tracers (id, name, token_hash) VALUES ($1, $2, $3)")
        .bind(Uuid::now_v7())
        .bind(name)
        .bind(crate::auth::hash_secret(&token))
        .execute(pool)
        .await?;
    Ok(token)
}
