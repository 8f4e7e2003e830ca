//! Outgoing e-mail's configuration: the SMTP relay, the sender, and how the worker paces itself.
//!
//! The relay's URL may carry a password, so [`SmtpUrl`] never shows it: not in `Debug` (the
//! whole [`ServerConfig`](crate::ServerConfig) is `Debug`), not in logs.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// Longest SMTP URL accepted.
const MAX_URL_BYTES: usize = 2048;

/// How outgoing e-mail leaves the server.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP relay. `None` (the default): e-mail is queued in the outbox and waits there,
    /// unsent, until a server starts with a relay (said in the log at start).
    pub smtp: Option<SmtpUrl>,
    /// The `From` of the server's e-mail. Default `enlace@<this host's name>`.
    pub from: Mailbox,
    /// How often the worker looks for due e-mail when nothing wakes it. Default 5 s.
    pub poll_interval: Duration,
    /// The wait after a first failed delivery; it doubles with each further failure. Default
    /// 30 s.
    pub retry_initial: Duration,
    /// The longest wait between two attempts at one e-mail. Default 15 min.
    pub retry_max: Duration,
    /// Most e-mails taken from the outbox in one pass. Default 32.
    pub batch: usize,
    /// Longest the relay may take over one SMTP command (connecting included). Default 30 s.
    pub smtp_timeout: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp: None,
            from: Mailbox::default_sender(),
            poll_interval: Duration::from_secs(5),
            retry_initial: Duration::from_secs(30),
            retry_max: Duration::from_secs(15 * 60),
            batch: 32,
            smtp_timeout: Duration::from_secs(30),
        }
    }
}

/// An SMTP relay, as lettre's `AsyncSmtpTransport::from_url` takes it: `smtp://host:port`
/// (plain), `smtp://host:port?tls=required` (STARTTLS), `smtps://user:pass@host` (TLS from the
/// first byte; user and password percent-encoded). Checked when parsed; shown without its
/// password.
#[derive(Clone)]
pub struct SmtpUrl {
    /// The transport it makes (holding the credentials; never shown).
    transport: AsyncSmtpTransportBuilder,
    /// The URL with its password masked.
    shown: String,
}

impl SmtpUrl {
    /// The transport to the relay, each SMTP command bounded by `timeout`.
    pub(crate) fn transport(&self, timeout: Duration) -> AsyncSmtpTransport<Tokio1Executor> {
        self.transport.clone().timeout(Some(timeout)).build()
    }
}

/// Why a string is not an SMTP URL.
#[derive(Debug, thiserror::Error)]
pub enum InvalidSmtpUrl {
    /// Longer than 2048 bytes.
    #[error("an SMTP URL holds at most {MAX_URL_BYTES} bytes")]
    TooLong,
    /// Not a URL at all.
    #[error("not a URL")]
    Syntax(#[source] url::ParseError),
    /// A URL, but not one the transport takes (scheme, `tls` parameter, host).
    #[error(
        "not an SMTP URL (smtp://host:port, smtp://host:port?tls=required or smtps://user:pass@host)"
    )]
    Transport(#[source] lettre::transport::smtp::Error),
}

impl FromStr for SmtpUrl {
    type Err = InvalidSmtpUrl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_URL_BYTES {
            return Err(InvalidSmtpUrl::TooLong);
        }
        let mut parsed = url::Url::parse(s).map_err(InvalidSmtpUrl::Syntax)?;
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(s).map_err(InvalidSmtpUrl::Transport)?;
        if parsed.password().is_some() {
            // Cannot fail: the URL has a host (the transport refuses one without).
            let _ = parsed.set_password(Some("***"));
        }
        Ok(SmtpUrl {
            transport,
            shown: parsed.to_string(),
        })
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({})", self.shown)
    }
}

/// A display name and an address: `Enlace <reports@agency.example>`, or a bare address (the
/// name then empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mailbox {
    /// Display name; may be empty.
    pub name: String,
    /// The address.
    pub email: String,
}

impl Mailbox {
    /// `enlace@<this host's name>`, or `enlace@localhost` where the host's name is no domain.
    fn default_sender() -> Mailbox {
        let email = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .map(|host| format!("enlace@{host}"))
            .filter(|email| email.parse::<lettre::Address>().is_ok())
            .unwrap_or_else(|| "enlace@localhost".to_owned());
        Mailbox {
            name: "Enlace".to_owned(),
            email,
        }
    }

    /// The domain of the address (what follows the last `@`).
    pub fn domain(&self) -> &str {
        self.email
            .rsplit_once('@')
            .map_or(self.email.as_str(), |(_, domain)| domain)
    }
}

impl FromStr for Mailbox {
    type Err = lettre::address::AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed: lettre::message::Mailbox = s.parse()?;
        Ok(Mailbox {
            name: parsed.name.unwrap_or_default(),
            email: parsed.email.to_string(),
        })
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.email)
        } else {
            write!(f, "{:?} <{}>", self.name, self.email)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_and_shown_without_their_password() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.example:587?tls=required",
            "smtps://user:s3cret@relay.example",
        ] {
            let url: SmtpUrl = good.parse().expect(good);
            assert!(!format!("{url} {url:?}").contains("s3cret"), "{url:?}");
        }
        for bad in [
            "relay.example:25",
            "ftp://relay.example",
            "smtp://relay.example?tls=sometimes",
            "smtp:///no-host",
        ] {
            assert!(bad.parse::<SmtpUrl>().is_err(), "{bad} was accepted");
        }
        let long = format!("smtp://{}.example", "a".repeat(MAX_URL_BYTES));
        assert!(matches!(
            long.parse::<SmtpUrl>(),
            Err(InvalidSmtpUrl::TooLong)
        ));
    }

    #[test]
    fn mailboxes_parse_with_or_without_a_name() {
        let named: Mailbox = "Enlace Reports <reports@agency.example>"
            .parse()
            .expect("named");
        assert_eq!(named.name, "Enlace Reports");
        assert_eq!(named.email, "reports@agency.example");
        assert_eq!(named.domain(), "agency.example");
        let bare: Mailbox = "reports@agency.example".parse().expect("bare");
        assert_eq!(bare.name, "");
        assert!("not an address".parse::<Mailbox>().is_err());
        let default = Mailbox::default_sender();
        assert!(default.email.starts_with("enlace@"), "{default}");
        assert!(default.email.parse::<lettre::Address>().is_ok());
    }
}
