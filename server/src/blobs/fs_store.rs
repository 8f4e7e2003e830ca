//! [`FsBlobStore`]: blobs as files under a directory, `<root>/ab/cdef...` (the first two hex
//! digits of the hash, then the other 62).
//!
//! A blob arrives as a finished temp file on the same file system, already fsynced by whoever
//! wrote it; it is renamed into place and the directory fsynced, so after a crash the name holds the whole blob or does not
//! exist. Names of any other shape under the root (the upload temp directory, the thumbnails)
//! are not blobs and never listed.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::hash::Sha256Hex;
use super::store::{BlobMeta, BlobReader, BlobStore, BlobStoreError, BoxFuture, Put};

/// Bytes read from disk at a time when serving a blob.
const READ_CHUNK: usize = 64 * 1024;

/// See the [module docs](self).
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    /// Set once every shard directory exists; held while they are made, so that uploads
    /// finishing together do not all make them at once (they would queue on the root's lock).
    shards: Arc<Mutex<bool>>,
}

impl FsBlobStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsBlobStore {
            root: root.into(),
            shards: Arc::new(Mutex::new(false)),
        }
    }

    fn path(&self, key: &Sha256Hex) -> PathBuf {
        let (dir, rest) = key.shard();
        self.root.join(dir).join(rest)
    }
}

/// Runs blocking file work off the runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobStoreError> + Send + 'static,
) -> Result<T, BlobStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| BlobStoreError::Panicked)?
}

/// fsyncs a directory, so that a rename or a new entry in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BlobStoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BlobStoreError::io("fsync directory", dir))
}

/// Makes every shard directory under `root` (and fsyncs `root`) unless done already: the
/// root's fsync is then paid once per store, not by the first blob of each of the 256 shards.
fn make_shards(root: &Path, done: &Mutex<bool>) -> Result<(), BlobStoreError> {
    let mut done = done.lock().unwrap_or_else(PoisonError::into_inner);
    if *done {
        return Ok(());
    }
    for shard in 0..=u8::MAX {
        let shard = root.join(format!("{shard:02x}"));
        std::fs::create_dir_all(&shard).map_err(BlobStoreError::io("create", &shard))?;
    }
    sync_dir(root)?;
    *done = true;
    Ok(())
}

fn put_blocking(dest: &Path, finished: &Path) -> Result<Put, BlobStoreError> {
    if dest.exists() {
        std::fs::remove_file(finished).map_err(BlobStoreError::io("remove", finished))?;
        return Ok(Put::AlreadyThere);
    }
    let dir = dest.parent().ok_or_else(|| BlobStoreError::Io {
        op: "find the directory of",
        path: dest.to_owned(),
        source: io::Error::other("no parent"),
    })?;
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(BlobStoreError::io("create", dir))?;
        if let Some(root) = dir.parent() {
            sync_dir(root)?;
        }
    }
    std::fs::rename(finished, dest).map_err(BlobStoreError::io("rename into", dest))?;
    sync_dir(dir)?;
    Ok(Put::Stored)
}

fn meta_of(key: Sha256Hex, path: &Path) -> Result<Option<BlobMeta>, BlobStoreError> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let modified_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            Ok(Some(BlobMeta {
                sha256: key,
                bytes: meta.len(),
                modified_ms,
            }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BlobStoreError::io("stat", path)(e)),
    }
}

/// The blobs of the shard directories from `after`'s on, in key order, at most `limit`.
fn list_blocking(
    root: &Path,
    after: Option<&Sha256Hex>,
    limit: usize,
) -> Result<Vec<BlobMeta>, BlobStoreError> {
    let mut out = Vec::new();
    let first_shard = after.map_or(0, |a| u8::from_str_radix(a.shard().0, 16).unwrap_or(0));
    for shard in first_shard..=u8::MAX {
        let dir = root.join(format!("{shard:02x}"));
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BlobStoreError::io("list", &dir)(e)),
        };
        let mut keys: Vec<Sha256Hex> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|name| format!("{shard:02x}{name}").parse().ok())
            .filter(|key| after.is_none_or(|a| key > a))
            .collect();
        keys.sort();
        for key in keys {
            if out.len() >= limit {
                return Ok(out);
            }
            let path = dir.join(key.shard().1);
            if let Some(meta) = meta_of(key, &path)? {
                out.push(meta);
            }
        }
    }
    Ok(out)
}

async fn open_range(
    path: PathBuf,
    range: Option<(u64, u64)>,
) -> Result<Option<BlobReader>, BlobStoreError> {
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BlobStoreError::io("open", &path)(e)),
    };
    let total = file
        .metadata()
        .await
        .map_err(BlobStoreError::io("stat", &path))?
        .len();
    let (first, last) = range.unwrap_or((0, total.saturating_sub(1)));
    let len = if total == 0 {
        0
    } else {
        last.saturating_sub(first) + 1
    };
    if first > 0 {
        file.seek(SeekFrom::Start(first))
            .await
            .map_err(BlobStoreError::io("seek", &path))?;
    }
    let stream = ReaderStream::with_capacity(file.take(len), READ_CHUNK);
    Ok(Some(BlobReader {
        total,
        bytes: Box::pin(stream),
    }))
}

impl BlobStore for FsBlobStore {
    fn put_file<'a>(
        &'a self,
        key: &'a Sha256Hex,
        finished: &'a Path,
    ) -> BoxFuture<'a, Result<Put, BlobStoreError>> {
        let (dest, finished) = (self.path(key), finished.to_owned());
        let (root, shards) = (self.root.clone(), self.shards.clone());
        Box::pin(blocking(move || {
            make_shards(&root, &shards)?;
            put_blocking(&dest, &finished)
        }))
    }

    fn open<'a>(
        &'a self,
        key: &'a Sha256Hex,
        range: Option<(u64, u64)>,
    ) -> BoxFuture<'a, Result<Option<BlobReader>, BlobStoreError>> {
        Box::pin(open_range(self.path(key), range))
    }

    fn stat<'a>(
        &'a self,
        key: &'a Sha256Hex,
    ) -> BoxFuture<'a, Result<Option<BlobMeta>, BlobStoreError>> {
        let (path, key) = (self.path(key), key.clone());
        Box::pin(blocking(move || meta_of(key, &path)))
    }

    fn delete<'a>(&'a self, key: &'a Sha256Hex) -> BoxFuture<'a, Result<bool, BlobStoreError>> {
        let path = self.path(key);
        Box::pin(blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(BlobStoreError::io("remove", &path)(e)),
        }))
    }

    fn list<'a>(
        &'a self,
        after: Option<&'a Sha256Hex>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<BlobMeta>, BlobStoreError>> {
        let (root, after) = (self.root.clone(), after.cloned());
        Box::pin(blocking(move || {
            list_blocking(&root, after.as_ref(), limit)
        }))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    async fn read_all(mut reader: BlobReader) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(chunk) = reader.bytes.next().await {
            out.extend_from_slice(&chunk.expect("read"));
        }
        out
    }

    #[tokio::test]
    async fn put_dedupes_reads_ranges_lists_and_deletes() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FsBlobStore::new(dir.path().join("blobs"));
        let bytes = b"hello, blob".to_vec();
        let key = Sha256Hex::of(&bytes);
        let temp = dir.path().join("t1");
        std::fs::write(&temp, &bytes).expect("write");
        assert_eq!(store.put_file(&key, &temp).await.expect("put"), Put::Stored);
        std::fs::write(&temp, &bytes).expect("write");
        assert_eq!(
            store.put_file(&key, &temp).await.expect("put"),
            Put::AlreadyThere
        );
        assert!(!temp.exists(), "the duplicate is dropped");
        let all = store.open(&key, None).await.expect("open").expect("there");
        assert_eq!(all.total, bytes.len() as u64);
        assert_eq!(read_all(all).await, bytes);
        let part = store.open(&key, Some((7, 10))).await.expect("open");
        assert_eq!(read_all(part.expect("there")).await, b"blob");
        let listed = store.list(None, 10).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sha256, key);
        assert!(store.list(Some(&key), 10).await.expect("list").is_empty());
        assert!(store.delete(&key).await.expect("delete"));
        assert!(store.stat(&key).await.expect("stat").is_none());
        assert!(store.open(&key, None).await.expect("open").is_none());
    }
}
