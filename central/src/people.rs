//! People, keyed by the HMAC of their document number (the risk key): the one table with
//! personal data, its document number, name, address and phone sealed (`fields.rs`). Visits
//! point here by id.

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
    pub fn from_checked(c: &placecode_core::sync::CheckedVisit, seen: DateTime<Utc>) -> PersonRow {
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
/// document), and the person's own phone speaks for them; another phone only knows that someone
/// typed the number, so its details never replace details already on file (knowing someone's ID
/// number must not let anyone rename them). What each source said is kept apart
/// (`person_details`), whoever wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Desk(uuid::Uuid),
    OwnPhone(uuid::Uuid),
    Phone(uuid::Uuid),
}

impl Source {
    /// May this source's details become the ones on file, and over whose: a desk's (the
    /// document in hand) over the person's own phone's, whatever their times; the newer of two
    /// of one rank; another phone's never (0).
    fn rank(self) -> i16 {
        match self {
            Source::Desk(_) => 2,
            Source::OwnPhone(_) => 1,
            Source::Phone(_) => 0,
        }
    }

    /// As `person_details.source` names it: `desk:<id>`, `phone:<id>` (the person's own), or
    /// `unverified_phone:<id>` (a phone that typed a number already on file).
    fn label(self) -> String {
        match self {
            Source::Desk(id) => format!("desk:{id}"),
            Source::OwnPhone(id) => format!("phone:{id}"),
            Source::Phone(id) => format!("unverified_phone:{id}"),
        }
    }
}

/// What one source said of a person, and when (tracing shows every source).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Details {
    pub source: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub seen_at: DateTime<Utc>,
}

/// One source's details of a person: name, address and phone (sealed as one value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Said {
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
}

/// Every source's details of a person: the desks' first (the document in hand), each newest
/// first.
pub async fn details(pool: &sqlx::PgPool, keys: &crate::Keys, id_hash: &[u8]) -> Result<Vec<Details>> {
    let rows: Vec<(String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT d.source, d.details, d.seen_at FROM person_details d JOIN people p ON p.id = d.person_id
         WHERE p.id_hash = $1 ORDER BY d.source LIKE 'desk:%' DESC, d.seen_at DESC",
    )
    .bind(id_hash)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(source, sealed, seen_at)| {
            let d = open_details(&keys.data, id_hash, &sealed)?;
            Ok(Details { source, name: d.name, address: d.address, phone: d.phone, seen_at })
        })
        .collect()
}

/// What one source said (a `person_details.details` value), opened.
pub fn open_details(keys: &crate::fields::DataKeys, id_hash: &[u8], sealed: &str) -> Result<Said> {
    serde_json::from_str(&keys.open("details", id_hash, sealed)?)
        .map_err(|e| crate::CentralError::Internal(e.to_string()))
}

/// Inserts or refreshes people (a desk's details over the person's own phone's whatever their
/// times, the newer of one rank; an empty address or phone keeps the known one; from another
/// phone, details on file are kept), keeps what this source said in `person_details`, and
/// answers their ids by hash.
pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    rows: Vec<PersonRow>,
    source: Source,
) -> Result<HashMap<Vec<u8>, i64>> {
    // One row per person: PostgreSQL refuses to update the same row twice in one statement.
    let mut latest: HashMap<Vec<u8>, PersonRow> = HashMap::new();
    let mut persons = Vec::with_capacity(rows.len());
    for r in rows {
        let person = keys.person(&r.document_number);
        let h = person.lookup.clone();
        persons.push(person);
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
    // A child without a document is filed under the guardian too (a trace of the guardian).
    let mut guardian: Vec<Option<Vec<u8>>> = Vec::with_capacity(latest.len());
    let mut said = Vec::with_capacity(latest.len());
    for (h, r) in latest {
        let details = Said { name: r.name.clone(), address: r.address.clone(), phone: r.phone.clone() };
        let details = serde_json::to_string(&details).map_err(|e| crate::CentralError::Internal(e.to_string()))?;
        said.push(keys.data.seal("details", &h, &details)?);
        let seal = |field: &str, v: &str| keys.data.seal(field, &h, v);
        number.push(seal("document_number", &r.document_number)?);
        name.push(seal("name", &r.name)?);
        address.push(seal("address", &r.address)?);
        phone.push(r.phone.as_deref().map(|p| seal("phone", p)).transpose()?);
        guardian.push(
            placecode_core::identity::child_parts(&r.document_number)
                .filter(|_| r.document_kind == placecode_core::identity::DocumentKind::ChildWithGuardian.key())
                .map(|(g, _)| keys.person(g).lookup),
        );
        kind.push(r.document_kind);
        last4.push(r.last4);
        seen.push(r.seen);
        hashes.push(h);
    }
    let out: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "INSERT INTO people AS p (id_hash, document_kind, document_number, last4, name, address, phone, updated_at,
             guardian_hash, details_rank)
         SELECT *, $9::smallint FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::timestamptz[], $10::bytea[])
         ON CONFLICT (id_hash) DO UPDATE SET
             -- A trusted source (rank above 0) wins by rank, then by time (a row comparison).
             name = CASE WHEN p.name = '' OR EXCLUDED.details_rank > 0
                     AND (EXCLUDED.details_rank, EXCLUDED.updated_at) >= (p.details_rank, p.updated_at)
                     AND EXCLUDED.name <> ''
                 THEN EXCLUDED.name ELSE p.name END,
             address = CASE WHEN EXCLUDED.details_rank > 0
                     AND (EXCLUDED.details_rank, EXCLUDED.updated_at) >= (p.details_rank, p.updated_at)
                     AND EXCLUDED.address <> ''
                 THEN EXCLUDED.address ELSE p.address END,
             phone = CASE WHEN EXCLUDED.details_rank > 0
                     AND (EXCLUDED.details_rank, EXCLUDED.updated_at) >= (p.details_rank, p.updated_at)
                     AND EXCLUDED.phone IS NOT NULL
                 THEN EXCLUDED.phone ELSE p.phone END,
             -- When the details on file were said: a desk's older record over a phone's newer one
             -- is as old as it is, so the next desk record newer than it wins.
             updated_at = CASE WHEN EXCLUDED.details_rank > 0
                     AND (EXCLUDED.details_rank, EXCLUDED.updated_at) >= (p.details_rank, p.updated_at)
                 THEN EXCLUDED.updated_at ELSE p.updated_at END,
             details_rank = GREATEST(p.details_rank, EXCLUDED.details_rank)
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
    .bind(source.rank())
    .bind(&guardian)
    .fetch_all(&mut **tx)
    .await?;
    let ids: HashMap<Vec<u8>, i64> = out.into_iter().collect();
    let person_ids: Vec<i64> = hashes.iter().map(|h| ids.get(h).copied().unwrap_or_default()).collect();
    sqlx::query(
        "INSERT INTO person_details AS d (person_id, source, details, seen_at)
         SELECT u.id, $2, u.details, u.seen FROM UNNEST($1::bigint[], $3::text[], $4::timestamptz[]) AS u(id, details, seen)
         ON CONFLICT (person_id, source) DO UPDATE SET details = EXCLUDED.details, seen_at = EXCLUDED.seen_at
             WHERE EXCLUDED.seen_at >= d.seen_at",
    )
    .bind(&person_ids)
    .bind(source.label())
    .bind(&said)
    .bind(&seen)
    .execute(&mut **tx)
    .await?;
    adopt_legacy(tx, keys, &persons).await?;
    Ok(ids)
}

/// Rows from before the lookup key (risk entries, kept colours, a phone's own colours, found
/// by the desks' hash) of these people move to their lookup hash, their desk hash sealed.
pub async fn adopt_legacy(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    persons: &[crate::config::PersonKey],
) -> Result<()> {
    let desk: Vec<Vec<u8>> = persons.iter().map(|p| p.desk.to_vec()).collect();
    let (legacy,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM risk WHERE legacy AND id_hash = ANY($1))
             OR EXISTS (SELECT 1 FROM raised WHERE legacy AND id_hash = ANY($1))
             OR EXISTS (SELECT 1 FROM phone_raised WHERE legacy AND id_hash = ANY($1))",
    )
    .bind(&desk)
    .fetch_one(&mut **tx)
    .await?;
    if !legacy {
        return Ok(());
    }
    for p in persons {
        let sealed = keys.seal_tag_input(p)?;
        for table in ["risk", "raised"] {
            // A row already under the lookup hash (imported since) wins over the old one.
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE legacy AND id_hash = $1 AND EXISTS (SELECT 1 FROM {table} WHERE id_hash = $2)"
            ))
            .bind(p.desk.as_slice())
            .bind(&p.lookup)
            .execute(&mut **tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE {table} SET id_hash = $2, tag_input = $3, legacy = false WHERE legacy AND id_hash = $1"
            ))
            .bind(p.desk.as_slice())
            .bind(&p.lookup)
            .bind(&sealed)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM phone_raised o WHERE o.legacy AND o.id_hash = $1
                 AND EXISTS (SELECT 1 FROM phone_raised n WHERE n.phone_id = o.phone_id AND n.id_hash = $2)",
        )
        .bind(p.desk.as_slice())
        .bind(&p.lookup)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE phone_raised SET id_hash = $2, legacy = false WHERE legacy AND id_hash = $1")
            .bind(p.desk.as_slice())
            .bind(&p.lookup)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// People stored under the desks' hash by an older server move to the lookup hash, their fields
/// sealed again for it, and their risk entries and kept colours with them; a thousand at a time.
/// Answers how many people moved.
pub async fn rekey(pool: &sqlx::PgPool, keys: &crate::Keys) -> Result<u64> {
    let mut done = 0;
    loop {
        let mut tx = pool.begin().await?;
        type Row = (i64, Vec<u8>, String, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, id_hash, document_number, name, address, phone FROM people WHERE hash_v = 0
             ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED",
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut persons = Vec::with_capacity(rows.len());
        for (id, old, number, name, address, phone) in &rows {
            let number = keys.data.open("document_number", old, number)?;
            let person = keys.person(&number);
            let again = |field: &str, v: &str| keys.data.seal(field, &person.lookup, &keys.data.open(field, old, v)?);
            sqlx::query(
                "UPDATE people SET id_hash = $2, document_number = $3, name = $4, address = $5, phone = $6, hash_v = 1
                 WHERE id = $1",
            )
            .bind(id)
            .bind(&person.lookup)
            .bind(keys.data.seal("document_number", &person.lookup, &number)?)
            .bind(again("name", name)?)
            .bind(again("address", address)?)
            .bind(phone.as_deref().map(|p| again("phone", p)).transpose()?)
            .execute(&mut *tx)
            .await?;
            persons.push(person);
        }
        adopt_legacy(&mut tx, keys, &persons).await?;
        tx.commit().await?;
        done += rows.len() as u64;
    }
    Ok(done)
}

/// A person's sealed fields, opened: the columns as a query selects them, with the person's hash.
pub fn open_fields(
    keys: &crate::fields::DataKeys,
    id_hash: &[u8],
    name: &mut String,
    document_number: &mut String,
    phone: &mut Option<String>,
) -> Result<()> {
    *name = keys.open("name", id_hash, name)?;
    *document_number = keys.open("document_number", id_hash, document_number)?;
    if let Some(p) = phone.as_mut() {
        *p = keys.open("phone", id_hash, p)?;
    }
    Ok(())
}

/// Seals every personal field not yet sealed under the current data key (values from before
/// encryption, or under an older key), a thousand people at a time, and each source's details
/// of them; answers how many people were resealed and the key ids still in use afterwards.
pub async fn reseal(pool: &sqlx::PgPool, keys: &crate::Keys) -> Result<(u64, Vec<u32>)> {
    let prefix = format!("pc1.{:08x}.%", keys.data.current());
    let mut done = 0;
    loop {
        let mut tx = pool.begin().await?;
        type Row = (i64, Vec<u8>, String, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, id_hash, document_number, name, address, phone FROM people
             WHERE (document_number <> '' AND document_number NOT LIKE $1) OR (name <> '' AND name NOT LIKE $1)
                OR (address <> '' AND address NOT LIKE $1) OR (phone IS NOT NULL AND phone NOT LIKE $1)
             ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED",
        )
        .bind(&prefix)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for (id, h, number, name, address, phone) in &rows {
            let again = |field: &str, v: &str| keys.data.reseal(field, h, v);
            sqlx::query("UPDATE people SET document_number = $2, name = $3, address = $4, phone = $5 WHERE id = $1")
                .bind(id)
                .bind(again("document_number", number)?)
                .bind(again("name", name)?)
                .bind(again("address", address)?)
                .bind(phone.as_deref().map(|p| again("phone", p)).transpose()?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += rows.len() as u64;
    }
    // What each source said, sealed for the same person.
    loop {
        let mut tx = pool.begin().await?;
        let rows: Vec<(i64, String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT d.person_id, d.source, p.id_hash, d.details FROM person_details d JOIN people p ON p.id = d.person_id
             WHERE d.details NOT LIKE $1 ORDER BY d.person_id LIMIT 1000 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(&prefix)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for (person, source, h, sealed) in &rows {
            sqlx::query("UPDATE person_details SET details = $3 WHERE person_id = $1 AND source = $2")
                .bind(person)
                .bind(source)
                .bind(keys.data.seal("details", h, &keys.data.open("details", h, sealed)?)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let used = sealed_key_ids(pool).await?;
    Ok((done, used.iter().filter_map(|id| u32::from_str_radix(id, 16).ok()).collect()))
}

/// Seals what an older server kept in clear besides people, and reseals under the current key
/// what is kept for long: visits' reasons (sealed once; they age out with retention),
/// incidents' reasons and notes and their steps' notes, venues' managers, the desks'
/// code-signing secrets, the console users' TOTP secrets and the listed places' contacts.
/// Answers how many values it sealed. Run at start in the background, and by `admin reseal`.
pub async fn seal_records(pool: &sqlx::PgPool, keys: &crate::Keys) -> Result<u64> {
    let data = &keys.data;
    let prefix = format!("pc1.{:08x}.%", data.current());
    let mut done = 0;
    loop {
        let mut tx = pool.begin().await?;
        let rows: Vec<(uuid::Uuid, DateTime<Utc>, Vec<String>)> = sqlx::query_as(
            "SELECT id, at, reasons FROM visits WHERE reasons <> '{}' LIMIT 1000 FOR UPDATE SKIP LOCKED",
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for (id, at, reasons) in &rows {
            sqlx::query("UPDATE visits SET sealed_reasons = $3, reasons = '{}' WHERE id = $1 AND at = $2")
                .bind(id)
                .bind(at)
                .bind(data.seal_reasons(id, reasons)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += rows.len() as u64;
    }
    let mut tx = pool.begin().await?;
    let incidents: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
        "SELECT id, reason, note FROM incidents
         WHERE (reason <> '' AND reason NOT LIKE $1) OR (note <> '' AND note NOT LIKE $1) FOR UPDATE",
    )
    .bind(&prefix)
    .fetch_all(&mut *tx)
    .await?;
    for (id, reason, note) in &incidents {
        let again = |field: &str, v: &str| data.reseal(field, id.as_bytes(), v);
        sqlx::query("UPDATE incidents SET reason = $2, note = $3 WHERE id = $1")
            .bind(id)
            .bind(again(crate::fields::INCIDENT_REASON, reason)?)
            .bind(again(crate::fields::INCIDENT_NOTE, note)?)
            .execute(&mut *tx)
            .await?;
    }
    let steps: Vec<(uuid::Uuid, uuid::Uuid, String)> = sqlx::query_as(
        "SELECT id, incident_id, note FROM incident_events WHERE note <> '' AND note NOT LIKE $1 FOR UPDATE",
    )
    .bind(&prefix)
    .fetch_all(&mut *tx)
    .await?;
    for (id, incident, note) in &steps {
        let field = crate::fields::INCIDENT_NOTE;
        sqlx::query("UPDATE incident_events SET note = $2 WHERE id = $1")
            .bind(id)
            .bind(data.reseal(field, incident.as_bytes(), note)?)
            .execute(&mut *tx)
            .await?;
    }
    let venues: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
        "SELECT id, manager_name, manager_phone FROM venues
         WHERE (manager_name <> '' AND manager_name NOT LIKE $1) OR (manager_phone <> '' AND manager_phone NOT LIKE $1)
         FOR UPDATE",
    )
    .bind(&prefix)
    .fetch_all(&mut *tx)
    .await?;
    for (id, name, phone) in &venues {
        let again = |field: &str, v: &str| data.reseal(field, id.as_bytes(), v);
        sqlx::query("UPDATE venues SET manager_name = $2, manager_phone = $3 WHERE id = $1")
            .bind(id)
            .bind(again(crate::fields::MANAGER_NAME, name)?)
            .bind(again(crate::fields::MANAGER_PHONE, phone)?)
            .execute(&mut *tx)
            .await?;
    }
    let desks: Vec<(uuid::Uuid, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT id, code_key_sealed, code_key_secret FROM desks
         WHERE code_key_secret IS NOT NULL OR code_key_sealed NOT LIKE $1 FOR UPDATE",
    )
    .bind(&prefix)
    .fetch_all(&mut *tx)
    .await?;
    for (id, sealed, clear) in &desks {
        let secret = data.code_key(*id, sealed.as_deref(), clear.as_deref())?;
        sqlx::query("UPDATE desks SET code_key_sealed = $2, code_key_secret = NULL WHERE id = $1")
            .bind(id)
            .bind(data.seal_code_key(*id, &secret)?)
            .execute(&mut *tx)
            .await?;
    }
    // The console users' second-factor secrets.
    let users: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, totp_sealed FROM console_users WHERE totp_sealed NOT LIKE $1 FOR UPDATE")
            .bind(&prefix)
            .fetch_all(&mut *tx)
            .await?;
    for (id, sealed) in &users {
        sqlx::query("UPDATE console_users SET totp_sealed = $2 WHERE id = $1")
            .bind(id)
            .bind(data.reseal(crate::console::account::TOTP_FIELD, id.as_bytes(), sealed)?)
            .execute(&mut *tx)
            .await?;
    }
    let places = crate::console::places::reseal(&mut tx, data, &prefix).await?;
    tx.commit().await?;
    Ok(done + (incidents.len() + steps.len() + venues.len() + desks.len() + users.len()) as u64 + places)
}

/// The ids (as stored, 8 hex digits) of the data keys that values in the database are sealed
/// under: people's fields, and the values sealed whole (pull changes, trip crews and notes, truck
/// records and shares, who helped on a visit and why it had its colour, a phone's result page for
/// its day), which are not resealed but age out with retention, so their keys are kept until
/// then; and each source's details of a person.
pub async fn sealed_key_ids(pool: &sqlx::PgPool) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT split_part(v, '.', 2) FROM (
             SELECT unnest(ARRAY[document_number, name, address, phone]) AS v FROM people
             UNION ALL SELECT body->>'sealed' FROM changes
             UNION ALL SELECT crew->>'sealed' FROM trips
             UNION ALL SELECT resolution_note->>'sealed' FROM trips
             UNION ALL SELECT body->>'sealed' FROM truck_records
             UNION ALL SELECT body->>'sealed' FROM truck_shares
             UNION ALL SELECT helper FROM visits WHERE helper LIKE 'pc1.%'
             UNION ALL SELECT sealed_reasons FROM visits WHERE sealed_reasons IS NOT NULL
             UNION ALL SELECT shown->>'sealed' FROM phone_results
             UNION ALL SELECT reason FROM incidents
             UNION ALL SELECT note FROM incidents
             UNION ALL SELECT note FROM incident_events
             UNION ALL SELECT code_key_sealed FROM desks
             UNION ALL SELECT manager_name FROM venues
             UNION ALL SELECT manager_phone FROM venues
             UNION ALL SELECT reason FROM risk
             UNION ALL SELECT tag_input FROM risk
             UNION ALL SELECT tag_input FROM raised
             UNION ALL SELECT details FROM person_details
             UNION ALL SELECT totp_sealed FROM console_users
             UNION ALL SELECT contact_name FROM reference_places
             UNION ALL SELECT contact_phone FROM reference_places
         ) s WHERE v LIKE 'pc1.%'",
    )
    .fetch_all(pool)
    .await?)
}
