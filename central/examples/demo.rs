//! Puts demo venues on a running central server, as a desk would (enrolment with a one-time
//! token, then a push of each venue and its signed code), and prints the addresses a phone opens:
//! a market's 场所码 and a highway checkpoint's 专属场所码. A few more venues in three districts
//! and two weeks of check-ins (some yellow and red) give the console something to show. For
//! trying the phone page and the console by hand:
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
    stored(&res)?;
    // Two weeks of check-ins at more venues, in three districts (one desk each).
    for (district, venues) in [
        (
            "gulou",
            &[("mall", "鼓楼大润发", "鼓楼区中山路100号"), ("restaurant", "第一楼包子馆", "鼓楼区寺后街8号")][..],
        ),
        (
            "longting",
            &[("scenic_spot", "清明上河园", "龙亭区龙亭西路5号"), ("school", "龙亭实验小学", "龙亭区北门大街20号")][..],
        ),
        ("shunhe", &[("hotel", "顺河宾馆", "顺河回族区东大街30号")][..]),
    ] {
        let token = placecode_central::enrol::make_token(&pool, &[], &[district.into()], None, "演示登记台").await?;
        let key = SigningKey::generate()?;
        let enrol = EnrolRequest {
            token,
            desk_id: Uuid::now_v7().to_string(),
            desk_name: "演示登记台".into(),
            code_key: CodeKeyWire { id: key.id, secret_hex: hex::encode(key.secret()) },
            app_version: env!("CARGO_PKG_VERSION").into(),
        };
        let e: EnrolResponse =
            http.post(format!("{base}/api/v1/enrol")).json(&enrol).send().await?.error_for_status()?.json().await?;
        let mut records = Vec::new();
        for (i, (category, name, address)) in venues.iter().enumerate() {
            let venue = Uuid::now_v7();
            records.push(record(
                RecordKind::Venue,
                json!({
                    "venue_id": venue, "kind": "general", "category": category, "name": format!("{name}（演示{run}）"),
                    "district": district, "address": address, "manager_name": "李秀英", "manager_phone": "13837800002",
                }),
            ));
            let code = key.sign(CodeKind::General, serial * 10 + i as u64);
            records.push(record(RecordKind::Code, json!({"code": code, "venue_id": venue, "label": "正门"})));
            for n in 0..40u64 {
                let seed = serial.wrapping_mul(7919).wrapping_add(n * 131 + i as u64) % 1_000_000;
                let colour = match n % 20 {
                    0 => "red",
                    7 | 13 => "yellow",
                    _ => "green",
                };
                let at = Utc::now() - chrono::Duration::minutes(((n * 2_477 + i as u64 * 613) % (14 * 24 * 60)) as i64);
                records.push(record(
                    RecordKind::Visit,
                    json!({
                        "venue_id": venue, "way_in": if n % 9 == 0 { "manual" } else { "id_number" },
                        "helper": if n % 9 == 0 { Some("工作人员代登记") } else { None },
                        "colour": colour, "health_code": colour,
                        "reasons": if colour == "green" { vec![] } else { vec!["健康码非绿码"] },
                        "at": at, "person": {"document_number": resident_id(seed), "name": "演示访客",
                            "address": "开封市鼓楼区中山路1号", "phone": "13837800003"},
                    }),
                ));
            }
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
        stored(&res)?;
    }
    for (name, code) in codes {
        println!("{name}: {}", placecode_core::code::url(&base, &code));
    }
    println!("货车预申报: {base}/checkpoints");
    println!("监管平台: {base}/console （用户由 make admin-central ARGS=\"console-user-add ...\" 建立）");
    Ok(())
}

fn stored(res: &PushResponse) -> Result<()> {
    match res.results.iter().find(|r| r.status != placecode_core::sync::PushStatus::Stored) {
        Some(r) => Err(format!("the server did not store a demo record: {r:?}").into()),
        None => Ok(()),
    }
}

/// A valid resident ID number (Kaifeng, born 1950-1999) from a seed.
fn resident_id(seed: u64) -> String {
    let body = format!("410202{}{:02}{:02}{:03}", 1950 + seed / 1000 % 50, 1 + seed % 12, 1 + seed % 28, seed % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let check = b"10X98765432".get((sum % 11) as usize).copied().unwrap_or(b'0') as char;
    format!("{body}{check}")
}
