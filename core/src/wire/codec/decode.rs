//! Frame bytes to [`Message`].

use minicbor::decode::Decoder;

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::wire::error::{DecodeError, FieldError};
use crate::wire::limits::DecodeLimits;
use crate::wire::message::{ChangedDocument, Message, PROTOCOL_V1, PeerMetadata, RemoteHeads};

use super::fields::Fields;
use super::keys::*;
use super::value;

/// Decodes one frame (one binary websocket message) into a [`Message`].
///
/// Tolerant of everything the JS encoder really sends (see the [module docs](crate::wire)),
/// strict about structure and [`DecodeLimits`]. Never panics, whatever the input.
pub fn decode(frame: &[u8], limits: &DecodeLimits) -> Result<Message, DecodeError> {
    if frame.len() > limits.max_frame_bytes {
        return Err(DecodeError::FrameTooLarge {
            len: frame.len(),
            max: limits.max_frame_bytes,
        });
    }
    let mut d = Decoder::new(frame);
    let fields = Fields::scan(&mut d, limits, 1, || DecodeError::NotAMap)?;
    value::expect_end(&d)?;
    let r = Reader { fields, limits };
    let ty = r.text(TYPE)?;
    match ty.as_str() {
        T_JOIN => r.join(),
        T_PEER => r.peer(),
        T_SYNC => {
            let (sender_id, target_id, document_id, data) = r.doc_data()?;
            Ok(Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            })
        }
        T_REQUEST => {
            let (sender_id, target_id, document_id, data) = r.doc_data()?;
            Ok(Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            })
        }
        T_DOC_UNAVAILABLE => Ok(Message::DocUnavailable {
            sender_id: r.peer_id(SENDER_ID)?,
            target_id: r.peer_id(TARGET_ID)?,
            document_id: r.document_id()?,
        }),
        T_EPHEMERAL => r.ephemeral(),
        T_REMOTE_SUBSCRIPTION_CHANGE => Ok(Message::RemoteSubscriptionChange {
            sender_id: r.peer_id(SENDER_ID)?,
            target_id: r.peer_id(TARGET_ID)?,
            add: r.storage_ids(ADD)?,
            remove: r.storage_ids(REMOVE)?,
        }),
        T_REMOTE_HEADS_CHANGED => r.remote_heads_changed(),
        T_CHANGES_REQUEST => Ok(Message::ChangesRequest {
            sender_id: r.peer_id(SENDER_ID)?,
            target_id: r.peer_id(TARGET_ID)?,
            since: r.uint(SINCE)?,
            limit: r.uint(LIMIT)?,
        }),
        T_CHANGES => r.changes(),
        T_REFUSED => Ok(Message::Refused {
            sender_id: r.peer_id(SENDER_ID)?,
            target_id: r.peer_id(TARGET_ID)?,
            document_id: r.document_id()?,
            code: r.text(CODE)?,
            message: r.text(MESSAGE)?,
        }),
        T_LEAVE => Ok(Message::Leave {
            sender_id: r.peer_id(SENDER_ID)?,
        }),
        // The JS server adds senderId and targetId; the client only logs the message.
        T_ERROR => Ok(Message::Error {
            message: r.text(MESSAGE)?,
        }),
        _ => Err(DecodeError::UnknownType(ty)),
    }
}

/// Typed access to one map's fields.
struct Reader<'a, 'b> {
    fields: Fields<'b>,
    limits: &'a DecodeLimits,
}

impl<'a, 'b> Reader<'a, 'b> {
    fn text(&self, key: &'static str) -> Result<String, DecodeError> {
        let mut d = self.fields.require(key)?;
        Ok(value::text(&mut d, key, self.limits)?.into_owned())
    }

    fn peer_id(&self, key: &'static str) -> Result<PeerId, DecodeError> {
        let s = self.text(key)?;
        PeerId::try_from(s).map_err(|e| invalid(key, e.into()))
    }

    fn document_id(&self) -> Result<DocumentId, DecodeError> {
        let s = self.text(DOCUMENT_ID)?;
        s.parse()
            .map_err(|e: crate::ids::IdError| invalid(DOCUMENT_ID, e.into()))
    }

    fn data(&self) -> Result<Vec<u8>, DecodeError> {
        let mut d = self.fields.require(DATA)?;
        value::bytes(&mut d, DATA, self.limits)
    }

    fn uint(&self, key: &'static str) -> Result<u64, DecodeError> {
        let mut d = self.fields.require(key)?;
        value::uint(&mut d, key)
    }

    fn doc_data(&self) -> Result<(PeerId, PeerId, DocumentId, Vec<u8>), DecodeError> {
        Ok((
            self.peer_id(SENDER_ID)?,
            self.peer_id(TARGET_ID)?,
            self.document_id()?,
            self.data()?,
        ))
    }

    fn join(&self) -> Result<Message, DecodeError> {
        let supported_protocol_versions = match self.fields.get(SUPPORTED_PROTOCOL_VERSIONS)? {
            None => None,
            Some(mut d) => {
                let key = SUPPORTED_PROTOCOL_VERSIONS;
                Some(value::array(&mut d, key, self.limits, |d| {
                    Ok(value::text(d, key, self.limits)?.into_owned())
                })?)
            }
        };
        Ok(Message::Join {
            sender_id: self.peer_id(SENDER_ID)?,
            peer_metadata: self.peer_metadata()?,
            supported_protocol_versions,
        })
    }

    fn peer(&self) -> Result<Message, DecodeError> {
        // Peers from before protocol versioning omit the version; "1" is what they spoke.
        let selected_protocol_version = match self.fields.get(SELECTED_PROTOCOL_VERSION)? {
            None => PROTOCOL_V1.to_owned(),
            Some(mut d) => {
                value::text(&mut d, SELECTED_PROTOCOL_VERSION, self.limits)?.into_owned()
            }
        };
        Ok(Message::Peer {
            sender_id: self.peer_id(SENDER_ID)?,
            target_id: self.peer_id(TARGET_ID)?,
            peer_metadata: self.peer_metadata()?,
            selected_protocol_version,
        })
    }

    /// `peerMetadata`, whose absence (older clients) means the default: no storage, not
    /// ephemeral.
    fn peer_metadata(&self) -> Result<PeerMetadata, DecodeError> {
        let Some(mut d) = self.fields.get(PEER_METADATA)? else {
            return Ok(PeerMetadata::default());
        };
        let inner = self.nested(&mut d, PEER_METADATA)?;
        let storage_id = match inner.fields.get(STORAGE_ID)? {
            None => None,
            Some(mut d) => Some(storage_id(&mut d, STORAGE_ID, self.limits)?),
        };
        let is_ephemeral = match inner.fields.get(IS_EPHEMERAL)? {
            None => false,
            Some(mut d) => value::boolean(&mut d, IS_EPHEMERAL)?,
        };
        Ok(PeerMetadata {
            storage_id,
            is_ephemeral,
        })
    }

    fn ephemeral(&self) -> Result<Message, DecodeError> {
        let (sender_id, target_id, document_id, data) = self.doc_data()?;
        Ok(Message::Ephemeral {
            sender_id,
            target_id,
            document_id,
            data,
            count: self.uint(COUNT)?,
            session_id: self.text(SESSION_ID)?,
        })
    }

    /// `add` or `remove`: absent means none.
    fn storage_ids(&self, key: &'static str) -> Result<Vec<StorageId>, DecodeError> {
        match self.fields.get(key)? {
            None => Ok(Vec::new()),
            Some(mut d) => value::array(&mut d, key, self.limits, |d| {
                storage_id(d, key, self.limits)
            }),
        }
    }

    fn remote_heads_changed(&self) -> Result<Message, DecodeError> {
        let mut d = self.fields.require(NEW_HEADS)?;
        let by_storage = self.nested(&mut d, NEW_HEADS)?;
        let mut new_heads = Vec::new();
        for (key, mut d) in by_storage.fields.iter() {
            let storage_id =
                StorageId::try_from(key.to_owned()).map_err(|e| invalid(NEW_HEADS, e.into()))?;
            let entry = by_storage.nested(&mut d, NEW_HEADS)?;
            let mut heads_d = entry.fields.require(HEADS)?;
            let heads = value::array(&mut heads_d, HEADS, self.limits, |d| {
                Ok(value::text(d, HEADS, self.limits)?.into_owned())
            })?;
            new_heads.push(RemoteHeads {
                storage_id,
                heads,
                timestamp: entry.uint(TIMESTAMP)?,
            });
        }
        Ok(Message::RemoteHeadsChanged {
            sender_id: self.peer_id(SENDER_ID)?,
            target_id: self.peer_id(TARGET_ID)?,
            document_id: self.document_id()?,
            new_heads,
        })
    }

    fn changes(&self) -> Result<Message, DecodeError> {
        let mut d = self.fields.require(CHANGES)?;
        // The array is one level below this map, its entries one more.
        let entry_depth = self.fields.depth() + 2;
        let changes = value::array(&mut d, CHANGES, self.limits, |d| {
            let fields = Fields::scan(d, self.limits, entry_depth, || {
                DecodeError::expected(CHANGES, "map")
            })?;
            let entry = Reader {
                fields,
                limits: self.limits,
            };
            let mut heads_d = entry.fields.require(HEADS)?;
            let heads = value::array(&mut heads_d, HEADS, self.limits, |d| {
                Ok(value::text(d, HEADS, self.limits)?.into_owned())
            })?;
            Ok(ChangedDocument {
                document_id: entry.document_id()?,
                heads,
            })
        })?;
        let cursor = match self.fields.get(CURSOR)? {
            None => None,
            Some(mut d) => Some(value::uint(&mut d, CURSOR)?),
        };
        let more = match self.fields.get(MORE)? {
            None => false,
            Some(mut d) => value::boolean(&mut d, MORE)?,
        };
        Ok(Message::Changes {
            sender_id: self.peer_id(SENDER_ID)?,
            target_id: self.peer_id(TARGET_ID)?,
            changes,
            cursor,
            more,
        })
    }

    /// The map value at `d`, one level deeper than this one.
    fn nested(
        &self,
        d: &mut Decoder<'b>,
        key: &'static str,
    ) -> Result<Reader<'a, 'b>, DecodeError> {
        let fields = Fields::scan(d, self.limits, self.fields.depth() + 1, || {
            DecodeError::expected(key, "map")
        })?;
        Ok(Reader {
            fields,
            limits: self.limits,
        })
    }
}

fn storage_id(
    d: &mut Decoder<'_>,
    field: &'static str,
    limits: &DecodeLimits,
) -> Result<StorageId, DecodeError> {
    let s = value::text(d, field, limits)?.into_owned();
    StorageId::try_from(s).map_err(|e| invalid(field, e.into()))
}

fn invalid(field: &'static str, reason: FieldError) -> DecodeError {
    DecodeError::InvalidField { field, reason }
}
