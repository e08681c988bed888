//! 核验 from photos and scans (R4): rxing reads the QR from PNG and JPEG images made here from
//! real posters: straight, rotated, photographed at an angle (a keystone warp), compressed,
//! two posters in one picture, and a picture with no QR at all.

use image::{GrayImage, Luma};
use placecode_core::code::{self, SigningKey};
use placecode_core::venue::VenueInput;
use placecode_poster::{render_png, FontSet, PosterInput};
use placecode_store::Store;

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    key: SigningKey,
    posters: Vec<PosterInput>,
}

impl Setup {
    /// 核验 from a photo, as the desk does it: the one QR in the picture, checked like a typed code.
    fn check_image(&self, image: &[u8]) -> placecode_store::Result<placecode_store::CodeCheck> {
        let text = placecode_poster::scan::one_code(image)?;
        self.store.check_code(&text, &self.key)
    }
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let key = placecode_store::keys::load_or_create(&dir.path().join("k.key")).unwrap();
    let mut ids = Vec::new();
    for (name, address) in [("西司门农贸市场", "西司门街12号"), ("鼓楼夜市管理处", "书店街66号")]
    {
        let v = store
            .register_venue(
                &VenueInput {
                    kind: "general".into(),
                    category: "market".into(),
                    name: name.into(),
                    district: "gulou".into(),
                    address: address.into(),
                    manager_name: "王建国".into(),
                    manager_phone: "13837800001".into(),
                },
                false,
            )
            .unwrap();
        ids.push(v.id);
    }
    let posters = store.poster_inputs(&ids, &key, false, chrono::NaiveDate::default()).unwrap();
    Setup { _dir: dir, store, key, posters }
}

fn gray(png: &[u8]) -> GrayImage {
    image::load_from_memory(png).unwrap().to_luma8()
}

fn encode_png(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn encode_jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    out
}

/// Inverse mapping with bilinear sampling; white outside the source.
fn warp(src: &GrayImage, w: u32, h: u32, map: impl Fn(f32, f32) -> (f32, f32)) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let (u, v) = map(x as f32, y as f32);
        if u < 0.0 || v < 0.0 || u >= (src.width() - 1) as f32 || v >= (src.height() - 1) as f32 {
            return Luma([255]);
        }
        let (x0, y0) = (u.floor() as u32, v.floor() as u32);
        let (fx, fy) = (u - x0 as f32, v - y0 as f32);
        let p = |x, y| f32::from(src.get_pixel(x, y)[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
        let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy) as u8])
    })
}

fn rotated(src: &GrayImage, degrees: f32) -> GrayImage {
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (src.width() as f32 / 2.0, src.height() as f32 / 2.0);
    warp(src, src.width(), src.height(), |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + dx * c + dy * s, cy - dx * s + dy * c)
    })
}

/// A poster photographed from below and to the side: the top narrower than the bottom.
fn keystone(src: &GrayImage) -> GrayImage {
    let (w, h) = (src.width() as f32, src.height() as f32);
    warp(src, src.width(), src.height(), |x, y| {
        let scale = 0.85 + 0.2 * (y / h);
        let cx = w / 2.0 + 20.0 * (1.0 - y / h);
        ((x - cx) / scale + w / 2.0, y * 0.97 + 10.0)
    })
}

#[test]
fn r4_a_photo_of_a_poster_is_read_and_verified_in_many_conditions() {
    let s = setup();
    let fonts = FontSet::discover().expect("fonts");
    let poster = &s.posters[0];
    let page = gray(&render_png(&fonts, poster, 100.0).unwrap());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("straight PNG", encode_png(&page)),
        ("JPEG quality 50", encode_jpeg(&page, 50)),
        ("rotated 90°", encode_png(&image::imageops::rotate90(&page))),
        ("rotated 12°", encode_png(&rotated(&page, 12.0))),
        ("at an angle", {
            let k = keystone(&page);
            if let Ok(dir) = std::env::var("PLACECODE_KEEP_IMAGES") {
                k.save(std::path::Path::new(&dir).join("keystone.png")).unwrap();
            }
            encode_jpeg(&k, 80)
        }),
        ("small, 50 dpi", encode_png(&gray(&render_png(&fonts, poster, 50.0).unwrap()))),
    ];
    for (what, bytes) in cases {
        let check = s.check_image(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(check.verified, "{what}");
        assert_eq!(check.code, poster.code, "{what}");
        assert!(check.chinese().starts_with("有效：西司门农贸市场"), "{what}: {}", check.chinese());
    }
}

#[test]
fn pictures_with_no_qr_two_qrs_or_no_image_are_refused_clearly() {
    let s = setup();
    let fonts = FontSet::discover().expect("fonts");
    let blank = GrayImage::from_pixel(800, 600, Luma([240]));
    assert_eq!(
        s.check_image(&encode_png(&blank)).unwrap_err().to_string(),
        "图片中没有找到二维码：请正对海报、拍清楚后再试"
    );

    let a = gray(&render_png(&fonts, &s.posters[0], 60.0).unwrap());
    let b = gray(&render_png(&fonts, &s.posters[1], 60.0).unwrap());
    let mut both = GrayImage::from_pixel(a.width() + b.width() + 40, a.height(), Luma([255]));
    image::imageops::replace(&mut both, &a, 0, 0);
    image::imageops::replace(&mut both, &b, i64::from(a.width()) + 40, 0);
    let texts = placecode_poster::scan::qr_texts(&encode_png(&both)).unwrap();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(s.check_image(&encode_png(&both)).unwrap_err().to_string(), "图片中有2个二维码，请只拍一张海报");

    assert_eq!(s.check_image(b"not an image").unwrap_err().code(), "bad_file");
    let big = vec![0u8; placecode_poster::scan::MAX_IMAGE_BYTES + 1];
    assert_eq!(s.check_image(&big).unwrap_err().to_string(), "图片过大（超过25MB）");
}

#[test]
fn a_photo_of_a_forged_poster_is_caught() {
    let s = setup();
    let fonts = FontSet::discover().expect("fonts");
    let mut forged = s.posters[0].clone();
    let fake = SigningKey::new(s.key.id, [0; 32]).sign(placecode_core::venue::CodeKind::General, 1);
    forged.url = code::url("https://placecode.kaifeng.gov.cn", &fake);
    forged.code = fake;
    let png = render_png(&fonts, &forged, 100.0).unwrap();
    let check = s.check_image(&png).unwrap();
    assert!(!check.verified);
    assert_eq!(check.chinese(), "伪造或被篡改的场所码：签名不符，请勿使用");
}
