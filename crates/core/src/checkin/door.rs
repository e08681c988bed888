//! The door's answers that record nobody say who is on file at a desk: a whole number not found
//! here (the declaration form), last four that match no one or several (a list of masked names
//! and years of birth), a repeat to confirm. Script in the window asking by whole number learnt
//! that 53,000 times a minute, and with the masked number 今日登记 shows found people's numbers
//! among a few hundred candidates in under a second. At a real entrance nearly every such answer
//! is followed by a visit (the new visitor declares, the clerk picks one of several, a mistyped
//! last four is typed again), so the door keeps count of those not followed by one.

use chrono::{DateTime, Duration, Utc};

/// Answers recording nobody that the door gives beyond the visits it records…
pub const DOOR_UNRECORDED_MAX: i64 = 30;
/// …each forgotten after this many seconds (30 an hour).
pub const DOOR_UNRECORDED_FORGET_SECONDS: i64 = 120;
/// A visit gives back this many answers: the lookup that found the person, and one before it
/// (the whole number a new visitor was not found by, last four typed wrong once).
const GIVEN_BACK: i32 = 2;

/// The door's count of answers that recorded nobody, at one desk. A visit recorded gives some
/// back, once an hour for a person, so the same person checked in again and again does not.
#[derive(Debug, Default)]
pub struct DoorBudget {
    /// When the count will be back to nought, forgetting one every two minutes (a leaky bucket
    /// kept as one instant).
    empty_at: Option<DateTime<Utc>>,
    /// Who gave answers back in the last hour (the masked number: nothing more is needed to tell
    /// a person again; two people sharing one only give back less), and when.
    gave_back: std::collections::VecDeque<(DateTime<Utc>, String)>,
}

impl DoorBudget {
    /// The count as kept across a restart: when it will be back to nought (a desk restarted
    /// does not start guessing afresh; who gave answers back is not kept).
    pub fn resumed(empty_at: Option<DateTime<Utc>>) -> DoorBudget {
        DoorBudget { empty_at, gave_back: Default::default() }
    }

    /// What [`DoorBudget::resumed`] takes.
    pub fn empty_at(&self) -> Option<DateTime<Utc>> {
        self.empty_at
    }
}

fn forget() -> Duration {
    Duration::seconds(DOOR_UNRECORDED_FORGET_SECONDS)
}

impl DoorBudget {
    /// Answers recording nobody not yet forgotten at `now`.
    pub fn unrecorded(&self, now: DateTime<Utc>) -> i64 {
        let left = self.empty_at.map_or(0, |t| (t - now).num_milliseconds().max(0));
        let step = forget().num_milliseconds();
        (left + step - 1) / step
    }

    /// Before a lookup by whole number or last four: refused, naming `field` (`label：`), while
    /// the door has given its most answers recording nobody. Every lookup is refused then, a
    /// known person's too, so the refusal itself tells nothing.
    pub fn check(&self, field: &str, label: &str, now: DateTime<Utc>) -> crate::Result<()> {
        if self.unrecorded(now) < DOOR_UNRECORDED_MAX {
            return Ok(());
        }
        let over = self.empty_at.map_or(Duration::zero(), |t| t - now) - forget() * (DOOR_UNRECORDED_MAX - 1) as i32;
        let wait = (over.num_milliseconds().max(0) + 999) / 1000;
        Err(crate::Error::invalid(
            field,
            format!(
                "{label}：本台近来有{DOOR_UNRECORDED_MAX}次查询没有登记任何人（号码不在本台、后四位无人或未选定），为防他人借此猜测证件号码，请{wait}秒后再查询；首次来访的人可按 F4 手工登记"
            ),
        ))
    }

    /// A lookup answered without recording anyone.
    pub fn answered_unrecorded(&mut self, now: DateTime<Utc>) {
        self.empty_at = Some(self.empty_at.filter(|t| *t > now).unwrap_or(now) + forget());
    }

    /// A visit recorded for the person shown as `masked_id`: gives answers back, unless this
    /// person already did in the last hour. Nothing is kept in hand for later.
    pub fn recorded(&mut self, masked_id: &str, now: DateTime<Utc>) {
        while self.gave_back.front().is_some_and(|(t, _)| now - *t >= Duration::hours(1)) {
            self.gave_back.pop_front();
        }
        if self.gave_back.iter().any(|(_, who)| who == masked_id) {
            return;
        }
        self.gave_back.push_back((now, masked_id.to_owned()));
        self.empty_at = self.empty_at.map(|t| t - forget() * GIVEN_BACK).filter(|t| *t > now);
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
        // One is forgotten every two minutes: one more lookup then, not thirty.
        let later = now + Duration::seconds(119);
        assert!(door.check("id_number", "证件号码", later).unwrap_err().to_string().contains("请1秒后"));
        let later = now + Duration::seconds(120);
        door.check("id_number", "证件号码", later).unwrap();
        door.answered_unrecorded(later);
        assert!(door.check("id_number", "证件号码", later).is_err());
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
        }
        assert!(door.unrecorded(now) < 3, "{}", door.unrecorded(now));
    }

    #[test]
    fn the_same_person_checked_in_again_and_again_gives_nothing_back() {
        let mut door = DoorBudget::default();
        let now = t0();
        for _ in 0..DOOR_UNRECORDED_MAX {
            door.answered_unrecorded(now);
        }
        // One person recorded a hundred times: two answers back, once.
        for _ in 0..100 {
            door.recorded("410***********1235", now);
        }
        assert_eq!(door.unrecorded(now), DOOR_UNRECORDED_MAX - 2);
        // Another person gives two more; nothing is kept in hand for later guesses.
        door.recorded("410***********0021", now);
        assert_eq!(door.unrecorded(now), DOOR_UNRECORDED_MAX - 4);
        let mut fresh = DoorBudget::default();
        for i in 0..50 {
            fresh.recorded(&format!("410***********{i:04}"), now);
        }
        assert_eq!(fresh.unrecorded(now), 0);
        fresh.answered_unrecorded(now);
        assert_eq!(fresh.unrecorded(now), 1);
        // An hour later the first person gives back again.
        let hour = now + Duration::minutes(61);
        for _ in 0..DOOR_UNRECORDED_MAX {
            door.answered_unrecorded(hour);
        }
        let before = door.unrecorded(hour);
        door.recorded("410***********1235", hour);
        assert_eq!(door.unrecorded(hour), before - 2);
    }
}
