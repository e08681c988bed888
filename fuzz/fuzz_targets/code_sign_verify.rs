//! Sign → parse → verify for any key, kind and serial, and one character of the code altered:
//! a signed code always parses and verifies, keeps its kind, key id and serial, and an altered
//! code that still verifies must be the same code (a confusable letter such as O for 0).
#![no_main]

use libfuzzer_sys::{arbitrary, fuzz_target};
use placecode_core::code::{self, SigningKey};
use placecode_core::venue::CodeKind;

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    key_id: u32,
    secret: [u8; 32],
    kind: u8,
    serial: u64,
    /// Where to alter the code, and the character put there.
    at: u8,
    with: char,
    lowercase: bool,
}

fuzz_target!(|i: Input| {
    let kind = [CodeKind::General, CodeKind::Checkpoint, CodeKind::Destination][usize::from(i.kind % 3)];
    let serial = i.serial & ((1 << 48) - 1);
    let key = SigningKey::new(i.key_id, i.secret);
    let signed = key.sign(kind, serial);
    let typed = if i.lowercase { signed.to_lowercase() } else { signed.clone() };
    let p = code::parse(&typed).expect("a signed code parses");
    assert_eq!((p.kind, p.key_id, p.serial), (kind, i.key_id, serial));
    assert_eq!(p.code, signed);
    assert!(p.verify(&key), "a signed code verifies");
    assert!(!p.verify(&SigningKey::new(i.key_id.wrapping_add(1), i.secret)), "another key id");

    let mut chars: Vec<char> = signed.chars().collect();
    let at = usize::from(i.at) % chars.len();
    chars[at] = i.with;
    let altered: String = chars.into_iter().collect();
    if let Ok(q) = code::parse(&altered) {
        if q.verify(&key) {
            assert_eq!(q.code, signed, "an altered code verified: {altered:?}");
        }
    }
});
