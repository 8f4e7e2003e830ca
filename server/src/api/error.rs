//! The JSON API's public errors: a short enum a client can act on, mapped in one `match`.
//! Internal causes are logged, never put in a body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::directory::DirectoryError;

/// What the API answers when it cannot do what was asked.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 400: the input is malformed or unacceptable.
    BadRequest(String),
    /// 401: no live credential (missing, malformed, unknown, expired, revoked, or a ticket
    /// outside the upgrade). Always the same body.
    Unauthorized,
    /// 403: signed in, but this route needs another role.
    Forbidden,
    /// 403: signed in and allowed to read, but not to do this; says why.
    NotAllowed(&'static str),
    /// 404: missing, or not visible to the caller (the same body either way).
    NotFound,
    /// 409: exists already.
    Conflict(String),
    /// 429: too many failures from this address, or too many sockets for this user.
    TooManyRequests,
    /// 500: something of ours failed; the cause is in the log.
    Internal,
}

impl From<DirectoryError> for ApiError {
    fn from(error: DirectoryError) -> Self {
        match error {
            DirectoryError::NotFound { .. } => ApiError::NotFound,
            DirectoryError::Conflict(message) => ApiError::Conflict(message),
            DirectoryError::Invalid(message) => ApiError::BadRequest(message),
            other => {
                tracing::error!(
                    error = &other as &dyn std::error::Error,
                    "directory failure"
                );
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required".into(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "this needs the admin role".into(),
            ),
            ApiError::NotAllowed(why) => (StatusCode::FORBIDDEN, "forbidden", why.into()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".into()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many requests; try again later".into(),
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
            ),
        };
        let mut response = (
            status,
            Json(serde_json::json!({"error": code, "message": message})),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
