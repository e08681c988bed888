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

/// The QR for `text` drawn in a terminal with half blocks (two rows of modules a line, a quiet
/// zone of 2), dark on a light background, for the administrator's console to show a phone.
pub fn terminal(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| Error::BadFile("内容太长，无法生成二维码".into()))?;
    let n = code.width();
    let colors = code.to_colors();
    let dark = |row: isize, col: isize| {
        (0..n as isize).contains(&row)
            && (0..n as isize).contains(&col)
            && colors.get(row as usize * n + col as usize) == Some(&qrcode::Color::Dark)
    };
    let quiet = 2isize;
    let mut out = String::new();
    let mut row = -quiet;
    while row < n as isize + quiet {
        for col in -quiet..n as isize + quiet {
            // Light modules are drawn (█), dark ones left blank, for a dark terminal.
            out.push(match (dark(row, col), dark(row + 1, col)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
        row += 2;
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_qr_holds_every_module_of_the_code() {
        let text = "otpauth://totp/placecode:zhangmin?secret=JBSWY3DPEHPK3PXP&issuer=placecode";
        let drawn = terminal(text).unwrap_or_default();
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap_or_else(|e| panic!("{e}"));
        let n = code.width();
        let lines: Vec<Vec<char>> = drawn.lines().map(|l| l.chars().collect()).collect();
        assert_eq!(lines.len(), (n + 4).div_ceil(2));
        assert!(lines.iter().all(|l| l.len() == n + 4));
        // Read the modules back: the top half of each character is one row, the bottom the next.
        let colors = code.to_colors();
        for (i, line) in lines.iter().enumerate() {
            for (col, c) in line.iter().enumerate() {
                let (top, bottom) = match c {
                    '█' => (false, false),
                    '▀' => (false, true),
                    '▄' => (true, false),
                    ' ' => (true, true),
                    other => panic!("{other:?}"),
                };
                for (row, dark) in [(2 * i, top), (2 * i + 1, bottom)] {
                    let (r, k) = (row as isize - 2, col as isize - 2);
                    let expected = (0..n as isize).contains(&r)
                        && (0..n as isize).contains(&k)
                        && colors[r as usize * n + k as usize] == qrcode::Color::Dark;
                    assert_eq!(dark, expected, "row {r} col {k}");
                }
            }
        }
    }
}
