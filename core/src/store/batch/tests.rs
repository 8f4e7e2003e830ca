//! Tests of group commit: many items in one transaction, a refused item rolled back alone, and
//! the append path (its fallbacks to merging, its compaction, listed documents).
//!
//! Kept apart from the code they check so `batch` stays readable; they reach into the store's
//! rows (`documents::summary`) to check the counters the append path keeps.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT, ReadDoc};

use super::{APPEND_PATH_MIN_CHUNK_BYTES, BatchOutcome, BatchWrite, listing_if_known};
use crate::ids::{DocumentId, StorageId};
use crate::model::{self, Listing, ModelError};
use crate::store::documents;
use crate::store::{MergeOutcome, Merged, Store, StoreError};

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
