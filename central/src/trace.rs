//! Tracing (追溯, R11): a person's visits, everyone at a venue, and everyone who overlapped a
//! person (时空伴随). Every query is written to the audit log with who asked.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Db;
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
    /// False for a visit declared on a phone that is not the person's own (someone typed an ID
    /// number already on file): perhaps not the person at all. Such visits never start an
    /// overlap search.
    pub verified: bool,
    /// For a visit that is not verified: what the declaring phone typed (name, address, phone),
    /// perhaps the person who was really there.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<crate::people::Said>,
    /// What that phone typed, sealed; opened into `declared`.
    #[serde(skip)]
    pub typed: Option<String>,
    /// The person's keyed hash: opens their sealed fields; never sent.
    #[serde(skip)]
    pub id_hash: Vec<u8>,
}

impl TracedVisit {
    fn opened(mut self, keys: &crate::fields::DataKeys) -> Result<TracedVisit> {
        let h = std::mem::take(&mut self.id_hash);
        crate::people::open_fields(keys, &h, &mut self.name, &mut self.document_number, &mut self.phone)?;
        if let Some(sealed) = self.typed.take() {
            self.declared = Some(crate::people::open_details(keys, &h, &sealed)?);
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PersonQuery {
    pub id_number: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// 查询用途, required (written to the audit log).
    #[serde(default)]
    pub purpose: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VenueQuery {
    pub venue_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// 查询用途, required (written to the audit log).
    #[serde(default)]
    pub purpose: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OverlapQuery {
    pub id_number: String,
    /// Within how many hours of the person's visit (default 2).
    #[serde(default = "two")]
    pub hours: i64,
    /// 查询用途, required (written to the audit log).
    #[serde(default)]
    pub purpose: String,
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
    p.phone, v.colour, v.source, v.verified, d.details AS typed, p.id_hash
    FROM visits v JOIN people p ON p.id = v.person_id LEFT JOIN venues ve ON ve.id = v.venue_id
    LEFT JOIN person_details d ON NOT v.verified AND d.person_id = v.person_id
        AND d.source = 'unverified_phone:' || v.phone_id::text";

fn id_hash(key: &[u8; 32], raw: &str) -> Result<Vec<u8>> {
    Ok(placecode_core::risk::id_hash(key, &document_number(raw)?).to_vec())
}

/// A document number as typed, of the kind the number tells, checked by that kind's rule.
pub fn document_number(raw: &str) -> Result<String> {
    let today = placecode_core::sync::shanghai_date(Utc::now());
    placecode_core::identity::detect(raw, today)
        .map(|d| d.number)
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

/// At most this many rows answer one query; `truncated` says there were more (narrow the window).
pub const ROW_CAP: usize = 10_000;

/// One query's answer: at most [`ROW_CAP`] rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub truncated: bool,
}

impl<T> Page<T> {
    fn of(mut rows: Vec<T>) -> Page<T> {
        let truncated = rows.len() > ROW_CAP;
        rows.truncate(ROW_CAP);
        Page { rows, truncated }
    }
}

/// The cap as SQL's LIMIT: one row more than is answered, to know that there were more.
fn limit() -> i64 {
    (ROW_CAP + 1) as i64
}

/// The audit log keeps who was traced as a masked number, not in clear.
fn masked(raw: &str) -> String {
    placecode_core::mask::id_number(&placecode_core::normalize::compact(raw).to_ascii_uppercase())
}

/// One tracer's queries are limited per hour across every server (counted in the audit log
/// itself, the API's and the console's alike); a query over the limit is refused and audited too.
pub async fn within_hourly_limit(pool: &PgPool, actor: &Actor, per_hour: i64) -> Result<()> {
    let (asked,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_log WHERE actor = $1 AND (action LIKE 'trace\\_%' OR action = 'supervise_trips')
         AND action <> 'trace_refused' AND at > now() - interval '1 hour'",
    )
    .bind(&actor.name)
    .fetch_one(pool)
    .await?;
    if asked >= per_hour {
        tracing::warn!(actor = %actor.name, asked, "tracing queries over the hourly limit");
        crate::audit::write(pool, actor, "trace_refused", serde_json::json!({"over_hourly_limit": asked}), 0).await?;
        return Err(CentralError::TooManyQueries);
    }
    Ok(())
}

/// A person's visits in the window, and what each source (desk or phone) said their details are.
pub async fn person(
    db: Db<'_>,
    keys: &crate::Keys,
    actor: &Actor,
    q: &PersonQuery,
) -> Result<(Page<TracedVisit>, Vec<crate::people::Details>)> {
    window(q.from, q.to)?;
    let h = id_hash(&keys.lookup, &q.id_number)?;
    let rows: Vec<TracedVisit> = sqlx::query_as(&format!(
        "{SELECT} WHERE v.person_id IN (SELECT id FROM people WHERE id_hash = $1 OR guardian_hash = $1)
             AND v.at >= $2 AND v.at < $3
         ORDER BY v.at LIMIT $4"
    ))
    .bind(&h)
    .bind(q.from)
    .bind(q.to)
    .bind(limit())
    .fetch_all(db.reads)
    .await?;
    let page = Page::of(rows);
    let params = serde_json::json!({"id_number": masked(&q.id_number), "from": q.from, "to": q.to});
    crate::audit::write(db.primary, actor, "trace_person", params, page.rows.len()).await?;
    let details = crate::people::details(db.reads, keys, &h).await?;
    Ok((opened(page, &keys.data)?, details))
}

pub async fn venue(db: Db<'_>, keys: &crate::Keys, actor: &Actor, q: &VenueQuery) -> Result<Page<TracedVisit>> {
    window(q.from, q.to)?;
    let rows: Vec<TracedVisit> =
        // The venue's refused twins too (一所一码): a desk checked people in there before it moved
        // its door onto the approved venue.
        sqlx::query_as(&format!(
            "{SELECT} WHERE v.venue_id IN (SELECT $1::uuid UNION SELECT t.id FROM venues a JOIN venues t
                 ON t.status = 'rejected' AND (t.dedup_key = a.dedup_key OR t.tail_key = a.tail_key) WHERE a.id = $1)
             AND v.at >= $2 AND v.at < $3 ORDER BY v.at LIMIT $4"
        ))
            .bind(q.venue_id)
            .bind(q.from)
            .bind(q.to)
            .bind(limit())
            .fetch_all(db.reads)
            .await?;
    let page = Page::of(rows);
    let params = serde_json::json!({"venue_id": q.venue_id, "from": q.from, "to": q.to});
    crate::audit::write(db.primary, actor, "trace_venue", params, page.rows.len()).await?;
    opened(page, &keys.data)
}

/// 时空伴随: everyone at the same venue within `hours` of one of the person's verified visits (and
/// of the children without a document they registered, whom they came with) in
/// the last 14 days, by real stays where a desk recorded a 离场: a visit is taken to last from its
/// check-in until its 离场, or `hours` when none was recorded, and two overlap when those spans
/// meet (with no 离场 on either side, that is arriving within `hours` of each other). Each of the
/// person's visits is one index range scan on (venue_id, at).
pub async fn overlap(
    db: Db<'_>,
    keys: &crate::Keys,
    actor: &Actor,
    q: &OverlapQuery,
    now: DateTime<Utc>,
) -> Result<Page<Overlap>> {
    if !(1..=72).contains(&q.hours) {
        return Err(CentralError::Invalid {
            field: "hours".into(), message: "时间间隔：应为1至72小时".into()
        });
    }
    let h = id_hash(&keys.lookup, &q.id_number)?;
    let rows: Vec<Overlap> = sqlx::query_as(
        "WITH me AS (SELECT id FROM people WHERE id_hash = $1 OR guardian_hash = $1),
         mine AS (SELECT v.id, v.venue_id, v.at, v.left_at FROM visits v, me
                  WHERE v.person_id = me.id AND v.verified AND v.at >= $2 - interval '14 days' AND v.at <= $2)
         SELECT DISTINCT ON (o.id) o.id AS visit_id, o.at, o.venue_id, ve.name AS venue_name, p.name,
             p.document_number, p.phone, o.colour, o.source, o.verified, d.details AS typed, p.id_hash,
             m.id AS near_visit_id, (abs(extract(epoch FROM o.at - m.at)) / 60.0)::float8 AS minutes_apart
         FROM mine m
         JOIN visits o ON o.venue_id = m.venue_id
             AND o.at BETWEEN m.at - make_interval(hours => $3) AND m.at + make_interval(hours => $3)
             AND o.at <= coalesce(m.left_at, m.at + make_interval(hours => $3))
             AND coalesce(o.left_at, o.at + make_interval(hours => $3)) >= m.at
         JOIN people p ON p.id = o.person_id
         LEFT JOIN venues ve ON ve.id = o.venue_id
         LEFT JOIN person_details d ON NOT o.verified AND d.person_id = o.person_id
             AND d.source = 'unverified_phone:' || o.phone_id::text
         WHERE o.person_id NOT IN (SELECT id FROM me)
         ORDER BY o.id, abs(extract(epoch FROM o.at - m.at))
         LIMIT $4",
    )
    .bind(h)
    .bind(now)
    .bind(q.hours as i32)
    .bind(limit())
    .fetch_all(db.reads)
    .await?;
    let page = Page::of(rows);
    let params = serde_json::json!({"id_number": masked(&q.id_number), "hours": q.hours});
    crate::audit::write(db.primary, actor, "trace_overlap", params, page.rows.len()).await?;
    let rows = page.rows.into_iter().map(|o| Ok(Overlap { visit: o.visit.opened(&keys.data)?, ..o }));
    Ok(Page { rows: rows.collect::<Result<Vec<_>>>()?, truncated: page.truncated })
}

fn opened(page: Page<TracedVisit>, keys: &crate::fields::DataKeys) -> Result<Page<TracedVisit>> {
    let rows = page.rows.into_iter().map(|r| r.opened(keys)).collect::<Result<Vec<_>>>()?;
    Ok(Page { rows, truncated: page.truncated })
}

/// How long a tracing credential lasts unless the administrator says otherwise.
pub const TRACER_DAYS: i64 = 30;

/// Makes a tracer's token (追溯查询凭证), valid for `days` (1 to 365) and for the queries
/// named in `scopes` (of [`crate::auth::TRACER_SCOPES`]; none named: all).
pub async fn make_tracer(pool: &PgPool, name: &str, days: i64, scopes: &[String]) -> Result<String> {
    placecode_core::sync::text("name", "姓名", name, 40).map_err(CentralError::invalid)?;
    if name.trim().is_empty() {
        return Err(CentralError::Invalid { field: "name".into(), message: "姓名：必填".into() });
    }
    if !(1..=365).contains(&days) {
        return Err(CentralError::Invalid { field: "days".into(), message: "有效期：应为1至365天".into() });
    }
    let scopes: Vec<String> = if scopes.is_empty() {
        crate::auth::TRACER_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        scopes.to_vec()
    };
    if let Some(bad) = scopes.iter().find(|s| !crate::auth::TRACER_SCOPES.contains(&s.as_str())) {
        return Err(CentralError::Invalid {
            field: "scope".into(),
            message: format!("查询范围：不认识“{bad}”（可选 person、venue、overlap、trips）"),
        });
    }
    let token = crate::auth::new_secret("pct_")?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tracers (id, name, token_hash, expires_at, scopes) VALUES ($1, $2, $3, now() + make_interval(days => $4), $5)",
    )
    .bind(id)
    .bind(name.trim())
    .bind(crate::auth::hash_secret(&token))
    .bind(days as i32)
    .bind(&scopes)
    .execute(pool)
    .await?;
    crate::audit::write(
        pool,
        &Actor::cli(""),
        "tracer_token",
        serde_json::json!({"tracer": id, "name": name.trim(), "days": days, "scopes": scopes}),
        1,
    )
    .await?;
    Ok(token)
}

/// A tracer as the administrator lists them (never the token).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TracerInfo {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn tracers(pool: &PgPool) -> Result<Vec<TracerInfo>> {
    Ok(sqlx::query_as("SELECT id, name, scopes, created_at, expires_at, revoked_at FROM tracers ORDER BY created_at")
        .fetch_all(pool)
        .await?)
}

/// Ends a tracer's credential at once (`admin revoke-tracer`); audited.
pub async fn revoke_tracer(pool: &PgPool, id: Uuid, actor: &Actor) -> Result<()> {
    let n = sqlx::query("UPDATE tracers SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CentralError::NotFound("该追溯查询凭证（或已吊销）"));
    }
    crate::audit::write(pool, actor, "revoke_tracer", serde_json::json!({"tracer": id}), 1).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_capped_and_says_so() {
        let capped = Page::of(vec![0u8; ROW_CAP + 1]);
        assert_eq!((capped.rows.len(), capped.truncated), (ROW_CAP, true));
        let whole = Page::of(vec![0u8; 3]);
        assert_eq!((whole.rows.len(), whole.truncated), (3, false));
        assert_eq!(limit(), (ROW_CAP + 1) as i64);
    }
}
