//! The automerge-repo wire protocol: message values and their CBOR codec.
//!
//! Pure: no sockets, no async runtime. A frame is one binary websocket message, which arrives
//! whole, so [`decode`] either yields a [`Message`] or says why the frame is invalid; there is no
//! "need more bytes".
//!
//! # Tolerance
//! The decoder accepts what the JS client (cbor-x) really sends, and a little more, because a
//! stock client must never be cut off for a harmless encoding choice:
//! - keys in any order, map and string headers of any (non-minimal) width, indefinite-length
//!   maps, arrays, strings and byte strings;
//! - `null` and `undefined` wherever a field is optional, meaning "absent" (cbor-x writes
//!   `undefined` for unset properties such as an ephemeral peer's `storageId`);
//! - `count` and `timestamp` as floats (JS numbers past 2^32 are floats on the wire) as long as
//!   they are integral, non-negative and finite;
//! - unknown keys, whose values are skipped; an unknown `type` is its own error,
//!   [`DecodeError::UnknownType`], so the engine can ignore it.
//!
//! # Limits
//! The peer is untrusted. Every frame is checked against [`DecodeLimits`] (frame size, map
//! entries, array items, text and data lengths, nesting depth) and against the bytes actually
//! present before anything is allocated for a declared length. Unknown values are skipped with
//! an explicit, depth-bounded stack rather than recursion, so hostile nesting is an error, not a
//! stack overflow. Duplicate keys are refused. Decoding never panics.
//!
//! # Compressed and hostile automerge data
//! A frame's `data` is automerge's, which automerge 0.12 parses trustingly: it inflates deflate
//! data without bound and trusts bloom filter parameters. [`check_automerge_bytes`] and
//! [`check_sync_message`] refuse such data before automerge sees it, allocating nothing.
//!
//! # Encoding
//! [`encode`] writes what cbor-x writes for the same JS object, key order included, so the
//! frames of a real capture re-encode byte for byte.
//!
//! ```
//! use enlace_core::wire::{DecodeLimits, Message, decode, encode};
//!
//! let msg = Message::Error { message: "unsupported protocol version".into() };
//! let frame = encode(&msg);
//! assert_eq!(decode(&frame, &DecodeLimits::default()).ok(), Some(msg));
//! ```

pub mod codec;
mod error;
mod inflate;
mod limits;
mod message;
mod sync_guard;

pub use codec::{decode, encode};
pub use error::{DecodeError, FieldError};
pub use inflate::{InflateError, check_automerge_bytes};
pub use limits::{DecodeLimits, Limit, MAX_AUTOMERGE_BYTES};
pub use message::{ChangedDocument, Message, PROTOCOL_V1, PeerMetadata, RefusalCode, RemoteHeads};
pub use sync_guard::{
    MAX_BLOOM_PROBES, SyncDataError, UnsafeSyncMessage, check_sync_data, check_sync_message,
};
