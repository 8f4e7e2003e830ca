//! The reference-data routes (`crate::reference`): import a CSV file of one kind, list a kind's
//! rows a page at a time, delete one row. Admins manage their whole organisation; an account
//! director imports, lists and deletes the rows of the accounts they direct (their role on the
//! account's team), and reads the shared stores and products. Anyone else gets the admin
//! routes' `403`.
//!
//! An import answers `{"changed": n, "unchanged": m}` once the rows are committed and the
//! catalogs they changed are written, or `422 {"error": "invalid_lines", "errors": [{"line",
//! "reason"}], "more"?}` and changes nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::caller::Caller;
use crate::directory::{AccountId, Role};
use crate::listener::RequestDeadline;
use crate::reference::manage::{self, MAX_PAGE};
use crate::reference::publish::Catalogs;
use crate::reference::{Importer, ReferenceError, ReferenceKind};
use crate::routes::AppState;

/// Longest a file may take to arrive once the caller is known.
const MAX_UPLOAD_TIME: std::time::Duration = std::time::Duration::from_secs(300);

/// What the caller may manage: everything (admin), the accounts they direct, or nothing (403).
fn importer(caller: &Caller) -> Result<Importer, ApiError> {
    if caller.user.role == Role::Admin {
        return Ok(Importer::Admin);
    }
    let me = &caller.principal.user;
    let directed: BTreeSet<AccountId> = caller
        .snapshot
        .visible_accounts(me)
        .into_iter()
        .filter(|account| {
            caller.snapshot.team(me, &account.id).is_some_and(|team| {
                team.iter()
                    .any(|(person, role)| person.id == me.id && *role == Role::AccountDirector)
            })
        })
        .map(|account| account.id)
        .collect();
    if directed.is_empty() {
        Err(ApiError::Forbidden)
    } else {
        Ok(Importer::Director(directed))
    }
}

fn kind(word: &str) -> Result<ReferenceKind, ApiError> {
    word.parse().map_err(|_| ApiError::NotFound)
}

fn catalogs(state: &AppState) -> Result<Arc<Catalogs>, ApiError> {
    state.catalogs.clone().ok_or(ApiError::NotFound)
}

/// The one mapping from reference errors to answers.
fn answer(caller: &Caller, error: ReferenceError) -> Response {
    match error {
        ReferenceError::Lines(lines) => {
            let mut body = json!({"error": "invalid_lines", "errors": lines.errors});
            if lines.more > 0 {
                body["more"] = json!(lines.more);
            }
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
        ReferenceError::NotAllowed(why) => ApiError::NotAllowed(why).into_response(),
        ReferenceError::NotFound => ApiError::NotFound.into_response(),
        ReferenceError::Conflict(m) => ApiError::Conflict(m).into_response(),
        ReferenceError::BadRequest(m) => ApiError::BadRequest(m).into_response(),
        other => {
            tracing::error!(
                user = %caller.principal.user,
                error = &other as &dyn std::error::Error,
                "reference data failure"
            );
            ApiError::Internal.into_response()
        }
    }
}

/// `POST /v1/admin/reference/{kind}/import`, the CSV file as the body.
pub(super) async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(word): Path<String>,
    Extension(deadline): Extension<RequestDeadline>,
    body: Body,
) -> Result<Response, ApiError> {
    let catalogs = catalogs(&state)?;
    let importer = importer(&caller)?;
    let kind = kind(&word)?;
    let org = caller.user.org.clone();
    // The caller may import: a large file, and writing the catalogs it changes, may take longer
    // than a request may take to arrive. The file is bounded in size and in time instead.
    deadline.lift();
    let limit = crate::reference::MAX_FILE_BYTES;
    let text = match tokio::time::timeout(MAX_UPLOAD_TIME, axum::body::to_bytes(body, limit)).await
    {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            return Err(ApiError::BadRequest(format!(
                "the file could not be read whole, or is larger than {limit} bytes: split it"
            )));
        }
        Err(_) => {
            return Err(ApiError::BadRequest(
                "the file took too long to arrive".into(),
            ));
        }
    };
    match catalogs.import(org, kind, text.to_vec(), importer).await {
        Ok(outcome) => Ok(Json(outcome).into_response()),
        Err(error) => Ok(answer(&caller, error)),
    }
}

/// A page of rows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Page {
    #[serde(default)]
    offset: u64,
    limit: Option<u32>,
}

/// `GET /v1/admin/reference/{kind}?offset=&limit=`: `{"rows": [...], "next_offset": n|null}`.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(word): Path<String>,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    let catalogs = catalogs(&state)?;
    let importer = importer(&caller)?;
    let kind = kind(&word)?;
    let org = caller.user.org.clone();
    let limit = page.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let offset = page.offset;
    let db = catalogs.db().clone();
    let listed = tokio::task::spawn_blocking(move || {
        manage::list(&db.conn(), &org, kind, offset, limit, &importer)
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    Ok(match listed {
        Ok(rows) => {
            let next = (rows.len() == limit as usize).then(|| offset + u64::from(limit));
            Json(json!({"rows": rows, "next_offset": next})).into_response()
        }
        Err(error) => answer(&caller, error),
    })
}

/// `DELETE /v1/admin/reference/{kind}/{*key}`: `204`, `404`, or `409` for a store or product
/// still in use.
pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((word, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let catalogs = catalogs(&state)?;
    let importer = importer(&caller)?;
    let kind = kind(&word)?;
    let org = caller.user.org.clone();
    let done = catalogs
        .change(move |conn| manage::delete(conn, &org, kind, &key, &importer))
        .await;
    Ok(match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => answer(&caller, error),
    })
}
