//! `code::parse` on any text (typed, pasted or read from a QR), then the signature check.
//! Invariants: a parsed code is canonical (parsing its canonical form gives the same code, bare
//! or inside a poster URL), and a code that verifies under a key is exactly the code that key
//! signs for its kind and serial (no second spelling of a signed code carries the signature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_core::code::{self, SigningKey, CODE_CHARS};

fuzz_target!(|data: &[u8]| {
    let Some(input) = placecode_fuzz::text(data) else { return };
    let Ok(p) = code::parse(input) else { return };
    assert_eq!(p.code.len(), CODE_CHARS, "canonical code length");
    assert!(p.code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "canonical alphabet");
    assert!(p.serial < (1 << 48), "serial is 48 bits");
    assert_eq!(code::parse(&p.code).as_ref(), Ok(&p), "canonical form parses to itself");
    let url = code::url("https://placecode.kaifeng.gov.cn/", &p.code);
    assert_eq!(code::parse(&url).as_ref(), Ok(&p), "poster URL parses to the code");

    let key = placecode_fuzz::desk_key();
    if p.verify(&key) {
        assert_eq!(p.code, key.sign(p.kind, p.serial), "a verified code is the signed one");
    }
    // Another desk's key with the same id: must answer, never panic.
    let _ = p.verify(&SigningKey::new(p.key_id, [0x5a; 32]));
});
