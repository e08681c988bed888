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
//!
//! A raised colour sticks ([`Raised`], [`decide_at`]): yellow or red from a declaration or the
//! risk list is kept for the person for [`RAISED_KEEP_DAYS`] unless the epidemic office clears
//! it, so a second scan, another desk or the phone cannot turn it green.

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

/// A risk-list entry as the door sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskEntry {
    pub colour: Colour,
    pub reason: String,
    /// The list names this very person: the centre's own list, or the centre confirmed it. A
    /// desk's door tag that matched without confirmation (offline, or a list imported on the
    /// desk, whose tags many numbers share) is shown and acted on, but never kept ([`raise`]):
    /// a stranger who shares a tag must not stay red for 14 days everywhere.
    pub confirmed: bool,
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

/// The colour this check-in leaves kept for the person (赋色保持), if any: from the fresh causes
/// (what they declared now, and a confirmed risk-list entry) merged with what was kept before
/// (see [`Raised::after`]). One rule for the desk and the phone page.
pub fn raise(
    risk: Option<&RiskEntry>,
    kept: Option<&Raised>,
    answers: &HealthAnswers,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Raised> {
    let fresh = decide(risk.filter(|r| r.confirmed), answers);
    if fresh.colour == Colour::Green {
        None
    } else {
        Raised::after(&fresh, kept, now)
    }
}

/// How long a raised colour is kept when nobody clears it (days).
pub const RAISED_KEEP_DAYS: i64 = 14;

/// A colour raised for a person at an earlier check-in, kept until `until` (UTC) unless the
/// epidemic office clears it (赋色保持).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    pub colour: Colour,
    pub until: chrono::DateTime<chrono::Utc>,
}

impl Raised {
    /// Two kept colours of one person as one: the higher colour, the later end (赋色保持's one
    /// merge rule, on the desk, at the centre and in what the centre sends).
    pub fn merge(self, other: Raised) -> Raised {
        Raised { colour: self.colour.max(other.colour), until: self.until.max(other.until) }
    }

    /// What a decision from fresh causes (the risk list, this declaration) leaves behind: its
    /// colour for [`RAISED_KEEP_DAYS`], merged with what was already kept (the higher colour,
    /// the later end). A colour shown only because it was kept is not fresh and extends nothing.
    pub fn after(fresh: &Decision, kept: Option<&Raised>, now: chrono::DateTime<chrono::Utc>) -> Option<Raised> {
        let kept = kept.filter(|k| k.until > now && k.colour != Colour::Green).copied();
        if fresh.colour == Colour::Green {
            return kept;
        }
        let new = Raised { colour: fresh.colour, until: now + chrono::Duration::days(RAISED_KEEP_DAYS) };
        Some(kept.map_or(new, |k| k.merge(new)))
    }

    /// Whether a pushed raise is believable: a colour above green kept for at most the period
    /// from its check-in (a desk cannot mark someone for longer than the rule does).
    pub fn plausible(&self, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.colour != Colour::Green
            && self.until > at
            && self.until <= at + chrono::Duration::days(RAISED_KEEP_DAYS) + chrono::Duration::minutes(5)
    }
}

/// [`decide`], then a colour kept from an earlier check-in (until `until`) raises the result
/// like a risk-list entry: the door cannot be talked down to green within the period.
pub fn decide_at(
    risk: Option<&RiskEntry>,
    kept: Option<&Raised>,
    answers: &HealthAnswers,
    now: chrono::DateTime<chrono::Utc>,
) -> Decision {
    let mut d = decide(risk, answers);
    if let Some(k) = kept.filter(|k| k.until > now && k.colour != Colour::Green) {
        let until = k.until.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!()));
        d.colour = d.colour.max(k.colour);
        d.reasons.push(format!(
            "近期已判定为{}，{}前保持，须经疫情防控部门解除",
            k.colour.label(),
            until.format("%Y-%m-%d %H:%M")
        ));
    }
    d
}

/// A person registered by hand with a guardian who came with them (R6): a guardian held yellow
/// or red at the door (the risk list, a colour kept) makes each person they brought at least that
/// colour, the guardian named as why, so the screen stops the family at the door and the guardian
/// is dealt with too. The guardian's own answers are not asked, so they raise nothing.
pub fn with_guardian(mut d: Decision, guardian: &Decision) -> Decision {
    if guardian.colour != Colour::Green {
        d.colour = d.colour.max(guardian.colour);
        d.reasons.push(format!(
            "陪同的监护人为{}（{}），须一并处置",
            guardian.colour.label(),
            guardian.reasons.join("；")
        ));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r6_a_guardian_held_at_the_door_holds_whoever_they_brought() {
        let child = decide(None, &HealthAnswers::default());
        let red = decide(Some(&listed(Colour::Red)), &HealthAnswers::default());
        let d = with_guardian(child.clone(), &red);
        assert_eq!((d.colour, d.health_code), (Colour::Red, Colour::Green), "the child's own code is not the list's");
        assert!(d.reasons[0].starts_with("陪同的监护人为红码（") && d.reasons[0].contains("密接"), "{:?}", d.reasons);
        let fever = decide(None, &HealthAnswers { temperature: Some(38.5), ..HealthAnswers::default() });
        let yellow = decide(Some(&listed(Colour::Yellow)), &HealthAnswers::default());
        assert_eq!(with_guardian(fever.clone(), &yellow).colour, Colour::Yellow);
        assert_eq!(with_guardian(fever.clone(), &child), fever, "a green guardian changes nothing");
    }

    fn listed(colour: Colour) -> RiskEntry {
        RiskEntry { colour, reason: "密接".into(), confirmed: true }
    }

    #[test]
    fn r7_an_unconfirmed_match_is_shown_but_never_kept() {
        let now = chrono::Utc::now();
        let maybe = RiskEntry { colour: Colour::Red, reason: "可能匹配".into(), confirmed: false };
        let d = decide_at(Some(&maybe), None, &HealthAnswers::default(), now);
        assert_eq!(d.colour, Colour::Red, "held red at the door");
        assert_eq!(raise(Some(&maybe), None, &HealthAnswers::default(), now), None, "nothing kept");
        let sure = RiskEntry { confirmed: true, ..maybe.clone() };
        assert_eq!(raise(Some(&sure), None, &HealthAnswers::default(), now).map(|r| r.colour), Some(Colour::Red));
        // What the person declared is kept whatever the match.
        let fever = HealthAnswers { symptoms: true, ..HealthAnswers::default() };
        assert_eq!(raise(Some(&maybe), None, &fever, now).map(|r| r.colour), Some(Colour::Yellow));
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

    fn t(h: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-29T02:00:00Z").unwrap().with_timezone(&chrono::Utc)
            + chrono::Duration::hours(h)
    }

    #[test]
    fn r7_a_raised_colour_sticks_over_a_healthy_rescan() {
        let fever = decide(None, &HealthAnswers { symptoms: true, ..Default::default() });
        let kept = Raised::after(&fever, None, t(0)).unwrap();
        assert_eq!((kept.colour, kept.until), (Colour::Yellow, t(14 * 24)));
        // Two minutes later, scanned by ID with nothing declared: still yellow, with the reason.
        let again = decide_at(None, Some(&kept), &HealthAnswers::default(), t(0) + chrono::Duration::minutes(2));
        assert_eq!(again.colour, Colour::Yellow);
        assert_eq!(again.reasons, ["近期已判定为黄码，2026-12-13 10:00前保持，须经疫情防控部门解除"]);
        // A rescan that is yellow only because it was kept extends nothing.
        assert_eq!(Raised::after(&decide(None, &HealthAnswers::default()), Some(&kept), t(48)), Some(kept));
        // The period ends: green again.
        assert_eq!(decide_at(None, Some(&kept), &HealthAnswers::default(), t(14 * 24 + 1)).colour, Colour::Green);
        assert_eq!(Raised::after(&decide(None, &HealthAnswers::default()), Some(&kept), t(14 * 24 + 1)), None);
    }

    #[test]
    fn r7_the_higher_colour_and_the_later_end_are_kept() {
        let kept = Raised { colour: Colour::Red, until: t(100) };
        let yellow = decide(None, &HealthAnswers { visited_risk_area: true, ..Default::default() });
        let merged = Raised::after(&yellow, Some(&kept), t(10)).unwrap();
        assert_eq!((merged.colour, merged.until), (Colour::Red, t(10 + 14 * 24)));
        // The risk list's red is fresh too; a kept yellow never lowers it.
        let d = decide_at(
            Some(&listed(Colour::Red)),
            Some(&Raised { colour: Colour::Yellow, until: t(5) }),
            &HealthAnswers::default(),
            t(1),
        );
        assert_eq!(d.colour, Colour::Red);
    }

    #[test]
    fn a_pushed_raise_must_be_within_the_period() {
        assert!(Raised { colour: Colour::Yellow, until: t(14 * 24) }.plausible(t(0)));
        assert!(!Raised { colour: Colour::Yellow, until: t(15 * 24) }.plausible(t(0)));
        assert!(!Raised { colour: Colour::Green, until: t(1) }.plausible(t(0)));
        assert!(!Raised { colour: Colour::Red, until: t(-1) }.plausible(t(0)));
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
