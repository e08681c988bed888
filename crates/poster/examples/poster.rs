//! Renders sample posters to target/posters/ for looking at: `cargo run --example poster`.

use placecode_core::code::SigningKey;
use placecode_core::venue::VenueInput;
use placecode_poster::{render, FontSet, PosterInput};
use placecode_store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::Path::new("target/posters");
    std::fs::create_dir_all(out)?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("d.sqlite3"))?;
    let key = SigningKey::new(7, [9; 32]);
    let fonts = FontSet::discover()?;
    let samples = [
        ("general", "market", "西司门农贸市场", "gulou", "鼓楼区西司门街12号", false),
        ("checkpoint", "other", "连霍高速开封西收费站卡口", "longting", "连霍高速开封西收费站", false),
        ("destination", "logistics", "开封中通快递物流园区祥符分拨中心", "xiangfu", "祥符区金明大道88号", true),
        (
            "general",
            "restaurant",
            "𠈌𡒄记老字号灌汤包子馆(鼓楼夜市总店)暨开封市非物质文化遗产传承基地示范窗口单位服务中心",
            "gulou",
            "鼓楼区书店街66号",
            false,
        ),
    ];
    for (i, (kind, category, name, district, address, landscape)) in samples.into_iter().enumerate() {
        let venue = store.register_venue(
            &VenueInput {
                kind: kind.into(),
                category: category.into(),
                name: name.into(),
                district: district.into(),
                address: address.into(),
                manager_name: "王建国".into(),
                manager_phone: "13837800001".into(),
            },
            true,
        )?;
        let code = store.issue_code(&venue.id, "东门", &key)?;
        let poster = PosterInput {
            url: placecode_core::code::url("https://placecode.kaifeng.gov.cn", &code.code),
            code: code.code,
            label: code.label,
            venue,
            supervision_phone: "0371-23456789".into(),
            issued: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(),
            landscape,
        };
        let t = std::time::Instant::now();
        let pdf = render(&fonts, std::slice::from_ref(&poster))?;
        println!("poster {i}: {} bytes in {:?}", pdf.len(), t.elapsed());
        std::fs::write(out.join(format!("poster-{i}.pdf")), pdf)?;
        std::fs::write(out.join(format!("poster-{i}.png")), placecode_poster::render_png(&fonts, &poster, 72.0)?)?;
    }
    Ok(())
}
