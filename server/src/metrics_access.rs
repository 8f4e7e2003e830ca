//! Who may read `/metrics`, and where it is served.
//!
//! The metrics say how busy the server is, how many sockets it holds and what fails: nothing
//! of any document, but more about the service than a stranger should learn, and an open
//! `/metrics` also lets anyone on the network watch the load rise and fall. Two ways to close
//! it, usable together: a token of its own that the scraper sends as a bearer token, and a
//! listen address of its own (a loopback or private address a scraper reaches and the internet
//! does not), with nothing at `/metrics` on the main listener.
//!
//! The metrics token is not a user's token and a user's token does not open `/metrics`:
//! scrapers are configured by whoever runs the server, not through the directory.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use ring::hmac;

/// Shortest metrics token accepted: a token is guessed online, one request at a time, but
/// nothing justifies a short one.
pub const MIN_METRICS_TOKEN_LEN: usize = 16;
/// Longest metrics token accepted.
pub const MAX_METRICS_TOKEN_LEN: usize = 512;

/// The key both sides of a comparison are signed with. Public on purpose: it does not guard a
/// secret; it turns "compare two strings" into "compare two MACs", which ring does in constant
/// time and at a fixed length, so the time a refusal takes says nothing about the token.
const COMPARE_KEY: &[u8] = b"enlace metrics token comparison v1";

/// Who may read `/metrics`, and on which address. The default keeps `/metrics` open on the
/// main listener, as before these settings existed; `docs/access.md` recommends closing it.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// The bearer token `/metrics` requires; `None` (the default) requires none.
    pub token: Option<MetricsToken>,
    /// Serve `/metrics` on this address only; `None` (the default) serves it on the main
    /// listener.
    pub listen: Option<SocketAddr>,
}

/// The token `/metrics` requires. Only its MAC is kept, and its `Debug` shows nothing.
#[derive(Clone)]
pub struct MetricsToken {
    tag: hmac::Tag,
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

/// Why a string cannot be a metrics token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a metrics token must be {MIN_METRICS_TOKEN_LEN} to {MAX_METRICS_TOKEN_LEN} visible ASCII \
     characters (no spaces)"
)]
pub struct InvalidMetricsToken;

impl FromStr for MetricsToken {
    type Err = InvalidMetricsToken;

    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        let valid = (MIN_METRICS_TOKEN_LEN..=MAX_METRICS_TOKEN_LEN).contains(&secret.len())
            && secret.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(InvalidMetricsToken);
        }
        Ok(MetricsToken {
            tag: hmac::sign(&compare_key(), secret.as_bytes()),
        })
    }
}

impl MetricsToken {
    /// Whether `presented` (the request's bearer token, if any) is this token; compared in
    /// constant time.
    pub(crate) fn admits(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| {
            p.len() <= MAX_METRICS_TOKEN_LEN
                && hmac::verify(&compare_key(), p.as_bytes(), self.tag.as_ref()).is_ok()
        })
    }
}

fn compare_key() -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, COMPARE_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_itself_is_admitted() {
        let token: MetricsToken = "scrape-me-0123456789".parse().expect("valid");
        assert!(token.admits(Some("scrape-me-0123456789")));
        for other in [
            None,
            Some(""),
            Some("scrape-me-012345678"),
            Some("scrape-me-01234567890"),
            Some("SCRAPE-ME-0123456789"),
            Some("enl_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ] {
            assert!(!token.admits(other), "{other:?}");
        }
        assert_eq!(format!("{token:?}"), "MetricsToken(..)");
    }

    #[test]
    fn short_or_unprintable_tokens_are_refused() {
        for bad in [
            "",
            "short",
            "fifteen-chars-x",
            "has a space in it!",
            "tab\there-0123456789",
        ] {
            assert_eq!(bad.parse::<MetricsToken>().err(), Some(InvalidMetricsToken));
        }
        assert!(
            "x".repeat(MAX_METRICS_TOKEN_LEN + 1)
                .parse::<MetricsToken>()
                .is_err()
        );
        assert!(
            "x".repeat(MIN_METRICS_TOKEN_LEN)
                .parse::<MetricsToken>()
                .is_ok()
        );
    }
}
