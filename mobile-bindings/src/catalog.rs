//! Reference data on the phone, offline: the stores of my accounts, product search, contacts,
//! my visit plan of the week, a storecheck created from a store's assortment, and a contact
//! added to a contact report's distribution list. Each call reads only the catalogs already
//! synced to the phone (core's `store::catalog`); the records are core's own
//! ([`AccountStore`], [`CatalogProduct`], [`Contact`], [`PlannedVisit`]).

use enlace_core::model::Instant;
use enlace_core::model::catalog::{CatalogProduct, Contact};
use enlace_core::model::meeting_note::RecipientReason;
use enlace_core::store::{AccountStore, PlannedVisit};
use enlace_core::{DocumentId, EntityId};

use crate::EnlaceError;
use crate::store::EnlaceStore;

#[uniffi::export]
impl EnlaceStore {
    /// The version of `account_id`'s catalog on this phone, or `None` when it has not synced
    /// yet (the other catalog calls then raise `NotFound`).
    pub fn catalog_version(&self, account_id: EntityId) -> Result<Option<u64>, EnlaceError> {
        Ok(self.core().with_catalog(&account_id, |c| c.version)?)
    }

    /// Every store of every account whose catalog is on this phone, by name.
    pub fn stores_of_my_accounts(&self) -> Result<Vec<AccountStore>, EnlaceError> {
        Ok(self.core().stores_of_my_accounts()?)
    }

    /// Products of `account_id` whose name, brand or GTIN contains `query` (case and accents
    /// ignored), at most `limit` (1 to 200), in GTIN order.
    pub fn search_products(
        &self,
        account_id: EntityId,
        query: String,
        limit: u32,
    ) -> Result<Vec<CatalogProduct>, EnlaceError> {
        Ok(self.core().search_products(&account_id, &query, limit)?)
    }

    /// Creates a draft storecheck of store `store_code` with one line per product of its
    /// assortment (own products as lines with their targets, competitors' as competitor lines,
    /// one category block per category), copied from the catalog, in one write. Returns its id.
    /// Raises `NotFound` (no catalog, unknown store) or `InvalidValue` (empty assortment).
    pub fn create_storecheck_from_assortment(
        &self,
        account_id: EntityId,
        store_code: String,
        created_by: EntityId,
        created_at: Instant,
    ) -> Result<DocumentId, EnlaceError> {
        Ok(self.core().create_storecheck_from_assortment(
            &account_id,
            &store_code,
            created_by,
            created_at,
        )?)
    }

    /// The contacts of `account_id`, by name.
    pub fn contacts(&self, account_id: EntityId) -> Result<Vec<Contact>, EnlaceError> {
        Ok(self.core().contacts(&account_id)?)
    }

    /// The visits and storechecks planned for `user_id` in the week (Monday to Sunday) of `day`
    /// (`YYYY-MM-DD`), across the accounts on this phone, by date.
    pub fn visit_plan_week(
        &self,
        user_id: EntityId,
        day: String,
    ) -> Result<Vec<PlannedVisit>, EnlaceError> {
        Ok(self.core().visit_plan_week(&user_id, &day)?)
    }

    /// Adds contact `contact_id` of meeting note `note`'s account to its contact report's
    /// distribution list (a client recipient keyed by the contact id); returns the key. Raises
    /// `NotFound` for an unknown contact and `AlreadyExists` when it is already there.
    pub fn add_recipient_from_contact(
        &self,
        note: DocumentId,
        contact_id: EntityId,
        reason: RecipientReason,
    ) -> Result<String, EnlaceError> {
        Ok(self
            .core()
            .add_recipient_from_contact(note, &contact_id, reason)?)
    }
}
