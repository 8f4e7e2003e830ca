//! The catalogs read lately, hydrated and shared, so each catalog call costs a lookup rather
//! than a read of the whole catalog.
//!
//! A catalog is the largest document on a phone (an account's 25,000 assortment rows) and it
//! is read on every screen that shows a store or a product, while it changes only when the
//! server changes it. The generic read path serves it from its value snapshot, which parses the
//! whole catalog on every call (tens of milliseconds); this cache keeps the value instead.
//!
//! Trusted only while the document's row is unchanged: each use compares the row's catch-up
//! sequence and compaction generation (one indexed read), as the loaded-document cache does, so
//! a catalog changed by sync is reloaded, never served stale. Bounded to
//! [`MAX_CACHED_CATALOGS`] catalogs, least recently used first out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::ids::DocumentId;
use crate::model::Catalog;
use crate::store::Store;
use crate::store::cache::row_version;
use crate::store::error::StoreError;

/// Most catalogs kept in memory: more accounts than one person usually works on.
pub const MAX_CACHED_CATALOGS: usize = 8;

/// A row's catch-up sequence and compaction generation.
type RowVersion = (i64, i64);

/// The cached catalogs, most recently used last.
#[derive(Debug, Default)]
pub(in crate::store) struct CatalogCache {
    entries: Mutex<Vec<(DocumentId, RowVersion, Arc<Catalog>)>>,
}

impl CatalogCache {
    fn lock(&self) -> MutexGuard<'_, Vec<(DocumentId, RowVersion, Arc<Catalog>)>> {
        // A panic while it was held left a whole vector behind: entries are only pushed and
        // removed whole.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, id: DocumentId, version: RowVersion) -> Option<Arc<Catalog>> {
        let mut entries = self.lock();
        let at = entries.iter().position(|(i, _, _)| *i == id)?;
        let entry = entries.remove(at);
        if entry.1 != version {
            return None;
        }
        let value = Arc::clone(&entry.2);
        entries.push(entry);
        Some(value)
    }

    fn put(&self, id: DocumentId, version: RowVersion, value: Arc<Catalog>) {
        let mut entries = self.lock();
        entries.retain(|(i, _, _)| *i != id);
        if entries.len() >= MAX_CACHED_CATALOGS {
            entries.remove(0);
        }
        entries.push((id, version, value));
    }
}

impl Store {
    /// The catalog document `id`, from the cache when its row is unchanged, else read (and
    /// cached).
    pub(super) fn catalog_value(&self, id: DocumentId) -> Result<Arc<Catalog>, StoreError> {
        let version = {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            row_version(&tx, &id)?.ok_or(StoreError::NotFound(id))?
        };
        if let Some(value) = self.catalogs.get(id, version) {
            return Ok(value);
        }
        // The document only grows: a write landing between the version read above and this
        // read makes the entry newer than its version, so the next call reloads it.
        let value = Arc::new(self.read(id, Catalog::clone)?);
        self.catalogs.put(id, version, Arc::clone(&value));
        Ok(value)
    }
}
