//! The merge path of a batch item: load the document, apply the changes, check them, write the
//! difference.
//!
//! This is the path for everything the append path (`append_path`) cannot vouch for: a new
//! document, a listed one, stored heads that moved, bytes nobody has parsed yet. It costs the
//! document's whole history, which is why a sync server's routine edits avoid it.

use automerge::{AutoCommit, ChangeHash};
use rusqlite::Connection;

use super::append_path::same_heads;
use super::compact::compact_in;
use crate::ids::DocumentId;
use crate::model::{Listing, ModelError};
use crate::store::documents;
use crate::store::error::StoreError;
use crate::store::listing;
use crate::store::sqlite::append;
use crate::store::storage::{MergeOutcome, Merged};
use crate::store::{MAX_MERGE_BYTES, Store};

impl Store {
    /// Merges `bytes` into `id` inside the caller's transaction, compacting afterwards if due.
    pub(super) fn merge_in(
        &self,
        conn: &Connection,
        id: DocumentId,
        bytes: &[u8],
        expected: Option<&[ChangeHash]>,
        index: &impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> Result<Merged, StoreError> {
        if bytes.len() > MAX_MERGE_BYTES {
            return Err(StoreError::TooLarge {
                what: "merged changes",
                len: bytes.len(),
                max: MAX_MERGE_BYTES,
            });
        }
        if expected.is_none() {
            // Bytes nobody has parsed yet: refuse bombs before automerge sees them, and since
            // automerge's `load_incremental` would apply the valid prefix of a damaged input,
            // parse strictly first.
            documents::check_untrusted(id, bytes)?;
            match documents::load_strict(bytes) {
                Ok(_) | Err(automerge::AutomergeError::MissingDeps) => {}
                Err(source) => return Err(StoreError::malformed(id, source)),
            }
        }
        let mut existing = documents::load(conn, &id, &self.identity.actor)?;
        let mut fresh = documents::new_doc().with_actor(self.identity.actor.clone());
        let doc = existing.as_mut().map_or(&mut fresh, |l| &mut l.doc);
        let heads_before = doc.get_heads();
        doc.load_incremental(bytes)
            .map_err(|source| StoreError::malformed(id, source))?;
        let missing = doc.get_missing_deps(&[]).len();
        if missing > 0 {
            return Err(StoreError::MissingDependencies { id, missing });
        }
        let heads = doc.get_heads();
        if let Some(expected) = expected
            && !same_heads(expected, &heads)
        {
            return Err(StoreError::corrupt(format!(
                "changes to document {id} do not lead to the expected heads"
            )));
        }
        if heads == heads_before {
            return Ok(Merged {
                outcome: MergeOutcome::Unchanged,
                heads,
            });
        }
        let listing = index(doc).map_err(|e| StoreError::from_model(id, e))?;
        let outcome = match existing {
            Some(mut loaded) => {
                append(conn, id, &mut loaded, &heads_before, listing.as_ref())?;
                if documents::needs_compaction(&loaded.stats) {
                    compact_in(conn, id, loaded)?;
                }
                MergeOutcome::Updated
            }
            None => {
                documents::insert(conn, &id, &fresh.save(), &heads)?;
                if let Some(listing) = &listing {
                    listing::upsert(conn, &id, listing)?;
                }
                MergeOutcome::Created
            }
        };
        Ok(Merged { outcome, heads })
    }
}
