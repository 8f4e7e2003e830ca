//! Time as captured in the field: a UTC instant plus the IANA zone of the place.
//!
//! Phones' clocks are wrong by hours, so these values are information shown to people, never a
//! tie-breaker for merges (causal order decides). The zone is kept so "10:30 in Santiago" still
//! reads right from a supervisor's desk in Mexico City.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use serde::Serialize;

use super::ModelError;

/// Longest zone name accepted (the longest real IANA name is about 30 characters).
pub const MAX_ZONE_LEN: usize = 64;

/// An IANA time zone name (`America/Santiago`, `UTC`), validated by shape only: no tz database
/// ships with the core, so a well-formed but non-existent name is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TimeZone(String);

impl TimeZone {
    /// `UTC`.
    pub fn utc() -> Self {
        TimeZone("UTC".to_owned())
    }

    /// Validates the shape: `/`-separated segments of ASCII letters, digits, `_`, `-`, `+`, each
    /// starting with a letter (`America/Argentina/Buenos_Aires`, `Etc/GMT-3`, `UTC`).
    pub fn new(name: &str) -> Result<Self, ModelError> {
        let ok = !name.is_empty()
            && name.len() <= MAX_ZONE_LEN
            && name.split('/').all(|seg| {
                seg.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            });
        if !ok {
            return Err(ModelError::invalid(
                "zone",
                format!(
                    "not an IANA zone name: {:?}",
                    name.chars().take(32).collect::<String>()
                ),
            ));
        }
        Ok(TimeZone(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Reconcile for TimeZone {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(&self.0)
    }
}

impl Hydrate for TimeZone {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        TimeZone::new(s).map_err(|_| {
            HydrateError::unexpected("an IANA zone name", s.chars().take(32).collect())
        })
    }
}

/// A moment in time and the zone it was captured in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Instant {
    /// Milliseconds since the Unix epoch, UTC.
    pub utc_ms: i64,
    /// Where it was captured.
    pub zone: TimeZone,
}

impl Instant {
    /// An instant in the zone `zone`.
    pub fn new(utc_ms: i64, zone: &str) -> Result<Self, ModelError> {
        Ok(Instant {
            utc_ms,
            zone: TimeZone::new(zone)?,
        })
    }

    /// An instant in UTC.
    pub fn utc(utc_ms: i64) -> Self {
        Instant {
            utc_ms,
            zone: TimeZone::utc(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        TimeZone::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Year, month (1-12) and day (1-31) of the day `days` after 1970-01-01 (proleptic Gregorian),
/// by Howard Hinnant's `civil_from_days`: eras of 400 years, March-based years so the leap day
/// comes last. One copy for the model's civil dates and the server's calendars and numbering.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days after 1970-01-01 of a valid civil date (the inverse of [`civil_from_days`]; the
/// caller checks that month and day exist).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn zone_shapes() {
        for ok in [
            "UTC",
            "America/Santiago",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT-3",
        ] {
            assert!(TimeZone::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/",
            "America/",
            "1America/X",
            "America Santiago",
            "a\n",
            &"A".repeat(65),
        ] {
            assert!(TimeZone::new(bad).is_err(), "{bad:?}");
        }
    }
}
