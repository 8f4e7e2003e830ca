//! Document bytes: one snapshot plus incremental chunks per document, and compaction.
//!
//! A write appends the changes it made (automerge `save_after` the heads it started from) as one
//! chunk; nothing already stored is rewritten, so a write costs the size of the edit, not of the
//! document. Loading concatenates the snapshot and every chunk in order and loads them in one
//! strict pass: a chunk automerge cannot parse is reported as [`StoreError::Corrupt`], never
//! skipped (automerge's own `load_incremental` only logs a partial load).
//!
//! **Compaction** ([`needs_compaction`], [`compact`]): once the chunks of a document add up to
//! more bytes than its snapshot, the whole document is saved again as a new snapshot, checked by
//! loading it back, and then, in the same SQLite transaction, the chunks it covers are deleted. A
//! transaction commits all or nothing, so there is no committed state in which old chunks are gone
//! and the new snapshot is not there: the old chunks are never removed before the new snapshot is
//! committed. Compaction runs in its own transaction *after* the write that triggered it has
//! committed, so a failed compaction never undoes or fails a write; it is retried on a later
//! write. A generation counter on the snapshot refuses a compaction computed from a stale read.

use automerge::{AutoCommit, ChangeHash, LoadOptions, OnPartialLoad, VerificationMode};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::error::StoreError;
use crate::ids::DocumentId;

/// A document loaded from its snapshot and chunks, with what compaction needs to know.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The document, with the store's actor set.
    pub doc: AutoCommit,
    /// What is stored for it right now.
    pub stats: DocumentStats,
    /// The compaction generation of the snapshot that was read.
    pub generation: i64,
    /// The last chunk read (covered by `doc`), if any.
    pub last_chunk: Option<i64>,
}

/// How a document is stored: useful for diagnostics and for seeing compaction work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentStats {
    /// Bytes of the snapshot.
    pub snapshot_bytes: usize,
    /// Number of incremental chunks since the snapshot.
    pub chunk_count: usize,
    /// Total bytes of those chunks.
    pub chunk_bytes: usize,
}

/// Loads a document, or `None` when it is not stored.
pub(crate) fn load(
    conn: &Connection,
    id: &DocumentId,
    actor: &automerge::ActorId,
) -> Result<Option<Loaded>, StoreError> {
    let row = conn
        .query_row(
            "SELECT snapshot, generation FROM documents WHERE id = ?1",
            [id.as_bytes()],
            |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?;
    let Some((mut buf, generation)) = row else {
        return Ok(None);
    };
    let snapshot_bytes = buf.len();
    let mut chunk_count = 0;
    let mut last_chunk = None;
    let mut stmt =
        conn.prepare_cached("SELECT seq, bytes FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id.as_bytes()])?;
    while let Some(row) = rows.next()? {
        last_chunk = Some(row.get::<_, i64>(0)?);
        buf.extend_from_slice(blob(row, 1)?);
        chunk_count += 1;
    }
    let chunk_bytes = buf.len() - snapshot_bytes;
    let doc = load_strict(&buf)
        .map_err(|e| StoreError::corrupt_from(format!("stored bytes of document {id}"), e))?
        .with_actor(actor.clone());
    Ok(Some(Loaded {
        doc,
        stats: DocumentStats {
            snapshot_bytes,
            chunk_count,
            chunk_bytes,
        },
        generation,
        last_chunk,
    }))
}

/// What is stored for a document, read without its bytes.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Its heads.
    pub heads: Vec<ChangeHash>,
    /// Sizes of its snapshot and chunks.
    pub stats: DocumentStats,
}

/// The heads and sizes of a stored document, or `None`, from its one row: no document bytes
/// are read (`length()` of a BLOB comes from the record header, not its overflow pages) and no
/// chunk is visited (the row keeps their count and size).
pub(crate) fn summary(conn: &Connection, id: &DocumentId) -> Result<Option<Summary>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT heads, length(snapshot), chunk_count, chunk_bytes FROM documents WHERE id = ?1",
    )?;
    let row = stmt
        .query_row([id.as_bytes()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((heads, snapshot, chunks, chunk_bytes)) = row else {
        return Ok(None);
    };
    let size = |n: i64| usize::try_from(n).map_err(|_| StoreError::corrupt("negative size"));
    Ok(Some(Summary {
        heads: decode_heads(id, &heads)?,
        stats: DocumentStats {
            snapshot_bytes: size(snapshot)?,
            chunk_count: size(chunks)?,
            chunk_bytes: size(chunk_bytes)?,
        },
    }))
}

/// The stored bytes of a document (snapshot then chunks), unparsed, or `None`.
pub(crate) fn raw_bytes(conn: &Connection, id: &DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
    let snapshot: Option<Vec<u8>> = conn
        .query_row(
            "SELECT snapshot FROM documents WHERE id = ?1",
            [id.as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(mut buf) = snapshot else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id.as_bytes()])?;
    while let Some(row) = rows.next()? {
        buf.extend_from_slice(blob(row, 0)?);
    }
    Ok(Some(buf))
}

/// How text indices are counted in every document the store hands out: UTF-8 bytes, because
/// autosurgeon's `Text` records its splices as byte offsets into a Rust `String`. With automerge's
/// default (Unicode code points) an edit after an accent or an emoji lands in the wrong place or
/// fails with `InvalidIndex`. The encoding is a local way of counting, not part of the stored
/// bytes, so peers indexing in UTF-16 (JavaScript) are unaffected.
pub use crate::model::TEXT_ENCODING;

/// A new, empty document with the store's text encoding.
pub(crate) fn new_doc() -> AutoCommit {
    AutoCommit::new_with_encoding(TEXT_ENCODING)
}

/// Refuses bytes from another replica that automerge must not parse: more than
/// [`MAX_MERGE_BYTES`](super::MAX_MERGE_BYTES) once inflated, or chunks it panics on. Reads
/// headers and measures deflate streams without inflating them.
pub(crate) fn check_untrusted(id: DocumentId, bytes: &[u8]) -> Result<(), StoreError> {
    crate::wire::check_automerge_bytes(bytes, super::MAX_MERGE_BYTES as u64)
        .map(|_| ())
        .map_err(|source| StoreError::UnsafeChanges { id, source })
}

/// Loads bytes, failing on anything automerge would otherwise skip with a warning.
pub(crate) fn load_strict(bytes: &[u8]) -> Result<AutoCommit, automerge::AutomergeError> {
    AutoCommit::load_with_options(
        bytes,
        LoadOptions::new()
            .text_encoding(TEXT_ENCODING)
            .on_partial_load(OnPartialLoad::Error)
            .verification_mode(VerificationMode::Check),
    )
}

/// Whether document `id` is stored.
pub(crate) fn exists(conn: &Connection, id: &DocumentId) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM documents WHERE id = ?1",
            [id.as_bytes()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Stores a new document from its first snapshot.
pub(crate) fn insert(
    conn: &Connection,
    id: &DocumentId,
    snapshot: &[u8],
    heads: &[ChangeHash],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO documents (id, snapshot, heads, generation, seq)
         VALUES (?1, ?2, ?3, 0, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents))",
    )?
    .execute(params![id.as_bytes(), snapshot, encode_heads(heads)])?;
    Ok(())
}

/// Appends one chunk of changes, records the new heads and bumps the catch-up sequence.
/// Returns the chunk's sequence and the document's new catch-up sequence.
pub(crate) fn append_chunk(
    conn: &Connection,
    id: &DocumentId,
    chunk: &[u8],
    heads: &[ChangeHash],
) -> Result<(i64, i64), StoreError> {
    conn.prepare_cached("INSERT INTO chunks (doc_id, bytes) VALUES (?1, ?2)")?
        .execute(params![id.as_bytes(), chunk])?;
    let seq = conn.last_insert_rowid();
    let len = i64::try_from(chunk.len()).map_err(|_| StoreError::corrupt("chunk size"))?;
    let doc_seq = conn
        .prepare_cached(
            "UPDATE documents SET heads = ?2,
                seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents),
                chunk_count = chunk_count + 1, chunk_bytes = chunk_bytes + ?3
             WHERE id = ?1 RETURNING seq",
        )?
        .query_row(params![id.as_bytes(), encode_heads(heads), len], |r| {
            r.get(0)
        })?;
    Ok((seq, doc_seq))
}

/// The compaction rule: the chunks have outgrown the snapshot.
pub(crate) fn needs_compaction(stats: &DocumentStats) -> bool {
    stats.chunk_count > 0 && stats.chunk_bytes > stats.snapshot_bytes
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compaction {
    /// A new snapshot replaced the old one and this many chunks.
    Compacted {
        /// Chunks removed.
        chunks_removed: usize,
    },
    /// There was nothing to compact.
    NothingToDo,
    /// The snapshot changed since `doc` was read (another connection compacted); nothing was
    /// written.
    Stale,
}

/// Replaces the snapshot of `id` with `doc` and deletes the chunks up to `last_chunk`, which
/// `doc` must cover, all inside the caller's transaction. The new snapshot is loaded back and its
/// heads compared before anything is replaced.
pub(crate) fn compact(
    conn: &Connection,
    id: &DocumentId,
    doc: &mut AutoCommit,
    generation: i64,
    last_chunk: Option<i64>,
) -> Result<Compaction, StoreError> {
    let Some(last_chunk) = last_chunk else {
        return Ok(Compaction::NothingToDo);
    };
    let snapshot = doc.save();
    let expected: Vec<ChangeHash> = doc.get_heads();
    let mut reloaded = load_strict(&snapshot)?;
    if reloaded.get_heads() != expected {
        return Err(StoreError::corrupt(format!(
            "new snapshot of document {id} does not reload to the same heads"
        )));
    }
    let updated = conn.execute(
        "UPDATE documents SET snapshot = ?2, generation = generation + 1
         WHERE id = ?1 AND generation = ?3",
        params![id.as_bytes(), snapshot, generation],
    )?;
    if updated != 1 {
        return Ok(Compaction::Stale);
    }
    let chunks_removed = conn.execute(
        "DELETE FROM chunks WHERE doc_id = ?1 AND seq <= ?2",
        params![id.as_bytes(), last_chunk],
    )?;
    // Rare (once per snapshot's worth of chunks): recount what is left rather than track it.
    conn.execute(
        "UPDATE documents SET
            chunk_count = (SELECT count(*) FROM chunks WHERE doc_id = ?1),
            chunk_bytes = (SELECT COALESCE(sum(length(bytes)), 0) FROM chunks WHERE doc_id = ?1)
         WHERE id = ?1",
        [id.as_bytes()],
    )?;
    Ok(Compaction::Compacted { chunks_removed })
}

/// Every stored document id, in id order.
pub(crate) fn ids(conn: &Connection) -> Result<Vec<DocumentId>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM documents ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(id_from_blob(blob(row, 0)?)?);
    }
    Ok(out)
}

/// Documents written after catch-up sequence `after`, oldest write first, at most `limit`.
pub(crate) fn changed_since(
    conn: &Connection,
    after: i64,
    limit: u32,
) -> Result<Vec<(DocumentId, i64)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, seq FROM documents WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let mut rows = stmt.query(params![after, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push((id_from_blob(blob(row, 0)?)?, row.get(1)?));
    }
    Ok(out)
}

/// The catch-up sequence of the latest write (0 when nothing is stored).
pub(crate) fn latest_seq(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM documents")?
        .query_row([], |r| r.get(0))?)
}

/// A document id read back from a BLOB column.
pub(crate) fn id_from_blob(blob: &[u8]) -> Result<DocumentId, StoreError> {
    let raw: [u8; 16] = blob
        .try_into()
        .map_err(|_| StoreError::corrupt(format!("document id of {} bytes", blob.len())))?;
    Ok(DocumentId::from_bytes(raw))
}

/// How many documents are stored.
pub(crate) fn count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
    u64::try_from(n).map_err(|_| StoreError::corrupt("negative document count"))
}

/// The current heads of `id`, without loading the document.
pub(crate) fn heads(
    conn: &Connection,
    id: &DocumentId,
) -> Result<Option<Vec<ChangeHash>>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .query_row(
            "SELECT heads FROM documents WHERE id = ?1",
            [id.as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(blob) = blob else {
        return Ok(None);
    };
    decode_heads(id, &blob).map(Some)
}

/// The `heads` column: concatenated 32-byte change hashes.
pub(crate) fn decode_heads(id: &DocumentId, blob: &[u8]) -> Result<Vec<ChangeHash>, StoreError> {
    if !blob.len().is_multiple_of(32) {
        return Err(StoreError::corrupt(format!("heads of document {id}")));
    }
    blob.chunks_exact(32)
        .map(|h| {
            ChangeHash::try_from(h)
                .map_err(|e| StoreError::corrupt_from(format!("heads of document {id}"), e))
        })
        .collect()
}

fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// A BLOB column of `row`; anything else there means the file was tampered with.
pub(crate) fn blob<'r>(row: &'r Row<'_>, column: usize) -> Result<&'r [u8], StoreError> {
    row.get_ref(column)?
        .as_blob()
        .map_err(|e| StoreError::corrupt_from(format!("column {column} is not a blob"), e))
}
