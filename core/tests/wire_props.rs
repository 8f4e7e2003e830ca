//! Properties: decoding never panics, whatever the bytes; every message survives a round trip.

#![allow(clippy::unwrap_used)]

use enlace_core::wire::{DecodeLimits, Message, PeerMetadata, RemoteHeads, decode, encode};
use enlace_core::{DocumentId, PeerId, StorageId};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

const FRAMES: &str = include_str!("data/wire-transcript-frames.txt");

fn transcript_frames() -> Vec<Vec<u8>> {
    FRAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn name() -> impl Strategy<Value = String> {
    "\\PC{1,24}"
}

fn peer_id() -> impl Strategy<Value = PeerId> {
    name().prop_map(|s| s.parse().unwrap())
}

fn storage_id() -> impl Strategy<Value = StorageId> {
    name().prop_map(|s| s.parse().unwrap())
}

fn document_id() -> impl Strategy<Value = DocumentId> {
    any::<[u8; 16]>().prop_map(DocumentId::from_bytes)
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..64)
}

fn peer_metadata() -> impl Strategy<Value = PeerMetadata> {
    (proptest::option::of(storage_id()), any::<bool>()).prop_map(|(storage_id, is_ephemeral)| {
        PeerMetadata {
            storage_id,
            is_ephemeral,
        }
    })
}

fn message() -> impl Strategy<Value = Message> {
    let doc_data = || (peer_id(), peer_id(), document_id(), data());
    prop_oneof![
        (
            peer_id(),
            peer_metadata(),
            proptest::option::of(vec(any::<String>(), 0..3))
        )
            .prop_map(|(sender_id, peer_metadata, supported_protocol_versions)| {
                Message::Join {
                    sender_id,
                    peer_metadata,
                    supported_protocol_versions,
                }
            }),
        (peer_id(), peer_id(), peer_metadata(), any::<String>()).prop_map(
            |(sender_id, target_id, peer_metadata, selected_protocol_version)| Message::Peer {
                sender_id,
                target_id,
                peer_metadata,
                selected_protocol_version,
            }
        ),
        doc_data().prop_map(|(sender_id, target_id, document_id, data)| Message::Sync {
            sender_id,
            target_id,
            document_id,
            data,
        }),
        doc_data().prop_map(
            |(sender_id, target_id, document_id, data)| Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
        ),
        (peer_id(), peer_id(), document_id()).prop_map(|(sender_id, target_id, document_id)| {
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            }
        }),
        (doc_data(), any::<u64>(), any::<String>()).prop_map(
            |((sender_id, target_id, document_id, data), count, session_id)| {
                Message::Ephemeral {
                    sender_id,
                    target_id,
                    document_id,
                    data,
                    count,
                    session_id,
                }
            }
        ),
        (
            peer_id(),
            peer_id(),
            vec(storage_id(), 0..4),
            vec(storage_id(), 0..4)
        )
            .prop_map(|(sender_id, target_id, add, remove)| {
                Message::RemoteSubscriptionChange {
                    sender_id,
                    target_id,
                    add,
                    remove,
                }
            }),
        (
            peer_id(),
            peer_id(),
            document_id(),
            btree_map(
                storage_id(),
                (vec(any::<String>(), 0..3), any::<u64>()),
                0..4
            )
        )
            .prop_map(|(sender_id, target_id, document_id, heads)| {
                Message::RemoteHeadsChanged {
                    sender_id,
                    target_id,
                    document_id,
                    new_heads: heads
                        .into_iter()
                        .map(|(storage_id, (heads, timestamp))| RemoteHeads {
                            storage_id,
                            heads,
                            timestamp,
                        })
                        .collect(),
                }
            }),
        any::<String>().prop_map(|message| Message::Error { message }),
        peer_id().prop_map(|sender_id| Message::Leave { sender_id }),
    ]
}

/// One edit of a frame; positions are taken modulo the frame's length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn mutate(mut frame: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = frame.len();
        match *m {
            Mutation::Flip(i, bit) if len > 0 => frame[i % len] ^= 1 << bit,
            Mutation::Insert(i, b) => frame.insert(i % (len + 1), b),
            Mutation::Delete(i) if len > 0 => {
                frame.remove(i % len);
            }
            _ => {}
        }
    }
    frame
}

/// Whatever decodes must survive its own round trip.
fn check_decodes_consistently(frame: &[u8], limits: &DecodeLimits) -> Result<(), TestCaseError> {
    if let Ok(msg) = decode(frame, limits) {
        prop_assert_eq!(
            decode(&encode(&msg), &DecodeLimits::default()).ok(),
            Some(msg)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        check_decodes_consistently(&bytes, &DecodeLimits::default())?;
        let tight = DecodeLimits { max_depth: 2, max_map_keys: 3, max_array_items: 2, ..DecodeLimits::default() };
        let _ = decode(&bytes, &tight);
    }

    #[test]
    fn arbitrary_map_prefixed_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        // Start inside a map so the fuzzing reaches the field readers.
        let mut frame = vec![0xb9, 0x00, 0x07, 0x64, b't', b'y', b'p', b'e'];
        frame.extend_from_slice(&bytes);
        check_decodes_consistently(&frame, &DecodeLimits::default())?;
    }

    #[test]
    fn messages_round_trip(msg in message()) {
        let frame = encode(&msg);
        prop_assert_eq!(decode(&frame, &DecodeLimits::default()).ok(), Some(msg.clone()));
        // Encoding is deterministic, so a round trip is byte-stable too.
        prop_assert_eq!(encode(&msg), frame);
    }

    #[test]
    fn mutated_transcript_frames_never_panic(
        pick in any::<usize>(),
        mutations in vec(mutation(), 1..8),
    ) {
        let frames = transcript_frames();
        let frame = mutate(frames[pick % frames.len()].clone(), &mutations);
        check_decodes_consistently(&frame, &DecodeLimits::default())?;
    }

    #[test]
    fn mutated_encoded_messages_never_panic(msg in message(), mutations in vec(mutation(), 1..8)) {
        let frame = mutate(encode(&msg), &mutations);
        check_decodes_consistently(&frame, &DecodeLimits::default())?;
    }
}
