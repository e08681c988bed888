//! Reading venue codes from a photo or scan of a poster (PNG or JPEG), with an independent QR
//! decoder (rxing), for 核验 at the desk and on the command line.

use placecode_core::error::{Error, Result};

pub const MAX_IMAGE_BYTES: usize = 25 * 1024 * 1024;
/// Phone photos are large; QR finding needs far fewer pixels and runs much faster on them.
const MAX_SIDE: u32 = 2000;

/// Every QR text found in the image (distinct, in the order found).
pub fn qr_texts(bytes: &[u8]) -> Result<Vec<String>> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::BadFile("图片过大（超过25MB）".into()));
    }
    let unreadable = || Error::BadFile("无法读取图片：请选择PNG或JPEG照片".into());
    // A decoder that panics on a crafted file (a JPEG found by fuzzing trips an assertion in
    // zune-jpeg) refuses the file like any other unreadable one, instead of taking the desk down.
    let decoded = std::panic::catch_unwind(|| image::load_from_memory(bytes)).map_err(|_| unreadable())?;
    let img = decoded.map_err(|_| unreadable())?;
    let img = if img.width().max(img.height()) > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let luma = img.to_luma8();
    let (w, h) = luma.dimensions();
    let found = rxing::helpers::detect_multiple_in_luma(luma.into_raw(), w, h).unwrap_or_default();
    let mut texts: Vec<String> = Vec::new();
    for r in found {
        if *r.getBarcodeFormat() == rxing::BarcodeFormat::QR_CODE && !texts.contains(&r.getText().to_owned()) {
            texts.push(r.getText().to_owned());
        }
    }
    Ok(texts)
}

/// The one venue code in a photo of a poster; none or several is a clear error.
pub fn one_code(bytes: &[u8]) -> Result<String> {
    let texts = qr_texts(bytes)?;
    match texts.as_slice() {
        [] => Err(Error::BadFile("图片中没有找到二维码：请正对海报、拍清楚后再试".into())),
        [one] => Ok(one.clone()),
        many => Err(Error::BadFile(format!("图片中有{}个二维码，请只拍一张海报", many.len()))),
    }
}

#[cfg(test)]
mod tests {
    /// The file fuzzing found (it trips an assertion inside the JPEG decoder): refused like any
    /// unreadable image, not a panic.
    #[test]
    fn a_crafted_jpeg_that_trips_the_decoder_is_refused() {
        let jpeg = include_bytes!("../../../fuzz/regressions/scan_qr-zune-jpeg-debug-assert.jpg");
        let e = super::qr_texts(jpeg).expect_err("unreadable");
        assert_eq!(e.code(), "bad_file");
    }
}
