//! One product line of a storecheck and its vocabularies.
//!
//! Every field is its own key in the line's map, so one phone setting the price and another the
//! facings of the same line both survive. Quantities are plain integers (LWW): two recounts of
//! one shelf (6 and 7) merge to one of them, never 13.

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::limits::{MAX_TEXT, check_required, check_short, check_text};
use crate::model::money::Money;
use crate::model::rules::check_quantity;

str_enum! {
    /// Whether the product was on the shelf. `oos` and `not_listed` stay distinct: a product the
    /// store never listed is not out of stock, and mixing them corrupts the OOS rate.
    pub enum Presence {
        /// On the shelf.
        Present => "present",
        /// Listed but out of stock.
        Oos => "oos",
        /// The store does not list it.
        NotListed => "not_listed",
        /// The brand withdrew it.
        Delisted => "delisted",
        /// Not looked at yet.
        NotChecked => "not_checked",
    }
}

str_enum! {
    /// Shelf height.
    pub enum ShelfLevel {
        /// Top shelf.
        Top => "top",
        /// Eye level.
        Eye => "eye",
        /// Hand level.
        Hand => "hand",
        /// Bottom shelf.
        Bottom => "bottom",
    }
}

str_enum! {
    /// Where in the store the product sits.
    pub enum ShelfLocation {
        /// Regular shelf.
        Shelf => "shelf",
        /// End of aisle.
        Endcap => "endcap",
        /// Cooler.
        Cooler => "cooler",
        /// Island display.
        Island => "island",
        /// Checkout.
        Checkout => "checkout",
        /// Back room only.
        Backroom => "backroom",
    }
}

str_enum! {
    /// Planogram compliance.
    pub enum Planogram {
        /// As agreed.
        Compliant => "compliant",
        /// On the shelf, wrong place.
        WrongPosition => "wrong_position",
        /// Missing from its planogram slot.
        Missing => "missing",
    }
}

str_enum! {
    /// State of the price tag.
    pub enum PriceTag {
        /// Right price shown.
        Ok => "ok",
        /// A different price shown.
        Wrong => "wrong",
        /// No tag.
        Missing => "missing",
    }
}

/// The catalog product as it was when the line was added (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProductSnapshot {
    /// Barcode.
    pub gtin: String,
    /// Product name.
    pub name: String,
    /// Brand.
    pub brand: String,
    /// The client's own product (true) or a competitor's.
    pub is_own: bool,
}

impl ProductSnapshot {
    /// Checks the strings.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_short(&format!("{field}.gtin"), &self.gtin)?;
        check_required(&format!("{field}.name"), &self.name)?;
        check_short(&format!("{field}.brand"), &self.brand)
    }
}

/// What the account expects of this product in this store (ONCE, from the catalog).
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Expected {
    /// The store must carry it.
    pub must_stock: bool,
    /// Agreed facings.
    pub target_facings: Option<i64>,
    /// Recommended shelf price.
    pub target_price: Option<Money>,
}

/// A promotion seen on the shelf.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Promo {
    /// Running now.
    pub active: bool,
    /// Promotional price.
    pub price: Option<Money>,
    /// "2x1", "30% off"...
    pub mechanic: String,
}

impl Promo {
    /// Checks price and text.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        if let Some(p) = &self.price {
            p.validate_non_negative(&format!("{field}.price"))?;
        }
        check_short(&format!("{field}.mechanic"), &self.mechanic)
    }
}

/// One own-product line, keyed by product id (or `product@location`) in `lines`.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Line {
    /// ONCE: the product snapshot.
    pub product: ProductSnapshot,
    /// ONCE: the expectation.
    pub expected: Expected,
    /// LWW: on the shelf or not.
    pub presence: Presence,
    /// LWW: facings counted.
    pub facings: Option<i64>,
    /// LWW.
    pub shelf_level: Option<ShelfLevel>,
    /// LWW.
    pub location: Option<ShelfLocation>,
    /// LWW.
    pub planogram: Option<Planogram>,
    /// LWW: the price on the shelf.
    pub shelf_price: Option<Money>,
    /// LWW.
    pub price_tag: Option<PriceTag>,
    /// LWW.
    pub promo: Option<Promo>,
    /// LWW: nearest expiry date seen, `YYYY-MM-DD` (a date printed on a pack has no zone).
    pub expiry_nearest: Option<String>,
    /// LWW soft delete. A concurrent edit of another field survives next to it; the line reads
    /// as deleted until someone clears the flag (undo).
    pub deleted: bool,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub note: Text,
    /// SET of photo ids in the storecheck's `photos`.
    pub photo_ids: IdSet,
}

impl Line {
    /// A fresh, unchecked line.
    pub fn new(product: ProductSnapshot, expected: Expected) -> Self {
        Line {
            product,
            expected,
            presence: Presence::NotChecked,
            facings: None,
            shelf_level: None,
            location: None,
            planogram: None,
            shelf_price: None,
            price_tag: None,
            promo: None,
            expiry_nearest: None,
            deleted: false,
            note: Text::default(),
            photo_ids: IdSet::new(),
        }
    }

    /// Checks every field.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        self.product.validate(&format!("{field}.product"))?;
        if let Some(t) = self.expected.target_facings {
            check_quantity(&format!("{field}.expected.target_facings"), t)?;
        }
        if let Some(p) = &self.expected.target_price {
            p.validate_non_negative(&format!("{field}.expected.target_price"))?;
        }
        if let Some(f) = self.facings {
            check_quantity(&format!("{field}.facings"), f)?;
        }
        if let Some(p) = &self.shelf_price {
            p.validate_non_negative(&format!("{field}.shelf_price"))?;
        }
        if let Some(p) = &self.promo {
            p.validate(&format!("{field}.promo"))?;
        }
        if let Some(d) = &self.expiry_nearest {
            check_date(&format!("{field}.expiry_nearest"), d)?;
        }
        check_text(&format!("{field}.note"), &self.note, MAX_TEXT)?;
        self.photo_ids.validate(&format!("{field}.photo_ids"))
    }
}

/// A calendar date `YYYY-MM-DD`, checked by shape and ranges.
pub fn check_date(field: &str, d: &str) -> Result<(), ModelError> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<u32>().ok())
    };
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|m| (1..=12).contains(&m))
        && digits(8..10).is_some_and(|d| (1..=31).contains(&d));
    if !ok {
        return Err(ModelError::invalid(field, "not a YYYY-MM-DD date"));
    }
    Ok(())
}
