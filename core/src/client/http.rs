//! The client's plain HTTP calls to the server's API (server commands): one HTTP/1.1 exchange
//! per call over TCP, or over rustls with the Mozilla root store for `https`, with a deadline and
//! a cap on the answer's size.
//!
//! Calls are rare (a tap on "send"), so a connection per call costs little and leaves no pooled
//! connection to go stale when the phone changes network.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::ServerName;

/// Where the server's HTTP API is: scheme, host and port (no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
}

impl Endpoint {
    /// Parses `http://host[:port]` or `https://host[:port]`, with an optional trailing `/`.
    pub(crate) fn parse(url: &str) -> Result<Endpoint, HttpError> {
        let invalid = || HttpError::InvalidUrl(url.chars().take(200).collect());
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(invalid());
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(invalid());
        }
        let (host, port) = match authority.rsplit_once(':') {
            // An IPv6 literal without a port: `[::1]`.
            Some((_, tail)) if tail.ends_with(']') => (authority, None),
            Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| invalid())?)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(Endpoint {
            tls,
            host: host.to_owned(),
            port: port.unwrap_or(if tls { 443 } else { 80 }),
        })
    }

    /// The API endpoint of a sync websocket URL on the same host: `wss://h/v1/sync` is served
    /// by `https://h`, `ws://h:8080/v1/sync` by `http://h:8080`.
    pub(crate) fn of_sync_url(url: &str) -> Result<Endpoint, HttpError> {
        let invalid = || HttpError::InvalidUrl(url.chars().take(200).collect());
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("wss://") {
            ("https://", rest)
        } else if let Some(rest) = url.strip_prefix("ws://") {
            ("http://", rest)
        } else {
            return Err(invalid());
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        Endpoint::parse(&format!("{scheme}{authority}")).map_err(|_| invalid())
    }

    fn host_header(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// An HTTP call that could not be made or whose answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The API URL is not `http(s)://host[:port]`.
    #[error("invalid API url {0:?}")]
    InvalidUrl(String),
    /// No TCP connection (offline, server down, wrong port).
    #[error("could not connect")]
    Connect(#[source] std::io::Error),
    /// The TLS handshake failed (a certificate the phone does not trust, a wrong name).
    #[error("TLS handshake failed")]
    Tls(#[source] std::io::Error),
    /// The HTTP exchange failed (the connection broke, an answer that is not HTTP).
    #[error("HTTP exchange failed")]
    Exchange(#[source] hyper::Error),
    /// The answer was larger than the call accepts.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The call did not finish within its deadline.
    #[error("timed out")]
    Timeout,
    /// The answer's body broke off or could not be stored.
    #[error("reading the answer failed")]
    Body(#[source] std::io::Error),
    /// The request could not be built (a token that cannot go in a header).
    #[error("invalid request: {0}")]
    Request(String),
}

/// A request to send: method, path (with query), headers and a body.
#[derive(Debug)]
pub(crate) struct Call<'a, B = Full<Bytes>> {
    pub method: Method,
    pub path: &'a str,
    pub token: Option<&'a str>,
    /// Extra headers (`Content-Type` of a body included).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: B,
    /// The largest answer body read by [`send`].
    pub max_answer: usize,
}

impl<'a> Call<'a> {
    /// A call without a body.
    pub(crate) fn empty(method: Method, path: &'a str, token: Option<&'a str>) -> Self {
        Call {
            method,
            path,
            token,
            headers: Vec::new(),
            body: Full::new(Bytes::new()),
            max_answer: 64 * 1024,
        }
    }

    /// A call with a JSON body (none if `json` is `None`).
    pub(crate) fn json(
        method: Method,
        path: &'a str,
        token: Option<&'a str>,
        json: Option<Bytes>,
    ) -> Self {
        let mut call = Call::empty(method, path, token);
        if let Some(json) = json {
            call.headers
                .push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
            call.body = Full::new(json);
        }
        call
    }
}

/// The server's answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// A header's value as text, if present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Makes `call` against `endpoint` and reads the answer whole (up to `call.max_answer`), all
/// of it (connect, TLS, exchange, body) within `timeout`.
pub(crate) async fn send<B>(
    endpoint: &Endpoint,
    call: Call<'_, B>,
    timeout: Duration,
) -> Result<Answer, HttpError>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let max_answer = call.max_answer;
    tokio::time::timeout(timeout, async {
        let response = open(endpoint, call).await?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, max_answer)
            .collect()
            .await
            .map_err(|e| match e.downcast::<hyper::Error>() {
                Ok(e) => HttpError::Exchange(*e),
                Err(_) => HttpError::TooLarge { limit: max_answer },
            })?
            .to_bytes();
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    })
    .await
    .map_err(|_| HttpError::Timeout)?
}

/// Makes `call` and returns the answer with its body still on the wire, for the caller to
/// stream (a download). No deadline: the caller sets one.
pub(crate) async fn open<B>(
    endpoint: &Endpoint,
    call: Call<'_, B>,
) -> Result<Response<Incoming>, HttpError>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let request = build(endpoint, call)?;
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((host, endpoint.port))
        .await
        .map_err(HttpError::Connect)?;
    // Small requests and answers: send each at once.
    tcp.set_nodelay(true).map_err(HttpError::Connect)?;
    if !endpoint.tls {
        return exchange(tcp, request).await;
    }
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| HttpError::InvalidUrl(endpoint.host.clone()))?;
    let tls = TlsConnector::from(tls_config()?)
        .connect(name, tcp)
        .await
        .map_err(HttpError::Tls)?;
    exchange(tls, request).await
}

fn build<B>(endpoint: &Endpoint, call: Call<'_, B>) -> Result<Request<B>, HttpError> {
    let mut request = Request::builder()
        .method(call.method)
        .uri(call.path)
        .header(HOST, endpoint.host_header());
    if let Some(token) = call.token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| HttpError::Request("the token cannot go in a header".into()))?;
        request = request.header(AUTHORIZATION, value);
    }
    for (name, value) in call.headers {
        request = request.header(name, value);
    }
    request
        .body(call.body)
        .map_err(|e| HttpError::Request(e.to_string()))
}

async fn exchange<S, B>(stream: S, request: Request<B>) -> Result<Response<Incoming>, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(HttpError::Exchange)?;
    // The connection task ends with the exchange; its error (if any) is the one
    // `send_request` or the body read reports.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(
                error = &e as &dyn std::error::Error,
                "HTTP connection closed"
            );
        }
    });
    sender
        .send_request(request)
        .await
        .map_err(HttpError::Exchange)
}

/// rustls with ring and the Mozilla roots, built once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, HttpError> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| HttpError::Tls(std::io::Error::other(e)))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_lives_on_the_sync_urls_host() {
        let e = Endpoint::of_sync_url("wss://sync.agencia.cl/v1/sync").expect("wss");
        assert_eq!(
            (e.tls, e.host.as_str(), e.port),
            (true, "sync.agencia.cl", 443)
        );
        assert_eq!(e.host_header(), "sync.agencia.cl");
        let e = Endpoint::of_sync_url("ws://127.0.0.1:8080/v1/sync?x=1").expect("ws");
        assert_eq!((e.tls, e.host.as_str(), e.port), (false, "127.0.0.1", 8080));
        assert_eq!(e.host_header(), "127.0.0.1:8080");
        let e = Endpoint::parse("http://[::1]:9000/").expect("ipv6");
        assert_eq!((e.host.as_str(), e.port), ("[::1]", 9000));
        let e = Endpoint::parse("https://[::1]").expect("ipv6 without port");
        assert_eq!((e.host.as_str(), e.port), ("[::1]", 443));
    }

    #[test]
    fn urls_that_name_no_api_are_refused() {
        for url in [
            "ftp://h",
            "http://",
            "http://h:port",
            "http://h:99999",
            "https://user@h",
            "http://h/v1",
            "h:80",
        ] {
            assert!(Endpoint::parse(url).is_err(), "{url}");
        }
        assert!(Endpoint::of_sync_url("http://h/v1/sync").is_err());
        assert!(Endpoint::of_sync_url("wss:///v1/sync").is_err());
    }
}
