//! A push body as the centre receives it (central/src/api.rs → push.rs): the JSON batch
//! decoded with serde_json, each record's id and idempotency digest, then the content checks the
//! centre runs on it (`sync::check_content`, which calls `sync::body` and the `check_*` of the
//! record's kind: check_venue, check_code, check_code_revoked, check_visit, check_incident,
//! check_incident_event, check_truck, check_trip_update). A refused record is then corrected as
//! the desk's clerk would (`sync::correct`). Invariants: the digest survives a JSON round trip
//! (a resend is recognised as the same record), and a truck record's crew, normalized by the
//! check, passes the same check again (the centre stores and forwards the normalized crew).
#![no_main]

use libfuzzer_sys::fuzz_target;
use placecode_core::sync::{self, PushRequest, Record, RecordKind, TruckBody};

fuzz_target!(|data: &[u8]| {
    let now = placecode_fuzz::now();
    let records = match serde_json::from_slice::<PushRequest>(data) {
        Ok(req) => req.records,
        // A single record, so the fuzzer need not find the batch wrapper first.
        Err(_) => match serde_json::from_slice::<Record>(data) {
            Ok(r) => vec![r],
            Err(_) => return,
        },
    };
    for r in records.iter().take(64) {
        let _ = sync::record_id(&r.id);
        let digest = r.digest();
        let again: Record = serde_json::from_str(&serde_json::to_string(r).expect("a record serializes"))
            .expect("a serialized record parses");
        assert_eq!(again.digest(), digest, "digest stable across a JSON round trip");

        match sync::check_content(r, now) {
            Ok(()) => {
                if matches!(r.kind, RecordKind::TruckTrip | RecordKind::TruckArrival) {
                    let b: TruckBody = sync::body(r).expect("checked body parses");
                    let (_, normalized) = sync::check_truck(&b, r.kind, now).expect("checked truck");
                    let (_, twice) = sync::check_truck(&normalized, r.kind, now)
                        .unwrap_or_else(|e| panic!("normalized truck refused: {e:?}"));
                    assert_eq!(twice.crew, normalized.crew, "crew normalization idempotent");
                    assert_eq!(twice.plate, normalized.plate);
                }
            }
            Err(refusal) => {
                if sync::correctable(r, &refusal.field) {
                    let _ = sync::correct(r, &refusal.field, "开封市鼓楼区中山路1号", now);
                }
            }
        }
    }
});
