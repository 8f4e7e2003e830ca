//! [`BlobStore`]: where finished blobs live, by their SHA-256.
//!
//! The seam for several server nodes: today [`FsBlobStore`](super::fs_store::FsBlobStore) keeps
//! blobs under the data directory; an S3-compatible store (the `object_store` crate, whose
//! `put`, `get_opts` with a byte range, `head`, `delete` and `list_with_offset` map one to one
//! onto these methods) can implement the same trait later, with no change to the routes. What
//! stays on the node is what is not a blob yet: an upload in progress is a local temp file
//! (tus resumes need its current length), and [`put_file`](BlobStore::put_file) hands the
//! finished file over. Several nodes would then share the upload temp directory or route each
//! upload id to one node, and share `blobs.sqlite3`'s tables through a shared database.
//!
//! The methods are async and return boxed futures so that the trait stays object-safe
//! (`Arc<dyn BlobStore>`), since an object store's calls are network calls.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use axum::body::Bytes;
use futures_util::Stream;

use super::hash::Sha256Hex;

/// A boxed future, for object safety.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The bytes of a blob (or a range of it), as they are read.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Why a store operation failed, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum BlobStoreError {
    /// A file operation failed.
    #[error("{op} {}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The store's blocking task died.
    #[error("a blob store task panicked")]
    Panicked,
}

impl BlobStoreError {
    pub(crate) fn io(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| BlobStoreError::Io { op, path, source }
    }
}

/// What [`BlobStore::put_file`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The blob is new and now stored.
    Stored,
    /// The store had it already; the file given was dropped (deduplication).
    AlreadyThere,
}

/// One stored blob, as a listing or [`BlobStore::stat`] tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its address.
    pub sha256: Sha256Hex,
    /// Its size.
    pub bytes: u64,
    /// When it was last written, in ms since the Unix epoch.
    pub modified_ms: i64,
}

/// An open blob: its total size, and the bytes asked for.
pub struct BlobReader {
    /// The whole blob's size (not the range's).
    pub total: u64,
    /// The bytes of the range asked for (or of the whole blob).
    pub bytes: ByteStream,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

/// Content-addressed storage of finished blobs. Writes are whole or absent: after a crash a key
/// either holds its complete bytes or nothing.
pub trait BlobStore: Send + Sync + std::fmt::Debug + 'static {
    /// Takes the finished, verified file at `finished` (on this node's disk) as the blob `key`.
    /// The caller has made its bytes durable (fsynced) already: the upload path does so when
    /// the last byte arrives, and a second fsync here would cost every photo another disk flush.
    /// The file is consumed either way: moved into the store, or dropped when the store has the
    /// blob already.
    fn put_file<'a>(
        &'a self,
        key: &'a Sha256Hex,
        finished: &'a Path,
    ) -> BoxFuture<'a, Result<Put, BlobStoreError>>;

    /// Opens `key` for reading `range` (inclusive first and last byte; `None` for all of it),
    /// or `None` if it is not stored. The caller checks the range against the size first.
    fn open<'a>(
        &'a self,
        key: &'a Sha256Hex,
        range: Option<(u64, u64)>,
    ) -> BoxFuture<'a, Result<Option<BlobReader>, BlobStoreError>>;

    /// The blob's size and time, or `None` if it is not stored.
    fn stat<'a>(
        &'a self,
        key: &'a Sha256Hex,
    ) -> BoxFuture<'a, Result<Option<BlobMeta>, BlobStoreError>>;

    /// Deletes `key`; `false` if it was not there.
    fn delete<'a>(&'a self, key: &'a Sha256Hex) -> BoxFuture<'a, Result<bool, BlobStoreError>>;

    /// Up to `limit` stored blobs after `after`, in key order (a page of a listing).
    fn list<'a>(
        &'a self,
        after: Option<&'a Sha256Hex>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<BlobMeta>, BlobStoreError>>;
}
