//! Bulk import of venues from CSV, as exported by Excel in China (UTF-8 with or without BOM, or
//! GBK). Every row is checked by the same rules as the form; a rejected row saves nothing and is
//! reported with its line number and reasons.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::venue::VenueInput;

/// A note on one row of the file: why it was rejected, or what to check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowNote {
    /// The line in the file (the header is line 1).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line: u64,
    /// The venue name as written in the row, for finding it.
    pub name: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Data rows in the file.
    pub total: usize,
    pub imported: usize,
    pub rejected: Vec<RowNote>,
    /// Imported rows that resemble an existing venue.
    pub warnings: Vec<RowNote>,
}

/// The columns, by their Chinese headers. `场所码类型` may be left out: then every row is a
/// general venue code (场所码).
const COLUMNS: &[(&str, &[&str])] = &[
    ("kind", &["场所码类型", "码的类型", "kind"]),
    ("category", &["场所类型", "category"]),
    ("name", &["场所名称", "name"]),
    ("district", &["所在辖区", "辖区", "district"]),
    ("address", &["详细地址", "地址", "address"]),
    ("manager_name", &["负责人姓名", "负责人", "联系人", "manager_name"]),
    ("manager_phone", &["联系电话", "电话", "manager_phone"]),
];

pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Text of a CSV file: UTF-8 (BOM optional) or, failing that, GBK/GB18030.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::BadFile("文件过大（超过20MB），请分成几个文件导入".into()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Error::BadFile("文件编码无法识别，请在Excel中另存为“CSV UTF-8”或GBK编码的CSV".into()));
    }
    Ok(text.into_owned())
}

/// A venue CSV, read: the rows to check, and those that could not even be read.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    /// (line in the file, the row's cells as a form submission)
    pub rows: Vec<(u64, VenueInput)>,
    pub broken: Vec<RowNote>,
}

/// Reads the rows of a venue CSV. A row with the wrong number of cells is rejected by itself.
pub fn parse_venues(text: &str) -> Result<ParsedCsv> {
    parse_csv(text, &["category", "name", "district", "address", "manager_name", "manager_phone"])
}

/// Reads the market regulator's list of places that should have a code (CSV): name, district
/// and address required; category and contact when the list has them.
pub fn parse_places(text: &str) -> Result<ParsedCsv> {
    parse_csv(text, PLACE_COLUMNS)
}

/// The same list from a spreadsheet's cells (the first row its headers; lines counted from 1).
pub fn places_from_cells(cells: Vec<Vec<String>>) -> Result<ParsedCsv> {
    let mut rows = cells.into_iter();
    let headers = rows.next().ok_or_else(|| Error::BadFile("表格是空的：第一行应为表头".into()))?;
    let index = columns(&headers, PLACE_COLUMNS)?;
    let mut parsed = ParsedCsv::default();
    for (line, cells) in (2u64..).zip(rows) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        parsed.rows.push((line, input(&index, |i| cells.get(i).map(String::as_str))));
    }
    Ok(parsed)
}

const PLACE_COLUMNS: &[&str] = &["name", "district", "address"];

/// Where each of [`COLUMNS`] is among `headers`; a `required` one missing is a bad file.
fn columns(headers: &[String], required: &[&str]) -> Result<[Option<usize>; 7]> {
    let header_keys: Vec<String> = headers.iter().map(|h| crate::normalize::comparable(h)).collect();
    let mut index = [None; 7];
    for (slot, (_, names)) in index.iter_mut().zip(COLUMNS) {
        *slot = header_keys.iter().position(|h| names.iter().any(|n| crate::normalize::comparable(n) == *h));
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&index)
        .filter(|((key, _), i)| i.is_none() && required.contains(key))
        .filter_map(|((_, names), _)| names.first().copied())
        .collect();
    if !missing.is_empty() {
        return Err(Error::BadFile(format!("缺少列：{}。第一行应为表头", missing.join("、"))));
    }
    Ok(index)
}

/// A row's cells as a form submission.
fn input<'c>(index: &[Option<usize>; 7], cell: impl Fn(usize) -> Option<&'c str>) -> VenueInput {
    let at = |i: Option<usize>| i.and_then(&cell).unwrap_or("").to_owned();
    VenueInput {
        kind: index[0].map_or_else(|| "general".to_owned(), |i| cell(i).unwrap_or("").to_owned()),
        category: at(index[1]),
        name: at(index[2]),
        district: at(index[3]),
        address: at(index[4]),
        manager_name: at(index[5]),
        manager_phone: at(index[6]),
    }
}

fn parse_csv(text: &str, required: &[&str]) -> Result<ParsedCsv> {
    // Excel writes CRLF; the reader numbers such lines one short, and a clerk fixing "line 4"
    // would look at the wrong row. Line ends are made LF first.
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| Error::BadFile("无法读取表头，请确认是CSV文件".into()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let index = columns(&headers, required)?;
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    // Excel numbers rows, the reader numbers lines: a cell with a line break in it (Alt+Enter)
    // makes one row two lines, so every later row is told by its line less those breaks.
    let mut breaks = 0u64;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0).saturating_sub(breaks);
                broken.push(RowNote {
                    line,
                    name: String::new(),
                    reasons: vec!["该行无法读取（引号不配对或编码错误）".into()],
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0).saturating_sub(breaks);
        breaks += record.iter().map(|c| c.matches('\n').count() as u64).sum::<u64>();
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let input = input(&index, |i| record.get(i));
        if record.len() != headers.len() {
            broken.push(RowNote {
                line,
                name: crate::normalize::clean(&input.name),
                reasons: vec![format!("列数不对：应为{}列，实为{}列", headers.len(), record.len())],
            });
            continue;
        }
        rows.push((line, input));
    }
    Ok(ParsedCsv { rows, broken })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom_and_gbk() {
        assert_eq!(decode("场所名称".as_bytes()).unwrap(), "场所名称");
        assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap(), "abc");
        let (gbk, _, _) = encoding_rs::GBK.encode("鼓楼区中山路18号");
        assert_eq!(decode(&gbk).unwrap(), "鼓楼区中山路18号");
    }

    #[test]
    fn undecodable_bytes_are_a_bad_file() {
        let e = decode(&[0x81, 0x20, 0xFF, 0xFE, 0x81]).unwrap_err();
        assert_eq!(e.code(), "bad_file");
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse_venues("场所名称,详细地址\n超市,中山路1号\n").unwrap_err();
        assert_eq!(e.to_string(), "缺少列：场所类型、所在辖区、负责人姓名、联系电话。第一行应为表头");
    }

    #[test]
    fn lines_are_counted_as_excel_numbers_its_rows_whatever_the_line_endings() {
        for end in ["\n", "\r\n"] {
            let csv =
                ["场所名称,详细地址,所在辖区", "甲,中山路1号,鼓楼区", "乙,中山路2号,鼓楼区", "丙,中山路3号,鼓楼区", ""]
                    .join(end);
            let ParsedCsv { rows, .. } = parse_places(&csv).unwrap();
            assert_eq!(
                rows.iter().map(|(l, r)| (*l, r.name.as_str())).collect::<Vec<_>>(),
                [(2, "甲"), (3, "乙"), (4, "丙")],
                "{end:?}"
            );
            // A cell with a line break in it (Excel's Alt+Enter) is one row.
            let csv = [
                "场所名称,详细地址,所在辖区",
                "甲,\"中山路1号\n东门\",鼓楼区",
                "乙,\"中山路2号\r\n\r\n西门\",鼓楼区",
                "丙,中山路3号,鼓楼区",
                "",
            ]
            .join(end);
            let ParsedCsv { rows, .. } = parse_places(&csv).unwrap();
            assert_eq!(
                rows.iter().map(|(l, r)| (*l, r.name.as_str())).collect::<Vec<_>>(),
                [(2, "甲"), (3, "乙"), (4, "丙")],
                "{end:?}"
            );
        }
    }

    #[test]
    fn the_regulators_list_needs_name_district_and_address_only() {
        let csv = "名称,地址,辖区\n甲超市,中山路1号,鼓楼区\n";
        assert!(parse_places(csv).is_err(), "名称 is not a header of ours");
        let csv = "场所名称,详细地址,辖区,联系人,联系电话\n甲超市,中山路1号,鼓楼区,王建国,13837800001\n,,,,\n";
        let ParsedCsv { rows, broken } = parse_places(csv).unwrap();
        assert!(broken.is_empty());
        assert_eq!(rows.len(), 1);
        let (line, r) = &rows[0];
        assert_eq!((*line, r.name.as_str(), r.district.as_str(), r.category.as_str()), (2, "甲超市", "鼓楼区", ""));
        assert_eq!((r.manager_name.as_str(), r.manager_phone.as_str()), ("王建国", "13837800001"));
        let e = parse_places("场所名称,联系电话\n甲超市,1\n").unwrap_err();
        assert_eq!(e.to_string(), "缺少列：所在辖区、详细地址。第一行应为表头");
        let cells = vec![
            vec!["场所名称".to_owned(), "所在辖区".into(), "详细地址".into(), "场所类型".into()],
            vec!["乙市场".into(), "龙亭区".into(), "北门大街1号".into(), "农贸市场".into()],
            vec![String::new(); 4],
            vec!["丙药店".into(), "龙亭区".into()],
        ];
        let ParsedCsv { rows, .. } = places_from_cells(cells).unwrap();
        assert_eq!(
            rows.iter().map(|(l, r)| (*l, r.name.as_str(), r.address.as_str())).collect::<Vec<_>>(),
            [(2, "乙市场", "北门大街1号"), (4, "丙药店", "")]
        );
        assert!(places_from_cells(vec![]).is_err());
    }

    #[test]
    fn a_row_with_the_wrong_number_of_cells_is_rejected_alone() {
        let csv = "场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n\
                   商场超市,甲超市,鼓楼区,中山路1号,王建国,13837800001\n\
                   商场超市,乙超市,鼓楼区\n";
        let ParsedCsv { rows, broken } = parse_venues(csv).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.kind, "general");
        assert_eq!(
            broken,
            [RowNote {
                line: 3, name: "乙超市".into(), reasons: vec!["列数不对：应为6列，实为3列".into()]
            }]
        );
    }
}
