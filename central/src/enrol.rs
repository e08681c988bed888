//! Desk enrolment: an administrator's one-time token becomes a desk's own credential.

use chrono::{Duration, Utc};
use placecode_core::sync::{EnrolRequest, EnrolResponse};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::{hash_secret, new_secret};
use crate::error::{CentralError, Result};

/// Makes a one-time enrolment token for venues and/or districts, valid for 24 hours. A token
/// that names a desk (`desk`) re-enrols that desk, also after its revocation, and no other.
pub async fn make_token(
    pool: &PgPool,
    venues: &[Uuid],
    districts: &[String],
    desk: Option<Uuid>,
    note: &str,
) -> Result<String> {
    for d in districts {
        if placecode_core::venue::District::parse(d).is_none() {
            return Err(CentralError::Invalid {
                field: "district".into(), message: format!("所在辖区：不认识“{d}”")
            });
        }
    }
    // Only what the centre knows: a token for a desk or a venue that is not there would enrol a
    // desk holding nothing but the risk key.
    if let Some(d) = desk {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM desks WHERE id = $1)").bind(d).fetch_one(pool).await?;
        if !known {
            return Err(CentralError::Invalid {
                field: "desk".into(),
                message: format!("登记台：中心没有编号为{d}的登记台"),
            });
        }
    }
    let known: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM venues WHERE id = ANY($1)").bind(venues).fetch_all(pool).await?;
    if let Some(v) = venues.iter().find(|v| !known.contains(v)) {
        return Err(CentralError::Invalid {
            field: "venue".into(), message: format!("场所：中心没有编号为{v}的场所")
        });
    }
    if venues.is_empty() && districts.is_empty() && desk.is_none() {
        return Err(CentralError::Invalid { field: "venue".into(), message: "请指定场所或辖区".into() });
    }
    let token = new_secret("pce_")?;
    sqlx::query(
        "INSERT INTO enrol_tokens (token_hash, districts, venue_ids, note, expires_at, desk_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash_secret(&token))
    .bind(districts)
    .bind(venues)
    .bind(note)
    .bind(Utc::now() + Duration::hours(24))
    .bind(desk)
    .execute(pool)
    .await?;
    let params = serde_json::json!({"venues": venues, "districts": districts, "desk": desk, "note": note});
    crate::audit::write(pool, &crate::audit::Actor::cli(note), "enrol_token", params, 1).await?;
    Ok(token)
}

/// An enrolment token: districts, venues, the desk it names, the desk that used it.
type TokenRow = (Vec<String>, Vec<Uuid>, Option<Uuid>, Option<Uuid>);

/// A token works once; the same desk may present it again within its 24 hours (its answer was
/// lost on the way) with the signing key it sent then, and gets a fresh credential, the earlier
/// one no longer valid.
///
/// A desk already enrolled is never taken over by someone who merely knows its id, nor by one who
/// also holds a token it used (a token is read out or handed over on paper): its credential and
/// key are replaced only when the request carries its current credential (`bearer`: the desk adds
/// venues with a new token), when this very token enrolled it before and the request carries the
/// signing key on record (the retry above: only the desk holds that key), or when an unused token
/// names it (the administrator's `enrol-token --desk`, also the only way back after revocation).
pub async fn enrol(
    pool: &PgPool,
    keys: &crate::fields::DataKeys,
    req: &EnrolRequest,
    bearer: Option<&str>,
) -> Result<EnrolResponse> {
    let desk_id = Uuid::parse_str(&req.desk_id)
        .map_err(|_| CentralError::Invalid {
            field: "desk_id".into(), message: "登记台编号格式不对".into()
        })?;
    placecode_core::sync::text("desk_name", "登记台名称", &req.desk_name, 60).map_err(CentralError::invalid)?;
    if req.desk_name.trim().is_empty() {
        return Err(CentralError::Invalid { field: "desk_name".into(), message: "登记台名称：必填".into() });
    }
    let secret: [u8; 32] =
        hex::decode(&req.code_key.secret_hex).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            CentralError::Invalid { field: "code_key".into(), message: "签码密钥应为64位十六进制".into() }
        })?;
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let token_hash = hash_secret(req.token.trim());
    let row: Option<TokenRow> = sqlx::query_as(
        "SELECT districts, venue_ids, desk_id, used_by FROM enrol_tokens
         WHERE token_hash = $1 AND expires_at > $2 AND (used_at IS NULL OR used_by = $3) FOR UPDATE",
    )
    .bind(&token_hash)
    .bind(now)
    .bind(desk_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (districts, venues, named, used_by) = row.ok_or(CentralError::TokenInvalid)?;
    // A token made for one desk enrols no other.
    if named.is_some_and(|d| d != desk_id) {
        return Err(CentralError::TokenInvalid);
    }
    type DeskRow = (Vec<u8>, Option<chrono::DateTime<Utc>>, i64, Option<String>, Option<Vec<u8>>);
    let existing: Option<DeskRow> = sqlx::query_as(
        "SELECT credential_hash, revoked_at, code_key_id, code_key_sealed, code_key_secret FROM desks
         WHERE id = $1 FOR UPDATE",
    )
    .bind(desk_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((credential_hash, revoked_at, key_id, sealed, clear)) = existing {
        let named_here = named == Some(desk_id) && used_by.is_none();
        if revoked_at.is_some() && !named_here {
            return Err(CentralError::DeskRevoked);
        }
        let own_credential = bearer.is_some_and(|b| hash_secret(b) == credential_hash);
        let same_key = key_id == i64::from(req.code_key.id)
            && keys
                .code_key(desk_id, sealed.as_deref(), clear.as_deref())
                .is_ok_and(|k| hash_secret(&hex::encode(k)) == hash_secret(&hex::encode(secret)));
        let retry = used_by == Some(desk_id) && same_key;
        if revoked_at.is_none() && !(own_credential || retry || named_here) {
            tracing::warn!(desk = %desk_id, "enrolment over an enrolled desk refused");
            return Err(CentralError::DeskEnrolled);
        }
    }
    sqlx::query("UPDATE enrol_tokens SET used_at = $2, used_by = $3 WHERE token_hash = $1")
        .bind(&token_hash)
        .bind(now)
        .bind(desk_id)
        .execute(&mut *tx)
        .await?;
    let credential = new_secret("pcd_")?;
    let key_taken: Option<Uuid> = sqlx::query_scalar("SELECT id FROM desks WHERE code_key_id = $1 AND id <> $2")
        .bind(i64::from(req.code_key.id))
        .bind(desk_id)
        .fetch_optional(&mut *tx)
        .await?;
    if key_taken.is_some() {
        return Err(CentralError::Invalid {
            field: "code_key".into(),
            message: "签码密钥编号已被另一登记台使用，请重新生成密钥".into(),
        });
    }
    // Re-enrolling a desk (allowed above) replaces its credential and key; a token naming a
    // revoked desk lifts the revocation.
    sqlx::query(
        "INSERT INTO desks (id, name, credential_hash, code_key_id, code_key_sealed, districts, app_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, credential_hash = EXCLUDED.credential_hash,
             code_key_id = EXCLUDED.code_key_id, code_key_sealed = EXCLUDED.code_key_sealed, code_key_secret = NULL,
             districts = ARRAY(SELECT DISTINCT unnest(desks.districts || EXCLUDED.districts)),
             app_version = EXCLUDED.app_version, revoked_at = NULL",
    )
    .bind(desk_id)
    .bind(req.desk_name.trim())
    .bind(hash_secret(&credential))
    .bind(i64::from(req.code_key.id))
    // The desk's signing secret, sealed like personal data: a dump signs no code.
    .bind(keys.seal_code_key(desk_id, &secret)?)
    .bind(&districts)
    .bind(&req.app_version)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO desk_venues (desk_id, venue_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING")
        .bind(desk_id)
        .bind(&venues)
        .execute(&mut *tx)
        .await?;
    for venue in &venues {
        send_venue(&mut tx, keys, *venue).await?;
    }
    let all: Vec<Uuid> = sqlx::query_scalar("SELECT venue_id FROM desk_venues WHERE desk_id = $1 ORDER BY venue_id")
        .bind(desk_id)
        .fetch_all(&mut *tx)
        .await?;
    let districts: Vec<String> =
        sqlx::query_scalar("SELECT districts FROM desks WHERE id = $1").bind(desk_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(desk = %desk_id, venues = all.len(), "desk enrolled");
    Ok(EnrolResponse {
        desk_id: desk_id.to_string(),
        credential,
        risk_key_hex: String::new(),
        venues: all.iter().map(Uuid::to_string).collect(),
        districts,
        server_time: now,
        public_url: String::new(),
    })
}

/// A venue a token names, as the centre holds it, sent to its desks (a pull change, its manager's
/// name and phone sealed at rest) with its review: a second desk at a known venue, or the desk of
/// a refused twin, then lists it and can serve it.
async fn send_venue(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    keys: &crate::fields::DataKeys,
    id: Uuid,
) -> Result<()> {
    type Row = (String, String, String, String, String, String, String, Option<String>, String, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT kind, category, name, district, address, manager_name, manager_phone, supervision_phone, status, reason
         FROM venues WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((kind, category, name, district, address, manager_name, manager_phone, phone, status, reason)) = row
    else {
        return Ok(());
    };
    let open = |field: &str, v: &str| keys.open(field, id.as_bytes(), v);
    let body = placecode_core::sync::VenueBody {
        venue_id: id.to_string(),
        input: placecode_core::venue::VenueInput {
            kind,
            category,
            name,
            district,
            address,
            manager_name: open(crate::fields::MANAGER_NAME, &manager_name)?,
            manager_phone: open(crate::fields::MANAGER_PHONE, &manager_phone)?,
        },
        supervision_phone: phone.unwrap_or_default(),
    };
    let kind = placecode_core::sync::ChangeKind::Venue;
    crate::pull::append(tx, kind, Some(id), None, &keys.seal_body(kind.key(), &body)?).await?;
    let decision =
        placecode_core::sync::VenueDecision { venue_id: id.to_string(), status, reason: reason.unwrap_or_default() };
    crate::pull::append(tx, placecode_core::sync::ChangeKind::VenueDecision, Some(id), None, &decision).await
}

pub async fn revoke_desk(pool: &PgPool, desk: Uuid, actor: &crate::audit::Actor) -> Result<()> {
    let n = sqlx::query("UPDATE desks SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(desk)
        .execute(pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CentralError::NotFound("该登记台（或已吊销）"));
    }
    tracing::info!(desk = %desk, "desk revoked");
    crate::audit::write(pool, actor, "revoke_desk", serde_json::json!({"desk": desk}), 1).await
}
