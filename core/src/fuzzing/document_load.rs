//! Target `document_load`: arbitrary bytes as a stored document or as changes to merge.

use automerge::AutomergeError;

use crate::ids::DocumentId;
use crate::model::{DocumentKind, Listing};
use crate::store::{MAX_MERGE_BYTES, Store, StoreError, load_strict};
use crate::wire::{InflateError, check_automerge_bytes};

/// Loads `data` the way the store does (strict: nothing skipped), and merges it into a fresh
/// in-memory store with [`Store::merge_changes_with`]. Either may refuse; neither may panic, and
/// they must agree: what loads strictly merges, with the same heads. Whatever loads saves and
/// loads again unchanged, and the inflation guard never refuses what automerge loads.
pub fn document_load(data: &[u8]) {
    let limit = MAX_MERGE_BYTES as u64;
    let guard = check_automerge_bytes(data, limit);
    // The store must refuse what the guard refuses before automerge parses it (automerge panics
    // on malformed bundles and inflates bombs unbounded); only malformed deflate goes on, to
    // check that automerge refuses it too.
    if matches!(
        guard,
        Err(InflateError::Bundle | InflateError::TooLarge { .. })
    ) {
        return;
    }
    let strict = load_strict(data);
    if let (Err(InflateError::Malformed), Ok(_)) = (&guard, &strict) {
        panic!("the inflation guard refuses bytes automerge loads");
    }
    let heads = match strict {
        Ok(mut doc) => {
            let saved = doc.save();
            let mut again = load_strict(&saved).expect("a saved document loads");
            assert_eq!(
                again.get_heads(),
                doc.get_heads(),
                "save and load changed heads"
            );
            assert!(
                check_automerge_bytes(&saved, limit.max(4 * saved.len() as u64)).is_ok(),
                "the inflation guard refuses what automerge saved"
            );
            Some(doc.get_heads())
        }
        Err(AutomergeError::MissingDeps) => None,
        // The store refuses these before touching the database: nothing more to learn.
        Err(_) => return,
    };
    let store = Store::open_in_memory().expect("an in-memory store opens");
    let id = DocumentId::from_bytes([7; 16]);
    let merged = store.merge_changes_with(id, data, |_| Ok(listing()));
    match (heads, merged) {
        (Some(heads), Ok(merged)) => assert_eq!(merged.heads, heads, "merge and load disagree"),
        (Some(_), Err(e)) => panic!("loads strictly but does not merge: {e}"),
        (None, Err(StoreError::MissingDependencies { .. })) => {}
        (None, other) => panic!("changes with missing dependencies merged: {other:?}"),
    }
}

fn listing() -> Listing {
    Listing {
        kind: DocumentKind::ClientVisit,
        account_id: None,
        status: "planned".to_owned(),
        date_ms: 0,
        title: "fuzz".to_owned(),
        deleted: false,
    }
}
