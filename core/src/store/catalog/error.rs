//! [`CatalogError`]: why a call that reads the catalogs on this phone failed.
//!
//! Its own enum, not more variants of [`StoreError`], because these are answers about reference
//! data ("this account's catalog has not reached the phone yet", "no such store") that an app
//! shows to the user, while a [`StoreError`] is kept whole inside [`CatalogError::Store`].

use crate::ids::{DocumentId, EntityId};
use crate::store::StoreError;

/// Errors of the catalog calls of [`Store`](crate::store::Store).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No (live) catalog of the account is on this phone: it has not synced yet, or this
    /// person may not read the account.
    #[error("no catalog of account {account} on this phone")]
    NoCatalog {
        /// The account asked for.
        account: EntityId,
    },
    /// The account's catalog has no store with this code.
    #[error("store {store_code:?} is not in the catalog of account {account}")]
    UnknownStore {
        /// The account.
        account: EntityId,
        /// The store code asked for.
        store_code: String,
    },
    /// The store has no product in its assortment: a storecheck from it would have no line.
    #[error("store {store_code:?} of account {account} has an empty assortment")]
    EmptyAssortment {
        /// The account.
        account: EntityId,
        /// The store code.
        store_code: String,
    },
    /// The account's catalog has no contact with this id.
    #[error("contact {contact} is not in the catalog of account {account}")]
    UnknownContact {
        /// The account.
        account: EntityId,
        /// The contact id asked for.
        contact: EntityId,
    },
    /// The meeting note belongs to no account, so no catalog holds its contacts.
    #[error("meeting note {0} has no account")]
    NoAccount(DocumentId),
    /// An argument is out of range or malformed (a limit, a date, a query too long).
    #[error("invalid {field}: {reason}")]
    BadInput {
        /// The argument.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store failed, or refused the document written.
    #[error("store")]
    Store(#[from] StoreError),
}

impl CatalogError {
    pub(super) fn bad_input(field: &'static str, reason: impl Into<String>) -> Self {
        CatalogError::BadInput {
            field,
            reason: reason.into(),
        }
    }
}
