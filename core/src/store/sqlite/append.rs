//! Appending one chunk of changes: the write every edit and merge ends in.
//!
//! A document is stored as a snapshot plus incremental chunks; a write saves only what changed
//! since the heads it started from, so its cost follows the edit, not the document. The listing
//! row is rewritten in the same transaction so the index never disagrees with the content.

use automerge::ChangeHash;
use rusqlite::Connection;

use crate::ids::DocumentId;
use crate::model::Listing;
use crate::store::cache::Cached;
use crate::store::documents::{self, Loaded};
use crate::store::error::StoreError;
use crate::store::listing;

/// Appends the changes a cache entry's handle made since its stored heads as one chunk and
/// rewrites the listing, inside `tx`, keeping the entry's row version current. Returns the new
/// chunk's sequence, or `None` when nothing changed.
pub(in crate::store) fn append_to(
    tx: &Connection,
    id: DocumentId,
    entry: &mut Cached,
    listing: Option<&Listing>,
) -> Result<Option<i64>, StoreError> {
    let heads = entry.doc.get_heads();
    if heads == entry.stored_heads {
        return Ok(None);
    }
    let chunk = entry.doc.save_after(&entry.stored_heads);
    let (seq, doc_seq) = documents::append_chunk(tx, &id, &chunk, &heads)?;
    match listing {
        Some(listing) => listing::upsert(tx, &id, listing)?,
        None => listing::remove(tx, &id)?,
    }
    entry.stats.chunk_count += 1;
    entry.stats.chunk_bytes += chunk.len();
    entry.last_chunk = Some(seq);
    entry.seq = doc_seq;
    entry.stored_heads = heads;
    Ok(Some(seq))
}

/// Appends the changes `loaded.doc` made since `heads_before` as one chunk and rewrites the
/// listing, inside `tx`. Returns whether anything was written; keeps `loaded.stats` current.
pub(in crate::store) fn append(
    tx: &Connection,
    id: DocumentId,
    loaded: &mut Loaded,
    heads_before: &[ChangeHash],
    listing: Option<&Listing>,
) -> Result<bool, StoreError> {
    let heads = loaded.doc.get_heads();
    if heads == heads_before {
        // Nothing changed: no empty chunk, no write.
        return Ok(false);
    }
    let chunk = loaded.doc.save_after(heads_before);
    let (seq, _) = documents::append_chunk(tx, &id, &chunk, &heads)?;
    match listing {
        Some(listing) => listing::upsert(tx, &id, listing)?,
        // A document of no enlace kind (see `batch`): no listing row.
        None => listing::remove(tx, &id)?,
    }
    loaded.stats.chunk_count += 1;
    loaded.stats.chunk_bytes += chunk.len();
    loaded.last_chunk = Some(seq);
    Ok(true)
}
