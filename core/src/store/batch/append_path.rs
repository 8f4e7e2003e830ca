//! The append path of a batch item: the changes stored as one chunk, without loading the document.
//!
//! A sync server that already applied and checked a change against its own copy knows the heads
//! it leads from and to; when the store holds the document at exactly that base, appending the
//! bytes is all the write needs. Anything else goes to the merge path (`merge`).

use automerge::ChangeHash;
use rusqlite::Connection;

use crate::ids::DocumentId;
use crate::store::MAX_MERGE_BYTES;
use crate::store::documents;
use crate::store::error::StoreError;
use crate::store::listing;
use crate::store::storage::{MergeOutcome, Merged};

/// The append path of [`Store::write_batch`](crate::store::Store::write_batch): appends `bytes` as one chunk when `id` is stored
/// at exactly `base` and has no listing row, and returns `None` (nothing written) otherwise.
/// An `Err` is a storage failure; whether the path applies is never one.
pub(super) fn append_on(
    conn: &Connection,
    id: DocumentId,
    bytes: &[u8],
    known: Option<(&[ChangeHash], &[ChangeHash])>,
) -> Result<Option<Merged>, StoreError> {
    let Some((heads, base)) = known else {
        return Ok(None);
    };
    if bytes.len() > MAX_MERGE_BYTES {
        return Ok(None); // merge_in refuses it with the error
    }
    let Some(summary) = documents::summary(conn, &id)? else {
        return Ok(None);
    };
    if !same_heads(&summary.heads, base) || listing::exists(conn, &id)? {
        return Ok(None);
    }
    let mut heads = heads.to_vec();
    heads.sort();
    if same_heads(&heads, base) {
        return Ok(Some(Merged {
            outcome: MergeOutcome::Unchanged,
            heads,
        }));
    }
    documents::append_chunk(conn, &id, bytes, &heads)?;
    Ok(Some(Merged {
        outcome: MergeOutcome::Updated,
        heads,
    }))
}

/// Whether two sets of heads are the same, whatever their order.
pub(super) fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}
