//! `Store` is shared between threads: concurrent updates of one document are serialised, none
//! is lost.

mod store_support;

use std::sync::Arc;

use enlace_core::store::Store;
use store_support::Note;

#[test]
fn concurrent_updates_from_threads_are_all_kept() {
    let store = Arc::new(Store::open_in_memory().expect("open"));
    let id = store
        .create(&Note::new("acme", 0, "shared"))
        .expect("create");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..10 {
                    store
                        .update(id, |n: &mut Note| {
                            n.counter += 1;
                            Ok(())
                        })
                        .expect("update");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(store.get::<Note>(id).expect("get").counter, 40);
}
