//! [`Catalog`]: one account's reference data as a phone holds it: the stores it checks, the
//! products and the targets of each store's assortment, the client's contacts and the visit
//! plans.
//!
//! Reference data is server-authoritative (`domain.md`): the server keeps it in tables, writes
//! one catalog document per account under its own automerge actor, and refuses every change a
//! phone or a stock client makes to one. The document is the way it reaches phones: it syncs
//! like any document, to exactly the people who may read the account, and a change to one
//! product is one small automerge change, not the catalog again. Documents made from it copy
//! snapshots ([`StoreSnapshot`], [`ProductSnapshot`], [`Expected`]) and record
//! [`Catalog::version`], so an old storecheck still reads right after the catalog changed.
//!
//! Everything is a map keyed by a stable code (store code, GTIN, contact id, plan id), so the
//! server's reconcile of a new catalog touches only what changed.

mod plan;
mod search;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::common::GeoPoint;
use super::limits::{MAX_SHORT, check_len, check_required, check_short};
use super::money::Money;
use super::storecheck::{Expected, ProductSnapshot, StoreSnapshot};
use super::{Document, DocumentKind, Listing, ModelError};
use crate::ids::{DocumentId, EntityId};

pub use plan::{VisitPlan, Weekday, day_number};

/// Most stores one account's catalog holds.
pub const MAX_CATALOG_STORES: usize = 20_000;
/// Most products one account's catalog holds.
pub const MAX_CATALOG_PRODUCTS: usize = 50_000;
/// Most assortment rows (store × product) one account's catalog holds.
pub const MAX_ASSORTMENT_ROWS: usize = 250_000;
/// Most contacts, and most visit plans, one account's catalog holds.
pub const MAX_CATALOG_PEOPLE: usize = 5_000;

/// A store of the catalog.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CatalogStore {
    /// The server's store id.
    pub id: EntityId,
    /// Store number, unique in the organisation.
    pub code: String,
    /// Store name.
    pub name: String,
    /// Chain ("Jumbo", "Walmart").
    pub chain: String,
    /// Format ("hiper", "express").
    pub format: String,
    /// Street address.
    pub address: String,
    /// Region ("RM", "Valparaíso").
    pub region: String,
    /// Where it is, when known.
    pub geo: Option<GeoPoint>,
}

impl CatalogStore {
    /// The snapshot a storecheck copies.
    pub fn snapshot(&self) -> StoreSnapshot {
        StoreSnapshot {
            id: self.id.clone(),
            code: self.code.clone(),
            name: self.name.clone(),
            chain: self.chain.clone(),
            format: self.format.clone(),
        }
    }

    fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.code"), &self.code)?;
        check_required(&format!("{field}.name"), &self.name)?;
        for (name, value) in [
            ("chain", &self.chain),
            ("format", &self.format),
            ("address", &self.address),
            ("region", &self.region),
        ] {
            check_short(&format!("{field}.{name}"), value)?;
        }
        Ok(())
    }
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CatalogProduct {
    /// Barcode (GTIN-8, 12, 13 or 14), unique in the organisation.
    pub gtin: String,
    /// Product name.
    pub name: String,
    /// Brand.
    pub brand: String,
    /// Category ("Galletas", "Bebidas").
    pub category: String,
    /// The account's own product (true) or a competitor's.
    pub is_own: bool,
}

impl CatalogProduct {
    /// The snapshot a storecheck line copies.
    pub fn snapshot(&self) -> ProductSnapshot {
        ProductSnapshot {
            gtin: self.gtin.clone(),
            name: self.name.clone(),
            brand: self.brand.clone(),
            is_own: self.is_own,
        }
    }

    fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.gtin"), &self.gtin)?;
        check_required(&format!("{field}.name"), &self.name)?;
        check_short(&format!("{field}.brand"), &self.brand)?;
        check_short(&format!("{field}.category"), &self.category)
    }
}

/// What the account expects of one product in one store.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Target {
    /// The store must carry it.
    pub must_stock: bool,
    /// Agreed facings.
    pub target_facings: Option<i64>,
    /// Recommended shelf price.
    pub target_price: Option<Money>,
}

impl Target {
    /// The expectation a storecheck line copies.
    pub fn expected(&self) -> Expected {
        Expected {
            must_stock: self.must_stock,
            target_facings: self.target_facings,
            target_price: self.target_price,
        }
    }
}

/// A person at the client, for a contact report's distribution list.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    /// The server's contact id.
    pub id: EntityId,
    /// Full name.
    pub name: String,
    /// Title ("Brand Manager").
    pub title: String,
    /// E-mail address.
    pub email: String,
}

impl Contact {
    fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.name"), &self.name)?;
        check_short(&format!("{field}.title"), &self.title)?;
        check_required(&format!("{field}.email"), &self.email)
    }
}

/// One product line of a store's assortment, as [`Catalog::assortment_of`] lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssortmentLine {
    /// The product.
    pub product: CatalogProduct,
    /// What is expected of it in the store.
    pub target: Target,
}

/// An account's catalog document.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
pub struct Catalog {
    /// Derived by the server from the organisation and the account ([`Catalog`] docs).
    pub id: DocumentId,
    /// The account.
    pub account_id: EntityId,
    /// Grows with every change the server makes; storechecks record it.
    pub version: u64,
    /// When the server last changed it, milliseconds since the Unix epoch.
    pub updated_ms: i64,
    /// Stores keyed by store code.
    pub stores: BTreeMap<String, CatalogStore>,
    /// Products keyed by GTIN.
    pub products: BTreeMap<String, CatalogProduct>,
    /// Store code -> GTIN -> target.
    pub assortment: BTreeMap<String, BTreeMap<String, Target>>,
    /// Contacts keyed by contact id.
    pub contacts: BTreeMap<String, Contact>,
    /// Visit plans keyed by plan id.
    pub visit_plans: BTreeMap<String, VisitPlan>,
    /// Set when the account is gone.
    pub deleted: bool,
}

impl Catalog {
    /// An empty catalog.
    pub fn new(id: DocumentId, account_id: EntityId) -> Self {
        Catalog {
            id,
            account_id,
            version: 0,
            updated_ms: 0,
            stores: BTreeMap::new(),
            products: BTreeMap::new(),
            assortment: BTreeMap::new(),
            contacts: BTreeMap::new(),
            visit_plans: BTreeMap::new(),
            deleted: false,
        }
    }

    /// The catalog document id of `account` in organisation `org`: the same on every server
    /// node and after every rebuild, so re-projecting a catalog updates its document.
    pub fn id_for(org: &str, account: &str) -> DocumentId {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for part in ["enlace/catalog", org, account] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        DocumentId::from_bytes(bytes)
    }

    /// The version as storechecks record it (`catalog_version`).
    pub fn version_label(&self) -> String {
        self.version.to_string()
    }

    /// The lines of `store_code`'s assortment, in GTIN order; a row whose product the catalog
    /// does not hold is skipped (the server never writes one).
    pub fn assortment_of(&self, store_code: &str) -> Vec<AssortmentLine> {
        let Some(rows) = self.assortment.get(store_code) else {
            return Vec::new();
        };
        rows.iter()
            .filter_map(|(gtin, target)| {
                Some(AssortmentLine {
                    product: self.products.get(gtin)?.clone(),
                    target: target.clone(),
                })
            })
            .collect()
    }

    /// Products whose name, brand or GTIN contains `query`, at most `limit`, in GTIN order.
    /// Case and accents are ignored (`search::fold`): "triton" finds "Tritón", as a phone
    /// keyboard types it.
    pub fn search_products(&self, query: &str, limit: usize) -> Vec<CatalogProduct> {
        let query = search::fold(query.trim());
        self.products
            .values()
            .filter(|p| {
                query.is_empty()
                    || p.gtin.contains(&query)
                    || search::fold(&p.name).contains(&query)
                    || search::fold(&p.brand).contains(&query)
            })
            .take(limit)
            .cloned()
            .collect()
    }
}

impl Document for Catalog {
    const KIND: DocumentKind = DocumentKind::Catalog;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: Some(self.account_id.to_string()),
            status: "current".to_owned(),
            date_ms: self.updated_ms,
            title: format!("catalog {}", self.account_id),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        check_len("stores", self.stores.len(), MAX_CATALOG_STORES)?;
        check_len("products", self.products.len(), MAX_CATALOG_PRODUCTS)?;
        check_len("contacts", self.contacts.len(), MAX_CATALOG_PEOPLE)?;
        check_len("visit_plans", self.visit_plans.len(), MAX_CATALOG_PEOPLE)?;
        let rows: usize = self.assortment.values().map(BTreeMap::len).sum();
        check_len("assortment", rows, MAX_ASSORTMENT_ROWS)?;
        for (code, store) in &self.stores {
            check_len("stores", code.len(), MAX_SHORT)?;
            store.validate(&format!("stores.{code}"))?;
        }
        for (gtin, product) in &self.products {
            product.validate(&format!("products.{gtin}"))?;
        }
        for (id, contact) in &self.contacts {
            contact.validate(&format!("contacts.{id}"))?;
        }
        for (id, plan) in &self.visit_plans {
            plan.validate(&format!("visit_plans.{id}"))?;
        }
        Ok(())
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        super::rules::once("id", &before.id, &self.id)?;
        super::rules::once("account_id", &before.account_id, &self.account_id)?;
        if self.version < before.version {
            return Err(ModelError::invalid(
                "version",
                "a catalog's version never goes back",
            ));
        }
        Ok(())
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}

#[cfg(test)]
mod tests;
