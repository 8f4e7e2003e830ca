//! Which blobs each document references: the `refs` index that blob access and GC read.
//!
//! The server sees every document change in one place, the access policy's vetting of a
//! writer's changes (`ServerPolicy::check_changes`, on the engine thread, with the document as
//! it is after the changes). There [`RefIndexer::observe`] looks at the new changes' operations
//! and, only when one of them writes a `photos` map, a photo's `sha256` or `deleted`, or an
//! entry of the `photos` map, reads the document's photos (at most [`MAX_PHOTOS_READ`]) and
//! queues the set. A thread of its own writes the queue to `blobs.sqlite3`, coalescing by
//! document, so the engine never waits on a disk.
//!
//! A photo counts while it is not deleted: deleting a photo (its `deleted` flag) takes the
//! document's reference away, so its blob is read only by whoever else references or uploaded
//! it, and is collected after the grace period when nobody does.
//!
//! What the queue holds when the process dies is lost; so the index is marked dirty while the
//! server runs and clean after a clean stop, and a server that finds it dirty at start
//! [rebuilds](RefIndexer) it from every stored document, on the same thread. GC removes nothing
//! while the index is dirty.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use automerge::legacy::{Key, ObjectId};
use automerge::{Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ValueRef};
use enlace_core::ids::DocumentId;
use enlace_core::store::Store;

use super::db::BlobDb;
use super::hash::Sha256Hex;

/// Most photos read from one document: a document past it (the model allows 5 000 entries in
/// a collection) has the rest unindexed, and a warning logged.
pub const MAX_PHOTOS_READ: usize = 5_000;

/// Most operations of new changes looked through for photo writes; past it (a whole document
/// arriving at once, say) the photos are read without looking.
const MAX_OPS_INSPECTED: u64 = 2_000;

/// The non-deleted photo hashes of `doc`'s root `photos` map (storechecks and client visits
/// keep their photos there). Strings may be scalars (enlace) or text (stock JS clients).
pub fn photo_hashes(doc: &Automerge) -> BTreeSet<Sha256Hex> {
    let mut out = BTreeSet::new();
    let Ok(Some((Value::Object(ObjType::Map), photos))) = doc.get(automerge::ROOT, "photos") else {
        return out;
    };
    for (n, item) in doc.map_range(&photos, ..).enumerate() {
        if n >= MAX_PHOTOS_READ {
            tracing::warn!(
                photos = doc.length(&photos),
                "photos past the index bound ignored"
            );
            break;
        }
        let ValueRef::Object(ObjType::Map) = item.value else {
            continue;
        };
        let photo = item.id();
        if matches!(
            doc.get(&photo, "deleted"),
            Ok(Some((Value::Scalar(ref v), _))) if matches!(v.as_ref(), ScalarValue::Boolean(true))
        ) {
            continue;
        }
        if let Some(sha) = string_at(doc, &photo, "sha256").and_then(|s| s.parse().ok()) {
            out.insert(sha);
        }
    }
    out
}

fn string_at(doc: &Automerge, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(v), _) => match v.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        _ => None,
    }
}

/// Whether the changes after `before` may have changed `doc`'s photos: conservative (a
/// `deleted` flag of a storecheck line answers yes too), never a false no.
pub fn touches_photos(doc: &Automerge, before: &[ChangeHash]) -> bool {
    let metas = doc.get_changes_meta(before);
    let ops: u64 = metas
        .iter()
        .map(|m| m.max_op.saturating_sub(m.start_op) + 1)
        .sum();
    if ops > MAX_OPS_INSPECTED {
        return true;
    }
    let photos = match doc.get(automerge::ROOT, "photos") {
        Ok(Some((_, ObjId::Id(counter, actor, _)))) => Some((counter, actor)),
        _ => None,
    };
    doc.get_changes(before).iter().any(|change| {
        change.decode().operations.iter().any(|op| {
            let key_hit = matches!(&op.key, Key::Map(k) if matches!(k.as_str(), "photos" | "sha256" | "deleted"));
            let in_photos = match (&op.obj, &photos) {
                (ObjectId::Id(id), Some((counter, actor))) => id.0 == *counter && id.1 == *actor,
                _ => false,
            };
            key_hit || in_photos
        })
    })
}

/// Documents waiting to be written, latest set per document.
#[derive(Debug, Default)]
struct Queue {
    pending: HashMap<DocumentId, BTreeSet<Sha256Hex>>,
    /// Written since the running rebuild began: the rebuild must not overwrite them with what it
    /// read from the store, which may be older. Kept only while `rebuilding`.
    written_live: HashSet<DocumentId>,
    rebuilding: bool,
    stop: bool,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct RefIndexer {
    queue: Mutex<Queue>,
    wake: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl RefIndexer {
    /// Starts the writer thread over `db`; when the index is dirty it first rebuilds it from the
    /// documents database at `documents`.
    pub fn start(db: Arc<BlobDb>, documents: PathBuf) -> std::io::Result<Arc<Self>> {
        let indexer = Arc::new(RefIndexer {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            thread: Mutex::new(None),
        });
        let worker = indexer.clone();
        let handle = std::thread::Builder::new()
            .name("enlace-blob-refs".into())
            .spawn(move || worker.run(&db, &documents))?;
        *indexer
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handle);
        Ok(indexer)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A writer's changes to `doc` were accepted: queue its photos if they may have changed.
    /// Called on the engine thread; reads memory only.
    pub fn observe(&self, doc: DocumentId, after: &Automerge, before: &[ChangeHash]) {
        if !touches_photos(after, before) {
            return;
        }
        let hashes = photo_hashes(after);
        self.lock().pending.insert(doc, hashes);
        self.wake.notify_one();
    }

    /// Writes what is queued and stops the thread (at shutdown, after the engine stopped).
    pub fn finish(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::error!("the blob reference thread panicked");
        }
    }

    fn run(&self, db: &BlobDb, documents: &std::path::Path) {
        if db.flag("refs_dirty").unwrap_or(true) {
            match self.rebuild(db, documents) {
                Ok(count) => tracing::info!(documents = count, "blob reference index rebuilt"),
                Err(error) => tracing::error!(%error, "rebuilding the blob reference index failed"),
            }
        }
        while self.write_pending(db) {}
    }

    /// Waits for queued documents and writes them; `false` once stopped and drained.
    fn write_pending(&self, db: &BlobDb) -> bool {
        let batch = {
            let mut queue = self.lock();
            while queue.pending.is_empty() && !queue.stop {
                queue = self
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if queue.pending.is_empty() {
                return false;
            }
            let batch = std::mem::take(&mut queue.pending);
            if queue.rebuilding {
                queue.written_live.extend(batch.keys().copied());
            }
            batch
        };
        let sets: Vec<(DocumentId, Vec<Sha256Hex>)> = batch
            .into_iter()
            .map(|(doc, set)| (doc, set.into_iter().collect()))
            .collect();
        if let Err(error) = db.replace_refs(sets.iter().map(|(d, s)| (d, s.as_slice()))) {
            tracing::error!(%error, documents = sets.len(), "writing blob references failed");
        }
        true
    }

    /// Rebuilds the index from every stored document, writing queued live sets in between so
    /// the engine's never wait on it; documents written live meanwhile are not overwritten.
    fn rebuild(&self, db: &BlobDb, documents: &std::path::Path) -> Result<usize, RebuildError> {
        self.lock().rebuilding = true;
        let result = self.rebuild_from(db, documents);
        let mut queue = self.lock();
        queue.rebuilding = false;
        queue.written_live.clear();
        drop(queue);
        let count = result?;
        db.set_flag("refs_dirty", false)?;
        Ok(count)
    }

    fn rebuild_from(
        &self,
        db: &BlobDb,
        documents: &std::path::Path,
    ) -> Result<usize, RebuildError> {
        let store = Store::open(documents)?;
        let ids = store.document_ids()?;
        for doc in &ids {
            let hashes: Vec<Sha256Hex> = hashes_of_stored(&store, *doc)?.into_iter().collect();
            let (newer, pending) = {
                let queue = self.lock();
                let newer = queue.pending.contains_key(doc) || queue.written_live.contains(doc);
                (newer, !queue.pending.is_empty())
            };
            if !newer {
                db.replace_refs([(doc, hashes.as_slice())])?;
            }
            if pending {
                self.write_pending(db);
            }
        }
        Ok(ids.len())
    }
}

/// The photo hashes of a stored document (none for one that no longer loads).
fn hashes_of_stored(store: &Store, doc: DocumentId) -> Result<BTreeSet<Sha256Hex>, RebuildError> {
    let Some(bytes) = store.load_bytes(doc)? else {
        return Ok(BTreeSet::new());
    };
    match Automerge::load(&bytes) {
        Ok(loaded) => Ok(photo_hashes(&loaded)),
        Err(error) => {
            tracing::warn!(%doc, %error, "a stored document does not load; no photo references");
            Ok(BTreeSet::new())
        }
    }
}

/// Rebuilds the index from the documents database at `documents` in this process (the admin
/// command, with the server stopped). Returns how many documents were read.
pub fn rebuild_offline(db: &BlobDb, documents: &std::path::Path) -> Result<usize, RebuildError> {
    let store = Store::open(documents)?;
    let ids = store.document_ids()?;
    for doc in &ids {
        let hashes: Vec<Sha256Hex> = hashes_of_stored(&store, *doc)?.into_iter().collect();
        db.replace_refs([(doc, hashes.as_slice())])?;
    }
    db.set_flag("refs_dirty", false)?;
    Ok(ids.len())
}

/// Why a rebuild stopped.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Reading the documents failed.
    #[error("reading the documents")]
    Documents(#[from] enlace_core::store::StoreError),
    /// Writing the index failed.
    #[error("writing the index")]
    Index(#[from] rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    fn add_photo(doc: &mut AutoCommit, id: &str, sha: &Sha256Hex, deleted: bool) {
        let photos = match doc.get(ROOT, "photos").expect("get") {
            Some((_, photos)) => photos,
            None => doc
                .put_object(ROOT, "photos", ObjType::Map)
                .expect("photos"),
        };
        let photo = doc.put_object(&photos, id, ObjType::Map).expect("photo");
        doc.put(&photo, "sha256", sha.as_str()).expect("sha");
        doc.put(&photo, "deleted", deleted).expect("deleted");
    }

    #[test]
    fn finds_live_photos_and_notices_only_photo_writes() {
        let (a, b) = (Sha256Hex::of(b"a"), Sha256Hex::of(b"b"));
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", "x").expect("put");
        let start = doc.get_heads();
        add_photo(&mut doc, "p1", &a, false);
        add_photo(&mut doc, "p2", &b, true);
        let after_photos = doc.get_heads();
        assert!(touches_photos(doc.document(), &start));
        assert_eq!(photo_hashes(doc.document()), BTreeSet::from([a.clone()]));
        doc.put(ROOT, "title", "y").expect("put");
        assert!(!touches_photos(doc.document(), &after_photos));
        let text_sha = doc.put_object(ROOT, "notes", ObjType::Text).expect("text");
        doc.splice_text(&text_sha, 0, 0, "hello").expect("splice");
        assert!(!touches_photos(doc.document(), &after_photos));
        // A stock JS client writes strings as text.
        let (_, photos) = doc.get(ROOT, "photos").expect("get").expect("photos");
        let photo = doc.put_object(&photos, "p3", ObjType::Map).expect("photo");
        let sha_text = doc
            .put_object(&photo, "sha256", ObjType::Text)
            .expect("text");
        doc.splice_text(&sha_text, 0, 0, b.as_str())
            .expect("splice");
        assert!(touches_photos(doc.document(), &after_photos));
        assert_eq!(photo_hashes(doc.document()), BTreeSet::from([a, b]));
    }
}
