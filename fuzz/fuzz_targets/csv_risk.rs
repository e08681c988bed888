//! The risk-list CSV (`risk::parse_csv`: 证件号码,颜色,原因; UTF-8 or GBK; header optional), as
//! the desk and the centre's `admin import-risk` read it. Invariants: every accepted row holds a
//! valid document number of the kind it tells, its HMAC, a reason within the limit, and the
//! report adds up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_core::risk;

fuzz_target!(|data: &[u8]| {
    let today = placecode_fuzz::today();
    let Ok((rows, report)) = risk::parse_csv(data, placecode_fuzz::RISK_KEY, today) else { return };
    assert_eq!(report.imported, rows.len());
    assert_eq!(report.imported + report.rejected.len(), report.total, "report adds up: {report:?}");
    for row in &rows {
        assert_eq!(placecode_core::identity::detect(&row.number, today).map(|d| d.number).as_ref(), Ok(&row.number));
        assert_eq!(row.hash, risk::id_hash(placecode_fuzz::RISK_KEY, &row.number));
        assert!(row.reason.chars().count() <= risk::REASON_MAX);
    }
});
