//! Authentication: who is calling, from the `Authorization: Bearer` header or, for the websocket
//! upgrade only, a `?ticket=`; plus the limits on failed attempts and sockets per user.

pub mod limits;
pub(crate) mod registry;
pub mod secret;
pub(crate) mod state;
pub mod ticket;

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::directory::{Principal, Snapshot};

/// The settings of authentication, with documented defaults.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How long a websocket ticket stays valid. Default 5 minutes: long enough for the stock
    /// client's reconnects through a short network drop, short enough that a ticket leaked in a
    /// log is soon useless.
    pub ticket_ttl: Duration,
    /// Most open sockets per user. Default 16 (a phone, a browser tab or two, room for
    /// reconnects racing their old socket's close).
    pub max_connections_per_user: usize,
    /// Failed authentications allowed per address per minute before it gets 429. Default 30.
    pub failures_per_minute: u32,
    /// How often the server looks for directory changes made by other processes and for
    /// expired tokens on open sockets. Default 1 s.
    pub directory_poll: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            ticket_ttl: Duration::from_secs(300),
            max_connections_per_user: 16,
            failures_per_minute: 30,
            directory_poll: Duration::from_secs(1),
        }
    }
}

/// The bearer token of a request, if it sent one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// What a request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// A bearer token in the header.
    Bearer(&'a str),
    /// A websocket ticket in the query.
    Ticket(&'a str),
}

/// Checks a credential against the directory. `None` for anything unknown, malformed, expired
/// or revoked: the caller answers them all with the same 401.
pub fn authenticate(
    snapshot: &Snapshot,
    credential: Credential<'_>,
    now_ms: i64,
) -> Option<Principal> {
    match credential {
        Credential::Bearer(token) => snapshot.authenticate_token(token, now_ms),
        Credential::Ticket(ticket) => {
            if ticket.len() > secret::MAX_CREDENTIAL_LEN {
                return None;
            }
            let token = ticket::verify(snapshot.ticket_key(), ticket, now_ms).ok()?;
            snapshot.principal_of(&token, now_ms)
        }
    }
}
