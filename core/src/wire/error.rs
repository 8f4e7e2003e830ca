//! Why a frame could not be decoded.

use crate::ids::IdError;

use super::limits::Limit;

/// Why [`decode`](super::decode) refused a frame.
///
/// A websocket frame arrives whole, so there is no "need more bytes": a frame that ends inside a
/// CBOR item is [`DecodeError::Truncated`], i.e. invalid. [`DecodeError::UnknownType`] is kept
/// apart from the rest because the engine ignores messages of types it does not know (newer
/// clients may send them) while it treats every other error as a misbehaving peer.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The frame is larger than [`DecodeLimits::max_frame_bytes`](super::DecodeLimits).
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The frame is empty or ends inside a CBOR item.
    #[error("frame is empty or ends inside a CBOR item")]
    Truncated,
    /// The bytes are not well-formed CBOR (or not of a shape this codec reads at all).
    #[error("malformed CBOR")]
    Malformed(#[source] minicbor::decode::Error),
    /// The frame's top-level item is not a map.
    #[error("frame is not a CBOR map")]
    NotAMap,
    /// A field the message type requires is absent (or `null`/`undefined`).
    #[error("missing field {0:?}")]
    MissingField(&'static str),
    /// A field is present but its value is unusable.
    #[error("invalid field {field:?}")]
    InvalidField {
        /// The field's wire name.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        reason: FieldError,
    },
    /// The same key appears twice in one map; which one counts would be ambiguous.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    /// The `type` is not one this codec knows. Ignorable: newer peers may send new types.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// The frame exceeds one of the [`DecodeLimits`](super::DecodeLimits).
    #[error("limit exceeded: {what}")]
    LimitExceeded {
        /// Which limit.
        what: Limit,
    },
    /// Bytes follow the message's map inside the same frame.
    #[error("trailing bytes after the message")]
    TrailingBytes,
}

/// What is wrong with a field's value.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// The value has the wrong CBOR type.
    #[error("expected {0}")]
    Expected(&'static str),
    /// A count or timestamp that is negative, fractional, NaN, infinite or too large.
    #[error("not a non-negative integer")]
    NotAnInteger,
    /// Text that is not valid UTF-8, or a chunked string with a non-text chunk.
    #[error("invalid text")]
    Text(#[source] minicbor::decode::Error),
    /// A document, peer or storage id that does not parse.
    #[error(transparent)]
    Id(#[from] IdError),
}

impl DecodeError {
    /// The error for a field of the wrong CBOR type.
    pub(crate) fn expected(field: &'static str, what: &'static str) -> Self {
        DecodeError::InvalidField {
            field,
            reason: FieldError::Expected(what),
        }
    }
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(e: minicbor::decode::Error) -> Self {
        if e.is_end_of_input() {
            DecodeError::Truncated
        } else {
            DecodeError::Malformed(e)
        }
    }
}
