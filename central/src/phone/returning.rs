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
        let page = page_for(
            &n,
            s,
            &form.view(&token, &once),
            &people,
            &Form { lang: form.lang, ..Form::default() },
            Some(error),
            &last4,
        );
        respond(app, StatusCode::UNPROCESSABLE_ENTITY, &n, page, None)
    };
    let ticked: Vec<usize> = fields.iter().filter(|(k, _)| k == "with").filter_map(|(_, v)| v.parse().ok()).collect();
    let ticked: Vec<i64> =
        people.iter().enumerate().filter(|(i, _)| ticked.contains(&(i + 1))).map(|(_, p)| p.id).collect();
    let main = if last4.is_empty() && !ticked.is_empty() {
        let owner = people.iter().find(|p| p.relation == t::SELF).map(|p| p.id);
        match owner.filter(|o| ticked.contains(o)) {
            Some(o) => o,
            None => return Ok(again(t::ZH.last4_needed)),
        }
    } else {
        if placecode_core::identity::last4(&last4).is_err() {
            return Ok(again(t::ZH.last4_bad));
        }
        // Two people on one phone may share the last four digits (a family): then the one
        // ticked is meant, and with none ticked the phone asks instead of picking one.
        let matching: Vec<&Known> = people.iter().filter(|p| p.last4 == last4).collect();
        match matching.as_slice() {
            [] => return Ok(again(t::ZH.last4_unknown)),
            [one] => one.id,
            several => match several.iter().find(|p| ticked.contains(&p.id)) {
                Some(p) => p.id,
                None => return Ok(again(t::ZH.last4_shared)),
            },
        }
    };
    let mut chosen = Vec::new();
    for p in people.iter().filter(|p| p.id == main || ticked.contains(&p.id)) {
        chosen.push(Person {
            id: p.id,
            key: app.keys.person(&p.number),
            name: p.name.clone(),
            shown: p.shown.clone(),
            number: p.number.clone(),
            kind: p.kind.clone(),
            risk: p.colour.clone(),
            kept: p.kept(),
            answers: HealthAnswers::default(),
            plate: None,
            who: Some(who(&t::ZH, &p.number, &p.relation)),
            verified: p.verified,
        });
    }
    // 限流: a place for each of them not inside yet, or they wait together.
    let ids: Vec<i64> = chosen.iter().map(|p| p.id).collect();
    let hold = match door_limit(app, form.lang.texts(), s, Coming::Known(&ids)).await {
        Ok(hold) => hold,
        Err(wait) => return Ok(wait),
    };
    let checked_in = check_in(app, s, form, &chosen, now).await;
    give_back(app, s, hold).await;
    checked_in
}

/// The door's decision for `chosen`, stored as their visits: the result page, or the first
/// result when the form was sent before.
async fn check_in(
    app: &App,
    s: &Served,
    form: &Submitted<'_>,
    chosen: &[Person],
    now: chrono::DateTime<Utc>,
) -> Result<Response, CentralError> {
    let phone = form.phone;
    let decided = decide(&app.keys, s, chosen, (Some("last4"), form.present()), now)?;
    // The usual check-in raises no colour: it is stored with the other phones' check-ins of the
    // moment, in one statement. A colour to keep is written with its check-in in one transaction.
    let (write, raised) = decided.write(app, s, form, now)?;
    let result = write.result;
    let stored = if raised.is_empty() {
        app.door().store(write).await?
    } else {
        let mut tx = app.pool.begin().await?;
        let stored = door::store(&mut *tx, std::slice::from_ref(&write)).await?.contains(&result);
        if stored {
            keep(&mut tx, &app.keys, phone, &raised).await?;
            tx.commit().await?;
        }
        stored
    };
    if stored {
        Ok(see_other(app, &result_path(&s.code, result)))
    } else {
        already(app, form).await
    }
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
    /// The kind of their document (its key): the venue's desks file them by it.
    pub(super) kind: String,
    /// The risk list's colour for them, if listed.
    pub(super) risk: Option<String>,
    /// A colour kept for them from an earlier check-in (R7).
    pub(super) kept: Option<decision::Raised>,
    pub(super) answers: HealthAnswers,
    /// A truck crew member's plate.
    pub(super) plate: Option<String>,
    /// Birth year and relation on this phone.
    pub(super) who: Option<String>,
    /// This phone is the person's own (see `declare`): its visit is not set apart in tracing.
    pub(super) verified: bool,
}

/// Each person's colour, decided by the core's rule, and what storing the check-in writes.
pub(super) struct Decided {
    /// What the phone's result page shows, one per person.
    pub(super) shown: Vec<Shown>,
    way_in: Option<String>,
    visits: Vec<door::Visit>,
    raised: ToKeep,
}

/// The colours a check-in raised: the risk list's, which follows the person, and all it raised
/// (the phone's own answers too), kept for this phone.
#[derive(Default)]
pub(super) struct ToKeep {
    raises: Vec<(crate::config::PersonKey, decision::Raised)>,
    local: Vec<(Vec<u8>, decision::Raised)>,
}

impl ToKeep {
    pub(super) fn is_empty(&self) -> bool {
        self.raises.is_empty() && self.local.is_empty()
    }
}

impl Decided {
    /// What storing the form writes: its result (what the page shows, sealed for the day it is
    /// kept: masked names, a colour and why are health data) and its visits; and the colours to
    /// keep with it.
    pub(super) fn write(
        self,
        app: &App,
        s: &Served,
        form: &Submitted<'_>,
        now: chrono::DateTime<Utc>,
    ) -> Result<(door::Write, ToKeep), CentralError> {
        let result = Uuid::now_v7();
        let text = serde_json::to_string(&self.shown).map_err(|e| CentralError::Internal(e.to_string()))?;
        let shown = serde_json::json!({ "sealed": app.keys.data.seal(RESULT_FIELD, result.as_bytes(), &text)? });
        let write = door::Write {
            result,
            phone: form.phone,
            once: form.once,
            code: s.code.clone(),
            venue: s.venue_id,
            at: now,
            shown,
            way_in: self.way_in,
            present: form.present(),
            visits: self.visits,
        };
        Ok((write, self.raised))
    }
}

/// Decides each person's colour with the core's rule: for a check-in (`way_in`) the visits and
/// the changes that the venue's desks pull; a pre-declaration (`None`) has none. The phone is
/// shown the colour and the reasons that come from the person's own answers, never the risk
/// list's reason.
pub(super) fn decide(
    all_keys: &crate::Keys,
    s: &Served,
    people: &[Person],
    (way_in, present): (Option<&str>, bool),
    now: chrono::DateTime<Utc>,
) -> Result<Decided, CentralError> {
    let keys = &all_keys.data;
    let mut d = Decided {
        shown: Vec::with_capacity(people.len()),
        way_in: way_in.map(str::to_owned),
        visits: vec![],
        raised: ToKeep::default(),
    };
    for p in people {
        // The centre's own list names the person exactly.
        let entry = p.risk.as_deref().and_then(Colour::parse).map(|colour| RiskEntry {
            colour,
            reason: String::new(),
            confirmed: true,
        });
        // The same rule as the desk's door: fresh causes, then a colour kept from before. Only
        // the risk list's colour follows the person from here to every desk and phone: no phone
        // shows whose number it typed, and the first phone to declare a number is taken for the
        // person's own, so a stranger answering 接触过疑似病人 for numbers not yet on file made
        // them red everywhere for 14 days (a trial: 149 of 149). What the phone's own answers
        // raise is kept for this phone, which cannot talk its way back to green.
        if let Some(r) = decision::raise(entry.as_ref(), None, &HealthAnswers::default(), now) {
            d.raised.raises.push((p.key.clone(), r));
        }
        if let Some(r) = decision::raise(entry.as_ref(), p.kept.as_ref(), &p.answers, now) {
            d.raised.local.push((p.key.lookup.clone(), r));
        }
        let decided = decision::decide_at(entry.as_ref(), p.kept.as_ref(), &p.answers, now);
        d.shown.push(Shown {
            colour: decided.colour,
            name_masked: placecode_core::mask::name(&p.shown),
            id_masked: placecode_core::mask::id_number(&p.number),
            // The person's own answers and a kept colour's end; never the risk list's reason.
            reasons: decision::decide_at(None, p.kept.as_ref(), &p.answers, now).reasons,
            plate: p.plate.clone(),
            who: p.who.clone(),
            share: None,
            destination: None,
        });
        // A pre-declaration is not a visit: the checkpoint's confirmation is.
        if way_in.is_none() {
            continue;
        }
        let id = Uuid::now_v7();
        d.visits.push(door::Visit {
            id,
            person: p.id,
            colour: decided.colour.key(),
            health: decided.health_code.key(),
            reasons: keys.seal_reasons(&id, &decided.reasons)?,
            // Declared from a phone that is not the person's own: kept apart in tracing.
            verified: p.verified,
            // Sealed at rest like the person's record; opened when a desk pulls it.
            body: keys.seal_body(
                ChangeKind::PhoneVisit.key(),
                &serde_json::json!({
                    "id": id, "venue_id": s.venue_id, "code": s.code, "way_in": way_in, "at": now, "present": present,
                    "colour": decided.colour, "health_code": decided.health_code, "reasons": decided.reasons,
                    "person": {"name": p.name, "document_kind": p.kind, "document_number": p.number},
                }),
            )?,
        });
    }
    Ok(d)
}

/// Keeps the colours the check-in raised (in the check-in's transaction).
pub(super) async fn keep(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    all_keys: &crate::Keys,
    phone: Uuid,
    raised: &ToKeep,
) -> Result<(), CentralError> {
    crate::raised::keep(tx, all_keys, &raised.raises).await?;
    for (hash, r) in &raised.local {
        crate::raised::keep_on_phone(tx, phone, hash, r).await?;
    }
    Ok(())
}
