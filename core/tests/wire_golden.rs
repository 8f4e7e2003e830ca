//! Every frame of a real capture between stock automerge-repo JS clients and the JS sync server
//! decodes to the expected message, and re-encodes to the very same bytes.
//!
//! The capture summarised two 302-byte sync frames without their hex; those are not here.

use enlace_core::wire::{DecodeLimits, Message, PROTOCOL_V1, PeerMetadata, decode, encode};
use enlace_core::{DocumentId, PeerId, StorageId};

const FRAMES: &str = include_str!("data/wire-transcript-frames.txt");

const DOC: &str = "tLNwR8HPtc32hk1Bvh1E8UHsd5X";
const MISSING_DOC: &str = "2APp62HLhx67PjH7Xzc5Qu6iPa6x";
const SERVER: &str = "storage-server-test";
const SERVER_STORAGE: &str = "359cb1cf-a7c3-4dff-92d6-49525dd660e9";
const PHONE_STORAGE: &str = "eb9d1bc9-89be-4400-9ce7-e87128ca5344";

struct Frame {
    name: String,
    bytes: Vec<u8>,
}

fn frames() -> Vec<Frame> {
    FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "bad line {l:?}");
            Frame {
                name: parts[1].to_owned(),
                bytes: hex(parts[2]),
            }
        })
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn peer(s: &str) -> PeerId {
    s.parse().expect("peer id")
}

fn doc(s: &str) -> DocumentId {
    s.parse().expect("document id")
}

fn storage(s: &str) -> Option<StorageId> {
    Some(s.parse().expect("storage id"))
}

/// The data of a sync or request frame, checked against the capture's summary (length, first
/// byte) and returned so the whole message can be compared.
fn data(m: &Message, len: usize, first: u8) -> Vec<u8> {
    let data = match m {
        Message::Sync { data, .. } | Message::Request { data, .. } => data,
        other => panic!("expected sync or request, got {other:?}"),
    };
    assert_eq!(data.len(), len);
    assert_eq!(data[0], first);
    data.clone()
}

fn sync(from: &str, to: &str, document: &str, data: Vec<u8>) -> Message {
    Message::Sync {
        sender_id: peer(from),
        target_id: peer(to),
        document_id: doc(document),
        data,
    }
}

/// Whoever sent a frame, the capture's JSON says what it contains.
fn expected(name: &str, got: &Message) -> Message {
    let server_meta = PeerMetadata {
        storage_id: storage(SERVER_STORAGE),
        is_ephemeral: false,
    };
    let request = |document: &str| Message::Request {
        sender_id: peer("laptop-B"),
        target_id: peer(SERVER),
        document_id: doc(document),
        data: hex("42000001000000020284"),
    };
    let ephemeral = |to: &str| Message::Ephemeral {
        sender_id: peer("laptop-B"),
        target_id: peer(to),
        document_id: doc(DOC),
        // The app's own CBOR, {cursor: 3}, kept opaque.
        data: hex("b9000166637572736f7203"),
        count: 1,
        session_id: "vc9wd5toz5f".into(),
    };
    match name {
        "01-join" => Message::Join {
            sender_id: peer("phone-A"),
            peer_metadata: PeerMetadata {
                storage_id: storage(PHONE_STORAGE),
                is_ephemeral: false,
            },
            supported_protocol_versions: Some(vec![PROTOCOL_V1.into()]),
        },
        "02-peer" | "08-peer" => Message::Peer {
            sender_id: peer(SERVER),
            target_id: peer(if name == "02-peer" {
                "phone-A"
            } else {
                "laptop-B"
            }),
            peer_metadata: server_meta,
            selected_protocol_version: PROTOCOL_V1.into(),
        },
        "03-sync" => sync("phone-A", SERVER, DOC, data(got, 48, 0x42)),
        "04-sync" => sync(SERVER, "phone-A", DOC, data(got, 42, 0x43)),
        "06-sync" => sync(SERVER, "phone-A", DOC, data(got, 74, 0x43)),
        "07-join" => Message::Join {
            sender_id: peer("laptop-B"),
            // The ephemeral client sends `storageId: undefined`.
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: true,
            },
            supported_protocol_versions: Some(vec![PROTOCOL_V1.into()]),
        },
        "09-request" => request(DOC),
        "11-sync" => sync("laptop-B", SERVER, DOC, data(got, 74, 0x43)),
        "12-sync" | "14-sync" => sync(SERVER, "laptop-B", DOC, data(got, 74, 0x43)),
        "13-sync" => sync("laptop-B", SERVER, DOC, data(got, 272, 0x43)),
        "15-sync" => sync(SERVER, "phone-A", DOC, data(got, 272, 0x43)),
        "16-sync" => sync("phone-A", SERVER, DOC, data(got, 74, 0x43)),
        "17-ephemeral" | "19-ephemeral" => ephemeral(SERVER),
        "18-ephemeral" => ephemeral("phone-A"),
        "20-request" => request(MISSING_DOC),
        "21-sync" => sync(SERVER, "laptop-B", MISSING_DOC, data(got, 25, 0x43)),
        "22-doc-unavailable" => Message::DocUnavailable {
            sender_id: peer(SERVER),
            target_id: peer("laptop-B"),
            document_id: doc(MISSING_DOC),
        },
        other => panic!("no expectation for frame {other}"),
    }
}

#[test]
fn every_captured_frame_decodes_to_the_expected_message() {
    let frames = frames();
    assert_eq!(frames.len(), 20, "all frames with hex in the capture");
    for f in &frames {
        let got = decode(&f.bytes, &DecodeLimits::default())
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.name));
        assert_eq!(got, expected(&f.name, &got), "frame {}", f.name);
        assert_eq!(
            got.type_name(),
            f.name.split_once('-').map(|(_, t)| t).unwrap_or(""),
            "frame {}",
            f.name
        );
    }
}

#[test]
fn every_captured_frame_re_encodes_to_the_same_message() {
    for f in frames() {
        let msg = decode(&f.bytes, &DecodeLimits::default()).expect("decodes");
        let again = decode(&encode(&msg), &DecodeLimits::default()).expect("re-decodes");
        assert_eq!(again, msg, "frame {}", f.name);
    }
}

#[test]
fn every_captured_frame_re_encodes_byte_for_byte() {
    for f in frames() {
        let msg = decode(&f.bytes, &DecodeLimits::default()).expect("decodes");
        assert_eq!(hex_of(&encode(&msg)), hex_of(&f.bytes), "frame {}", f.name);
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
