//! The provincial risk-person list (风险人员名单): imported by an administrator, stored as keyed
//! hashes only, and every change given a cursor position for desks to pull.

use chrono::Utc;
use placecode::risk::RiskImportReport;
use sqlx::PgPool;

use crate::error::{CentralError, Result};

/// Imports a CSV (身份证号, 颜色, 原因): added to the list, or replacing it whole.
pub async fn import(pool: &PgPool, risk_key: &[u8; 32], csv: &[u8], replace: bool) -> Result<RiskImportReport> {
    let today = placecode::sync::shanghai_date(Utc::now());
    let (rows, report) = placecode::risk::parse_csv(csv, risk_key, today)
        .map_err(|e| CentralError::Invalid { field: "file".into(), message: e.to_string() })?;
    let hashes: Vec<Vec<u8>> = rows.iter().map(|r| r.hash.to_vec()).collect();
    let colours: Vec<&str> = rows.iter().map(|r| r.colour.key()).collect();
    let reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
    let mut tx = pool.begin().await?;
    if replace {
        sqlx::query("DELETE FROM risk").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO changes (kind, body) VALUES ('risk_reset', '{}')").execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO risk (id_hash, colour, reason)
         SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::text[])
         ON CONFLICT (id_hash) DO UPDATE SET colour = EXCLUDED.colour, reason = EXCLUDED.reason, updated_at = now()",
    )
    .bind(&hashes)
    .bind(&colours)
    .bind(&reasons)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        // Desks get who is yellow or red, never why (a stolen desk must not give the reasons away);
        // a green entry reaches them as a removal.
        "INSERT INTO changes (kind, body)
         SELECT CASE WHEN u.c = 'green' THEN 'risk_removed' ELSE 'risk' END,
             jsonb_build_object('id_hash_hex', encode(u.h, 'hex'), 'colour', u.c)
         FROM UNNEST($1::bytea[], $2::text[]) AS u(h, c)",
    )
    .bind(&hashes)
    .bind(&colours)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(imported = report.imported, rejected = report.rejected.len(), replace, "risk list imported");
    Ok(report)
}
