//! Posters (R4): an exact A4 PDF per code, with the venue name large, the QR at least 110 mm
//! wide, the code printed for typing by hand, and short instructions. The Chinese font is
//! embedded as a subset; characters the main font lacks (rare characters outside the BMP such as
//! 𠈌) come from a fallback font, and a character no font has is refused, never printed as an
//! empty box.
//!
//! Also the 货车通行单 (pass slip, A6) and, in [`scan`], the QR reader for photos of posters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{EcLevel, QrCode};
use subsetter::GlyphRemapper;

pub use placecode_core::print::{PosterInput, SlipInput, SlipMember, TRIP_QR_PREFIX};
use placecode_core::qr::{dark_runs, DarkRun};
use placecode_core::venue::CodeKind;
use placecode_core::{Error, Result};

#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod printer;
pub mod scan;

/// At most this many posters in one file or one print (a district office's few hundred venues
/// fit; a list of one code repeated thousands of times does not).
pub const MAX_POSTERS: usize = 1_000;

/// A request makes at least one poster and at most [`MAX_POSTERS`].
pub fn check_count(posters: usize) -> Result<()> {
    match posters {
        0 => Err(Error::invalid("venue_ids", "请先选择场所或场所码")),
        n if n > MAX_POSTERS => {
            Err(Error::invalid("venue_ids", format!("一次最多{MAX_POSTERS}张海报，这次选了{n}张：请分批生成")))
        }
        _ => Ok(()),
    }
}

/// A4 in points.
pub const A4: (f32, f32) = (595.28, 841.89);
/// The printed width of the QR symbol, without its quiet zone.
pub const QR_SYMBOL_MM: f32 = 110.0;
const MM: f32 = 72.0 / 25.4;

/// The fonts a poster is set in, found once and shared.
pub struct FontSet {
    faces: Vec<Face>,
    /// The folder the regular face was read from.
    folder: PathBuf,
}

struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    /// PostScript-style name for the PDF.
    name: &'static str,
    /// CFF outlines (OpenType) or TrueType outlines.
    cff: bool,
}

/// The font files: Noto Sans CJK (OFL; regular and bold, face 2 is Simplified Chinese) and
/// HanaMinB (OFL) for CJK Extension B and beyond.
const FONT_FILES: [(&str, u32, &str, bool); 3] = [
    ("NotoSansCJK-Bold.ttc", 2, "NotoSansCJKsc-Bold", true),
    ("NotoSansCJK-Regular.ttc", 2, "NotoSansCJKsc-Regular", true),
    ("HanaMinB.ttf", 0, "HanaMinB", false),
];

const BOLD: usize = 0;
const REGULAR: usize = 1;

impl FontSet {
    /// Looks in `$PLACECODE_FONT_DIR`, then `fonts/` beside the program (where the build puts
    /// the fonts it ships), then the system's font folders.
    pub fn discover() -> Result<FontSet> {
        FontSet::discover_with(None)
    }

    /// As [`FontSet::discover`], with the installed package's own font folder (the desk's
    /// resource folder: `/usr/lib/placecode-desk/fonts` from the .deb and .rpm) looked in first.
    pub fn discover_with(installed: Option<&Path>) -> Result<FontSet> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(d) = std::env::var_os("PLACECODE_FONT_DIR") {
            dirs.push(d.into());
        }
        dirs.extend(installed.map(Path::to_path_buf));
        if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
            dirs.push(exe_dir.join("fonts"));
            dirs.push(exe_dir.join("../fonts"));
        }
        dirs.push("/usr/share/fonts/opentype/noto".into());
        dirs.push("/usr/share/fonts/truetype/hanazono".into());
        let mut faces = Vec::new();
        let mut folder = PathBuf::new();
        for (i, (file, index, name, cff)) in FONT_FILES.into_iter().enumerate() {
            let path = dirs.iter().map(|d| d.join(file)).find(|p| p.exists()).ok_or_else(|| {
                Error::BadFile(format!("找不到海报字体 {file}：请重新安装本软件（或运行 make deps）"))
            })?;
            if i == REGULAR {
                folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
            }
            let data = std::fs::read(&path)?;
            ttf_parser::Face::parse(&data, index).map_err(|_| Error::BadFile(format!("海报字体 {file} 已损坏")))?;
            faces.push(Face { data: Arc::new(data), index, name, cff });
        }
        Ok(FontSet { faces, folder })
    }

    /// The folder the fonts were found in (the regular face's).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn face(&self, i: usize) -> ttf_parser::Face<'_> {
        ttf_parser::Face::parse(&self.faces[i].data, self.faces[i].index)
            .unwrap_or_else(|_| unreachable!("checked when loaded"))
    }

    /// The face (the given one or the fallback) and glyph for `c`, if any font has it.
    fn glyph(&self, preferred: usize, c: char) -> Option<(usize, u16)> {
        [preferred, FONT_FILES.len() - 1].into_iter().find_map(|i| self.face(i).glyph_index(c).map(|g| (i, g.0)))
    }

    /// The characters of `text` that no font can print.
    pub fn missing(&self, text: &str) -> Vec<char> {
        let mut out: Vec<char> =
            text.chars().filter(|&c| !c.is_whitespace() && self.glyph(REGULAR, c).is_none()).collect();
        out.dedup();
        out
    }
}

/// Colour and title per kind, so a checkpoint poster is told from a venue poster at a glance.
fn scheme(kind: CodeKind) -> ([f32; 3], &'static str) {
    match kind {
        CodeKind::General => ([0.039, 0.561, 0.333], "开封市场所码"),
        CodeKind::Checkpoint => ([0.114, 0.310, 0.569], "货车专属场所码·交通卡口"),
        CodeKind::Destination => ([0.702, 0.361, 0.0], "货车专属场所码·目的地场所"),
    }
}

/// The short English line under the header: what a visitor who reads no Chinese does (the page
/// the code opens speaks English to them).
fn english_line(kind: CodeKind) -> &'static str {
    match kind {
        CodeKind::General => "Venue code · Scan to check in (in English) · Show the result at the entrance",
        CodeKind::Checkpoint => "Truck crews · Scan to declare before the checkpoint (in English)",
        CodeKind::Destination => "Truck crews · Scan on arrival at the destination (in English)",
    }
}

/// What to do, in four lines, for the people who meet this kind of code.
fn instructions(kind: CodeKind) -> [&'static str; 4] {
    match kind {
        CodeKind::General => [
            "1. 使用“汴捷办”、微信或支付宝扫描上方二维码",
            "2. 首次扫码请填写申报信息；再次扫码只需输入证件号码后四位",
            "3. 将登记结果出示给工作人员，绿码通行",
            "4. 没有智能手机的老人、儿童请到登记台由工作人员手工登记",
        ],
        CodeKind::Checkpoint => [
            "1. 入汴货车司乘人员请用“汴捷办”、微信或支付宝扫描上方二维码",
            "2. 可在到达卡口前提前扫码，填写专属场所码申报信息",
            "3. 每位司乘人员都要申报，到达后向工作人员出示登记结果",
            "4. 到达目的地后，请扫描目的地场所的专属场所码，完成闭环",
        ],
        CodeKind::Destination => [
            "1. 货车到达后，司乘人员请用“汴捷办”、微信或支付宝扫描上方二维码",
            "2. 首次扫码请填写申报信息；再次扫码只需输入证件后四位",
            "3. 向本单位工作人员出示登记结果，绿码方可作业",
            "4. 没有智能手机的司乘人员请到登记台由工作人员手工登记",
        ],
    }
}

/// A run of text placed on a page.
struct Run {
    face: usize,
    size: f32,
    x: f32,
    y: f32,
    colour: [f32; 3],
    glyphs: Vec<(u16, char)>,
}

/// What a page shows, independent of the output format: the PDF and the PNG are drawn from
/// the same list, so they are the same poster.
enum Item {
    Fill { rgb: [f32; 3], x: f32, y: f32, w: f32, h: f32 },
    Frame { rgb: [f32; 3], width: f32, x: f32, y: f32, w: f32, h: f32 },
    Text(Run),
}

struct Page {
    width: f32,
    height: f32,
    items: Vec<Item>,
}

/// Lays out and writes text, collecting the glyphs each font needs.
struct Typesetter<'f> {
    fonts: &'f FontSet,
}

impl Typesetter<'_> {
    /// Shapes `text` (one glyph per character, as CJK needs): each character from the preferred
    /// face or the fallback. Fails naming the first character no font has.
    fn shape(&self, face: usize, text: &str) -> Result<Vec<(usize, u16, char)>> {
        text.chars()
            .map(|c| {
                self.fonts.glyph(face, c).map(|(f, g)| (f, g, c)).ok_or_else(|| {
                    Error::Invalid(vec![placecode_core::FieldError {
                        field: "name".into(),
                        message: format!("字符“{c}”（U+{:04X}）无法打印：海报字库中没有这个字", c as u32),
                    }])
                })
            })
            .collect()
    }

    fn width(&self, shaped: &[(usize, u16, char)], size: f32) -> f32 {
        shaped
            .iter()
            .map(|&(f, g, _)| {
                let face = self.fonts.face(f);
                f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)) / f32::from(face.units_per_em())
                    * size
            })
            .sum()
    }

    /// Places `text` with its left edge at `x` (or centred on `x` when `centre`).
    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        page: &mut Page,
        face: usize,
        text: &str,
        size: f32,
        x: f32,
        y: f32,
        centre: bool,
        colour: [f32; 3],
    ) -> Result<f32> {
        let shaped = self.shape(face, text)?;
        let width = self.width(&shaped, size);
        let mut pen = if centre { x - width / 2.0 } else { x };
        // One run per change of font, since each font is its own PDF resource.
        let mut start = 0;
        while start < shaped.len() {
            let f = shaped[start].0;
            let end = shaped[start..].iter().position(|s| s.0 != f).map_or(shaped.len(), |n| start + n);
            let part = &shaped[start..end];
            let glyphs = part.iter().map(|&(_, g, c)| (g, c)).collect();
            page.items.push(Item::Text(Run { face: f, size, x: pen, y, colour, glyphs }));
            pen += self.width(part, size);
            start = end;
        }
        Ok(width)
    }

    /// Splits `text` into at most `max_lines` lines no wider than `width` at the largest size
    /// from `sizes` that fits.
    fn fit(&self, face: usize, text: &str, width: f32, sizes: &[f32], max_lines: usize) -> Result<(f32, Vec<String>)> {
        let shaped = self.shape(face, text)?;
        for &size in sizes {
            let mut lines = vec![String::new()];
            let mut line_width = 0.0;
            for s in &shaped {
                let w = self.width(std::slice::from_ref(s), size);
                if line_width + w > width && !lines.last().is_some_and(String::is_empty) {
                    lines.push(String::new());
                    line_width = 0.0;
                }
                if let Some(l) = lines.last_mut() {
                    l.push(s.2);
                }
                line_width += w;
            }
            if lines.len() <= max_lines {
                return Ok((size, lines.into_iter().map(|l| l.trim().to_owned()).collect()));
            }
        }
        Err(Error::invalid("name", "场所名称：太长，海报上两行放不下"))
    }
}

fn fill_rect(page: &mut Page, rgb: [f32; 3], x: f32, y: f32, w: f32, h: f32) {
    page.items.push(Item::Fill { rgb, x, y, w, h });
}

/// The QR for `url`: error correction Q (H when it still fits version 7), at most version 7.
pub fn qr(url: &str) -> Result<QrCode> {
    for level in [EcLevel::H, EcLevel::Q] {
        if let Ok(code) = QrCode::with_error_correction_level(url.as_bytes(), level) {
            if let qrcode::Version::Normal(v) = code.version() {
                if v <= 7 {
                    return Ok(code);
                }
            }
        }
    }
    Err(Error::BadFile("网址太长，二维码超过7版，请缩短公共网址".into()))
}

/// Draws the QR with its quiet zone (4 modules) as a white square of side `side` at (x, y).
fn draw_qr(page: &mut Page, code: &QrCode, x: f32, y: f32, side: f32) {
    let module = side / (code.width() + 8) as f32;
    fill_rect(page, [1.0, 1.0, 1.0], x, y, side, side);
    for DarkRun { row, start, len } in dark_runs(code) {
        let top = y + side - (row + 4) as f32 * module;
        // A hair of overlap so viewers do not show seams between modules.
        let (rx, ry) = (x + (start + 4) as f32 * module, top - module - 0.05);
        fill_rect(page, [0.0; 3], rx, ry, len as f32 * module + 0.05, module + 0.1);
    }
}

fn grouped(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join(" ")
}

fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn lay_out(t: &Typesetter, p: &PosterInput) -> Result<Page> {
    let (w, h) = if p.landscape { (A4.1, A4.0) } else { A4 };
    let (colour, title) = scheme(p.venue.kind);
    let dark = [0.06, 0.15, 0.11];
    let grey = [0.30, 0.33, 0.32];
    let mut page = Page { width: w, height: h, items: Vec::new() };
    // Header band and a thin frame in the kind's colour.
    let band = 96.0;
    fill_rect(&mut page, colour, 0.0, h - band, w, band);
    page.items.push(Item::Frame { rgb: colour, width: 6.0, x: 14.0, y: 14.0, w: w - 28.0, h: h - 28.0 });
    t.text(&mut page, BOLD, title, 36.0, w / 2.0, h - 52.0, true, [1.0, 1.0, 1.0])?;
    t.text(&mut page, REGULAR, "进入请扫码登记 · 出示结果 · 绿码通行", 15.0, w / 2.0, h - 74.0, true, [1.0, 1.0, 1.0])?;
    t.text(&mut page, REGULAR, english_line(p.venue.kind), 10.0, w / 2.0, h - 89.0, true, [1.0, 1.0, 1.0])?;

    let qr_code = qr(&p.url)?;
    // The symbol itself is 110 mm wide (read from 1.5 m); the quiet zone of 4 modules comes on top.
    let modules = qr_code.width() as f32;
    let qr_side = QR_SYMBOL_MM * MM * (modules + 8.0) / modules;
    let info = format!("{} · {}", p.venue.category.label(), p.venue.district.label());
    let entrance = format!("入口：{}", p.label);
    let footer = format!("监督电话：{}    发布日期：{}", p.supervision_phone, chinese_date(p.issued));

    if !p.landscape {
        // One line may be large; two lines must leave room for the QR below them.
        let (size, lines) = t
            .fit(BOLD, &p.venue.name, w - 90.0, &[40.0, 36.0, 32.0], 1)
            .or_else(|_| t.fit(BOLD, &p.venue.name, w - 90.0, &[30.0, 28.0, 24.0, 22.0, 20.0, 18.0, 16.0], 2))?;
        let mut y = h - band - 20.0 - size;
        for line in &lines {
            t.text(&mut page, BOLD, line, size, w / 2.0, y, true, dark)?;
            y -= size * 1.2;
        }
        t.text(&mut page, REGULAR, &info, 14.0, w / 2.0, y - 2.0, true, grey)?;
        t.text(&mut page, REGULAR, &p.venue.address, 13.0, w / 2.0, y - 22.0, true, grey)?;
        t.text(&mut page, BOLD, &entrance, 20.0, w / 2.0, y - 50.0, true, colour)?;
        let qr_y = y - 62.0 - qr_side;
        draw_qr(&mut page, &qr_code, (w - qr_side) / 2.0, qr_y, qr_side);
        t.text(&mut page, REGULAR, &format!("场所码  {}", grouped(&p.code)), 12.5, w / 2.0, qr_y - 18.0, true, dark)?;
        // The instructions on a light panel of the kind's colour.
        let tint = colour.map(|c| 0.92 + c * 0.08);
        fill_rect(&mut page, tint, 44.0, qr_y - 128.0, w - 88.0, 96.0);
        let mut iy = qr_y - 54.0;
        for line in instructions(p.venue.kind) {
            t.text(&mut page, REGULAR, line, 14.0, 60.0, iy, false, dark)?;
            iy -= 21.0;
        }
        t.text(&mut page, REGULAR, &footer, 12.0, w / 2.0, 32.0, true, grey)?;
    } else {
        let qr_x = 40.0;
        let qr_y = (h - band - qr_side) / 2.0 - 6.0;
        draw_qr(&mut page, &qr_code, qr_x, qr_y, qr_side);
        t.text(
            &mut page,
            REGULAR,
            &format!("场所码  {}", grouped(&p.code)),
            11.0,
            qr_x + qr_side / 2.0,
            qr_y - 16.0,
            true,
            dark,
        )?;
        let left = qr_x + qr_side + 30.0;
        let right_w = w - left - 40.0;
        let (size, lines) = t.fit(
            BOLD,
            &p.venue.name,
            right_w,
            &[36.0, 32.0, 28.0, 24.0, 20.0, 18.0, 16.0, 14.0, 13.0, 12.0, 11.0],
            2,
        )?;
        let mut y = h - band - 30.0 - size;
        for line in &lines {
            t.text(&mut page, BOLD, line, size, left, y, false, dark)?;
            y -= size * 1.2;
        }
        t.text(&mut page, REGULAR, &info, 14.0, left, y - 4.0, false, grey)?;
        let (asize, alines) = t.fit(REGULAR, &p.venue.address, right_w, &[13.0, 11.0], 2)?;
        let mut ay = y - 24.0;
        for l in &alines {
            t.text(&mut page, REGULAR, l, asize, left, ay, false, grey)?;
            ay -= asize * 1.3;
        }
        t.text(&mut page, BOLD, &entrance, 20.0, left, ay - 16.0, false, colour)?;
        let mut iy = ay - 52.0;
        for line in instructions(p.venue.kind) {
            let (isize, ilines) = t.fit(REGULAR, line, right_w, &[13.0, 12.0, 11.0], 2)?;
            for l in ilines {
                t.text(&mut page, REGULAR, &l, isize, left, iy, false, dark)?;
                iy -= isize * 1.45;
            }
        }
        // Under the right-hand column: the code under the QR takes the left.
        t.text(&mut page, REGULAR, &footer, 11.0, left, 30.0, false, grey)?;
    }
    Ok(page)
}

/// Renders posters into one PDF, a page per poster. Each font is embedded once, as a subset
/// of the glyphs the pages use.
pub fn render(fonts: &FontSet, posters: &[PosterInput]) -> Result<Vec<u8>> {
    render_with(fonts, posters, &mut |_| true)?.ok_or(Error::NotFound("海报"))
}

/// [`render`], telling `progress` how many pages are laid out after each one; when it answers
/// false the work stops and nothing is returned (the operator cancelled).
pub fn render_with(
    fonts: &FontSet,
    posters: &[PosterInput],
    progress: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<Vec<u8>>> {
    let t = Typesetter { fonts };
    let mut pages: Vec<Page> = Vec::with_capacity(posters.len());
    for p in posters {
        pages.push(lay_out(&t, p)?);
        if !progress(pages.len()) {
            return Ok(None);
        }
    }
    write_pdf(fonts, &pages).map(Some)
}

/// Pages into one PDF, each font embedded once as a subset of the glyphs the pages use.
fn write_pdf(fonts: &FontSet, pages: &[Page]) -> Result<Vec<u8>> {
    let mut remappers: Vec<GlyphRemapper> = (0..FONT_FILES.len()).map(|_| GlyphRemapper::new()).collect();
    let mut to_unicode: Vec<BTreeMap<u16, char>> = vec![BTreeMap::new(); FONT_FILES.len()];
    for run in pages.iter().flat_map(runs) {
        for &(g, c) in &run.glyphs {
            let new = remappers[run.face].remap(g);
            to_unicode[run.face].insert(new, c);
        }
    }

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let font_refs: Vec<Ref> = (0..FONT_FILES.len()).map(|_| alloc()).collect();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|p| p.0)).count(page_refs.len() as i32);

    for (page, &(page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let (w, h) = (page.width, page.height);
        let mut content = Content::new();
        for item in &page.items {
            match item {
                Item::Fill { rgb, x, y, w, h } => {
                    content.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
                    content.rect(*x, *y, *w, *h);
                    content.fill_nonzero();
                }
                Item::Frame { rgb, width, x, y, w, h } => {
                    content.set_stroke_rgb(rgb[0], rgb[1], rgb[2]);
                    content.set_line_width(*width);
                    content.rect(*x, *y, *w, *h);
                    content.stroke();
                }
                Item::Text(run) => {
                    let gids: Vec<u8> = run
                        .glyphs
                        .iter()
                        .flat_map(|&(g, _)| remappers[run.face].get(g).unwrap_or(0).to_be_bytes())
                        .collect();
                    content.set_fill_rgb(run.colour[0], run.colour[1], run.colour[2]);
                    content.begin_text();
                    content.set_font(Name(format!("F{}", run.face).as_bytes()), run.size);
                    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, run.y]);
                    content.show(Str(&gids));
                    content.end_text();
                }
            }
        }
        let data = miniz_compress(&content.finish());
        let mut p = pdf.page(page_ref);
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(tree);
        p.contents(content_ref);
        let mut resources = p.resources();
        let mut dict = resources.fonts();
        for (f, r) in font_refs.iter().enumerate() {
            if !to_unicode[f].is_empty() {
                dict.pair(Name(format!("F{f}").as_bytes()), *r);
            }
        }
        dict.finish();
        resources.finish();
        p.finish();
        pdf.stream(content_ref, &data).filter(Filter::FlateDecode);
    }

    for (f, face_ref) in font_refs.iter().enumerate() {
        if to_unicode[f].is_empty() {
            continue;
        }
        let spec = &fonts.faces[f];
        let face = fonts.face(f);
        let (cid_ref, desc_ref, file_ref, cmap_ref) = (alloc(), alloc(), alloc(), alloc());
        // A subset's name carries a six-letter tag (PDF 32000-1, 9.6.4).
        let tag: String =
            (0..6).map(|i| (b'A' + ((remappers[f].num_gids() as usize * 7 + f * 3 + i) % 26) as u8) as char).collect();
        let base = format!("{tag}+{}", spec.name);
        let subset = subsetter::subset(&spec.data, spec.index, &remappers[f])
            .map_err(|e| Error::BadFile(format!("海报字体子集化失败：{e}")))?;
        let units = f32::from(face.units_per_em());
        let scale = |v: i16| f32::from(v) / units * 1000.0;

        pdf.type0_font(*face_ref)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(cmap_ref);
        let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        let mut cid = pdf.cid_font(cid_ref);
        cid.subtype(if spec.cff { CidFontType::Type0 } else { CidFontType::Type2 });
        cid.base_font(Name(base.as_bytes()));
        cid.system_info(system_info);
        cid.font_descriptor(desc_ref);
        cid.default_width(1000.0);
        if !spec.cff {
            cid.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        let widths: Vec<f32> = remappers[f]
            .remapped_gids()
            .map(|old| f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0)) / units * 1000.0)
            .collect();
        cid.widths().consecutive(0, widths);
        cid.finish();

        let bbox = face.global_bounding_box();
        let mut desc = pdf.font_descriptor(desc_ref);
        desc.name(Name(base.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(if f == BOLD { 140.0 } else { 80.0 });
        if spec.cff {
            desc.font_file3(file_ref);
        } else {
            desc.font_file2(file_ref);
        }
        desc.finish();
        let compressed = miniz_compress(&subset);
        let mut stream = pdf.stream(file_ref, &compressed);
        stream.filter(Filter::FlateDecode);
        if spec.cff {
            stream.pair(Name(b"Subtype"), Name(b"OpenType"));
        }
        stream.finish();

        let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
        for (&g, &c) in &to_unicode[f] {
            cmap.pair(g, c);
        }
        pdf.cmap(cmap_ref, &cmap.finish());
    }
    Ok(pdf.finish())
}

/// A6 portrait, in points.
const A6: (f32, f32) = (297.64, 419.53);

/// The 货车通行单 as a one-page A6 PDF.
pub fn render_slip(fonts: &FontSet, slip: &SlipInput) -> Result<Vec<u8>> {
    let t = Typesetter { fonts };
    let (w, h) = A6;
    let (colour, _) = scheme(CodeKind::Checkpoint);
    let dark = [0.06, 0.15, 0.11];
    let grey = [0.30, 0.33, 0.32];
    let mut page = Page { width: w, height: h, items: Vec::new() };
    fill_rect(&mut page, colour, 0.0, h - 44.0, w, 44.0);
    t.text(&mut page, BOLD, "货车入口通行单", 20.0, w / 2.0, h - 29.0, true, [1.0, 1.0, 1.0])?;
    let (size, lines) = t.fit(REGULAR, &slip.checkpoint, w - 40.0, &[11.0, 9.0], 2)?;
    let mut y = h - 62.0;
    for l in &lines {
        t.text(&mut page, REGULAR, l, size, w / 2.0, y, true, grey)?;
        y -= size * 1.3;
    }
    t.text(&mut page, BOLD, &slip.plate, 30.0, w / 2.0, y - 28.0, true, dark)?;
    y -= 52.0;
    let line = |page: &mut Page, label: &str, value: &str, y: &mut f32| -> Result<()> {
        let (size, lines) = t.fit(REGULAR, &format!("{label}：{value}"), w - 40.0, &[11.0, 9.5, 8.0], 2)?;
        for l in &lines {
            t.text(page, REGULAR, l, size, 20.0, *y, false, dark)?;
            *y -= size * 1.35;
        }
        Ok(())
    };
    line(&mut page, "目的地", &slip.destination, &mut y)?;
    line(&mut page, "入口时间", &slip.entered, &mut y)?;
    if !slip.pass_number.is_empty() {
        line(&mut page, "通行证号", &slip.pass_number, &mut y)?;
    }
    t.text(&mut page, REGULAR, &format!("司乘人员（{}人）：", slip.crew.len()), 11.0, 20.0, y, false, dark)?;
    y -= 14.0;
    // One member a line; two a line for a large crew, so the QR keeps its room.
    let per_line = if slip.crew.len() > 4 { 2 } else { 1 };
    for pair in slip.crew.chunks(per_line) {
        let text: Vec<String> = pair.iter().map(|m| format!("{} {}", m.name, m.document)).collect();
        t.text(&mut page, REGULAR, &text.join("    "), 10.0, 32.0, y, false, dark)?;
        y -= 13.0;
    }
    let code = qr(&format!("{TRIP_QR_PREFIX}{}", slip.trip_id))?;
    let side = 150.0_f32.min(y - 50.0).max(96.0);
    let qr_y = y - 6.0 - side;
    draw_qr(&mut page, &code, (w - side) / 2.0, qr_y, side);
    t.text(&mut page, REGULAR, "到达目的地时出示本单：目的地场所扫码或输入车牌", 9.0, w / 2.0, 30.0, true, grey)?;
    t.text(&mut page, REGULAR, "登记到达，行程闭环。途中不要下车停留。", 9.0, w / 2.0, 18.0, true, grey)?;
    write_pdf(fonts, &[page])
}

fn runs(page: &Page) -> impl Iterator<Item = &Run> {
    page.items.iter().filter_map(|i| match i {
        Item::Text(run) => Some(run),
        _ => None,
    })
}

/// The same poster as a PNG (for sending by phone message, and for the preview), at `dpi`.
pub fn render_png(fonts: &FontSet, poster: &PosterInput, dpi: f32) -> Result<Vec<u8>> {
    let t = Typesetter { fonts };
    let page = lay_out(&t, poster)?;
    let s = dpi / 72.0;
    let (pw, ph) = ((page.width * s).round() as u32, (page.height * s).round() as u32);
    let mut pixmap = tiny_skia::Pixmap::new(pw, ph).ok_or_else(|| Error::BadFile("图片尺寸无效".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let paint = |rgb: &[f32; 3]| {
        let mut p = tiny_skia::Paint::default();
        p.set_color(tiny_skia::Color::from_rgba(rgb[0], rgb[1], rgb[2], 1.0).unwrap_or(tiny_skia::Color::BLACK));
        p.anti_alias = true;
        p
    };
    // PDF space has its origin at the bottom left; the image's is at the top left.
    let rect =
        |x: f32, y: f32, w: f32, h: f32| tiny_skia::Rect::from_xywh(x * s, (page.height - y - h) * s, w * s, h * s);
    for item in &page.items {
        match item {
            Item::Fill { rgb, x, y, w, h } => {
                if let Some(r) = rect(*x, *y, *w, *h) {
                    pixmap.fill_rect(r, &paint(rgb), tiny_skia::Transform::identity(), None);
                }
            }
            Item::Frame { rgb, width, x, y, w, h } => {
                if let Some(r) = rect(*x, *y, *w, *h) {
                    let path = tiny_skia::PathBuilder::from_rect(r);
                    let stroke = tiny_skia::Stroke { width: width * s, ..Default::default() };
                    pixmap.stroke_path(&path, &paint(rgb), &stroke, tiny_skia::Transform::identity(), None);
                }
            }
            Item::Text(run) => {
                let face = fonts.face(run.face);
                let em = run.size / f32::from(face.units_per_em());
                let mut pen = run.x;
                for &(g, _) in &run.glyphs {
                    let mut outline =
                        Outline { b: tiny_skia::PathBuilder::new(), x: pen, y: run.y, em, s, h: page.height };
                    if face.outline_glyph(ttf_parser::GlyphId(g), &mut outline).is_some() {
                        if let Some(path) = outline.b.finish() {
                            pixmap.fill_path(
                                &path,
                                &paint(&run.colour),
                                tiny_skia::FillRule::Winding,
                                tiny_skia::Transform::identity(),
                                None,
                            );
                        }
                    }
                    pen += f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)) * em;
                }
            }
        }
    }
    pixmap.encode_png().map_err(|e| Error::Internal(format!("PNG编码失败：{e}")))
}

/// Glyph outlines from font units to image pixels.
struct Outline {
    b: tiny_skia::PathBuilder,
    x: f32,
    y: f32,
    em: f32,
    s: f32,
    h: f32,
}

impl Outline {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        ((self.x + x * self.em) * self.s, (self.h - (self.y + y * self.em)) * self.s)
    }
}

impl ttf_parser::OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.b.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.b.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let ((x1, y1), (x, y)) = (self.p(x1, y1), self.p(x, y));
        self.b.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let ((x1, y1), (x2, y2), (x, y)) = (self.p(x1, y1), self.p(x2, y2), self.p(x, y));
        self.b.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.b.close();
    }
}

fn miniz_compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_stays_within_version_7_for_a_real_url() {
        let key = placecode_core::code::SigningKey::new(1, [3; 32]);
        let url = placecode_core::code::url("https://placecode.kaifeng.gov.cn", &key.sign(CodeKind::General, 1));
        let code = qr(&url).unwrap();
        match code.version() {
            qrcode::Version::Normal(v) => assert!(v <= 7, "version {v}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(qr(&"X".repeat(400)), Err(Error::BadFile(_))), "too long for a poster QR");
    }

    /// The SVG's runs, drawn back into a PNG, decode to the text (an independent decoder).
    #[test]
    fn the_svg_qr_decodes_to_its_text() {
        let text = "https://placecode.kaifeng.gov.cn/c/CP2K9X4M7Q8R3T5V?same=0123456789abcdef";
        let svg = placecode_core::qr::svg(text).unwrap();
        let side: u32 = svg.split("viewBox=\"0 0 ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
        let scale = 6;
        let mut img = image::GrayImage::from_pixel(side * scale, side * scale, image::Luma([255]));
        let d = svg.split("d=\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
        for run in d.split('z').filter(|r| !r.is_empty()) {
            // M{x} {y}h{w}v1h-{w}
            let (xy, rest) = run.trim_start_matches('M').split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
            let w: u32 = rest.split('v').next().unwrap().parse().unwrap();
            for px in x * scale..(x + w) * scale {
                for py in y * scale..(y + 1) * scale {
                    img.put_pixel(px, py, image::Luma([0]));
                }
            }
        }
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(crate::scan::qr_texts(&png).unwrap(), [text]);
        assert_eq!(placecode_core::qr::svg(&"X".repeat(5000)).unwrap_err().to_string(), "内容太长，无法生成二维码");
    }

    #[test]
    fn an_installed_packages_own_fonts_come_before_the_systems() {
        let Ok(system) = FontSet::discover() else { return };
        let installed = tempfile::tempdir().unwrap();
        for (file, ..) in FONT_FILES {
            let found = [system.folder().to_path_buf(), "/usr/share/fonts/truetype/hanazono".into()]
                .into_iter()
                .map(|d| d.join(file))
                .find(|p| p.exists())
                .unwrap();
            std::fs::copy(found, installed.path().join(file)).unwrap();
        }
        let fonts = FontSet::discover_with(Some(installed.path())).unwrap();
        assert_eq!(fonts.folder(), installed.path());
        // A folder without them (a package whose fonts were removed) falls back to the system's.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(FontSet::discover_with(Some(empty.path())).unwrap().folder(), system.folder());
    }

    #[test]
    fn rendering_can_be_cancelled_between_pages() {
        let Ok(fonts) = FontSet::discover() else { return };
        let key = placecode_core::code::SigningKey::new(1, [3; 32]);
        let venue = sample_venue("甲超市");
        let posters: Vec<PosterInput> = (0..5)
            .map(|i| {
                let code = key.sign(CodeKind::General, i);
                PosterInput {
                    url: placecode_core::code::url("https://x.cn", &code),
                    code,
                    label: "正门".into(),
                    venue: venue.clone(),
                    supervision_phone: "12345".into(),
                    issued: chrono::NaiveDate::default(),
                    landscape: false,
                }
            })
            .collect();
        let mut seen = Vec::new();
        let out = render_with(&fonts, &posters, &mut |n| {
            seen.push(n);
            n < 3
        })
        .unwrap();
        assert!(out.is_none());
        assert_eq!(seen, [1, 2, 3]);
        let mut last = 0;
        assert!(render_with(&fonts, &posters, &mut |n| {
            last = n;
            true
        })
        .unwrap()
        .is_some());
        assert_eq!(last, 5);
    }

    #[test]
    fn the_qr_symbol_is_at_least_110_mm_wide_and_stays_on_the_page() {
        let Ok(fonts) = FontSet::discover() else { return };
        let key = placecode_core::code::SigningKey::new(1, [3; 32]);
        for (name, landscape) in
            [("店名", false), ("开封市鼓楼区西司门农贸市场综合服务", false), ("西司门农贸市场", true)]
        {
            let code = key.sign(CodeKind::General, 1);
            let input = PosterInput {
                url: placecode_core::code::url("https://placecode.kaifeng.gov.cn", &code),
                code,
                label: "正门".into(),
                venue: sample_venue(name),
                supervision_phone: "12345".into(),
                issued: chrono::NaiveDate::default(),
                landscape,
            };
            let page = lay_out(&Typesetter { fonts: &fonts }, &input).unwrap();
            let n = qr(&input.url).unwrap().width() as f32;
            // The QR's white square is the only white fill.
            let side = page
                .items
                .iter()
                .find_map(|i| match i {
                    Item::Fill { rgb: [1.0, 1.0, 1.0], w, .. } => Some(*w),
                    _ => None,
                })
                .unwrap();
            assert!(side * n / (n + 8.0) >= 110.0 * MM - 0.01, "{name}: symbol {} mm", side * n / (n + 8.0) / MM);
            for item in &page.items {
                let (y, top) = match item {
                    Item::Fill { y, h, .. } | Item::Frame { y, h, .. } => (*y, y + h),
                    Item::Text(r) => (r.y, r.y + r.size),
                };
                assert!(y >= 0.0 && top <= page.height + 0.01, "{name}: off the page at {y}..{top}");
            }
            // The short English line is there, whole (one run, no fallback face).
            let texts: Vec<String> = runs(&page).map(|r| r.glyphs.iter().map(|&(_, c)| c).collect()).collect();
            assert!(texts.iter().any(|t| t == english_line(CodeKind::General)), "{name}: {texts:?}");
            // Text runs do not overlap each other.
            let runs: Vec<&Run> = runs(&page).collect();
            for (i, a) in runs.iter().enumerate() {
                for b in &runs[i + 1..] {
                    let t = Typesetter { fonts: &fonts };
                    let width = |r: &Run| {
                        let shaped: Vec<(usize, u16, char)> = r.glyphs.iter().map(|&(g, c)| (r.face, g, c)).collect();
                        t.width(&shaped, r.size)
                    };
                    let apart = a.x + width(a) <= b.x + 0.5
                        || b.x + width(b) <= a.x + 0.5
                        || a.y + a.size * 0.9 <= b.y
                        || b.y + b.size * 0.9 <= a.y;
                    assert!(apart, "{name}: text overlaps at ({}, {}) and ({}, {})", a.x, a.y, b.x, b.y);
                }
            }
        }
    }

    fn sample_venue(name: &str) -> placecode_core::venue::Venue {
        placecode_core::venue::Venue {
            id: "v".into(),
            kind: CodeKind::General,
            category: placecode_core::venue::Category::Market,
            name: name.into(),
            district: placecode_core::venue::District::Gulou,
            address: "鼓楼区西司门街12号".into(),
            manager_name: String::new(),
            manager_phone: String::new(),
            manager_name_masked: String::new(),
            manager_phone_masked: String::new(),
            served: false,
            created_at: String::new(),
            updated_at: String::new(),
            rejected: None,
        }
    }

    #[test]
    fn grouped_code_for_typing() {
        assert_eq!(grouped("ABCDEFGHJK"), "ABCD EFGH JK");
        assert_eq!(chinese_date(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()), "2026年11月27日");
    }
}
