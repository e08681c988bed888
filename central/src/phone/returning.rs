//! A returning phone: four digits pick one of its people (and ticked people come along), then
//! the door's decision for each, recorded as a visit.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use placecode_core::decision::{self, Colour, HealthAnswers, RiskEntry};
use placecode_core::sync::ChangeKind;
use uuid::Uuid;

use crate::error::CentralError;
use crate::App;
use html::{Form, Shown};
use text as t;

use super::*;

/// A returning phone: four digits pick one of its people and ticked people come along; ticking
/// is enough when the phone's owner is among those ticked.
pub(super) async fn returning(app: &App, s: &Served, form: &Submitted<'_>) -> Result<Response, CentralError> {
    let (phone, fields) = (form.phone, form.fields);
    let now = Utc::now();
    let last4: String = fields
        .iter()
        .find(|(k, _)| k == "last4")
        .map_or(String::new(), |(_, v)| placecode_core::identity::last4(v).unwrap_or_else(|_| v.trim().to_owned()));
    let people = known(app, phone).await?;
    let again = |error: &str| {
        let n = nonce();
        let (token, once) = (csrf(app, phone), form.once.to_string());
        let page = page_for(&n, s, &form.view(&token, &once), &people, &Form::default(), Some(error), &last4);
        respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None)
    };
    let ticked: Vec<usize> = fields.iter().filter(|(k, _)| k == "with").filter_map(|(_, v)| v.parse().ok()).collect();
    let ticked: Vec<i64> =
        people.iter().enumerate().filter(|(i, _)| ticked.contains(&(i + 1))).map(|(_, p)| p.id).collect();
    let main = if last4.is_empty() && !ticked.is_empty() {
        let owner = people.iter().find(|p| p.relation == t::SELF).map(|p| p.id);
        match owner.filter(|o| ticked.contains(o)) {
            Some(o) => o,
            None => return Ok(again(t::LAST4_NEEDED)),
        }
    } else {
        if placecode_core::identity::last4(&last4).is_err() {
            return Ok(again(t::LAST4_BAD));
        }
        // Two people on one phone may share the last four digits (a family): then the one
        // ticked is meant, and with none ticked the phone asks instead of picking one.
        let matching: Vec<&Known> = people.iter().filter(|p| p.last4 == last4).collect();
        match matching.as_slice() {
            [] => return Ok(again(t::LAST4_UNKNOWN)),
            [one] => one.id,
            several => match several.iter().find(|p| ticked.contains(&p.id)) {
                Some(p) => p.id,
                None => return Ok(again(t::LAST4_SHARED)),
            },
        }
    };
    let mut tx = app.pool.begin().await?;
    let mut chosen = Vec::new();
    for p in people.iter().filter(|p| p.id == main || ticked.contains(&p.id)) {
        let key = app.keys.person(&p.number);
        let kept = crate::raised::for_hash(&mut tx, &key, Some(phone)).await?;
        chosen.push(Person {
            id: p.id,
            key,
            name: p.name.clone(),
            shown: p.shown.clone(),
            number: p.number.clone(),
            risk: p.colour.clone(),
            kept,
            answers: HealthAnswers::default(),
            plate: None,
            who: Some(who(&p.number, &p.relation)),
            verified: p.verified,
        });
    }
    let Some(result) = claim(&mut tx, s, form, now).await? else {
        return already(app, tx, form).await;
    };
    let shown = check_in(&mut tx, &app.keys, s, phone, &chosen, Some("last4"), now).await?;
    finish(app, tx, s, result, &shown).await
}

/// One person being checked in from a phone.
pub(super) struct Person {
    pub(super) id: i64,
    /// The keyed hashes of the document number.
    pub(super) key: crate::config::PersonKey,
    /// The name on file (what the venue's desks are sent).
    pub(super) name: String,
    /// The name this phone shows (see [`Known::shown`]).
    pub(super) shown: String,
    pub(super) number: String,
    /// The risk list's colour for them, if listed.
    pub(super) risk: Option<String>,
    /// A colour kept for them from an earlier check-in (R7).
    pub(super) kept: Option<decision::Raised>,
    pub(super) answers: HealthAnswers,
    /// A truck crew member's plate.
    pub(super) plate: Option<String>,
    /// Birth year and relation on this phone.
    pub(super) who: Option<String>,
    /// This phone is the person's own (see `declare`): a colour it raises follows the person.
    pub(super) verified: bool,
}

/// Decides each person's colour with the core's rule and, for a check-in (`way_in`), writes the
/// visits and the changes that the venue's desks pull. A pre-declaration (`None`) writes none. The phone is shown the colour and the reasons that come from the
/// person's own answers, never the risk list's reason.
pub(super) async fn check_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    all_keys: &crate::Keys,
    s: &Served,
    phone: Uuid,
    people: &[Person],
    way_in: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<Shown>, CentralError> {
    let keys = &all_keys.data;
    let mut shown = Vec::with_capacity(people.len());
    let (mut ids, mut persons, mut colours, mut healths, mut reasons, mut bodies, mut verified) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut raises, mut local) = (Vec::new(), Vec::new());
    for p in people {
        // The centre's own list names the person exactly.
        let entry = p.risk.as_deref().and_then(Colour::parse).map(|colour| RiskEntry {
            colour,
            reason: String::new(),
            confirmed: true,
        });
        // The same rule as the desk's door: fresh causes, then a colour kept from before.
        if let Some(r) = decision::raise(entry.as_ref(), p.kept.as_ref(), &p.answers, now) {
            if p.verified {
                raises.push((p.key.clone(), r));
            } else {
                local.push((p.key.lookup.clone(), r));
            }
        }
        let d = decision::decide_at(entry.as_ref(), p.kept.as_ref(), &p.answers, now);
        let id = Uuid::now_v7();
        ids.push(id);
        persons.push(p.id);
        // Declared from a phone that is not the person's own: kept apart in tracing.
        verified.push(p.verified);
        colours.push(d.colour.key());
        healths.push(d.health_code.key());
        reasons.push(keys.seal_reasons(&id, &d.reasons)?);
        // Sealed at rest like the person's record; opened when a desk pulls it.
        bodies.push(keys.seal_body(
            ChangeKind::PhoneVisit.key(),
            &serde_json::json!({
                "id": id, "venue_id": s.venue_id, "code": s.code, "way_in": way_in, "at": now,
                "colour": d.colour, "health_code": d.health_code, "reasons": d.reasons,
                "person": {"name": p.name, "document_number": p.number},
            }),
        )?);
        shown.push(Shown {
            colour: d.colour,
            name_masked: placecode_core::mask::name(&p.shown),
            id_masked: placecode_core::mask::id_number(&p.number),
            // The person's own answers and a kept colour's end; never the risk list's reason.
            reasons: decision::decide_at(None, p.kept.as_ref(), &p.answers, now).reasons,
            plate: p.plate.clone(),
            who: p.who.clone(),
            share: None,
            destination: None,
        });
    }
    // A pre-declaration is not a visit: the checkpoint's confirmation is.
    if let Some(way_in) = way_in {
        sqlx::query(
            "WITH v AS (
            INSERT INTO visits (id, at, person_id, venue_id, code, source, way_in, colour, health_code, sealed_reasons,
                verified, phone_id)
            SELECT u.id, $1, u.person, $2, $3, 'phone', $4, u.colour, u.health, u.reasons, u.verified,
                $13
            FROM UNNEST($5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::text[], $11::bool[])
                AS u(id, person, colour, health, reasons, verified)
            RETURNING 1)
         INSERT INTO changes (kind, venue_id, body) SELECT $12, $2, b FROM UNNEST($10::jsonb[]) AS b",
        )
        .bind(now)
        .bind(s.venue_id)
        .bind(&s.code)
        .bind(way_in)
        .bind(&ids)
        .bind(&persons)
        .bind(&colours)
        .bind(&healths)
        .bind(&reasons)
        .bind(&bodies)
        .bind(&verified)
        .bind(ChangeKind::PhoneVisit.key())
        .bind(phone)
        .execute(&mut **tx)
        .await?;
    }
    crate::raised::keep(tx, all_keys, &raises).await?;
    for (hash, r) in &local {
        crate::raised::keep_on_phone(tx, phone, hash, r).await?;
    }
    Ok(shown)
}
