//! Errors of the blob service: [`BlobError`] inside (keeping causes, logged), and
//! [`BlobApiError`], the short public answer of a blob route, mapped in one `match`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::store::BlobStoreError;
use crate::api::ApiError;

/// Something of ours failed while serving a blob route.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// `blobs.sqlite3`.
    #[error("blob database")]
    Db(#[from] rusqlite::Error),
    /// The blob store.
    #[error("blob store")]
    Store(#[from] BlobStoreError),
    /// An upload's temp file.
    #[error("{op} {}", path.display())]
    File {
        /// What was being done.
        op: &'static str,
        /// On what.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No randomness for an upload id.
    #[error("the system random source failed")]
    Random,
    /// A blocking task died.
    #[error("a blocking task panicked")]
    Panicked,
}

impl BlobError {
    pub(crate) fn file(
        op: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| BlobError::File { op, path, source }
    }
}

/// The tus status for a checksum mismatch (tus checksum extension), also used here for a
/// declared `sha256` the bytes do not match.
pub const CHECKSUM_MISMATCH: u16 = 460;

/// What a blob route answers when it cannot do what was asked. Bodies are
/// `{"error": code, "message": ...}` like the JSON API's.
#[derive(Debug)]
pub enum BlobApiError {
    /// 400 `bad_request`.
    BadRequest(String),
    /// 401, exactly the JSON API's.
    Unauthorized,
    /// 429, exactly the JSON API's.
    TooManyRequests,
    /// 404, exactly the JSON API's `not_found`: missing and forbidden are one answer.
    NotFound,
    /// 408 `request_timeout`: an upload body stopped arriving.
    BodyTimeout,
    /// 409 `conflict`: `Upload-Offset` is not the upload's offset.
    OffsetMismatch { expected: u64 },
    /// 412: not `Tus-Resumable: 1.0.0`.
    UnsupportedTusVersion,
    /// 413 `too_large`.
    TooLarge(String),
    /// 413 `quota_exceeded`.
    QuotaExceeded,
    /// 415 `unsupported_media_type`.
    UnsupportedMediaType(String),
    /// 416 `range_not_satisfiable`, with the blob's size.
    RangeNotSatisfiable(u64),
    /// 423 `upload_busy`: another request is writing this upload.
    Busy,
    /// 429 `too_many_uploads`.
    TooManyUploads(u64),
    /// 460 `checksum_mismatch`.
    ChecksumMismatch,
    /// 500 `internal`; the cause is in the log.
    Internal,
}

impl From<BlobError> for BlobApiError {
    fn from(error: BlobError) -> Self {
        tracing::error!(
            error = &error as &dyn std::error::Error,
            "blob route failed"
        );
        BlobApiError::Internal
    }
}

impl From<ApiError> for BlobApiError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Unauthorized => BlobApiError::Unauthorized,
            ApiError::TooManyRequests => BlobApiError::TooManyRequests,
            ApiError::NotFound => BlobApiError::NotFound,
            _ => BlobApiError::Internal,
        }
    }
}

fn json(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "message": message})),
    )
        .into_response()
}

impl IntoResponse for BlobApiError {
    fn into_response(self) -> Response {
        match self {
            BlobApiError::Unauthorized => ApiError::Unauthorized.into_response(),
            BlobApiError::TooManyRequests => ApiError::TooManyRequests.into_response(),
            BlobApiError::NotFound => ApiError::NotFound.into_response(),
            BlobApiError::Internal => ApiError::Internal.into_response(),
            BlobApiError::BadRequest(m) => json(StatusCode::BAD_REQUEST, "bad_request", m),
            BlobApiError::BodyTimeout => json(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the upload body stopped arriving; resume from Upload-Offset".into(),
            ),
            BlobApiError::OffsetMismatch { expected } => {
                let mut response = json(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("Upload-Offset must be the upload's offset, {expected}"),
                );
                response
                    .headers_mut()
                    .insert("upload-offset", HeaderValue::from(expected));
                response
            }
            BlobApiError::UnsupportedTusVersion => {
                let mut response = json(
                    StatusCode::PRECONDITION_FAILED,
                    "unsupported_tus_version",
                    "this server speaks tus 1.0.0 (Tus-Resumable: 1.0.0)".into(),
                );
                response
                    .headers_mut()
                    .insert("tus-version", HeaderValue::from_static("1.0.0"));
                response
            }
            BlobApiError::TooLarge(m) => json(StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            BlobApiError::QuotaExceeded => json(
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
                "this upload would take you past your storage quota".into(),
            ),
            BlobApiError::UnsupportedMediaType(m) => json(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m,
            ),
            BlobApiError::RangeNotSatisfiable(total) => {
                let mut response = json(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    format!("the blob has {total} bytes"),
                );
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response
            }
            BlobApiError::Busy => json(
                StatusCode::LOCKED,
                "upload_busy",
                "another request is writing this upload; retry after HEAD".into(),
            ),
            BlobApiError::TooManyUploads(max) => json(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_uploads",
                format!("at most {max} uploads in progress per person; finish one first"),
            ),
            BlobApiError::ChecksumMismatch => checksum_mismatch(),
        }
    }
}

/// `460 Checksum Mismatch`: the upload is discarded, nothing is stored.
fn checksum_mismatch() -> Response {
    let status = StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(
        status,
        "checksum_mismatch",
        "the bytes do not hash to the declared sha256; the upload was discarded".into(),
    );
    response
        .extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(b"Checksum Mismatch"));
    response
}
