//! A store dropped and reopened returns everything: documents, listing, storage id, sync states.

mod store_support;

use enlace_core::StorageId;
use enlace_core::store::{Query, Store};
use store_support::{Note, Task};

#[test]
fn reopened_store_returns_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("phone").join("enlace.db");
    let peer: StorageId = "server-storage-1".parse().expect("storage id");

    let (storage_id, note, task) = {
        let store = Store::open(&path).expect("open");
        let mut note = Note::new("acme", 1_700_000_000_000, "Kickoff");
        let note_id = store.create(&note).expect("create note");
        store
            .update(note_id, |n: &mut Note| {
                n.body.splice(0, 0, "Acuerdos: ");
                n.status = "in_review".into();
                Ok(())
            })
            .expect("update");
        note.body.splice(0, 0, "Acuerdos: ");
        note.status = "in_review".into();

        let task = Task::new("acme", 1_700_000_100_000, "Send the contact report");
        store.create(&task).expect("create task");
        store
            .delete::<Task>(task.id.parse().expect("id"))
            .expect("delete");

        store
            .save_sync_state(note_id, &peer, b"opaque sync state")
            .expect("sync state");
        (store.storage_id().clone(), note, task)
    };

    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.storage_id(), &storage_id);
    let note_id = note.id.parse().expect("id");
    let task_id = task.id.parse().expect("id");
    assert_eq!(store.get::<Note>(note_id).expect("note"), note);
    let stored_task: Task = store.get(task_id).expect("task");
    assert!(stored_task.deleted);
    assert_eq!(store.document_count().expect("count"), 2);

    let live = store.list(&Query::new()).expect("list");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, note_id);
    assert_eq!(live[0].listing.status, "in_review");
    let all = store
        .list(&Query::new().deleted(enlace_core::store::Deleted::Include))
        .expect("list all");
    assert_eq!(all.len(), 2);

    assert_eq!(
        store.load_sync_state(note_id, &peer).expect("load state"),
        Some(b"opaque sync state".to_vec())
    );
    let other: StorageId = "someone-else".parse().expect("storage id");
    assert_eq!(store.load_sync_state(note_id, &other).expect("load"), None);
    assert!(store.heads(note_id).expect("heads").is_some());
    store.check_integrity().expect("integrity");
}
