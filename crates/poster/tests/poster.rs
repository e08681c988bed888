//! Posters (R4) checked from outside with independent tools: poppler (pdfinfo, pdffonts,
//! pdftotext, pdftoppm) and zbarimg decode what a phone would see.

use std::path::Path;
use std::process::Command;

use placecode_core::code::{self, SigningKey};
use placecode_core::venue::{Category, CodeKind, District, Venue};
use placecode_poster::{render, FontSet, PosterInput, SlipMember};

fn venue(kind: CodeKind, name: &str) -> Venue {
    Venue {
        id: "v1".into(),
        kind,
        category: Category::Market,
        name: name.into(),
        district: District::Gulou,
        address: "鼓楼区西司门街12号".into(),
        manager_name: "王建国".into(),
        manager_phone: "13837800001".into(),
        manager_name_masked: "王**".into(),
        manager_phone_masked: "138****0001".into(),
        served: false,
        created_at: String::new(),
        updated_at: String::new(),
        rejected: None,
    }
}

fn poster(kind: CodeKind, name: &str, serial: u64, landscape: bool) -> (PosterInput, SigningKey) {
    let key = SigningKey::new(0x1234_5678, [5; 32]);
    let c = key.sign(kind, serial);
    let input = PosterInput {
        url: code::url("https://placecode.kaifeng.gov.cn", &c),
        code: c,
        label: "东门".into(),
        venue: venue(kind, name),
        supervision_phone: "0371-23456789".into(),
        issued: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        landscape,
    };
    (input, key)
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e} (make deps installs it)"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Renders to PNG at `dpi` and returns what zbarimg decodes.
fn decode(pdf: &Path, page: usize, dpi: u32) -> Vec<String> {
    let prefix = pdf.with_extension(format!("{dpi}"));
    run(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png = prefix.with_extension(format!("{dpi}.png"));
    let out = Command::new("zbarimg").args(["-q", "--raw", png.to_str().unwrap()]).output().expect("zbarimg");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn r4_poster_is_exact_a4_with_an_embedded_subset_and_a_qr_that_verifies() {
    let fonts = FontSet::discover().expect("fonts (make deps)");
    let dir = tempfile::tempdir().unwrap();
    for (i, kind) in [CodeKind::General, CodeKind::Checkpoint, CodeKind::Destination].into_iter().enumerate() {
        let (input, key) = poster(kind, "西司门农贸市场", i as u64 + 1, false);
        let pdf = render(&fonts, std::slice::from_ref(&input)).unwrap();
        assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
        let path = dir.path().join(format!("p{i}.pdf"));
        std::fs::write(&path, &pdf).unwrap();

        let info = run("pdfinfo", &[path.to_str().unwrap()]);
        assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
        let fonts_out = run("pdffonts", &[path.to_str().unwrap()]);
        // Every font embedded ("emb yes") and subset ("sub yes"), with the subset tag.
        let rows: Vec<&str> = fonts_out.lines().skip(2).collect();
        assert!(!rows.is_empty());
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert!(cols[0].contains('+'), "subset tag: {row}");
            assert_eq!(&cols[cols.len() - 5..cols.len() - 2], ["yes", "yes", "yes"], "{row}");
        }
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        assert!(text.contains("西司门农贸市场"), "{text}");
        assert!(text.contains(["开封市场所码", "货车专属场所码·交通卡口", "货车专属场所码·目的地场所"][i]), "{text}");
        assert!(text.contains("入口：东门"));

        let decoded = decode(&path, 1, 100);
        assert_eq!(decoded, std::slice::from_ref(&input.url));
        let parsed = code::parse(&decoded[0]).unwrap();
        assert!(parsed.verify(&key));
        assert_eq!(parsed.kind, kind);
    }
}

#[test]
fn names_of_one_and_sixty_characters_rare_characters_and_mixed_latin() {
    let fonts = FontSet::discover().expect("fonts");
    let dir = tempfile::tempdir().unwrap();
    let sixty: String = "开封市鼓楼区西司门农贸市场综合服务中心".chars().cycle().take(60).collect();
    for (i, name) in ["店", sixty.as_str(), "𠈌𡒄记灌汤包子馆", "KFC肯德基(鼓楼店)"].into_iter().enumerate()
    {
        let (input, _) = poster(CodeKind::General, name, 10 + i as u64, i % 2 == 1);
        let pdf = render(&fonts, std::slice::from_ref(&input)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = dir.path().join(format!("n{i}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        let text: String =
            run("pdftotext", &[path.to_str().unwrap(), "-"]).chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(name), "{name} in {text}");
        assert_eq!(decode(&path, 1, 100), [input.url]);
    }
}

#[test]
fn a_character_no_font_has_is_refused_not_printed_as_a_box() {
    let fonts = FontSet::discover().expect("fonts");
    // U+E000 is a private-use character: no font has it.
    let (input, _) = poster(CodeKind::General, "超市\u{E000}", 1, false);
    let e = render(&fonts, &[input]).unwrap_err();
    assert_eq!(e.to_string(), "字符“\u{E000}”（U+E000）无法打印：海报字库中没有这个字");
    assert_eq!(fonts.missing("超市\u{E000}𠈌"), ['\u{E000}']);
}

#[test]
fn many_posters_share_one_font_subset_in_one_pdf() {
    let fonts = FontSet::discover().expect("fonts");
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PosterInput> =
        (0..20).map(|i| poster(CodeKind::General, &format!("第{i}号摊位"), 100 + i, false).0).collect();
    let pdf = render(&fonts, &inputs).unwrap();
    let path = dir.path().join("bulk.pdf");
    std::fs::write(&path, &pdf).unwrap();
    assert!(run("pdfinfo", &[path.to_str().unwrap()]).contains("Pages:           20"));
    assert_eq!(run("pdffonts", &[path.to_str().unwrap()]).lines().count(), 4, "two faces, embedded once");
    assert_eq!(decode(&path, 17, 100), [inputs[16].url.clone()]);
}

#[test]
fn r4_png_is_the_same_poster_and_its_qr_decodes() {
    let fonts = FontSet::discover().expect("fonts");
    let dir = tempfile::tempdir().unwrap();
    for (i, landscape) in [false, true].into_iter().enumerate() {
        let (input, key) = poster(CodeKind::Checkpoint, "连霍高速开封西收费站𠈌卡口", 7 + i as u64, landscape);
        let png = placecode_poster::render_png(&fonts, &input, 100.0).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        // 100 dpi: A4 is 827 x 1169 pixels.
        let (w, h) =
            (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
        assert_eq!(if landscape { (h, w) } else { (w, h) }, (827, 1169));
        let path = dir.path().join(format!("p{i}.png"));
        std::fs::write(&path, &png).unwrap();
        let out = Command::new("zbarimg").args(["-q", "--raw", path.to_str().unwrap()]).output().expect("zbarimg");
        let decoded = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert_eq!(decoded, input.url);
        assert!(code::parse(&decoded).unwrap().verify(&key));
    }
}

/// 货车通行单: an A6 page naming the plate, the destination and the crew masked, with a QR the
/// destination's scanner types as the trip's id.
#[test]
fn a_truck_pass_slip_is_a6_masked_and_its_qr_names_the_trip() {
    let fonts = FontSet::discover().expect("fonts");
    let dir = tempfile::tempdir().unwrap();
    let slip = placecode_poster::SlipInput {
        trip_id: "01936b2e-8c2f-7a51-9d3e-0123456789ab".into(),
        checkpoint: "开封东收费站卡口".into(),
        plate: "豫B12345".into(),
        destination: "鼓楼物流园（五一路8号）".into(),
        entered: "2026-11-29 10:30".into(),
        pass_number: "HN2026112900001".into(),
        crew: vec![
            SlipMember { name: "孙**".into(), document: "410***********0014".into() },
            SlipMember { name: "𠈌*".into(), document: "E1234****".into() },
        ],
    };
    let pdf = placecode_poster::render_slip(&fonts, &slip).unwrap();
    let path = dir.path().join("slip.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let info = run("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.contains("297.64 x 419.53 pts") && info.contains("Pages:           1"), "{info}");
    let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
    for want in ["货车入口通行单", "豫B12345", "鼓楼物流园", "2026-11-29 10:30", "孙**", "司乘人员（2人）"]
    {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert_eq!(decode(&path, 1, 150), ["PCTRIP:01936b2e-8c2f-7a51-9d3e-0123456789ab"]);
    if let Some(out) = std::env::var_os("PLACECODE_SLIP_OUT") {
        std::fs::copy(&path, out).unwrap();
    }
}
