//! Identity documents and vehicles: resident ID numbers (GB 11643), other travel documents and
//! licence plates (GA 36). Each check normalizes first and answers a Chinese reason.

use chrono::{Datelike, NaiveDate};

use crate::normalize;

/// The province-level prefixes of GB/T 2260 that resident ID numbers begin with. Only the first
/// two digits are checked: an ID keeps the county code of its first registration, and counties
/// are renamed and merged, so a current county list would refuse real, older numbers.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82, 83,
];

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// A checked resident ID number (居民身份证号码).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// 18 characters, a lowercase x stored as X.
    pub number: String,
    pub birth_date: NaiveDate,
}

impl ResidentId {
    pub fn birth_year(&self) -> i32 {
        self.birth_date.year()
    }

    /// The last four characters, which a returning visitor types (R5).
    pub fn last4(&self) -> &str {
        &self.number[14..]
    }
}

/// The last four characters of a normalized document number of any kind: what a returning
/// visitor types (R5), and how the desk and the centre file the person to find them by it.
pub fn last_four_of(number: &str) -> String {
    let n = number.chars().count();
    number.chars().skip(n.saturating_sub(4)).collect()
}

/// The year of birth a number on GB 11643's pattern carries (its 7th to 10th digits: resident
/// IDs, 港澳台居民居住证, the 18-digit 永居证); `None` for another document or a number without one.
pub fn birth_year_of(kind: DocumentKind, number: &str) -> Option<i32> {
    if kind == DocumentKind::ChildWithGuardian {
        return child_parts(number).map(|(_, birth)| birth.year());
    }
    let gb11643 = matches!(
        kind,
        DocumentKind::ResidentId | DocumentKind::HmtResidencePermit | DocumentKind::ForeignPermanentResident
    );
    if !gb11643 || number.len() != 18 {
        return None;
    }
    number.get(6..10).filter(|y| y.bytes().all(|b| b.is_ascii_digit())).and_then(|y| y.parse().ok())
}

/// 证件号后四位 as a returning visitor types it (R5), at the desk or on a phone: the last four
/// letters or digits of any document (a resident ID's may end in X; either case and full-width
/// accepted).
pub fn last4(raw: &str) -> Result<String, String> {
    let s = normalize::compact(raw).to_ascii_uppercase();
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err("应为证件号码的最后4位（数字或字母）".into())
    }
}

/// GB 11643: 18 characters, a known province, a real birth date not in the future, and the
/// ISO 7064 MOD 11-2 check character. First-generation 15-digit numbers expired in 2013 and are
/// refused with that reason, not converted: a converted number would be one the person never held.
pub fn resident_id(raw: &str, today: NaiveDate) -> Result<ResidentId, String> {
    let s = normalize::compact(raw).replace('-', "").to_ascii_uppercase();
    if s.is_empty() {
        return Err("必填".into());
    }
    if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("15位的第一代身份证已停止使用，请填写18位号码".into());
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(crate::normalize::forbidden(c));
    }
    let Ok(b) = <[u8; 18]>::try_from(s.as_bytes()) else {
        return Err(format!("应为18位，现为{}位", s.chars().count()));
    };
    let [body @ .., check] = b;
    if !body.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'X') {
        return Err("前17位应为数字，最后一位为数字或X".into());
    }
    // Every one of the 17 is a digit now.
    let digit = |i: usize| body.get(i).map_or(0, |d| u32::from(d - b'0'));
    let number = |from: usize, to: usize| (from..to).fold(0u32, |n, i| n * 10 + digit(i));
    if !PROVINCES.contains(&(number(0, 2) as u8)) {
        return Err("前两位不是有效的省份代码".into());
    }
    let birth = NaiveDate::from_ymd_opt(number(6, 10) as i32, number(10, 12), number(12, 14))
        .ok_or_else(|| "出生日期不存在（第7至14位）".to_string())?;
    if birth > today {
        return Err("出生日期在今天之后（第7至14位）".into());
    }
    if birth.year() < 1900 {
        return Err("出生日期早于1900年（第7至14位）".into());
    }
    if check_character(&body) != Some(char::from(check)) {
        return Err("校验位不对，请核对号码是否输错".into());
    }
    Ok(ResidentId { number: s, birth_date: birth })
}

/// GB 11643's check character (ISO 7064 MOD 11-2) of a resident ID's first 17 digits; none when
/// they are not 17 ASCII digits.
pub fn check_character(body: &[u8]) -> Option<char> {
    if body.len() != 17 || !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK.get((sum % 11) as usize).map(|&c| char::from(c))
}

/// A valid resident ID number for tests and benchmarks, from a seed: born in Kaifeng (410202
/// below seed 240,000, then its other districts and counties) on a day of 1980 to 1999 (January
/// below seed 20,000), with its check character; 2,640,000 seeds give as many numbers. Not
/// anyone's.
#[doc(hidden)]
pub fn sample_resident_id(seed: u64) -> String {
    const REGIONS: [&str; 11] =
        ["410202", "410203", "410204", "410205", "410211", "410212", "410221", "410222", "410223", "410224", "410225"];
    let region = REGIONS.get((seed / 240_000 % 11) as usize).copied().unwrap_or("410202");
    let year = 1980 + (seed / 1000 % 20);
    let month = 1 + (seed / 20_000 % 12);
    let day = 1 + (seed % 28);
    let body = format!("{region}{year}{month:02}{day:02}{:03}", seed % 1000);
    let check = check_character(body.as_bytes()).unwrap_or('0');
    format!("{body}{check}")
}

/// The kinds of document a person may check in with (R5: 证件号), each with its own check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DocumentKind {
    /// 居民身份证
    #[serde(rename = "resident_id")]
    ResidentId,
    /// 港澳台居民居住证 (since 2018: a GB 11643 number whose address code is 810000, 820000 or
    /// 830000)
    #[serde(rename = "hmt_residence_permit")]
    HmtResidencePermit,
    /// 外国人永久居留身份证 (both generations: 15 characters until 2023, 18 digits since)
    #[serde(rename = "foreign_permanent_resident")]
    ForeignPermanentResident,
    /// 护照 (Chinese or foreign)
    #[serde(rename = "passport")]
    Passport,
    /// 港澳居民来往内地通行证
    #[serde(rename = "hk_macao_permit")]
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证
    #[serde(rename = "taiwan_permit")]
    TaiwanPermit,
    /// 无证件儿童: a child under 16 who carries no document (R6), registered by hand with a
    /// guardian who shows theirs. The child's number is made from the guardian's number, the
    /// child's birth date and name ([`child_number`]), so the same child is one person on every
    /// desk and at the centre, and tracing leads to the guardian. Offered by 手工登记 only.
    #[serde(rename = "child_with_guardian")]
    ChildWithGuardian,
}

impl DocumentKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::ResidentId,
        DocumentKind::HmtResidencePermit,
        DocumentKind::ForeignPermanentResident,
        DocumentKind::Passport,
        DocumentKind::HkMacaoPermit,
        DocumentKind::TaiwanPermit,
    ];

    /// The stored and wire key (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "resident_id",
            DocumentKind::HmtResidencePermit => "hmt_residence_permit",
            DocumentKind::ForeignPermanentResident => "foreign_permanent_resident",
            DocumentKind::Passport => "passport",
            DocumentKind::HkMacaoPermit => "hk_macao_permit",
            DocumentKind::TaiwanPermit => "taiwan_permit",
            DocumentKind::ChildWithGuardian => "child_with_guardian",
        }
    }

    /// Every kind a record may carry: the documents, and a child registered without one.
    fn recorded() -> impl Iterator<Item = DocumentKind> {
        DocumentKind::ALL.into_iter().chain([DocumentKind::ChildWithGuardian])
    }

    /// The kind of a form's or a record's key; `None` for anything else.
    pub fn parse(key: &str) -> Option<DocumentKind> {
        DocumentKind::recorded().find(|k| k.key() == key)
    }

    /// The kind of its Chinese name (居民身份证); `None` for anything else.
    pub fn parse_label(label: &str) -> Option<DocumentKind> {
        DocumentKind::recorded().find(|k| k.label() == label)
    }

    /// What its number is called in a field's reason ("身份证号：校验位不对").
    pub fn number_label(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "身份证号",
            DocumentKind::HmtResidencePermit => "居住证号码",
            DocumentKind::ForeignPermanentResident => "永居证号码",
            DocumentKind::Passport => "护照号码",
            DocumentKind::HkMacaoPermit => "港澳通行证号码",
            DocumentKind::TaiwanPermit => "台胞证号码",
            // What the form asks in the number's place.
            DocumentKind::ChildWithGuardian => "出生日期",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "居民身份证",
            DocumentKind::HmtResidencePermit => "港澳台居民居住证",
            DocumentKind::ForeignPermanentResident => "外国人永久居留身份证",
            DocumentKind::Passport => "护照",
            DocumentKind::HkMacaoPermit => "港澳居民来往内地通行证",
            DocumentKind::TaiwanPermit => "台湾居民来往大陆通行证",
            DocumentKind::ChildWithGuardian => "无证件儿童（随监护人）",
        }
    }
}

/// A checked document: its kind and its normalized number (uppercase, no spaces or hyphens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocumentKind,
    pub number: String,
}

impl Document {
    /// The last four characters, which a returning visitor types (R5).
    pub fn last4(&self) -> String {
        last_four_of(&self.number)
    }

    /// The year of birth the number carries, 0 when it carries none (passports, permits).
    pub fn birth_year(&self) -> i32 {
        birth_year_of(self.kind, &self.number).unwrap_or(0)
    }
}

/// A document number as typed, normalized: half-width, uppercase, no spaces or hyphens.
fn compact_number(raw: &str) -> String {
    normalize::compact(raw).replace('-', "").to_ascii_uppercase()
}

/// The address codes of 港澳台居民居住证 numbers (国办发〔2018〕81号, 《港澳台居民居住证申领
/// 发放办法》 art. 6): Hong Kong 810000, Macao 820000, Taiwan 830000.
const HMT_ADDRESS_CODES: [&str; 3] = ["810000", "820000", "830000"];

/// A document number of the given kind, checked by that kind's rule and normalized. A number
/// refused by it that is a valid number of a kind with a shape of its own (not a passport's,
/// which almost any mistyped number would fit) says which kind to choose.
pub fn document(kind: DocumentKind, raw: &str, today: NaiveDate) -> Result<String, String> {
    document_as(kind, raw, today).map_err(|why| match detect(raw, today) {
        Ok(d) if d.kind != kind && !matches!(d.kind, DocumentKind::Passport | DocumentKind::ChildWithGuardian) => {
            wrong_kind(d.kind)
        }
        _ => why,
    })
}

/// The rule of `kind` alone.
fn document_as(kind: DocumentKind, raw: &str, today: NaiveDate) -> Result<String, String> {
    let s = compact_number(raw);
    if s.is_empty() {
        return Err("必填".into());
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(crate::normalize::forbidden(c));
    }
    match kind {
        DocumentKind::ResidentId => {
            if s.len() == 18 && HMT_ADDRESS_CODES.iter().any(|p| s.starts_with(p)) {
                return Err(wrong_kind(DocumentKind::HmtResidencePermit));
            }
            if s.len() == 18 && s.starts_with('9')
                || s.len() == 15 && s.as_bytes().iter().take(3).all(u8::is_ascii_alphabetic)
            {
                return Err(wrong_kind(DocumentKind::ForeignPermanentResident));
            }
            resident_id(&s, today).map(|id| id.number)
        }
        DocumentKind::HmtResidencePermit => hmt_residence_permit(&s, today),
        DocumentKind::ForeignPermanentResident => foreign_permanent_resident(&s, today),
        DocumentKind::Passport => passport(&s),
        DocumentKind::HkMacaoPermit => hk_macao_permit(&s),
        DocumentKind::TaiwanPermit => taiwan_permit(&s),
        DocumentKind::ChildWithGuardian => child_record(&s, today),
    }
}

/// A document number as a record carries it: its kind's rule, except that a resident ID on GB
/// 11643's pattern that is a 港澳台居民居住证 is kept as recorded (desks recorded those as
/// 居民身份证 before the kinds were told apart; a visit already made is never lost to tracing).
pub fn recorded(kind: DocumentKind, raw: &str, today: NaiveDate) -> Result<String, String> {
    document(kind, raw, today).or_else(|why| match kind {
        DocumentKind::ResidentId => resident_id(raw, today).map(|id| id.number).map_err(|_| why),
        _ => Err(why),
    })
}

fn wrong_kind(kind: DocumentKind) -> String {
    format!("这是{}的号码，请在证件类型中选择“{}”", kind.label(), kind.label())
}

/// A document number of a kind the number itself tells (a scan at the desk, a tracer's query):
/// 18 characters on the GB 11643 pattern are a resident ID, a 港澳台居民居住证 (810000, 820000,
/// 830000) or a new 永居证 (first digit 9); three letters and twelve digits an older 永居证; H or
/// M and digits a 港澳居民来往内地通行证; eight digits a 台湾居民来往大陆通行证; anything else
/// with letters and digits a passport. The reason, when refused, is that kind's.
pub fn detect(raw: &str, today: NaiveDate) -> Result<Document, String> {
    let s = compact_number(raw);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    // A child's number (no other kind has a C and a date after 13 or more characters): a tracer
    // looks a child up by it.
    if child_parts(&s).is_some() {
        return document_as(DocumentKind::ChildWithGuardian, &s, today)
            .map(|number| Document { kind: DocumentKind::ChildWithGuardian, number });
    }
    let kind = match s.len() {
        18 if s.starts_with('9') => DocumentKind::ForeignPermanentResident,
        18 if HMT_ADDRESS_CODES.iter().any(|p| s.starts_with(p)) => DocumentKind::HmtResidencePermit,
        18 => DocumentKind::ResidentId,
        15 if s.as_bytes().iter().take(3).all(u8::is_ascii_alphabetic) => DocumentKind::ForeignPermanentResident,
        15 if digits(&s) => DocumentKind::ResidentId,
        9 | 11 if (s.starts_with('H') || s.starts_with('M')) && digits(s.get(1..).unwrap_or("")) => {
            DocumentKind::HkMacaoPermit
        }
        // Eight digits, or ten with the renewal count.
        8 | 10 if digits(&s) => DocumentKind::TaiwanPermit,
        // Fifteen to seventeen digits are resident IDs (old or mistyped), not passports; fewer
        // digits may be a passport's (nine for many countries).
        15..=17 if digits(&s) => DocumentKind::ResidentId,
        _ => DocumentKind::Passport,
    };
    document_as(kind, &s, today).map(|number| Document { kind, number })
}

/// 港澳台居民居住证: 18 characters on GB 11643's pattern (birth date, MOD 11-2 check character)
/// whose first six digits are 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan).
fn hmt_residence_permit(s: &str, today: NaiveDate) -> Result<String, String> {
    if s.len() == 18 && !HMT_ADDRESS_CODES.iter().any(|p| s.starts_with(p)) {
        return Err("港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头".into());
    }
    resident_id(s, today).map(|id| id.number)
}

/// 外国人永久居留身份证, both generations (国家移民管理局, 《外国人永久居留身份证》 2017 and the
/// 2023 card's 机读信息规则):
/// - since 2023-12-01, 18 digits on GB 11643's pattern: 9, the province of issue (2 digits), the
///   nationality (ISO 3166-1 numeric, 3 digits), the birth date (YYYYMMDD), a sequence (3 digits)
///   and the MOD 11-2 check character;
/// - the 2004 and 2017 cards, 15 characters: the nationality (ISO 3166-1 alpha-3), the place of
///   issue (4 digits, province first), the birth date (YYMMDD), a sequence digit and a check digit
///   computed as in ICAO Doc 9303 (weights 7, 3, 1; letters A=10 to Z=35).
fn foreign_permanent_resident(s: &str, today: NaiveDate) -> Result<String, String> {
    let b = s.as_bytes();
    // Lengths are checked before any part is read; a missing part reads as empty.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let part = |r: std::ops::Range<usize>| b.get(r).unwrap_or(&[]);
    let text = |r: std::ops::Range<usize>| s.get(r).unwrap_or("");
    let province = |i: usize| at(i).wrapping_sub(b'0').wrapping_mul(10).wrapping_add(at(i + 1).wrapping_sub(b'0'));
    match b.len() {
        18 => {
            if at(0) != b'9' {
                return Err("18位永居证号码以9开头".into());
            }
            let check = at(17);
            if !part(0..17).iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'X') {
                return Err("前17位应为数字，最后一位为数字或X".into());
            }
            if !PROVINCES.contains(&province(1)) {
                return Err("第2、3位不是有效的受理地省份代码".into());
            }
            birth_date(text(6..14), today, "第7至14位")?;
            if check_character(part(0..17)) != Some(char::from(check)) {
                return Err("校验位不对，请核对号码是否输错".into());
            }
            Ok(s.to_owned())
        }
        15 => {
            if !part(0..3).iter().all(u8::is_ascii_uppercase) || !part(3..15).iter().all(u8::is_ascii_digit) {
                return Err("15位永居证号码应为3个字母（国籍）加12位数字".into());
            }
            if !PROVINCES.contains(&province(3)) {
                return Err("第4、5位不是有效的受理地省份代码".into());
            }
            // YYMMDD: the century is the one that puts the date in the past.
            let recent = birth_date(&format!("20{}", text(7..13)), today, "第8至13位");
            recent.or_else(|_| birth_date(&format!("19{}", text(7..13)), today, "第8至13位"))?;
            if icao_check_digit(part(0..14)) != at(14) {
                return Err("校验位不对，请核对号码是否输错".into());
            }
            Ok(s.to_owned())
        }
        n => Err(format!("应为18位（2023年12月起的新证）或15位，现为{n}位")),
    }
}

/// A birth date YYYYMMDD that exists and is not in the future; `at` names its digits.
fn birth_date(yyyymmdd: &str, today: NaiveDate, at: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").map_err(|_| format!("出生日期不存在（{at}）"))?;
    if date > today {
        return Err(format!("出生日期在今天之后（{at}）"));
    }
    Ok(date)
}

/// ICAO Doc 9303 part 3, 4.9: digits count as themselves, A to Z as 10 to 35, `<` as 0; weights
/// 7, 3, 1 repeating; the sum modulo 10, as an ASCII digit.
fn icao_check_digit(chars: &[u8]) -> u8 {
    let value = |c: u8| match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 0,
    };
    let sum: u32 = chars.iter().zip([7, 3, 1].into_iter().cycle()).map(|(&c, w)| value(c) * w).sum();
    b'0' + (sum % 10) as u8
}

/// Children under this age may carry no document of their own (居民身份证法 art. 2: a card is
/// required from 16).
pub const CHILD_AGE_MAX: u32 = 15;
/// The letter between the guardian's number and the child's birth date in a child's number.
const CHILD_MARK: char = 'C';
/// How many letters and digits of the name's digest end a child's number (twins, one guardian,
/// one birth date).
const CHILD_TAG_LEN: usize = 4;

/// 出生日期 of a child registered without a document, as a clerk types it: 2018-05-12,
/// 2018年5月12日, 2018/5/12 or 20180512, not in the future, and under 16 today.
pub fn child_birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let s = normalize::compact(raw);
    if s.is_empty() {
        return Err("必填（如 2018-05-12）".into());
    }
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    if parts.len() == 3 && parts.first().is_some_and(|y| y.chars().count() < 4) {
        // 19-3-4: not a year a child was born in, nor "16 or older".
        return Err("年份请写4位，如 2019-03-04".into());
    }
    let date = match parts.as_slice() {
        [y, m, d] => y
            .parse()
            .ok()
            .zip(m.parse().ok())
            .zip(d.parse().ok())
            .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y, m, d)),
        [ymd] if ymd.len() == 8 && ymd.bytes().all(|b| b.is_ascii_digit()) => {
            NaiveDate::parse_from_str(ymd, "%Y%m%d").ok()
        }
        _ => None,
    };
    let date = date.ok_or_else(|| "应为年-月-日，如 2018-05-12".to_string())?;
    if date > today {
        return Err("不能在今天之后".into());
    }
    if !child_on(date, today) {
        return Err(format!("已满{}周岁，应出示本人证件", CHILD_AGE_MAX + 1));
    }
    Ok(date)
}

/// Whether someone born on `birth` is still under 16 on `day`.
fn child_on(birth: NaiveDate, day: NaiveDate) -> bool {
    day.years_since(birth).is_none_or(|age| age <= CHILD_AGE_MAX)
}

/// A child's number (无证件儿童): the guardian's normalized number, C, the birth date (YYYYMMDD)
/// and four letters or digits of the name's SHA-256, so the same child with the same guardian is
/// one person wherever they are registered, and twins are two.
pub fn child_number(guardian: &str, birth: NaiveDate, name: &str) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let digest = sha2::Sha256::digest(normalize::clean(name).as_bytes());
    let tag: String = digest
        .iter()
        .take(CHILD_TAG_LEN)
        .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()).map(|&c| char::from(c)))
        .collect();
    format!("{guardian}{CHILD_MARK}{}{tag}", birth.format("%Y%m%d"))
}

/// A child's number split into the guardian's number and the child's birth date; `None` when it
/// is not one.
pub fn child_parts(number: &str) -> Option<(&str, NaiveDate)> {
    let tail = CHILD_TAG_LEN + 8;
    let cut = number.len().checked_sub(tail + 1)?;
    let (guardian, rest) = (number.get(..cut)?, number.get(cut..)?);
    let date = rest.strip_prefix(CHILD_MARK)?.get(..8)?;
    let birth = NaiveDate::parse_from_str(date, "%Y%m%d").ok().filter(|_| date.bytes().all(|b| b.is_ascii_digit()))?;
    Some((guardian, birth))
}

/// A child's number as a visit made on `on` carries it with the child's name: the name's tag,
/// and a child under 16 that day (a record of a "child" aged 41, or one renamed, is refused).
pub fn child_record_of(number: &str, name: &str, on: NaiveDate) -> Result<(), String> {
    let (guardian, birth) = child_parts(number).ok_or_else(|| "不是无证件儿童的登记号".to_string())?;
    if child_number(guardian, birth, name) != number {
        return Err("与姓名不符".into());
    }
    if !child_on(birth, on) {
        return Err(format!("登记时已满{}周岁，不是无证件儿童", CHILD_AGE_MAX + 1));
    }
    Ok(())
}

/// A child's number as a record carries it: a guardian's number of any kind, a birth date not in
/// the future, the name's tag. The age is the form's rule, not the record's: a visit made the day
/// before a birthday is never refused after it.
fn child_record(s: &str, today: NaiveDate) -> Result<String, String> {
    let (guardian, birth) = child_parts(s).ok_or_else(|| "不是无证件儿童的登记号".to_string())?;
    if birth > today {
        return Err("出生日期在今天之后".into());
    }
    match detect(guardian, today) {
        Ok(d) if d.kind == DocumentKind::ChildWithGuardian => Err("监护人须有本人证件".into()),
        Ok(_) => Ok(s.to_owned()),
        Err(why) => Err(format!("监护人证件号码：{why}")),
    }
}

/// 护照: Chinese ordinary passports are E and 8 digits, or E, a letter other than I or O, and 7
/// digits (G and 8 digits until 2012); foreign passports follow ICAO Doc 9303 with numbers of up
/// to 9 characters in the machine-readable zone, longer ones printed in full: 5 to 17 letters and
/// digits with at least one digit.
fn passport(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    // Numbers of another kind's shape are that kind's: a passport is never how they escape their
    // own rule (a listed permit typed with its renewal count, an old ID number).
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let permit = matches!(b.first(), Some(b'H' | b'M')) && b.len() == 11 && b.iter().skip(1).all(u8::is_ascii_digit);
    if permit {
        return Err(wrong_kind(DocumentKind::HkMacaoPermit));
    }
    if all_digits && b.len() == 10 {
        return Err(wrong_kind(DocumentKind::TaiwanPermit));
    }
    let id_shaped = |n: usize| b.len() == n && b.iter().take(n - 1).all(u8::is_ascii_digit);
    if all_digits && (15..=18).contains(&b.len()) || id_shaped(18) && matches!(b.last(), Some(b'X')) {
        return Err("这是身份证号码的样式，请在证件类型中选择居民身份证（或居住证、永居证）".into());
    }
    // Three letters and twelve digits: the 2004/2017 永居证, whose check it must pass.
    if b.len() == 15 && b.iter().take(3).all(u8::is_ascii_alphabetic) && b.iter().skip(3).all(u8::is_ascii_digit) {
        return Err(wrong_kind(DocumentKind::ForeignPermanentResident));
    }
    let digits = |t: &[u8]| t.iter().all(u8::is_ascii_digit);
    let chinese_ok = match b {
        [b'E' | b'G', rest @ ..] if digits(rest) => true,
        [b'E', letter, rest @ ..] => letter.is_ascii_uppercase() && !matches!(letter, b'I' | b'O') && digits(rest),
        _ => false,
    };
    if b.len() == 9 && matches!(b.first(), Some(b'E' | b'G')) && !chinese_ok {
        return Err("中国护照号码为E加8位数字，或E、一个字母（I、O除外）加7位数字".into());
    }
    if (5..=17).contains(&b.len()) && b.iter().any(u8::is_ascii_digit) {
        Ok(s.to_owned())
    } else {
        Err("护照号码应为5至17位字母和数字".into())
    }
}

/// 港澳居民来往内地通行证 (2013 card and later): H (Hong Kong) or M (Macao) and 8 digits; the card
/// also prints 2 digits of how often it was renewed, which people often type too (11 in all) and a
/// card reader may give: they are not part of the number, so they are dropped (the same person,
/// renewed or not, is one number for the risk list and tracing).
fn hk_macao_permit(s: &str) -> Result<String, String> {
    let mut b = s.bytes();
    if matches!(b.next(), Some(b'H' | b'M')) && matches!(s.len(), 9 | 11) && b.all(|b| b.is_ascii_digit()) {
        Ok(s.get(..9).unwrap_or(s).to_owned())
    } else {
        Err("港澳通行证号码应为H或M加8位（或10位）数字".into())
    }
}

/// 台湾居民来往大陆通行证 (2015 card and later): 8 digits, and 2 digits of how often it was
/// renewed when typed with them (10), dropped as for the Hong Kong and Macao permit; older
/// booklets carried 10 letters and digits, kept as they are.
fn taiwan_permit(s: &str) -> Result<String, String> {
    let digits = s.bytes().all(|b| b.is_ascii_digit());
    if (s.len() == 8 || s.len() == 10) && digits {
        Ok(s.get(..8).unwrap_or(s).to_owned())
    } else if s.len() == 10 {
        Ok(s.to_owned())
    } else {
        Err("台湾居民通行证号码应为8位数字（连同换证次数为10位）".into())
    }
}

/// Province abbreviations on plates (GA 36), and the prefixes of special plates.
const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A licence plate (车牌号) per GA 36: province abbreviation, an issuing-authority letter, then
/// five characters (letters except I and O, and digits); six for new-energy plates (新能源).
/// Special forms: a final 挂 (trailer), 学 (learner), 警 (police), 港 or 澳 (cross-border); 使 and
/// 领 plates of embassies and consulates. Stored uppercase with no separator: 豫B12345.
pub fn plate(raw: &str) -> Result<String, String> {
    let s: String =
        normalize::compact(raw).chars().filter(|&c| c != '·' && c != '-').collect::<String>().to_uppercase();
    if s.is_empty() {
        return Err("必填".into());
    }
    let chars: Vec<char> = s.chars().collect();
    let serial_ok = |c: &char| (c.is_ascii_uppercase() && *c != 'I' && *c != 'O') || c.is_ascii_digit();
    if let Some(c) = chars.iter().find(|c| matches!(c, 'I' | 'O')) {
        return Err(format!("车牌号不使用字母{c}（易与数字1、0混淆）"));
    }
    // Embassy (使) plates: 3 digits for the mission then 3 digits, 使 at the start or the end.
    let embassy = |body: &[char]| body.len() == 6 && body.iter().all(char::is_ascii_digit);
    match chars.as_slice() {
        ['使', body @ ..] | [body @ .., '使'] if embassy(body) => return Ok(s),
        _ => {}
    }
    let (province, authority, rest) = match chars.as_slice() {
        [p, a, rest @ ..] => (*p, *a, rest),
        [p] => (*p, ' ', &[][..]),
        [] => return Err("必填".into()),
    };
    if !PLATE_PROVINCES.contains(province) {
        return Err("第一位应为省份简称（如豫）".into());
    }
    if !authority.is_ascii_uppercase() {
        return Err("第二位应为发牌机关字母（如开封为B）".into());
    }
    let (serial, suffix) = match rest {
        [serial @ .., c @ ('挂' | '学' | '警' | '港' | '澳' | '领')] => (serial, Some(*c)),
        _ => (rest, None),
    };
    if let Some(c) = serial.iter().find(|c| !serial_ok(c)) {
        return Err(crate::normalize::forbidden(*c));
    }
    match (serial.len(), suffix) {
        (5, None) | (4, Some(_)) => Ok(s),
        (5, Some(c)) => Err(format!("“{c}”字车牌在省份简称和字母之后应为4位")),
        // New-energy plates: D/F (and A-K for small cars) in the first or last position.
        (6, None) => {
            let small = match serial {
                ['A'..='K', rest @ ..] => rest.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
                _ => false,
            };
            let large = match serial {
                [digits @ .., 'D' | 'F'] => digits.iter().all(char::is_ascii_digit),
                _ => false,
            };
            if small || large {
                Ok(s)
            } else {
                Err("新能源车牌的第三位或最后一位应为D或F等字母".into())
            }
        }
        (n, _) if n < 5 && suffix.is_none() || n < 4 => Err("位数不够：省份简称和字母之后应为5位（新能源6位）".into()),
        _ => Err("位数过多：省份简称和字母之后应为5位（新能源6位）".into()),
    }
}

/// A measured body temperature in °C (35.0 to 42.0). 37.3 or above is a fever.
pub fn temperature(raw: &str) -> Result<f32, String> {
    let s = normalize::compact(raw).trim_end_matches(['℃', '°', 'C', 'c']).to_owned();
    if s.is_empty() {
        return Err("必填".into());
    }
    let t: f32 = s.parse().map_err(|_| "应为数字，如36.5".to_string())?;
    if !t.is_finite() || !(35.0..=42.0).contains(&t) {
        return Err("应在35.0至42.0℃之间，请复测".into());
    }
    Ok((t * 10.0).round() / 10.0)
}

pub const FEVER_FROM: f32 = 37.3;

pub fn is_fever(celsius: f32) -> bool {
    celsius >= FEVER_FROM
}

#[cfg(test)]
mod tests {
    #[test]
    fn sample_numbers_are_valid_and_distinct_over_their_range() {
        let mut seen = std::collections::HashSet::new();
        for seed in (0..2_640_000).step_by(997).chain([0, 19_999, 20_000, 239_999, 240_000, 2_639_999]) {
            let n = sample_resident_id(seed);
            assert!(resident_id(&n, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).is_ok(), "{seed}: {n}");
            seen.insert((seed, n));
        }
        let numbers: std::collections::HashSet<_> = seen.iter().map(|(_, n)| n.clone()).collect();
        let seeds: std::collections::HashSet<_> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(numbers.len(), seeds.len());
        // Below seed 20,000 the numbers the tests have always used.
        assert!(sample_resident_id(1234).starts_with("41020219810103234"));
    }

    use super::*;

    /// R6: a child with no document of their own, registered with a guardian.
    #[test]
    fn a_child_without_a_document_is_one_number_made_from_the_guardians() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let birth = NaiveDate::from_ymd_opt(2018, 5, 12).unwrap();
        for typed in ["2018-05-12", "2018年5月12日", "2018/5/12", "20180512", "２０１８－０５－１２", " 2018.5.12 "]
        {
            assert_eq!(child_birth_date(typed, today), Ok(birth), "{typed}");
        }
        for (typed, why) in [
            ("", "必填（如 2018-05-12）"),
            ("2018-02-30", "应为年-月-日，如 2018-05-12"),
            ("2018-5", "应为年-月-日，如 2018-05-12"),
            ("19-3-4", "年份请写4位，如 2019-03-04"),
            ("19年3月4日", "年份请写4位，如 2019-03-04"),
            ("<script>", "应为年-月-日，如 2018-05-12"),
            ("2018-05-12'; DROP TABLE people;--", "应为年-月-日，如 2018-05-12"),
            ("𠀀𠀀", "应为年-月-日，如 2018-05-12"),
            ("2027-01-01", "不能在今天之后"),
            ("2010-12-01", "已满16周岁，应出示本人证件"),
        ] {
            assert_eq!(child_birth_date(typed, today).unwrap_err(), why, "{typed}");
        }
        assert!(child_birth_date(&"2".repeat(10_000), today).is_err());
        // The day before the 16th birthday still a child; on it, not.
        assert!(child_birth_date("2010-12-03", today).is_ok());
        assert!(child_birth_date("2010-12-02", today).is_err());

        let guardian = "41020319800101001X";
        let number = child_number(guardian, birth, "王小明");
        assert!(number.starts_with("41020319800101001XC20180512"), "{number}");
        assert_eq!(number.len(), 18 + 1 + 8 + 4);
        assert!(number.bytes().all(|b| b.is_ascii_alphanumeric()), "{number}");
        // The same child is the same number (a name typed with spaces or full width too); a twin
        // is another; another guardian's child of that name and birthday another.
        assert_eq!(child_number(guardian, birth, " 王小明 "), number);
        assert_ne!(child_number(guardian, birth, "王小红"), number);
        assert_ne!(child_number("E12345678", birth, "王小明"), number);
        assert_eq!(child_parts(&number), Some((guardian, birth)));
        assert_eq!(birth_year_of(DocumentKind::ChildWithGuardian, &number), Some(2018));
        // As a record carries it: checked at both ends, whatever the child's age by then.
        assert_eq!(recorded(DocumentKind::ChildWithGuardian, &number, today).as_deref(), Ok(number.as_str()));
        let later = NaiveDate::from_ymd_opt(2040, 1, 1).unwrap();
        assert!(recorded(DocumentKind::ChildWithGuardian, &number, later).is_ok());
        let passport_guardian = child_number("E12345678", birth, "王小明");
        assert!(recorded(DocumentKind::ChildWithGuardian, &passport_guardian, today).is_ok());
        for bad in [
            "410203198001010011C20180512ABCD".to_owned(), // the guardian's check character
            "41020319800101001XC20280512ABCD".to_owned(), // born in the future
            "41020319800101001XX20180512ABCD".to_owned(),
            "C20180512ABCD".to_owned(),
            "41020319800101001X".to_owned(),
            "x".repeat(10_000),
        ] {
            assert!(recorded(DocumentKind::ChildWithGuardian, &bad, today).is_err(), "{bad}");
        }
        // Never the kind a number is taken for, and a form's key and label parse back.
        // A tracer types it: it is told by its shape. Nested (a child as a guardian) it is not one.
        assert_eq!(detect(&number.to_lowercase(), today).map(|d| d.kind), Ok(DocumentKind::ChildWithGuardian));
        let nested = child_number(&number, birth, "王小小");
        assert!(recorded(DocumentKind::ChildWithGuardian, &nested, today).is_err(), "{nested}");
        // With its name, and a child when the visit was made.
        assert_eq!(child_record_of(&number, "王小明", today), Ok(()));
        assert_eq!(child_record_of(&number, "张三", today).unwrap_err(), "与姓名不符");
        let adult = child_number(guardian, NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(), "王大明");
        assert_eq!(child_record_of(&adult, "王大明", today).unwrap_err(), "登记时已满16周岁，不是无证件儿童");
        let on_the_day = NaiveDate::from_ymd_opt(2034, 5, 11).unwrap();
        assert_eq!(child_record_of(&number, "王小明", on_the_day), Ok(()), "the day before the 16th birthday");
        assert_eq!(DocumentKind::parse("child_with_guardian"), Some(DocumentKind::ChildWithGuardian));
        assert_eq!(DocumentKind::parse_label("无证件儿童（随监护人）"), Some(DocumentKind::ChildWithGuardian));
        assert!(!DocumentKind::ALL.contains(&DocumentKind::ChildWithGuardian), "the phone page never offers it");
    }

    /// The last four and the birth year, one rule for every document and both ends.
    #[test]
    fn the_check_character_is_gb_11643s() {
        assert_eq!(check_character(b"11010519491231002"), Some('X'));
        assert_eq!(check_character(b"41020219900307001"), Some('4'));
        for bad in
            [&b"1101051949123100"[..], b"110105194912310021", b"1101051949123100X", "１1010519491231002".as_bytes()]
        {
            assert_eq!(check_character(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn last_four_and_birth_year_of_any_document() {
        assert_eq!(last_four_of("11010519491231002X"), "002X");
        assert_eq!(last_four_of("E12345678"), "5678");
        assert_eq!(last_four_of("12"), "12", "shorter than four: the whole");
        assert_eq!(last_four_of(""), "");
        assert_eq!(last_four_of("护照𠮷😀12"), "𠮷😀12", "characters, not bytes");
        assert_eq!(birth_year_of(DocumentKind::ResidentId, "11010519491231002X"), Some(1949));
        assert_eq!(birth_year_of(DocumentKind::Passport, "11010519491231002X"), None);
        assert_eq!(birth_year_of(DocumentKind::ResidentId, "110105"), None);
        assert_eq!(birth_year_of(DocumentKind::ResidentId, "110105ABCD1231002X"), None);
        assert_eq!(birth_year_of(DocumentKind::ResidentId, "110105１９４９1231002"), None, "not 18 bytes");
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn gb11643_example_and_lowercase_x() {
        let id = resident_id("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.last4(), "002X");
        assert_eq!(resident_id("11010519491231002x", today()).unwrap().number, "11010519491231002X");
        assert_eq!(
            resident_id("１１０１０５ １９４９１２３１ ００２Ｘ", today()).unwrap().number,
            "11010519491231002X"
        );
        assert_eq!(resident_id("410202199003070014", today()).unwrap().birth_year(), 1990);
    }

    #[test]
    fn resident_id_failures_are_explained() {
        let t = today();
        assert_eq!(resident_id("110105194912310021", t).unwrap_err(), "校验位不对，请核对号码是否输错");
        assert_eq!(resident_id("410202199002300012", t).unwrap_err(), "出生日期不存在（第7至14位）");
        assert_eq!(resident_id("410202203001010011", t).unwrap_err(), "出生日期在今天之后（第7至14位）");
        assert_eq!(resident_id("990202199003070011", t).unwrap_err(), "前两位不是有效的省份代码");
        assert_eq!(resident_id("41020219900307001", t).unwrap_err(), "应为18位，现为17位");
        assert_eq!(resident_id("4102021990030700144", t).unwrap_err(), "应为18位，现为19位");
        assert_eq!(resident_id("410202900307001", t).unwrap_err(), "15位的第一代身份证已停止使用，请填写18位号码");
        assert_eq!(resident_id("41020219900307001A", t).unwrap_err(), "前17位应为数字，最后一位为数字或X");
        assert_eq!(resident_id("4102021990😀0307001", t).unwrap_err(), "含有不允许的字符“😀”");
        assert_eq!(resident_id("'; DROP TABLE--", t).unwrap_err(), "含有不允许的字符“'”");
        assert_eq!(resident_id("", t).unwrap_err(), "必填");
        assert!(resident_id(&"1".repeat(10_240), t).unwrap_err().starts_with("应为18位"));
    }

    #[test]
    fn ga36_plates_every_form() {
        for (raw, want) in [
            ("豫B12345", "豫B12345"),
            ("豫b·12345", "豫B12345"),
            ("豫Ｂ １２３４５", "豫B12345"),
            ("豫BD12345", "豫BD12345"),
            ("豫B12345D", "豫B12345D"),
            ("豫BF1234A", "豫BF1234A"),
            ("豫B1234挂", "豫B1234挂"),
            ("豫B1234学", "豫B1234学"),
            ("豫B1234警", "豫B1234警"),
            ("粤Z1234港", "粤Z1234港"),
            ("粤Z1234澳", "粤Z1234澳"),
            ("沪A1234领", "沪A1234领"),
            ("使123456", "使123456"),
            ("123456使", "123456使"),
        ] {
            assert_eq!(plate(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn ga36_plate_failures() {
        assert_eq!(plate("豫B1234O").unwrap_err(), "车牌号不使用字母O（易与数字1、0混淆）");
        assert_eq!(plate("豫BI2345").unwrap_err(), "车牌号不使用字母I（易与数字1、0混淆）");
        assert_eq!(plate("豫B1234").unwrap_err(), "位数不够：省份简称和字母之后应为5位（新能源6位）");
        assert_eq!(plate("豫B1234567").unwrap_err(), "位数过多：省份简称和字母之后应为5位（新能源6位）");
        assert_eq!(plate("A12345").unwrap_err(), "第一位应为省份简称（如豫）");
        assert_eq!(plate("豫112345").unwrap_err(), "第二位应为发牌机关字母（如开封为B）");
        assert_eq!(plate("豫B12<45").unwrap_err(), "含有不允许的字符“<”");
        assert_eq!(plate("豫B123456").unwrap_err(), "新能源车牌的第三位或最后一位应为D或F等字母");
        assert_eq!(plate("豫B12345挂").unwrap_err(), "“挂”字车牌在省份简称和字母之后应为4位");
        assert_eq!(plate("豫B123挂").unwrap_err(), "位数不够：省份简称和字母之后应为5位（新能源6位）");
        assert_eq!(plate("").unwrap_err(), "必填");
    }

    #[test]
    fn other_documents() {
        let t = today();
        assert_eq!(document(DocumentKind::Passport, "e1234 5678", t).unwrap(), "E12345678");
        assert_eq!(document(DocumentKind::HkMacaoPermit, "H12345678", t).unwrap(), "H12345678");
        assert_eq!(document(DocumentKind::TaiwanPermit, "12345678", t).unwrap(), "12345678");
        assert_eq!(
            document(DocumentKind::HkMacaoPermit, "X12345678", t).unwrap_err(),
            "港澳通行证号码应为H或M加8位（或10位）数字"
        );
        assert_eq!(document(DocumentKind::Passport, "ABCDEFG", t).unwrap_err(), "护照号码应为5至17位字母和数字");
        assert_eq!(document(DocumentKind::Passport, "E1234<5678", t).unwrap_err(), "含有不允许的字符“<”");
        assert_eq!(document(DocumentKind::ResidentId, "11010519491231002X", t).unwrap(), "11010519491231002X");
    }

    #[test]
    fn every_kind_by_its_own_rule() {
        let t = today();
        let ok = |k: DocumentKind, raw: &str| document(k, raw, t).unwrap_or_else(|e| panic!("{raw}: {e}"));
        // 港澳台居民居住证: computed check characters, Hong Kong, Macao and Taiwan.
        assert_eq!(ok(DocumentKind::HmtResidencePermit, "810000199003070015"), "810000199003070015");
        assert_eq!(
            ok(DocumentKind::HmtResidencePermit, "８２００００ １９８５１２０１ ００２６"),
            "820000198512010026"
        );
        assert_eq!(ok(DocumentKind::HmtResidencePermit, "830000200002290031"), "830000200002290031");
        // 永居证, the 2023 card and the 2004/2017 card.
        assert_eq!(ok(DocumentKind::ForeignPermanentResident, "941840198506150017"), "941840198506150017");
        assert_eq!(ok(DocumentKind::ForeignPermanentResident, "usa410285061515"), "USA410285061515");
        assert_eq!(ok(DocumentKind::ForeignPermanentResident, "JPN310099123104"), "JPN310099123104", "born 1999");
        assert_eq!(ok(DocumentKind::ForeignPermanentResident, "GBR110001010129"), "GBR110001010129", "born 2000");
        // Chinese passports of every form, foreign passports.
        for p in [
            "E12345678",
            "EA1234567",
            "G12345678",
            "C03005988",
            "K1234567",
            "123456789",
            "PA1234567",
            "X00000000000001",
        ] {
            assert_eq!(ok(DocumentKind::Passport, p), p);
        }
        // The renewal count is not part of the number: dropped, so a renewed card is the same person.
        assert_eq!(ok(DocumentKind::TaiwanPermit, "1234567801"), "12345678", "with the renewal count");
        assert_eq!(ok(DocumentKind::HkMacaoPermit, "M1234567801"), "M12345678");
        assert_eq!(ok(DocumentKind::TaiwanPermit, "A123456789"), "A123456789", "an old booklet, as it is");
    }

    #[test]
    fn every_kind_refuses_with_its_reason() {
        let t = today();
        let err = |k: DocumentKind, raw: &str| document(k, raw, t).unwrap_err();
        use DocumentKind as K;
        assert_eq!(
            err(K::HmtResidencePermit, "410202199003070014"),
            "这是居民身份证的号码，请在证件类型中选择“居民身份证”"
        );
        assert_eq!(
            err(K::HmtResidencePermit, "410202199003070015"),
            "港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头"
        );
        // A number of another kind's shape says which kind; not a passport's, which fits nearly any.
        assert_eq!(err(K::TaiwanPermit, "410202199003070014"), "这是居民身份证的号码，请在证件类型中选择“居民身份证”");
        assert_eq!(
            err(K::HkMacaoPermit, "12345678"),
            "这是台湾居民来往大陆通行证的号码，请在证件类型中选择“台湾居民来往大陆通行证”"
        );
        assert_eq!(err(K::HkMacaoPermit, "EA1234567"), "港澳通行证号码应为H或M加8位（或10位）数字");
        assert_eq!(err(K::HmtResidencePermit, "810000199003070016"), "校验位不对，请核对号码是否输错");
        assert_eq!(err(K::HmtResidencePermit, "81000019900307001"), "应为18位，现为17位");
        assert_eq!(
            err(K::ResidentId, "810000199003070015"),
            "这是港澳台居民居住证的号码，请在证件类型中选择“港澳台居民居住证”"
        );
        assert_eq!(
            err(K::ResidentId, "941840198506150017"),
            "这是外国人永久居留身份证的号码，请在证件类型中选择“外国人永久居留身份证”"
        );
        assert_eq!(
            err(K::ResidentId, "USA410285061515"),
            "这是外国人永久居留身份证的号码，请在证件类型中选择“外国人永久居留身份证”"
        );
        assert_eq!(err(K::ForeignPermanentResident, "941840198506150018"), "校验位不对，请核对号码是否输错");
        assert_eq!(err(K::ForeignPermanentResident, "841840198506150017"), "18位永居证号码以9开头");
        assert_eq!(err(K::ForeignPermanentResident, "999840198506150011"), "第2、3位不是有效的受理地省份代码");
        assert_eq!(err(K::ForeignPermanentResident, "941840198502300011"), "出生日期不存在（第7至14位）");
        assert_eq!(err(K::ForeignPermanentResident, "941840203001010011"), "出生日期在今天之后（第7至14位）");
        assert_eq!(err(K::ForeignPermanentResident, "USA410285061516"), "校验位不对，请核对号码是否输错");
        assert_eq!(err(K::ForeignPermanentResident, "USA410285023015"), "出生日期不存在（第8至13位）");
        assert_eq!(err(K::ForeignPermanentResident, "US1410285061515"), "15位永居证号码应为3个字母（国籍）加12位数字");
        assert_eq!(err(K::ForeignPermanentResident, "USA990285061515"), "第4、5位不是有效的受理地省份代码");
        assert_eq!(err(K::ForeignPermanentResident, "USA4102850615"), "应为18位（2023年12月起的新证）或15位，现为13位");
        assert_eq!(err(K::Passport, "EI1234567"), "中国护照号码为E加8位数字，或E、一个字母（I、O除外）加7位数字");
        assert_eq!(err(K::Passport, "EAB234567"), "中国护照号码为E加8位数字，或E、一个字母（I、O除外）加7位数字");
        assert_eq!(err(K::Passport, "E12"), "护照号码应为5至17位字母和数字");
        assert_eq!(err(K::TaiwanPermit, "1234567"), "台湾居民通行证号码应为8位数字（连同换证次数为10位）");
        // A passport is no way around another kind's rule: a permit with its renewal count, an old
        // or a current ID number.
        assert_eq!(
            err(K::Passport, "H1234567801"),
            "这是港澳居民来往内地通行证的号码，请在证件类型中选择“港澳居民来往内地通行证”"
        );
        assert_eq!(
            err(K::Passport, "1234567801"),
            "这是台湾居民来往大陆通行证的号码，请在证件类型中选择“台湾居民来往大陆通行证”"
        );
        assert_eq!(err(K::Passport, "410202199003070014"), "这是居民身份证的号码，请在证件类型中选择“居民身份证”");
        // A passport cannot take the old 永居证's shape and skip its check character.
        assert_eq!(
            err(K::Passport, "USA410285061516"),
            "这是外国人永久居留身份证的号码，请在证件类型中选择“外国人永久居留身份证”"
        );
        assert_eq!(err(K::Passport, "E12345678901234567"), "护照号码应为5至17位字母和数字");
        for id in ["410202900307001", "41020219900307001", "410202199003070015", "41020219900307001X"] {
            assert_eq!(
                err(K::Passport, id),
                "这是身份证号码的样式，请在证件类型中选择居民身份证（或居住证、永居证）",
                "{id}"
            );
        }
        for k in DocumentKind::ALL {
            assert_eq!(err(k, ""), "必填", "{k:?}");
            assert_eq!(err(k, "　"), "必填", "{k:?}");
            assert_eq!(err(k, "E1234😀5678"), "含有不允许的字符“😀”", "{k:?}");
            assert_eq!(err(k, "E1234𠮷5678"), "含有不允许的字符“𠮷”", "{k:?}");
            assert_eq!(err(k, "E1'; DROP TABLE people;--"), "含有不允许的字符“'”", "{k:?}");
            assert_eq!(err(k, "<script>1</script>"), "含有不允许的字符“<”", "{k:?}");
            assert!(!err(k, &"1".repeat(10_240)).is_empty(), "{k:?}: 10 kB refused");
            assert_eq!(DocumentKind::parse(k.key()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.key());
        }
        assert_eq!(DocumentKind::parse("RESIDENT_ID"), None);
    }

    #[test]
    fn the_number_tells_its_kind() {
        let t = today();
        let kind = |raw: &str| detect(raw, t).map(|d| d.kind);
        assert_eq!(kind("11010519491231002x"), Ok(DocumentKind::ResidentId));
        assert_eq!(kind("810000199003070015"), Ok(DocumentKind::HmtResidencePermit));
        assert_eq!(kind("941840198506150017"), Ok(DocumentKind::ForeignPermanentResident));
        assert_eq!(kind("USA410285061515"), Ok(DocumentKind::ForeignPermanentResident));
        assert_eq!(kind("H12345678"), Ok(DocumentKind::HkMacaoPermit));
        assert_eq!(kind("12345678"), Ok(DocumentKind::TaiwanPermit));
        assert_eq!(kind("123456789"), Ok(DocumentKind::Passport), "nine digits: a passport (US, Russia)");
        // One number whatever the renewal count: what the risk list, tracing and the door match.
        assert_eq!(detect("1234567801", t).map(|d| d.number).as_deref(), Ok("12345678"));
        assert_eq!(detect("h 12345678 02", t).map(|d| d.number).as_deref(), Ok("H12345678"));
        assert_eq!(detect("4102021990030700", t).unwrap_err(), "应为18位，现为16位");
        assert_eq!(kind("E12345678"), Ok(DocumentKind::Passport));
        assert_eq!(kind("X1234567A"), Ok(DocumentKind::Passport));
        assert_eq!(detect("41020219900307001", t).unwrap_err(), "应为18位，现为17位", "a resident ID mistyped");
        assert_eq!(detect("410202900307001", t).unwrap_err(), "15位的第一代身份证已停止使用，请填写18位号码");
        assert_eq!(detect("941840198506150018", t).unwrap_err(), "校验位不对，请核对号码是否输错");
        let d = detect("941840198506150017", t).unwrap();
        assert_eq!((d.last4(), d.birth_year()), ("0017".to_owned(), 1985));
        let d = detect("810000199003070015", t).unwrap();
        assert_eq!((d.last4(), d.birth_year()), ("0015".to_owned(), 1990));
        let d = detect("USA410285061515", t).unwrap();
        assert_eq!((d.last4(), d.birth_year()), ("1515".to_owned(), 0), "YYMMDD: no century, no year");
        assert_eq!(detect("X1234567A", t).unwrap().last4(), "567A");
    }

    #[test]
    fn the_last_four_of_any_document() {
        assert_eq!(last4("002x").as_deref(), Ok("002X"));
        assert_eq!(last4("567a").as_deref(), Ok("567A"), "a passport's");
        assert_eq!(last4("１２３４").as_deref(), Ok("1234"));
        assert_eq!(last4(" 12 34 ").as_deref(), Ok("1234"));
        for bad in ["123", "12345", "12😀4", "12<4", "", "𠮷234"] {
            assert_eq!(last4(bad).unwrap_err(), "应为证件号码的最后4位（数字或字母）", "{bad}");
        }
    }

    #[test]
    fn temperature_edges() {
        assert_eq!(temperature("36.5").unwrap(), 36.5);
        assert_eq!(temperature("３７．３℃").unwrap(), 37.3);
        assert_eq!(temperature("35.0").unwrap(), 35.0);
        assert_eq!(temperature("42").unwrap(), 42.0);
        assert_eq!(temperature("34.9").unwrap_err(), "应在35.0至42.0℃之间，请复测");
        assert_eq!(temperature("42.1").unwrap_err(), "应在35.0至42.0℃之间，请复测");
        assert_eq!(temperature("NaN").unwrap_err(), "应在35.0至42.0℃之间，请复测");
        assert_eq!(temperature("abc").unwrap_err(), "应为数字，如36.5");
        assert!(!is_fever(37.2) && is_fever(37.3) && is_fever(39.0));
    }
}
