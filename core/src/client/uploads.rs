//! The photo uploader: sends the store's queued blobs to the server over tus 1.0 (creation,
//! `HEAD` for the offset, `PATCH` from there), a few blobs at a time, while the client runs.
//!
//! What the server holds is recorded after every `PATCH`, so an upload cut off (network gone,
//! app killed, server restarted) resumes from the server's offset, never from zero. A `PATCH`
//! streams at most [`PATCH_BYTES`] straight from the file in pieces: no photo is held whole in
//! memory. Up to [`IN_FLIGHT`] blobs go at once. A failure that may pass (offline, a server error) is retried with exponential
//! back-off kept in the store; a refusal that will not pass (not an image, a hash that does not
//! match, too large) marks the photo refused and it is not retried.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use futures_util::stream::{self, FuturesUnordered};
use http_body_util::StreamBody;
use hyper::Method;
use hyper::body::{Bytes, Frame};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};

use super::http::{self, Answer, Call, Endpoint, HttpError};
use super::shared::Shared;
use crate::error_chain::chain;
use crate::store::{BlobHash, PendingUpload, Store, StoreError};

/// The most one `PATCH` carries; a larger blob goes in several, each recorded.
pub(crate) const PATCH_BYTES: u64 = 4 * 1024 * 1024;
/// Blobs uploaded at once.
const IN_FLIGHT: usize = 4;
/// Bytes read from the file at a time.
const PIECE: usize = 64 * 1024;
/// A request that makes no progress for this long is abandoned and retried.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Retry delays: doubling from the first up to the last.
const BACKOFF_FIRST_MS: i64 = 1_000;
const BACKOFF_MAX_MS: i64 = 5 * 60 * 1_000;
/// With nothing due, how long the uploader sleeps before looking again (it is also woken by
/// new photos and by each new connection).
const IDLE: Duration = Duration::from_secs(30);

const TUS: (&str, &str) = ("tus-resumable", "1.0.0");

/// How one upload attempt ended.
#[derive(Debug)]
enum Attempt {
    /// The server holds the whole blob.
    Done,
    /// Try again after a back-off.
    Retry(String),
    /// Try again at once (the server forgot the upload: create a new one).
    Restart,
    /// The server will never take it.
    Refused(String),
}

/// What the uploader needs; cheap to clone into its task.
#[derive(Debug, Clone)]
pub(super) struct Uploader {
    pub store: Arc<Store>,
    pub api: Endpoint,
    pub token: Option<String>,
    /// Wakes the uploader and the app's waiters.
    pub shared: Arc<Shared>,
}

impl Uploader {
    /// Runs until the client's runtime stops. Up to [`IN_FLIGHT`] uploads run at once, each
    /// lane taking the next due photo as soon as its own is done (a slow photo holds up only
    /// its lane).
    pub(super) async fn run(self) {
        let mut connections = 0;
        let this = &self;
        let mut running = FuturesUnordered::new();
        let mut in_flight: HashSet<BlobHash> = HashSet::new();
        loop {
            let seen = self
                .shared
                .connections
                .load(std::sync::atomic::Ordering::Relaxed);
            if seen != connections {
                connections = seen;
                if let Err(e) = self.store.retry_uploads_now() {
                    tracing::error!(
                        error = &e as &dyn std::error::Error,
                        "rescheduling uploads failed"
                    );
                }
            }
            let now = crate::store::now_ms();
            let mut later = None;
            if running.len() < IN_FLIGHT {
                // Those in flight are still due in the store: ask for enough to skip them.
                let (due, next) = self.due(now, IN_FLIGHT + running.len());
                later = next;
                for pending in due {
                    if running.len() >= IN_FLIGHT {
                        break;
                    }
                    if in_flight.insert(pending.hash.clone()) {
                        running.push(async move {
                            let result = this.upload(&pending).await;
                            (pending, result)
                        });
                    }
                }
            }
            if running.is_empty() {
                let wait = later
                    .map(|at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
                    .unwrap_or(IDLE)
                    .min(IDLE);
                let _woken = tokio::time::timeout(wait, self.shared.uploads.notified()).await;
                continue;
            }
            let room = running.len() < IN_FLIGHT;
            tokio::select! {
                Some((pending, result)) = running.next() => {
                    in_flight.remove(&pending.hash);
                    if let Err(e) = result {
                        tracing::error!(
                            blob = %pending.hash,
                            error = &e as &dyn std::error::Error,
                            "recording an upload failed"
                        );
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                // A new photo may fill a free lane.
                () = self.shared.uploads.notified(), if room => {}
            }
        }
    }

    /// Up to `limit` due uploads, and when the next one falls due.
    fn due(&self, now: i64, limit: usize) -> (Vec<PendingUpload>, Option<i64>) {
        self.store.next_uploads(now, limit).unwrap_or_else(|e| {
            tracing::error!(
                error = &e as &dyn std::error::Error,
                "reading the upload queue failed"
            );
            (Vec::new(), None)
        })
    }

    /// One attempt at one blob, recorded in the store.
    async fn upload(&self, pending: &PendingUpload) -> Result<(), StoreError> {
        let attempt = self.attempt(pending).await?;
        let recorded = self.record(pending, attempt);
        // Whoever waits on a photo's status looks again.
        self.shared.notify();
        recorded
    }

    fn record(&self, pending: &PendingUpload, attempt: Attempt) -> Result<(), StoreError> {
        match attempt {
            Attempt::Done => {
                tracing::info!(blob = %pending.hash, bytes = pending.bytes, "photo uploaded");
                self.store.upload_done(&pending.hash)
            }
            // The server forgot the upload (expired, or finished before we heard): ask whether
            // it holds the blob before creating another.
            Attempt::Restart => self.store.upload_restart(&pending.hash),
            Attempt::Refused(reason) => {
                tracing::warn!(blob = %pending.hash, %reason, "the server refused a photo");
                self.store.upload_refused(&pending.hash, &reason)
            }
            Attempt::Retry(why) => {
                let delay = BACKOFF_FIRST_MS
                    .saturating_mul(1i64 << pending.attempts.min(20))
                    .min(BACKOFF_MAX_MS);
                // Jitter, so phones coming back online together do not retry in step.
                let delay =
                    delay / 2 + (super::random::random_u64() % 1_000) as i64 * delay / 2_000;
                tracing::debug!(blob = %pending.hash, %why, delay_ms = delay, "photo upload will retry");
                self.store
                    .upload_failed(&pending.hash, &why, crate::store::now_ms() + delay)
            }
        }
    }

    async fn attempt(&self, pending: &PendingUpload) -> Result<Attempt, StoreError> {
        let file = self.store.blobs()?.file(&pending.hash);
        if !file.is_file() {
            return Ok(Attempt::Refused(
                "the photo's file is gone from this phone".into(),
            ));
        }
        let (url, mut offset) = match &pending.url {
            // An upload from an earlier attempt: the server says how much it holds.
            Some(url) => match self.offset(url).await {
                Ok(offset) => (url.clone(), offset),
                Err(attempt) => return Ok(attempt),
            },
            None => match self.create(pending).await {
                Ok(Created::Url(url)) => {
                    self.store.upload_progress(&pending.hash, Some(&url), 0)?;
                    (url, 0)
                }
                Ok(Created::AlreadyThere) => return Ok(Attempt::Done),
                Err(attempt) => return Ok(attempt),
            },
        };
        while offset < pending.bytes {
            offset = match self.patch(&url, &file, offset, pending.bytes).await {
                Ok(offset) => offset,
                Err(attempt) => return Ok(attempt),
            };
            if offset < pending.bytes {
                self.store
                    .upload_progress(&pending.hash, Some(&url), offset)?;
                self.shared.notify();
            }
        }
        Ok(Attempt::Done)
    }

    /// Creates the tus upload, unless (on a retry) the server already holds the blob for us:
    /// a first attempt skips that question, since the server keeps one copy of a blob
    /// uploaded twice anyway, and a photo just taken is almost never on the server yet.
    async fn create(&self, pending: &PendingUpload) -> Result<Created, Attempt> {
        if pending.attempts > 0 {
            let blob = format!("/v1/blobs/{}", pending.hash);
            let head = self.call(Call::empty(Method::HEAD, &blob, None)).await?;
            if head.status == 200 {
                return Ok(Created::AlreadyThere);
            }
        }
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let metadata = format!(
            "sha256 {},filetype {}",
            b64(pending.hash.as_str()),
            b64(&pending.mime)
        );
        let mut call = Call::empty(Method::POST, "/v1/blobs/uploads", None);
        call.headers
            .push(header("upload-length", &pending.bytes.to_string())?);
        call.headers.push(header("upload-metadata", &metadata)?);
        let answer = self.call(call).await?;
        if answer.status != 201 {
            return Err(refusal(&answer));
        }
        let location = answer
            .header("location")
            .ok_or_else(|| Attempt::Retry("the server gave no upload location".into()))?;
        Ok(Created::Url(path_of(location).to_owned()))
    }

    /// What the server holds of the upload.
    async fn offset(&self, url: &str) -> Result<u64, Attempt> {
        let answer = self.call(Call::empty(Method::HEAD, url, None)).await?;
        match answer.status {
            200 | 204 => upload_offset(&answer),
            404 | 410 => Err(Attempt::Restart),
            _ => Err(refusal(&answer)),
        }
    }

    /// Sends up to [`PATCH_BYTES`] from `offset`, streamed from the file; returns the new
    /// offset.
    async fn patch(
        &self,
        url: &str,
        file: &std::path::Path,
        offset: u64,
        total: u64,
    ) -> Result<u64, Attempt> {
        let len = (total - offset).min(PATCH_BYTES);
        let mut source = std::fs::File::open(file)
            .map_err(|e| Attempt::Retry(format!("reading the photo: {e}")))?;
        source
            .seek(SeekFrom::Start(offset))
            .map_err(|e| Attempt::Retry(format!("reading the photo: {e}")))?;
        let pieces = stream::unfold((source, len), |(mut source, left)| async move {
            if left == 0 {
                return None;
            }
            let mut piece = vec![0u8; usize::try_from(left.min(PIECE as u64)).unwrap_or(PIECE)];
            let read = source
                .read_exact(&mut piece)
                .map(|()| Frame::data(Bytes::from(piece)));
            Some((read, (source, left.saturating_sub(PIECE as u64))))
        });
        let mut call = Call {
            method: Method::PATCH,
            path: url,
            token: None,
            headers: Vec::new(),
            body: StreamBody::new(pieces),
            max_answer: 64 * 1024,
        };
        call.headers.push((
            CONTENT_TYPE,
            HeaderValue::from_static("application/offset+octet-stream"),
        ));
        call.headers
            .push(header("upload-offset", &offset.to_string())?);
        call.headers
            .push(header("content-length", &len.to_string())?);
        let answer = self.call(call).await?;
        match answer.status {
            204 | 200 => upload_offset(&answer),
            // Our offset is stale (a PATCH whose answer we lost): ask again.
            409 => self.offset(url).await,
            404 | 410 => Err(Attempt::Restart),
            _ => Err(refusal(&answer)),
        }
    }

    /// Sends a call with our token and the tus version header.
    async fn call<B>(&self, mut call: Call<'_, B>) -> Result<Answer, Attempt>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        call.token = self.token.as_deref();
        call.headers.push(header(TUS.0, TUS.1)?);
        http::send(&self.api, call, CALL_TIMEOUT)
            .await
            .map_err(|e: HttpError| Attempt::Retry(chain(&e)))
    }
}

#[derive(Debug)]
enum Created {
    Url(String),
    AlreadyThere,
}

fn header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue), Attempt> {
    let value = HeaderValue::from_str(value)
        .map_err(|_| Attempt::Refused(format!("{name} cannot go in a header")))?;
    Ok((HeaderName::from_static(name), value))
}

fn upload_offset(answer: &Answer) -> Result<u64, Attempt> {
    answer
        .header("upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Attempt::Retry("the server gave no upload offset".into()))
}

/// The path of a `Location` (absolute URL or path).
fn path_of(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    }
}

/// What an answer other than success means for the upload.
fn refusal(answer: &Answer) -> Attempt {
    let reason = || {
        let text = String::from_utf8_lossy(&answer.body);
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(300).collect());
        format!("{} {}", answer.status, message)
    };
    let quota = || String::from_utf8_lossy(&answer.body).contains("quota");
    match answer.status {
        // Over the person's quota: may pass once space is freed.
        413 if quota() => Attempt::Retry(reason()),
        // Not an image, a hash that does not match, too large: sending again changes nothing.
        400 | 413 | 415 | 460 => Attempt::Refused(reason()),
        // A token refused, a quota, a rate limit, a server error: may pass.
        _ => Attempt::Retry(reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_read_as_a_path() {
        assert_eq!(path_of("/v1/blobs/uploads/abc"), "/v1/blobs/uploads/abc");
        assert_eq!(
            path_of("http://127.0.0.1:80/v1/blobs/uploads/abc?ticket=t"),
            "/v1/blobs/uploads/abc?ticket=t"
        );
        assert_eq!(path_of("https://h"), "/");
    }
}
