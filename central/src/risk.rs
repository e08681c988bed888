//! The provincial risk-person list (风险人员名单): imported by an administrator, stored as keyed
//! hashes only, and sent to desks as door tags of the current epoch (`placecode_core::risk`): never
//! the hashes themselves, never the reasons.

use chrono::{DateTime, Duration, Utc};
use placecode_core::decision::{Colour, Raised};
use placecode_core::risk::{Epoch, RiskImportReport, TagSnapshot};
use placecode_core::sync::{ChangeKind, RaisedTag, RaisedTagBody, RiskConfirmResponse, RiskEpochBody, RiskTagBody};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{CentralError, Result};

pub use placecode_core::risk::CONFIRM_PER_HOUR;
/// Days between epochs, unless `PLACECODE_RISK_EPOCH_DAYS` says otherwise.
pub const DEFAULT_EPOCH_DAYS: i64 = 7;

const RISK_KINDS: &str = "('risk', 'risk_removed', 'risk_reset', 'risk_epoch', 'risk_tag', 'raised_tag')";

/// The epoch desks are on, if one was started.
pub async fn current_epoch<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Option<(Epoch, DateTime<Utc>)>> {
    let row: Option<(i64, Vec<u8>, i16, DateTime<Utc>)> =
        sqlx::query_as("SELECT epoch, salt, bits, started_at FROM risk_epochs ORDER BY epoch DESC LIMIT 1")
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(epoch, salt, bits, at)| {
        (Epoch { epoch, salt_hex: hex::encode(salt), bits: u8::try_from(bits).unwrap_or(0) }, at)
    }))
}

/// Door tags on the blocking pool: a list of 10,000 takes about a minute of CPU.
pub(crate) async fn tags_of(epoch: &Epoch, hashes: Vec<[u8; 32]>) -> Result<Vec<u32>> {
    let epoch = epoch.clone();
    tokio::task::spawn_blocking(move || epoch.tags(&hashes))
        .await
        .map_err(|e| CentralError::Internal(e.to_string()))?
        .map_err(|e| CentralError::Internal(e.to_string()))
}

/// Starts a new epoch: a new salt, a width for the list's size, every yellow and red entry's and
/// every kept colour's tag computed again, one change carrying them all, and every older risk
/// change deleted. The list is locked against imports meanwhile (the phone page still reads it).
pub async fn rotate(pool: &PgPool, keys: &crate::Keys) -> Result<Epoch> {
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE risk, raised IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    // Each row's desk hash (the tag's input) and where the row is (its id_hash).
    let rows: Vec<(Vec<u8>, String, Option<String>)> =
        sqlx::query_as("SELECT id_hash, colour, tag_input FROM risk WHERE colour <> 'green'")
            .fetch_all(&mut *tx)
            .await?;
    let mut listed = Vec::with_capacity(rows.len());
    for (h, c, input) in &rows {
        if let (Some(desk), Some(colour)) = (keys.tag_input(h, input.as_deref())?, Colour::parse(c)) {
            listed.push((h.clone(), desk, colour));
        }
    }
    type KeptRow = (Vec<u8>, String, DateTime<Utc>, Option<String>);
    let kept_rows: Vec<KeptRow> =
        sqlx::query_as("SELECT id_hash, colour, until, tag_input FROM raised WHERE until > now()")
            .fetch_all(&mut *tx)
            .await?;
    let mut kept = Vec::with_capacity(kept_rows.len());
    for (h, c, until, input) in &kept_rows {
        if let (Some(desk), Some(colour)) = (keys.tag_input(h, input.as_deref())?, Colour::parse(c)) {
            kept.push((h.clone(), desk, colour, *until));
        }
    }
    let colours: Vec<Colour> = listed.iter().map(|l| l.2).collect();
    let fresh = Epoch::new(0, listed.len() + kept.len()).map_err(|e| CentralError::Internal(e.to_string()))?;
    let all: Vec<[u8; 32]> = listed.iter().map(|l| l.1).chain(kept.iter().map(|k| k.1)).collect();
    let mut tags = tags_of(&fresh, all).await?;
    let kept_tags = tags.split_off(listed.len());
    let salt = hex::decode(&fresh.salt_hex).map_err(|e| CentralError::Internal(e.to_string()))?;
    let (number,): (i64,) = sqlx::query_as("INSERT INTO risk_epochs (salt, bits) VALUES ($1, $2) RETURNING epoch")
        .bind(&salt)
        .bind(i16::from(fresh.bits))
        .fetch_one(&mut *tx)
        .await?;
    let epoch = Epoch { epoch: number, ..fresh };
    let listed_at: Vec<Vec<u8>> = listed.iter().map(|l| l.0.clone()).collect();
    let kept_at: Vec<Vec<u8>> = kept.iter().map(|k| k.0.clone()).collect();
    for (table, raw, ts) in [("risk", &listed_at, &tags), ("raised", &kept_at, &kept_tags)] {
        let wide: Vec<i64> = ts.iter().map(|t| i64::from(*t)).collect();
        sqlx::query(&format!("UPDATE {table} SET tag = NULL")).execute(&mut *tx).await?;
        sqlx::query(&format!(
            "UPDATE {table} SET tag = u.t FROM UNNEST($1::bytea[], $2::bigint[]) AS u(h, t) WHERE {table}.id_hash = u.h"
        ))
        .bind(raw)
        .bind(&wide)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(&format!("DELETE FROM changes WHERE kind IN {RISK_KINDS}")).execute(&mut *tx).await?;
    let mut raised: std::collections::BTreeMap<u32, Raised> = Default::default();
    for (tag, (_, _, colour, until)) in kept_tags.iter().zip(&kept) {
        let r = Raised { colour: *colour, until: *until };
        raised.entry(*tag).and_modify(|m| *m = m.merge(r)).or_insert(r);
    }
    let body = RiskEpochBody {
        epoch: epoch.clone(),
        tags: TagSnapshot::from_pairs(tags.into_iter().zip(colours)),
        raised: raised.into_iter().map(|(tag, r)| RaisedTag { tag, colour: r.colour, until: r.until }).collect(),
    };
    sqlx::query("INSERT INTO changes (kind, body) VALUES ($1, $2)")
        .bind(ChangeKind::RiskEpoch.key())
        .bind(sqlx::types::Json(&body))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(
        epoch = epoch.epoch,
        bits = epoch.bits,
        entries = listed.len(),
        kept = kept.len(),
        "risk list: new epoch"
    );
    Ok(epoch)
}

/// One change per touched tag of kept colours: the highest colour and latest end of the people
/// who share it now (green: none any more). `cleared`: someone of the tag was cleared.
pub(crate) async fn publish_raised_tags(
    tx: &mut Transaction<'_, Postgres>,
    epoch: i64,
    tags: &[i64],
    cleared: bool,
) -> Result<()> {
    let mut touched = tags.to_vec();
    touched.sort_unstable();
    touched.dedup();
    let now: Vec<(i64, i32, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT t, COALESCE(max(CASE r.colour WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END), 0), max(r.until)
         FROM UNNEST($1::bigint[]) AS t LEFT JOIN raised r ON r.tag = t AND r.until > now() GROUP BY t",
    )
    .bind(&touched)
    .fetch_all(&mut **tx)
    .await?;
    let bodies: Vec<serde_json::Value> = now
        .into_iter()
        .filter_map(|(tag, level, until)| {
            let colour = level_colour(level);
            let raised = RaisedTag { tag: u32::try_from(tag).ok()?, colour, until: until.unwrap_or_else(Utc::now) };
            serde_json::to_value(RaisedTagBody { epoch, raised, cleared }).ok()
        })
        .collect();
    append_changes(tx, ChangeKind::RaisedTag, &bodies).await
}

/// A colour from the SQL levels the tag queries compute (0 green, 1 yellow, 2 red).
fn level_colour(level: i32) -> Colour {
    match level {
        i32::MIN..=0 => Colour::Green,
        1 => Colour::Yellow,
        _ => Colour::Red,
    }
}

/// Appends changes of one kind for every desk.
async fn append_changes(
    tx: &mut Transaction<'_, Postgres>,
    kind: ChangeKind,
    bodies: &[serde_json::Value],
) -> Result<()> {
    sqlx::query("INSERT INTO changes (kind, body) SELECT $1, b FROM UNNEST($2::jsonb[]) AS b")
        .bind(kind.key())
        .bind(bodies)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Tags in use: yellow and red entries and live kept colours (what the width is sized for).
async fn tagged_count<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<usize> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM risk WHERE colour <> 'green') + (SELECT count(*) FROM raised WHERE until > now())",
    )
    .fetch_one(db)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Starts the first epoch, or a new one when the current is `days` old or the list has grown
/// past what its width was chosen for (false matches would grow with it).
pub async fn rotate_if_due(pool: &PgPool, keys: &crate::Keys, days: i64, now: DateTime<Utc>) -> Result<Option<Epoch>> {
    match current_epoch(pool).await? {
        Some((e, started))
            if now - started < Duration::days(days)
                && placecode_core::risk::tag_bits(tagged_count(pool).await?) <= e.bits =>
        {
            Ok(None)
        }
        _ => Ok(Some(rotate(pool, keys).await?)),
    }
}

/// Imports a CSV (身份证号, 颜色, 原因): added to the list, or replacing it whole (a new epoch).
/// The reasons are sealed with the data key (never read by the server, kept for the record).
pub async fn import(pool: &PgPool, keys: &crate::Keys, csv: &[u8], replace: bool) -> Result<RiskImportReport> {
    let today = placecode_core::sync::shanghai_date(Utc::now());
    let (rows, report) = placecode_core::risk::parse_csv(csv, &keys.risk, today)
        .map_err(|e| CentralError::Invalid { field: "file".into(), message: e.to_string() })?;
    if replace {
        placecode_core::risk::replacement_complete(&report)
            .map_err(|message| CentralError::Invalid { field: "file".into(), message })?;
    }

    // An increment goes out as tag changes in the current epoch, unless the list outgrows the
    // epoch's width: then (as for a replacement) a new epoch is started.
    let listed = rows.iter().filter(|r| r.colour != Colour::Green).count();
    let epoch = match current_epoch(pool).await? {
        Some((e, _)) if !replace && placecode_core::risk::tag_bits(tagged_count(pool).await? + listed) <= e.bits => {
            Some(e)
        }
        _ => None,
    };
    // Tags are computed before the transaction; the epoch is checked again inside it.
    let tags = match &epoch {
        Some(e) => Some(tags_of(e, rows.iter().map(|r| r.hash).collect()).await?),
        None => None,
    };
    // Where each entry is found (the lookup key, the server's own) and its tag's input (the
    // desks' hash), sealed.
    let persons: Vec<crate::config::PersonKey> = rows.iter().map(|r| keys.person(&r.number)).collect();
    let hashes: Vec<Vec<u8>> = persons.iter().map(|p| p.lookup.clone()).collect();
    let inputs: Vec<String> = persons.iter().map(|p| keys.seal_tag_input(p)).collect::<Result<_>>()?;
    let colours: Vec<&str> = rows.iter().map(|r| r.colour.key()).collect();
    let reasons: Vec<String> = persons
        .iter()
        .zip(&rows)
        .map(|(p, r)| keys.data.seal("risk.reason", &p.lookup, &r.reason))
        .collect::<Result<_>>()?;
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE risk IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    if replace {
        sqlx::query("DELETE FROM risk").execute(&mut *tx).await?;
    } else {
        // The same people's rows from before the lookup key give way to these.
        let desk: Vec<Vec<u8>> = persons.iter().map(|p| p.desk.to_vec()).collect();
        sqlx::query("DELETE FROM risk WHERE legacy AND id_hash = ANY($1)").bind(&desk).execute(&mut *tx).await?;
    }
    let still: Option<(i64,)> =
        sqlx::query_as("SELECT epoch FROM risk_epochs ORDER BY epoch DESC LIMIT 1").fetch_optional(&mut *tx).await?;
    let tagged = match (&epoch, tags) {
        (Some(e), Some(t)) if still.map(|s| s.0) == Some(e.epoch) => Some((e.epoch, t)),
        _ => None,
    };
    let wide: Option<Vec<i64>> = tagged.as_ref().map(|(_, t)| t.iter().map(|x| i64::from(*x)).collect());
    sqlx::query(
        "INSERT INTO risk (id_hash, colour, reason, tag, tag_input)
         SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::bigint[], $5::text[])
         ON CONFLICT (id_hash) DO UPDATE SET colour = EXCLUDED.colour, reason = EXCLUDED.reason,
             tag = EXCLUDED.tag, tag_input = EXCLUDED.tag_input, legacy = false, updated_at = now()",
    )
    .bind(&hashes)
    .bind(&colours)
    .bind(&reasons)
    .bind(match &wide {
        Some(w) => w.iter().copied().map(Some).collect::<Vec<Option<i64>>>(),
        None => vec![None; hashes.len()],
    })
    .bind(&inputs)
    .execute(&mut *tx)
    .await?;
    let rotate_after = match tagged {
        Some((number, _)) => {
            publish_tags(&mut tx, number, wide.as_deref().unwrap_or_default()).await?;
            false
        }
        None => true,
    };
    tx.commit().await?;
    if rotate_after {
        rotate(pool, keys).await?;
    }
    tracing::info!(imported = report.imported, rejected = report.rejected.len(), replace, "risk list imported");
    Ok(report)
}

/// One change per touched tag: the highest colour of the entries that share it now (green: none
/// is listed any more).
async fn publish_tags(tx: &mut Transaction<'_, Postgres>, epoch: i64, tags: &[i64]) -> Result<()> {
    let mut touched = tags.to_vec();
    touched.sort_unstable();
    touched.dedup();
    let now: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT t, COALESCE(max(CASE r.colour WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END), 0)
         FROM UNNEST($1::bigint[]) AS t LEFT JOIN risk r ON r.tag = t GROUP BY t",
    )
    .bind(&touched)
    .fetch_all(&mut **tx)
    .await?;
    let bodies: Vec<serde_json::Value> = now
        .into_iter()
        .filter_map(|(tag, level)| {
            serde_json::to_value(RiskTagBody { epoch, tag: u32::try_from(tag).ok()?, colour: level_colour(level) }).ok()
        })
        .collect();
    append_changes(tx, ChangeKind::RiskTag, &bodies).await
}

/// The list's colour for a person (rows from before the lookup key found by the desks' hash).
pub async fn listed(tx: &mut Transaction<'_, Postgres>, person: &crate::config::PersonKey) -> Result<Option<Colour>> {
    let colour: Option<String> = sqlx::query_scalar(
        "SELECT colour FROM risk WHERE id_hash = $1 OR (legacy AND id_hash = $2) ORDER BY legacy LIMIT 1",
    )
    .bind(&person.lookup)
    .bind(person.desk.as_slice())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(colour.as_deref().and_then(Colour::parse))
}

/// A desk whose door tag matched asks about one person: the colour if yellow or red, nothing if
/// not listed, and the colour kept for them, if any. Audited, and limited per desk per hour across every server ([`CONFIRM_PER_HOUR`]):
/// a stolen desk that asks about every candidate of every tag is slowed to a crawl and seen.
pub async fn confirm(pool: &PgPool, keys: &crate::Keys, desk: uuid::Uuid, number: &str) -> Result<RiskConfirmResponse> {
    let person = &keys.person(number);
    let actor = format!("desk:{desk}");
    let mut tx = pool.begin().await?;
    // One desk's questions are counted one at a time (concurrent ones cannot all pass the limit).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))").bind(&actor).execute(&mut *tx).await?;
    let (asked,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_log WHERE actor = $1 AND action = 'risk_confirm' AND at > now() - interval '1 hour'",
    )
    .bind(&actor)
    .fetch_one(&mut *tx)
    .await?;
    if asked >= CONFIRM_PER_HOUR {
        tracing::warn!(%desk, asked, "risk questions over the hourly limit");
        return Err(CentralError::SlowDown);
    }
    let colour = listed(&mut tx, person).await?.filter(|c| *c != Colour::Green);
    let raised = crate::raised::for_hash(&mut *tx, person, None).await?.filter(|r| r.until > Utc::now());
    // Whom the desk asked about, masked as everywhere in the audit log.
    let asker = crate::audit::Actor { name: actor, source: String::new(), purpose: String::new() };
    let params = serde_json::json!({ "document_number": placecode_core::mask::id_number(number) });
    crate::audit::write(&mut *tx, &asker, "risk_confirm", params, usize::from(colour.is_some() || raised.is_some()))
        .await?;
    tx.commit().await?;
    Ok(RiskConfirmResponse { colour, raised })
}
