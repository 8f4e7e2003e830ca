//! Listing and query: by kind, account, status, date range, deleted, newest first with a limit.

mod store_support;

use enlace_core::model::DocumentKind;
use enlace_core::store::{Deleted, Order, Query, Store, StoreError};
use enlace_core::{DocumentId, store::MAX_QUERY_LIMIT};
use store_support::{Note, Task};

const DAY: i64 = 86_400_000;
const MONDAY: i64 = 1_700_000_000_000;

fn titles(store: &Store, q: &Query) -> Vec<String> {
    store
        .list(q)
        .expect("list")
        .into_iter()
        .map(|d| d.listing.title)
        .collect()
}

#[test]
fn query_filters_and_orders_the_listing() {
    let store = Store::open_in_memory().expect("open");
    let mut note_ids: Vec<DocumentId> = Vec::new();
    for (i, account) in ["acme", "acme", "globex", "acme", "globex"]
        .iter()
        .enumerate()
    {
        let note = Note::new(account, MONDAY + i as i64 * DAY, &format!("note {i}"));
        note_ids.push(store.create(&note).expect("create"));
    }
    store
        .create(&Task::new("acme", MONDAY + 2 * DAY - 3_600_000, "task"))
        .expect("task");
    // note 1 moves on; note 3 is deleted.
    store
        .update(note_ids[1], |n: &mut Note| {
            n.status = "sent".into();
            Ok(())
        })
        .expect("send");
    store.delete::<Note>(note_ids[3]).expect("delete");

    // Everything live, newest first.
    assert_eq!(
        titles(&store, &Query::new()),
        ["note 4", "note 2", "task", "note 1", "note 0"]
    );
    // By kind.
    assert_eq!(
        titles(&store, &Query::new().kind(DocumentKind::ActionItem)),
        ["task"]
    );
    assert_eq!(
        titles(
            &store,
            &Query::new().kind(DocumentKind::MeetingNote).limit(2)
        ),
        ["note 4", "note 2"]
    );
    // By account.
    assert_eq!(
        titles(&store, &Query::new().account("acme")),
        ["task", "note 1", "note 0"]
    );
    // By status: the listing follows the update.
    assert_eq!(titles(&store, &Query::new().status("sent")), ["note 1"]);
    // By date range: [Tuesday, Thursday).
    assert_eq!(
        titles(
            &store,
            &Query::new().between(MONDAY + DAY, MONDAY + 3 * DAY)
        ),
        ["note 2", "task", "note 1"]
    );
    // Filters combine.
    assert_eq!(
        titles(
            &store,
            &Query::new()
                .kind(DocumentKind::MeetingNote)
                .account("acme")
                .between(MONDAY, MONDAY + 2 * DAY)
                .order(Order::OldestFirst)
        ),
        ["note 0", "note 1"]
    );
    // Deleted documents.
    assert_eq!(
        titles(&store, &Query::new().deleted(Deleted::Only)),
        ["note 3"]
    );
    assert_eq!(
        titles(&store, &Query::new().deleted(Deleted::Include).limit(2)),
        ["note 4", "note 3"]
    );
    let deleted = store
        .list(&Query::new().deleted(Deleted::Only))
        .expect("list");
    assert_eq!(deleted[0].id, note_ids[3]);
    assert!(deleted[0].listing.deleted);
    assert_eq!(deleted[0].listing.kind, DocumentKind::MeetingNote);
    assert_eq!(deleted[0].listing.account_id.as_deref(), Some("acme"));

    // Limits are bounded.
    for bad in [0, MAX_QUERY_LIMIT + 1] {
        assert!(matches!(
            store.list(&Query::new().limit(bad)),
            Err(StoreError::QueryLimit { .. })
        ));
    }

    // The catch-up sequence lists every write, oldest first; the last writes were the send and
    // the delete.
    let changed = store.changed_since(0, 100).expect("changed");
    assert_eq!(changed.len(), 6);
    let tail: Vec<DocumentId> = changed.iter().rev().take(2).map(|(id, _)| *id).collect();
    assert_eq!(tail, [note_ids[3], note_ids[1]]);
    let after = changed[changed.len() - 2].1;
    assert_eq!(store.changed_since(after, 100).expect("changed").len(), 1);
    // The latest sequence is the last write's: no cursor can name a later one.
    let latest = changed.last().map(|(_, seq)| *seq);
    assert_eq!(Some(store.latest_change_seq().expect("latest")), latest);
    assert_eq!(
        store
            .changed_since(latest.unwrap_or(0), 100)
            .expect("changed")
            .len(),
        0
    );
}
