//! The `blobs` table: every blob file this phone holds, and the upload queue of those taken
//! here (what the server holds of each, when to try again, why the server refused one).

// The queue's writes serve the device client's uploader (feature `client`).
#![cfg_attr(not(feature = "client"), allow(dead_code))]

use rusqlite::{Connection, OptionalExtension, params};

use super::{BlobHash, PhotoStatus};
use crate::store::StoreError;

/// A blob waiting to be uploaded, as the uploader needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// The blob.
    pub hash: BlobHash,
    /// Its size.
    pub bytes: u64,
    /// Its image type.
    pub mime: String,
    /// The tus upload on the server, once created.
    pub url: Option<String>,
    /// How many failed attempts so far.
    pub attempts: u32,
}

/// A row for a blob now in the blob directory: taken on this phone (`on_server` false, queued
/// for upload) or downloaded from the server. A blob already listed is only marked used.
pub(super) fn insert(
    conn: &Connection,
    hash: &BlobHash,
    bytes: u64,
    mime: &str,
    on_server: bool,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO blobs (sha256, bytes, mime, on_server, last_used_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO UPDATE SET last_used_ms = excluded.last_used_ms",
        params![hash.as_str(), bytes as i64, mime, on_server, now_ms],
    )?;
    Ok(())
}

pub(super) fn status(conn: &Connection, hash: &BlobHash) -> Result<PhotoStatus, StoreError> {
    let row = conn
        .query_row(
            "SELECT bytes, on_server, upload_url, sent, refused FROM blobs WHERE sha256 = ?1",
            [hash.as_str()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(match row {
        None => PhotoStatus::Elsewhere,
        Some((_, true, _, _, _)) => PhotoStatus::OnServer,
        Some((_, false, _, _, Some(reason))) => PhotoStatus::Refused { reason },
        Some((total, false, Some(_), sent, None)) => PhotoStatus::Uploading {
            sent: sent.max(0) as u64,
            total: total.max(0) as u64,
        },
        Some((_, false, None, _, None)) => PhotoStatus::OnlyOnThisPhone,
    })
}

/// Marks a blob used now (it moves to the back of the eviction order).
pub(super) fn touch(conn: &Connection, hash: &BlobHash, now_ms: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE blobs SET last_used_ms = ?2 WHERE sha256 = ?1",
        params![hash.as_str(), now_ms],
    )? > 0)
}

/// Up to `limit` blobs to upload whose retry time has come, and when the next one is due
/// (`None`: nothing waits).
pub(super) fn next_due(
    conn: &Connection,
    now_ms: i64,
    limit: usize,
) -> Result<(Vec<PendingUpload>, Option<i64>), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, bytes, mime, upload_url, attempts FROM blobs
         WHERE on_server = 0 AND refused IS NULL AND next_try_ms <= ?1
         ORDER BY next_try_ms, last_used_ms LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now_ms, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut due = Vec::new();
    for row in rows {
        let (sha, bytes, mime, url, attempts) = row?;
        due.push(PendingUpload {
            hash: BlobHash::parse(&sha).ok_or_else(|| StoreError::corrupt("a blob's hash"))?,
            bytes: bytes.max(0) as u64,
            mime,
            url,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        });
    }
    let later: Option<i64> = conn.query_row(
        "SELECT min(next_try_ms) FROM blobs WHERE on_server = 0 AND refused IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok((due, later))
}

/// Records the upload's URL on the server (or forgets it: `None`) and what it holds.
pub(super) fn set_upload(
    conn: &Connection,
    hash: &BlobHash,
    url: Option<&str>,
    sent: u64,
) -> Result<(), StoreError> {
    // Without waiting for an fsync: progress lost to a power cut (never to the app being
    // killed) only means asking the server again, or sending this photo again from the start.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let updated = conn
        .prepare_cached("UPDATE blobs SET upload_url = ?2, sent = ?3 WHERE sha256 = ?1")
        .and_then(|mut update| update.execute(params![hash.as_str(), url, sent as i64]));
    conn.pragma_update(None, "synchronous", "FULL")?;
    updated?;
    Ok(())
}

/// The server holds the blob: done, nothing more to send.
pub(super) fn mark_on_server(conn: &Connection, hash: &BlobHash) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE blobs SET on_server = 1, upload_url = NULL, sent = bytes, last_error = NULL
         WHERE sha256 = ?1",
        [hash.as_str()],
    )?;
    Ok(())
}

/// An attempt failed for a reason that may pass (offline, a server error): try again at
/// `retry_at_ms`.
pub(super) fn mark_failed(
    conn: &Connection,
    hash: &BlobHash,
    error: &str,
    retry_at_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE blobs SET attempts = attempts + 1, next_try_ms = ?3, last_error = ?2
         WHERE sha256 = ?1",
        params![hash.as_str(), error, retry_at_ms],
    )?;
    Ok(())
}

/// The server refused the blob for good (not an image it takes, a hash that does not match
/// the bytes, too large): it is not retried.
pub(super) fn mark_refused(
    conn: &Connection,
    hash: &BlobHash,
    reason: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE blobs SET refused = ?2, upload_url = NULL WHERE sha256 = ?1",
        params![hash.as_str(), reason],
    )?;
    Ok(())
}

/// Blobs the cache may evict, least recently used first, once the blobs on the server take
/// more than `budget` bytes: never one the server does not hold yet.
pub(super) fn over_budget(conn: &Connection, budget: u64) -> Result<Vec<BlobHash>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, bytes FROM blobs WHERE on_server = 1 ORDER BY last_used_ms DESC",
    )?;
    let mut rows = stmt.query([])?;
    let mut kept = 0u64;
    let mut evict = Vec::new();
    while let Some(row) = rows.next()? {
        let bytes = row.get::<_, i64>(1)?.max(0) as u64;
        kept = kept.saturating_add(bytes);
        if kept > budget {
            let sha: String = row.get(0)?;
            evict.push(BlobHash::parse(&sha).ok_or_else(|| StoreError::corrupt("a blob's hash"))?);
        }
    }
    Ok(evict)
}

pub(super) fn remove(conn: &Connection, hash: &BlobHash) -> Result<(), StoreError> {
    conn.execute("DELETE FROM blobs WHERE sha256 = ?1", [hash.as_str()])?;
    Ok(())
}

/// Blobs not on the server yet, and their bytes.
pub(super) fn pending_totals(conn: &Connection) -> Result<(u64, u64), StoreError> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(bytes), 0) FROM blobs WHERE on_server = 0 AND refused IS NULL",
        [],
        |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get::<_, i64>(1)?.max(0) as u64)),
    )?)
}

/// Makes every waiting upload due now (a connection came up: the back-off was for offline).
pub(super) fn retry_now(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE blobs SET next_try_ms = 0 WHERE on_server = 0 AND refused IS NULL AND next_try_ms > 0",
        [],
    )?;
    Ok(())
}

/// Forgets the upload's URL and counts an attempt, so the next one first asks the server
/// whether it holds the blob.
pub(super) fn restart(conn: &Connection, hash: &BlobHash) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE blobs SET upload_url = NULL, sent = 0, attempts = attempts + 1 WHERE sha256 = ?1",
        [hash.as_str()],
    )?;
    Ok(())
}
