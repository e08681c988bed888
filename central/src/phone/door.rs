//! The door's statements, each run for every phone waiting on it at once (`crate::batch`): the
//! people a phone holds with the colours kept for them, and the check-in itself (the form's token
//! claimed, its result, its visits and the changes the venue's desks pull, committed as one
//! statement before any phone of the batch is answered).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use placecode_core::sync::ChangeKind;
use sqlx::PgPool;
use uuid::Uuid;

use super::Known;
use crate::batch::Batcher;
use crate::error::CentralError;

/// Batches running at once per statement, and phones per batch.
const WORKERS: usize = 2;
const MAX_BATCH: usize = 64;

pub struct Door {
    known: Batcher<Uuid, Vec<Known>>,
    store: Batcher<Write, Result<bool, String>>,
}

impl Door {
    pub fn start(pool: &PgPool, keys: &crate::Keys) -> Door {
        let (p, k) = (pool.clone(), keys.clone());
        let known = Batcher::start(WORKERS, MAX_BATCH, move |phones: Vec<Uuid>| {
            let (p, k) = (p.clone(), k.clone());
            async move { known(&p, &k, &phones).await.map_err(|e| e.to_string()) }
        });
        let p = pool.clone();
        let store = Batcher::start(WORKERS, MAX_BATCH, move |writes: Vec<Write>| {
            let p = p.clone();
            async move { Ok(store_each(&p, &writes).await) }
        });
        Door { known, store }
    }

    /// The people this phone has declared.
    pub async fn known(&self, phone: Uuid) -> Result<Vec<Known>, CentralError> {
        self.known.call(phone).await.map_err(CentralError::Internal)
    }

    /// Stores a form's check-in; false when its token was claimed by an earlier send.
    pub async fn store(&self, write: Write) -> Result<bool, CentralError> {
        self.store.call(write).await.and_then(|r| r).map_err(CentralError::Internal)
    }
}

/// The people of each phone, in the order each phone added them, with the colours kept for them
/// (by the lookup hash alone: every person on file was moved to it at start, so no row from before
/// it names anyone a phone holds).
pub async fn known(pool: &PgPool, keys: &crate::Keys, phones: &[Uuid]) -> Result<Vec<Vec<Known>>, CentralError> {
    let rows = sqlx::query_as::<_, Known>(
        "SELECT pp.phone_id AS phone, p.id, p.name, p.last4, p.document_number AS number, p.document_kind AS kind,
             r.colour, pp.relation,
             pp.verified, p.id_hash, d.details AS typed, k.colour AS kept_colour, k.until AS kept_until,
             pk.colour AS phone_colour, pk.until AS phone_until
         FROM phone_people pp JOIN people p ON p.id = pp.person_id LEFT JOIN risk r ON r.id_hash = p.id_hash
         LEFT JOIN person_details d ON NOT pp.verified AND d.person_id = p.id
             AND d.source = 'unverified_phone:' || pp.phone_id::text
         LEFT JOIN raised k ON k.id_hash = p.id_hash
         LEFT JOIN phone_raised pk ON pk.phone_id = pp.phone_id AND pk.id_hash = p.id_hash
         WHERE pp.phone_id = ANY($1) ORDER BY pp.added_at, p.id",
    )
    .bind(phones)
    .fetch_all(pool)
    .await?;
    let mut by_phone: HashMap<Uuid, Vec<Known>> = HashMap::new();
    for mut k in rows {
        crate::people::open_fields(&keys.data, &k.id_hash, &mut k.name, &mut k.number, &mut None)?;
        k.shown = match &k.typed {
            Some(sealed) => crate::people::open_details(&keys.data, &k.id_hash, sealed)?.name,
            None => k.name.clone(),
        };
        by_phone.entry(k.phone).or_default().push(k);
    }
    Ok(phones.iter().map(|p| by_phone.get(p).cloned().unwrap_or_default()).collect())
}

/// One form's check-in as stored: its result (what the phone is shown, sealed), and its visits
/// with the changes for the venue's desks (none for a pre-declaration).
pub struct Write {
    pub result: Uuid,
    pub phone: Uuid,
    pub once: Uuid,
    pub code: String,
    pub venue: Uuid,
    pub at: DateTime<Utc>,
    pub shown: serde_json::Value,
    pub way_in: Option<String>,
    /// Made with a live 扫码屏 code (到场核验).
    pub present: bool,
    pub visits: Vec<Visit>,
}

pub struct Visit {
    pub id: Uuid,
    pub person: i64,
    pub colour: &'static str,
    pub health: &'static str,
    pub reasons: Option<String>,
    pub verified: bool,
    pub body: serde_json::Value,
}

/// Stores forms in one statement: each form's one-time token is claimed with its result, and its
/// visits and changes are written only if it was claimed. Answers the results claimed; a form
/// whose token an earlier send claimed (or one in the same batch) writes nothing.
pub async fn store(db: impl sqlx::PgExecutor<'_>, writes: &[Write]) -> Result<HashSet<Uuid>, sqlx::Error> {
    let mut v = Visits::default();
    for w in writes {
        for x in &w.visits {
            v.result.push(w.result);
            v.id.push(x.id);
            v.at.push(w.at);
            v.person.push(x.person);
            v.venue.push(w.venue);
            v.code.push(w.code.as_str());
            v.way_in.push(w.way_in.as_deref());
            v.colour.push(x.colour);
            v.health.push(x.health);
            v.reasons.push(x.reasons.as_deref());
            v.verified.push(x.verified);
            v.phone.push(w.phone);
            v.body.push(&x.body);
            v.present.push(w.present);
        }
    }
    let claimed: Vec<Uuid> = sqlx::query_scalar(
        "WITH claim AS (
            INSERT INTO phone_results (id, phone_id, form_token, code, at, shown, present)
            SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::jsonb[],
                $21::bool[])
            ON CONFLICT (phone_id, form_token) DO NOTHING RETURNING id),
         w AS (
            SELECT * FROM UNNEST($7::uuid[], $8::uuid[], $9::timestamptz[], $10::bigint[], $11::uuid[], $12::text[],
                $13::text[], $14::text[], $15::text[], $16::text[], $17::bool[], $18::uuid[], $19::jsonb[], $22::bool[])
                AS w(result, id, at, person, venue, code, way_in, colour, health, reasons, verified, phone, body,
                    present)
            WHERE w.result IN (SELECT id FROM claim)),
         v AS (
            INSERT INTO visits (id, at, person_id, venue_id, code, source, way_in, colour, health_code, sealed_reasons,
                verified, phone_id, present)
            SELECT id, at, person, venue, code, 'phone', way_in, colour, health, reasons, verified, phone, present
            FROM w),
         c AS (INSERT INTO changes (kind, venue_id, body) SELECT $20, venue, body FROM w)
         SELECT id FROM claim",
    )
    .bind(writes.iter().map(|w| w.result).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| w.phone).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| w.once).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| w.code.as_str()).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| w.at).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| &w.shown).collect::<Vec<_>>())
    .bind(&v.result)
    .bind(&v.id)
    .bind(&v.at)
    .bind(&v.person)
    .bind(&v.venue)
    .bind(&v.code)
    .bind(&v.way_in)
    .bind(&v.colour)
    .bind(&v.health)
    .bind(&v.reasons)
    .bind(&v.verified)
    .bind(&v.phone)
    .bind(&v.body)
    .bind(ChangeKind::PhoneVisit.key())
    .bind(writes.iter().map(|w| w.present).collect::<Vec<_>>())
    .bind(&v.present)
    .fetch_all(db)
    .await?;
    Ok(claimed.into_iter().collect())
}

/// Stores forms in one statement ([`store`]) and answers each whether it was claimed. One form's
/// failure (say, its person purged a moment ago) is its own: when the batch fails, each form is
/// tried alone.
pub async fn store_each(pool: &PgPool, writes: &[Write]) -> Vec<Result<bool, String>> {
    match store(pool, writes).await {
        Ok(claimed) => writes.iter().map(|w| Ok(claimed.contains(&w.result))).collect(),
        Err(e) if writes.len() > 1 => {
            tracing::warn!(error = %e, forms = writes.len(), "a batch of check-ins failed; each tried alone");
            let mut out = Vec::with_capacity(writes.len());
            for w in writes {
                out.push(match store(pool, std::slice::from_ref(w)).await {
                    Ok(claimed) => Ok(claimed.contains(&w.result)),
                    Err(e) => Err(e.to_string()),
                });
            }
            out
        }
        Err(e) => vec![Err(e.to_string())],
    }
}

/// The visits of a batch, as columns.
#[derive(Default)]
struct Visits<'a> {
    result: Vec<Uuid>,
    id: Vec<Uuid>,
    at: Vec<DateTime<Utc>>,
    person: Vec<i64>,
    venue: Vec<Uuid>,
    code: Vec<&'a str>,
    way_in: Vec<Option<&'a str>>,
    colour: Vec<&'static str>,
    health: Vec<&'static str>,
    reasons: Vec<Option<&'a str>>,
    verified: Vec<bool>,
    phone: Vec<Uuid>,
    body: Vec<&'a serde_json::Value>,
    present: Vec<bool>,
}
