//! The only module that touches sockets: one websocket to the server, the `join`/`peer`
//! handshake, and sending and receiving protocol messages.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use enlace_core::ids::{DocumentId, PeerId, StorageId};
use enlace_core::wire::{
    DecodeError, DecodeLimits, Message, PROTOCOL_V1, PeerMetadata, decode, encode,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri, header::AUTHORIZATION};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

use crate::error::BenchError;

/// The largest message accepted from the server: a whole large document in one sync message.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Where the clients connect, and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    url: String,
    host_port: String,
    tokens: Vec<String>,
    /// How long one connection attempt plus handshake may take.
    pub patience: Duration,
}

impl Target {
    /// A target at `url` (plain `ws://` on a loopback address only), with the bearer tokens read
    /// from `tokens` (one per line) if given.
    pub fn new(url: &str, tokens: Option<&Path>, patience: Duration) -> Result<Self, BenchError> {
        let host_port = loopback_host_port(url)?;
        let tokens = match tokens {
            None => Vec::new(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| BenchError::Io {
                    what: format!("reading tokens from {}", path.display()),
                    source,
                })?;
                let tokens: Vec<String> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                if tokens.is_empty() {
                    return Err(BenchError::Usage(format!(
                        "no tokens in {}",
                        path.display()
                    )));
                }
                tokens
            }
        };
        Ok(Target {
            url: url.to_owned(),
            host_port,
            tokens,
            patience,
        })
    }

    /// The bearer token of client `index` (`index` mod the number of tokens), if any.
    fn token(&self, index: usize) -> Option<&str> {
        if self.tokens.is_empty() {
            None
        } else {
            self.tokens
                .get(index % self.tokens.len())
                .map(String::as_str)
        }
    }

    /// Opens a websocket as client `index` and completes the handshake as `me`.
    pub async fn connect(
        &self,
        index: usize,
        me: PeerId,
        storage_id: Option<StorageId>,
    ) -> Result<Conn, BenchError> {
        let attempt = self.connect_inner(index, me, storage_id);
        match tokio::time::timeout(self.patience, attempt).await {
            Ok(result) => result,
            Err(_) => Err(BenchError::deadline(
                format!("connecting and joining {}", self.url),
                self.patience,
            )),
        }
    }

    async fn connect_inner(
        &self,
        index: usize,
        me: PeerId,
        storage_id: Option<StorageId>,
    ) -> Result<Conn, BenchError> {
        let failed = |source| BenchError::Connect {
            url: self.url.clone(),
            source,
        };
        let mut request = self.url.as_str().into_client_request().map_err(failed)?;
        if let Some(token) = self.token(index) {
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| failed(tungstenite::http::Error::from(e).into()))?;
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        let tcp = TcpStream::connect(&self.host_port)
            .await
            .map_err(|e| failed(e.into()))?;
        tcp.set_nodelay(true).map_err(|e| failed(e.into()))?;
        // Small buffers: the idle scenario holds 10,000 of these; they grow for large frames.
        let config = WebSocketConfig::default()
            .read_buffer_size(4 * 1024)
            .write_buffer_size(0)
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
            .await
            .map_err(failed)?;
        let mut conn = Conn {
            ws,
            server: me.clone(),
            me: me.clone(),
            sent: 0,
            received: 0,
            last_received_at: None,
        };
        let is_ephemeral = storage_id.is_none();
        conn.send(&Message::Join {
            sender_id: me,
            peer_metadata: PeerMetadata {
                storage_id,
                is_ephemeral,
            },
            supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
        })
        .await?;
        loop {
            match conn.recv().await? {
                Message::Peer { sender_id, .. } => {
                    conn.server = sender_id;
                    return Ok(conn);
                }
                Message::Error { message } => {
                    return Err(BenchError::Protocol(format!("join refused: {message}")));
                }
                _ => {}
            }
        }
    }
}

/// Accepts only `ws://` URLs whose host is a loopback address; returns `host:port`.
fn loopback_host_port(url: &str) -> Result<String, BenchError> {
    let bad = |reason| BenchError::BadUrl {
        url: url.to_owned(),
        reason,
    };
    let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
    if uri.scheme_str() != Some("ws") {
        return Err(bad("only plain ws:// is supported"));
    }
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare == "localhost"
        || bare
            .parse::<IpAddr>()
            .is_ok_and(|ip: IpAddr| ip.is_loopback());
    if !loopback {
        return Err(bad(
            "the load generator only connects to loopback addresses",
        ));
    }
    let port = uri.port_u16().unwrap_or(80);
    let host = if bare == "localhost" {
        Ipv4Addr::LOCALHOST.to_string()
    } else {
        host.to_owned()
    };
    Ok(format!("{host}:{port}"))
}

/// One joined websocket.
#[derive(Debug)]
pub struct Conn {
    ws: WebSocketStream<TcpStream>,
    /// Our peer id.
    pub me: PeerId,
    /// The server's peer id (from its `peer` message).
    pub server: PeerId,
    /// Protocol messages sent on this socket.
    pub sent: u64,
    /// Protocol messages received on this socket.
    pub received: u64,
    /// When the last protocol message arrived (before any work on it).
    pub last_received_at: Option<Instant>,
}

impl Conn {
    /// Sends one protocol message.
    pub async fn send(&mut self, message: &Message) -> Result<(), BenchError> {
        self.ws
            .send(WsMessage::Binary(encode(message).into()))
            .await?;
        self.sent += 1;
        Ok(())
    }

    /// Sends an automerge sync message about `document_id`, as `request` when we hold nothing
    /// of it yet, else as `sync`.
    pub async fn send_sync(
        &mut self,
        document_id: DocumentId,
        data: Vec<u8>,
        kind: SyncKind,
    ) -> Result<(), BenchError> {
        let sender_id = self.me.clone();
        let target_id = self.server.clone();
        let message = match kind {
            SyncKind::Request => Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            },
            SyncKind::Sync => Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            },
        };
        self.send(&message).await
    }

    /// The next protocol message. Pings are answered by tungstenite while reading; a close is
    /// an error, since every scenario closes its sockets itself.
    pub async fn recv(&mut self) -> Result<Message, BenchError> {
        let limits = DecodeLimits {
            max_frame_bytes: MAX_MESSAGE_BYTES,
            max_data_bytes: MAX_MESSAGE_BYTES,
            ..DecodeLimits::default()
        };
        loop {
            match self.ws.next().await {
                None => return Err(BenchError::Closed("end of stream".into())),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(WsMessage::Binary(frame))) => {
                    self.received += 1;
                    self.last_received_at = Some(Instant::now());
                    match decode(&frame, &limits) {
                        Ok(message) => return Ok(message),
                        // Newer message types are not for us.
                        Err(DecodeError::UnknownType(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    let why = frame.map_or_else(
                        || "no close frame".to_owned(),
                        |f| format!("code {}: {}", u16::from(f.code), f.reason),
                    );
                    return Err(BenchError::Closed(why));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Closes the socket politely and waits (briefly) for the server's close.
    pub async fn close(mut self) {
        if self.ws.close(None).await.is_ok() {
            let drain = async { while let Some(Ok(_)) = self.ws.next().await {} };
            let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
        }
    }
}

/// How a sync message goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// We hold nothing of the document yet.
    Request,
    /// We hold the document.
    Sync,
}
