//! Garbage collection: blobs that no document references and nobody uploaded recently are
//! removed once they are older than the grace period, and uploads nobody wrote to for a day
//! are expired. Run by `enlace-server admin gc-blobs` and, in `serve`, every
//! [`gc_every`](super::BlobLimits::gc_every).
//!
//! A blob is removed only when all of these hold, checked in the statement that forgets it:
//! stored before the cutoff (now minus the grace period), no reference from any document, no
//! uploader's claim after the cutoff, no upload in progress of the same hash. Nothing is
//! removed while the reference index is being rebuilt (after an unclean stop), since it may
//! miss references until then. Files in the store with no row (a crash between the two) are
//! adopted first, as stored when their file was written.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::BlobLimits;
use super::db::BlobDb;
use super::error::BlobError;
use super::hash::Sha256Hex;
use super::sniff::Sniff;
use super::store::BlobStore;

/// Candidates forgotten per round.
const BATCH: usize = 500;
/// Store entries listed per page when looking for files with no row.
const PAGE: usize = 1_000;

/// One removed blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// Its hash.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// What one collection did (printed as JSON by `admin gc-blobs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Blobs removed.
    pub removed: Vec<Removed>,
    /// Their bytes.
    pub removed_bytes: u64,
    /// Uploads in progress expired (not written to within the upload lifetime).
    pub expired_uploads: u64,
    /// Files found in the store with no row, now recorded.
    pub adopted: u64,
    /// Why no blob was removed this time, if none could be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Where GC works.
#[derive(Debug, Clone, Copy)]
pub struct GcTarget<'a> {
    /// `blobs.sqlite3`.
    pub db: &'a BlobDb,
    /// The blobs.
    pub store: &'a dyn BlobStore,
    /// Their thumbnails.
    pub thumbnails: &'a dyn BlobStore,
    /// The upload temp directory.
    pub temp_dir: &'a Path,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Collects every [`gc_every`](BlobLimits::gc_every) until `stop` (in `serve`).
pub(crate) async fn every(
    blobs: std::sync::Arc<super::Blobs>,
    stop: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(blobs.limits().gc_every) => {}
        }
        let (collecting, handle) = (blobs.clone(), tokio::runtime::Handle::current());
        // On a blocking thread: SQLite and the store listing must not hold a runtime worker.
        let done =
            tokio::task::spawn_blocking(move || handle.block_on(collecting.collect_garbage()));
        let Ok(result) = done.await else {
            tracing::error!("blob GC panicked");
            continue;
        };
        match result {
            Ok(report) => tracing::info!(
                removed = report.removed.len(),
                removed_bytes = report.removed_bytes,
                expired_uploads = report.expired_uploads,
                skipped = report.skipped.is_some(),
                "blob garbage collected"
            ),
            Err(error) => {
                tracing::error!(error = &error as &dyn std::error::Error, "blob GC failed")
            }
        }
    }
}

/// One collection at `now_ms`.
pub async fn collect(
    target: GcTarget<'_>,
    limits: &BlobLimits,
    now_ms: i64,
) -> Result<GcReport, BlobError> {
    let mut report = GcReport {
        expired_uploads: expire_uploads(target, now_ms.saturating_sub(ms(limits.upload_ttl)))?,
        ..GcReport::default()
    };
    if target.db.flag("refs_dirty")? {
        report.skipped = Some(
            "the reference index is being rebuilt (the server rebuilds it when it starts after an \
             unclean stop); nothing is removed until then"
                .into(),
        );
        return Ok(report);
    }
    report.adopted = adopt_orphans(target, now_ms).await?;
    let cutoff = now_ms.saturating_sub(ms(limits.grace));
    loop {
        let batch = target.db.collectable(cutoff, BATCH)?;
        let mut progressed = false;
        for (sha, bytes) in batch {
            if !target.db.forget_if_collectable(&sha, cutoff)? {
                continue;
            }
            progressed = true;
            target.store.delete(&sha).await?;
            target.thumbnails.delete(&sha).await?;
            tracing::info!(sha256 = %sha, bytes, "blob collected");
            report.removed_bytes += bytes;
            report.removed.push(Removed {
                sha256: sha.to_string(),
                bytes,
            });
        }
        if !progressed {
            return Ok(report);
        }
    }
}

/// Expires uploads not written to since `before_ms`, and deletes temp files no upload owns
/// that are as old (left by a crash between creating a file and recording it).
fn expire_uploads(target: GcTarget<'_>, before_ms: i64) -> Result<u64, BlobError> {
    let stale = target.db.stale_uploads(before_ms)?;
    for id in &stale {
        target.db.delete_upload(id)?;
        let path = target.temp_dir.join(format!("{id}.part"));
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(BlobError::file("remove", &path)(e));
        }
    }
    let open: std::collections::HashSet<String> = target
        .db
        .uploads()?
        .into_iter()
        .map(|row| format!("{}.part", row.id))
        .collect();
    let entries = match std::fs::read_dir(target.temp_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stale.len() as u64),
        Err(e) => return Err(BlobError::file("list", target.temp_dir)(e)),
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|d| ms(d) < before_ms);
        if old && !open.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(stale.len() as u64)
}

/// Records store files that have no row, as stored when they were written.
async fn adopt_orphans(target: GcTarget<'_>, now_ms: i64) -> Result<u64, BlobError> {
    let mut adopted = 0;
    let mut after: Option<Sha256Hex> = None;
    loop {
        let page = target.store.list(after.as_ref(), PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(adopted);
        };
        after = Some(last.sha256.clone());
        for meta in page {
            if target.db.blob(&meta.sha256)?.is_some() {
                continue;
            }
            let mime = match super::sniff_head(target.store, &meta.sha256).await? {
                Some(Sniff::Image(kind)) => kind.mime(),
                _ => "application/octet-stream",
            };
            let stored = meta.modified_ms.min(now_ms);
            target.db.adopt(&meta.sha256, meta.bytes, mime, stored)?;
            adopted += 1;
        }
    }
}
