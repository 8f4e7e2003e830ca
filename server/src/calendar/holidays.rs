//! An organisation's holidays: local dates on which no working time passes, written as
//! `YYYY-MM-DD`. Dates, not instants: a holiday is the whole local day wherever the offset stands.
//!
//! Bounded ([`MAX_HOLIDAYS`]) so a stored calendar stays small and the day scan stays short, and
//! strict (no duplicates, only four-digit years) so what is read back is what was written.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::Date;
use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::CalendarError;

/// Most holidays a calendar holds: decades of national and agency holidays.
pub const MAX_HOLIDAYS: usize = 1000;

/// A set of at most [`MAX_HOLIDAYS`] dates of the years 0000 to 9999.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Holidays(BTreeSet<Date>);

impl Holidays {
    /// The set of `dates`; refuses more than [`MAX_HOLIDAYS`], a date listed twice, and years
    /// before 0000 (which `YYYY-MM-DD` cannot write).
    pub fn new(dates: impl IntoIterator<Item = Date>) -> Result<Holidays, CalendarError> {
        let mut set = BTreeSet::new();
        for date in dates {
            if set.len() == MAX_HOLIDAYS {
                return Err(CalendarError::TooManyHolidays);
            }
            if date.year() < 0 {
                return Err(CalendarError::InvalidHoliday(date.to_string()));
            }
            if !set.insert(date) {
                return Err(CalendarError::DuplicateHoliday(date));
            }
        }
        Ok(Holidays(set))
    }

    /// Whether `date` is a holiday.
    pub fn contains(&self, date: Date) -> bool {
        self.0.contains(&date)
    }

    /// The holidays, earliest first.
    pub fn iter(&self) -> impl Iterator<Item = Date> + '_ {
        self.0.iter().copied()
    }

    /// How many holidays there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `YYYY-MM-DD`, four-digit year.
fn format(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// Parses exactly `YYYY-MM-DD` (ASCII digits, a real day of that month): no times, no week
/// dates, no signs, nothing a lenient parser would read differently from a person.
pub fn parse(text: &str) -> Result<Date, CalendarError> {
    let invalid = || {
        let shown: String = text.chars().take(16).collect();
        CalendarError::InvalidHoliday(shown)
    };
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !shape {
        return Err(invalid());
    }
    let number = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0i16, |n, d| n * 10 + i16::from(d - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let month = i8::try_from(month).map_err(|_| invalid())?;
    let day = i8::try_from(day).map_err(|_| invalid())?;
    Date::new(year, month, day).map_err(|_| invalid())
}

impl fmt::Debug for Holidays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(format)).finish()
    }
}

impl Serialize for Holidays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for date in self.iter() {
            seq.serialize_element(&format(date))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Holidays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Holidays, D::Error> {
        deserializer.deserialize_seq(HolidaysVisitor)
    }
}

struct HolidaysVisitor;

impl<'de> Visitor<'de> for HolidaysVisitor {
    type Value = Holidays;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of YYYY-MM-DD dates")
    }

    /// Stops at the first entry past [`MAX_HOLIDAYS`], so an oversized list is not read whole.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Holidays, A::Error> {
        let mut dates = BTreeSet::new();
        while let Some(text) = seq.next_element::<String>()? {
            if dates.len() == MAX_HOLIDAYS {
                return Err(serde::de::Error::custom(CalendarError::TooManyHolidays));
            }
            let date = parse(&text).map_err(serde::de::Error::custom)?;
            if !dates.insert(date) {
                return Err(serde::de::Error::custom(CalendarError::DuplicateHoliday(
                    date,
                )));
            }
        }
        Ok(Holidays(dates))
    }
}
