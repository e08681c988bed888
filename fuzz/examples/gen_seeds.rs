//! Writes the seed corpora in fuzz/seeds/ (committed; rerun after a format change):
//!   cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
//! Every seed is a realistic input: codes signed by the core's own signing function with the
//! fuzz desk key, checksum-valid resident ID numbers, the desk's record bodies, the phone's
//! forms, sample CSVs (UTF-8, with BOM, GBK) and a photographed-poster QR as PNG and JPEG.

use std::path::{Path, PathBuf};

use placecode_core::venue::CodeKind;
use serde_json::json;

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(dir).expect("seed folder");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

/// A resident ID number with its GB 11643 check character computed.
fn resident_id(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let key = placecode_fuzz::desk_key();
    let today = placecode_fuzz::today();
    let ids = [resident_id("41020219900307001"), resident_id("41020419851231123"), resident_id("11010519491231002")];
    for id in &ids {
        placecode_core::identity::resident_id(id, today).expect("a valid seed ID");
    }
    let general = key.sign(CodeKind::General, 1);
    let checkpoint = key.sign(CodeKind::Checkpoint, 42);
    let destination = key.sign(CodeKind::Destination, (1 << 48) - 1);

    // code_parse
    let d = root.join("code_parse");
    write(&d, "general", &general);
    write(&d, "checkpoint", &checkpoint);
    write(&d, "destination", &destination);
    write(&d, "url", placecode_core::code::url("https://placecode.kaifeng.gov.cn", &general));
    write(&d, "url_lower", placecode_core::code::url("http://127.0.0.1:8080", &checkpoint).to_lowercase());
    write(&d, "dashes_spaces", format!(" {}-{} {}\n", &general[..10], &general[10..20], &general[20..]));
    write(&d, "confusable", general.replace('0', "O").replace('1', "I"));
    write(&d, "fullwidth", general.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect::<String>());
    write(&d, "foreign_url", "https://example.com/x");

    // identity
    let d = root.join("identity");
    for (i, id) in ids.iter().enumerate() {
        write(&d, &format!("resident_id_{i}"), id);
    }
    write(&d, "resident_id_lower_x", "11010519491231002x");
    write(&d, "resident_id_fullwidth", "１１０１０５ １９４９１２３１ ００２Ｘ");
    write(&d, "resident_id_15", "410202900307001");
    write(&d, "passport", "E12345678");
    write(&d, "hk_macao", "H12345678");
    write(&d, "taiwan", "12345678");
    write(&d, "hmt_residence_permit", "810000199003070015");
    write(&d, "foreign_permanent_resident_2023", "941840198506150017");
    write(&d, "foreign_permanent_resident_2017", "USA410285061515");
    for (i, p) in ["豫B12345", "豫b·12345", "豫BD12345", "豫B12345D", "豫B1234挂", "粤Z1234港", "使123456", "沪A1234领"]
        .iter()
        .enumerate()
    {
        write(&d, &format!("plate_{i}"), p);
    }
    write(&d, "last4", "002X");
    write(&d, "temperature", "３７．３℃");

    // sync_push: one record of each kind, as a desk pushes them, and the batch of all.
    let venue = "0193a000-0000-7000-8000-000000000001";
    let dest = "0193a000-0000-7000-8000-000000000002";
    let at = "2026-11-29T00:10:00Z";
    let member = json!({
        "name": "孙建军", "document_kind": "resident_id", "document_number": ids[0],
        "plate": "豫B88888", "phone": "13837800088", "origin": "郑州", "entry_point": "开封东",
        "expected_return": "2026-12-01", "expected_departure": "2026-11-30T08:30",
        "symptoms": false, "visited_risk_area": false,
    });
    let bodies = [
        (
            "venue",
            json!({"venue_id": venue, "kind": "general", "category": "mall", "name": "大润发超市（鼓楼店）",
            "district": "gulou", "address": "开封市鼓楼区中山路18号", "manager_name": "王建国",
            "manager_phone": "13837800001", "supervision_phone": "0371-23456789"}),
        ),
        ("code", json!({"code": general, "venue_id": venue, "label": "东门"})),
        ("code_revoked", json!({"code": general, "reason": "海报损坏", "replaced_by": checkpoint})),
        (
            "visit",
            json!({"venue_id": venue, "code": general, "way_in": "declaration", "operator": "李娜",
            "colour": "yellow", "health_code": "green", "reasons": ["体温37.5℃"], "at": at,
            "trip_code_checked": true, "raised": {"colour": "yellow", "until": "2026-12-13T00:10:00Z"},
            "person": {"document_kind": "resident_id", "document_number": ids[1], "name": "买买提·艾力",
                "address": "开封市鼓楼区中山路1号", "phone": "13837800002"}}),
        ),
        (
            "incident",
            json!({"visit_id": "0193a000-0000-7000-8000-0000000000a1", "venue_id": venue,
            "colour": "red", "reason": "风险名单", "held_at": "东门临时隔离点", "reported_to": "西司门社区",
            "status": "reported", "at": at, "note": "", "operator": "李娜"}),
        ),
        (
            "incident_event",
            json!({"incident_id": "0193a000-0000-7000-8000-0000000000b1", "venue_id": venue,
            "status": "handed_over", "note": "已闭环转运", "at": at}),
        ),
        (
            "truck_trip",
            json!({"venue_id": venue, "plate": "豫B88888", "destination_venue_id": dest,
            "trip_id": "0193a000-0000-7000-8000-0000000000c1", "crew": [member.clone(), member],
            "pass_number": "HN-2026-0001", "at": at}),
        ),
        (
            "truck_arrival",
            json!({"venue_id": dest, "plate": "豫BD12345", "trip_id": null, "crew": [],
            "pass_number": "", "at": at}),
        ),
        (
            "trip_update",
            json!({"venue_id": venue, "trip_id": "0193a000-0000-7000-8000-0000000000c1",
            "resolution": "turned_back", "note": "司机体温37.8℃", "operator": "李娜", "at": at}),
        ),
    ];
    let d = root.join("sync_push");
    let mut records = Vec::new();
    for (i, (kind, body)) in bodies.iter().enumerate() {
        let record = json!({"id": format!("0193a000-0000-7000-8000-00000000{i:04x}"), "kind": kind,
            "written_at": at, "clock_offset_ms": -1200, "body": body});
        let checked: placecode_core::sync::Record = serde_json::from_value(record.clone()).expect("a record");
        placecode_core::sync::check_content(&checked, placecode_fuzz::now())
            .unwrap_or_else(|e| panic!("seed {kind} refused: {e:?}"));
        write(&d, &format!("record_{kind}"), serde_json::to_vec(&record).expect("json"));
        records.push(record);
    }
    write(&d, "batch", serde_json::to_vec(&json!({"batch_id": "b1", "records": records})).expect("json"));

    // phone_form
    let d = root.join("phone_form");
    let form = |pairs: &[(&str, &str)]| form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    write(
        &d,
        "declaration",
        form(&[
            ("once", "n1"),
            ("name", "王建国"),
            ("id_number", &ids[0]),
            ("address", "开封市鼓楼区中山路1号"),
            ("phone", "13837800001"),
            ("visited_risk_area", "no"),
            ("contact_with_suspected", "no"),
            ("temperature_normal", "yes"),
            ("temperature", "36.5"),
            ("relation", "本人"),
        ]),
    );
    write(
        &d,
        "truck",
        form(&[
            ("once", "n2"),
            ("name", "孙建军"),
            ("document_kind", "resident_id"),
            ("document_number", &ids[2]),
            ("plate", "豫B88888"),
            ("phone", "13837800088"),
            ("origin", "郑州"),
            ("entry_point", "开封东"),
            ("expected_return", "2026-12-01"),
            ("expected_departure", "2026-11-30 08:30"),
            ("symptoms", "no"),
            ("visited_risk_area", "no"),
            ("destination", dest),
        ]),
    );
    write(
        &d,
        "truck_passport",
        form(&[
            ("name", "John Smith"),
            ("document_kind", "passport"),
            ("document_number", "E12345678"),
            ("plate", "粤Z1234港"),
            ("phone", "+86 138-3780-0001"),
            ("origin", "Hong Kong"),
            ("entry_point", "开封东"),
            ("symptoms", "yes"),
            ("visited_risk_area", "no"),
        ]),
    );

    let field = |body: &str, k: &str| {
        form_urlencoded::parse(body.as_bytes())
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let body = form(&[("name", "王建国"), ("id_number", &ids[0]), ("address", "开封市鼓楼区中山路1号")]);
    let input = placecode_core::checkin::DeclarationInput {
        document_kind: None,
        name: field(&body, "name"),
        id_number: field(&body, "id_number"),
        address: field(&body, "address"),
        phone: "13837800001".into(),
        visited_risk_area: Some(false),
        contact_with_suspected: Some(false),
        temperature_normal: Some(true),
        temperature: "36.5".into(),
    };
    placecode_core::checkin::declaration(&input, today, "").expect("the seed declaration passes");

    // csv_venues
    let d = root.join("csv_venues");
    let csv = "场所码类型,场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n\
        场所码,商场超市,大润发超市（鼓楼店）,鼓楼区,开封市鼓楼区中山路18号,王建国,13837800001\n\
        专属场所码·交通卡口,,开封东收费站,祥符区,连霍高速开封东出口,李娜,0371-23456789\n\
        场所码,餐厅饭店,\"第一楼包子馆, 寺后街店\",鼓楼区,寺后街8号,赵刚,13837800003\n\
        场所码,商场超市,乙超市,鼓楼区\n";
    write(&d, "utf8.csv", csv);
    write(&d, "utf8_bom.csv", [&b"\xEF\xBB\xBF"[..], csv.as_bytes()].concat());
    // GBK, as Excel in China saves a CSV.
    write(
        &d,
        "gbk.csv",
        encode_gbk(&csv.replace("场所码类型,", "").replace("场所码,", "").replace("专属场所码·交通卡口,", "")),
    );

    // csv_risk
    let d = root.join("csv_risk");
    write(
        &d,
        "with_header.csv",
        format!("身份证号,颜色,原因\n{},红,密接\n{},黄,次密接\n{},绿,\n", ids[0], ids[1], ids[2]),
    );
    write(
        &d,
        "no_header.csv",
        format!("{},red,\"到过中高风险地区, 14天内\"\n110105194912310021,黄,校验位错\n", ids[1]),
    );

    // scan_qr: a poster's QR, 4 pixels a module with its quiet zone, as PNG and JPEG.
    let d = root.join("scan_qr");
    let url = placecode_core::code::url("https://placecode.kaifeng.gov.cn", &general);
    let qr = placecode_poster::qr(&url).expect("a poster QR");
    let (n, scale, quiet) = (qr.width() as u32, 4u32, 4u32);
    let colors = qr.to_colors();
    let side = (n + 2 * quiet) * scale;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale).wrapping_sub(quiet), (y / scale).wrapping_sub(quiet));
        let dark = mx < n && my < n && colors[(my * n + mx) as usize].select(true, false);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("png");
    let mut jpeg = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).expect("jpeg");
    for (name, bytes) in [("poster.png", &png), ("poster.jpg", &jpeg)] {
        let found = placecode_poster::scan::one_code(bytes).expect("the seed QR scans");
        assert_eq!(found, url, "{name}");
        write(&d, name, bytes);
    }
    println!("seeds written to {}", root.display());
}

/// GBK bytes of `s`, checked with the core's own decoder.
fn encode_gbk(s: &str) -> Vec<u8> {
    let (out, _, unmappable) = encoding_rs::GBK.encode(s);
    assert!(!unmappable);
    assert_eq!(placecode_core::import::decode(&out).ok().as_deref(), Some(s), "GBK round trip");
    out.into_owned()
}
