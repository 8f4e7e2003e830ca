//! The blob service's settings, with their defaults.

use std::time::Duration;

/// Bounds and schedules of photo blobs (`docs/blobs.md`).
#[derive(Debug, Clone)]
pub struct BlobLimits {
    /// Largest blob accepted (`Upload-Length`), in bytes. Default 25 MiB: photos are resized to
    /// well under 2 MB on the phone; this leaves room for a full-resolution one.
    pub max_blob_bytes: u64,
    /// Bytes one user may hold: the blobs they uploaded plus their uploads in progress. Default
    /// 2 GiB, some 3 000 photos of 600 KB.
    pub quota_bytes: u64,
    /// Uploads one user may have in progress at once. Default 32: a phone uploads a few at a
    /// time; more is a client gone wrong (or an attempt to hold disk).
    pub max_open_uploads: u64,
    /// An upload not written to for this long is expired (its bytes deleted). Default 24 h.
    pub upload_ttl: Duration,
    /// A blob nobody references or recently uploaded is removed this long after it was stored
    /// (or last claimed). Default 30 days, so a photo deleted by mistake can still be restored
    /// from a document's history for a month.
    pub grace: Duration,
    /// How often `serve` collects garbage. Default 1 h.
    pub gc_every: Duration,
    /// An upload body that sends nothing for this long is cut (what was received is kept, the
    /// client resumes). Default 30 s. It replaces the request deadline for upload bodies.
    pub body_idle_timeout: Duration,
    /// Thumbnails: the longest side, in pixels. Default 320.
    pub thumbnail_px: u32,
}

impl Default for BlobLimits {
    fn default() -> Self {
        BlobLimits {
            max_blob_bytes: 25 * 1024 * 1024,
            quota_bytes: 2 * 1024 * 1024 * 1024,
            max_open_uploads: 32,
            upload_ttl: Duration::from_secs(24 * 3600),
            grace: Duration::from_secs(30 * 86_400),
            gc_every: Duration::from_secs(3600),
            body_idle_timeout: Duration::from_secs(30),
            thumbnail_px: 320,
        }
    }
}
