//! Validation rules. Each rule normalizes first (full-width to half-width, spaces) and answers
//! either the normalized value or a Chinese reason that starts with the field's label, so that a
//! rejected form (驳回, R3) tells the person exactly what to correct.

use crate::error::{FormCheck, Result};
use crate::normalize;
use crate::venue::{Category, CodeKind, District, ValidVenue, VenueInput};

/// Field keys and their Chinese labels, as the forms show them.
pub const KIND: (&str, &str) = ("kind", "码的类型");
pub const CATEGORY: (&str, &str) = ("category", "场所类型");
pub const NAME: (&str, &str) = ("name", "场所名称");
pub const DISTRICT: (&str, &str) = ("district", "所在辖区");
pub const ADDRESS: (&str, &str) = ("address", "详细地址");
pub const MANAGER_NAME: (&str, &str) = ("manager_name", "负责人姓名");
pub const MANAGER_PHONE: (&str, &str) = ("manager_phone", "联系电话");

pub const VENUE_NAME_MAX: usize = 60;
pub const ADDRESS_MAX: usize = 120;
pub const PERSON_NAME_CJK_MAX: usize = 30;
pub const PERSON_NAME_LATIN_MAX: usize = 80;

/// A CJK unified ideograph, including the extensions outside the BMP (rare characters such as
/// 𠈌 U+2020C and 𡒄 U+21484 appear in real names and places).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF | 0x2A700..=0x2EE5F | 0x2F800..=0x2FA1F | 0x30000..=0x323AF)
}

const MIDDLE_DOT: char = '\u{00B7}';

/// Checks a whole venue registration and reports every bad field at once.
pub fn venue(input: &VenueInput) -> Result<ValidVenue> {
    let mut f = FormCheck::new("");
    let kind = f.field(KIND.0, KIND.1, choice(&input.kind, CodeKind::parse));
    let category = f.field(CATEGORY.0, CATEGORY.1, category(&input.category, CodeKind::parse(&input.kind)));
    let district = f.field(DISTRICT.0, DISTRICT.1, choice(&input.district, District::parse));
    let name = f.field(NAME.0, NAME.1, venue_name(&input.name));
    let address = f.field(ADDRESS.0, ADDRESS.1, address(&input.address, district));
    let manager_name = f.field(MANAGER_NAME.0, MANAGER_NAME.1, person_name(&input.manager_name));
    let manager_phone = f.field(MANAGER_PHONE.0, MANAGER_PHONE.1, phone(&input.manager_phone));
    f.finish(|| {
        Some(ValidVenue {
            kind: kind?,
            category: category?,
            name: name?,
            district: district?,
            address: address?,
            manager_name: manager_name?,
            manager_phone: manager_phone?,
        })
    })
}

/// 场所类型: a checkpoint needs none (交通卡口 is chosen for it when left empty; one registered
/// earlier under another category keeps it), and no other venue may claim 交通卡口.
fn category(raw: &str, kind: Option<CodeKind>) -> Result<Category, String> {
    let checkpoint = kind == Some(CodeKind::Checkpoint);
    if checkpoint && raw.trim().is_empty() {
        return Ok(Category::Checkpoint);
    }
    match choice(raw, Category::parse)? {
        Category::Checkpoint if !checkpoint => Err("“交通卡口”只用于专属场所码·交通卡口，请选择其他类型".into()),
        c => Ok(c),
    }
}

fn choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, String> {
    if let Some(v) = parse(raw) {
        Ok(v)
    } else if raw.trim().is_empty() {
        Err("请选择".into())
    } else {
        Err("不在可选范围内，请从列表中选择".into())
    }
}

/// Required, at most `max` characters (counted as people count them, not as bytes).
fn length(s: &str, min: usize, max: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n == 0 {
        Err("必填".into())
    } else if n < min {
        Err(format!("至少{min}个字"))
    } else if n > max {
        Err(format!("不能超过{max}个字（现为{n}个）"))
    } else {
        Ok(())
    }
}

/// The first character outside `allowed`, reported by name so the person can find it.
fn only(s: &str, allowed: impl Fn(char) -> bool) -> Result<(), String> {
    match s.chars().find(|&c| !allowed(c)) {
        None => Ok(()),
        Some(c) if c.is_control() => Err("含有不可见的控制字符".into()),
        Some(c) if c.is_whitespace() => Err("不能含有空格".into()),
        Some(c) => Err(crate::normalize::forbidden(c)),
    }
}

/// 场所名称: 2 to 60 characters; Chinese, Latin letters, digits and the punctuation real shop
/// names use. Symbols such as < > ; and emoji are refused.
pub fn venue_name(raw: &str) -> Result<String, String> {
    let s = normalize::clean(raw);
    length(&s, 2, VENUE_NAME_MAX)?;
    only(&s, |c| is_han(c) || c.is_ascii_alphanumeric() || " ()（）·-—_&.,'#/、《》“”+".contains(c))?;
    if !s.chars().any(|c| is_han(c) || c.is_ascii_alphabetic()) {
        return Err("应含有文字，不能只有数字或符号".into());
    }
    Ok(s)
}

const ADMIN_PREFIXES: &[&str] = &["河南省", "河南", "开封市", "开封"];

/// Words that place an address on a road, street, village or highway.
const LOCALITY: &[&str] = &[
    "路",
    "街",
    "道",
    "巷",
    "胡同",
    "村",
    "庄",
    "镇",
    "乡",
    "社区",
    "小区",
    "高速",
    "国道",
    "省道",
    "园区",
    "广场",
    "里",
    "弄",
    "屯",
    "组",
    "景区",
    "公园",
    "服务区",
    "收费站",
    "检查站",
    "卡口",
];

/// Words that pin a spot on that road: a number or a landmark.
const SPOT: &[&str] = &[
    "号",
    "院",
    "楼",
    "栋",
    "幢",
    "单元",
    "门",
    "村",
    "庄",
    "屯",
    "组",
    "收费站",
    "出口",
    "入口",
    "服务区",
    "站",
    "对面",
    "旁",
    "东侧",
    "西侧",
    "南侧",
    "北侧",
    "交叉口",
    "路口",
    "附近",
    "大厦",
    "广场",
    "市场",
    "中心",
    "公司",
    "厂",
    "医院",
    "学校",
    "小区",
    "宾馆",
    "酒店",
    "超市",
    "商场",
    "公园",
    "景区",
    "卡口",
    "检查站",
    "段",
    "基地",
];

/// 详细地址: must be findable: a road, street or village, and a number or landmark on it. A
/// district named in the address must be the one chosen.
pub fn address(raw: &str, district: Option<District>) -> Result<String, String> {
    let s = normalize::clean(raw);
    length(&s, 2, ADDRESS_MAX)?;
    only(&s, |c| is_han(c) || c.is_ascii_alphanumeric() || " ()（）·-—_#/,.、".contains(c))?;
    let (named, _) = strip_admin(&s);
    if let (Some(named), Some(chosen)) = (named, district) {
        if named != chosen {
            return Err(format!("写的是{}，与所在辖区“{}”不一致", named.label(), chosen.label()));
        }
    }
    findable(&s)?;
    Ok(s)
}

/// An address past its province, city and district (开封市龙亭区北门大街20号 → 北门大街20号): the
/// part two writings of one address share.
pub fn address_tail(raw: &str) -> String {
    strip_admin(&normalize::clean(raw)).1
}

/// Drops the province, the city and a district or county at the start of an address; answers
/// the district named, if any, and what remains.
fn strip_admin(s: &str) -> (Option<District>, String) {
    let mut rest = s.replace(' ', "");
    for p in ADMIN_PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r.to_owned();
        }
    }
    let mut named = None;
    for d in District::ALL {
        if let Some(r) = rest.strip_prefix(d.label()) {
            named = Some(*d);
            rest = r.to_owned();
        }
    }
    (named, rest)
}

/// The same in Latin letters, as a visitor from abroad writes an address (English, or pinyin as
/// the street signs print it), matched as whole words in any case.
const LOCALITY_LATIN: &[&str] = &[
    "road", "rd", "street", "st", "avenue", "ave", "lane", "ln", "alley", "village", "lu", "jie", "dajie", "hutong",
    "xiang", "cun", "zhen", "square", "park",
];
const SPOT_LATIN: &[&str] =
    &["no", "hotel", "hostel", "inn", "apartment", "apartments", "building", "bldg", "gate", "station", "hospital"];

/// An address someone could find (a venue's or a person's): past the province, city and
/// district, a road, street or village, and a number or landmark on it.
pub fn findable(s: &str) -> Result<(), String> {
    let (_, rest) = strip_admin(s);
    if rest.chars().count() < 2 {
        return Err("只写了辖区，请写明路、街或村，以及门牌号或标志性建筑".into());
    }
    let lower = s.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let latin = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let has_locality = latin(LOCALITY_LATIN)
        || LOCALITY.iter().any(|w| rest.contains(w))
        || rest
            .chars()
            .zip(rest.chars().skip(1))
            .any(|(a, b)| matches!(a, 'G' | 'S' | 'g' | 's') && b.is_ascii_digit());
    if !has_locality {
        return Err("缺少路、街、村等位置信息，无法找到这个地址".into());
    }
    if !(rest.chars().any(|c| c.is_ascii_digit()) || SPOT.iter().any(|w| rest.contains(w)) || latin(SPOT_LATIN)) {
        return Err("缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）".into());
    }
    Ok(())
}

/// 监督电话 as a poster prints it: 3 to 20 digits and dashes (12345, 0371-23456789).
pub fn supervision_phone(raw: &str) -> Result<String, String> {
    let phone = normalize::compact(raw);
    if (3..=20).contains(&phone.len()) && phone.chars().all(|c| c.is_ascii_digit() || c == '-') {
        Ok(phone)
    } else {
        Err("应为3至20位数字".into())
    }
}

/// An operator's PIN (登记员PIN): 6 to 12 digits (full-width digits are read as digits), and not
/// one a passer-by guesses first: all one digit (000000) or a run up or down (123456, 987654).
pub fn pin(raw: &str) -> Result<String, String> {
    let pin = normalize::compact(raw);
    if !(6..=12).contains(&pin.chars().count()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("应为6至12位数字".into());
    }
    let steps: Vec<i16> =
        pin.as_bytes().iter().zip(pin.as_bytes().iter().skip(1)).map(|(a, b)| i16::from(*b) - i16::from(*a)).collect();
    let all = |ok: &dyn Fn(i16) -> bool| steps.iter().all(|&s| ok(s));
    // 000000; 123456 and 789012 (up, wrapping); 654321 and 210987 (down, wrapping).
    if all(&|s| s == 0) || all(&|s| s == 1 || s == -9) || all(&|s| s == -1 || s == 9) {
        return Err("太容易猜到（同一数字或连续数字），请换一个".into());
    }
    Ok(pin)
}

/// A person's name as people write it: Chinese (rare characters, and the middle dot of minority
/// names: 买买提·艾力) or Latin letters as a passport prints them (spaces, hyphens, apostrophes,
/// and the accented letters of the visual zone: José Müller-O'Neil). What an input method adds is
/// normalized, not refused: full-width letters, stray spaces between Chinese characters, a full
/// stop or a dot typed for the middle dot, a typographic apostrophe. Digits, symbols, emoji and a
/// mix of scripts are refused. Room for real names: 30 Chinese characters, 80 Latin.
pub fn person_name(raw: &str) -> Result<String, String> {
    let s = normalize::clean(&raw.replace(['\u{2019}', '\u{02BC}', '`'], "'"));
    if s.is_empty() {
        return Err("必填".into());
    }
    if s.chars().any(|c| c.is_ascii_digit()) {
        return Err("不能含数字".into());
    }
    let han = s.chars().any(is_han);
    let latin = s.chars().any(is_latin_letter);
    if han && latin {
        return Err("请只用汉字或只用拉丁字母书写".into());
    }
    if han {
        // A full stop, half-width or the ideographic one (。), typed for the middle dot.
        let s: String =
            s.chars().filter(|&c| c != ' ').map(|c| if c == '.' || c == '。' { MIDDLE_DOT } else { c }).collect();
        only(&s, |c| is_han(c) || c == MIDDLE_DOT)?;
        if s.starts_with(MIDDLE_DOT) || s.ends_with(MIDDLE_DOT) || s.contains("··") {
            return Err("间隔号“·”只能用在名字中间".into());
        }
        let n = s.chars().filter(|&c| c != MIDDLE_DOT).count();
        if n < 2 {
            return Err("至少2个字".into());
        }
        length(&s, 2, PERSON_NAME_CJK_MAX)?;
        Ok(s)
    } else {
        only(&s, |c| is_latin_letter(c) || " -'.".contains(c))?;
        if s.chars().filter(|&c| is_latin_letter(c)).count() < 2 {
            return Err("至少2个字母".into());
        }
        length(&s, 2, PERSON_NAME_LATIN_MAX)?;
        Ok(s)
    }
}

/// A Latin letter of a name: ASCII, or an accented one of Latin-1 and Latin Extended-A and -B
/// (é, ü, ñ, ø, ł, ș); not the signs × and ÷ that share that block.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (('\u{00C0}'..='\u{024F}').contains(&c) && c.is_alphabetic())
}

/// A mainland mobile number: 11 digits, 1 then 3 to 9. `+86` and separators are dropped.
pub fn mobile(raw: &str) -> Result<String, String> {
    let digits = phone_digits(raw)?;
    let d = strip_country(&digits);
    if is_mobile(d) {
        Ok(d.to_owned())
    } else {
        Err("不是有效的手机号（11位，以1开头）".into())
    }
}

/// 联系电话: a mainland mobile number, or a Kaifeng landline (area code 0371, 8-digit number;
/// a bare 8-digit number is taken as local). Stored as `13800001111` or `0371-23456789`.
pub fn phone(raw: &str) -> Result<String, String> {
    let digits = phone_digits(raw)?;
    let d = strip_country(&digits);
    if is_mobile(d) {
        return Ok(d.to_owned());
    }
    if let Some(local) = d.strip_prefix("0371") {
        if is_local(local) {
            return Ok(format!("0371-{local}"));
        }
        return Err("开封固定电话应为0371加8位号码".into());
    }
    if is_local(d) {
        return Ok(format!("0371-{d}"));
    }
    if d.starts_with('0') && d.len() >= 10 {
        return Err("不是开封的固定电话（区号应为0371）".into());
    }
    if d.starts_with('1') && d.len() == 11 {
        return Err("不是有效的手机号（第二位应为3至9）".into());
    }
    Err("请填写11位手机号或0371开头的固定电话".into())
}

fn phone_digits(raw: &str) -> Result<String, String> {
    let s = normalize::compact(raw);
    if s.is_empty() {
        return Err("必填".into());
    }
    let plus = s.starts_with('+');
    let body = s.trim_start_matches('+');
    only(body, |c| c.is_ascii_digit() || "-()（）".contains(c)).map_err(|e| format!("{e}，只能填数字"))?;
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > 20 {
        return Err("号码过长".into());
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

fn strip_country(d: &str) -> &str {
    for p in ["+86", "0086", "86"] {
        if let Some(rest) = d.strip_prefix(p) {
            if is_mobile(rest) {
                return rest;
            }
        }
    }
    d.trim_start_matches('+')
}

fn is_mobile(d: &str) -> bool {
    d.len() == 11
        && d.starts_with('1')
        && matches!(d.as_bytes().get(1), Some(b'3'..=b'9'))
        && d.bytes().all(|b| b.is_ascii_digit())
}

fn is_local(d: &str) -> bool {
    d.len() == 8 && matches!(d.as_bytes().first(), Some(b'2'..=b'9')) && d.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_venue_name_cannot_be_made_to_show_otherwise() {
        // A right-to-left override (and its kin) would show "张记面馆" + reversed text.
        assert_eq!(venue_name("张记面馆\u{202E}店馆").unwrap(), "张记面馆店馆");
        assert_eq!(venue_name("\u{2067}张记\u{2069}面馆\u{200F}").unwrap(), "张记面馆");
    }
    use crate::error::Error;

    fn good() -> VenueInput {
        VenueInput {
            kind: "general".into(),
            category: "mall".into(),
            name: "大商新玛特(鼓楼店)".into(),
            district: "gulou".into(),
            address: "中山路中段18号".into(),
            manager_name: "王建国".into(),
            manager_phone: "13837800001".into(),
        }
    }

    fn fields(e: Error) -> Vec<(String, String)> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| (f.field, f.message)).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn r3_a_complete_registration_passes_normalized() {
        let mut i = good();
        i.name = "　大商新玛特（鼓楼店）　".into();
        i.manager_phone = "１３８ ３７８０ ０００１".into();
        let v = venue(&i).unwrap();
        assert_eq!(v.name, "大商新玛特(鼓楼店)");
        assert_eq!(v.manager_phone, "13837800001");
        assert_eq!(v.category, Category::Mall);
    }

    #[test]
    fn r3_every_bad_field_is_reported_with_its_chinese_label() {
        let e = venue(&VenueInput::default()).unwrap_err();
        let f = fields(e);
        let keys: Vec<_> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["kind", "category", "district", "name", "address", "manager_name", "manager_phone"]);
        assert_eq!(f[0].1, "码的类型：请选择");
        assert_eq!(f[3].1, "场所名称：必填");
        assert_eq!(f[6].1, "联系电话：必填");
    }

    #[test]
    fn a_checkpoint_has_its_own_category_and_no_other_venue_claims_it() {
        let mut i = good();
        i.kind = "checkpoint".into();
        i.category = String::new();
        assert_eq!(venue(&i).unwrap().category, Category::Checkpoint, "chosen for a checkpoint left empty");
        i.category = "交通卡口（疫情防控检查站）".into();
        assert_eq!(venue(&i).unwrap().category, Category::Checkpoint, "full-width brackets");
        i.category = "logistics".into();
        assert_eq!(venue(&i).unwrap().category, Category::Logistics, "registered before 交通卡口 existed");
        let mut g = good();
        g.category = "checkpoint".into();
        let f = fields(venue(&g).unwrap_err());
        assert_eq!(f, [("category".into(), "场所类型：“交通卡口”只用于专属场所码·交通卡口，请选择其他类型".into())]);
        g.kind = "destination".into();
        assert_eq!(fields(venue(&g).unwrap_err())[0].0, "category", "a destination is not a checkpoint");
    }

    #[test]
    fn unknown_choice_is_refused() {
        let mut i = good();
        i.category = "'; DROP TABLE venues;--".into();
        assert_eq!(
            fields(venue(&i).unwrap_err()),
            [("category".into(), "场所类型：不在可选范围内，请从列表中选择".into())]
        );
    }

    #[test]
    fn names_as_people_write_them_are_normalized_not_refused() {
        // Stray spaces an input method leaves between Chinese characters.
        assert_eq!(person_name("王 五").unwrap(), "王五");
        assert_eq!(person_name("王\u{3000}五").unwrap(), "王五");
        assert_eq!(person_name("买买提 · 艾力").unwrap(), "买买提·艾力");
        // A full stop or a katakana dot typed for the middle dot.
        assert_eq!(person_name("买买提.艾力").unwrap(), "买买提·艾力");
        assert_eq!(person_name("买买提．艾力").unwrap(), "买买提·艾力");
        assert_eq!(person_name("买买提。艾力").unwrap(), "买买提·艾力", "a Chinese keyboard's full stop");
        assert_eq!(person_name("买买提・艾力").unwrap(), "买买提·艾力");
        // Latin names as a passport prints them, accents of the visual zone included.
        assert_eq!(person_name("John Smith").unwrap(), "John Smith");
        assert_eq!(person_name("José  Müller-O’Neil").unwrap(), "José Müller-O'Neil");
        assert_eq!(person_name("ØSTERGÅRD ŁUKASZ").unwrap(), "ØSTERGÅRD ŁUKASZ");
        assert_eq!(person_name("Ｊｏｈｎ　Ｓｍｉｔｈ").unwrap(), "John Smith");
        // Long real names fit: a Uyghur name in Chinese, a Spanish one in full.
        assert_eq!(person_name("阿卜杜热合曼·买买提明·艾山江·吐尔逊").unwrap().chars().count(), 19);
        let long = "María Fernanda de los Ángeles González de la Cruz y Villanueva";
        assert_eq!(person_name(long).unwrap(), long);
        // Still refused: signs that share the Latin block, a mix of scripts, digits.
        assert_eq!(person_name("Ann×Lee").unwrap_err(), "含有不允许的字符“×”");
        assert_eq!(person_name("王José").unwrap_err(), "请只用汉字或只用拉丁字母书写");
        assert_eq!(person_name("Jos3").unwrap_err(), "不能含数字");
        assert_eq!(person_name("王.").unwrap_err(), "间隔号“·”只能用在名字中间");
        assert_eq!(person_name("王五.").unwrap_err(), "间隔号“·”只能用在名字中间");
    }

    #[test]
    fn venue_name_lengths_and_characters() {
        assert_eq!(venue_name("超市").unwrap(), "超市");
        assert_eq!(venue_name(&"店".repeat(60)).unwrap().chars().count(), 60);
        assert_eq!(venue_name(&"店".repeat(61)).unwrap_err(), "不能超过60个字（现为61个）");
        assert_eq!(venue_name(&"a".repeat(10_240)).unwrap_err(), "不能超过60个字（现为10240个）");
        assert_eq!(venue_name("店").unwrap_err(), "至少2个字");
        assert_eq!(venue_name("𠈌𡒄酒家").unwrap(), "𠈌𡒄酒家");
        assert_eq!(venue_name("McDonald's 麦当劳").unwrap(), "McDonald's 麦当劳");
        assert_eq!(venue_name("<script>alert(1)</script>").unwrap_err(), "含有不允许的字符“<”");
        assert_eq!(venue_name("好运来😀饭店").unwrap_err(), "含有不允许的字符“😀”");
        assert_eq!(venue_name("超市; DROP TABLE venues").unwrap_err(), "含有不允许的字符“;”");
        assert_eq!(venue_name("12345").unwrap_err(), "应含有文字，不能只有数字或符号");
        assert_eq!(venue_name("超\u{0007}市").unwrap_err(), "含有不可见的控制字符");
    }

    #[test]
    fn address_must_be_findable() {
        let d = Some(District::Gulou);
        assert_eq!(address("鼓楼区中山路18号", d).unwrap(), "鼓楼区中山路18号");
        assert_eq!(address("开封市鼓楼区中山路１８号", d).unwrap(), "开封市鼓楼区中山路18号");
        assert!(address("八里湾镇大李庄村", Some(District::Xiangfu)).is_ok());
        assert!(address("连霍高速开封西收费站", Some(District::Longting)).is_ok());
        assert!(address("G310与金明大道交叉口", Some(District::Longting)).is_ok());
        assert!(address("𡒄家村", Some(District::Qixian)).is_ok());
        assert_eq!(address("鼓楼区", d).unwrap_err(), "只写了辖区，请写明路、街或村，以及门牌号或标志性建筑");
        assert_eq!(address("开封市鼓楼区", d).unwrap_err(), "只写了辖区，请写明路、街或村，以及门牌号或标志性建筑");
        assert_eq!(address("鼓楼区中山路", d).unwrap_err(), "缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）");
        assert_eq!(address("鼓楼区那边", d).unwrap_err(), "缺少路、街、村等位置信息，无法找到这个地址");
        assert_eq!(address("龙亭区中山路18号", d).unwrap_err(), "写的是龙亭区，与所在辖区“鼓楼区”不一致");
        for written in
            ["开封市龙亭区北门大街20号", "河南省开封市 龙亭区北门大街20号", "龙亭区北门大街20号", "北门大街20号"]
        {
            assert_eq!(address_tail(written), "北门大街20号", "{written}");
        }
        assert_eq!(address("中山路18号<b>", d).unwrap_err(), "含有不允许的字符“<”");
        assert_eq!(address("中山路18号'; DROP TABLE venues;--", d).unwrap_err(), "含有不允许的字符“'”");
        assert!(address(&"路".repeat(10_000), d).unwrap_err().starts_with("不能超过120个字"));
    }

    /// A visitor from abroad writes the address in English or in pinyin as street signs print it.
    #[test]
    fn an_address_in_latin_letters_is_findable_too() {
        for ok in [
            "18 Zhongshan Road",
            "Zhongshan Lu 18",
            "No. 5, Beimen Dajie",
            "Kaifeng Hostel, Gulou Street",
            "Apt 3, 12 Ziyou Rd.",
        ] {
            assert_eq!(findable(ok), Ok(()), "{ok}");
        }
        // Whole words only: "Stone" is no street, "Hotelier" no hotel.
        assert_eq!(findable("Stone 18").unwrap_err(), "缺少路、街、村等位置信息，无法找到这个地址");
        assert_eq!(findable("near the lake").unwrap_err(), "缺少路、街、村等位置信息，无法找到这个地址");
        assert_eq!(findable("Zhongshan Road").unwrap_err(), "缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）");
        assert_eq!(
            findable("Zhongshan Road Hotelier").unwrap_err(),
            "缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）"
        );
        assert_eq!(
            crate::checkin::home_address("Kaifeng Hostel, 18 Gulou Street").as_deref(),
            Ok("Kaifeng Hostel, 18 Gulou Street")
        );
    }

    #[test]
    fn person_names_chinese_minority_rare_and_latin() {
        assert_eq!(person_name("王建国").unwrap(), "王建国");
        assert_eq!(person_name("买买提・艾力").unwrap(), "买买提·艾力");
        assert_eq!(person_name("阿依古丽·买买提").unwrap(), "阿依古丽·买买提");
        assert_eq!(person_name("王𠈌").unwrap(), "王𠈌");
        assert_eq!(person_name("  John   O'Neil-Smith ").unwrap(), "John O'Neil-Smith");
        assert_eq!(person_name("Ｊｏｈｎ").unwrap(), "John");
        assert_eq!(person_name("王").unwrap_err(), "至少2个字");
        assert_eq!(person_name("王建国2").unwrap_err(), "不能含数字");
        assert_eq!(person_name("王建国😀").unwrap_err(), "含有不允许的字符“😀”");
        assert_eq!(person_name("王<b>").unwrap_err(), "请只用汉字或只用拉丁字母书写");
        assert_eq!(person_name("<script>").unwrap_err(), "含有不允许的字符“<”");
        assert_eq!(person_name("·买买提").unwrap_err(), "间隔号“·”只能用在名字中间");
        assert_eq!(person_name("买买提··艾力").unwrap_err(), "间隔号“·”只能用在名字中间");
        assert_eq!(person_name("王Jack").unwrap_err(), "请只用汉字或只用拉丁字母书写");
        assert_eq!(person_name(&"王".repeat(31)).unwrap_err(), "不能超过30个字（现为31个）");
        assert!(person_name(&"a".repeat(10_240)).unwrap_err().starts_with("不能超过80个字"));
        assert_eq!(person_name("").unwrap_err(), "必填");
        assert_eq!(person_name("　").unwrap_err(), "必填");
    }

    #[test]
    fn phones_mobile_and_kaifeng_landline() {
        assert_eq!(phone("13837800001").unwrap(), "13837800001");
        assert_eq!(phone("+86 138-3780-0001").unwrap(), "13837800001");
        assert_eq!(phone("８６１３８３７８００００１").unwrap(), "13837800001");
        assert_eq!(phone("0371-23456789").unwrap(), "0371-23456789");
        assert_eq!(phone("(0371)23456789").unwrap(), "0371-23456789");
        assert_eq!(phone("23456789").unwrap(), "0371-23456789");
        assert_eq!(phone("010-62345678").unwrap_err(), "不是开封的固定电话（区号应为0371）");
        assert_eq!(phone("0371-1234").unwrap_err(), "开封固定电话应为0371加8位号码");
        assert_eq!(phone("12345678901").unwrap_err(), "不是有效的手机号（第二位应为3至9）");
        assert_eq!(phone("1383780000").unwrap_err(), "请填写11位手机号或0371开头的固定电话");
        assert_eq!(phone("138abc00001").unwrap_err(), "含有不允许的字符“a”，只能填数字");
        assert_eq!(phone("138'; DROP").unwrap_err(), "含有不允许的字符“'”，只能填数字");
        assert_eq!(phone(&"1".repeat(10_240)).unwrap_err(), "号码过长");
        assert_eq!(mobile("0371-23456789").unwrap_err(), "不是有效的手机号（11位，以1开头）");
        assert_eq!(mobile("+8613837800001").unwrap(), "13837800001");
    }

    #[test]
    fn is_han_covers_extensions_but_not_emoji_or_kana() {
        assert!(is_han('中') && is_han('𠈌') && is_han('𡒄') && is_han('〇'));
        assert!(!is_han('😀') && !is_han('あ') && !is_han('A') && !is_han('·'));
    }
}
