//! The image QR scanner (`scan::qr_texts`, which `scan::one_code` wraps): any bytes as a PNG or JPEG photo
//! of a poster, then every text found read as a venue code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_poster::scan;

fuzz_target!(|data: &[u8]| {
    if let Ok(texts) = scan::qr_texts(data) {
        for t in &texts {
            let _ = placecode_core::code::parse(t);
        }
    }
});
