//! The device's side of catch-up, as pure functions: which documents of a catch-up page need a
//! sync conversation.

use std::collections::BTreeSet;
use std::str::FromStr;

use automerge::ChangeHash;

use crate::ids::DocumentId;
use crate::wire::ChangedDocument;

/// Page size a device asks for.
pub const DEFAULT_PAGE: u64 = 1000;

/// The documents of a page whose server heads differ from ours (or that we lack): those, and
/// only those, need syncing. `local_heads` gives our heads of a document, `None` if we lack it.
pub fn needing_sync(
    changes: &[ChangedDocument],
    mut local_heads: impl FnMut(DocumentId) -> Option<Vec<ChangeHash>>,
) -> Vec<DocumentId> {
    changes
        .iter()
        .filter(|change| {
            let Some(local) = local_heads(change.document_id) else {
                return true;
            };
            let Ok(remote) = change
                .heads
                .iter()
                .map(|h| ChangeHash::from_str(h))
                .collect::<Result<BTreeSet<_>, _>>()
            else {
                // Unreadable heads: sync to be safe.
                return true;
            };
            remote != local.into_iter().collect::<BTreeSet<_>>()
        })
        .map(|change| change.document_id)
        .collect()
}
