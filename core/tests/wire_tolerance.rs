//! The decoder accepts what real JS peers send even where it differs from what we send:
//! minimal or non-minimal headers, any key order, `undefined`/`null` for absent, integral floats,
//! unknown keys with arbitrary values, indefinite lengths, legacy ids.

#![allow(clippy::unwrap_used)]

use enlace_core::wire::{
    DecodeError, DecodeLimits, FieldError, Message, PROTOCOL_V1, PeerMetadata, RemoteHeads, decode,
    encode,
};
use enlace_core::{DocumentId, PeerId, StorageId};
use minicbor::Encoder;
use minicbor::data::Tag;

const DOC: &str = "tLNwR8HPtc32hk1Bvh1E8UHsd5X";

fn peer(s: &str) -> PeerId {
    s.parse().expect("peer id")
}

fn doc() -> DocumentId {
    DOC.parse().expect("document id")
}

fn dec(frame: &[u8]) -> Result<Message, DecodeError> {
    decode(frame, &DecodeLimits::default())
}

fn sync_msg() -> Message {
    Message::Sync {
        sender_id: peer("phone-A"),
        target_id: peer("server"),
        document_id: doc(),
        data: vec![0x42, 1, 2, 3],
    }
}

/// An ephemeral frame with minimal headers whose `count` is written by `count`.
fn ephemeral_with_count(count: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(7).unwrap();
    e.str("count").unwrap();
    count(&mut e);
    e.str("type").unwrap().str("ephemeral").unwrap();
    e.str("senderId").unwrap().str("laptop-B").unwrap();
    e.str("targetId").unwrap().str("server").unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("sessionId").unwrap().str("s1").unwrap();
    e.str("data").unwrap().bytes(&[0xa0]).unwrap();
    e.into_writer()
}

fn ephemeral_count(frame: &[u8]) -> Result<u64, DecodeError> {
    match dec(frame)? {
        Message::Ephemeral { count, .. } => Ok(count),
        other => panic!("not ephemeral: {other:?}"),
    }
}

#[test]
fn minimal_headers_and_shuffled_keys_decode() {
    let mut e = Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("senderId").unwrap().str("phone-A").unwrap();
    e.str("data").unwrap().bytes(&[0x42, 1, 2, 3]).unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("targetId").unwrap().str("server").unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    assert_eq!(dec(e.writer()).unwrap(), sync_msg());
}

#[test]
fn indefinite_lengths_decode() {
    let mut e = Encoder::new(Vec::new());
    e.begin_map().unwrap();
    e.begin_str()
        .unwrap()
        .str("ty")
        .unwrap()
        .str("pe")
        .unwrap()
        .end()
        .unwrap();
    e.str("sync").unwrap();
    e.str("senderId").unwrap().str("phone-A").unwrap();
    e.str("targetId").unwrap();
    e.begin_str()
        .unwrap()
        .str("ser")
        .unwrap()
        .str("ver")
        .unwrap()
        .end()
        .unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("data").unwrap();
    e.begin_bytes()
        .unwrap()
        .bytes(&[0x42, 1])
        .unwrap()
        .bytes(&[2, 3])
        .unwrap()
        .end()
        .unwrap();
    e.end().unwrap();
    assert_eq!(dec(e.writer()).unwrap(), sync_msg());
}

#[test]
fn undefined_and_null_mean_absent() {
    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("join").unwrap();
    e.str("senderId").unwrap().str("c").unwrap();
    e.str("peerMetadata").unwrap().map(2).unwrap();
    e.str("storageId").unwrap().null().unwrap();
    e.str("isEphemeral").unwrap().undefined().unwrap();
    e.str("supportedProtocolVersions")
        .unwrap()
        .undefined()
        .unwrap();
    assert_eq!(
        dec(e.writer()).unwrap(),
        Message::Join {
            sender_id: peer("c"),
            peer_metadata: PeerMetadata::default(),
            supported_protocol_versions: None,
        }
    );

    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type")
        .unwrap()
        .str("remote-subscription-change")
        .unwrap();
    e.str("senderId").unwrap().str("c").unwrap();
    e.str("targetId").unwrap().str("s").unwrap();
    e.str("add").unwrap().undefined().unwrap();
    assert_eq!(
        dec(e.writer()).unwrap(),
        Message::RemoteSubscriptionChange {
            sender_id: peer("c"),
            target_id: peer("s"),
            add: vec![],
            remove: vec![],
        }
    );
}

#[test]
fn required_field_as_undefined_is_missing() {
    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("doc-unavailable").unwrap();
    e.str("senderId").unwrap().str("c").unwrap();
    e.str("targetId").unwrap().str("s").unwrap();
    e.str("documentId").unwrap().undefined().unwrap();
    assert!(matches!(
        dec(e.writer()),
        Err(DecodeError::MissingField("documentId"))
    ));
}

#[test]
fn peer_metadata_and_version_may_be_absent() {
    let mut e = Encoder::new(Vec::new());
    e.map(3).unwrap();
    e.str("type").unwrap().str("peer").unwrap();
    e.str("senderId").unwrap().str("s").unwrap();
    e.str("targetId").unwrap().str("c").unwrap();
    assert_eq!(
        dec(e.writer()).unwrap(),
        Message::Peer {
            sender_id: peer("s"),
            target_id: peer("c"),
            peer_metadata: PeerMetadata::default(),
            selected_protocol_version: PROTOCOL_V1.into(),
        }
    );
}

#[test]
fn integral_floats_are_integers() {
    let f64_frame = ephemeral_with_count(|e| {
        e.f64(7.0).unwrap();
    });
    assert_eq!(ephemeral_count(&f64_frame).unwrap(), 7);
    let f32_frame = ephemeral_with_count(|e| {
        e.f32(7.0).unwrap();
    });
    assert_eq!(ephemeral_count(&f32_frame).unwrap(), 7);
    let u64_frame = ephemeral_with_count(|e| {
        e.writer_mut()
            .extend_from_slice(&[0x1b, 0, 0, 0, 0, 0, 0, 0, 7]);
    });
    assert_eq!(ephemeral_count(&u64_frame).unwrap(), 7);
    // Half floats: 1.0 is 0x3c00, 2048.0 is 0x6800.
    for (bits, want) in [([0x3c, 0x00], 1), ([0x68, 0x00], 2048), ([0x00, 0x00], 0)] {
        let frame = ephemeral_with_count(|e| {
            e.writer_mut().extend_from_slice(&[0xf9, bits[0], bits[1]]);
        });
        assert_eq!(ephemeral_count(&frame).unwrap(), want);
    }
}

#[test]
fn non_integral_counts_are_refused() {
    for bad in [
        1.5,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        18_446_744_073_709_551_616.0,
    ] {
        let frame = ephemeral_with_count(|e| {
            e.f64(bad).unwrap();
        });
        assert!(
            matches!(
                ephemeral_count(&frame),
                Err(DecodeError::InvalidField {
                    field: "count",
                    reason: FieldError::NotAnInteger
                })
            ),
            "{bad}"
        );
    }
    let negative = ephemeral_with_count(|e| {
        e.i64(-3).unwrap();
    });
    assert!(matches!(
        ephemeral_count(&negative),
        Err(DecodeError::InvalidField {
            reason: FieldError::NotAnInteger,
            ..
        })
    ));
    let text = ephemeral_with_count(|e| {
        e.str("1").unwrap();
    });
    assert!(matches!(
        ephemeral_count(&text),
        Err(DecodeError::InvalidField {
            reason: FieldError::Expected(_),
            ..
        })
    ));
}

#[test]
fn unknown_keys_with_nested_values_are_skipped() {
    let mut e = Encoder::new(Vec::new());
    e.map(9).unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    e.str("future").unwrap().array(3).unwrap();
    e.map(1)
        .unwrap()
        .str("a")
        .unwrap()
        .array(2)
        .unwrap()
        .u8(1)
        .unwrap()
        .null()
        .unwrap();
    e.tag(Tag::new(64)).unwrap().bytes(&[1, 2]).unwrap();
    e.begin_map()
        .unwrap()
        .u8(1)
        .unwrap()
        .begin_array()
        .unwrap()
        .end()
        .unwrap()
        .end()
        .unwrap();
    e.str("senderId").unwrap().str("phone-A").unwrap();
    e.u32(99).unwrap().str("non-text key").unwrap();
    e.str("targetId").unwrap().str("server").unwrap();
    e.str("float").unwrap().f64(0.5).unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("empty").unwrap().map(0).unwrap();
    e.str("data").unwrap().bytes(&[0x42, 1, 2, 3]).unwrap();
    assert_eq!(dec(e.writer()).unwrap(), sync_msg());
}

#[test]
fn legacy_uuid_document_ids_are_accepted() {
    let id = doc();
    let legacy = id.as_uuid().hyphenated().to_string();
    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("doc-unavailable").unwrap();
    e.str("senderId").unwrap().str("s").unwrap();
    e.str("targetId").unwrap().str("c").unwrap();
    e.str("documentId").unwrap().str(&legacy).unwrap();
    assert_eq!(dec(e.writer()).unwrap().document_id(), Some(id));
}

#[test]
fn the_js_servers_error_message_decodes() {
    // As the JS server sends it: type, senderId, message, targetId.
    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("error").unwrap();
    e.str("senderId").unwrap().str("s").unwrap();
    e.str("message")
        .unwrap()
        .str("unsupported protocol version")
        .unwrap();
    e.str("targetId").unwrap().str("c").unwrap();
    assert_eq!(
        dec(e.writer()).unwrap(),
        Message::Error {
            message: "unsupported protocol version".into()
        }
    );
}

#[test]
fn remote_heads_with_float_timestamp_decode() {
    let mut e = Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type").unwrap().str("remote-heads-changed").unwrap();
    e.str("targetId").unwrap().str("c").unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("newHeads").unwrap().map(1).unwrap();
    e.str("st-1").unwrap().map(2).unwrap();
    e.str("timestamp")
        .unwrap()
        .f64(1_752_000_000_123.0)
        .unwrap();
    e.str("heads")
        .unwrap()
        .array(1)
        .unwrap()
        .str("head58")
        .unwrap();
    e.str("senderId").unwrap().str("s").unwrap();
    let want = Message::RemoteHeadsChanged {
        sender_id: peer("s"),
        target_id: peer("c"),
        document_id: doc(),
        new_heads: vec![RemoteHeads {
            storage_id: "st-1".parse::<StorageId>().unwrap(),
            heads: vec!["head58".into()],
            timestamp: 1_752_000_000_123,
        }],
    };
    assert_eq!(dec(e.writer()).unwrap(), want);
    // And we write the timestamp the way cbor-x does: a 64-bit float.
    let ours = encode(&want);
    let f = 1_752_000_000_123f64.to_be_bytes();
    assert!(ours.windows(9).any(|w| w[0] == 0xfb && w[1..] == f));
}

#[test]
fn unknown_types_are_their_own_error() {
    let mut e = Encoder::new(Vec::new());
    e.map(2).unwrap();
    e.str("type").unwrap().str("presence-v9").unwrap();
    e.str("senderId").unwrap().str("c").unwrap();
    assert!(matches!(dec(e.writer()), Err(DecodeError::UnknownType(t)) if t == "presence-v9"));
}

#[test]
fn leave_decodes() {
    let mut e = Encoder::new(Vec::new());
    e.map(2).unwrap();
    e.str("type").unwrap().str("leave").unwrap();
    e.str("senderId").unwrap().str("c").unwrap();
    assert!(
        matches!(dec(e.writer()), Ok(Message::Leave { sender_id }) if sender_id.as_str() == "c")
    );
}
