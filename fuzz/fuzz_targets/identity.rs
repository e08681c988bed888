//! The identity rules on any text: resident ID (GB 11643), the other travel documents, plates
//! (GA 36), the last four digits, temperature, and the masking shown on screens. Invariant:
//! every rule is idempotent, so a value the desk normalized and stored passes the same rule
//! again at the centre.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_core::identity::{self, DocumentKind};

fuzz_target!(|data: &[u8]| {
    let Some(raw) = placecode_fuzz::text(data) else { return };
    let today = placecode_fuzz::today();

    if let Ok(id) = identity::resident_id(raw, today) {
        assert_eq!(id.number.len(), 18);
        assert!(id.birth_date <= today);
        assert_eq!(identity::resident_id(&id.number, today).as_ref(), Ok(&id), "resident_id idempotent");
        assert_eq!(identity::last4(id.last4()).as_deref(), Ok(id.last4()));
        let _ = id.birth_year();
    }
    for kind in DocumentKind::ALL {
        if let Ok(n) = identity::document(kind, raw, today) {
            assert_eq!(identity::document(kind, &n, today).as_ref(), Ok(&n), "document idempotent: {kind:?}");
            assert_eq!(identity::recorded(kind, &n, today).as_ref(), Ok(&n), "a record of it passes: {kind:?}");
        }
    }
    // The kind a number tells is the kind its own rule accepts, and telling it again agrees.
    if let Ok(d) = identity::detect(raw, today) {
        assert_eq!(identity::document(d.kind, &d.number, today).as_ref(), Ok(&d.number), "{d:?}");
        assert_eq!(identity::detect(&d.number, today).as_ref(), Ok(&d), "detect idempotent");
        assert_eq!(identity::last4(&d.last4()).as_ref(), Ok(&d.last4()), "its last four are typeable");
    }
    if let Ok(p) = identity::plate(raw) {
        assert_eq!(identity::plate(&p).as_ref(), Ok(&p), "plate idempotent");
    }
    if let Ok(l) = identity::last4(raw) {
        assert_eq!(identity::last4(&l).as_ref(), Ok(&l), "last4 idempotent");
    }
    if let Ok(t) = identity::temperature(raw) {
        assert!((35.0..=42.0).contains(&t), "temperature in range: {t}");
        let _ = identity::is_fever(t);
    }
    // What a rejected number shows on screen (risk import, trips).
    let compact = placecode_core::normalize::compact(raw);
    let masked = placecode_core::mask::id_number(&compact);
    assert_eq!(masked.chars().count(), compact.chars().count());
    let _ = placecode_core::mask::last_four(raw);
    let _ = placecode_core::mask::phone(raw);
    let _ = placecode_core::mask::name(raw);
});
