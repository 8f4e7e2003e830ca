//! [`VisitPlan`]: who should visit a client or check a store, and how often.
//!
//! Dates are civil dates (`YYYY-MM-DD`) in the organisation's calendar: a plan says "Mondays,
//! every two weeks from 2026-03-02", not an instant, so a phone in another zone lists the same
//! days.

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::super::ModelError;
use super::super::limits::{check_required, check_short};
use super::super::time::{civil_from_days, days_from_civil};
use crate::ids::EntityId;

str_enum! {
    /// A day of the week.
    pub enum Weekday {
        /// Monday.
        Monday => "monday",
        /// Tuesday.
        Tuesday => "tuesday",
        /// Wednesday.
        Wednesday => "wednesday",
        /// Thursday.
        Thursday => "thursday",
        /// Friday.
        Friday => "friday",
        /// Saturday.
        Saturday => "saturday",
        /// Sunday.
        Sunday => "sunday",
    }
}

/// One planned, repeating (or one-off) visit or storecheck.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VisitPlan {
    /// The server's plan id.
    pub id: EntityId,
    /// Who should go.
    pub user_id: EntityId,
    /// The store to check; `None` for a visit to the client.
    pub store_code: Option<String>,
    /// The day of the week it falls on.
    pub weekday: Weekday,
    /// Every how many weeks (1 weekly, 2 fortnightly, 4 about monthly); 0 for once, in the
    /// week of `starts_on`.
    pub every_weeks: u32,
    /// The first week it applies (`YYYY-MM-DD`, any day of that week).
    pub starts_on: String,
    /// The last day it applies, if it ends.
    pub ends_on: Option<String>,
    /// What to do there.
    pub note: String,
}

impl VisitPlan {
    /// Checks the strings and dates.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.starts_on"), &self.starts_on)?;
        day_number(&self.starts_on).ok_or_else(|| {
            ModelError::invalid(format!("{field}.starts_on"), "not a YYYY-MM-DD date")
        })?;
        if let Some(end) = &self.ends_on {
            day_number(end).ok_or_else(|| {
                ModelError::invalid(format!("{field}.ends_on"), "not a YYYY-MM-DD date")
            })?;
        }
        if let Some(store) = &self.store_code {
            check_required(&format!("{field}.store_code"), store)?;
        }
        check_short(&format!("{field}.note"), &self.note)
    }

    /// The date (`YYYY-MM-DD`) this plan falls on in the week that holds `day`, if it does.
    pub fn date_in_week_of(&self, day: &str) -> Option<String> {
        let day = day_number(day)?;
        let start = day_number(&self.starts_on)?;
        let (week, first_week) = (monday_of(day), monday_of(start));
        if week < first_week {
            return None;
        }
        let weeks_since = (week - first_week) / 7;
        let falls = match self.every_weeks {
            0 => weeks_since == 0,
            n => weeks_since % i64::from(n) == 0,
        };
        let date = week + self.weekday.offset();
        let ended = self
            .ends_on
            .as_deref()
            .and_then(day_number)
            .is_some_and(|end| date > end);
        (falls && !ended && date >= start).then(|| civil_of(date))
    }
}

impl Weekday {
    /// Days after Monday.
    fn offset(self) -> i64 {
        Weekday::ALL.iter().position(|d| *d == self).unwrap_or(0) as i64
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, or `None` if it is not one.
pub fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// The `YYYY-MM-DD` of a day number.
pub fn civil_of(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Monday on or before `day` (1970-01-01 was a Thursday).
fn monday_of(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}
