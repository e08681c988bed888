//! A first visit: the declaration (R5), and at a checkpoint a crew member's pre-declaration
//! with the destination and a link to share with the rest of the crew.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Utc;
use placecode_core::checkin::{DeclarationInput, TruckDeclarationInput};
use placecode_core::sync::ChangeKind;
use placecode_core::venue::CodeKind;
use uuid::Uuid;

use crate::error::CentralError;
use crate::people::PersonRow;
use crate::App;
use html::Form;
use text as t;

use super::*;

/// At a checkpoint, the registered destination venues a crew chooses from; elsewhere none.
pub(super) async fn destinations(app: &App, s: &Served) -> Result<Option<Vec<(String, String)>>, CentralError> {
    if s.kind != CodeKind::Checkpoint {
        return Ok(None);
    }
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, name FROM venues WHERE kind = 'destination' AND status = 'approved' ORDER BY name, id LIMIT 500",
    )
    .fetch_all(&app.pool)
    .await?;
    Ok(Some(rows.into_iter().map(|(id, name)| (id.to_string(), name)).collect()))
}

/// The destination a crew chose: a registered destination venue (id, name), `None` for
/// 不在列表中, or the form's reason.
pub(super) async fn chosen_destination(
    app: &App,
    raw: &str,
) -> Result<Result<Option<(Uuid, String)>, &'static str>, CentralError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Err(t::ZH.destination_missing));
    }
    if raw == html::OTHER_DESTINATION {
        return Ok(Ok(None));
    }
    let Ok(id) = Uuid::parse_str(raw) else {
        return Ok(Err(t::ZH.destination_bad));
    };
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM venues WHERE id = $1 AND kind = 'destination' AND status = 'approved'")
            .bind(id)
            .fetch_optional(&app.pool)
            .await?;
    Ok(name.map(|n| Some((id, n))).ok_or(t::ZH.destination_bad))
}

/// The truck's details a 同车人员申报 link fills in: only at the checkpoint it was made for,
/// for one day; an unknown or old token fills in nothing.
pub(super) async fn shared(app: &App, s: &Served, token: &str) -> Result<Vec<(String, String)>, CentralError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Vec::new());
    }
    let body: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM truck_shares WHERE token = $1 AND venue_id = $2 AND at > now() - interval '1 day'",
    )
    .bind(token)
    .bind(s.venue_id)
    .fetch_optional(&app.pool)
    .await?;
    let Some(body) = body else { return Ok(Vec::new()) };
    let body = app.keys.data.open_body("truck_share", body)?;
    Ok(SHARED_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()).map(|v| ((*k).to_owned(), v.to_owned())))
        .collect())
}

/// What a 同车人员申报 link fills in: the truck's, never a person's.
pub(super) const SHARED_FIELDS: [&str; 6] =
    ["plate", "origin", "entry_point", "destination", "expected_departure", "expected_return"];

/// Makes the 同车人员申报 link for a crew member's pre-declaration: the truck's details as the
/// rules normalized them, and the destination chosen.
pub(super) async fn share(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    app: &App,
    s: &Served,
    crew: &placecode_core::checkin::TruckDeclarationInput,
    destination: Option<Uuid>,
) -> Result<String, CentralError> {
    let destination = destination.map_or_else(|| html::OTHER_DESTINATION.to_owned(), |d| d.to_string());
    let body = serde_json::json!({
        "plate": crew.plate, "origin": crew.origin, "entry_point": crew.entry_point,
        "destination": destination, "expected_departure": crew.expected_departure,
        "expected_return": crew.expected_return,
    });
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).map_err(|e| CentralError::Internal(e.to_string()))?;
    let token = hex::encode(raw);
    sqlx::query("DELETE FROM truck_shares WHERE at < now() - interval '1 day'").execute(&mut **tx).await?;
    sqlx::query("INSERT INTO truck_shares (token, venue_id, body) VALUES ($1, $2, $3)")
        .bind(&token)
        .bind(s.venue_id)
        .bind(app.keys.data.seal_body("truck_share", &body)?)
        .execute(&mut **tx)
        .await?;
    Ok(format!("{}{}?same={token}", app.public_url, action_path(&s.code)))
}

/// A first visit (or another person on this phone): the declaration of the code's kind.
pub(super) async fn declare(app: &App, s: &Served, form: &Submitted<'_>) -> Result<Response, CentralError> {
    let t = form.lang.texts();
    let (phone, fields) = (form.phone, form.fields);
    let now = Utc::now();
    let today = placecode_core::sync::shanghai_date(now);
    let get = |k: &str| placecode_core::checkin::form_value(fields, k);
    let people = if s.kind == CodeKind::General { known(app, phone).await? } else { Vec::new() };
    // A kind the form never offers (a tampered form) is refused, never taken for a resident ID.
    let kind = get("document_kind");
    let tampered = !kind.is_empty() && placecode_core::identity::DocumentKind::parse(&kind).is_none();
    let checked = if s.kind == CodeKind::General {
        let input = DeclarationInput::from_form(fields);
        let mut checked = placecode_core::checkin::declaration(&input, today, "");
        // Someone else on a phone that already holds people: who they are to its owner.
        let relation = if people.is_empty() { Some(t::SELF.to_owned()) } else { relation(&get("relation")) };
        if relation.is_none() {
            checked = also_invalid(checked, "relation", t::ZH.relation_missing);
        }
        if tampered {
            checked = also_invalid(checked, "document_kind", t::ZH.document_kind_bad);
        }
        checked.map(|d| {
            let row = PersonRow {
                document_kind: d.id.kind.key(),
                last4: d.id.last4().to_owned(),
                document_number: d.id.number,
                name: d.name,
                address: d.address,
                phone: d.phone,
                seen: now,
            };
            (row, d.answers, None, relation.unwrap_or_default())
        })
    } else {
        let input = TruckDeclarationInput::from_form(fields);
        let mut checked = placecode_core::checkin::truck_declaration(&input, today, "");
        if tampered {
            checked = also_invalid(checked, "document_kind", t::ZH.document_kind_bad);
        }
        // Before the truck arrives: where it is going (the checkpoint's staff confirm it).
        let destination = if s.kind == CodeKind::Checkpoint {
            match chosen_destination(app, &get("destination")).await? {
                Ok(d) => d,
                Err(m) => {
                    checked = also_invalid(checked, "destination", m);
                    None
                }
            }
        } else {
            None
        };
        checked.map(|d| {
            // Stored and sent on as the rules normalized it, never as typed.
            let crew = d.normalized();
            let last4 = placecode_core::identity::last_four_of(&d.document_number);
            let row = PersonRow {
                document_kind: d.document_kind.key(),
                document_number: d.document_number,
                last4,
                name: d.name,
                address: String::new(),
                phone: Some(d.phone),
                seen: now,
            };
            (row, d.answers, Some((d.plate, crew, destination)), t::SELF.to_owned())
        })
    };
    let (row, answers, truck, relation) = match checked {
        Ok(c) => c,
        Err(placecode_core::Error::Invalid(errors)) => {
            // A second tap of a form whose first tap was stored meanwhile: what changed (this
            // phone now holds the person, so 关系 is asked) is no reason to refuse; show the first.
            if let Some((id, code)) = done(app, phone, form.once).await? {
                return Ok(see_other(app, &result_path(&code, id)));
            }
            let n = nonce();
            let shown = Form { values: fields, errors: &errors, lang: form.lang };
            let token = csrf(app, phone);
            let once = form.once.to_string();
            let destinations = destinations(app, s).await?;
            let view = View { destinations: destinations.as_deref(), ..form.view(&token, &once) };
            let page = page_for(&n, s, &view, &people, &shown, None, "");
            return Ok(respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None));
        }
        Err(e) => return Err(CentralError::Internal(e.to_string())),
    };
    // A number this phone does not hold yet is counted against the phone's and the address's
    // limits (a number already on file, from a phone not linked to it, counts harder).
    let (on_file, held): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM people WHERE id_hash = $1),
                EXISTS (SELECT 1 FROM phone_people pp JOIN people p ON p.id = pp.person_id
                        WHERE p.id_hash = $1 AND pp.phone_id = $2)",
    )
    .bind(&app.keys.person(&row.document_number).lookup)
    .bind(phone)
    .fetch_one(&app.pool)
    .await?;
    if !held {
        if let Some(refusal) = limits::admit_new_id(app, t, phone, form.client, on_file, today).await? {
            let mut r = message(app, t, StatusCode::TOO_MANY_REQUESTS, t.title, refusal);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
            return Ok(r);
        }
    }
    let mut tx = app.pool.begin().await?;
    // A phone the administrator revoked declares no one (its four digits find no one either:
    // revoking took its people away).
    let live: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO phones (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()
         WHERE phones.revoked_at IS NULL RETURNING id",
    )
    .bind(phone)
    .fetch_optional(&mut *tx)
    .await?;
    if live.is_none() {
        tx.rollback().await?;
        return Ok(message(app, t, StatusCode::FORBIDDEN, t.title, t.stale_form));
    }
    let number = row.document_number.clone();
    let kind = row.document_kind.to_owned();
    let key = app.keys.person(&number);
    let hash = key.lookup.clone();
    // Is this the person's own phone? Yes when the centre did not know them (this phone declared
    // them first) or this phone's link to them is verified; no when someone typed an ID number
    // already on file. Only the person's own phone updates their details. No phone raises a
    // colour that follows the person beyond it (see `returning::decide`).
    let verified: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM people WHERE id_hash = $1)
             OR EXISTS (SELECT 1 FROM phone_people pp JOIN people p ON p.id = pp.person_id
                        WHERE p.id_hash = $1 AND pp.phone_id = $2 AND pp.verified)",
    )
    .bind(&hash)
    .bind(phone)
    .fetch_one(&mut *tx)
    .await?;
    let source = if verified { crate::people::Source::OwnPhone(phone) } else { crate::people::Source::Phone(phone) };
    let typed_name = row.name.clone();
    let ids = crate::people::upsert(&mut tx, &app.keys, vec![row], source).await?;
    let person = ids.get(&hash).copied().ok_or_else(|| CentralError::Internal("person not upserted".into()))?;
    // The name on file (a phone never renames anyone): shown, and sent to the venue's desks.
    let sealed: String =
        sqlx::query_scalar("SELECT name FROM people WHERE id = $1").bind(person).fetch_one(&mut *tx).await?;
    let name = app.keys.data.open("name", &hash, &sealed)?;
    sqlx::query(
        "INSERT INTO phone_people (phone_id, person_id, relation, verified) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(phone)
    .bind(person)
    .bind(&relation)
    .bind(verified)
    .execute(&mut *tx)
    .await?;
    let risk = crate::risk::listed(&mut tx, &key).await?.map(|c| c.key().to_owned());
    let kept = crate::raised::for_hash(&mut *tx, &key, Some(phone)).await?;
    let plate = truck.as_ref().map(|(plate, ..)| plate.clone());
    // At a checkpoint a crew member's declaration is a pre-declaration: the checkpoint's desks
    // pull it, staff find the crew by plate and confirm it, and only that entry is a visit.
    let mut share_url = None;
    let predeclared = s.kind == CodeKind::Checkpoint && truck.is_some();
    if let (true, Some((plate, input, destination))) = (predeclared, &truck) {
        let (destination_id, destination_name) = match destination {
            Some((id, name)) => (Some(*id), name.as_str()),
            None => (None, ""),
        };
        let body = serde_json::json!({
            "venue_id": s.venue_id, "plate": plate, "crew": [input], "at": now, "code": s.code,
            "destination_id": destination_id, "destination_name": destination_name,
        });
        sqlx::query("INSERT INTO truck_records (id, kind, desk_id, venue_id, plate, body, at) VALUES ($1, 'pre_declaration', NULL, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(s.venue_id)
            .bind(plate)
            .bind(app.keys.data.seal_body("truck_record", &body)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let change = placecode_core::sync::PreDeclarationChange {
            id: Uuid::now_v7().to_string(),
            venue_id: s.venue_id.to_string(),
            plate: plate.clone(),
            crew: vec![input.clone()],
            at: now,
            destination_id: destination_id.map(|d| d.to_string()),
        };
        let change = app.keys.data.seal_body(ChangeKind::PreDeclaration.key(), &change)?;
        crate::pull::append(&mut tx, ChangeKind::PreDeclaration, Some(s.venue_id), None, &change).await?;
        share_url = Some(share(&mut tx, app, s, input, destination.as_ref().map(|(id, _)| *id)).await?);
    }
    let who = Some(who(&t::ZH, &number, &relation));
    // The person's own phone shows the name on file; another phone the name it typed.
    let shown = if verified { name.clone() } else { typed_name };
    let person = Person { id: person, key, name, shown, number, kind, risk, kept, answers, plate, who, verified };
    let mut decided = decide(&app.keys, s, &[person], ((!predeclared).then_some("declaration"), form.present()), now)?;
    if let Some(first) = decided.shown.first_mut() {
        first.share = share_url;
        if predeclared {
            first.destination = Some(match &truck {
                Some((_, _, Some((_, name)))) => name.clone(),
                _ => t::ZH.destination_other.to_owned(),
            });
        }
    }
    // The form's token is claimed with the visit: a request with the same token that got there
    // first (this one waited for its commit) leaves this one nothing to write.
    let (write, raised) = decided.write(app, s, form, now)?;
    let result = write.result;
    if !door::store(&mut *tx, std::slice::from_ref(&write)).await?.contains(&result) {
        tx.rollback().await?;
        return already(app, form).await;
    }
    keep(&mut tx, &app.keys, phone, &raised).await?;
    tx.commit().await?;
    Ok(see_other(app, &result_path(&s.code, result)))
}

/// A check that passed or failed, with one more field error the page itself found.
pub(super) fn also_invalid<T>(
    checked: placecode_core::Result<T>,
    field: &str,
    message: &str,
) -> placecode_core::Result<T> {
    let e = placecode_core::FieldError { field: field.into(), message: message.into() };
    match checked {
        Err(placecode_core::Error::Invalid(mut errors)) => {
            errors.push(e);
            Err(placecode_core::Error::Invalid(errors))
        }
        _ => Err(placecode_core::Error::Invalid(vec![e])),
    }
}

/// 与本人关系 for someone registered on another person's phone: one of the listed choices.
pub(super) fn relation(raw: &str) -> Option<String> {
    t::RELATIONS.iter().find(|r| **r == raw.trim()).map(|r| (*r).to_owned())
}
