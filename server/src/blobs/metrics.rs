//! The blob service's series in `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why an upload was refused, one label value each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed tus headers or metadata (400).
    BadRequest,
    /// Over the size cap, or a body past `Upload-Length` (413).
    TooLarge,
    /// Over the user's quota (413 `quota_exceeded`).
    Quota,
    /// Too many uploads in progress for the user (429).
    TooManyUploads,
    /// Not a JPEG, PNG, HEIC or WebP (415).
    NotImage,
    /// The bytes do not hash to the declared SHA-256 (460).
    Checksum,
    /// `Upload-Offset` is not the upload's offset (409), or it is busy (423).
    Conflict,
}

impl Refusal {
    const ALL: [Refusal; 7] = [
        Refusal::BadRequest,
        Refusal::TooLarge,
        Refusal::Quota,
        Refusal::TooManyUploads,
        Refusal::NotImage,
        Refusal::Checksum,
        Refusal::Conflict,
    ];

    fn label(self) -> &'static str {
        match self {
            Refusal::BadRequest => "bad_request",
            Refusal::TooLarge => "too_large",
            Refusal::Quota => "quota_exceeded",
            Refusal::TooManyUploads => "too_many_uploads",
            Refusal::NotImage => "not_image",
            Refusal::Checksum => "checksum_mismatch",
            Refusal::Conflict => "conflict",
        }
    }
}

/// Counters and gauges of uploads, blobs and downloads.
#[derive(Debug, Default)]
pub struct BlobMetrics {
    /// Uploads created (`POST`).
    pub uploads_started: AtomicU64,
    /// Uploads whose bytes were verified and stored.
    pub uploads_completed: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
    /// Upload bytes written to disk.
    pub bytes_received: AtomicU64,
    /// Blobs stored now.
    pub blobs_stored: AtomicU64,
    /// Bytes of the blobs stored now.
    pub blob_bytes: AtomicU64,
    /// Blob and thumbnail downloads answered (200 and 206).
    pub downloads: AtomicU64,
    /// Bytes sent by downloads (as their `Content-Length` says).
    pub download_bytes: AtomicU64,
    /// Thumbnails made.
    pub thumbnails_made: AtomicU64,
    /// Blobs removed by GC.
    pub gc_removed: AtomicU64,
}

impl BlobMetrics {
    /// Counts one refused upload request.
    pub fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    /// How many refusals of one kind so far.
    pub fn refusals(&self, why: Refusal) -> u64 {
        self.refused[why as usize].load(Relaxed)
    }

    /// Sets the stored-blob gauges.
    pub fn set_stored(&self, blobs: u64, bytes: u64) {
        self.blobs_stored.store(blobs, Relaxed);
        self.blob_bytes.store(bytes, Relaxed);
    }

    /// Appends the Prometheus text of these series.
    pub fn render(&self, out: &mut String) {
        let series: [(&str, &str, &str, &AtomicU64); 9] = [
            (
                "enlace_blob_uploads_started_total",
                "counter",
                "Blob uploads created.",
                &self.uploads_started,
            ),
            (
                "enlace_blob_uploads_completed_total",
                "counter",
                "Blob uploads verified and stored.",
                &self.uploads_completed,
            ),
            (
                "enlace_blob_bytes_received_total",
                "counter",
                "Upload bytes written to disk.",
                &self.bytes_received,
            ),
            (
                "enlace_blobs_stored",
                "gauge",
                "Blobs stored.",
                &self.blobs_stored,
            ),
            (
                "enlace_blob_stored_bytes",
                "gauge",
                "Bytes of the blobs stored.",
                &self.blob_bytes,
            ),
            (
                "enlace_blob_downloads_total",
                "counter",
                "Blob and thumbnail downloads answered.",
                &self.downloads,
            ),
            (
                "enlace_blob_download_bytes_total",
                "counter",
                "Bytes of blob and thumbnail downloads.",
                &self.download_bytes,
            ),
            (
                "enlace_blob_thumbnails_made_total",
                "counter",
                "Thumbnails made.",
                &self.thumbnails_made,
            ),
            (
                "enlace_blob_gc_removed_total",
                "counter",
                "Blobs removed by garbage collection.",
                &self.gc_removed,
            ),
        ];
        for (name, kind, help, value) in series {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP enlace_blob_uploads_refused_total Upload requests refused, by reason.\n\
             # TYPE enlace_blob_uploads_refused_total counter"
        );
        for why in Refusal::ALL {
            let _ = writeln!(
                out,
                "enlace_blob_uploads_refused_total{{reason=\"{}\"}} {}",
                why.label(),
                self.refusals(why)
            );
        }
    }
}
