//! Two phones: one document edited concurrently on both, changes exchanged through
//! `merge_changes_with`, both converge to the same heads and content.

mod store_support;

use enlace_core::store::{MergeOutcome, Storage, Store};
use store_support::{Note, note_listing};

#[test]
fn two_phones_converge() {
    let phone_a = Store::open_in_memory().expect("open a");
    let phone_b = Store::open_in_memory().expect("open b");
    assert_ne!(phone_a.storage_id(), phone_b.storage_id());

    // A creates the note; B receives the whole saved document.
    let id = phone_a
        .create(&Note::new("acme", 1_700_000_000_000, "Reunión de marca"))
        .expect("create");
    let saved = phone_a.load_raw(id).expect("load").expect("present").save();
    let merged = phone_b.merge_from::<Note>(id, &saved).expect("first merge");
    assert_eq!(merged.outcome, MergeOutcome::Created);
    assert_eq!(
        phone_b.get::<Note>(id).expect("get"),
        phone_a.get::<Note>(id).expect("get")
    );
    let common = phone_a.heads(id).expect("heads").expect("present");
    assert_eq!(phone_b.heads(id).expect("heads"), Some(common.clone()));
    // B lists it like any of its own documents.
    assert_eq!(phone_b.list(&Default::default()).expect("list").len(), 1);

    // Concurrent offline edits: different fields and the same text.
    phone_a
        .update(id, |n: &mut Note| {
            n.body.splice(0, 0, "A: ");
            n.title = "Reunión de marca (A)".into();
            Ok(())
        })
        .expect("edit a");
    phone_b
        .update(id, |n: &mut Note| {
            let end = n.body.as_str().len();
            n.body.splice(end, 0, " — B");
            n.status = "in_review".into();
            n.counter = 7;
            Ok(())
        })
        .expect("edit b");
    assert_ne!(
        phone_a.heads(id).expect("heads"),
        phone_b.heads(id).expect("heads")
    );

    // Each sends what it made since the common heads.
    let from_a = phone_a
        .load_raw(id)
        .expect("load")
        .expect("present")
        .save_after(&common);
    let from_b = phone_b
        .load_raw(id)
        .expect("load")
        .expect("present")
        .save_after(&common);
    let on_b = phone_b
        .merge_changes_with(id, &from_a, note_listing)
        .expect("merge a into b");
    // Through the trait object, as the sync engine would.
    let storage_a: &dyn Storage = &phone_a;
    let on_a = storage_a
        .merge_changes(id, &from_b, &note_listing)
        .expect("merge b into a");
    assert_eq!(on_a.outcome, MergeOutcome::Updated);
    assert_eq!(on_b.outcome, MergeOutcome::Updated);
    assert_eq!(on_a.heads, on_b.heads);
    assert_eq!(phone_a.heads(id).expect("heads"), Some(on_a.heads.clone()));
    assert_eq!(
        phone_a.heads(id).expect("heads"),
        phone_b.heads(id).expect("heads")
    );

    let a: Note = phone_a.get(id).expect("get a");
    let b: Note = phone_b.get(id).expect("get b");
    assert_eq!(a, b);
    assert_eq!(a.title, "Reunión de marca (A)");
    assert_eq!(a.status, "in_review");
    assert_eq!(a.counter, 7);
    assert_eq!(a.body.as_str(), "A: Reunión con el cliente 🙂 — B");
    // The listing followed the merge.
    let listed = phone_a.list(&Default::default()).expect("list");
    assert_eq!(listed[0].listing.status, "in_review");

    // Merging the same changes again writes nothing.
    let again = phone_b
        .merge_changes_with(id, &from_a, note_listing)
        .expect("merge again");
    assert_eq!(again.outcome, MergeOutcome::Unchanged);
    let whole = phone_a.load_raw(id).expect("load").expect("present").save();
    let whole_again = phone_b
        .merge_changes_with(id, &whole, note_listing)
        .expect("merge whole document");
    assert_eq!(whole_again.outcome, MergeOutcome::Unchanged);

    // The typed API keeps working on the merged document on both phones.
    phone_b
        .update(id, |n: &mut Note| {
            n.status = "sent".into();
            Ok(())
        })
        .expect("edit after merge");
    assert_eq!(
        phone_a.document_ids().expect("ids"),
        phone_b.document_ids().expect("ids")
    );
}
