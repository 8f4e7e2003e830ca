//! Uploads in progress, as tus sees them: created with a length and a declared SHA-256, written
//! by `PATCH`es at the current offset, verified and stored when the last byte arrives.
//!
//! The bytes go to a temp file (`<data>/blobs/uploads/<id>.part`) as they arrive, never held
//! whole in memory; each `PATCH` ends with an fsync (and the first also fsyncs the temp
//! directory), so the offset a `HEAD` reports (the file's length) is on disk, also after a
//! crash (the server fsyncs every temp file when it starts).
//! The first bytes are sniffed as soon as there are enough: an upload that is not a photo is
//! discarded at once. A finished upload becomes a blob only once its bytes hash to the declared
//! SHA-256: until then nobody can read it, and a mismatch discards it.

use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use axum::body::Body;
use futures_util::{FutureExt as _, StreamExt};

use super::Blobs;
use super::db::UploadRow;
use super::error::{BlobApiError, BlobError};
use super::hash::{Hasher, Sha256Hex, UploadId, hash_file};
use super::metrics::Refusal;
use super::sniff::{ImageType, SNIFF_LEN, Sniff, sniff};
use crate::directory::now_ms;
use crate::listener::RequestDeadline;
use crate::metrics::Metrics;

/// What a `POST` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// `Upload-Length`.
    pub length: u64,
    /// The declared hash (`Upload-Metadata: sha256`).
    pub sha256: Sha256Hex,
    /// The declared type (`Upload-Metadata: filetype`), kept for information.
    pub filetype: Option<String>,
}

/// How a `PATCH` body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEnd {
    /// The client sent all it meant to.
    Whole,
    /// The connection broke; what arrived is kept.
    Broken,
    /// Nothing arrived for the idle timeout; what arrived is kept.
    Idle,
}

/// Uploads being written by a request right now: a second `PATCH` of the same upload waits for
/// none, it gets 423.
#[derive(Debug, Default)]
pub(crate) struct Busy(Mutex<HashSet<UploadId>>);

struct BusyGuard<'a> {
    busy: &'a Busy,
    id: UploadId,
}

impl Busy {
    fn claim(&self, id: &UploadId) -> Option<BusyGuard<'_>> {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.insert(id.clone()).then(|| BusyGuard {
            busy: self,
            id: id.clone(),
        })
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        let mut set = self.busy.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.remove(&self.id);
    }
}

/// Bytes gathered from a body before one write to the temp file.
const WRITE_BYTES: usize = 256 * 1024;

/// Runs blocking work (SQLite, file hashing) off the runtime's threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| BlobError::Panicked)?
}

impl Blobs {
    fn temp_path(&self, id: &UploadId) -> PathBuf {
        self.temp_dir.join(format!("{id}.part"))
    }

    fn refuse(&self, why: Refusal, error: BlobApiError) -> BlobApiError {
        self.metrics.blobs.refused(why);
        error
    }

    /// `POST`: checks the size, the user's uploads in progress and quota, and creates the upload
    /// with an empty temp file.
    pub(crate) async fn create(
        &self,
        user: String,
        new: NewUpload,
    ) -> Result<UploadId, BlobApiError> {
        let max = self.limits.max_blob_bytes;
        if new.length == 0 {
            return Err(self.refuse(
                Refusal::BadRequest,
                BlobApiError::BadRequest("an empty upload is no photo".into()),
            ));
        }
        if new.length > max {
            let message = format!(
                "Upload-Length {} is past the largest blob, {max} bytes",
                new.length
            );
            return Err(self.refuse(Refusal::TooLarge, BlobApiError::TooLarge(message)));
        }
        let id = UploadId::new_random().map_err(|_| BlobError::Random)?;
        // The empty temp file is made before the creation lock: only the quota check and the
        // row need to be one at a time. It is not fsynced: an empty file lost in a crash reads
        // as a forgotten upload, which the client creates again, and the first `PATCH` that
        // leaves bytes in it makes it (and its name) durable.
        let path = self.temp_path(&id);
        blocking(move || {
            std::fs::File::create(&path).map_err(BlobError::file("create", &path))?;
            Ok(())
        })
        .await?;
        let created = self.create_row(user, new, &id).await;
        if created.is_err()
            && let Err(error) = self.discard(&id).await
        {
            return Err(error.into());
        }
        created?;
        Metrics::add(&self.metrics.blobs.uploads_started, 1);
        Ok(id)
    }

    /// The quota check and the upload's row, one creation at a time, so two cannot both fit in
    /// the last of a quota.
    async fn create_row(
        &self,
        user: String,
        new: NewUpload,
        id: &UploadId,
    ) -> Result<(), BlobApiError> {
        let _one = self.creating.lock().await;
        let db = self.db.clone();
        let key = user.clone();
        let usage = blocking(move || Ok(db.usage(&key)?)).await?;
        if usage.open_uploads >= self.limits.max_open_uploads {
            let max = self.limits.max_open_uploads;
            return Err(self.refuse(Refusal::TooManyUploads, BlobApiError::TooManyUploads(max)));
        }
        let held = usage.stored_bytes.saturating_add(usage.open_bytes);
        if held.saturating_add(new.length) > self.limits.quota_bytes {
            return Err(self.refuse(Refusal::Quota, BlobApiError::QuotaExceeded));
        }
        let row = UploadRow {
            id: id.clone(),
            user,
            sha256: new.sha256,
            length: new.length,
            filetype: new.filetype,
            created_ms: now_ms(),
        };
        let db = self.db.clone();
        Ok(blocking(move || Ok(db.create_upload(&row)?)).await?)
    }

    /// `HEAD`: the upload of `user` named `id` and its offset (the temp file's length). Another
    /// user's upload is answered exactly like a missing one.
    pub(crate) async fn status(
        &self,
        user: &str,
        id: &str,
    ) -> Result<(UploadRow, u64), BlobApiError> {
        let id: UploadId = id.parse().map_err(|_| BlobApiError::NotFound)?;
        let db = self.db.clone();
        let lookup = id.clone();
        let row = blocking(move || Ok(db.upload(&lookup)?)).await?;
        let Some(row) = row.filter(|row| row.user == user) else {
            return Err(BlobApiError::NotFound);
        };
        let path = self.temp_path(&id);
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok((row, meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobApiError::NotFound),
            Err(e) => Err(BlobError::file("stat", &path)(e).into()),
        }
    }

    /// `PATCH`: appends `body` at `offset` (which must be the upload's offset), and finishes the
    /// upload when it is whole. Returns the new offset.
    pub(crate) async fn append(
        &self,
        user: &str,
        id: &str,
        offset: u64,
        body_length: Option<u64>,
        body: Body,
        deadline: &RequestDeadline,
    ) -> Result<u64, BlobApiError> {
        let parsed: UploadId = id.parse().map_err(|_| BlobApiError::NotFound)?;
        let Some(_busy) = self.busy.claim(&parsed) else {
            // Someone else's upload (or none) reads as missing, not as busy.
            self.status(user, id).await?;
            return Err(self.refuse(Refusal::Conflict, BlobApiError::Busy));
        };
        // Read under the claim, so no other request moves it meanwhile.
        let (row, current) = self.status(user, id).await?;
        if offset != current {
            return Err(self.refuse(
                Refusal::Conflict,
                BlobApiError::OffsetMismatch { expected: current },
            ));
        }
        if body_length.is_some_and(|n| current.saturating_add(n) > row.length) {
            let message = "the body runs past Upload-Length".to_owned();
            return Err(self.refuse(Refusal::TooLarge, BlobApiError::TooLarge(message)));
        }
        // The caller is known and the upload theirs: the body may take longer than a request
        // may take to arrive; the idle timeout bounds it instead.
        deadline.lift();
        let received = self.receive(&row, current, body).await?;
        let (reached, end) = (received.offset, received.end);
        if reached == row.length {
            // The finished file moves into the blob store, whose rename makes it durable
            // under its new name; the upload's row goes with it, so it needs no touch.
            self.complete(&row, received).await?;
            return Ok(reached);
        }
        let (db, touched, dir) = (self.db.clone(), row.id.clone(), self.temp_dir.clone());
        let first = current == 0 && reached > 0;
        blocking(move || {
            if first {
                // The offset this answer reports must survive a crash, and with it the temp
                // file's name, made without an fsync at creation.
                super::fs_store::sync_dir(&dir)?;
            }
            Ok(db.touch_upload(&touched, now_ms())?)
        })
        .await?;
        if end == BodyEnd::Idle {
            return Err(BlobApiError::BodyTimeout);
        }
        Ok(reached)
    }

    /// Writes the body to the temp file as it arrives, sniffing the first bytes and hashing on
    /// the way when the body starts the upload; fsyncs before returning.
    async fn receive(
        &self,
        row: &UploadRow,
        start: u64,
        body: Body,
    ) -> Result<Received, BlobApiError> {
        let path = self.temp_path(&row.id);
        let mut head = match start {
            0 => Some(Vec::with_capacity(SNIFF_LEN)),
            1..SNIFF_LEN_U64 => Some(read_head(path.clone()).await?),
            _ => None,
        };
        let mut received = Received {
            offset: start,
            end: BodyEnd::Whole,
            hasher: (start == 0).then(Hasher::new),
            kind: None,
        };
        let mut writer = TempWriter::new(path.clone());
        let mut stream = body.into_data_stream();
        received.end = loop {
            let next = match stream.next().now_or_never() {
                Some(next) => next,
                None => {
                    // Nothing more has arrived yet: what has goes to the file first, so a
                    // slow or stalled body is on disk (and in the offset) as it arrives.
                    writer.write_pending().await?;
                    match tokio::time::timeout(self.limits.body_idle_timeout, stream.next()).await {
                        Err(_) => break BodyEnd::Idle,
                        Ok(next) => next,
                    }
                }
            };
            let chunk = match next {
                None => break BodyEnd::Whole,
                Some(Err(_)) => break BodyEnd::Broken,
                Some(Ok(chunk)) => chunk,
            };
            let len = chunk.len() as u64;
            if received.offset.saturating_add(len) > row.length {
                drop(writer);
                self.truncate(&path, start).await?;
                let message = "the body runs past Upload-Length; none of it was kept".to_owned();
                return Err(self.refuse(Refusal::TooLarge, BlobApiError::TooLarge(message)));
            }
            received.offset += len;
            Metrics::add(&self.metrics.blobs.bytes_received, len);
            if let Some(hasher) = received.hasher.as_mut() {
                hasher.update(&chunk);
            }
            if let Some(buf) = head.as_mut() {
                let want = SNIFF_LEN.saturating_sub(buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk[..want]);
                match sniff(buf, received.offset == row.length) {
                    Sniff::NeedMore => {}
                    Sniff::Image(kind) => {
                        received.kind = (start == 0).then_some(kind);
                        head = None;
                    }
                    Sniff::NotImage => {
                        drop(writer);
                        return Err(self.not_an_image(row).await);
                    }
                }
            }
            writer.push(&chunk).await?;
        };
        // What arrived before the body ended (whole, broken or idle) is kept.
        writer.finish().await?;
        Ok(received)
    }

    async fn truncate(&self, path: &std::path::Path, len: u64) -> Result<(), BlobError> {
        let path = path.to_owned();
        blocking(move || {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(BlobError::file("open", &path))?;
            file.set_len(len)
                .map_err(BlobError::file("truncate", &path))?;
            file.sync_all().map_err(BlobError::file("fsync", &path))
        })
        .await
    }

    async fn not_an_image(&self, row: &UploadRow) -> BlobApiError {
        if let Err(error) = self.discard(&row.id).await {
            return error.into();
        }
        self.refuse(
            Refusal::NotImage,
            BlobApiError::UnsupportedMediaType(
                "not a photo: blobs must be JPEG, PNG, HEIC or WebP images; the upload was discarded".into(),
            ),
        )
    }

    /// Forgets an upload and deletes its bytes.
    pub(crate) async fn discard(&self, id: &UploadId) -> Result<(), BlobError> {
        let (db, id, path) = (self.db.clone(), id.clone(), self.temp_path(id));
        blocking(move || {
            db.delete_upload(&id)?;
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(BlobError::file("remove", &path)(e))
                }
                _ => Ok(()),
            }
        })
        .await
    }

    /// The last byte arrived: sniff, verify the hash, store (or drop as a duplicate), and record
    /// the uploader's claim.
    async fn complete(&self, row: &UploadRow, received: Received) -> Result<(), BlobApiError> {
        let path = self.temp_path(&row.id);
        // A body that carried the whole upload was sniffed on the way in.
        let kind = match received.kind {
            Some(kind) => kind,
            None => match sniff(&read_head(path.clone()).await?, true) {
                Sniff::Image(kind) => kind,
                _ => return Err(self.not_an_image(row).await),
            },
        };
        let sha = match received.hasher {
            Some(hasher) => hasher.finish(),
            None => {
                let path = path.clone();
                blocking(move || hash_file(&path).map_err(BlobError::file("hash", &path))).await?
            }
        };
        if sha != row.sha256 {
            self.discard(&row.id).await?;
            return Err(self.refuse(Refusal::Checksum, BlobApiError::ChecksumMismatch));
        }
        self.store
            .put_file(&sha, &path)
            .await
            .map_err(BlobError::from)?;
        self.record_finished(row, kind).await?;
        tracing::debug!(upload = %row.id, sha256 = %sha, bytes = row.length, "blob stored");
        Ok(())
    }

    /// The blob is in the store: record it, the claim, and forget the upload.
    pub(crate) async fn record_finished(
        &self,
        row: &UploadRow,
        kind: ImageType,
    ) -> Result<(), BlobError> {
        let (db, finished) = (self.db.clone(), row.clone());
        let new = blocking(move || Ok(db.finish_upload(&finished, kind.mime(), now_ms())?)).await?;
        if new {
            Metrics::add(&self.metrics.blobs.blobs_stored, 1);
            Metrics::add(&self.metrics.blobs.blob_bytes, row.length);
        }
        Metrics::add(&self.metrics.blobs.uploads_completed, 1);
        Ok(())
    }
}

/// What a `PATCH` body left in the temp file.
struct Received {
    /// The upload's offset now.
    offset: u64,
    end: BodyEnd,
    /// The hash of every byte, when the body started the upload.
    hasher: Option<Hasher>,
    /// The image type, when the body started the upload and said it.
    kind: Option<ImageType>,
}

const SNIFF_LEN_U64: u64 = SNIFF_LEN as u64;

/// Appends to an upload's temp file in pieces of up to [`WRITE_BYTES`] (less when the body
/// pauses), each written (and the last
/// one fsynced) by one trip to the blocking pool that also carries the open file and the piece:
/// bodies arrive in pieces of a few KiB, and a trip per piece, or a fresh buffer per write,
/// would cost more than the write.
struct TempWriter {
    path: PathBuf,
    /// Opened on the first write.
    file: Option<std::fs::File>,
    piece: Vec<u8>,
}

impl TempWriter {
    fn new(path: PathBuf) -> Self {
        TempWriter {
            path,
            file: None,
            piece: Vec::with_capacity(WRITE_BYTES),
        }
    }

    async fn push(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        self.piece.extend_from_slice(bytes);
        if self.piece.len() >= WRITE_BYTES {
            self.write(false).await?;
        }
        Ok(())
    }

    /// Writes what is gathered so far, if anything.
    async fn write_pending(&mut self) -> Result<(), BlobError> {
        match self.piece.is_empty() {
            true => Ok(()),
            false => self.write(false).await,
        }
    }

    /// Writes what is left and fsyncs the file.
    async fn finish(mut self) -> Result<(), BlobError> {
        self.write(true).await
    }

    async fn write(&mut self, sync: bool) -> Result<(), BlobError> {
        use std::io::Write as _;
        let (path, file, mut piece) = (
            self.path.clone(),
            self.file.take(),
            std::mem::take(&mut self.piece),
        );
        let (file, piece) = blocking(move || {
            let mut file = match file {
                Some(file) => file,
                None => std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(BlobError::file("open", &path))?,
            };
            file.write_all(&piece)
                .map_err(BlobError::file("write", &path))?;
            if sync {
                file.sync_data().map_err(BlobError::file("fsync", &path))?;
            }
            piece.clear();
            Ok((file, piece))
        })
        .await?;
        (self.file, self.piece) = (Some(file), piece);
        Ok(())
    }
}

/// The first [`SNIFF_LEN`] bytes of a file (fewer if it is shorter).
async fn read_head(path: PathBuf) -> Result<Vec<u8>, BlobError> {
    blocking(move || {
        let file = std::fs::File::open(&path).map_err(BlobError::file("open", &path))?;
        let mut head = Vec::with_capacity(SNIFF_LEN);
        file.take(SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .map_err(BlobError::file("read", &path))?;
        Ok(head)
    })
    .await
}
