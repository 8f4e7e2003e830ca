//! Compaction: many updates fold the chunks into a new snapshot without changing the content,
//! loading works after every step, and a failed snapshot write keeps the old chunks.

mod store_support;

use enlace_core::store::{Compaction, Store, StoreError};
use store_support::Note;

fn append_line(store: &Store, id: enlace_core::DocumentId, i: u64) -> Note {
    store
        .update(id, |n: &mut Note| {
            n.counter = i;
            let body = format!("{}\nlínea {i}: góndola revisada", n.body.as_str());
            n.body.update(body);
            Ok(n.clone())
        })
        .expect("update")
}

#[test]
fn many_updates_compact_without_changing_content() {
    let store = Store::open_in_memory().expect("open");
    let id = store
        .create(&Note::new("acme", 1_700_000_000_000, "Storecheck notes"))
        .expect("create");

    let mut compactions = 0;
    let mut previous = store.stats(id).expect("stats");
    assert_eq!(previous.chunk_count, 0);
    for i in 1..=60 {
        let expected = append_line(&store, id, i);
        // Loading works at every step, and returns exactly what was written.
        assert_eq!(store.get::<Note>(id).expect("get"), expected);
        let stats = store.stats(id).expect("stats");
        if stats.chunk_count < previous.chunk_count {
            compactions += 1;
            assert_eq!(
                stats.chunk_count, 0,
                "compaction removes every covered chunk"
            );
        } else {
            assert_eq!(stats.chunk_count, previous.chunk_count + 1);
        }
        // The rule holds after every write: chunks never outgrow the snapshot for long.
        assert!(
            stats.chunk_bytes <= stats.snapshot_bytes + 1024,
            "{stats:?}"
        );
        previous = stats;
    }
    assert!(compactions >= 2, "only {compactions} compactions");

    // An explicit compaction keeps the content and the heads.
    let before: Note = store.get(id).expect("get");
    let heads = store.heads(id).expect("heads");
    let raw_heads = store
        .load_raw(id)
        .expect("load")
        .expect("present")
        .get_heads();
    assert_eq!(heads.as_deref(), Some(raw_heads.as_slice()));
    let done = store.compact(id).expect("compact");
    assert!(matches!(
        done,
        Compaction::Compacted { .. } | Compaction::NothingToDo
    ));
    assert_eq!(store.stats(id).expect("stats").chunk_count, 0);
    assert_eq!(store.get::<Note>(id).expect("get"), before);
    assert_eq!(store.heads(id).expect("heads"), heads);
}

#[test]
fn failed_snapshot_write_keeps_the_old_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    let store = Store::open(&path).expect("open");
    let id = store
        .create(&Note::new("acme", 1_700_000_000_000, "Storecheck notes"))
        .expect("create");

    // Make every snapshot write fail, as a full disk would, from a second connection.
    let saboteur = rusqlite::Connection::open(&path).expect("second connection");
    saboteur
        .execute_batch(
            "CREATE TRIGGER fail_snapshot BEFORE UPDATE OF snapshot ON documents
             BEGIN SELECT RAISE(ABORT, 'simulated snapshot write failure'); END;",
        )
        .expect("trigger");

    let mut expected = None;
    for i in 1..=30 {
        // Writes keep succeeding even though the compaction after them fails.
        expected = Some(append_line(&store, id, i));
        let stats = store.stats(id).expect("stats");
        assert_eq!(stats.chunk_count, i as usize, "no chunk may be dropped");
        assert_eq!(Some(store.get::<Note>(id).expect("get")), expected);
    }
    let stats = store.stats(id).expect("stats");
    assert!(
        stats.chunk_bytes > stats.snapshot_bytes,
        "compaction was due"
    );
    assert!(matches!(store.compact(id), Err(StoreError::Sqlite(_))));
    assert_eq!(store.stats(id).expect("stats"), stats);

    // Reopening reads the snapshot plus every chunk.
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(Some(store.get::<Note>(id).expect("get")), expected);

    // Once the disk recovers, compaction goes through and the content is unchanged.
    saboteur
        .execute_batch("DROP TRIGGER fail_snapshot;")
        .expect("drop trigger");
    assert_eq!(
        store.compact(id).expect("compact"),
        Compaction::Compacted { chunks_removed: 30 }
    );
    assert_eq!(store.stats(id).expect("stats").chunk_count, 0);
    assert_eq!(Some(store.get::<Note>(id).expect("get")), expected);
}
