//! Occupancy and 限流: how many people are inside a venue now, against its capacity and the share
//! of it the venue may admit, and who counts as inside.
//!
//! A person is inside from a check-in the door let through (green) until they leave: a 离场 scan,
//! the desk's 离场 key, or, for those who never check out (most people), automatically once their
//! stay passes the venue's stay limit. A person checked in twice without leaving is one person.
//! The same rule counts at the desk (in SQL over its visits, checked against [`inside`] by a
//! property test) and is what the centre will count.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The largest capacity a venue may state (a stadium or a scenic area).
pub const CAPACITY_MAX: u32 = 1_000_000;
/// The stay after which someone who never checked out counts as gone, unless the venue sets
/// another: a market visit, a meal, a museum.
pub const STAY_DEFAULT_MINUTES: u32 = 180;
pub const STAY_MIN_MINUTES: u32 = 10;
pub const STAY_MAX_MINUTES: u32 = 24 * 60;

/// A venue's limit as its administrator sets it (or the centre pushes it): its capacity, the
/// share of it allowed in now (限流, in percent), and the stay after which people leave by
/// themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Limit {
    pub capacity: u32,
    pub percent: u32,
    pub stay_minutes: u32,
}

impl Limit {
    /// Checks a limit as typed, each field with its Chinese reason.
    pub fn checked(capacity: i64, percent: i64, stay_minutes: i64) -> Result<Limit, crate::Error> {
        let mut errors = Vec::new();
        let mut field = |name: &str, v: i64, lo: i64, hi: i64, label: &str| -> u32 {
            if (lo..=hi).contains(&v) {
                u32::try_from(v).unwrap_or(0)
            } else {
                errors.push(crate::FieldError { field: name.into(), message: format!("{label}：应为{lo}至{hi}") });
                0
            }
        };
        let capacity = field("capacity", capacity, 1, i64::from(CAPACITY_MAX), "核定容量（人）");
        let percent = field("percent", percent, 1, 100, "限流比例（%）");
        let stay_minutes = field(
            "stay_minutes",
            stay_minutes,
            i64::from(STAY_MIN_MINUTES),
            i64::from(STAY_MAX_MINUTES),
            "自动离场时间（分钟）",
        );
        if errors.is_empty() {
            Ok(Limit { capacity, percent, stay_minutes })
        } else {
            Err(crate::Error::Invalid(errors))
        }
    }

    /// How many may be inside at once: the share of the capacity, rounded down, at least one.
    pub fn max_inside(&self) -> u32 {
        let n = u64::from(self.capacity) * u64::from(self.percent) / 100;
        u32::try_from(n).unwrap_or(u32::MAX).max(1)
    }

    /// Whether one more person may come in with `inside` people inside.
    pub fn admits(&self, inside: u32) -> bool {
        inside < self.max_inside()
    }
}

/// A 限流令: the share of their capacity that the venues of a district (or of the whole city) may
/// admit, given by a district's or the city's office at the centre and pulled by the desks. A
/// venue admits the smallest of its own share and every order over it ([`Limit::under`]); an
/// order never raises a venue's own share. The city's order over a district is kept apart from
/// the district's own over itself: a district cannot loosen or lift what the city ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Order {
    /// The district it covers; none: the whole city.
    pub district: Option<crate::venue::District>,
    /// Given by the city's office (always, over the whole city).
    pub by_city: bool,
    pub percent: u32,
}

/// The scope key of the order over the whole city.
pub const CITY: &str = "city";
const CITY_OVER: &str = "city:";

impl Order {
    /// Checks an order as given: its scope by key exactly (`city`, `city:<district>` for the
    /// city's order over a district, `<district>` for a district's own; field `scope`) and its
    /// share (1 to 100, field `percent`).
    pub fn checked(scope: &str, percent: i64) -> Result<Order, crate::Error> {
        let (district, by_city) =
            Order::parse_scope(scope).ok_or_else(|| crate::Error::invalid("scope", "范围：请选择全市或一个区县"))?;
        match u32::try_from(percent) {
            Ok(p) if (1..=100).contains(&p) => Ok(Order { district, by_city, percent: p }),
            _ => Err(crate::Error::invalid("percent", "限流比例（%）：应为1至100")),
        }
    }

    /// The district and whether the city gave it, from a scope key; none for anything else.
    pub fn parse_scope(scope: &str) -> Option<(Option<crate::venue::District>, bool)> {
        let district = |key: &str| crate::venue::District::ALL.iter().copied().find(|d| d.key() == key);
        match scope {
            CITY => Some((None, true)),
            s => match s.strip_prefix(CITY_OVER) {
                Some(key) => Some((Some(district(key)?), true)),
                None => Some((Some(district(s)?), false)),
            },
        }
    }

    /// The key its scope is kept under: one order per scope, the latest.
    pub fn scope_of(district: Option<crate::venue::District>, by_city: bool) -> String {
        match (district, by_city) {
            (None, _) => CITY.to_owned(),
            (Some(d), true) => format!("{CITY_OVER}{}", d.key()),
            (Some(d), false) => d.key().to_owned(),
        }
    }

    pub fn scope(&self) -> String {
        Order::scope_of(self.district, self.by_city)
    }

    /// Whether the order covers a venue of `district`.
    pub fn covers(&self, district: crate::venue::District) -> bool {
        self.district.is_none_or(|d| d == district)
    }

    /// The strictest share the orders set for a venue of `district`, if any covers it.
    pub fn strictest(orders: &[Order], district: crate::venue::District) -> Option<u32> {
        orders.iter().filter(|o| o.covers(district)).map(|o| o.percent).min()
    }
}

impl Limit {
    /// The limit in force: the venue's own share, or an order's where that is smaller.
    pub fn under(self, ordered: Option<u32>) -> Limit {
        Limit { percent: ordered.map_or(self.percent, |o| o.min(self.percent)), ..self }
    }
}

/// What happened at the door, for counting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A check-in the door let through: a green, or a yellow or red let go with a recorded
    /// decision (a wrong scan, 误扫, is closed at once: `ReleaseReason::closes_visit`); a yellow
    /// or red reported does not enter.
    In { person: String, at: DateTime<Utc> },
    /// A 离场: closes every earlier check-in of the person.
    Out { person: String, at: DateTime<Utc> },
}

/// How many people are inside at `now` after `events` (in any order): each person whose latest
/// check-in is after their latest 离场 and within the stay.
pub fn inside(events: &[Event], now: DateTime<Utc>, stay: Duration) -> u32 {
    use std::collections::HashMap;
    let mut last_in: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut last_out: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for e in events {
        let (map, person, at) = match e {
            Event::In { person, at } => (&mut last_in, person, at),
            Event::Out { person, at } => (&mut last_out, person, at),
        };
        if *at <= now {
            let slot = map.entry(person.as_str()).or_insert(*at);
            if *at > *slot {
                *slot = *at;
            }
        }
    }
    let n = last_in.iter().filter(|(p, at)| **at > now - stay && last_out.get(*p).is_none_or(|out| out < *at)).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The queue at a desk, from the times of its check-ins.
///
/// A desk records when each check-in ended, not when the person stepped up. While people queue,
/// the next one steps up as the last one is done, so the gap between two check-ins is the time
/// the second one took; a gap over [`IDLE_GAP_SECS`] means nobody was waiting and is not a
/// service time.
pub mod queue {
    use chrono::{DateTime, Utc};

    /// A gap longer than this between two check-ins at a desk: nobody was waiting.
    pub const IDLE_GAP_SECS: i64 = 300;
    /// The window the rates are measured over.
    pub const WINDOW_MINUTES: i64 = 15;
    /// The desk was busy this share of the window or more: people are likely waiting; open another
    /// lane.
    pub const BUSY_SHARE: f64 = 0.85;

    /// The seconds each check-in took, from check-in times (any order).
    pub fn service_times(times: &[DateTime<Utc>]) -> Vec<i64> {
        let mut t = times.to_vec();
        t.sort_unstable();
        t.windows(2)
            .filter_map(|w| match w {
                [a, b] => Some((*b - *a).num_seconds()),
                _ => None,
            })
            .filter(|s| (0..=IDLE_GAP_SECS).contains(s))
            .collect()
    }

    /// The `p`th percentile (0 to 100) by nearest rank; none of nothing.
    pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        if n == 0 {
            return None;
        }
        let rank = (usize::try_from(p.min(100)).unwrap_or(100) * n).div_ceil(100).max(1);
        v.get(rank - 1).copied()
    }

    /// What a desk's last [`WINDOW_MINUTES`] say: check-ins per minute, the share of the time it
    /// was busy (check-ins × the median time each), and whether another lane should open.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Load {
        pub per_minute: f64,
        pub busy_share: f64,
        pub open_another_lane: bool,
    }

    pub fn load(recent: usize, median_secs: Option<i64>) -> Load {
        let window = (WINDOW_MINUTES * 60) as f64;
        let n = recent as f64;
        let busy_share = median_secs.map_or(0.0, |m| (n * m as f64 / window).min(1.0));
        Load { per_minute: n / WINDOW_MINUTES as f64, busy_share, open_another_lane: busy_share >= BUSY_SHARE }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).unwrap()
    }

    #[test]
    fn the_queue_is_read_from_the_gaps_between_check_ins() {
        use queue::*;
        let t = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        // A queue (20 s, 30 s, 40 s each), a lunch break, then two more.
        let times = [t(0), t(20), t(50), t(90), t(4000), t(4030)];
        assert_eq!(service_times(&times), vec![20, 30, 40, 30]);
        let shuffled = [t(50), t(4030), t(0), t(90), t(20), t(4000)];
        assert_eq!(service_times(&shuffled), vec![20, 30, 40, 30]);
        assert_eq!(percentile(&[20, 30, 40, 30], 50), Some(30));
        assert_eq!(percentile(&[20, 30, 40, 30], 95), Some(40));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 0), Some(7));
        // 30 check-ins of 30 s in 15 minutes: busy all the time: open another lane.
        let busy = load(30, Some(30));
        assert_eq!((busy.per_minute, busy.busy_share, busy.open_another_lane), (2.0, 1.0, true));
        let calm = load(10, Some(30));
        assert!(!calm.open_another_lane && (calm.busy_share - 1.0 / 3.0).abs() < 1e-9);
        assert!(!load(0, None).open_another_lane);
    }

    #[test]
    fn a_limit_is_checked_field_by_field() {
        let l = Limit::checked(1000, 50, 120).unwrap();
        assert_eq!((l.max_inside(), l.admits(499), l.admits(500)), (500, true, false));
        assert_eq!(Limit::checked(3, 10, 60).unwrap().max_inside(), 1, "never zero");
        assert_eq!(Limit::checked(1_000_000, 100, 60).unwrap().max_inside(), 1_000_000);
        let e = Limit::checked(0, 101, 5).unwrap_err();
        assert_eq!(e.fields(), ["capacity", "percent", "stay_minutes"]);
        assert!(format!("{e:?}").contains("限流比例（%）：应为1至100"), "{e:?}");
        assert!(Limit::checked(i64::MAX, -1, i64::MIN).is_err());
    }

    #[test]
    fn an_order_lowers_a_share_and_never_raises_it() {
        use crate::venue::District::{Gulou, Longting};
        let own = Limit::checked(1000, 80, 120).unwrap();
        let orders = [
            Order::checked("city", 60).unwrap(),
            Order::checked("gulou", 30).unwrap(),
            Order::checked("city:gulou", 50).unwrap(),
        ];
        assert_eq!(Order::strictest(&orders, Gulou), Some(30), "the district's order is the strictest");
        assert_eq!(Order::strictest(&orders, Longting), Some(60), "only the city's covers 龙亭区");
        assert_eq!(Order::strictest(&orders[1..2], Longting), None);
        assert_eq!(own.under(Some(30)).max_inside(), 300);
        assert_eq!(own.under(Some(95)), own, "an order above the venue's own share changes nothing");
        assert_eq!(own.under(None), own);
        assert_eq!(own.under(Some(30)).stay_minutes, 120);
        for bad in [0, 101, -1, i64::MAX, i64::MIN] {
            let e = Order::checked("gulou", bad).unwrap_err();
            assert_eq!(e.fields(), ["percent"], "{bad}");
            assert!(e.to_string().contains("限流比例（%）：应为1至100"), "{e}");
        }
        assert_eq!(Order::checked("city", 100).unwrap().percent, 100);
    }

    #[test]
    fn the_citys_order_over_a_district_is_kept_apart_from_the_districts_own() {
        use crate::venue::District::Gulou;
        let city = Order::checked("city", 50).unwrap();
        let city_over = Order::checked("city:gulou", 40).unwrap();
        let own = Order::checked("gulou", 40).unwrap();
        assert_eq!((city.district, city.by_city, city.scope()), (None, true, "city".to_owned()));
        assert_eq!(
            (city_over.district, city_over.by_city, city_over.scope()),
            (Some(Gulou), true, "city:gulou".to_owned())
        );
        assert_eq!((own.district, own.by_city, own.scope()), (Some(Gulou), false, "gulou".to_owned()));
        assert_eq!(Order::scope_of(None, false), "city", "the whole city is the city's");
        // Only keys, exactly: not a label, not a near miss, not markup.
        for bad in
            ["", "鼓楼区", "GULOU", "gulou ", "city:", "city:鼓楼区", "city:city", "gulou:city", "<b>", "city;drop"]
        {
            let e = Order::checked(bad, 30).unwrap_err();
            assert_eq!(e.fields(), ["scope"], "{bad:?}");
        }
        assert!(Order::checked(&"x".repeat(10_000), 30).is_err());
    }

    #[test]
    fn people_inside_are_counted_once_until_they_leave_or_their_stay_ends() {
        let stay = Duration::minutes(60);
        let ev = |p: &str, m: i64, inn: bool| {
            if inn {
                Event::In { person: p.into(), at: at(m) }
            } else {
                Event::Out { person: p.into(), at: at(m) }
            }
        };
        let events = [ev("a", 0, true), ev("a", 5, true), ev("b", 10, true), ev("b", 20, false), ev("c", 30, true)];
        assert_eq!(inside(&events, at(31), stay), 2, "a once, b left, c");
        assert_eq!(inside(&events, at(61), stay), 2, "a's stay runs from the later check-in (until 65)");
        assert_eq!(inside(&events, at(66), stay), 1, "a gone, c still in");
        assert_eq!(inside(&events, at(91), stay), 0);
        // Back after leaving: inside again.
        let back = [ev("b", 10, true), ev("b", 20, false), ev("b", 25, true)];
        assert_eq!(inside(&back, at(26), stay), 1);
        // Events after `now` are not yet.
        assert_eq!(inside(&events, at(1), stay), 1);
    }
}
