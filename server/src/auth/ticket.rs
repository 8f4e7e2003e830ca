//! Websocket tickets for browsers, which cannot set an `Authorization` header on a websocket.
//!
//! A ticket is `t1.<token id>.<expiry ms>.<HMAC-SHA256 signature>`, signed with a key kept in the
//! directory: stateless (nothing to store per ticket), valid across server restarts (the stock
//! client reconnects with the same URL), and tied to its token, so revoking the token kills every
//! ticket made from it. The signature covers a context string, so a ticket is never mistaken for
//! anything else the key might sign.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use crate::directory::TokenId;

const VERSION: &str = "t1";
const CONTEXT: &[u8] = b"enlace websocket ticket v1\0";

/// Signs a ticket for `token` that expires at `expires_ms`.
pub fn sign(key: &hmac::Key, token: &TokenId, expires_ms: i64) -> String {
    let payload = payload(token.as_str(), expires_ms);
    let tag = hmac::sign(key, &payload);
    format!(
        "{VERSION}.{token}.{expires_ms}.{}",
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    )
}

/// Why a ticket was refused (all answered the same way, 401; kept apart for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketError {
    /// Not a ticket of this format.
    Malformed,
    /// The signature does not match.
    BadSignature,
    /// Past its expiry.
    Expired,
}

/// Checks a ticket's format, signature and expiry; returns the token it was made from, which the
/// caller must still find valid (not revoked, not expired).
pub fn verify(key: &hmac::Key, ticket: &str, now_ms: i64) -> Result<TokenId, TicketError> {
    let mut parts = ticket.split('.');
    let (Some(VERSION), Some(token), Some(expires), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TicketError::Malformed);
    };
    let token: TokenId = token.parse().map_err(|_| TicketError::Malformed)?;
    let expires_ms: i64 = expires.parse().map_err(|_| TicketError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TicketError::Malformed)?;
    hmac::verify(key, &payload(token.as_str(), expires_ms), &tag)
        .map_err(|_| TicketError::BadSignature)?;
    if now_ms >= expires_ms {
        return Err(TicketError::Expired);
    }
    Ok(token)
}

fn payload(token: &str, expires_ms: i64) -> Vec<u8> {
    let mut payload = CONTEXT.to_vec();
    payload.extend_from_slice(token.as_bytes());
    payload.push(0);
    payload.extend_from_slice(expires_ms.to_string().as_bytes());
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &[byte; 32])
    }

    #[test]
    fn a_signed_ticket_verifies_until_it_expires() {
        let token: TokenId = "tok-1".parse().expect("id");
        let ticket = sign(&key(1), &token, 1_000);
        assert_eq!(verify(&key(1), &ticket, 999), Ok(token));
        assert_eq!(verify(&key(1), &ticket, 1_000), Err(TicketError::Expired));
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let token: TokenId = "tok-1".parse().expect("id");
        let ticket = sign(&key(1), &token, 1_000);
        assert_eq!(verify(&key(2), &ticket, 0), Err(TicketError::BadSignature));
        let longer = ticket.replace(".1000.", ".9999.");
        assert_eq!(verify(&key(1), &longer, 0), Err(TicketError::BadSignature));
        let other = ticket.replace("tok-1", "tok-2");
        assert_eq!(verify(&key(1), &other, 0), Err(TicketError::BadSignature));
        for bad in [
            "",
            "t1",
            "t1.a.b.c",
            "t2.tok-1.1000.xx",
            "enl_secret",
            &format!("{ticket}.x"),
        ] {
            assert!(verify(&key(1), bad, 0).is_err(), "{bad}");
        }
    }
}
