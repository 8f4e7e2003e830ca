//! Persisted automerge sync states, one per (document, peer storage id).
//!
//! A peer that comes back (same storage id) resumes from what we already know it has instead of
//! starting the sync handshake from nothing. The bytes are opaque here (the sync engine encodes
//! and decodes them); the store only bounds their size.

use rusqlite::{Connection, OptionalExtension, params};

use super::MAX_SYNC_STATE_BYTES;
use super::error::StoreError;
use crate::ids::{DocumentId, StorageId};

/// Saves (replaces) the sync state of `doc` with peer storage `peer`.
pub(crate) fn save(
    conn: &Connection,
    doc: &DocumentId,
    peer: &StorageId,
    state: &[u8],
) -> Result<(), StoreError> {
    if state.len() > MAX_SYNC_STATE_BYTES {
        return Err(StoreError::TooLarge {
            what: "sync state",
            len: state.len(),
            max: MAX_SYNC_STATE_BYTES,
        });
    }
    conn.prepare_cached(
        "INSERT INTO sync_states (doc_id, storage_id, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (doc_id, storage_id) DO UPDATE SET state = excluded.state",
    )?
    .execute(params![doc.as_bytes(), peer.as_str(), state])?;
    Ok(())
}

/// The sync state of `doc` with peer storage `peer`, if one was saved.
pub(crate) fn load(
    conn: &Connection,
    doc: &DocumentId,
    peer: &StorageId,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT state FROM sync_states WHERE doc_id = ?1 AND storage_id = ?2",
            params![doc.as_bytes(), peer.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every saved sync state of `doc`, per peer storage id.
pub(crate) fn load_all(
    conn: &Connection,
    doc: &DocumentId,
) -> Result<Vec<(StorageId, Vec<u8>)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT storage_id, state FROM sync_states WHERE doc_id = ?1")?;
    let rows = stmt.query_map(params![doc.as_bytes()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (storage, state) = row?;
        match storage.parse::<StorageId>() {
            Ok(id) => out.push((id, state)),
            Err(e) => {
                tracing::warn!(error = %e, "skipping a sync state with an invalid storage id")
            }
        }
    }
    Ok(out)
}
