//! The PostgreSQL pool, migrations, and the day partitions of `visits` (retention).

use chrono::{Duration, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::Result;

/// A transaction left open (by a bug, or a client gone mid-request) is ended by PostgreSQL after
/// this long, its locks released, instead of holding a desk's row for ever.
const IDLE_IN_TRANSACTION: &str = "30s";

pub async fn connect(url: &str, max: u32) -> Result<PgPool> {
    let options: PgConnectOptions = url.parse()?;
    let pool = open(options.options([("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION)]), max).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// A pool of the server's connections to `options`.
async fn open(options: PgConnectOptions, max: u32) -> Result<PgPool> {
    // Generic plans: the server's statements are the same few, run thousands of times a second
    // with different values, and planning each run again cost PostgreSQL more than running it
    // (a quarter of the door's throughput, measured in `make bench-central`). Visits' day
    // partitions are still pruned when each statement runs.
    let options = options.options([("plan_cache_mode", "force_generic_plan")]);
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// Where a query goes: statements that write to the primary, tracing's reads to `reads` (a
/// streaming replica when one is configured, so a city-wide trace cannot slow the door).
#[derive(Clone, Copy)]
pub struct Db<'a> {
    pub primary: &'a PgPool,
    pub reads: &'a PgPool,
}

impl<'a> Db<'a> {
    /// Everything on one database.
    pub fn one(pool: &'a PgPool) -> Db<'a> {
        Db { primary: pool, reads: pool }
    }
}

/// A pool on a read-only streaming replica: no migrations (the primary's reach it), named
/// `placecode-trace` in `pg_stat_activity`.
pub async fn connect_replica(url: &str, max: u32) -> Result<PgPool> {
    let options: PgConnectOptions = url.parse()?;
    open(options.application_name("placecode-trace"), max).await
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    sqlx::migrate!("./migrations").run(pool).await.map_err(|e| crate::CentralError::Internal(e.to_string()))?;
    Ok(())
}

fn partition_name(day: NaiveDate) -> String {
    format!("visits_{}", day.format("%Y%m%d"))
}

/// Makes sure a partition exists for every day from `retention_days` ago to two days ahead, and
/// drops the partitions of days older than that: purging a day is dropping a table, whatever its
/// size. Rows in the default partition older than the cut-off are deleted, and so is everything
/// else of a person with no visit left (see [`purge_people`]); the audit log is kept
/// `audit_days`. Returns the dropped days.
pub async fn maintain_partitions(pool: &PgPool, retention_days: i64, audit_days: i64) -> Result<Vec<String>> {
    let today = Utc::now().date_naive();
    let oldest = today - Duration::days(retention_days);
    let mut tx = pool.begin().await?;
    // One maintenance at a time (several server processes may share a database).
    sqlx::query("SELECT pg_advisory_xact_lock(7021)").execute(&mut *tx).await?;
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'visits' AND c.relname <> 'visits_default'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut day = oldest;
    while day <= today + Duration::days(2) {
        let name = partition_name(day);
        if !existing.contains(&name) {
            // Rows for this day that arrived before its partition wait in the default partition:
            // move them across (detach-free: insert after the partition exists, then delete).
            let next = day + Duration::days(1);
            sqlx::raw_sql(&format!(
                "CREATE TABLE {name} (LIKE visits INCLUDING DEFAULTS);
                 WITH moved AS (DELETE FROM visits_default WHERE at >= '{day}' AND at < '{next}' RETURNING *)
                 INSERT INTO {name} SELECT * FROM moved;
                 ALTER TABLE visits ATTACH PARTITION {name} FOR VALUES FROM ('{day}') TO ('{next}')"
            ))
            .execute(&mut *tx)
            .await?;
        }
        day += Duration::days(1);
    }
    let mut dropped = Vec::new();
    for name in existing {
        if name < partition_name(oldest) {
            sqlx::raw_sql(&format!("DROP TABLE {name}")).execute(&mut *tx).await?;
            dropped.push(name);
        }
    }
    let cutoff = oldest.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    // The other copies of visit data age out with the visits: pull changes carrying a check-in,
    // a trip or a pre-declaration, and the truck records.
    for sql in [
        "DELETE FROM visits_default WHERE at < $1",
        "DELETE FROM changes WHERE at < $1 AND kind IN ('visit', 'phone_visit', 'trip', 'pre_declaration', 'late_hit')",
        "DELETE FROM truck_records WHERE at < $1",
        "DELETE FROM arrivals WHERE at < $1",
        "DELETE FROM trips WHERE entered_at < $1",
        "DELETE FROM late_hits WHERE visit_at < $1",
    ] {
        sqlx::query(sql).bind(cutoff).execute(&mut *tx).await?;
    }
    // A phone's result page is kept one day (a reload, a double tap); then only the visit remains.
    sqlx::query("DELETE FROM phone_results WHERE at < now() - interval '1 day'").execute(&mut *tx).await?;
    // A raised colour past its end no longer applies anywhere (desks check the end themselves).
    sqlx::query("DELETE FROM raised WHERE until < now()").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM phone_raised WHERE until < now()").execute(&mut *tx).await?;
    purge_people(&mut tx, cutoff, audit_days).await?;
    tx.commit().await?;
    Ok(dropped)
}

/// 保存期限 beyond the visits: a person with no visit left and not updated since the cut-off
/// is deleted (document number, name, address, phone), with the phones' links to them and the
/// phones that have no one left; closed incidents (handed over or released) last updated before
/// the cut-off go with their steps. Open incidents stay until closed. The audit log (who traced
/// whom) is kept longer, `audit_days`, and then deleted too.
async fn purge_people(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    cutoff: Option<chrono::DateTime<Utc>>,
    audit_days: i64,
) -> Result<()> {
    for sql in [
        "DELETE FROM incident_events e USING incidents i WHERE e.incident_id = i.id
           AND i.updated_at < $1 AND i.status IN ('handed_over', 'released')",
        "DELETE FROM incidents WHERE updated_at < $1 AND status IN ('handed_over', 'released')",
        "DELETE FROM phone_people pp WHERE pp.added_at < $1
           AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.person_id = pp.person_id AND v.at >= $1)",
        "DELETE FROM people p WHERE p.updated_at < $1
           AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.person_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM phone_people pp WHERE pp.person_id = p.id)",
        "DELETE FROM phones ph WHERE ph.seen_at < $1
           AND NOT EXISTS (SELECT 1 FROM phone_people pp WHERE pp.phone_id = ph.id)",
        // What each source said: kept for the window (the current details stay on `people`).
        "DELETE FROM person_details WHERE seen_at < $1",
    ] {
        sqlx::query(sql).bind(cutoff).execute(&mut **tx).await?;
    }
    // The phone page's daily counts are needed for the day; the flags (client addresses) are
    // kept as long as the audit log.
    sqlx::query("DELETE FROM declare_counts WHERE day < (now() AT TIME ZONE 'Asia/Shanghai')::date - 1")
        .execute(&mut **tx)
        .await?;
    for sql in [
        "DELETE FROM audit_log WHERE at < now() - make_interval(days => $1)",
        "DELETE FROM abuse_flags WHERE last_at < now() - make_interval(days => $1)",
    ] {
        sqlx::query(sql).bind(i32::try_from(audit_days).unwrap_or(i32::MAX)).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Binds the database to the server secret: the first start records the secret's fingerprint;
/// later, a server or admin command with another secret is refused with what to do.
pub async fn check_secret(pool: &PgPool, keys: &crate::Keys) -> Result<()> {
    let fingerprint = hex::encode(&placecode_core::risk::id_hash(&keys.risk, "placecode-secret-fingerprint")[..16]);
    sqlx::query("INSERT INTO server_meta (key, value) VALUES ('secret_fingerprint', $1) ON CONFLICT (key) DO NOTHING")
        .bind(&fingerprint)
        .execute(pool)
        .await?;
    let recorded: String =
        sqlx::query_scalar("SELECT value FROM server_meta WHERE key = 'secret_fingerprint'").fetch_one(pool).await?;
    if recorded == fingerprint {
        Ok(())
    } else {
        Err(crate::CentralError::Invalid {
            field: "secret_file".into(),
            message: "the secret file is not the one this database was made with \
                      (set PLACECODE_SECRET_FILE to the server's own secret)"
                .into(),
        })
    }
}

/// The data keys for this database: made (with the file) only while the database holds nothing
/// sealed; otherwise the file must be there and hold every key a value is sealed under. A
/// missing or wrong file stops the server with what to do, instead of sealing new values with
/// a new key while the old ones can no longer be opened.
pub async fn data_keys(pool: &PgPool, path: &std::path::Path) -> Result<crate::fields::DataKeys> {
    let used = crate::people::sealed_key_ids(pool).await?;
    let refuse = |what: String| crate::CentralError::Invalid { field: "data_key_file".into(), message: what };
    if !used.is_empty() && !path.exists() {
        return Err(refuse(format!(
            "no data key file at {}, but this database holds values sealed with its keys \
             (restore the file, or set PLACECODE_DATA_KEY_FILE to it)",
            path.display()
        )));
    }
    let keys = crate::fields::DataKeys::load(path, true).map_err(|e| refuse(e.to_string()))?;
    let missing: Vec<&String> =
        used.iter().filter(|id| u32::from_str_radix(id, 16).map_or(true, |id| !keys.has(id))).collect();
    if !missing.is_empty() {
        return Err(refuse(format!(
            "the data key file {} lacks the keys {missing:?} that values in this database are sealed with \
             (restore the file that holds them)",
            path.display()
        )));
    }
    Ok(keys)
}
