//! The door's answers that record nobody say who is on file at a desk: a whole number not found
//! here (the declaration form), last four that match no one or several (a list of masked names
//! and years of birth), a repeat to confirm. Script in the window asking by whole number learnt
//! that 53,000 times a minute, and with the masked number 今日登记 shows found people's numbers
//! among a few hundred candidates in under a second. At a real entrance nearly every such answer
//! is followed by a visit (the new visitor declares, the clerk picks one of several, a mistyped
//! last four is typed again), and a clerk records a visit every few seconds at most, so the door
//! keeps count of those answers, and visits give them back at a clerk's pace.

use chrono::{DateTime, Duration, Utc};

/// A leaky bucket kept as one instant: when it will be empty, one drained every `step`. The
/// door's count and the forms' pace are each one.
#[derive(Debug, Default, Clone, Copy)]
struct Bucket {
    empty_at: Option<DateTime<Utc>>,
}

impl Bucket {
    /// How many are in it at `now`, a part counting as one.
    fn count(self, step: Duration, now: DateTime<Utc>) -> i64 {
        let left = self.empty_at.map_or(0, |t| (t - now).num_milliseconds().max(0));
        let step = step.num_milliseconds();
        (left + step - 1) / step
    }

    /// `n` more at `now`; it never holds more than `most`.
    fn add(&mut self, n: i64, step: Duration, most: i64, now: DateTime<Utc>) {
        let from = self.empty_at.filter(|t| *t > now).unwrap_or(now);
        let next = from + step * n.clamp(0, most) as i32;
        self.empty_at = Some(next.min(now + step * most as i32));
    }

    /// One taken out at `now` (nothing when it is empty).
    fn take_one(&mut self, step: Duration, now: DateTime<Utc>) {
        self.empty_at = self.empty_at.map(|t| t - step).filter(|t| *t > now);
    }

    /// When no more than `keep` will be left in it.
    fn down_to(self, keep: i64, step: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
        self.empty_at.unwrap_or(now) - step * keep as i32
    }
}

/// Answers recording nobody that the door gives beyond the visits it records…
pub const DOOR_UNRECORDED_MAX: i64 = 30;
/// …each forgotten after this many seconds (30 an hour).
pub const DOOR_UNRECORDED_FORGET_SECONDS: i64 = 120;
/// A visit gives one answer back, at most once in this many seconds: a clerk declaring a new
/// visitor or correcting a slip is never faster, while script registering made-up people by hand
/// bought a guess each, 17,000 a minute, in a trial.
pub const DOOR_GIVE_BACK_SECONDS: i64 = 10;

/// The door's count of answers that recorded nobody, at one desk. A visit recorded gives one
/// back, at most one every ten seconds and once an hour for a person, so neither made-up people
/// registered at machine speed nor the same person checked in again and again buy guesses.
#[derive(Debug, Default)]
pub struct DoorBudget {
    /// The answers not yet forgotten, one forgotten every two minutes.
    unrecorded: Bucket,
    /// Who gave an answer back in the last hour, oldest first (the masked number: nothing more is
    /// needed to tell a person again; two people sharing one only give back less), and when.
    gave_back: std::collections::VecDeque<(DateTime<Utc>, String)>,
}

impl DoorBudget {
    /// The count as kept across a restart: when it will be back to nought (a desk restarted
    /// does not start guessing afresh; who gave answers back is not kept).
    pub fn resumed(empty_at: Option<DateTime<Utc>>) -> DoorBudget {
        DoorBudget { unrecorded: Bucket { empty_at }, gave_back: Default::default() }
    }

    /// What [`DoorBudget::resumed`] takes.
    pub fn empty_at(&self) -> Option<DateTime<Utc>> {
        self.unrecorded.empty_at
    }
}

/// What a clerk signing someone out by whole number is told while the door waits: the last four
/// still sign them out (they are what 今日登记 shows of everyone, so they tell nothing more).
pub const LEAVING_WAY_ON: &str = "请改按证件号码后四位离场";

fn forget() -> Duration {
    Duration::seconds(DOOR_UNRECORDED_FORGET_SECONDS)
}

impl DoorBudget {
    /// Answers recording nobody not yet forgotten at `now`.
    pub fn unrecorded(&self, now: DateTime<Utc>) -> i64 {
        self.unrecorded.count(forget(), now)
    }

    /// Before a lookup by whole number or last four: refused, naming `field` (`label：`), while
    /// the door has given its most answers recording nobody. Every lookup is refused then, a
    /// known person's too, so the refusal itself tells nothing.
    pub fn check(&self, field: &str, label: &str, now: DateTime<Utc>) -> crate::Result<()> {
        self.refuse_at_most(field, label, "来访人员（新来的或来过的）都可按 F4 手工登记", now)
    }

    /// Before 离场 by whole number (whether a guessed number is inside is as much an answer as
    /// whether it is on file): refused alike at the most, pointing to the last four. Counts with
    /// the entrance's lookups; a whole number not found inside is an answer recording nobody.
    pub fn check_leaving(&self, now: DateTime<Utc>) -> crate::Result<()> {
        self.refuse_at_most("query", "离场", LEAVING_WAY_ON, now)
    }

    fn refuse_at_most(&self, field: &str, label: &str, way_on: &str, now: DateTime<Utc>) -> crate::Result<()> {
        if self.unrecorded(now) < DOOR_UNRECORDED_MAX {
            return Ok(());
        }
        // Room again once all but the most less one are forgotten.
        let room_at = self.unrecorded.down_to(DOOR_UNRECORDED_MAX - 1, forget(), now);
        let wait = super::seconds_until(room_at, now);
        Err(crate::Error::invalid(
            field,
            format!(
                "{label}：本台近来有{DOOR_UNRECORDED_MAX}次查询没有登记任何人（号码不在本台、后四位无人或未选定、离场未找到），为防他人借此猜测证件号码，请{wait}秒后再查询；{way_on}"
            ),
        ))
    }

    /// A lookup answered without recording anyone. The count stops at the most: answers past it
    /// (none should be given) never hold the door longer than one is forgotten.
    pub fn answered_unrecorded(&mut self, now: DateTime<Utc>) {
        self.unrecorded.add(1, forget(), DOOR_UNRECORDED_MAX, now);
    }

    /// A visit recorded for the person shown as `masked_id`: gives one answer back, unless
    /// nothing is owed, another visit gave one back in the last ten seconds, or this person
    /// already did in the last hour. Nothing is kept in hand for later.
    pub fn recorded(&mut self, masked_id: &str, now: DateTime<Utc>) {
        while self.gave_back.front().is_some_and(|(t, _)| now - *t >= Duration::hours(1)) {
            self.gave_back.pop_front();
        }
        let owed = self.unrecorded(now) > 0;
        let paced = self.gave_back.back().is_none_or(|(t, _)| now - *t >= Duration::seconds(DOOR_GIVE_BACK_SECONDS));
        if !owed || !paced || self.gave_back.iter().any(|(_, who)| who == masked_id) {
            return;
        }
        self.gave_back.push_back((now, masked_id.to_owned()));
        self.unrecorded.take_one(forget(), now);
    }
}

/// People a desk records from a form (a declaration, 手工登记) at once…
pub const FORM_PEOPLE_MAX: i64 = 30;
/// …and then one every this many seconds: a clerk filling in a person's name, number and address
/// is never faster. A form for a number on file answers for that number (whether the venue was
/// full for them, whether they were inside already), so script registering made-up visits asked
/// 5,900 numbers a minute that way in a trial.
pub const FORM_PERSON_SECONDS: i64 = 10;

/// The pace of people recorded from forms at one desk.
#[derive(Debug, Default)]
pub struct FormPace {
    recent: Bucket,
}

fn per_person() -> Duration {
    Duration::seconds(FORM_PERSON_SECONDS)
}

impl FormPace {
    /// The pace as kept across a restart.
    pub fn resumed(empty_at: Option<DateTime<Utc>>) -> FormPace {
        FormPace { recent: Bucket { empty_at } }
    }

    /// What [`FormPace::resumed`] takes.
    pub fn empty_at(&self) -> Option<DateTime<Utc>> {
        self.recent.empty_at
    }

    /// People recorded lately and not yet forgotten at `now`.
    pub fn recent(&self, now: DateTime<Utc>) -> i64 {
        self.recent.count(per_person(), now)
    }

    /// Before a form of `people` is recorded: refused (field `people`, shown above the form)
    /// when it would take the desk past its most.
    pub fn check(&self, people: usize, now: DateTime<Utc>) -> crate::Result<()> {
        let people = i64::try_from(people).unwrap_or(i64::MAX).max(1);
        let over = self.recent(now).saturating_add(people) - FORM_PEOPLE_MAX;
        if over <= 0 {
            return Ok(());
        }
        // Room once `over` more are forgotten.
        let room_at = self.recent.down_to((FORM_PEOPLE_MAX - people).max(0), per_person(), now);
        let wait = super::seconds_until(room_at, now).max(1);
        Err(crate::Error::invalid(
            "people",
            format!(
                "登记表：本台近来已按表单登记{FORM_PEOPLE_MAX}人，为防他人借此猜测证件号码，每{FORM_PERSON_SECONDS}秒可再登记1人，请{wait}秒后再提交（已填写的内容不会丢失）"
            ),
        ))
    }

    /// `people` recorded from a form at `now`.
    pub fn recorded(&mut self, people: usize, now: DateTime<Utc>) {
        let people = i64::try_from(people).unwrap_or(i64::MAX);
        self.recent.add(people, per_person(), FORM_PEOPLE_MAX, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T02:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn guesses_by_whole_number_stop_at_the_most_and_every_lookup_waits_alike() {
        let mut door = DoorBudget::default();
        let now = t0();
        for _ in 0..DOOR_UNRECORDED_MAX {
            door.check("id_number", "证件号码", now).unwrap();
            door.answered_unrecorded(now);
        }
        assert_eq!(door.unrecorded(now), DOOR_UNRECORDED_MAX);
        // The next is refused, naming the field, before anything is looked up: a known person's
        // lookup as well as a guess, by number and by last four.
        let e = door.check("id_number", "证件号码", now).unwrap_err();
        assert_eq!(e.code(), "invalid");
        assert_eq!(e.fields(), vec!["id_number"]);
        assert!(e.to_string().starts_with("证件号码：本台近来有30次查询没有登记任何人"), "{e}");
        assert!(e.to_string().contains("请120秒后再查询"), "{e}");
        let e = door.check("last4", "证件号后四位", now).unwrap_err();
        assert_eq!(e.fields(), vec!["last4"]);
        // 离场 by whole number waits alike (whether someone is inside is an answer too), pointing
        // to the last four.
        let e = door.check_leaving(now).unwrap_err();
        assert_eq!(e.fields(), vec!["query"]);
        assert!(e.to_string().starts_with("离场：本台近来有30次查询没有登记任何人"), "{e}");
        assert!(e.to_string().ends_with("请120秒后再查询；请改按证件号码后四位离场"), "{e}");
        // One is forgotten every two minutes: one more lookup then, not thirty.
        let later = now + Duration::seconds(119);
        assert!(door.check("id_number", "证件号码", later).unwrap_err().to_string().contains("请1秒后"));
        let later = now + Duration::seconds(120);
        door.check("id_number", "证件号码", later).unwrap();
        door.answered_unrecorded(later);
        assert!(door.check("id_number", "证件号码", later).is_err());
        // Answers past the most (a pick answered after the check) hold the door no longer.
        for _ in 0..1000 {
            door.answered_unrecorded(later);
        }
        assert!(door.check("id_number", "证件号码", later).unwrap_err().to_string().contains("请120秒后"));
        // An hour on, all forgotten.
        assert_eq!(door.unrecorded(now + Duration::minutes(62)), 0);
    }

    #[test]
    fn a_busy_entrance_of_new_visitors_and_typing_slips_never_reaches_the_most() {
        // A day at a station: 600 people an hour for ten hours. Every tenth is new (not found by
        // number, then declares), every twentieth types the last four wrong once, one in fifty
        // walks away after the number was not found.
        let mut door = DoorBudget::default();
        let mut now = t0();
        let mut most = 0;
        for i in 0..6000 {
            now += Duration::seconds(6);
            door.check("id_number", "证件号码", now).unwrap_or_else(|e| panic!("person {i}: {e}"));
            if i % 50 == 7 {
                door.answered_unrecorded(now);
                continue;
            }
            if i % 10 == 3 {
                door.answered_unrecorded(now);
            } else if i % 20 == 5 {
                door.answered_unrecorded(now);
                door.check("last4", "证件号后四位", now).unwrap();
            }
            door.recorded(&format!("410***********{:04}", i % 9000), now);
            most = most.max(door.unrecorded(now));
        }
        assert!(most < 5, "{most}");
        // A checkpoint where everyone is new: looked up, then declared, one every 20 seconds.
        let mut door = DoorBudget::default();
        for i in 0..1000 {
            now += Duration::seconds(20);
            door.check("id_number", "证件号码", now).unwrap_or_else(|e| panic!("person {i}: {e}"));
            door.answered_unrecorded(now);
            door.recorded(&format!("new-{i}"), now);
        }
        assert_eq!(door.unrecorded(now), 0);
    }

    #[test]
    fn visits_give_back_at_a_clerks_pace_never_at_machine_speed() {
        let now = t0();
        // The trial's attack: people made up and registered by hand, twenty at a time, as fast as
        // the desk answers, with guesses sent in between, for a minute.
        let mut door = DoorBudget::default();
        let mut answered = 0;
        let mut at = now;
        let mut made = 0;
        while at < now + Duration::minutes(1) {
            for _ in 0..20 {
                door.recorded(&format!("made-up-{made}"), at);
                made += 1;
            }
            for _ in 0..30 {
                if door.check("id_number", "证件号码", at).is_ok() {
                    door.answered_unrecorded(at);
                    answered += 1;
                }
            }
            at += Duration::milliseconds(50);
        }
        // Thirty, one forgotten after two minutes (none yet), one given back every ten seconds.
        assert!((30..=37).contains(&answered), "{answered} guesses answered in a minute");
        // The same person checked in again and again gives back once an hour.
        let mut door = DoorBudget::default();
        for _ in 0..DOOR_UNRECORDED_MAX {
            door.answered_unrecorded(now);
        }
        for s in 0..100 {
            door.recorded("410***********1235", now + Duration::seconds(11 * s));
        }
        assert_eq!(
            door.unrecorded(now + Duration::seconds(1100)),
            DOOR_UNRECORDED_MAX - 1 - 9,
            "one back, nine forgotten"
        );
        // Nothing owed, nothing kept in hand.
        let mut fresh = DoorBudget::default();
        for i in 0..50 {
            fresh.recorded(&format!("410***********{i:04}"), now + Duration::seconds(11 * i));
        }
        let later = now + Duration::seconds(600);
        fresh.answered_unrecorded(later);
        assert_eq!(fresh.unrecorded(later), 1);
        // An hour later the first person gives back again.
        let hour = now + Duration::minutes(61);
        for _ in 0..DOOR_UNRECORDED_MAX {
            door.answered_unrecorded(hour);
        }
        let before = door.unrecorded(hour);
        door.recorded("410***********1235", hour);
        assert_eq!(door.unrecorded(hour), before - 1);
    }

    #[test]
    fn forms_take_thirty_people_at_once_then_one_every_ten_seconds() {
        let mut pace = FormPace::default();
        let now = t0();
        // A tour group of 25 registered together, then 5 more: at the most.
        pace.check(25, now).unwrap();
        pace.recorded(25, now);
        pace.check(5, now).unwrap();
        pace.recorded(5, now);
        let e = pace.check(1, now).unwrap_err();
        assert_eq!(e.fields(), vec!["people"]);
        assert!(e.to_string().starts_with("登记表：本台近来已按表单登记30人"), "{e}");
        assert!(e.to_string().contains("请10秒后再提交"), "{e}");
        // A form of three waits for three.
        assert!(pace.check(3, now).unwrap_err().to_string().contains("请30秒后"));
        pace.check(1, now + Duration::seconds(10)).unwrap();
        // A checkpoint where everyone is new, one every 20 s for a day: never refused.
        let mut pace = FormPace::default();
        for i in 0..(3 * 60 * 10) {
            let at = now + Duration::seconds(20 * i);
            pace.check(1, at).unwrap_or_else(|e| panic!("person {i}: {e}"));
            pace.recorded(1, at);
        }
        // Script at machine speed: 30, then one every ten seconds (6 a minute).
        let mut pace = FormPace::default();
        let mut taken = 0;
        for ms in (0..60_000).step_by(50) {
            let at = now + Duration::milliseconds(ms);
            if pace.check(1, at).is_ok() {
                pace.recorded(1, at);
                taken += 1;
            }
        }
        assert!((30..=36).contains(&taken), "{taken} in a minute");
        // Kept and resumed.
        let again = FormPace::resumed(pace.empty_at());
        assert!(again.check(1, now + Duration::milliseconds(59_950)).is_err());
    }
}
