//! Excel workbooks of the console's tables: Chinese headers in bold, frozen; text stays text
//! (an ID or phone number is never turned into a number), counts are numbers.

use crate::error::{CentralError, Result};

pub enum Cell {
    Text(String),
    Number(i64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Number(n)
    }
}

/// One sheet: its name, headers, and rows (each with whether it is a total, shown in bold).
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: Vec<(Vec<Cell>, bool)>,
}

pub fn workbook(sheets: Vec<Sheet<'_>>) -> Result<Vec<u8>> {
    let bad = |e: rust_xlsxwriter::XlsxError| CentralError::Internal(format!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let plain = rust_xlsxwriter::Format::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name).map_err(bad)?;
        for (c, h) in (0u16..).zip(sheet.headers) {
            ws.write_string_with_format(0, c, *h, &bold).map_err(bad)?;
            ws.set_column_width(c, if c < 2 { 14 } else { 16 }).map_err(bad)?;
        }
        for (r, (cells, strong)) in (1u32..).zip(&sheet.rows) {
            let f = if *strong { &bold } else { &plain };
            for (c, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(s) => ws.write_string_with_format(r, c, s, f).map_err(bad)?,
                    Cell::Number(n) => ws.write_number_with_format(r, c, *n as f64, f).map_err(bad)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0).map_err(bad)?;
    }
    book.save_to_buffer().map_err(bad)
}
