//! What the centre sends about trucks: a trip's state (the other desk's half of the loop), the
//! destinations a checkpoint lists, and the crews' pre-declarations made on their phones.

use rusqlite::{params, Connection};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::rfc3339;
use placecode_core::checkin::TruckDeclarationInput;
use placecode_core::decision::Colour;

use super::*;

/// Applies a trip's state pulled from the central server (the other desk's half of the loop, or
/// what became of it: an arrival, 到达核验, 劝返, 作废). What happened first stays.
pub(crate) fn apply_trip(tx: &Connection, b: &serde_json::Value) -> Result<()> {
    let Ok(t) = placecode_core::sync::TripChange::deserialize(b) else { return Ok(()) };
    let crew: Vec<StoredMember> = t
        .crew
        .iter()
        .map(|m| StoredMember {
            input: TruckDeclarationInput {
                name: m.name.clone(),
                document_number: m.document_masked.clone(),
                phone: m.phone.clone(),
                origin: m.origin.clone(),
                ..Default::default()
            },
            colour: Colour::Green,
        })
        .collect();
    let crew = serde_json::to_string(&crew).unwrap_or_else(|_| "[]".into());
    let hashes: Vec<&str> = t.crew.iter().map(|m| m.id_hash_hex.as_str()).filter(|h| !h.is_empty()).collect();
    tx.execute(
        "INSERT INTO trips (id, plate, checkpoint_venue_id, checkpoint_name, destination_id, destination_name, crew,
            pass_number, entered_at, expected_departure, arrived_at, origin, sync_state, crew_hashes, resolution,
            resolved_at, resolution_note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'central', 'synced', ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET arrived_at = COALESCE(trips.arrived_at, excluded.arrived_at),
            resolution = COALESCE(trips.resolution, excluded.resolution),
            resolved_at = COALESCE(trips.resolved_at, excluded.resolved_at),
            resolution_note = CASE WHEN trips.resolution IS NULL THEN excluded.resolution_note
                ELSE trips.resolution_note END",
        params![
            t.trip_id,
            t.plate,
            t.checkpoint_venue_id,
            t.checkpoint_name.unwrap_or_default(),
            t.destination_venue_id,
            t.destination_name.unwrap_or_default(),
            crew,
            t.pass_number,
            rfc3339(t.entered_at),
            t.expected_departure.map(rfc3339),
            t.arrived_at.map(rfc3339),
            hashes.join(" "),
            t.resolution.map(|r| r.key()),
            t.resolved_at.map(rfc3339),
            t.resolution_note,
        ],
    )?;
    Ok(())
}

/// A destination the centre approved: listed at this checkpoint by name and address.
pub(crate) fn apply_destination(tx: &Connection, d: &placecode_core::sync::DestinationChange) -> Result<()> {
    tx.execute(
        "INSERT INTO destinations (id, name, address, district) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address",
        params![d.venue_id, d.name, d.address, d.district],
    )?;
    Ok(())
}

/// A crew member's declaration on their phone, kept until staff confirm it (or it is 48 hours old).
pub(crate) fn apply_predeclaration(tx: &Connection, p: &placecode_core::sync::PreDeclarationChange) -> Result<()> {
    let crew = serde_json::to_string(&p.crew).map_err(|e| Error::internal(e.to_string()))?;
    tx.execute(
        "INSERT INTO predeclarations (id, plate, venue_id, crew, at, destination_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        params![p.id, p.plate, p.venue_id, crew, rfc3339(p.at), p.destination_id.as_deref().unwrap_or("")],
    )?;
    Ok(())
}
