//! The admin routes: an admin manages the directory of their own organisation. Every id in a
//! path or body is an id of that organisation; a `404` or `409` concerns it alone. Every write
//! commits, then the server reloads its snapshot and re-checks live connections, so a change
//! (a member off a team, a revoked token) applies to open sockets at once.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::caller::Caller;
use crate::directory::{AccountId, Directory, DirectoryError, OrgId, Role, TokenId, UserId};

/// Default lifetime of a token issued through the API: 90 days.
pub(crate) const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(v)| v)
        .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
}

fn parse<T: std::str::FromStr>(value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| ApiError::BadRequest(e.to_string()))
}

/// Runs a directory write off the runtime, then reloads the server's snapshot.
async fn write<T: Send + 'static>(
    caller: &Caller,
    op: impl FnOnce(&Directory, &OrgId) -> Result<T, DirectoryError> + Send + 'static,
) -> Result<T, ApiError> {
    caller.require_admin()?;
    let directory: Arc<Directory> = caller.auth.directory.clone();
    let org = caller.user.org.clone();
    let out = tokio::task::spawn_blocking(move || op(&directory, &org))
        .await
        .map_err(|_| ApiError::Internal)??;
    caller.auth.reload().await?;
    Ok(out)
}

/// 204 if a delete removed something, else the same 404 as for anything missing.
fn removed(removed: bool) -> Result<StatusCode, ApiError> {
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// `GET /v1/admin/users`.
pub(crate) async fn users(caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    Ok(Json(json!(caller.snapshot.people_of(&caller.user.org))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    id: Option<String>,
    name: String,
    email: String,
    role: String,
}

/// `POST /v1/admin/users`.
pub(crate) async fn create_user(
    caller: Caller,
    json: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = body(json)?;
    let id: Option<UserId> = new.id.as_deref().map(parse).transpose()?;
    let role: Role = parse(&new.role)?;
    let id = write(&caller, move |d, org| {
        d.create_user(org, id, &new.name, &new.email, role)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// `GET /v1/admin/accounts`.
pub(crate) async fn accounts(caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    Ok(Json(Value::Array(
        caller
            .snapshot
            .accounts_of(&caller.user.org)
            .into_iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    id: Option<String>,
    name: String,
}

/// `POST /v1/admin/accounts`.
pub(crate) async fn create_account(
    caller: Caller,
    json: Result<Json<NewAccount>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = body(json)?;
    let id: Option<AccountId> = new.id.as_deref().map(parse).transpose()?;
    let id = write(&caller, move |d, org| d.create_account(org, id, &new.name)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Membership {
    role: Option<String>,
}

/// `PUT /v1/admin/accounts/{account}/members/{user}`, body `{"role"?}` (may be empty).
pub(crate) async fn set_member(
    caller: Caller,
    Path((account, user)): Path<(String, String)>,
    json: Result<Json<Membership>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let membership = match json {
        Err(JsonRejection::MissingJsonContentType(_)) => Membership::default(),
        other => body(other)?,
    };
    let account: AccountId = parse(&account)?;
    let user: UserId = parse(&user)?;
    let role: Option<Role> = membership.role.as_deref().map(parse).transpose()?;
    write(&caller, move |d, org| {
        d.set_member(org, &account, &user, role)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/admin/accounts/{account}/members/{user}`.
pub(crate) async fn remove_member(
    caller: Caller,
    Path((account, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let account: AccountId = parse(&account)?;
    let user: UserId = parse(&user)?;
    removed(write(&caller, move |d, org| d.remove_member(org, &account, &user)).await?)
}

/// `PUT /v1/admin/supervision/{supervisor}/{supervisee}`.
pub(crate) async fn add_supervision(
    caller: Caller,
    Path((supervisor, supervisee)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let supervisor: UserId = parse(&supervisor)?;
    let supervisee: UserId = parse(&supervisee)?;
    write(&caller, move |d, org| {
        d.add_supervision(org, &supervisor, &supervisee)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/admin/supervision/{supervisor}/{supervisee}`.
pub(crate) async fn remove_supervision(
    caller: Caller,
    Path((supervisor, supervisee)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let supervisor: UserId = parse(&supervisor)?;
    let supervisee: UserId = parse(&supervisee)?;
    removed(
        write(&caller, move |d, org| {
            d.remove_supervision(org, &supervisor, &supervisee)
        })
        .await?,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    user: String,
    ttl_secs: Option<u64>,
    label: Option<String>,
}

/// `POST /v1/admin/tokens`: the secret is in this answer and nowhere else.
pub(crate) async fn issue_token(
    caller: Caller,
    json: Result<Json<NewToken>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = body(json)?;
    let user: UserId = parse(&new.user)?;
    let ttl = new.ttl_secs.map_or(DEFAULT_TOKEN_TTL, Duration::from_secs);
    let label = new.label.unwrap_or_default();
    let issued = write(&caller, move |d, org| {
        d.issue_token(org, &user, ttl, &label)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(issued))))
}

/// `DELETE /v1/admin/tokens/{token}`: revokes the token, its tickets, and its open sockets.
pub(crate) async fn revoke_token(
    caller: Caller,
    Path(token): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token: TokenId = parse(&token)?;
    write(&caller, move |d, org| d.revoke_token(Some(org), &token)).await?;
    Ok(StatusCode::NO_CONTENT)
}
