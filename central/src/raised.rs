//! Raised colours at the centre (赋色保持, R7): kept by keyed hash, merged with the core's rule
//! (the higher colour, the later end), published to every desk, and cleared only by the
//! epidemic office through `admin clear-colour` (audited).

use chrono::{DateTime, Utc};
use placecode_core::decision::{Colour, Raised};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{CentralError, Result};

/// Keeps raised colours for people (by their lookup hash, the desk hash sealed beside it) and
/// publishes each to every desk by door tag (the tags' kept colours after the change; never a
/// hash).
pub async fn keep(
    tx: &mut Transaction<'_, Postgres>,
    keys: &crate::Keys,
    raises: &[(crate::config::PersonKey, Raised)],
) -> Result<()> {
    if raises.is_empty() {
        return Ok(());
    }
    // One row per person (a batch may hold two raising visits of one person: PostgreSQL refuses
    // to update a row twice in one statement), merged by the core's rule.
    let mut merged: Vec<(crate::config::PersonKey, Raised)> = Vec::with_capacity(raises.len());
    for (p, r) in raises {
        match merged.iter_mut().find(|(q, _)| q.lookup == p.lookup) {
            Some((_, m)) => *m = m.merge(*r),
            None => merged.push((p.clone(), *r)),
        }
    }
    let raises = merged.as_slice();
    let epoch = crate::risk::current_epoch(&mut **tx).await?.map(|(e, _)| e);
    let tags: Vec<Option<i64>> = match &epoch {
        Some(e) => crate::risk::tags_of(e, raises.iter().map(|(p, _)| p.desk).collect())
            .await?
            .into_iter()
            .map(|t| Some(i64::from(t)))
            .collect(),
        None => vec![None; raises.len()],
    };
    let hashes: Vec<&[u8]> = raises.iter().map(|(p, _)| p.lookup.as_slice()).collect();
    let inputs: Vec<String> = raises.iter().map(|(p, _)| keys.seal_tag_input(p)).collect::<Result<_>>()?;
    let colours: Vec<&str> = raises.iter().map(|(_, r)| r.colour.key()).collect();
    let until: Vec<DateTime<Utc>> = raises.iter().map(|(_, r)| r.until).collect();
    sqlx::query(
        "INSERT INTO raised AS k (id_hash, colour, until, tag, tag_input)
         SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::timestamptz[], $4::bigint[], $5::text[])
         ON CONFLICT (id_hash) DO UPDATE SET
             colour = CASE WHEN EXCLUDED.colour = 'red' OR k.colour = 'red' THEN 'red' ELSE EXCLUDED.colour END,
             until = GREATEST(k.until, EXCLUDED.until), tag = EXCLUDED.tag, tag_input = EXCLUDED.tag_input,
             updated_at = now()",
    )
    .bind(&hashes)
    .bind(&colours)
    .bind(&until)
    .bind(&tags)
    .bind(&inputs)
    .execute(&mut **tx)
    .await?;
    if let Some(e) = epoch {
        let touched: Vec<i64> = tags.into_iter().flatten().collect();
        crate::risk::publish_raised_tags(tx, e.epoch, &touched, false).await?;
    }
    Ok(())
}

/// The colour kept for a person as this phone sees it: the centre's, and the one this phone's
/// own unverified declarations raised (the higher colour, the later end). Rows from before the
/// lookup key are found by the desks' hash.
pub async fn for_hash(
    db: impl sqlx::PgExecutor<'_>,
    person: &crate::config::PersonKey,
    phone: Option<uuid::Uuid>,
) -> Result<Option<Raised>> {
    let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT colour, until FROM raised WHERE id_hash = $1 OR (legacy AND id_hash = $3)
         UNION ALL SELECT colour, until FROM phone_raised
             WHERE (id_hash = $1 OR (legacy AND id_hash = $3)) AND phone_id = $2",
    )
    .bind(&person.lookup)
    .bind(phone)
    .bind(person.desk.as_slice())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, until)| Some(Raised { colour: Colour::parse(&c)?, until }))
        .reduce(Raised::merge))
}

/// Keeps a colour raised by an unverified declaration for that phone only.
pub async fn keep_on_phone(
    tx: &mut Transaction<'_, Postgres>,
    phone: uuid::Uuid,
    hash: &[u8],
    r: &Raised,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO phone_raised AS k (phone_id, id_hash, colour, until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (phone_id, id_hash) DO UPDATE SET
             colour = CASE WHEN EXCLUDED.colour = 'red' OR k.colour = 'red' THEN 'red' ELSE EXCLUDED.colour END,
             until = GREATEST(k.until, EXCLUDED.until)",
    )
    .bind(phone)
    .bind(hash)
    .bind(r.colour.key())
    .bind(r.until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The epidemic office clears a person's raised colour: removed here and on every desk at its
/// next pull. The note (why) is required and audited with the actor; the ID number is not logged.
pub async fn clear(
    pool: &PgPool,
    keys: &crate::Keys,
    actor: &crate::audit::Actor,
    id_number: &str,
    note: &str,
) -> Result<bool> {
    let number = crate::trace::document_number(id_number)?;
    let note = placecode_core::normalize::clean(note);
    if note.chars().count() < 2 || note.chars().count() > 200 {
        return Err(CentralError::Invalid {
            field: "note".into(), message: "解除说明：请写明依据，2至200个字".into()
        });
    }
    let person = keys.person(&number);
    let mut tx = pool.begin().await?;
    let removed: Vec<(Option<i64>,)> =
        sqlx::query_as("DELETE FROM raised WHERE id_hash = $1 OR (legacy AND id_hash = $2) RETURNING tag")
            .bind(&person.lookup)
            .bind(person.desk.as_slice())
            .fetch_all(&mut *tx)
            .await?;
    let cleared = !removed.is_empty();
    // Desks hear of it by tag: what is still kept for that tag, and that someone was cleared.
    let tags: Vec<i64> = removed.into_iter().filter_map(|(t,)| t).collect();
    if let (false, Some((e, _))) = (tags.is_empty(), crate::risk::current_epoch(&mut *tx).await?) {
        crate::risk::publish_raised_tags(&mut tx, e.epoch, &tags, true).await?;
    }
    let params = serde_json::json!({ "id_number": placecode_core::mask::id_number(&number), "note": note });
    crate::audit::write(&mut *tx, actor, "clear_colour", params, usize::from(cleared)).await?;
    tx.commit().await?;
    Ok(cleared)
}
