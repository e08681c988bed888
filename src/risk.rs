//! The risk-person list (风险人员名单) as the desk caches it: colours keyed by an HMAC of the ID
//! number, so the cache never holds an ID number in clear (R12). The key is made on the desk's
//! first start; at enrolment it is replaced by the central server's key (issue: sync).

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::decision::Colour;
use crate::error::{Error, Result};

/// HMAC-SHA256 of a normalized document number.
pub fn id_hash(key: &[u8], number: &str) -> [u8; 32] {
    // new_from_slice accepts keys of any length for HMAC.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(number.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A row of the risk-list CSV, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRow {
    pub hash: [u8; 32],
    pub colour: Colour,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RiskImportReport {
    pub total: usize,
    pub imported: usize,
    /// Rejected rows: the line and the reason. ID numbers are masked here too.
    pub rejected: Vec<crate::import::RowNote>,
}

/// How current the desk's risk list is, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RiskStatus {
    /// When the list was last loaded (UTC, RFC 3339).
    pub as_of: Option<String>,
    /// Older than the configured age, or never loaded.
    pub stale: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub entries: i64,
    /// After how many hours the list counts as stale (configurable per desk).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_age_hours: i64,
}

pub const REASON_MAX: usize = 60;

/// Reads a risk-list CSV (身份证号, 颜色, 原因; UTF-8 or GBK; a header row is optional).
pub fn parse_csv(bytes: &[u8], key: &[u8], today: chrono::NaiveDate) -> Result<(Vec<RiskRow>, RiskImportReport)> {
    let text = crate::import::decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut report = RiskImportReport::default();
    for (i, record) in reader.records().enumerate() {
        let Ok(record) = record else {
            report.total += 1;
            report.rejected.push(note(i as u64 + 1, "", "该行无法读取"));
            continue;
        };
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        let cell = |n: usize| record.get(n).unwrap_or("").trim();
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if i == 0 && crate::identity::resident_id(cell(0), today).is_err() && cell(0).contains("身份证") {
            continue; // the header
        }
        report.total += 1;
        let id = match crate::identity::resident_id(cell(0), today) {
            Ok(id) => id,
            Err(why) => {
                report.rejected.push(note(
                    line,
                    &crate::mask::id_number(&crate::normalize::compact(cell(0))),
                    &format!("身份证号：{why}"),
                ));
                continue;
            }
        };
        let masked = crate::mask::id_number(&id.number);
        let Some(colour) = Colour::parse(cell(1)) else {
            report.rejected.push(note(line, &masked, "颜色：应为绿、黄或红"));
            continue;
        };
        let reason = crate::normalize::clean(cell(2));
        if reason.chars().count() > REASON_MAX {
            report.rejected.push(note(line, &masked, &format!("原因：不能超过{REASON_MAX}个字")));
            continue;
        }
        rows.push(RiskRow { hash: id_hash(key, &id.number), colour, reason });
    }
    if report.total == 0 {
        return Err(Error::BadFile("文件中没有数据行（应为：身份证号,颜色,原因）".into()));
    }
    report.imported = rows.len();
    Ok((rows, report))
}

fn note(line: u64, name: &str, reason: &str) -> crate::import::RowNote {
    crate::import::RowNote { line, name: name.to_owned(), reasons: vec![reason.to_owned()] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn hash_depends_on_key_and_number() {
        assert_eq!(id_hash(b"k", "1"), id_hash(b"k", "1"));
        assert_ne!(id_hash(b"k", "1"), id_hash(b"j", "1"));
        assert_ne!(id_hash(b"k", "1"), id_hash(b"k", "2"));
    }

    #[test]
    fn risk_csv_rows_and_rejections_never_echo_full_ids() {
        let csv = "身份证号,颜色,原因\n\
                   11010519491231002x,红码,密接\n\
                   110105194912310021,红,校验位错\n\
                   410202199003070014,蓝,\n\
                   410202199003070014,黄色,<script>\n";
        let (rows, report) = parse_csv(csv.as_bytes(), b"key", today()).unwrap();
        assert_eq!((report.total, report.imported), (4, 2));
        assert_eq!(rows[0].colour, Colour::Red);
        assert_eq!(rows[0].hash, id_hash(b"key", "11010519491231002X"));
        assert_eq!(rows[1].reason, "<script>", "stored as text, escaped where shown");
        assert_eq!(report.rejected[0].line, 3);
        assert_eq!(report.rejected[0].reasons, ["身份证号：校验位不对，请核对号码是否输错"]);
        assert_eq!(report.rejected[1].reasons, ["颜色：应为绿、黄或红"]);
        let dump = format!("{report:?}");
        assert!(!dump.contains("110105194912310021") && !dump.contains("410202199003070014"));
    }

    #[test]
    fn empty_file_is_refused() {
        assert_eq!(parse_csv(b"", b"k", today()).unwrap_err().code(), "bad_file");
    }
}
