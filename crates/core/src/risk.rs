//! The risk-person list (风险人员名单) as the desk caches it (R12, docs/security.md).
//!
//! The central server keys the list by an HMAC of the ID number ([`id_hash`]); every enrolled
//! desk holds that key, and resident ID numbers are a small space, so a list of HMACs on a stolen
//! desk would give the list away in minutes. The desk therefore holds only **door tags**: a few
//! bits ([`Epoch::bits`]) of a memory-hard hash (Argon2id, [`TAG_MEMORY_KIB`]) of the HMAC under
//! a salt that changes with every epoch. Many ID numbers share each tag, so a tag that matches
//! means "possibly listed": the desk asks the centre which colour, if any, belongs to this very
//! number ([`crate::sync::RiskConfirmRequest`]), and only when it cannot reach the centre does
//! it act on the tag alone, saying so. Someone holding the desk's database and its keys can hash
//! every ID number of a region, at the cost of one Argon2id each, and learns for each entry only
//! a crowd of candidates; which one is listed only the centre can tell, one audited, rate-limited
//! question at a time.

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

/// Argon2id memory per door tag, in KiB: 16 MiB, about 7 ms on one core of the reference machine
/// (docs/BENCHMARKS.md). The door spends it once per check-in.
pub const TAG_MEMORY_KIB: u32 = 16 * 1024;
/// Argon2id passes per door tag.
pub const TAG_PASSES: u32 = 1;
/// The share of check-ins whose tag matches an entry of someone else that an epoch aims at: the
/// bits are chosen from the list's size so that about one person in 400 is "possibly listed".
const TARGET_FALSE_MATCHES: f64 = 1.0 / 400.0;
pub const MIN_TAG_BITS: u8 = 16;
pub const MAX_TAG_BITS: u8 = 32;

/// How many bits of the door tag an epoch keeps for a list of `entries` yellow and red entries:
/// as few as keep false matches near [`TARGET_FALSE_MATCHES`]. Fewer bits, bigger crowds of ID
/// numbers per tag: the fewer entries, the better each is hidden.
pub fn tag_bits(entries: usize) -> u8 {
    let wanted = (entries.max(1) as f64 / TARGET_FALSE_MATCHES).log2().ceil();
    (wanted as u8).clamp(MIN_TAG_BITS, MAX_TAG_BITS)
}

/// One generation of door tags: its number, salt and width. The centre starts a new one when the
/// list is replaced and at a set interval; a desk that receives it drops every older tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Epoch {
    pub epoch: i64,
    pub salt_hex: String,
    pub bits: u8,
}

impl Epoch {
    /// A new epoch with a random salt, sized for `entries`.
    pub fn new(epoch: i64, entries: usize) -> Result<Epoch> {
        let mut salt = [0u8; 32];
        getrandom::getrandom(&mut salt).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(Epoch { epoch, salt_hex: hex::encode(salt), bits: tag_bits(entries) })
    }

    /// A salt of at least 16 bytes and a width the desk knows: anything else is refused whole.
    pub fn is_valid(&self) -> bool {
        self.salt().is_ok()
    }

    fn salt(&self) -> Result<Vec<u8>> {
        match hex::decode(&self.salt_hex) {
            Ok(s) if s.len() >= 16 && (MIN_TAG_BITS..=MAX_TAG_BITS).contains(&self.bits) => Ok(s),
            _ => Err(Error::BadFile("风险名单：中心下发的批次参数不对".into())),
        }
    }

    /// The door tag of the person whose [`id_hash`] is `hash`.
    pub fn tag(&self, hash: &[u8; 32]) -> Result<u32> {
        let salt = self.salt()?;
        door_tag(&salt, self.bits, hash)
    }

    /// The door tags of many people, on every core (a list of 10,000 takes seconds).
    pub fn tags(&self, hashes: &[[u8; 32]]) -> Result<Vec<u32>> {
        let salt = self.salt()?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = hashes.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = hashes
                .chunks(chunk)
                .map(|part| {
                    let salt = &salt;
                    scope.spawn(move || part.iter().map(|h| door_tag(salt, self.bits, h)).collect::<Result<Vec<u32>>>())
                })
                .collect();
            let mut out = Vec::with_capacity(hashes.len());
            for p in parts {
                out.extend(p.join().map_err(|_| Error::Io(std::io::Error::other("door tag thread")))??);
            }
            Ok(out)
        })
    }
}

/// The first `bits` bits of Argon2id(password: the ID hash, salt: the epoch's salt).
fn door_tag(salt: &[u8], bits: u8, hash: &[u8; 32]) -> Result<u32> {
    let params = argon2::Params::new(TAG_MEMORY_KIB, TAG_PASSES, 1, Some(8))
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 8];
    argon.hash_password_into(hash, salt, &mut out).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let top = u32::from_be_bytes([out[0], out[1], out[2], out[3]]);
    Ok(if bits >= 32 { top } else { top >> (32 - u32::from(bits)) })
}

/// The door tags of yellow and red entries, as an epoch carries them whole (compact: two lists
/// of numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TagSnapshot {
    pub red: Vec<u32>,
    pub yellow: Vec<u32>,
}

impl TagSnapshot {
    /// From (tag, colour) pairs: a tag shared by a red and a yellow entry counts as red; green
    /// entries are left out.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u32, Colour)>) -> TagSnapshot {
        let mut best = std::collections::BTreeMap::new();
        for (tag, colour) in pairs {
            if colour != Colour::Green {
                let c = best.entry(tag).or_insert(colour);
                *c = (*c).max(colour);
            }
        }
        let mut s = TagSnapshot::default();
        for (tag, colour) in best {
            if colour == Colour::Red {
                s.red.push(tag);
            } else {
                s.yellow.push(tag);
            }
        }
        s
    }

    pub fn pairs(&self) -> impl Iterator<Item = (u32, Colour)> + '_ {
        self.red.iter().map(|t| (*t, Colour::Red)).chain(self.yellow.iter().map(|t| (*t, Colour::Yellow)))
    }
}

/// Questions about one person ("is this number listed?") the centre answers one desk in an hour.
/// A desk asks only when a door tag matches: about one check-in in 400, plus the people really
/// listed. A thief with a desk's credential names at most this many candidates an hour, audited.
pub const CONFIRM_PER_HOUR: i64 = 120;

/// The reason shown with a colour the centre confirmed for this number.
pub const CONFIRMED: &str = "已与中心核实";
/// The reason shown when the door tag matched and the centre could not be asked: the person is
/// held as listed until someone checks (a tag is shared by many ID numbers).
pub const UNCONFIRMED: &str = "可能匹配，未能联网向中心核实，请向疫情防控部门核实后处置";
/// The reason shown when the tag of a list imported on this desk (no centre) matched.
pub const LOCAL_MATCH: &str = "可能匹配（本台导入的名单），请向疫情防控部门核实后处置";

/// A row of the risk-list CSV, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRow {
    /// The normalized document number (the centre hashes it again under its own key); never
    /// stored in clear.
    pub number: String,
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
    /// The desk is connected to a centre: the list comes from it and no file can change it.
    pub from_centre: bool,
}

pub const REASON_MAX: usize = 60;

/// A whole-list replacement takes effect only when every row was taken: a file with a bad row (a
/// wrong encoding, a truncated or hand-edited export) must not empty or shorten the list
/// everyone is checked against. The desk's import and the centre's run this same rule.
pub fn replacement_complete(report: &RiskImportReport) -> std::result::Result<(), String> {
    if report.rejected.is_empty() && report.imported > 0 {
        return Ok(());
    }
    let lines: Vec<String> =
        report.rejected.iter().take(3).map(|r| format!("第{}行：{}", r.line, r.reasons.join("；"))).collect();
    Err(format!(
        "风险名单：整表替换须每一行都有效，{}行中有{}行被拒绝（{}），名单未改动。请改正后重新导入",
        report.total,
        report.rejected.len(),
        if lines.is_empty() { "没有数据行".to_owned() } else { lines.join("，") }
    ))
}

/// Reads a risk-list CSV (证件号码 of any kind, 颜色, 原因; UTF-8 or GBK; a header row is
/// optional).
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
        let header = cell(0).contains("身份证") || cell(0).contains("证件");
        if i == 0 && header && crate::identity::detect(cell(0), today).is_err() {
            continue; // the header
        }
        report.total += 1;
        // Any document the door takes (the list is matched by number alone).
        let id = match crate::identity::detect(cell(0), today) {
            Ok(id) => id,
            Err(why) => {
                report.rejected.push(note(
                    line,
                    &crate::mask::id_number(&crate::normalize::compact(cell(0))),
                    &format!("证件号码：{why}"),
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
        rows.push(RiskRow { hash: id_hash(key, &id.number), number: id.number, colour, reason });
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
                   410202199003070014,黄色,<script>\n\
                   USA410285061515,黄,永居证\n\
                   e 1234 5678,红,护照\n\
                   941840198506150018,红,永居证校验位错\n";
        let (rows, report) = parse_csv(csv.as_bytes(), b"key", today()).unwrap();
        assert_eq!((report.total, report.imported), (7, 4));
        assert_eq!(rows[2].hash, id_hash(b"key", "USA410285061515"), "any document, by its number");
        assert_eq!(rows[3].hash, id_hash(b"key", "E12345678"));
        assert_eq!(report.rejected[2].reasons, ["证件号码：校验位不对，请核对号码是否输错"]);
        assert_eq!(rows[0].colour, Colour::Red);
        assert_eq!(rows[0].hash, id_hash(b"key", "11010519491231002X"));
        assert_eq!(rows[1].reason, "<script>", "stored as text, escaped where shown");
        assert_eq!(report.rejected[0].line, 3);
        assert_eq!(report.rejected[0].reasons, ["证件号码：校验位不对，请核对号码是否输错"]);
        assert_eq!(report.rejected[1].reasons, ["颜色：应为绿、黄或红"]);
        let dump = format!("{report:?}");
        assert!(!dump.contains("110105194912310021") && !dump.contains("410202199003070014"));
    }

    fn epoch(bits: u8) -> Epoch {
        Epoch { epoch: 1, salt_hex: "ab".repeat(32), bits }
    }

    #[test]
    fn door_tags_depend_on_salt_and_number_and_keep_their_bits() {
        let a = id_hash(b"k", "410204199003070012");
        let b = id_hash(b"k", "410204199003070039");
        let e = epoch(22);
        let t = e.tag(&a).unwrap();
        assert_eq!(t, e.tag(&a).unwrap(), "the same number gives the same tag");
        assert!(t < 1 << 22, "22 bits: {t}");
        let other = Epoch { salt_hex: "cd".repeat(32), ..e.clone() };
        assert_ne!(t, other.tag(&a).unwrap(), "a new epoch's salt gives new tags");
        assert_ne!(t, e.tag(&b).unwrap());
        assert_eq!(e.tags(&[a, b, a]).unwrap(), vec![t, e.tag(&b).unwrap(), t], "in order, on every core");
        assert_eq!(epoch(32).tag(&a).unwrap() >> 10, t, "a narrower tag is the top of a wider one");
    }

    #[test]
    fn a_bad_epoch_is_refused_not_used() {
        let h = id_hash(b"k", "1");
        for bad in [
            Epoch { salt_hex: "zz".into(), ..epoch(22) },
            Epoch { salt_hex: "ab".into(), ..epoch(22) },
            epoch(8),
            epoch(40),
        ] {
            assert_eq!(bad.tag(&h).unwrap_err().code(), "bad_file", "{bad:?}");
        }
    }

    #[test]
    fn bits_grow_with_the_list_so_false_matches_stay_near_one_in_400() {
        assert_eq!(tag_bits(0), MIN_TAG_BITS);
        assert_eq!(tag_bits(10), MIN_TAG_BITS);
        assert_eq!(tag_bits(10_000), 22);
        assert_eq!(tag_bits(200_000), 27);
        assert_eq!(tag_bits(usize::MAX), MAX_TAG_BITS);
        for n in [1_000usize, 10_000, 100_000] {
            let false_share = n as f64 / f64::from(1u32 << tag_bits(n));
            assert!(false_share <= 1.0 / 400.0 && false_share > 1.0 / 800.0, "{n}: {false_share}");
        }
    }

    #[test]
    fn a_snapshot_keeps_the_higher_colour_of_a_shared_tag_and_no_green() {
        let s =
            TagSnapshot::from_pairs([(5, Colour::Yellow), (5, Colour::Red), (7, Colour::Yellow), (9, Colour::Green)]);
        assert_eq!(s, TagSnapshot { red: vec![5], yellow: vec![7] });
        assert_eq!(s.pairs().collect::<Vec<_>>(), vec![(5, Colour::Red), (7, Colour::Yellow)]);
    }

    #[test]
    fn empty_file_is_refused() {
        assert_eq!(parse_csv(b"", b"k", today()).unwrap_err().code(), "bad_file");
    }
}
