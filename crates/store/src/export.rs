//! A day's check-ins as an Excel workbook (登记名单), for the officials who ask for one: masked by
//! default; in full only for the administrator, with a reason the desk records (R12).

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::error::{Error, Result};
use placecode_core::checkin::WayIn;
use placecode_core::decision::Colour;

/// One check-in as the workbook lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// Beijing time, HH:MM:SS.
    pub time: String,
    pub name: String,
    pub document: String,
    /// Only in a full export.
    pub phone: String,
    /// Only in a full export.
    pub address: String,
    pub colour: Colour,
    pub way_in: WayIn,
    pub operator: String,
    pub helped_by: String,
    pub trip_code_checked: bool,
}

/// An export as the desk recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    pub at: String,
    pub operator: Option<String>,
    pub day: String,
    pub full: bool,
    pub reason: String,
    pub rows: i64,
}

/// What the workbook is of.
#[derive(Debug, Clone)]
pub struct DayExport {
    pub date: NaiveDate,
    pub venue_name: String,
    /// Names, document numbers, phones and addresses in full.
    pub full: bool,
    pub rows: Vec<ExportRow>,
}

impl DayExport {
    pub fn file_name(&self) -> String {
        file_name(self.date, &self.venue_name, self.full)
    }
}

/// 2026-11-27-鼓楼区幸福养老院-登记名单.xlsx (…-登记名单-完整信息 when full), without characters a
/// file system refuses.
pub fn file_name(date: NaiveDate, venue_name: &str, full: bool) -> String {
    let venue: String =
        venue_name.chars().filter(|c| !"/\\:*?\"<>|".contains(*c) && !c.is_control()).take(40).collect();
    let kind = if full { "登记名单-完整信息" } else { "登记名单" };
    format!("{}-{venue}-{kind}.xlsx", date.format("%Y-%m-%d"))
}

fn way_in_label(w: WayIn) -> &'static str {
    match w {
        WayIn::IdNumber => "刷证/输入证号",
        WayIn::Last4 => "后四位",
        WayIn::Declaration => "首次申报",
        WayIn::Manual => "手工登记",
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::bad_file(format!("无法生成Excel文件：{e}"))
}

/// The workbook: a title line (venue, date, masked or full, the count), a header, one row a
/// check-in, oldest first. Every cell is text: an ID number never becomes a number in Excel.
pub fn xlsx(export: &DayExport) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("登记名单").map_err(xlsx_error)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new().set_bold().set_border(FormatBorder::Thin).set_align(FormatAlign::Center);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let what = if export.full {
        "完整信息（含完整证件号、电话、住址，注意保密）"
    } else {
        "姓名、证件号已遮挡"
    };
    sheet
        .write_string_with_format(
            0,
            0,
            format!(
                "{} · {} 登记名单 · {} · 共{}人次",
                export.venue_name,
                export.date.format("%Y-%m-%d"),
                what,
                export.rows.len()
            ),
            &title,
        )
        .map_err(xlsx_error)?;
    let mut columns = vec!["时间", "姓名", "证件号"];
    if export.full {
        columns.extend(["手机号", "住址"]);
    }
    columns.extend(["颜色", "登记方式", "登记员", "协助登记", "已查验行程码"]);
    for (c, h) in columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &head).map_err(xlsx_error)?;
    }
    for (i, r) in export.rows.iter().enumerate() {
        let mut values = vec![r.time.as_str(), r.name.as_str(), r.document.as_str()];
        if export.full {
            values.extend([r.phone.as_str(), r.address.as_str()]);
        }
        values.extend([
            r.colour.label(),
            way_in_label(r.way_in),
            r.operator.as_str(),
            r.helped_by.as_str(),
            if r.trip_code_checked { "是" } else { "否" },
        ]);
        for (c, v) in values.iter().enumerate() {
            sheet.write_string_with_format(3 + i as u32, c as u16, *v, &cell).map_err(xlsx_error)?;
        }
    }
    let widths: &[f64] = if export.full {
        &[10.0, 12.0, 22.0, 14.0, 30.0, 8.0, 14.0, 10.0, 14.0, 12.0]
    } else {
        &[10.0, 12.0, 22.0, 8.0, 14.0, 10.0, 14.0, 12.0]
    };
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(3, 0).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// Writes a workbook readable by its owner only (0600 on Unix, also when it replaces a file the
/// operator chose to overwrite): it holds people's check-ins.
pub fn save(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_is_private_to_its_owner_even_over_an_existing_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        save(&path, b"new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            file_name(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(), "A/B:C*", true),
            "2026-11-27-ABC-登记名单-完整信息.xlsx"
        );
    }
}
