//! QR codes drawn without a PDF or an image library: the runs of dark modules a poster draws as
//! rectangles, and an SVG for a screen or a small slip (the centre's pages use it too).

use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};

/// A run of dark modules in one row of a QR: one rectangle on a poster, one path segment on
/// screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DarkRun {
    pub row: usize,
    /// The first column of the run.
    pub start: usize,
    pub len: usize,
}

/// The runs of dark modules of a QR, row by row.
pub fn dark_runs(code: &QrCode) -> Vec<DarkRun> {
    let n = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                runs.push(DarkRun { row, start, len: col - start });
            } else {
                col += 1;
            }
        }
    }
    runs
}

/// The QR for `text` as an SVG element (one path of the dark modules' runs, a white quiet zone
/// of 4 modules), for a screen or a small printed slip, scaled by its container. Error
/// correction M: shown large and clean, not posted outdoors like a poster.
pub fn svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| Error::BadFile("内容太长，无法生成二维码".into()))?;
    let side = code.width() + 8;
    let d: String = dark_runs(&code)
        .into_iter()
        .map(|DarkRun { row, start, len }| format!("M{} {}h{len}v1h-{len}z", start + 4, row + 4))
        .collect();
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\" role=\"img\">\
<rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path d=\"{d}\" fill=\"#000\"/></svg>"
    ))
}
