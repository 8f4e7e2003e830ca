//! Document registrations through [`Store`]: the account, kind and creator a server recorded
//! for each document it accepted.
//!
//! A server decides who may sync a document from its registration, so these writes take the
//! write lock like any other; the rows themselves live in `store::registry`.

use super::{Store, write_tx};
use crate::ids::DocumentId;
use crate::store::error::StoreError;
use crate::store::{Registration, registry};

impl Store {
    /// Records a document's registration unless it has one; returns whether this call did.
    pub fn register(
        &self,
        id: DocumentId,
        registration: &Registration,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let inserted = registry::insert(&tx, &id, registration)?;
        tx.commit()?;
        Ok(inserted)
    }

    /// Rewrites the account and creator of registered documents, in one transaction; returns
    /// how many it changed. For a server changing the form in which it writes them (say, to
    /// qualify ids that used to be unique): kinds stay, and a document never moves through
    /// this, since the server decides what the strings mean.
    pub fn rewrite_registrations(
        &self,
        registrations: &[(DocumentId, Registration)],
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut changed = 0;
        for (id, registration) in registrations {
            if registry::rewrite(&tx, id, registration)? {
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Every document registration (a server loads them at start).
    pub fn registrations(&self) -> Result<Vec<(DocumentId, Registration)>, StoreError> {
        registry::all(&self.conn())
    }

    /// Stored documents that have no registration.
    pub fn unregistered_documents(&self) -> Result<Vec<DocumentId>, StoreError> {
        registry::unregistered(&self.conn())
    }
}
