//! `GET`/`HEAD /v1/blobs/{sha256}` and `/v1/blobs/{sha256}/thumbnail`: the bytes, streamed
//! from the store, with the document's access, ranges and validators.
//!
//! A blob never changes (its name is its hash), so it is cached for a year as `immutable`,
//! `private` because access depends on who asks. Anything the caller may not read, including a
//! hash that is not one, is the JSON API's `404`, byte for byte.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::caller::BlobCaller;
use super::error::{BlobApiError, BlobError};
use super::hash::Sha256Hex;
use super::range::{self, RangeAsk};
use super::store::BlobStore;
use crate::metrics::Metrics;
use crate::routes::AppState;

/// `Cache-Control` of blobs and thumbnails.
const IMMUTABLE: &str = "private, max-age=31536000, immutable";

/// Which bytes of a blob are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The photo as uploaded.
    Original,
    /// Its thumbnail.
    Thumbnail,
}

/// `GET`/`HEAD /v1/blobs/{sha256}`.
pub(crate) async fn blob(
    State(state): State<AppState>,
    caller: BlobCaller,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(&state, &caller, &sha, &headers, Variant::Original)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET`/`HEAD /v1/blobs/{sha256}/thumbnail`.
pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    caller: BlobCaller,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(&state, &caller, &sha, &headers, Variant::Thumbnail)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn answer(
    state: &AppState,
    caller: &BlobCaller,
    sha: &str,
    headers: &HeaderMap,
    variant: Variant,
) -> Result<Response, BlobApiError> {
    let blobs = state.blobs.as_ref().ok_or(BlobApiError::NotFound)?;
    let Some((sha, row)) = blobs.readable(&caller.principal.user, sha).await? else {
        return Err(BlobApiError::NotFound);
    };
    let (store, mime, etag) = match variant {
        Variant::Original => (&blobs.store, row.mime.clone(), format!("\"{sha}\"")),
        Variant::Thumbnail => {
            blobs.ensure_thumbnail(&sha, &row).await?;
            (
                &blobs.thumbnails,
                "image/jpeg".to_owned(),
                format!("\"{sha}-thumbnail\""),
            )
        }
    };
    let response = serve(store.as_ref(), &sha, &mime, &etag, headers).await?;
    if response.status().is_success() {
        Metrics::add(&state.socket.metrics.blobs.downloads, 1);
        let sent = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        Metrics::add(&state.socket.metrics.blobs.download_bytes, sent);
    }
    Ok(response)
}

/// The caching headers every answer about a blob carries.
fn validators(response: &mut Response, etag: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
}

/// Streams `sha` from `store` as `mime`: `304` when `If-None-Match` names it, `206` for one
/// satisfiable range, `416` for an unsatisfiable one, `200` otherwise.
async fn serve(
    store: &dyn BlobStore,
    sha: &Sha256Hex,
    mime: &str,
    etag: &str,
    headers: &HeaderMap,
) -> Result<Response, BlobApiError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if range::none_match(text(header::IF_NONE_MATCH), etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        validators(&mut response, etag);
        return Ok(response);
    }
    let Some(meta) = store.stat(sha).await.map_err(BlobError::from)? else {
        tracing::warn!(sha256 = %sha, "a recorded blob is missing from the store");
        return Err(BlobApiError::NotFound);
    };
    let total = meta.bytes;
    let (status, range) = match range::parse(text(header::RANGE), total) {
        RangeAsk::Whole => (StatusCode::OK, None),
        RangeAsk::Part(first, last) => (StatusCode::PARTIAL_CONTENT, Some((first, last))),
        RangeAsk::Unsatisfiable => return Err(BlobApiError::RangeNotSatisfiable(total)),
    };
    let Some(reader) = store.open(sha, range).await.map_err(BlobError::from)? else {
        return Err(BlobApiError::NotFound);
    };
    let length = range.map_or(total, |(first, last)| last - first + 1);
    let mut response = (status, Body::from_stream(reader.bytes)).into_response();
    validators(&mut response, etag);
    let out = response.headers_mut();
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(mime) {
        out.insert(header::CONTENT_TYPE, value);
    }
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some((first, last)) = range
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{last}/{total}"))
    {
        out.insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}
