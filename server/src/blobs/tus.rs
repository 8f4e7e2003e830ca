//! The tus 1.0.0 face of uploads: the core protocol plus the `creation` extension, which is
//! what stock clients (tus-js-client, TUSKit, tus-android-client) need. `docs/blobs.md` has the
//! contract; `upload` does the work.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::caller::{BlobCaller, Via};
use super::error::BlobApiError;
use super::hash::Sha256Hex;
use super::metrics::Refusal;
use super::upload::NewUpload;
use crate::listener::RequestDeadline;
use crate::routes::AppState;

/// The only protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// Where uploads are created.
pub const UPLOADS_PATH: &str = "/v1/blobs/uploads";
/// Longest `Upload-Metadata` accepted.
const MAX_METADATA_LEN: usize = 4096;
/// Longest declared `filetype` kept.
const MAX_FILETYPE_LEN: usize = 255;

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, BlobApiError> {
    match text(headers, name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            BlobApiError::BadRequest(format!("{name} must be a whole number of bytes"))
        }),
    }
}

fn require_tus(headers: &HeaderMap) -> Result<(), BlobApiError> {
    match text(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(BlobApiError::UnsupportedTusVersion),
    }
}

/// `OPTIONS /v1/blobs/uploads`: what this server speaks. No credentials needed.
pub(crate) async fn options(State(state): State<AppState>) -> Response {
    let max = state
        .blobs
        .as_ref()
        .map_or(0, |b| b.limits().max_blob_bytes);
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    headers.insert("tus-extension", HeaderValue::from_static("creation"));
    headers.insert("tus-max-size", HeaderValue::from(max));
    response
}

/// Reads `Upload-Metadata`: `key base64,key base64`; `sha256` (the base64 of the 64-digit
/// lower-case hex) is required, `filetype` optional, other keys ignored.
fn metadata(value: Option<&str>) -> Result<(Sha256Hex, Option<String>), String> {
    let value = value.unwrap_or_default();
    if value.len() > MAX_METADATA_LEN {
        return Err(format!(
            "Upload-Metadata is longer than {MAX_METADATA_LEN} bytes"
        ));
    }
    let (mut sha, mut filetype) = (None, None);
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                format!("Upload-Metadata: the value of {key:?} is not base64 of UTF-8")
            })?;
        match key {
            "sha256" if sha.is_none() => sha = Some(decoded),
            "filetype" if filetype.is_none() => filetype = Some(decoded),
            "sha256" | "filetype" => return Err(format!("Upload-Metadata names {key} twice")),
            _ => {}
        }
    }
    let sha = sha
        .and_then(|s| s.parse::<Sha256Hex>().ok())
        .ok_or("Upload-Metadata must carry sha256: the base64 of the photo's SHA-256 as 64 lower-case hex digits")?;
    let filetype =
        filetype.filter(|t| t.len() <= MAX_FILETYPE_LEN && !t.chars().any(char::is_control));
    Ok((sha, filetype))
}

/// `POST /v1/blobs/uploads`: creates an upload.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: BlobCaller,
    headers: HeaderMap,
) -> Response {
    created(&state, &caller, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn created(
    state: &AppState,
    caller: &BlobCaller,
    headers: &HeaderMap,
) -> Result<Response, BlobApiError> {
    let blobs = state.blobs.as_ref().ok_or(BlobApiError::NotFound)?;
    let bad = |message: String| {
        state.socket.metrics.blobs.refused(Refusal::BadRequest);
        BlobApiError::BadRequest(message)
    };
    require_tus(headers)?;
    let length = number(headers, "upload-length")?.ok_or_else(|| {
        bad("Upload-Length is required (Upload-Defer-Length is not supported)".into())
    })?;
    let (sha256, filetype) = metadata(text(headers, "upload-metadata")).map_err(bad)?;
    let new = NewUpload {
        length,
        sha256,
        filetype,
    };
    let id = blobs.create(caller.user_key(), new).await?;
    let mut location = format!("{UPLOADS_PATH}/{id}");
    if let Via::Ticket(ticket) = &caller.via {
        location.push_str("?ticket=");
        location.extend(url::form_urlencoded::byte_serialize(ticket.as_bytes()));
    }
    let mut response = StatusCode::CREATED.into_response();
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&location) {
        out.insert(header::LOCATION, value);
    }
    out.insert("upload-offset", HeaderValue::from(0u64));
    Ok(response)
}

/// `HEAD /v1/blobs/uploads/{id}`: the upload's offset and length.
pub(crate) async fn head(
    State(state): State<AppState>,
    caller: BlobCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let blobs = state.blobs.as_ref().ok_or(BlobApiError::NotFound)?;
        require_tus(&headers)?;
        let (row, offset) = blobs.status(&caller.user_key(), &id).await?;
        let mut response = StatusCode::OK.into_response();
        let out = response.headers_mut();
        out.insert("upload-offset", HeaderValue::from(offset));
        out.insert("upload-length", HeaderValue::from(row.length));
        Ok::<_, BlobApiError>(response)
    };
    let mut response = answer.await.unwrap_or_else(IntoResponse::into_response);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `PATCH /v1/blobs/uploads/{id}`: appends the body at `Upload-Offset`.
pub(crate) async fn patch(
    State(state): State<AppState>,
    caller: BlobCaller,
    Path(id): Path<String>,
    Extension(deadline): Extension<RequestDeadline>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let blobs = state.blobs.as_ref().ok_or(BlobApiError::NotFound)?;
        require_tus(&headers)?;
        if text(&headers, "content-type") != Some("application/offset+octet-stream") {
            return Err(BlobApiError::UnsupportedMediaType(
                "a PATCH body must be Content-Type: application/offset+octet-stream".into(),
            ));
        }
        let offset = number(&headers, "upload-offset")?
            .ok_or_else(|| BlobApiError::BadRequest("Upload-Offset is required".into()))?;
        let body_length = number(&headers, "content-length")?;
        let user = caller.user_key();
        let reached = blobs
            .append(&user, &id, offset, body_length, body, &deadline)
            .await?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        response
            .headers_mut()
            .insert("upload-offset", HeaderValue::from(reached));
        Ok::<_, BlobApiError>(response)
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// Every tus answer says which protocol it speaks.
pub(crate) async fn tus_resumable(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn metadata_needs_a_well_formed_sha256() {
        let sha = Sha256Hex::of(b"x");
        let value = format!(
            "filetype {},sha256 {}",
            b64("image/jpeg"),
            b64(sha.as_str())
        );
        assert_eq!(
            metadata(Some(&value)),
            Ok((sha.clone(), Some("image/jpeg".into())))
        );
        let bare = format!("sha256 {},other", b64(sha.as_str()));
        assert_eq!(metadata(Some(&bare)), Ok((sha.clone(), None)));
        assert!(metadata(None).is_err());
        assert!(metadata(Some(&format!("filetype {}", b64("image/png")))).is_err());
        assert!(metadata(Some(&format!("sha256 {}", b64("abc")))).is_err());
        assert!(
            metadata(Some(&format!(
                "sha256 {}",
                b64(&sha.as_str().to_uppercase())
            )))
            .is_err()
        );
        assert!(metadata(Some("sha256 !!!")).is_err());
        let twice = format!("sha256 {0},sha256 {0}", b64(sha.as_str()));
        assert!(metadata(Some(&twice)).is_err());
    }
}
