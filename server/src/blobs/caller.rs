//! Who calls a blob route: a bearer token, or else a ticket in the query (`?ticket=`), since
//! a browser's `<img src>` and tus-js-client's requests cannot always carry a header.
//!
//! A ticket is accepted on blob routes for its whole lifetime (five minutes by default), for any
//! number of requests: tickets are stateless (signed, not stored), and one upload takes several
//! requests (`POST`, then `HEAD` and `PATCH`es), which tus-js-client sends to the `Location` the
//! `POST` answered; so an upload created with a ticket is given a `Location` that carries it.
//! The ticket dies with its token (revoked or expired) like everywhere else.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::api::ApiError;
use crate::auth::{Credential, authenticate, bearer};
use crate::directory::{Principal, now_ms};
use crate::routes::AppState;

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`.
    Bearer,
    /// `?ticket=`; the ticket, to hand on in an upload's `Location`.
    Ticket(String),
}

/// An authenticated caller of a blob route.
#[derive(Debug)]
pub struct BlobCaller {
    /// Who.
    pub principal: Principal,
    /// With what.
    pub via: Via,
}

impl BlobCaller {
    /// The user key as `blobs.sqlite3` stores it (`org/user`).
    pub fn user_key(&self) -> String {
        self.principal.user.to_string()
    }
}

/// The `ticket` parameter of a query string, if any.
fn ticket(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
}

impl FromRequestParts<AppState> for BlobCaller {
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
        let ticket = ticket(parts.uri.query());
        let (credential, via) = match (bearer(&parts.headers), &ticket) {
            (Some(token), _) => (Credential::Bearer(token), Via::Bearer),
            (None, Some(ticket)) => (Credential::Ticket(ticket), Via::Ticket(ticket.clone())),
            (None, None) => (Credential::Bearer(""), Via::Bearer),
        };
        let snapshot = auth.access.snapshot();
        let Some(principal) = authenticate(&snapshot, credential, now_ms()) else {
            if let Some(ip) = ip {
                auth.failed(ip);
            }
            return Err(ApiError::Unauthorized);
        };
        Ok(BlobCaller { principal, via })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_is_read_from_the_query() {
        assert_eq!(ticket(Some("ticket=t1.a.b.c")), Some("t1.a.b.c".into()));
        assert_eq!(ticket(Some("x=1&ticket=t1%2Ex")), Some("t1.x".into()));
        assert_eq!(ticket(Some("x=1")), None);
        assert_eq!(ticket(None), None);
    }
}
