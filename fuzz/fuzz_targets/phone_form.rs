//! The phone page's form (central/src/phone/mod.rs `declare`): an urlencoded body parsed with
//! form_urlencoded into fields, turned into the core's DeclarationInput (场所码) and
//! TruckDeclarationInput (专属场所码) by their `from_form`, as the centre does, and checked by
//! `checkin::declaration` and `checkin::truck_declaration`. Invariants: what the phone accepts,
//! a desk's push of the same person passes (`sync::check_person`), and a truck declaration's
//! normalized form passes the same rule again unchanged (it is what is stored and forwarded).
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_core::checkin::{self, DeclarationInput, TruckDeclarationInput};
use placecode_core::identity::DocumentKind;
use placecode_core::sync::{self, PersonBody};

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return; // phone::MAX_FORM_BYTES
    }
    let today = placecode_fuzz::today();
    let fields: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let input = DeclarationInput::from_form(&fields);
    if let Ok(d) = checkin::declaration(&input, today, "") {
        assert_eq!(d.id.number.len(), 18);
        let person = PersonBody {
            document_kind: DocumentKind::ResidentId,
            document_number: d.id.number.clone(),
            name: d.name.clone(),
            address: d.address.clone(),
            phone: d.phone.clone(),
        };
        let (number, name, address, phone) = sync::check_person(&person, today, true)
            .unwrap_or_else(|e| panic!("the phone accepted what a push refuses: {e:?}"));
        assert_eq!((number, name, address, phone), (d.id.number, d.name, d.address, d.phone));
    }

    let truck = TruckDeclarationInput::from_form(&fields);
    if let Ok(t) = checkin::truck_declaration(&truck, today, "") {
        let stored = t.normalized();
        let again = checkin::truck_declaration(&stored, today, "")
            .unwrap_or_else(|e| panic!("normalized truck declaration refused: {e:?}"));
        assert_eq!(again.normalized(), stored, "truck normalization idempotent");
    }
});
