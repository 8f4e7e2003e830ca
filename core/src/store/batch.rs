//! Group commit: many documents' changes and sync states written in one transaction (one fsync),
//! and the raw reads a sync server needs to load a document without parsing it twice.
//!
//! A sync server acknowledges a change only once it is durable, and an fsync costs milliseconds:
//! writing each client's change in its own transaction would cap the whole server at a few hundred
//! acknowledgements per second. [`Store::write_batch`] takes everything queued, applies each item
//! inside its own SAVEPOINT (a refused item is rolled back alone and reported, the others still
//! commit) and commits once.
//!
//! Documents of no enlace kind (a stock automerge-repo client syncs arbitrary documents) are
//! stored without a listing row when the index function says `None`.

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, params};

use super::documents::{self, DocumentStats, blob};
use super::error::StoreError;
use super::listing;
use super::sqlite::{append, write_tx};
use super::storage::{MergeOutcome, Merged};
use super::{MAX_MERGE_BYTES, Registration, Store, registry, sync_state};
use crate::ids::{DocumentId, StorageId};
use crate::model::{self, Listing, ModelError};

/// Chunk bytes the append path lets a document gather before compacting it, however small its
/// snapshot. Compacting loads, saves and reloads the whole document; for a small document
/// edited often (a write storm) the plain rule, chunks outgrowing the snapshot, fell due every
/// few dozen writes and took a third of the writer's time. The append path serves a sync
/// server, which keeps a document it is syncing in memory and reads the chunks back only when
/// it loads the document cold, so a longer tail of chunks costs little there.
pub(crate) const APPEND_PATH_MIN_CHUNK_BYTES: usize = 64 * 1024;

/// One write of a batch.
#[derive(Debug, Clone, Copy)]
pub enum BatchWrite<'a> {
    /// Another replica's changes to a document (as [`Store::merge_changes_with`] takes them).
    Changes {
        /// Which document.
        doc: DocumentId,
        /// The changes.
        bytes: &'a [u8],
        /// The heads the document must have once they are applied, when the caller knows them
        /// (the sync engine does: it applied the changes already). Checked after applying, in
        /// place of a strict parse up front.
        heads: Option<&'a [ChangeHash]>,
        /// The heads `bytes` were saved after (`save_after(base)`), when the caller knows them
        /// (the sync engine: what it last saw made durable). Together with `heads` this allows
        /// the append path: see [`Store::write_batch`].
        base: Option<&'a [ChangeHash]>,
    },
    /// A peer's sync state (as [`Store::save_sync_state`] takes it).
    SyncState {
        /// Which document.
        doc: DocumentId,
        /// Whose state.
        peer: &'a StorageId,
        /// The encoded state.
        state: &'a [u8],
    },
    /// A document's registration (see [`Store::register`]); the first one stays.
    Register {
        /// Which document.
        doc: DocumentId,
        /// Its kind, account and creator.
        registration: &'a Registration,
    },
}

/// The outcome of one [`BatchWrite`]: a merge's result, or `None` for a sync state or a
/// registration.
pub type BatchOutcome = Result<Option<Merged>, StoreError>;

/// The listing of `doc` if it is an enlace document, `None` for any other automerge document.
/// An enlace kind whose content does not hydrate is stored unlisted too (and logged): refusing it
/// would leave the sending replica unacknowledged forever.
pub fn listing_if_known(doc: &AutoCommit) -> Result<Option<Listing>, ModelError> {
    match model::listing_of(doc) {
        Ok(listing) => Ok(Some(listing)),
        Err(ModelError::UnknownKind { .. }) => Ok(None),
        Err(error) => {
            tracing::debug!(?error, "document has no listing");
            Ok(None)
        }
    }
}

impl Store {
    /// Applies every write in one transaction and commits once. Each item runs in its own
    /// savepoint: a refused item (malformed changes, missing dependencies, too large) is rolled
    /// back alone and its error returned in its slot; the outer `Err` means the commit itself
    /// failed and nothing of the batch is stored. Documents whose chunks outgrew their snapshot are
    /// compacted in the same transaction (a failed compaction is rolled back alone and logged).
    ///
    /// **Append path.** A write that names both `base` and `heads`, for a document stored at
    /// exactly `base` and keeping no listing row, is appended as one chunk without loading the
    /// document: the caller (the sync engine, which applied and checked these changes against
    /// its own copy) vouches that they lead from `base` to `heads`. Loading a document costs
    /// its whole history; a server taking a small edit to a large document should pay for the
    /// edit only. Any other write (a new document, stored heads that moved, a listed document)
    /// loads, applies and checks as before, and so does compaction when it falls due.
    pub fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
        index: impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> Result<Vec<BatchOutcome>, StoreError> {
        let mut conn = self.conn();
        let mut tx = write_tx(&mut conn)?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            let mut sp = tx.savepoint()?;
            let outcome = match *write {
                BatchWrite::Changes {
                    doc,
                    bytes,
                    heads,
                    base,
                } => self
                    .changes_in(&sp, doc, bytes, heads, base, &index)
                    .map(Some),
                BatchWrite::SyncState { doc, peer, state } => {
                    sync_state::save(&sp, &doc, peer, state).map(|()| None)
                }
                BatchWrite::Register { doc, registration } => {
                    registry::insert(&sp, &doc, registration).map(|_| None)
                }
            };
            if sp.is_autocommit() {
                // SQLite rolled the whole transaction back (an I/O error, a full disk): nothing
                // of the batch is stored. Report that cause, not the savepoint it took along.
                return Err(match outcome {
                    Err(error) => error,
                    Ok(_) => StoreError::corrupt("the transaction ended in the middle of a batch"),
                });
            }
            if outcome.is_ok() {
                sp.commit()?;
            } else {
                // Dropping the rolled-back savepoint releases it.
                sp.rollback()?;
            }
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// One write of changes: the append path when it applies, `merge_in` otherwise.
    fn changes_in(
        &self,
        conn: &Connection,
        id: DocumentId,
        bytes: &[u8],
        heads: Option<&[ChangeHash]>,
        base: Option<&[ChangeHash]>,
        index: &impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> Result<Merged, StoreError> {
        match append_on(conn, id, bytes, heads.zip(base))? {
            Some(merged) => {
                self.compact_if_due(conn, id)?;
                Ok(merged)
            }
            None => self.merge_in(conn, id, bytes, heads, index),
        }
    }

    /// Merges `bytes` into `id` inside the caller's transaction, compacting afterwards if due.
    fn merge_in(
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

    /// Compacts `id` when its chunks have outgrown both its snapshot and
    /// [`APPEND_PATH_MIN_CHUNK_BYTES`] (the append path's check; `merge_in` has the document
    /// loaded already and checks itself). Like a failed compaction, a failure to read the
    /// document for it is logged and leaves the write alone; see [`compaction_failed`] for the `Err`.
    fn compact_if_due(&self, conn: &Connection, id: DocumentId) -> Result<(), StoreError> {
        let due = |stats: &DocumentStats| {
            documents::needs_compaction(stats) && stats.chunk_bytes > APPEND_PATH_MIN_CHUNK_BYTES
        };
        let loaded = documents::summary(conn, &id).and_then(|summary| {
            match summary.is_some_and(|s| due(&s.stats)) {
                true => documents::load(conn, &id, &self.identity.actor),
                false => Ok(None),
            }
        });
        match loaded {
            Ok(Some(loaded)) => compact_in(conn, id, loaded),
            Ok(None) => Ok(()),
            Err(error) => compaction_failed(conn, id, error, "could not read the document"),
        }
    }

    /// The stored bytes of document `id` (snapshot then chunks, as `Automerge::load` accepts
    /// them), unparsed, or `None` when it is not stored. For a caller that parses them itself
    /// (the sync engine), this saves loading the document twice.
    pub fn load_bytes(&self, id: DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.conn();
        documents::raw_bytes(&conn, &id)
    }

    /// Every saved sync state of document `id`, by peer storage id.
    pub fn sync_states_of(&self, id: DocumentId) -> Result<Vec<(StorageId, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT storage_id, state FROM sync_states WHERE doc_id = ?1")?;
        let mut rows = stmt.query(params![id.as_bytes()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let storage: String = row.get(0)?;
            let Ok(storage) = storage.parse::<StorageId>() else {
                tracing::warn!(doc = %id, "skipping a sync state with an invalid storage id");
                continue;
            };
            out.push((storage, blob(row, 1)?.to_vec()));
        }
        Ok(out)
    }
}

/// The append path of [`Store::write_batch`]: appends `bytes` as one chunk when `id` is stored
/// at exactly `base` and has no listing row, and returns `None` (nothing written) otherwise.
/// An `Err` is a storage failure; whether the path applies is never one.
fn append_on(
    conn: &Connection,
    id: DocumentId,
    bytes: &[u8],
    known: Option<(&[ChangeHash], &[ChangeHash])>,
) -> Result<Option<Merged>, StoreError> {
    let Some((heads, base)) = known else {
        return Ok(None);
    };
    if bytes.len() > MAX_MERGE_BYTES {
        return Ok(None); // merge_in refuses it with the error
    }
    let Some(summary) = documents::summary(conn, &id)? else {
        return Ok(None);
    };
    if !same_heads(&summary.heads, base) || listing::exists(conn, &id)? {
        return Ok(None);
    }
    let mut heads = heads.to_vec();
    heads.sort();
    if same_heads(&heads, base) {
        return Ok(Some(Merged {
            outcome: MergeOutcome::Unchanged,
            heads,
        }));
    }
    documents::append_chunk(conn, &id, bytes, &heads)?;
    Ok(Some(Merged {
        outcome: MergeOutcome::Updated,
        heads,
    }))
}

fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// Compacts inside a savepoint of the caller's transaction; a failure rolls back only the
/// compaction and goes to [`compaction_failed`].
fn compact_in(
    conn: &Connection,
    id: DocumentId,
    mut loaded: documents::Loaded,
) -> Result<(), StoreError> {
    let result = (|| -> Result<documents::Compaction, StoreError> {
        conn.execute_batch("SAVEPOINT compaction")?;
        match documents::compact(
            conn,
            &id,
            &mut loaded.doc,
            loaded.generation,
            loaded.last_chunk,
        ) {
            Ok(done) => {
                conn.execute_batch("RELEASE compaction")?;
                Ok(done)
            }
            Err(error) if conn.is_autocommit() => Err(error),
            Err(error) => {
                conn.execute_batch("ROLLBACK TO compaction; RELEASE compaction")?;
                Err(error)
            }
        }
    })();
    match result {
        Ok(_) => Ok(()),
        Err(error) => compaction_failed(conn, id, error, "compaction failed"),
    }
}

/// A compaction that failed leaves the write it follows alone: logged, `Ok`. Unless SQLite
/// ended the caller's whole transaction (an I/O error, a full disk): then the write is gone
/// too, and the caller must hear why.
fn compaction_failed(
    conn: &Connection,
    id: DocumentId,
    error: StoreError,
    what: &str,
) -> Result<(), StoreError> {
    if conn.is_autocommit() {
        return Err(error);
    }
    tracing::warn!(
        document = %id,
        error = &error as &dyn std::error::Error,
        "{what}; the chunks are kept"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;

    /// A document of no enlace kind (what a stock JS client creates), as changes from nothing.
    fn generic_doc(value: &str) -> (AutoCommit, Vec<u8>) {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "client", value).expect("put");
        let bytes = doc.save_after(&[]);
        (doc, bytes)
    }

    #[test]
    fn one_batch_stores_many_documents_and_sync_states_unlisted() {
        let store = Store::open_in_memory().expect("store");
        let (mut a, a_bytes) = generic_doc("Acme");
        let (_, b_bytes) = generic_doc("Globex");
        let (ida, idb) = (DocumentId::new_random(), DocumentId::new_random());
        let peer = StorageId::new_random();
        let outcomes = store
            .write_batch(
                &[
                    BatchWrite::Changes {
                        doc: ida,
                        bytes: &a_bytes,
                        heads: Some(&a.get_heads()),
                        base: None,
                    },
                    BatchWrite::Changes {
                        doc: idb,
                        bytes: &b_bytes,
                        heads: None,
                        base: None,
                    },
                    BatchWrite::SyncState {
                        doc: ida,
                        peer: &peer,
                        state: b"state",
                    },
                ],
                listing_if_known,
            )
            .expect("commit");
        assert!(matches!(
            &outcomes[0],
            Ok(Some(Merged {
                outcome: MergeOutcome::Created,
                ..
            }))
        ));
        assert!(outcomes[1].is_ok() && matches!(outcomes[2], Ok(None)));
        let loaded = store.load_raw(ida).expect("load").expect("stored");
        assert_eq!(
            loaded
                .get(ROOT, "client")
                .expect("get")
                .map(|(v, _)| v.to_string()),
            Some("\"Acme\"".to_owned())
        );
        assert_eq!(
            store.sync_states_of(ida).expect("states"),
            [(peer, b"state".to_vec())]
        );
        assert!(
            store
                .list(&crate::store::Query::new())
                .expect("list")
                .is_empty()
        );
        let raw = store.load_bytes(idb).expect("bytes").expect("stored");
        assert_eq!(
            AutoCommit::load(&raw).expect("loads").get_heads(),
            store.heads(idb).expect("heads").expect("stored")
        );
    }

    #[test]
    fn a_refused_item_is_rolled_back_alone() {
        let store = Store::open_in_memory().expect("store");
        let (mut doc, bytes) = generic_doc("Acme");
        let (good, bad, wrong) = (
            DocumentId::new_random(),
            DocumentId::new_random(),
            DocumentId::new_random(),
        );
        let outcomes = store
            .write_batch(
                &[
                    BatchWrite::Changes {
                        doc: bad,
                        bytes: &[0x85, 0x6f, 0x4a, 0x83, 0xff, 0xff],
                        heads: None,
                        base: None,
                    },
                    BatchWrite::Changes {
                        doc: wrong,
                        bytes: &bytes,
                        heads: Some(&[]),
                        base: None,
                    },
                    BatchWrite::Changes {
                        doc: good,
                        bytes: &bytes,
                        heads: Some(&doc.get_heads()),
                        base: None,
                    },
                ],
                listing_if_known,
            )
            .expect("commit");
        assert!(outcomes[0].is_err() && outcomes[1].is_err() && outcomes[2].is_ok());
        assert_eq!(store.heads(bad).expect("heads"), None);
        assert_eq!(store.heads(wrong).expect("heads"), None);
        assert_eq!(store.heads(good).expect("heads"), Some(doc.get_heads()));
    }

    /// One engine-style write of the changes `doc` made since `claimed` (the base it names),
    /// indexed with `index`; the outcome of that one write.
    fn engine_write_with(
        store: &Store,
        id: DocumentId,
        doc: &mut AutoCommit,
        claimed: &[ChangeHash],
        index: impl Fn(&AutoCommit) -> Result<Option<Listing>, ModelError>,
    ) -> BatchOutcome {
        let bytes = doc.save_after(claimed);
        let heads = doc.get_heads();
        let write = BatchWrite::Changes {
            doc: id,
            bytes: &bytes,
            heads: Some(&heads),
            base: Some(claimed),
        };
        let mut outcomes = store.write_batch(&[write], index).expect("commit");
        outcomes.remove(0)
    }

    /// [`engine_write_with`] without listings, which must succeed.
    fn engine_write(store: &Store, id: DocumentId, doc: &mut AutoCommit, base: &[ChangeHash]) {
        let outcome = engine_write_with(store, id, doc, base, |_| Ok(None));
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[test]
    fn the_append_path_stores_edits_that_reload_and_compacts_when_due() {
        let store = Store::open_in_memory().expect("store");
        let id = DocumentId::new_random();
        let (mut doc, _) = generic_doc("Acme");
        engine_write(&store, id, &mut doc, &[]);
        let mut compactions = 0;
        for i in 0..200 {
            let base = doc.get_heads();
            doc.put(ROOT, "visits", i as i64).expect("put");
            // About 1 KiB per edit that does not compress away, so compaction falls due.
            let note: String = (0..128)
                .map(|k| format!("{:x}", (i * 131 + k) * 2_654_435_761u64 % 0xffff_ffff))
                .collect();
            doc.put(ROOT, "note", note).expect("put");
            engine_write(&store, id, &mut doc, &base);
            let stats = store.stats(id).expect("stats");
            let counted = documents::summary(&store.conn(), &id).expect("summary");
            assert_eq!(
                counted.map(|s| s.stats),
                Some(stats),
                "the row's counters are exact"
            );
            assert!(
                stats.chunk_bytes <= stats.snapshot_bytes.max(APPEND_PATH_MIN_CHUNK_BYTES) + 4096,
                "compaction kept chunks within bounds: {stats:?}"
            );
            compactions += usize::from(stats.chunk_count == 0);
        }
        assert!(
            compactions >= 2,
            "the append path compacted {compactions} times"
        );
        let mut loaded = store.load_raw(id).expect("load").expect("stored");
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert_eq!(store.heads(id).expect("heads"), Some(doc.get_heads()));
        assert_eq!(
            loaded
                .get(ROOT, "visits")
                .expect("get")
                .map(|(v, _)| v.to_string()),
            Some("199".to_owned())
        );
    }

    #[test]
    fn a_base_the_store_does_not_hold_falls_back_to_merging() {
        let store = Store::open_in_memory().expect("store");
        let id = DocumentId::new_random();
        let (mut doc, _) = generic_doc("Acme");
        engine_write(&store, id, &mut doc, &[]);
        let stored = doc.get_heads();
        // A writer claiming a base the store never got: its bytes lack the change between.
        doc.put(ROOT, "visits", 1).expect("put");
        let claimed = doc.get_heads();
        doc.put(ROOT, "visits", 2).expect("put");
        let outcome = engine_write_with(&store, id, &mut doc, &claimed, |_| Ok(None));
        assert!(
            matches!(outcome, Err(StoreError::MissingDependencies { .. })),
            "{outcome:?}"
        );
        assert_eq!(store.heads(id).expect("heads"), Some(stored.clone()));
        let mut loaded = store.load_raw(id).expect("load").expect("stored");
        assert_eq!(loaded.get_heads(), stored);
    }

    #[test]
    fn a_stale_base_falls_back_to_merging() {
        let store = Store::open_in_memory().expect("store");
        let id = DocumentId::new_random();
        let (mut doc, _) = generic_doc("Acme");
        engine_write(&store, id, &mut doc, &[]);
        let first = doc.get_heads();
        doc.put(ROOT, "visits", 1).expect("put");
        engine_write(&store, id, &mut doc, &first);
        // A writer that believes the document is still at `first`: its bytes repeat a change
        // already stored, which merging absorbs.
        doc.put(ROOT, "visits", 2).expect("put");
        engine_write(&store, id, &mut doc, &first);
        let mut loaded = store.load_raw(id).expect("load").expect("stored");
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert_eq!(
            loaded
                .get(ROOT, "visits")
                .expect("get")
                .map(|(v, _)| v.to_string()),
            Some("2".to_owned())
        );
    }

    #[test]
    fn a_listed_document_keeps_its_listing_current() {
        // An index that lists every document under its `client` field.
        let index = |doc: &AutoCommit| -> Result<Option<Listing>, ModelError> {
            let title = doc
                .get(ROOT, "client")
                .ok()
                .flatten()
                .map(|(v, _)| v.to_string())
                .unwrap_or_default();
            Ok(Some(Listing {
                kind: model::DocumentKind::Storecheck,
                account_id: Some("acme".into()),
                status: "draft".into(),
                date_ms: 0,
                title,
                deleted: false,
            }))
        };
        let store = Store::open_in_memory().expect("store");
        let id = DocumentId::new_random();
        let (mut doc, _) = generic_doc("Acme");
        for (base, name) in [(Vec::new(), None), (Vec::new(), Some("Globex"))] {
            let base = if name.is_some() {
                doc.get_heads()
            } else {
                base
            };
            if let Some(name) = name {
                doc.put(ROOT, "client", name).expect("put");
            }
            let outcome = engine_write_with(&store, id, &mut doc, &base, index);
            assert!(outcome.is_ok(), "{outcome:?}");
        }
        let listed = store.list(&crate::store::Query::new()).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].listing.title, "\"Globex\"");
    }
}
