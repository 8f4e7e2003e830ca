//! The other collections of a storecheck: competitor lines, category blocks, POP material and
//! issues. Each is a map keyed by a stable id; each entry has a `deleted` flag.

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

use super::line::{ProductSnapshot, Promo};
use crate::ids::DocumentId;
use crate::model::ModelError;
use crate::model::limits::{MAX_TEXT, check_key, check_required, check_text};
use crate::model::money::Money;
use crate::model::rules::check_quantity;

/// A competitor's product on the same shelf.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CompetitorLine {
    /// ONCE: the product snapshot (`is_own` false).
    pub product: ProductSnapshot,
    /// LWW.
    pub facings: Option<i64>,
    /// LWW.
    pub shelf_price: Option<Money>,
    /// LWW.
    pub promo: Option<Promo>,
    /// LWW soft delete.
    pub deleted: bool,
}

impl CompetitorLine {
    /// Checks every field.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        self.product.validate(&format!("{field}.product"))?;
        if let Some(f) = self.facings {
            check_quantity(&format!("{field}.facings"), f)?;
        }
        if let Some(p) = &self.shelf_price {
            p.validate_non_negative(&format!("{field}.shelf_price"))?;
        }
        if let Some(p) = &self.promo {
            p.validate(&format!("{field}.promo"))?;
        }
        Ok(())
    }
}

/// A category's whole shelf: its total facings are the share-of-shelf denominator.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CategoryBlock {
    /// Category name ("Vinos tintos").
    pub name: String,
    /// LWW: all facings of the category, every brand.
    pub total_facings: Option<i64>,
    /// LWW soft delete.
    pub deleted: bool,
}

str_enum! {
    /// State of a display or POP piece.
    pub enum PopCondition {
        /// In place and fine.
        Good => "good",
        /// In place, damaged.
        Damaged => "damaged",
        /// Expected but not there.
        Missing => "missing",
    }
}

/// Display material (POP): expected by the agreement, present or not, in what condition.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PopItem {
    /// What it is ("cabecera Navidad").
    pub name: String,
    /// The agreement says it should be there.
    pub expected: bool,
    /// LWW: seen in the store (None = not checked).
    pub present: Option<bool>,
    /// LWW.
    pub condition: Option<PopCondition>,
    /// LWW soft delete.
    pub deleted: bool,
}

str_enum! {
    /// What kind of problem an issue reports.
    pub enum IssueType {
        /// Out of stock.
        Oos => "oos",
        /// Price problem.
        Price => "price",
        /// Planogram problem.
        Planogram => "planogram",
        /// Display or POP problem.
        Display => "display",
        /// Expired or near-expiry product.
        Expiry => "expiry",
        /// Anything else.
        Other => "other",
    }
}

str_enum! {
    /// How bad.
    pub enum Severity {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
    }
}

/// A problem found in the store.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Issue {
    /// LWW: the kind of problem (stored as `type`).
    #[autosurgeon(rename = "type")]
    pub issue_type: IssueType,
    /// LWW.
    pub severity: Severity,
    /// LWW: the line it concerns, if any (a key of `lines`).
    pub line_key: Option<String>,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub description: Text,
    /// LWW: the action item opened for it.
    pub action_item_id: Option<DocumentId>,
    /// LWW soft delete.
    pub deleted: bool,
}

impl Issue {
    /// Checks the text and the line reference's shape.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        if let Some(k) = &self.line_key {
            check_key(&format!("{field}.line_key"), k)?;
        }
        check_text(&format!("{field}.description"), &self.description, MAX_TEXT)
    }
}

/// Checks a category block.
pub fn validate_block(field: &str, b: &CategoryBlock) -> Result<(), ModelError> {
    check_required(&format!("{field}.name"), &b.name)?;
    if let Some(t) = b.total_facings {
        check_quantity(&format!("{field}.total_facings"), t)?;
    }
    Ok(())
}

/// Checks a POP item.
pub fn validate_pop(field: &str, p: &PopItem) -> Result<(), ModelError> {
    check_required(&format!("{field}.name"), &p.name)
}
