//! Small checks shared by the documents: ONCE fields, observed quantities, a check-in record.

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::ModelError;
use super::common::GeoPoint;
use super::limits::check_short;
use super::time::Instant;

/// Largest observed quantity (facings, counts). A shelf with a million facings is a typo.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// A ONCE field: once written it must not change.
pub fn once<T: PartialEq>(field: &str, before: &T, after: &T) -> Result<(), ModelError> {
    if before != after {
        return Err(ModelError::invalid(field, "is set once and cannot change"));
    }
    Ok(())
}

/// A ONCE field that starts empty: it may go from `None` to `Some`, never change afterwards.
pub fn once_opt<T: PartialEq>(
    field: &str,
    before: &Option<T>,
    after: &Option<T>,
) -> Result<(), ModelError> {
    match before {
        None => Ok(()),
        Some(_) => once(field, before, after),
    }
}

/// An observed quantity: 0..=[`MAX_QUANTITY`].
pub fn check_quantity(field: &str, n: i64) -> Result<(), ModelError> {
    if n < 0 {
        return Err(ModelError::invalid(field, "must not be negative"));
    }
    if n > MAX_QUANTITY {
        return Err(ModelError::invalid(field, "is implausibly large"));
    }
    Ok(())
}

str_enum! {
    /// How a check-in was made.
    pub enum CheckInMethod {
        /// From the phone's GPS.
        Gps => "gps",
        /// Typed in by hand (no signal, GPS off); a reason is required.
        Manual => "manual",
    }
}

/// Arrival at a place (ONCE): when, where, how.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckIn {
    /// When (the phone's clock: information, not an ordering).
    pub at: Instant,
    /// Where, when the phone had a fix.
    pub geo: Option<GeoPoint>,
    /// GPS or manual.
    pub method: CheckInMethod,
    /// Why the check-in was manual.
    pub manual_reason: Option<String>,
}

impl CheckIn {
    /// A GPS check-in needs a position; a manual one needs a reason.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        if let Some(g) = &self.geo {
            g.validate(&format!("{field}.geo"))?;
        }
        match self.method {
            CheckInMethod::Gps if self.geo.is_none() => Err(ModelError::invalid(
                field,
                "a GPS check-in needs a position",
            )),
            CheckInMethod::Manual
                if self
                    .manual_reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty()) =>
            {
                Err(ModelError::invalid(
                    field,
                    "a manual check-in needs a reason",
                ))
            }
            _ => check_short(
                &format!("{field}.manual_reason"),
                self.manual_reason.as_deref().unwrap_or(""),
            ),
        }
    }
}
