//! What the store's integration tests share: a venue and a person as a clerk would type them.
#![allow(dead_code)]

use placecode_core::checkin::DeclarationInput;
use placecode_core::venue::VenueInput;

/// A supermarket in 鼓楼区 named `name` at `address`.
pub fn venue_input(name: &str, address: &str) -> VenueInput {
    VenueInput {
        kind: "general".into(),
        category: "mall".into(),
        name: name.into(),
        district: "gulou".into(),
        address: address.into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
    }
}

/// A first declaration, all answers no, temperature normal.
pub fn person(name: &str, id: &str) -> DeclarationInput {
    DeclarationInput {
        name: name.into(),
        document_kind: None,
        id_number: id.into(),
        address: "鼓楼区中山路18号院".into(),
        phone: String::new(),
        visited_risk_area: Some(false),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        temperature: "36.5".into(),
    }
}

/// A valid resident ID number (Kaifeng prefix, born 1980-1999) from a seed.
pub fn resident_id(seed: u64) -> String {
    placecode_core::identity::sample_resident_id(seed)
}
