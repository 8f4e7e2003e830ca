//! The weekdays an organisation works: a set of seven bits, never empty, written as lowercase
//! English names (`"monday"`) so the stored JSON reads the same in every locale.

use std::fmt;

use jiff::civil::Weekday;
use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::CalendarError;

/// Longest weekday name (`wednesday`).
pub const MAX_WEEKDAY_NAME_LEN: usize = 9;

/// Every weekday, Monday first, with its name.
const WEEK: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

/// A non-empty set of weekdays.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WorkingDays(u8);

impl WorkingDays {
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: WorkingDays = WorkingDays(0b001_1111);

    /// The set of `days`; refuses an empty set and a day listed twice.
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Result<WorkingDays, CalendarError> {
        let mut bits = 0u8;
        for day in days {
            let bit = bit(day);
            if bits & bit != 0 {
                return Err(CalendarError::DuplicateWorkingDay(name(day)));
            }
            bits |= bit;
        }
        if bits == 0 {
            return Err(CalendarError::NoWorkingDays);
        }
        Ok(WorkingDays(bits))
    }

    /// Whether `day` is a working day.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & bit(day) != 0
    }

    /// The working days, Monday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter()
            .map(|(day, _)| day)
            .filter(move |day| self.contains(*day))
    }
}

impl Default for WorkingDays {
    fn default() -> WorkingDays {
        WorkingDays::MONDAY_TO_FRIDAY
    }
}

fn bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

/// The lowercase English name of `day`.
pub fn name(day: Weekday) -> &'static str {
    WEEK.iter()
        .find(|(d, _)| *d == day)
        .map_or("?", |(_, name)| name)
}

/// The weekday named `text` (lowercase English only).
pub fn parse(text: &str) -> Result<Weekday, CalendarError> {
    if text.len() > MAX_WEEKDAY_NAME_LEN {
        return Err(CalendarError::WeekdayNameTooLong);
    }
    WEEK.iter()
        .find(|(_, name)| *name == text)
        .map(|(day, _)| *day)
        .ok_or_else(|| CalendarError::UnknownWeekday(text.to_owned()))
}

impl fmt::Debug for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(name)).finish()
    }
}

impl Serialize for WorkingDays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for day in self.iter() {
            seq.serialize_element(name(day))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for WorkingDays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WorkingDays, D::Error> {
        deserializer.deserialize_seq(DaysVisitor)
    }
}

struct DaysVisitor;

impl<'de> Visitor<'de> for DaysVisitor {
    type Value = WorkingDays;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of lowercase weekday names")
    }

    /// Reads at most seven names (an eighth is a repeat), so a long list is refused early.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WorkingDays, A::Error> {
        let mut days = Vec::with_capacity(WEEK.len());
        while let Some(text) = seq.next_element::<String>()? {
            let day = parse(&text).map_err(serde::de::Error::custom)?;
            if days.contains(&day) {
                return Err(serde::de::Error::custom(
                    CalendarError::DuplicateWorkingDay(name(day)),
                ));
            }
            days.push(day);
        }
        WorkingDays::new(days).map_err(serde::de::Error::custom)
    }
}
