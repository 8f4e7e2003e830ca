//! [`Message`] to frame bytes, laid out the way the JS client (cbor-x) lays them out.
//!
//! cbor-x writes every JS object as a map with a 2-byte length (`b9 00 NN`), because it writes
//! the header before counting the keys, and keeps the object's key insertion order; strings,
//! byte strings, arrays and integers get minimal headers; a number that does not fit in 32 bits
//! becomes a 64-bit float. Doing the same makes a re-encoded transcript frame byte-identical to
//! the original, which keeps golden tests exact and a JS peer's view of us indistinguishable
//! from the reference server.

use std::convert::Infallible;

use minicbor::encode::{Encoder, Error};

use crate::wire::message::{Message, PeerMetadata, RemoteHeads};

use super::keys::*;

type Enc = Encoder<Vec<u8>>;
type Res = Result<(), Error<Infallible>>;

/// Encodes a message as one frame (one binary websocket message).
pub fn encode(message: &Message) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    match write_message(&mut e, message) {
        Ok(()) => e.into_writer(),
        // Writing to a `Vec` cannot fail, and only `Encode` impls (unused here) make other errors.
        Err(err) => match err.into_write() {
            Some(never) => match never {},
            None => Vec::new(),
        },
    }
}

/// A JS object's map header: always the 2-byte length form.
fn object(e: &mut Enc, len: u8) -> Res {
    e.writer_mut().extend_from_slice(&[0xb9, 0, len]);
    Ok(())
}

fn key_str(e: &mut Enc, key: &str, value: &str) -> Res {
    e.str(key)?.str(value)?;
    Ok(())
}

/// A JS number: an integer up to 2^32 - 1, else a float (exact up to 2^53, beyond which JS
/// cannot hold the value anyway, so such values are sent as 64-bit integers).
fn number(e: &mut Enc, n: u64) -> Res {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    if n <= u64::from(u32::MAX) || n > MAX_SAFE {
        e.u64(n)?;
    } else {
        // n < 2^53, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        e.f64(n as f64)?;
    }
    Ok(())
}

fn peer_metadata(e: &mut Enc, m: &PeerMetadata) -> Res {
    object(e, 2)?;
    e.str(STORAGE_ID)?;
    // The JS client sends the key with `undefined` when it has no storage.
    match &m.storage_id {
        Some(id) => e.str(id.as_str())?,
        None => e.undefined()?,
    };
    e.str(IS_EPHEMERAL)?.bool(m.is_ephemeral)?;
    Ok(())
}

fn remote_heads(e: &mut Enc, heads: &[RemoteHeads]) -> Res {
    // More storages than a 2-byte length can count never happen; fall back to a minimal header.
    match u8::try_from(heads.len()) {
        Ok(n) => object(e, n)?,
        Err(_) => {
            e.map(heads.len() as u64)?;
        }
    }
    for h in heads {
        e.str(h.storage_id.as_str())?;
        object(e, 2)?;
        e.str(HEADS)?.array(h.heads.len() as u64)?;
        for head in &h.heads {
            e.str(head)?;
        }
        e.str(TIMESTAMP)?;
        number(e, h.timestamp)?;
    }
    Ok(())
}

fn write_message(e: &mut Enc, message: &Message) -> Res {
    match message {
        Message::Join {
            sender_id,
            peer_metadata: meta,
            supported_protocol_versions,
        } => {
            object(
                e,
                if supported_protocol_versions.is_some() {
                    4
                } else {
                    3
                },
            )?;
            key_str(e, TYPE, T_JOIN)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
            e.str(PEER_METADATA)?;
            peer_metadata(e, meta)?;
            if let Some(versions) = supported_protocol_versions {
                e.str(SUPPORTED_PROTOCOL_VERSIONS)?
                    .array(versions.len() as u64)?;
                for v in versions {
                    e.str(v)?;
                }
            }
        }
        Message::Peer {
            sender_id,
            target_id,
            peer_metadata: meta,
            selected_protocol_version,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_PEER)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
            e.str(PEER_METADATA)?;
            peer_metadata(e, meta)?;
            key_str(e, SELECTED_PROTOCOL_VERSION, selected_protocol_version)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
        }
        Message::Sync {
            sender_id,
            target_id,
            document_id,
            data,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_SYNC)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            e.str(DATA)?.bytes(data)?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::Request {
            sender_id,
            target_id,
            document_id,
            data,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_REQUEST)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            e.str(DATA)?.bytes(data)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::DocUnavailable {
            sender_id,
            target_id,
            document_id,
        } => {
            object(e, 4)?;
            key_str(e, TYPE, T_DOC_UNAVAILABLE)?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::Ephemeral {
            sender_id,
            target_id,
            document_id,
            data,
            count,
            session_id,
        } => {
            object(e, 7)?;
            key_str(e, TYPE, T_EPHEMERAL)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            e.str(DATA)?.bytes(data)?;
            e.str(COUNT)?;
            number(e, *count)?;
            key_str(e, SESSION_ID, session_id)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::RemoteSubscriptionChange {
            sender_id,
            target_id,
            add,
            remove,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_REMOTE_SUBSCRIPTION_CHANGE)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            for (key, ids) in [(ADD, add), (REMOVE, remove)] {
                e.str(key)?.array(ids.len() as u64)?;
                for id in ids {
                    e.str(id.as_str())?;
                }
            }
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::RemoteHeadsChanged {
            sender_id,
            target_id,
            document_id,
            new_heads,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_REMOTE_HEADS_CHANGED)?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            e.str(NEW_HEADS)?;
            remote_heads(e, new_heads)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::ChangesRequest {
            sender_id,
            target_id,
            since,
            limit,
        } => {
            object(e, 5)?;
            key_str(e, TYPE, T_CHANGES_REQUEST)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            e.str(SINCE)?;
            number(e, *since)?;
            e.str(LIMIT)?;
            number(e, *limit)?;
        }
        Message::Changes {
            sender_id,
            target_id,
            changes,
            cursor,
            more,
        } => {
            object(e, if cursor.is_some() { 6 } else { 5 })?;
            key_str(e, TYPE, T_CHANGES)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            e.str(CHANGES)?.array(changes.len() as u64)?;
            for change in changes {
                object(e, 2)?;
                key_str(e, DOCUMENT_ID, &change.document_id.to_string())?;
                e.str(HEADS)?.array(change.heads.len() as u64)?;
                for head in &change.heads {
                    e.str(head)?;
                }
            }
            if let Some(cursor) = cursor {
                e.str(CURSOR)?;
                number(e, *cursor)?;
            }
            e.str(MORE)?.bool(*more)?;
        }
        Message::Refused {
            sender_id,
            target_id,
            document_id,
            code,
            message,
        } => {
            object(e, 6)?;
            key_str(e, TYPE, T_REFUSED)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
            key_str(e, TARGET_ID, target_id.as_str())?;
            key_str(e, DOCUMENT_ID, &document_id.to_string())?;
            key_str(e, CODE, code)?;
            key_str(e, MESSAGE, message)?;
        }
        Message::Leave { sender_id } => {
            object(e, 2)?;
            key_str(e, TYPE, T_LEAVE)?;
            key_str(e, SENDER_ID, sender_id.as_str())?;
        }
        Message::Error { message } => {
            object(e, 2)?;
            key_str(e, TYPE, T_ERROR)?;
            key_str(e, MESSAGE, message)?;
        }
    }
    Ok(())
}
