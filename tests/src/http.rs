//! A tiny HTTP/1.1 client over a plain TCP stream, for the JSON API in end-to-end tests. One
//! request per connection (`Connection: close`), read to EOF, so there is no pooling or
//! keep-alive to reason about, and no heavy client dependency in the test crate.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server answered: enough to assert on status codes, headers and JSON bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code of the status line.
    pub status: u16,
    /// Header names (as sent) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it was sent chunked (lossily decoded as UTF-8).
    pub body: String,
}

impl HttpResponse {
    /// The body parsed as JSON. Panics (showing the status and body) if it is not JSON, since a
    /// test that asks for JSON cannot go on without it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| {
            panic!(
                "response body is not JSON ({error}): status {}, body {:?}",
                self.status, self.body
            )
        })
    }

    /// The first header named `name` (case-insensitive), so tests can check e.g.
    /// `Content-Type` without caring how the server spells it.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// Sends `method path` to `addr`, with `Authorization: Bearer <bearer>` if given and `body` as
/// JSON if given, and reads the whole answer. I/O errors are returned (a refused connection is
/// a test outcome too); a malformed answer is an `InvalidData` error.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> io::Result<HttpResponse> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(&encode_request(addr, method, path, bearer, body))
        .await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

/// Posts `form` (already `application/x-www-form-urlencoded`) to `path`, as a browser submits
/// a form, and reads the whole answer.
pub async fn post_form(addr: SocketAddr, path: &str, form: &str) -> io::Result<HttpResponse> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(form.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

/// [`request`] with a bearer token, for tests that only expect answers: panics on an I/O error.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> HttpResponse {
    request(addr, method, path, Some(token), body.as_ref())
        .await
        .expect("the server answers")
}

/// Sends `method path` with a raw body (a CSV file) of `content_type`, as [`request`] does.
pub async fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> io::Result<HttpResponse> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = bearer {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

/// The bytes of one request. `Content-Length` is always sent for a body (and `0` for a body-less
/// `POST`/`PUT`, which some servers insist on).
fn encode_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Vec<u8> {
    let payload = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = bearer {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if body.is_some() || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS") {
        head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(payload.as_bytes());
    bytes
}

/// Splits a complete response into status, headers and (de-chunked) body.
fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let split = find(raw, b"\r\n\r\n").ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let chunked = header(&headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body (extensions and trailers ignored).
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or_else(|| invalid("unterminated chunk size"))?;
        let line = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid("chunk size is not hexadecimal"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| invalid("chunk shorter than its size"))?;
        body.extend_from_slice(chunk);
        rest = rest
            .get(size..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .ok_or_else(|| invalid("chunk not followed by CRLF"))?;
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("bad HTTP response: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_response() {
        let raw = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 21\r\n\r\n{\"error\":\"not_found\"}";
        let response = parse_response(raw).expect("parses");
        assert_eq!(response.status, 404);
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(response.json()["error"], "not_found");
    }

    #[test]
    fn dechunks_a_chunked_response() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n";
        let response = parse_response(raw).expect("parses");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "{\"a\":1}");
    }

    #[test]
    fn sends_bearer_and_json_body() {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let body = serde_json::json!({"name": "x"});
        let bytes = encode_request(addr, "POST", "/v1/tickets", Some("enl_t"), Some(&body));
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.starts_with("POST /v1/tickets HTTP/1.1\r\n"));
        assert!(text.contains("Authorization: Bearer enl_t\r\n"));
        assert!(text.contains("Content-Type: application/json\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n{\"name\":\"x\"}"));
    }
}
