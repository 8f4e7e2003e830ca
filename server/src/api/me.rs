//! What any signed-in person may ask: tickets, themselves, their accounts, teams and people,
//! and the registration of a document they may see.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use enlace_core::ids::DocumentId;
use enlace_core::sync::Access;
use serde_json::{Value, json};

use super::ApiError;
use super::caller::Caller;
use crate::access::Registered;
use crate::auth::ticket;
use crate::directory::{AccountId, now_ms};

/// `POST /v1/tickets`: a websocket ticket for browsers, tied to the caller's token; it never
/// outlives the token.
pub(crate) async fn ticket(caller: Caller) -> (StatusCode, Json<Value>) {
    let ttl = i64::try_from(caller.auth.config.ticket_ttl.as_millis()).unwrap_or(i64::MAX);
    let token_expiry = caller
        .snapshot
        .token(&caller.principal.token)
        .map_or(i64::MAX, |t| t.expires_ms);
    let expires_at_ms = now_ms().saturating_add(ttl).min(token_expiry);
    let ticket = ticket::sign(
        caller.snapshot.ticket_key(),
        &caller.principal.token,
        expires_at_ms,
    );
    (
        StatusCode::CREATED,
        Json(json!({"ticket": ticket, "expires_at_ms": expires_at_ms})),
    )
}

/// `GET /v1/me`.
pub(crate) async fn me(caller: Caller) -> Json<Value> {
    let u = &caller.user;
    Json(json!({
        "id": u.id,
        "org": u.org,
        "name": u.name,
        "email": u.email,
        "role": u.role,
    }))
}

/// `GET /v1/accounts`: the accounts the caller may see documents of.
pub(crate) async fn accounts(caller: Caller) -> Json<Value> {
    Json(json!(
        caller.snapshot.visible_accounts(&caller.principal.user)
    ))
}

/// `GET /v1/accounts/{account}/team`.
pub(crate) async fn team(
    caller: Caller,
    Path(account): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account: AccountId = account.parse().map_err(|_| ApiError::NotFound)?;
    let team = caller
        .snapshot
        .team(&caller.principal.user, &account)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(Value::Array(
        team.into_iter()
            .map(|(user, role)| json!({"id": user.id, "name": user.name, "role": role}))
            .collect(),
    )))
}

/// `GET /v1/people`: teammates, supervision both ways; the organisation for management.
pub(crate) async fn people(caller: Caller) -> Json<Value> {
    Json(Value::Array(
        caller
            .snapshot
            .visible_people(&caller.principal.user)
            .into_iter()
            .map(|u| json!({"id": u.id, "name": u.name, "email": u.email, "role": u.role}))
            .collect(),
    ))
}

/// `GET /v1/documents/{document}`: the registration of a document the caller may read; the
/// same 404 for a forbidden, missing or malformed id. Account and creator are of the caller's
/// organisation (nobody reads another's), so their ids are shown without it.
pub(crate) async fn document(
    caller: Caller,
    Path(document): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let doc: DocumentId = document.parse().map_err(|_| ApiError::NotFound)?;
    let (access, entry) = caller
        .auth
        .access
        .document_access(&caller.principal.user, &doc);
    let Some(Registered::Document {
        kind,
        account,
        creator,
    }) = entry
    else {
        return Err(ApiError::NotFound);
    };
    let access = match access {
        Access::ReadWrite => "read_write",
        Access::ReadOnly => "read_only",
        Access::Absent | Access::Denied => return Err(ApiError::NotFound),
    };
    Ok(Json(json!({
        "id": doc.to_string(),
        "kind": kind.as_str(),
        "account": account.id,
        "creator": creator.map(|c| c.id),
        "access": access,
    })))
}
