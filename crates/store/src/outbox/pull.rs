//! The changes pulled from the centre, applied in one transaction with the cursor: venue
//! decisions, visits made elsewhere, the risk list's tags, trucks' trips, destinations and
//! pre-declarations.

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::{Error, Result};
use crate::{rfc3339, set_setting, setting, Store};
use placecode_core::sync::{Change, ChangeKind, VisitBody};

use super::*;

impl Store {
    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(setting(&self.conn, CURSOR)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Applies pulled changes and moves the cursor in one transaction: a crash repeats the pull
    /// instead of skipping it.
    pub fn apply_changes(&mut self, changes: &[Change], cursor: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stamp = crate::now();
        for c in changes {
            let b = &c.body;
            match c.kind {
                ChangeKind::RiskEpoch => {
                    let Ok(e) = serde_json::from_value::<placecode_core::sync::RiskEpochBody>(b.clone()) else {
                        continue;
                    };
                    if !e.epoch.is_valid() {
                        continue;
                    }
                    crate::risk::install_risk_epoch(&tx, &e)?;
                }
                ChangeKind::RiskTag => {
                    let Ok(t) = serde_json::from_value::<placecode_core::sync::RiskTagBody>(b.clone()) else {
                        continue;
                    };
                    crate::risk::apply_risk_tag(&tx, &t)?;
                }
                ChangeKind::RaisedTag => {
                    let Ok(t) = serde_json::from_value::<placecode_core::sync::RaisedTagBody>(b.clone()) else {
                        continue;
                    };
                    crate::risk::apply_raised_tag(&tx, &t)?;
                }
                ChangeKind::VenueDecision => {
                    let Ok(d) = serde_json::from_value::<placecode_core::sync::VenueDecision>(b.clone()) else {
                        continue;
                    };
                    tx.execute(
                        "UPDATE venues SET review_status = ?2, review_reason = ?3 WHERE id = ?1",
                        params![d.venue_id, d.status, d.reason],
                    )?;
                }
                ChangeKind::Venue => {
                    let Ok(v) = serde_json::from_value::<placecode_core::sync::VenueBody>(b.clone()) else {
                        continue;
                    };
                    crate::adopt_venue(&tx, &v)?;
                }
                ChangeKind::PhoneVisit => {
                    let Ok(c) = serde_json::from_value::<placecode_core::sync::PhoneVisitChange>(b.clone()) else {
                        continue;
                    };
                    apply_visit(&tx, &c.visit, &c.id, "phone")?;
                }
                ChangeKind::Trip => crate::truck::apply_trip(&tx, b)?,
                ChangeKind::Destination => match serde_json::from_value(b.clone()) {
                    Ok(d) => crate::truck::apply_destination(&tx, &d)?,
                    Err(_) => continue,
                },
                ChangeKind::PreDeclaration => match serde_json::from_value(b.clone()) {
                    Ok(p) => crate::truck::apply_predeclaration(&tx, &p)?,
                    Err(_) => continue,
                },
                ChangeKind::Visit => {
                    let Ok(c) = serde_json::from_value::<placecode_core::sync::DeskVisitChange>(b.clone()) else {
                        continue;
                    };
                    apply_visit(&tx, &c.visit, &c.id, "desk")?;
                }
                ChangeKind::LimitOrder => match serde_json::from_value(b.clone()) {
                    Ok(o) => crate::occupancy::apply_order(&tx, &o)?,
                    Err(_) => continue,
                },
                ChangeKind::LateHit => match serde_json::from_value(b.clone()) {
                    Ok(h) => crate::incidents::apply_late_hit(&tx, &h)?,
                    Err(_) => continue,
                },
                ChangeKind::Incident | ChangeKind::Unknown => {}
            }
        }
        if changes.iter().any(|c| c.kind.is_risk_list()) {
            set_setting(&tx, crate::risk::RISK_AS_OF, &stamp)?;
        }
        set_setting(&tx, CURSOR, &cursor.to_string())?;
        tx.commit()?;
        Ok(())
    }
}

/// A check-in made elsewhere at one of this desk's venues (a phone, another desk): stored as
/// synced, with the person, so this desk's lists and lookups know them.
fn apply_visit(tx: &Connection, v: &VisitBody, id: &str, source: &str) -> Result<()> {
    let known: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM venues WHERE id = ?1)", [&v.venue_id], |r| r.get(0))?;
    let p = &v.person;
    if id.is_empty() || !known || p.document_number.is_empty() {
        return Ok(());
    }
    let stamp = crate::now();
    let person: String = tx.query_row(
        "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at,
            document_kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)
         ON CONFLICT (id_number) DO UPDATE SET
            name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE people.name END,
            address = CASE WHEN excluded.address <> '' THEN excluded.address ELSE people.address END,
            phone = COALESCE(excluded.phone, people.phone),
            document_kind = CASE WHEN excluded.document_kind <> 'resident_id' THEN excluded.document_kind
                ELSE people.document_kind END
         RETURNING id",
        params![
            new_id(),
            p.document_number,
            placecode_core::identity::last_four_of(&p.document_number),
            placecode_core::identity::birth_year_of(p.document_kind, &p.document_number).unwrap_or(0),
            p.name,
            p.address,
            p.phone,
            stamp,
            p.document_kind.key()
        ],
        |r| r.get(0),
    )?;
    let reasons = serde_json::to_string(&v.reasons).map_err(|e| Error::internal(e.to_string()))?;
    // The ways in a desk records; a phone's own (扫码) is stored as a declaration.
    let way_in = match placecode_core::checkin::WayIn::parse(&v.way_in) {
        Some(w) => w.key(),
        None => placecode_core::checkin::WayIn::Declaration.key(),
    };
    tx.execute(
        "INSERT INTO visits (id, person_id, venue_id, code, way_in, operator_id, helper, declaration,
            trip_code_checked, colour, health_code, reasons, at, desk_id, sync_state, present)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, NULL, 0, ?6, ?7, ?8, ?9, ?10, 'synced', ?11)
         ON CONFLICT (id) DO NOTHING",
        params![
            id,
            person,
            v.venue_id,
            v.code,
            way_in,
            v.colour.key(),
            v.health_code.key(),
            reasons,
            rfc3339(v.at),
            source,
            v.present
        ],
    )?;
    Ok(())
}
