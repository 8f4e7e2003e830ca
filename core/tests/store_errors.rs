//! Typed errors: unknown documents, wrong types, malformed or incomplete bytes, invalid values,
//! oversized inputs. Nothing is written when a call fails.

mod store_support;

use enlace_core::model::action_item::{Source, SourceKind};
use enlace_core::model::meeting_note::MeetingKind;
use enlace_core::model::{ActionItem, DocumentKind, Instant, MeetingNote, ModelError};
use enlace_core::store::{MAX_MERGE_BYTES, Query, Store, StoreError};
use enlace_core::{DocumentId, EntityId};
use store_support::{Note, Task, note_listing};

fn store_with_note() -> (Store, DocumentId) {
    let store = Store::open_in_memory().expect("open");
    let id = store
        .create(&Note::new("acme", 1_700_000_000_000, "Brief"))
        .expect("create");
    (store, id)
}

#[test]
fn unknown_document_is_not_found() {
    let (store, _) = store_with_note();
    let missing = DocumentId::new_random();
    assert!(matches!(store.get::<Note>(missing), Err(StoreError::NotFound(id)) if id == missing));
    assert!(matches!(
        store.update(missing, |_: &mut Note| Ok(())),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete::<Note>(missing),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.load_raw(missing).expect("load").is_none());
    assert!(store.heads(missing).expect("heads").is_none());
}

#[test]
fn wrong_type_is_wrong_kind() {
    let (store, id) = store_with_note();
    match store.get::<Task>(id) {
        Err(StoreError::WrongKind {
            id: got,
            expected,
            found,
        }) => {
            assert_eq!(got, id);
            assert_eq!(expected, DocumentKind::ActionItem);
            assert_eq!(found, "meeting_note");
        }
        other => panic!("expected WrongKind, got {other:?}"),
    }
    assert!(matches!(
        store.update(id, |_: &mut Task| Ok(())),
        Err(StoreError::WrongKind { .. })
    ));
}

#[test]
fn creating_twice_is_refused() {
    let (store, id) = store_with_note();
    let note: Note = store.get(id).expect("get");
    assert!(matches!(store.create(&note), Err(StoreError::AlreadyExists(got)) if got == id));
    // A value hydrated from another document, under a new id, is an error or a copy, never a
    // panic.
    let mut copy = note;
    copy.id = DocumentId::new_random().to_string();
    match store.create(&copy) {
        Ok(new_id) => assert_eq!(store.get::<Note>(new_id).expect("get").title, "Brief"),
        Err(e) => assert!(matches!(e, StoreError::Model { .. }), "{e:?}"),
    }
}

#[test]
fn invalid_values_write_nothing() {
    let (store, id) = store_with_note();
    let heads = store.heads(id).expect("heads");
    let stats = store.stats(id).expect("stats");

    // The closure refuses.
    let refused = store.update(id, |n: &mut Note| {
        n.title = "changed".into();
        Err::<(), _>(ModelError::InvalidValue {
            field: "facings".into(),
            reason: "negative".into(),
        })
    });
    assert!(matches!(
        refused,
        Err(StoreError::InvalidValue(e)) if matches!(*e, ModelError::InvalidValue { ref field, .. } if field == "facings")
    ));
    // The edited value breaks a rule.
    let empty_title = store.update(id, |n: &mut Note| {
        n.title = "  ".into();
        Ok(())
    });
    assert!(matches!(empty_title, Err(StoreError::InvalidValue(_))));
    // The transition breaks a rule: status never moves backwards.
    store
        .update(id, |n: &mut Note| {
            n.status = "sent".into();
            Ok(())
        })
        .expect("send");
    let heads_sent = store.heads(id).expect("heads");
    assert_ne!(heads_sent, heads);
    let back = store.update(id, |n: &mut Note| {
        n.status = "draft".into();
        Ok(())
    });
    assert!(matches!(back, Err(StoreError::InvalidValue(_))));
    // Changing the id is refused.
    let moved = store.update(id, |n: &mut Note| {
        n.id = DocumentId::new_random().to_string();
        Ok(())
    });
    assert!(matches!(moved, Err(StoreError::InvalidValue(_))));

    assert_eq!(store.heads(id).expect("heads"), heads_sent);
    assert_eq!(
        store.stats(id).expect("stats").chunk_count,
        stats.chunk_count + 1
    );
    let note: Note = store.get(id).expect("get");
    assert_eq!(
        (note.title.as_str(), note.status.as_str()),
        ("Brief", "sent")
    );

    // An invalid value cannot be created either.
    let mut bad = Note::new("acme", 0, "x");
    bad.status = "exploded".into();
    assert!(matches!(
        store.create(&bad),
        Err(StoreError::InvalidValue(_))
    ));
    assert_eq!(store.document_count().expect("count"), 1);
}

/// A server refuses a document without a root `account_id` (`model::classify`), so the store
/// does not create one: it would never leave the phone.
#[test]
fn a_note_or_an_action_item_without_an_account_is_refused() {
    let store = Store::open_in_memory().expect("open");
    let ana: EntityId = "user-ana".parse().expect("entity id");
    let now = Instant::new(1_700_000_000_000, "America/Santiago").expect("instant");
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        ana.clone(),
        now.clone(),
        MeetingKind::ClientMeeting,
        "Revisión de marca",
    );
    let mut item = ActionItem::new(
        DocumentId::new_random(),
        ana.clone(),
        now,
        Source {
            kind: SourceKind::Manual,
            doc_id: None,
        },
        "Enviar propuesta",
        ana,
    );
    assert_eq!((&note.account_id, &item.account_id), (&None, &None));

    assert_refused_for_no_account(store.create(&note));
    assert_refused_for_no_account(store.create(&item));
    assert_eq!(store.document_count().expect("count"), 0);
    assert!(store.list(&Query::new()).expect("list").is_empty());
    assert!(store.load_raw(note.id).expect("load").is_none());
    assert!(store.load_raw(item.id).expect("load").is_none());

    // The same values with an account are stored.
    let account: EntityId = "acc-vina".parse().expect("entity id");
    note.account_id = Some(account.clone());
    item.account_id = Some(account);
    assert_eq!(store.create(&note).expect("note"), note.id);
    assert_eq!(store.create(&item).expect("item"), item.id);
    assert_eq!(store.document_count().expect("count"), 2);
}

fn assert_refused_for_no_account(result: Result<DocumentId, StoreError>) {
    let Err(StoreError::InvalidValue(error)) = result else {
        panic!("expected InvalidValue, got {result:?}");
    };
    match *error {
        ModelError::InvalidValue { field, reason } => {
            assert_eq!(field, "account_id");
            assert!(
                reason.starts_with("every document needs an account to sync"),
                "{reason}"
            );
        }
        other => panic!("expected InvalidValue on account_id, got {other:?}"),
    }
}

#[test]
fn malformed_bytes_are_a_typed_error() {
    let (store, id) = store_with_note();
    let good = store.load_raw(id).expect("load").expect("present").save();
    let target = DocumentId::new_random();
    let cases: Vec<Vec<u8>> = vec![
        b"definitely not automerge".to_vec(),
        good[..good.len() / 2].to_vec(),
        {
            let mut flipped = good.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 0xff;
            flipped
        },
        [good.clone(), b"trailing garbage".to_vec()].concat(),
    ];
    for bytes in cases {
        for doc in [id, target] {
            let result = store.merge_changes_with(doc, &bytes, note_listing);
            assert!(
                matches!(result, Err(StoreError::MalformedChanges { .. })),
                "{result:?}"
            );
        }
    }
    assert_eq!(store.document_count().expect("count"), 1);
    assert_eq!(store.stats(id).expect("stats").chunk_count, 0);
}

#[test]
fn changes_with_unknown_dependencies_are_refused() {
    let (phone, id) = store_with_note();
    let base = phone.heads(id).expect("heads").expect("present");
    phone
        .update(id, |n: &mut Note| {
            n.title = "Brief v2".into();
            Ok(())
        })
        .expect("update");
    let increment = phone
        .load_raw(id)
        .expect("load")
        .expect("present")
        .save_after(&base);

    let other = Store::open_in_memory().expect("open");
    assert!(matches!(
        other.merge_changes_with(id, &increment, note_listing),
        Err(StoreError::MissingDependencies { missing, .. }) if missing > 0
    ));
    assert_eq!(other.document_count().expect("count"), 0);
}

#[test]
fn oversized_inputs_are_refused() {
    let (store, id) = store_with_note();
    let huge = vec![0u8; MAX_MERGE_BYTES + 1];
    assert!(matches!(
        store.merge_changes_with(id, &huge, note_listing),
        Err(StoreError::TooLarge { .. })
    ));
    let peer = "peer".parse().expect("storage id");
    assert!(matches!(
        store.save_sync_state(id, &peer, &vec![0u8; 2 * 1024 * 1024]),
        Err(StoreError::TooLarge { .. })
    ));
}

#[test]
fn an_index_function_that_fails_writes_nothing() {
    let (phone, id) = store_with_note();
    let bytes = phone.load_raw(id).expect("load").expect("present").save();
    let other = Store::open_in_memory().expect("open");
    // A typed merge of the wrong kind.
    assert!(matches!(
        other.merge_from::<Task>(id, &bytes),
        Err(StoreError::WrongKind { .. })
    ));
    assert_eq!(other.document_count().expect("count"), 0);
}

#[test]
fn text_copied_from_another_document_is_an_error_not_a_panic() {
    let (store, first) = store_with_note();
    let second = store
        .create(&Note::new("acme", 0, "Other"))
        .expect("create");
    // Hydrated from the other document's CRDT (a `get` may come from a value snapshot, whose
    // texts belong to no document).
    let donor: Note = enlace_core::model::hydrate_document(
        &store.load_raw(first).expect("load").expect("present"),
    )
    .expect("hydrate");
    let heads = store.heads(second).expect("heads");
    let result = store.update(second, |n: &mut Note| {
        n.body = donor.body.clone();
        Ok(())
    });
    assert!(
        matches!(result, Err(StoreError::Model { .. })),
        "{result:?}"
    );
    assert_eq!(store.heads(second).expect("heads"), heads);
    // The store is still usable afterwards.
    store
        .update(second, |n: &mut Note| {
            n.title = "Still fine".into();
            Ok(())
        })
        .expect("update after the refused one");
}
