//! Storechecks: the record, the record that creates one, and the edits a phone applies.

use enlace_core::DocumentId;
use enlace_core::model::storecheck::{
    Expected as CoreExpected, Line as CoreLine, Planogram as CorePlanogram,
    Presence as CorePresence, PriceTag as CorePriceTag, ProductSnapshot as CoreProduct,
    Promo as CorePromo, ShelfLevel as CoreShelfLevel, ShelfLocation as CoreShelfLocation,
    StoreSnapshot as CoreStoreSnapshot,
};
use enlace_core::model::{self as core, ModelError, StorecheckStatus as CoreStatus};

use crate::values::{CheckIn, Instant, Money, entity, opt_doc_id};

ffi_enum! {
    /// draft -> in_progress -> submitted -> reviewed.
    pub enum StorecheckStatus mirrors CoreStatus { Draft, InProgress, Submitted, Reviewed }
}

ffi_enum! {
    /// Whether the product was on the shelf (`Oos` and `NotListed` stay distinct).
    pub enum Presence mirrors CorePresence { Present, Oos, NotListed, Delisted, NotChecked }
}

ffi_enum! {
    /// Shelf height.
    pub enum ShelfLevel mirrors CoreShelfLevel { Top, Eye, Hand, Bottom }
}

ffi_enum! {
    /// Where in the store the product sits.
    pub enum ShelfLocation mirrors CoreShelfLocation {
        Shelf, Endcap, Cooler, Island, Checkout, Backroom
    }
}

ffi_enum! {
    /// Planogram compliance.
    pub enum Planogram mirrors CorePlanogram { Compliant, WrongPosition, Missing }
}

ffi_enum! {
    /// State of the price tag.
    pub enum PriceTag mirrors CorePriceTag { Ok, Wrong, Missing }
}

/// The store as it was in the catalog (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreSnapshot {
    /// The server's store id.
    pub id: String,
    /// Store number.
    pub code: String,
    /// Store name.
    pub name: String,
    /// Chain.
    pub chain: String,
    /// Format.
    pub format: String,
}

/// The catalog product as it was when the line was added (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProductSnapshot {
    /// Barcode.
    pub gtin: String,
    /// Product name.
    pub name: String,
    /// Brand.
    pub brand: String,
    /// The client's own product.
    pub is_own: bool,
}

/// What the account expects of the product in this store (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Expected {
    /// The store must carry it.
    pub must_stock: bool,
    /// Agreed facings.
    pub target_facings: Option<i64>,
    /// Recommended shelf price.
    pub target_price: Option<Money>,
}

/// A promotion seen on the shelf.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Promo {
    /// Running now.
    pub active: bool,
    /// Promotional price.
    pub price: Option<Money>,
    /// "2x1", "30% off"...
    pub mechanic: String,
}

/// One own-product line, keyed by `key` (the product id, or `product@location`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StorecheckLine {
    /// The line's key in the storecheck.
    pub key: String,
    /// ONCE.
    pub product: ProductSnapshot,
    /// ONCE.
    pub expected: Expected,
    /// On the shelf or not.
    pub presence: Presence,
    /// Facings counted.
    pub facings: Option<i64>,
    /// Shelf height.
    pub shelf_level: Option<ShelfLevel>,
    /// Place in the store.
    pub location: Option<ShelfLocation>,
    /// Planogram compliance.
    pub planogram: Option<Planogram>,
    /// Price on the shelf.
    pub shelf_price: Option<Money>,
    /// Price tag state.
    pub price_tag: Option<PriceTag>,
    /// Promotion seen.
    pub promo: Option<Promo>,
    /// Nearest expiry seen, `YYYY-MM-DD`.
    pub expiry_nearest: Option<String>,
    /// Soft delete.
    pub deleted: bool,
    /// TEXT (edit with `edit_text`).
    pub note: String,
    /// Photo ids.
    pub photo_ids: Vec<String>,
}

/// A storecheck. Competitor lines, category blocks, POP items, issues and photos are not
/// exposed yet.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Storecheck {
    /// Document id.
    pub id: String,
    /// ONCE: the client account audited.
    pub account_id: String,
    /// ONCE.
    pub created_by: String,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE.
    pub store: StoreSnapshot,
    /// ONCE.
    pub catalog_version: String,
    /// ONCE: arrival.
    pub check_in: Option<CheckIn>,
    /// Never moves backwards.
    pub status: StorecheckStatus,
    /// The visit it belongs to.
    pub client_visit_id: Option<String>,
    /// Leaving.
    pub check_out: Option<Instant>,
    /// The supervisor who reviewed it.
    pub reviewed_by: Option<String>,
    /// Soft delete.
    pub deleted: bool,
    /// TEXT.
    pub general_notes: String,
    /// TEXT.
    pub review_comment: String,
    /// Own lines, by key.
    pub lines: Vec<StorecheckLine>,
}

/// What an app fills to create a storecheck (a draft with no lines).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewStorecheck {
    /// The client account.
    pub account_id: String,
    /// The executive.
    pub created_by: String,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// The store, from the catalog.
    pub store: StoreSnapshot,
    /// The catalog version the lines come from.
    pub catalog_version: String,
}

/// One edit of a storecheck; `update_storecheck` applies a list of them in one transaction.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum StorecheckEdit {
    /// Adds an own-product line (its product and expectation are ONCE).
    AddLine {
        /// The product id (or `product@location`).
        key: String,
        /// The catalog product.
        product: ProductSnapshot,
        /// What is expected of it.
        expected: Expected,
    },
    /// Sets presence on the shelf.
    SetPresence {
        /// Line key.
        key: String,
        /// The presence seen.
        presence: Presence,
    },
    /// Sets the facings counted (a recount replaces, never adds).
    SetFacings {
        /// Line key.
        key: String,
        /// Facings.
        facings: i64,
    },
    /// Sets the shelf price seen.
    SetShelfPrice {
        /// Line key.
        key: String,
        /// Price.
        price: Money,
    },
    /// Sets or clears the shelf level.
    SetShelfLevel {
        /// Line key.
        key: String,
        /// Level.
        level: Option<ShelfLevel>,
    },
    /// Sets or clears the place in the store.
    SetShelfLocation {
        /// Line key.
        key: String,
        /// Place.
        location: Option<ShelfLocation>,
    },
    /// Sets or clears planogram compliance.
    SetPlanogram {
        /// Line key.
        key: String,
        /// Compliance.
        planogram: Option<Planogram>,
    },
    /// Sets or clears the price tag state.
    SetPriceTag {
        /// Line key.
        key: String,
        /// State.
        price_tag: Option<PriceTag>,
    },
    /// Sets or clears the promotion seen.
    SetPromo {
        /// Line key.
        key: String,
        /// Promotion.
        promo: Option<Promo>,
    },
    /// Sets or clears the nearest expiry date (`YYYY-MM-DD`).
    SetExpiryNearest {
        /// Line key.
        key: String,
        /// Date.
        date: Option<String>,
    },
    /// Soft-deletes (or restores) a line.
    SetLineDeleted {
        /// Line key.
        key: String,
        /// Deleted or not.
        deleted: bool,
    },
    /// Checks in at the store (ONCE): draft -> in_progress.
    Arrive {
        /// The check-in.
        check_in: CheckIn,
    },
    /// Records leaving the store.
    Leave {
        /// When.
        at: Instant,
    },
    /// Submits: in_progress -> submitted.
    Submit,
    /// Links (or unlinks) the client visit.
    LinkClientVisit {
        /// The visit's document id.
        client_visit_id: Option<String>,
    },
}

impl StoreSnapshot {
    fn into_core(self) -> Result<CoreStoreSnapshot, ModelError> {
        Ok(CoreStoreSnapshot {
            id: entity("store.id", self.id)?,
            code: self.code,
            name: self.name,
            chain: self.chain,
            format: self.format,
        })
    }
}

impl From<CoreStoreSnapshot> for StoreSnapshot {
    fn from(s: CoreStoreSnapshot) -> Self {
        StoreSnapshot {
            id: s.id.to_string(),
            code: s.code,
            name: s.name,
            chain: s.chain,
            format: s.format,
        }
    }
}

impl From<CoreProduct> for ProductSnapshot {
    fn from(p: CoreProduct) -> Self {
        ProductSnapshot {
            gtin: p.gtin,
            name: p.name,
            brand: p.brand,
            is_own: p.is_own,
        }
    }
}

impl From<ProductSnapshot> for CoreProduct {
    fn from(p: ProductSnapshot) -> Self {
        CoreProduct {
            gtin: p.gtin,
            name: p.name,
            brand: p.brand,
            is_own: p.is_own,
        }
    }
}

impl From<CoreExpected> for Expected {
    fn from(e: CoreExpected) -> Self {
        Expected {
            must_stock: e.must_stock,
            target_facings: e.target_facings,
            target_price: e.target_price.map(Into::into),
        }
    }
}

impl Expected {
    fn into_core(self) -> Result<CoreExpected, ModelError> {
        Ok(CoreExpected {
            must_stock: self.must_stock,
            target_facings: self.target_facings,
            target_price: Money::opt_into_core(self.target_price)?,
        })
    }
}

impl From<CorePromo> for Promo {
    fn from(p: CorePromo) -> Self {
        Promo {
            active: p.active,
            price: p.price.map(Into::into),
            mechanic: p.mechanic,
        }
    }
}

impl Promo {
    fn into_core(self) -> Result<CorePromo, ModelError> {
        Ok(CorePromo {
            active: self.active,
            price: Money::opt_into_core(self.price)?,
            mechanic: self.mechanic,
        })
    }
}

impl StorecheckLine {
    fn from_core(key: String, l: CoreLine) -> Self {
        StorecheckLine {
            key,
            product: l.product.into(),
            expected: l.expected.into(),
            presence: l.presence.into(),
            facings: l.facings,
            shelf_level: l.shelf_level.map(Into::into),
            location: l.location.map(Into::into),
            planogram: l.planogram.map(Into::into),
            shelf_price: l.shelf_price.map(Into::into),
            price_tag: l.price_tag.map(Into::into),
            promo: l.promo.map(Into::into),
            expiry_nearest: l.expiry_nearest,
            deleted: l.deleted,
            note: l.note.as_str().to_owned(),
            photo_ids: l.photo_ids.iter().map(str::to_owned).collect(),
        }
    }
}

impl From<core::Storecheck> for Storecheck {
    fn from(sc: core::Storecheck) -> Self {
        let status = sc.status().into();
        Storecheck {
            id: sc.id.to_string(),
            account_id: sc.account_id.to_string(),
            created_by: sc.created_by.to_string(),
            created_at: sc.created_at.into(),
            store: sc.store.into(),
            catalog_version: sc.catalog_version,
            check_in: sc.check_in.map(Into::into),
            status,
            client_visit_id: sc.client_visit_id.map(|i| i.to_string()),
            check_out: sc.check_out.map(Into::into),
            reviewed_by: sc.reviewed_by.map(|i| i.to_string()),
            deleted: sc.deleted,
            general_notes: sc.general_notes.as_str().to_owned(),
            review_comment: sc.review_comment.as_str().to_owned(),
            lines: sc
                .lines
                .into_iter()
                .map(|(k, l)| StorecheckLine::from_core(k, l))
                .collect(),
        }
    }
}

impl NewStorecheck {
    /// The core value, under a fresh device-made id.
    pub(crate) fn into_core(self) -> Result<core::Storecheck, ModelError> {
        Ok(core::Storecheck::new(
            DocumentId::new_random(),
            entity("account_id", self.account_id)?,
            entity("created_by", self.created_by)?,
            self.created_at.into_core()?,
            self.store.into_core()?,
            self.catalog_version,
        ))
    }
}

impl StorecheckEdit {
    /// Applies the edit with the model's own operation where there is one (each checks its
    /// rule); the store then validates the whole document and the transition before writing.
    pub(crate) fn apply(self, sc: &mut core::Storecheck) -> Result<(), ModelError> {
        match self {
            StorecheckEdit::AddLine {
                key,
                product,
                expected,
            } => sc
                .add_line(&key, product.into(), expected.into_core()?)
                .map(drop),
            StorecheckEdit::SetPresence { key, presence } => sc.set_presence(&key, presence.into()),
            StorecheckEdit::SetFacings { key, facings } => sc.set_facings(&key, facings),
            StorecheckEdit::SetShelfPrice { key, price } => {
                sc.set_shelf_price(&key, price.into_core()?)
            }
            StorecheckEdit::SetShelfLevel { key, level } => {
                sc.line_mut(&key)?.shelf_level = level.map(Into::into);
                Ok(())
            }
            StorecheckEdit::SetShelfLocation { key, location } => {
                sc.line_mut(&key)?.location = location.map(Into::into);
                Ok(())
            }
            StorecheckEdit::SetPlanogram { key, planogram } => {
                sc.line_mut(&key)?.planogram = planogram.map(Into::into);
                Ok(())
            }
            StorecheckEdit::SetPriceTag { key, price_tag } => {
                sc.line_mut(&key)?.price_tag = price_tag.map(Into::into);
                Ok(())
            }
            StorecheckEdit::SetPromo { key, promo } => {
                sc.line_mut(&key)?.promo = promo.map(Promo::into_core).transpose()?;
                Ok(())
            }
            StorecheckEdit::SetExpiryNearest { key, date } => {
                sc.line_mut(&key)?.expiry_nearest = date;
                Ok(())
            }
            StorecheckEdit::SetLineDeleted { key, deleted } => sc.set_line_deleted(&key, deleted),
            StorecheckEdit::Arrive { check_in } => sc.check_in(check_in.into_core()?),
            StorecheckEdit::Leave { at } => {
                sc.check_out = Some(at.into_core()?);
                Ok(())
            }
            StorecheckEdit::Submit => sc.submit(),
            StorecheckEdit::LinkClientVisit { client_visit_id } => {
                sc.client_visit_id = opt_doc_id("client_visit_id", client_visit_id)?;
                Ok(())
            }
        }
    }
}
