//! The FFI shapes of core (feature `uniffi`): the model's value types, the edit vocabularies and
//! [`EnlaceError`] are exported to Kotlin, Swift and Python as they are, so `enlace-mobile`
//! restates none of them.
//!
//! The newtypes cross as strings and are checked when they come in: an id, a currency code or a
//! time zone that does not parse fails the call with [`EnlaceError::InvalidValue`] (uniffi hands
//! a failed argument conversion back as the call's own error when the error types match), never
//! as a panic or an internal error.

mod error;

pub use error::EnlaceError;

use autosurgeon::Text;

use crate::ids::{DocumentId, EntityId};
use crate::model::common::IdSet;
use crate::model::money::Currency;
use crate::model::time::TimeZone;

fn invalid(field: &str, reason: impl ToString) -> uniffi::deps::anyhow::Error {
    EnlaceError::InvalidValue {
        field: field.into(),
        reason: reason.to_string(),
    }
    .into()
}

uniffi::custom_type!(DocumentId, String, {
    lower: |id| id.to_string(),
    try_lift: |s| s.parse::<DocumentId>().map_err(|e| invalid("document id", e)),
});

uniffi::custom_type!(EntityId, String, {
    lower: |id| id.to_string(),
    try_lift: |s| s.parse::<EntityId>().map_err(|e| invalid("entity id", e)),
});

uniffi::custom_type!(Currency, String, {
    lower: |c| c.code().to_owned(),
    try_lift: |s| Currency::from_code(&s).map_err(|e| invalid("currency", e)),
});

uniffi::custom_type!(TimeZone, String, {
    lower: |z| z.as_str().to_owned(),
    try_lift: |s| TimeZone::new(&s).map_err(|e| invalid("zone", e)),
});

uniffi::custom_type!(IdSet, Vec<String>, {
    lower: |set| set.iter().map(str::to_owned).collect(),
    try_lift: |ids| Ok(ids.into_iter().collect()),
});

// A collaborative text crosses as its current string; edits go through `TextEdit`.
uniffi::custom_type!(Text, String, {
    remote,
    lower: |t| t.as_str().to_owned(),
    try_lift: |s| Ok(Text::with_value(s)),
});
