//! The colour decision (R7): the health-code colour from the risk list, raised by what the
//! person declared. This is the one place the rule is written; the desk and the server both
//! call [`decide`].
//!
//! | source                                   | colour |
//! |------------------------------------------|--------|
//! | not on the risk list                     | green  |
//! | on the risk list                         | its colour (green, yellow or red) |
//! | contact with a suspected case (接触疑似病人) | red    |
//! | fever: 37.3 ℃ or above, or 体温异常       | yellow |
//! | fever or cough symptoms (发热/咳嗽症状)    | yellow |
//! | visited a severe or medium/high-risk area | yellow |
//!
//! The result is the highest colour of all sources, with every reason listed. Where the venue
//! code's decision and the provincial health code differ, the venue code's colour and message
//! are the ones shown and recorded (R7).

use serde::{Deserialize, Serialize};

/// 健康码颜色. Ordered: a higher colour wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

impl Colour {
    pub fn key(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Yellow => "yellow",
            Colour::Red => "red",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Colour::Green => "绿码",
            Colour::Yellow => "黄码",
            Colour::Red => "红码",
        }
    }

    /// Accepts green/yellow/red, 绿/黄/红 and 绿码/黄码/红码, in any width or case.
    pub fn parse(s: &str) -> Option<Colour> {
        match crate::normalize::comparable(s).trim_end_matches('码').trim_end_matches('色') {
            "green" | "绿" | "g" => Some(Colour::Green),
            "yellow" | "黄" | "y" => Some(Colour::Yellow),
            "red" | "红" | "r" => Some(Colour::Red),
            _ => None,
        }
    }

    /// What staff do (R7): green is admitted; yellow and red are refused, held apart on the spot
    /// and reported at once.
    pub fn admitted(self) -> bool {
        self == Colour::Green
    }
}

/// The answers that can raise a colour, from either declaration (R5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HealthAnswers {
    /// 是否到过疫情严重地区 / 是否到过中高风险地区
    pub visited_risk_area: bool,
    /// 是否接触过疑似病人
    pub contact_with_suspected: bool,
    /// 体温是否正常 = false, or 是否有发热/咳嗽症状 = true
    pub symptoms: bool,
    /// A measured temperature in ℃, if taken.
    pub temperature: Option<f32>,
}

/// A risk-list entry as the desk caches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskEntry {
    pub colour: Colour,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    pub colour: Colour,
    /// Every reason that raised the colour, in Chinese; empty for a plain green.
    pub reasons: Vec<String>,
    /// The health code's own colour from the risk list (green when not listed).
    pub health_code: Colour,
}

pub fn decide(risk: Option<&RiskEntry>, answers: &HealthAnswers) -> Decision {
    let mut colour = Colour::Green;
    let mut reasons = Vec::new();
    let mut raise = |c: Colour, why: String| {
        colour = colour.max(c);
        reasons.push(why);
    };
    let health_code = risk.map_or(Colour::Green, |r| r.colour);
    if let Some(r) = risk.filter(|r| r.colour != Colour::Green) {
        let why = if r.reason.is_empty() { String::new() } else { format!("：{}", r.reason) };
        raise(r.colour, format!("风险人员名单为{}{why}", r.colour.label()));
    }
    if answers.contact_with_suspected {
        raise(Colour::Red, "申报接触过疑似病人".into());
    }
    match answers.temperature {
        Some(t) if crate::identity::is_fever(t) => raise(Colour::Yellow, format!("体温{t:.1}℃，达到发热标准")),
        _ => {}
    }
    if answers.symptoms {
        raise(Colour::Yellow, "申报有发热、咳嗽等症状或体温异常".into());
    }
    if answers.visited_risk_area {
        raise(Colour::Yellow, "申报到过疫情严重地区或中高风险地区".into());
    }
    Decision { colour, reasons, health_code }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(colour: Colour) -> RiskEntry {
        RiskEntry { colour, reason: "密接".into() }
    }

    #[test]
    fn r7_not_listed_and_nothing_declared_is_green() {
        let d = decide(None, &HealthAnswers::default());
        assert_eq!(d.colour, Colour::Green);
        assert!(d.reasons.is_empty() && d.colour.admitted());
    }

    #[test]
    fn r7_risk_list_colour_is_taken() {
        let d = decide(Some(&listed(Colour::Red)), &HealthAnswers::default());
        assert_eq!((d.colour, d.health_code), (Colour::Red, Colour::Red));
        assert_eq!(d.reasons, ["风险人员名单为红码：密接"]);
        assert!(!d.colour.admitted());
    }

    #[test]
    fn r7_declaration_raises_a_green_health_code_and_the_venue_colour_wins() {
        let answers = HealthAnswers { temperature: Some(37.3), ..Default::default() };
        let d = decide(Some(&listed(Colour::Green)), &answers);
        assert_eq!((d.colour, d.health_code), (Colour::Yellow, Colour::Green));
        assert_eq!(d.reasons, ["体温37.3℃，达到发热标准"]);
        let d = decide(None, &HealthAnswers { temperature: Some(37.2), ..Default::default() });
        assert_eq!(d.colour, Colour::Green);
    }

    #[test]
    fn contact_is_red_even_over_yellow() {
        let answers = HealthAnswers { contact_with_suspected: true, visited_risk_area: true, ..Default::default() };
        let d = decide(Some(&listed(Colour::Yellow)), &answers);
        assert_eq!(d.colour, Colour::Red);
        assert_eq!(d.reasons.len(), 3);
    }

    #[test]
    fn a_declaration_never_lowers_a_listed_colour() {
        let d = decide(Some(&listed(Colour::Red)), &HealthAnswers { temperature: Some(36.5), ..Default::default() });
        assert_eq!(d.colour, Colour::Red);
    }

    #[test]
    fn colour_parsing() {
        assert_eq!(Colour::parse("红码"), Some(Colour::Red));
        assert_eq!(Colour::parse(" YELLOW "), Some(Colour::Yellow));
        assert_eq!(Colour::parse("绿"), Some(Colour::Green));
        assert_eq!(Colour::parse("blue"), None);
        assert_eq!(Colour::parse("<red>"), None);
    }
}
