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

/// The year of birth a resident ID number carries (its 7th to 10th digits); `None` for another
/// document or a number without one.
pub fn birth_year_of(kind: DocumentKind, number: &str) -> Option<i32> {
    if kind != DocumentKind::ResidentId || number.len() != 18 {
        return None;
    }
    number.get(6..10).filter(|y| y.bytes().all(|b| b.is_ascii_digit())).and_then(|y| y.parse().ok())
}

/// 身份证后四位 as a returning visitor types it (R5), at the desk or on a phone: four digits, the
/// last of which may be X (either case; full-width accepted).
pub fn last4(raw: &str) -> Result<String, String> {
    let s = normalize::compact(raw).to_ascii_uppercase();
    if s.len() == 4 && s.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 3 && b == b'X')) {
        Ok(s)
    } else {
        Err("应为4位数字（最后一位可为X）".into())
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

/// The kinds of document a truck crew member may hold (R5: 证件号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DocumentKind {
    /// 居民身份证
    #[serde(rename = "resident_id")]
    ResidentId,
    /// 护照 (Chinese or foreign)
    #[serde(rename = "passport")]
    Passport,
    /// 港澳居民来往内地通行证
    #[serde(rename = "hk_macao_permit")]
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证
    #[serde(rename = "taiwan_permit")]
    TaiwanPermit,
}

impl DocumentKind {
    /// The stored and wire key (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "resident_id",
            DocumentKind::Passport => "passport",
            DocumentKind::HkMacaoPermit => "hk_macao_permit",
            DocumentKind::TaiwanPermit => "taiwan_permit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "居民身份证",
            DocumentKind::Passport => "护照",
            DocumentKind::HkMacaoPermit => "港澳居民来往内地通行证",
            DocumentKind::TaiwanPermit => "台湾居民来往大陆通行证",
        }
    }
}

/// A document number of the given kind, normalized (uppercase, no spaces).
pub fn document(kind: DocumentKind, raw: &str, today: NaiveDate) -> Result<String, String> {
    if kind == DocumentKind::ResidentId {
        return resident_id(raw, today).map(|id| id.number);
    }
    let s = normalize::compact(raw).to_ascii_uppercase();
    if s.is_empty() {
        return Err("必填".into());
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(crate::normalize::forbidden(c));
    }
    let ok = match kind {
        // Chinese passports: E/G + 8 digits, or E + letter + 7 digits; foreign ones vary: 5 to 17
        // letters and digits with at least one digit.
        DocumentKind::Passport => (5..=17).contains(&s.len()) && s.bytes().any(|b| b.is_ascii_digit()),
        // 回乡证: H or M, then 8 digits (10 for older cards).
        DocumentKind::HkMacaoPermit => {
            let mut b = s.bytes();
            matches!(b.next(), Some(b'H' | b'M')) && matches!(s.len(), 9 | 11) && b.all(|b| b.is_ascii_digit())
        }
        // 台胞证: 8 digits (older cards: 10 characters with a letter).
        DocumentKind::TaiwanPermit => {
            (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
                || (s.len() == 10 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        }
        DocumentKind::ResidentId => unreachable!("handled above"),
    };
    if ok {
        Ok(s)
    } else {
        Err(match kind {
            DocumentKind::Passport => "护照号码应为5至17位字母和数字".into(),
            DocumentKind::HkMacaoPermit => "港澳通行证号码应为H或M加8位（或10位）数字".into(),
            DocumentKind::TaiwanPermit => "台湾居民通行证号码应为8位数字".into(),
            DocumentKind::ResidentId => unreachable!("handled above"),
        })
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
    use super::*;

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
