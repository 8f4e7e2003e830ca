//! The catalogs on this phone: an account's stores, products, contacts and visit plans read from
//! its catalog document, and the documents made from them (a storecheck from a store's
//! assortment, a contact report recipient from a contact).
//!
//! Everything here reads only the local store, so it works offline: a catalog is a document
//! the server writes and sync brings, found through the listing index (kind `catalog`, its
//! account) and read once into memory (`cache`), so each call reads it in place rather than
//! parsing or copying the whole catalog for one answer.
//!
//! - `cache`: the catalogs read lately, kept hydrated.
//! - `error`: [`CatalogError`].
//! - `week`: [`Store::visit_plan_week`] and [`PlannedVisit`].
//! - `storecheck`: [`Store::create_storecheck_from_assortment`].
//! - `recipients`: [`Store::add_recipient_from_contact`].

mod cache;
mod error;
mod recipients;
mod storecheck;
mod week;

use serde::Serialize;

use super::error::StoreError;
use super::listing::{ListedDocument, Query};
use super::{MAX_QUERY_LIMIT, Store};
use crate::ids::{DocumentId, EntityId};
use crate::model::catalog::{CatalogProduct, CatalogStore, Contact};
use crate::model::limits::MAX_SHORT;
use crate::model::{Catalog, DocumentKind};

pub(super) use cache::CatalogCache;
pub use cache::MAX_CACHED_CATALOGS;
pub use error::CatalogError;
pub use storecheck::storecheck_from_assortment;
pub use week::PlannedVisit;

/// Most products one [`Store::search_products`] call returns: a screen of results, not the
/// catalog (a phone scrolling further narrows the query).
pub const MAX_SEARCH_LIMIT: u32 = 200;

/// A store of one of the accounts on this phone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AccountStore {
    /// The account whose catalog lists it.
    pub account_id: EntityId,
    /// The store.
    pub store: CatalogStore,
}

impl Store {
    /// The id of the live catalog document of `account` on this phone, if one has synced. The
    /// server writes one per account; were there two, the most recently changed one counts.
    pub fn catalog_id(&self, account: &EntityId) -> Result<Option<DocumentId>, StoreError> {
        let query = Query::new()
            .kind(DocumentKind::Catalog)
            .account(account.as_str())
            .limit(1);
        Ok(self.list(&query)?.first().map(|d| d.id))
    }

    /// The catalog of `account`, or `None` when none is on this phone. A copy of the whole
    /// catalog: for one answer, prefer the calls below, which read it in place.
    pub fn catalog(&self, account: &EntityId) -> Result<Option<Catalog>, StoreError> {
        self.with_catalog(account, Catalog::clone)
    }

    /// Runs `f` on the catalog of `account` without copying it, or returns `None` when no
    /// catalog of the account is on this phone.
    pub fn with_catalog<R>(
        &self,
        account: &EntityId,
        f: impl FnOnce(&Catalog) -> R,
    ) -> Result<Option<R>, StoreError> {
        match self.catalog_id(account)? {
            Some(id) => Ok(Some(f(self.catalog_value(id)?.as_ref()))),
            None => Ok(None),
        }
    }

    /// [`Self::with_catalog`], failing with [`CatalogError::NoCatalog`] when there is none.
    pub(crate) fn with_catalog_of<R>(
        &self,
        account: &EntityId,
        f: impl FnOnce(&Catalog) -> R,
    ) -> Result<R, CatalogError> {
        self.with_catalog(account, f)?
            .ok_or_else(|| CatalogError::NoCatalog {
                account: account.clone(),
            })
    }

    /// The live catalogs on this phone, one per account (at most [`MAX_QUERY_LIMIT`], far
    /// more accounts than one person works on).
    pub(crate) fn catalog_documents(&self) -> Result<Vec<ListedDocument>, StoreError> {
        self.list(
            &Query::new()
                .kind(DocumentKind::Catalog)
                .limit(MAX_QUERY_LIMIT),
        )
    }

    /// Every store of every account whose catalog is on this phone, by name (then code and
    /// account, so the order is stable).
    pub fn stores_of_my_accounts(&self) -> Result<Vec<AccountStore>, StoreError> {
        let mut out = Vec::new();
        for listed in self.catalog_documents()? {
            let c = self.catalog_value(listed.id)?;
            out.extend(c.stores.values().map(|store| AccountStore {
                account_id: c.account_id.clone(),
                store: store.clone(),
            }));
        }
        out.sort_by(|a, b| {
            (&a.store.name, &a.store.code, a.account_id.as_str()).cmp(&(
                &b.store.name,
                &b.store.code,
                b.account_id.as_str(),
            ))
        });
        Ok(out)
    }

    /// Products of `account` whose name, brand or GTIN contains `query` (see
    /// [`Catalog::search_products`]), at most `limit` (1..=[`MAX_SEARCH_LIMIT`]).
    pub fn search_products(
        &self,
        account: &EntityId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<CatalogProduct>, CatalogError> {
        if limit == 0 || limit > MAX_SEARCH_LIMIT {
            return Err(CatalogError::bad_input(
                "limit",
                format!("{limit} is outside 1..={MAX_SEARCH_LIMIT}"),
            ));
        }
        if query.len() > MAX_SHORT {
            return Err(CatalogError::bad_input(
                "query",
                format!("{} bytes, more than {MAX_SHORT}", query.len()),
            ));
        }
        self.with_catalog_of(account, |c| c.search_products(query, limit as usize))
    }

    /// The contacts of `account`, by name (then id).
    pub fn contacts(&self, account: &EntityId) -> Result<Vec<Contact>, CatalogError> {
        let mut contacts = self.with_catalog_of(account, |c| {
            c.contacts.values().cloned().collect::<Vec<_>>()
        })?;
        contacts.sort_by(|a, b| (&a.name, a.id.as_str()).cmp(&(&b.name, b.id.as_str())));
        Ok(contacts)
    }
}
