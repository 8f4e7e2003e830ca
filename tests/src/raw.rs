//! Raw websocket helpers for hostile-input tests: frames sent exactly as given.

use enlace_core::ids::{PeerId, StorageId};
use enlace_core::wire::{Message, PROTOCOL_V1, PeerMetadata, encode};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// A raw client socket.
pub type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a raw socket to `url`.
pub async fn connect(url: &str) -> RawSocket {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("raw connect")
        .0
}

/// Opens a raw socket to `url` as the user of `token` (`Authorization: Bearer <token>` on the
/// upgrade), for hostile-input tests against an authenticated server. Panics if refused.
pub async fn connect_bearer(url: &str, token: &str) -> RawSocket {
    crate::client::open_socket(url, Some(token))
        .await
        .expect("raw connect with bearer token")
}

/// Tries to open a raw socket to `url`, with a bearer token if given, for tests that expect the
/// upgrade to be refused: `Err(Some(status))` is the HTTP status of a refused upgrade (`401`,
/// `429`), `Err(None)` any other failure (connection refused, reset, bad handshake).
pub async fn try_connect(url: &str, bearer: Option<&str>) -> Result<RawSocket, Option<u16>> {
    crate::client::open_socket(url, bearer)
        .await
        .map_err(|error| error.http_status())
}

/// The query `ticket=<ticket>`, percent-encoded so that the server decodes exactly the ticket
/// given (tampered ones included).
pub fn ticket_query(ticket: &str) -> String {
    let mut encoded = String::with_capacity(ticket.len() + 7);
    encoded.push_str("ticket=");
    for byte in ticket.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Opens a raw socket whose kernel receive buffer is small, so that a client that stops
/// reading backs the server up quickly.
pub async fn connect_small_window(url: &str, addr: std::net::SocketAddr) -> RawSocket {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(addr).await.expect("tcp connect");
    tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .expect("websocket handshake")
        .0
}

/// A `request` for `doc` from a peer that holds nothing of it (a real automerge sync message).
pub fn request_frame(name: &str, doc: enlace_core::ids::DocumentId) -> Vec<u8> {
    use automerge::sync::SyncDoc;
    let message = automerge::Automerge::new()
        .generate_sync_message(&mut automerge::sync::State::new())
        .expect("an empty document still says hello");
    encode(&Message::Request {
        sender_id: name.parse::<PeerId>().expect("peer id"),
        target_id: "server".parse::<PeerId>().expect("peer id"),
        document_id: doc,
        data: message.encode(),
    })
}

/// The `join` frame of an ephemeral peer named `name`.
pub fn join_frame(name: &str) -> Vec<u8> {
    join_frame_with(name, None, true)
}

/// The `join` frame of a peer named `name` with the given metadata, to join as a device with a
/// storage id (whose sync state the server keeps) or to claim a peer id already bound to
/// another user.
pub fn join_frame_with(name: &str, storage_id: Option<StorageId>, ephemeral: bool) -> Vec<u8> {
    encode(&Message::Join {
        sender_id: name.parse::<PeerId>().expect("peer id"),
        peer_metadata: PeerMetadata {
            storage_id,
            is_ephemeral: ephemeral,
        },
        supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
    })
}

/// Sends one binary frame.
pub async fn send_binary(socket: &mut RawSocket, bytes: Vec<u8>) {
    socket
        .send(WsMessage::Binary(bytes.into()))
        .await
        .expect("send frame");
}

/// Reads until the server closes the socket; returns its close code (`None` if it dropped the
/// connection without a close frame). Other frames are skipped.
pub async fn close_code(socket: &mut RawSocket) -> Option<u16> {
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(WsMessage::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// The next decoded protocol message, skipping pings.
pub async fn next_message(socket: &mut RawSocket) -> Option<Message> {
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(WsMessage::Binary(bytes)) => {
                return enlace_core::wire::decode(&bytes, &Default::default()).ok();
            }
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    None
}
