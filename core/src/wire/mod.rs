//! The automerge-repo wire protocol: message values and their CBOR codec. Pure: no sockets.

mod message;

pub use message::{Message, PROTOCOL_V1, PeerMetadata, RemoteHeads};
