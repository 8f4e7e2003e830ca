//! Change observers: told the changed ids after every committed create, update, delete and
//! merge, never for a write that changed nothing, never while a store lock is held, on the
//! writing thread; a panicking observer neither fails the write nor silences the others.

mod store_support;

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::store::{MergeOutcome, Query, Store};
use store_support::Note;

const DEADLINE: Duration = Duration::from_secs(10);

type Calls = Arc<Mutex<Vec<(ThreadId, Vec<DocumentId>)>>>;

/// Registers an observer that records every call with the calling thread.
fn record(store: &Store) -> (Calls, enlace_core::store::ObserverId) {
    let calls: Calls = Arc::default();
    let sink = Arc::clone(&calls);
    let id = store.add_observer(Arc::new(move |ids: &[DocumentId]| {
        sink.lock()
            .expect("calls")
            .push((thread::current().id(), ids.to_vec()));
    }));
    (calls, id)
}

fn ids(calls: &Calls) -> Vec<Vec<DocumentId>> {
    calls
        .lock()
        .expect("calls")
        .iter()
        .map(|(_, ids)| ids.clone())
        .collect()
}

#[test]
fn every_committed_change_is_reported_once() {
    let store = Store::open_in_memory().expect("open");
    let (calls, _) = record(&store);

    let id = store
        .create(&Note::new("acme", 1, "Kick-off"))
        .expect("create");
    store
        .update(id, |n: &mut Note| {
            n.title = "Kick-off 2".into();
            Ok(())
        })
        .expect("update");
    // An edit that changes nothing writes nothing and notifies nobody.
    store.update(id, |_: &mut Note| Ok(())).expect("no-op");
    // A refused edit neither.
    store
        .update(id, |n: &mut Note| {
            n.status = "nonsense".into();
            Ok(())
        })
        .expect_err("refused");
    store.delete::<Note>(id).expect("delete");
    assert_eq!(ids(&calls), vec![vec![id]; 3]);
}

#[test]
fn merges_report_new_changes_only() {
    let phone = Store::open_in_memory().expect("open phone");
    let other = Store::open_in_memory().expect("open other");
    let (calls, _) = record(&phone);

    let id = other
        .create(&Note::new("acme", 1, "Remote"))
        .expect("create");
    let saved = other.load_raw(id).expect("load").expect("present").save();
    let first = phone.merge_from::<Note>(id, &saved).expect("merge");
    assert_eq!(first.outcome, MergeOutcome::Created);
    let again = phone.merge_from::<Note>(id, &saved).expect("merge again");
    assert_eq!(again.outcome, MergeOutcome::Unchanged);
    phone
        .merge_from::<Note>(id, b"not automerge")
        .expect_err("garbage");

    other
        .update(id, |n: &mut Note| {
            n.counter = 3;
            Ok(())
        })
        .expect("remote edit");
    let saved = other.load_raw(id).expect("load").expect("present").save();
    let second = phone.merge_from::<Note>(id, &saved).expect("merge edit");
    assert_eq!(second.outcome, MergeOutcome::Updated);
    assert_eq!(ids(&calls), vec![vec![id]; 2]);
}

#[test]
fn observers_run_on_the_writing_thread_without_store_locks() {
    let store = Arc::new(Store::open_in_memory().expect("open"));
    // The observer reads and registers through the store: with a lock still held this would
    // deadlock, so the write runs on another thread and the test waits with a deadline.
    let (tx, rx) = mpsc::channel();
    let reader = Arc::clone(&store);
    store.add_observer(Arc::new(move |ids: &[DocumentId]| {
        let listed = reader.list(&Query::new()).map(|l| l.len());
        let nested = reader.add_observer(Arc::new(|_: &[DocumentId]| {}));
        reader.remove_observer(nested);
        let _ = tx.send((thread::current().id(), ids.to_vec(), listed.ok()));
    }));

    let writer = Arc::clone(&store);
    let handle = thread::spawn(move || {
        writer
            .create(&Note::new("acme", 1, "From a worker"))
            .expect("create")
    });
    let writer_thread = handle.thread().id();
    let (thread_id, changed, listed) = wait(&rx);
    let id = handle.join().expect("writer");
    assert_eq!(thread_id, writer_thread);
    assert_eq!(changed, vec![id]);
    assert_eq!(listed, Some(1));
}

#[test]
fn removed_observers_are_not_called() {
    let store = Store::open_in_memory().expect("open");
    let (calls, observer) = record(&store);
    let id = store.create(&Note::new("acme", 1, "One")).expect("create");
    assert!(store.remove_observer(observer));
    assert!(!store.remove_observer(observer), "already removed");
    store.delete::<Note>(id).expect("delete");
    assert_eq!(ids(&calls), vec![vec![id]]);
}

#[test]
fn a_panicking_observer_fails_neither_the_write_nor_the_others() {
    let store = Store::open_in_memory().expect("open");
    store.add_observer(Arc::new(|_: &[DocumentId]| panic!("observer bug")));
    let (calls, _) = record(&store);
    let id = store
        .create(&Note::new("acme", 1, "Still saved"))
        .expect("create succeeds");
    assert_eq!(ids(&calls), vec![vec![id]]);
    assert_eq!(store.get::<Note>(id).expect("get").title, "Still saved");
}

fn wait<T>(rx: &Receiver<T>) -> T {
    rx.recv_timeout(DEADLINE)
        .expect("observer called within the deadline (a held lock would deadlock)")
}
