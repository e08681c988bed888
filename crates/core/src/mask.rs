//! Masking of personal data for screens and lists (R12): the surname and the ends of numbers.

/// The most stars a masked name shows: a long name does not spill over a list's columns, nor
/// tell its length.
pub const NAME_STARS_MAX: usize = 5;

/// 王建国 → 王**; 买买提·艾力 → 买*****; John Smith → J*****.
pub fn name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.take(NAME_STARS_MAX).map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// 11010519491231002X → 110***********002X: the region's first digits and the last four,
/// which a returning visitor types. A shorter document (a passport, a permit) shows its last
/// four only: E12345678 → *****5678; a passport of five to seven characters its last two, so
/// staff have something to compare (E1234 → ***34). A child registered without a document
/// shows as what it is: 儿童（2019年生）.
pub fn id_number(s: &str) -> String {
    if let Some((_, birth)) = crate::identity::child_parts(s) {
        return format!("儿童（{}年生）", chrono::Datelike::year(&birth));
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    if chars.len() <= 7 {
        let n = chars.len();
        return chars.iter().enumerate().map(|(i, &c)| if i >= n - 2 { c } else { '*' }).collect();
    }
    if chars.len() < 15 {
        let n = chars.len();
        return chars.iter().enumerate().map(|(i, &c)| if i >= n - 4 { c } else { '*' }).collect();
    }
    let n = chars.len();
    chars.iter().enumerate().map(|(i, &c)| if i < 3 || i >= n - 4 { c } else { '*' }).collect()
}

/// A document number with its last four only (11010519491231002X → **************002X), as a
/// trip shows its crew to the other desk: the region's digits would narrow a keyed hash's search.
pub fn last_four(s: &str) -> String {
    let n = s.chars().count();
    s.chars().enumerate().map(|(i, c)| if i + 4 >= n { c } else { '*' }).collect()
}

/// 13837800001 → 138****0001; 0371-23456789 → 0371-****6789.
pub fn phone(s: &str) -> String {
    if let Some(local) = s.strip_prefix("0371-") {
        let keep: String = local.chars().skip(4).collect();
        return format!("0371-****{keep}");
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    chars.iter().enumerate().map(|(i, &c)| if i < 3 || i >= n - 4 { c } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks() {
        assert_eq!(super::name("王建国"), "王**");
        assert_eq!(super::name("𠈌𡒄"), "𠈌*");
        assert_eq!(super::name(""), "");
        assert_eq!(super::id_number("11010519491231002X"), "110***********002X");
        assert_eq!(super::id_number("H1234"), "***34");
        assert_eq!(super::id_number("1234"), "****");
        assert_eq!(super::name("John Smith"), "J*****", "at most five stars");
        assert_eq!(super::name("买买提·艾力"), "买*****");
        assert_eq!(super::name(&"M".repeat(80)), "M*****");
        assert_eq!(super::id_number("E12345678"), "*****5678");
        assert_eq!(super::id_number("H12345678"), "*****5678");
        let birth = chrono::NaiveDate::from_ymd_opt(2019, 3, 4).unwrap();
        let child = crate::identity::child_number("11010519491231002X", birth, "王小雨");
        assert_eq!(super::id_number(&child), "儿童（2019年生）", "neither the guardian's number nor a tag");
        // A 17-character passport with a C where a child's mark would be is a passport still.
        assert_eq!(super::id_number("E1234C20190304ABC"), "E12**********4ABC");
        assert_eq!(super::last_four("11010519491231002X"), "**************002X");
        assert_eq!(super::last_four("123"), "123");
        assert_eq!(super::phone("13837800001"), "138****0001");
        assert_eq!(super::phone("0371-23456789"), "0371-****6789");
    }
}
