//! Input normalization, applied before any rule: people type with Chinese input methods, so
//! full-width digits, letters and spaces are common and must mean the same as half-width ones.

/// Full-width ASCII (U+FF01..U+FF5E) to half-width, the ideographic space to a space, and the
/// many look-alike middle dots to U+00B7 (the dot in minority names such as 买买提·艾力).
///
/// Invisible formatting characters are dropped: the bidirectional overrides and isolates (a note
/// "录入\u{202E}误错" would show as something else than it says), zero-width spaces, the BOM and
/// the soft hyphen. The zero-width joiners that emoji sequences need are kept.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .filter(|c| !invisible_format(*c))
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\u{00A0}' | '\u{2002}'..='\u{200A}' => ' ',
            '\u{30FB}' | '\u{2027}' | '\u{2022}' | '\u{FF65}' | '\u{2219}' | '\u{22C5}' => '\u{00B7}',
            _ => c,
        })
        .collect()
}

fn invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            // Hangul fillers: letters by their class, blank on screen ("Other: " and nothing).
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// "含有不允许的字符“<”", naming an invisible character by its code ("U+0007") so the message
/// says something.
pub fn forbidden(c: char) -> String {
    if c.is_control() || (c.is_whitespace() && c != ' ') {
        format!("含有不允许的字符（U+{:04X}）", c as u32)
    } else {
        format!("含有不允许的字符“{c}”")
    }
}

/// Half-width, trimmed, inner runs of whitespace collapsed to one space.
pub fn clean(s: &str) -> String {
    to_half_width(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Half-width with every space removed: for phone and ID numbers, typed with spaces or dashes.
pub fn compact(s: &str) -> String {
    to_half_width(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The form used to compare two entries for sameness: no spaces, Latin lowercased,
/// Chinese and ASCII brackets unified.
pub fn comparable(s: &str) -> String {
    to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_formatting_is_dropped_and_forbidden_characters_are_named() {
        assert_eq!(clean("录入\u{202E}误错\u{200B}\u{FEFF}"), "录入误错");
        assert_eq!(clean("\u{3164}\u{3164}"), "", "Hangul fillers show nothing");
        assert_eq!(clean("\u{2066}车牌\u{2069}录错\u{00AD}"), "车牌录错");
        // Emoji sequences keep their joiner.
        assert_eq!(clean("👨\u{200D}👩\u{200D}👧"), "👨\u{200D}👩\u{200D}👧");
        assert_eq!(forbidden('<'), "含有不允许的字符“<”");
        assert_eq!(forbidden('\u{7}'), "含有不允许的字符（U+0007）");
        assert_eq!(forbidden('\n'), "含有不允许的字符（U+000A）");
    }

    #[test]
    fn full_width_digits_letters_and_spaces_become_half_width() {
        assert_eq!(to_half_width("１３８ＡＢｃ　"), "138ABc ");
        assert_eq!(clean("　　鼓楼区　 中山路１号  "), "鼓楼区 中山路1号");
    }

    #[test]
    fn look_alike_dots_become_the_middle_dot() {
        assert_eq!(to_half_width("买买提・艾力"), "买买提·艾力");
        assert_eq!(to_half_width("买买提‧艾力"), "买买提·艾力");
    }

    #[test]
    fn rare_characters_outside_the_bmp_pass_through() {
        assert_eq!(clean(" 𠈌𡒄 "), "𠈌𡒄");
    }

    #[test]
    fn comparable_ignores_spaces_case_and_bracket_width() {
        assert_eq!(comparable("KFC（鼓楼 店）"), comparable("kfc(鼓楼店)"));
    }

    #[test]
    fn compact_removes_all_spaces() {
        assert_eq!(compact("138 0000　１１１１"), "13800001111");
    }
}
