//! Who is calling the API: the bearer token of the `Authorization` header, checked against the
//! current directory snapshot. A `?ticket=` is not a credential here.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::ApiError;
use crate::auth::state::AuthState;
use crate::auth::{Credential, authenticate, bearer};
use crate::directory::{Principal, Role, Snapshot, UserRecord, now_ms};
use crate::routes::AppState;

/// An authenticated caller, with the snapshot their request is answered from.
#[derive(Debug)]
pub(crate) struct Caller {
    pub principal: Principal,
    pub user: UserRecord,
    pub snapshot: Arc<Snapshot>,
    pub auth: Arc<AuthState>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = state.auth.clone().ok_or(ApiError::NotFound)?;
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        if ip.is_some_and(|ip| auth.blocked(ip)) {
            return Err(ApiError::TooManyRequests);
        }
        let snapshot = auth.access.snapshot();
        let found = bearer(&parts.headers)
            .and_then(|token| authenticate(&snapshot, Credential::Bearer(token), now_ms()))
            .and_then(|principal| Some((snapshot.user(&principal.user)?.clone(), principal)));
        let Some((user, principal)) = found else {
            if let Some(ip) = ip {
                auth.failed(ip);
            }
            return Err(ApiError::Unauthorized);
        };
        Ok(Caller {
            principal,
            user,
            snapshot,
            auth,
        })
    }
}

impl Caller {
    /// Refuses callers who are not admins.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}
