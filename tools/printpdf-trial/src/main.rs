//! A poster's parts drawn with printpdf 0.9.1, as `placecode-poster` draws them with pdf-writer
//! and subsetter: the green band, the venue's name in Noto Sans CJK (face 2 of the collection),
//! a name in characters of CJK Extension B from HanaMinB, and a QR-sized field of 400 filled
//! modules, on one A4 page. Prints the time to parse the fonts and to save, and the file's size;
//! `make printpdf-trial` then lists the fonts (pdffonts) and the text (pdftotext).
//!
//! Usage: printpdf-trial <font dir with NotoSansCJK-Regular.ttc and HanaMinB.ttf> <out.pdf>

use printpdf::*;

fn rect(x: f32, y: f32, w: f32, h: f32) -> Op {
    let r = Rect { x: Pt(x), y: Pt(y), width: Pt(w), height: Pt(h), mode: Some(PaintMode::Fill), winding_order: None };
    // `Op::DrawRectangle` ends its path without painting it (0.9.1): a filled rectangle is drawn
    // as a polygon.
    Op::DrawPolygon { polygon: r.to_polygon() }
}

fn text(font: &FontId, size: f32, x: f32, y: f32, s: &str) -> [Op; 5] {
    [
        Op::StartTextSection,
        Op::SetFont { font: PdfFontHandle::External(font.clone()), size: Pt(size) },
        Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } },
        Op::ShowText { items: vec![TextItem::Text(s.into())] },
        Op::EndTextSection,
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, out) = match args.as_slice() {
        [_, dir, out] => (std::path::PathBuf::from(dir), out.clone()),
        _ => {
            eprintln!("usage: printpdf-trial <font dir> <out.pdf>");
            std::process::exit(2);
        }
    };
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (noto, hana) = (read("NotoSansCJK-Regular.ttc"), read("HanaMinB.ttf"));

    let started = std::time::Instant::now();
    let mut warnings = Vec::new();
    let noto = ParsedFont::from_bytes(&noto, 2, &mut warnings).expect("Noto Sans CJK SC");
    let hana = ParsedFont::from_bytes(&hana, 0, &mut warnings).expect("HanaMinB");
    let parsed = started.elapsed();

    let mut doc = PdfDocument::new("场所码海报");
    let (noto, hana) = (doc.add_font(&noto), doc.add_font(&hana));
    let mut ops = vec![Op::SetFillColor { col: Color::Rgb(Rgb { r: 0.05, g: 0.45, b: 0.25, icc_profile: None }) }];
    ops.push(rect(0.0, 700.0, 595.28, 141.89));
    ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: 1.0, g: 1.0, b: 1.0, icc_profile: None }) });
    ops.extend(text(&noto, 36.0, 60.0, 760.0, "开封市场所码"));
    ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None }) });
    ops.extend(text(&noto, 30.0, 60.0, 640.0, "西司门农贸市场 请扫码登记"));
    ops.extend(text(&hana, 30.0, 60.0, 590.0, "𠀀𠀁𪚥"));
    for i in 0..400 {
        ops.push(rect(150.0 + (i % 20) as f32 * 14.0, 150.0 + (i / 20) as f32 * 14.0, 14.05, 14.1));
    }
    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);

    let started = std::time::Instant::now();
    let mut save_warnings = Vec::new();
    let bytes = doc.with_pages(vec![page]).save(&PdfSaveOptions::default(), &mut save_warnings);
    let saved = started.elapsed();
    std::fs::write(&out, &bytes).unwrap_or_else(|e| panic!("{out}: {e}"));
    println!(
        "printpdf 0.9.1: parse fonts {} ms, save {} ms, {} bytes ({} font warnings, {} save warnings)",
        parsed.as_millis(),
        saved.as_millis(),
        bytes.len(),
        warnings.len(),
        save_warnings.len()
    );
}
