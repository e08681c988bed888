//! Puts two demo venues on a running central server, as a desk would (enrolment with a one-time
//! token, then a push of each venue and its signed code), and prints the addresses a phone opens:
//! a market's 场所码 and a highway checkpoint's 专属场所码. For trying the phone page by hand:
//!
//! ```text
//! make run-central          # one terminal
//! make demo-central         # another: prints the URLs
//! ```
//!
//! Uses DATABASE_URL (for the enrolment token, as `admin enrol-token` does) and the server at
//! PLACECODE_PUBLIC_URL (default http://127.0.0.1:8080).

use chrono::Utc;
use placecode_core::code::SigningKey;
use placecode_core::sync::{CodeKeyWire, EnrolRequest, EnrolResponse, PushResponse, Record, RecordKind};
use placecode_core::venue::CodeKind;
use serde_json::json;
use uuid::Uuid;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn record(kind: RecordKind, body: serde_json::Value) -> Record {
    Record { id: Uuid::now_v7().to_string(), kind, written_at: Utc::now(), clock_offset_ms: 0, body }
}

#[tokio::main]
async fn main() -> Result<()> {
    let base = std::env::var("PLACECODE_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "演示登记台").await?;
    let key = SigningKey::generate()?;
    let http = reqwest::Client::new();
    let enrol = EnrolRequest {
        token,
        desk_id: Uuid::now_v7().to_string(),
        desk_name: "演示登记台".into(),
        code_key: CodeKeyWire { id: key.id, secret_hex: hex::encode(key.secret()) },
        app_version: env!("CARGO_PKG_VERSION").into(),
    };
    let e: EnrolResponse =
        http.post(format!("{base}/api/v1/enrol")).json(&enrol).send().await?.error_for_status()?.json().await?;
    let serial = Utc::now().timestamp().unsigned_abs();
    // Each run its own venues (一所一码 would refuse a second market of the same name and address).
    let run = Utc::now().with_timezone(&placecode_store::shanghai()).format("%H%M%S").to_string();
    let mut records = Vec::new();
    let mut codes = Vec::new();
    for (i, (kind, category, name, address)) in [
        (CodeKind::General, "market", format!("西司门农贸市场（演示{run}）"), "鼓楼区西司门街12号"),
        (CodeKind::Checkpoint, "other", format!("连霍高速开封东收费站卡口（演示{run}）"), "鼓楼区连霍高速开封东出口"),
    ]
    .into_iter()
    .enumerate()
    {
        let venue = Uuid::now_v7();
        records.push(record(
            RecordKind::Venue,
            json!({
                "venue_id": venue, "kind": kind.key(), "category": category, "name": name, "district": "gulou",
                "address": address, "manager_name": "王建国", "manager_phone": "13837800001",
                "supervision_phone": "0371-23456789",
            }),
        ));
        let code = key.sign(kind, serial * 10 + i as u64);
        records.push(record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门"})));
        codes.push((name, code));
    }
    let res: PushResponse = http
        .post(format!("{base}/api/v1/push"))
        .bearer_auth(&e.credential)
        .header("x-desk-time", Utc::now().to_rfc3339())
        .json(&json!({"batch_id": Uuid::now_v7().to_string(), "records": records}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for r in &res.results {
        if r.status != placecode_core::sync::PushStatus::Stored {
            return Err(format!("the server did not store a demo record: {r:?}").into());
        }
    }
    for (name, code) in codes {
        println!("{name}: {}", placecode_core::code::url(&base, &code));
    }
    println!("货车预申报: {base}/checkpoints");
    Ok(())
}
