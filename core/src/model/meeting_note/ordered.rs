//! ORDERED entries of a meeting note: agenda, decisions, open questions, action item refs. Each
//! is a map keyed by id whose entries carry a fractional `order` string.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::limits::{MAX_TEXT, check_map, check_required, check_short, check_text};
use crate::model::order::check_order;

/// Something with an `order` key and a soft-delete flag.
pub trait Ordered {
    /// The fractional order key.
    fn order(&self) -> &str;
    /// Soft-deleted entries are left out of [`in_order`].
    fn deleted(&self) -> bool;
    /// Moves the entry: only its own order key changes.
    fn set_order(&mut self, order: String);
}

/// The live entries sorted by `(order, id)`: the id breaks ties between keys made concurrently,
/// the same way on every replica.
pub fn in_order<T: Ordered>(map: &BTreeMap<String, T>) -> Vec<(&str, &T)> {
    let mut v: Vec<_> = map
        .iter()
        .filter(|(_, t)| !t.deleted())
        .map(|(k, t)| (k.as_str(), t))
        .collect();
    v.sort_by(|a, b| a.1.order().cmp(b.1.order()).then(a.0.cmp(b.0)));
    v
}

/// The order key of the last live entry, to append after it.
pub fn last_order<T: Ordered>(map: &BTreeMap<String, T>) -> Option<String> {
    in_order(map).last().map(|(_, t)| t.order().to_owned())
}

str_enum! {
    /// Where an agenda point stands.
    pub enum AgendaState {
        /// Not yet discussed.
        Open => "open",
        /// Discussed.
        Discussed => "discussed",
        /// Moved to another meeting.
        Deferred => "deferred",
    }
}

/// An agenda point.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AgendaItem {
    /// Fractional order key.
    pub order: String,
    /// LWW.
    pub title: String,
    /// LWW: who leads it.
    pub owner: Option<String>,
    /// LWW.
    pub state: AgendaState,
    /// Soft delete.
    pub deleted: bool,
}

impl AgendaItem {
    /// Checks the title (required) and the owner.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.title"), &self.title)?;
        check_short(
            &format!("{field}.owner"),
            self.owner.as_deref().unwrap_or(""),
        )
    }
}

/// A decision taken.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Decision {
    /// Fractional order key.
    pub order: String,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub text: Text,
    /// SET of attendee ids who agreed.
    pub agreed_by: IdSet,
    /// Soft delete.
    pub deleted: bool,
}

impl Decision {
    /// Checks the text's size and the set of who agreed.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_text(&format!("{field}.text"), &self.text, MAX_TEXT)?;
        self.agreed_by.validate(&format!("{field}.agreed_by"))
    }
}

/// A question left open.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OpenQuestion {
    /// Fractional order key.
    pub order: String,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub text: Text,
    /// Soft delete.
    pub deleted: bool,
}

impl OpenQuestion {
    /// Checks the text's size.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_text(&format!("{field}.text"), &self.text, MAX_TEXT)
    }
}

/// A link to an action item document, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActionRef {
    /// Fractional order key.
    pub order: String,
    /// Soft delete.
    pub deleted: bool,
}

macro_rules! ordered {
    ($($t:ty),+) => {$(
        impl Ordered for $t {
            fn order(&self) -> &str {
                &self.order
            }
            fn deleted(&self) -> bool {
                self.deleted
            }
            fn set_order(&mut self, order: String) {
                self.order = order;
            }
        }
    )+};
}
ordered!(AgendaItem, Decision, OpenQuestion, ActionRef);

/// Checks an ordered map: size, keys, order keys.
pub fn validate_ordered<T: Ordered>(
    field: &str,
    map: &BTreeMap<String, T>,
) -> Result<(), ModelError> {
    check_map(field, map.iter())?;
    for (k, t) in map {
        check_order(&format!("{field}.{k}.order"), t.order())?;
    }
    Ok(())
}

/// Checks the texts of the ordered entries.
pub fn validate_contents(
    agenda: &BTreeMap<String, AgendaItem>,
    decisions: &BTreeMap<String, Decision>,
    questions: &BTreeMap<String, OpenQuestion>,
) -> Result<(), ModelError> {
    for (k, a) in agenda {
        a.validate(&format!("agenda.{k}"))?;
    }
    for (k, d) in decisions {
        d.validate(&format!("decisions.{k}"))?;
    }
    for (k, q) in questions {
        q.validate(&format!("open_questions.{k}"))?;
    }
    Ok(())
}
