//! People, keyed by the HMAC of their document number (the risk key): the one table with
//! personal data. Visits point here by id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

use crate::error::Result;

pub struct PersonRow {
    pub document_kind: &'static str,
    pub document_number: String,
    pub last4: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub seen: DateTime<Utc>,
}

impl PersonRow {
    pub fn from_checked(c: &placecode::sync::CheckedVisit, seen: DateTime<Utc>) -> PersonRow {
        PersonRow {
            document_kind: c.document_kind.key(),
            document_number: c.document_number.clone(),
            last4: c.last4.clone(),
            name: c.name.clone(),
            address: c.address.clone(),
            phone: c.phone.clone(),
            seen,
        }
    }
}

/// Who says what a person's details are. A desk's operator saw the person (and their
/// document); a phone page only knows that someone typed the number, so a phone's details never
/// replace details already on file (knowing someone's ID number must not let anyone rename them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Desk,
    Phone,
}

/// Inserts or refreshes people (from a desk, the newest details win and an empty address or phone
/// keeps the known one; from a phone, details on file are kept) and answers their ids by hash.
pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    risk_key: &[u8; 32],
    rows: Vec<PersonRow>,
    source: Source,
) -> Result<HashMap<Vec<u8>, i64>> {
    // One row per person: PostgreSQL refuses to update the same row twice in one statement.
    let mut latest: HashMap<Vec<u8>, PersonRow> = HashMap::new();
    for r in rows {
        let h = placecode::risk::id_hash(risk_key, &r.document_number).to_vec();
        match latest.get(&h) {
            Some(old) if old.seen > r.seen => {}
            _ => {
                latest.insert(h, r);
            }
        }
    }
    let mut hashes = Vec::with_capacity(latest.len());
    let (mut kind, mut number, mut last4, mut name, mut address, mut phone, mut seen) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (h, r) in latest {
        hashes.push(h);
        kind.push(r.document_kind);
        number.push(r.document_number);
        last4.push(r.last4);
        name.push(r.name);
        address.push(r.address);
        phone.push(r.phone);
        seen.push(r.seen);
    }
    let out: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "INSERT INTO people AS p (id_hash, document_kind, document_number, last4, name, address, phone, updated_at)
         SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::timestamptz[])
         ON CONFLICT (id_hash) DO UPDATE SET
             name = CASE WHEN p.name = '' OR ($9 AND EXCLUDED.updated_at >= p.updated_at AND EXCLUDED.name <> '')
                 THEN EXCLUDED.name ELSE p.name END,
             address = CASE WHEN $9 AND EXCLUDED.updated_at >= p.updated_at AND EXCLUDED.address <> ''
                 THEN EXCLUDED.address ELSE p.address END,
             phone = CASE WHEN $9 AND EXCLUDED.updated_at >= p.updated_at AND EXCLUDED.phone IS NOT NULL
                 THEN EXCLUDED.phone ELSE p.phone END,
             updated_at = CASE WHEN $9 THEN GREATEST(p.updated_at, EXCLUDED.updated_at) ELSE p.updated_at END
         RETURNING id_hash, id",
    )
    .bind(&hashes)
    .bind(&kind)
    .bind(&number)
    .bind(&last4)
    .bind(&name)
    .bind(&address)
    .bind(&phone)
    .bind(&seen)
    .bind(source == Source::Desk)
    .fetch_all(&mut **tx)
    .await?;
    Ok(out.into_iter().collect())
}
