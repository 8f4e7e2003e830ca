//! The decoder refuses, with a typed error and without allocating for declared lengths or
//! recursing on nesting, what no honest peer sends.

#![allow(clippy::unwrap_used)]

use enlace_core::wire::{DecodeError, DecodeLimits, FieldError, Limit, decode};
use minicbor::Encoder;

const DOC: &str = "tLNwR8HPtc32hk1Bvh1E8UHsd5X";

fn dec(frame: &[u8]) -> Result<(), DecodeError> {
    decode(frame, &DecodeLimits::default()).map(|_| ())
}

/// A valid `sync` frame (minimal headers) with `extra` key/value pairs written first.
fn sync_with(extra_pairs: u64, extra: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(5 + extra_pairs).unwrap();
    extra(&mut e);
    e.str("type").unwrap().str("sync").unwrap();
    e.str("senderId").unwrap().str("a").unwrap();
    e.str("targetId").unwrap().str("b").unwrap();
    e.str("documentId").unwrap().str(DOC).unwrap();
    e.str("data").unwrap().bytes(&[0x42]).unwrap();
    e.into_writer()
}

/// A `sync` frame whose field `key` holds what `value` writes.
fn sync_field(key: &str, value: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    for (k, v) in [("senderId", "a"), ("targetId", "b"), ("documentId", DOC)] {
        if k != key {
            e.str(k).unwrap().str(v).unwrap();
        }
    }
    if key != "data" {
        e.str("data").unwrap().bytes(&[0x42]).unwrap();
    }
    e.str(key).unwrap();
    value(&mut e);
    e.into_writer()
}

fn limit(r: Result<(), DecodeError>) -> Option<Limit> {
    match r {
        Err(DecodeError::LimitExceeded { what }) => Some(what),
        _ => None,
    }
}

#[test]
fn baseline_frame_is_valid() {
    dec(&sync_with(0, |_| {})).unwrap();
}

#[test]
fn empty_and_truncated_frames_are_refused() {
    assert!(matches!(dec(&[]), Err(DecodeError::Truncated)));
    let frame = sync_with(0, |_| {});
    for cut in 1..frame.len() {
        assert!(dec(&frame[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        dec(&frame[..frame.len() - 1]),
        Err(DecodeError::Truncated)
    ));
}

#[test]
fn huge_declared_lengths_are_refused_without_allocating() {
    let huge = [0xff; 8];
    // As the whole frame: not a map.
    let mut top = vec![0x5b];
    top.extend_from_slice(&huge);
    assert!(matches!(dec(&top), Err(DecodeError::NotAMap)));
    // As the data: longer than what is left of the frame.
    let frame = sync_field("data", |e| {
        e.writer_mut().push(0x5b);
        e.writer_mut().extend_from_slice(&huge);
    });
    assert!(matches!(dec(&frame), Err(DecodeError::Truncated)));
    // As a text value, an unknown value, a map and an array.
    let frame = sync_field("senderId", |e| {
        e.writer_mut().push(0x7b);
        e.writer_mut().extend_from_slice(&huge);
    });
    assert!(matches!(dec(&frame), Err(DecodeError::Truncated)));
    let frame = sync_with(1, |e| {
        e.str("x").unwrap();
        e.writer_mut().push(0x9b);
        e.writer_mut().extend_from_slice(&huge);
    });
    assert_eq!(limit(dec(&frame)), Some(Limit::ArrayItems));
    let mut map = vec![0xbb];
    map.extend_from_slice(&huge);
    assert_eq!(limit(dec(&map)), Some(Limit::MapKeys));
}

#[test]
fn lengths_over_the_limits_are_refused() {
    let small = DecodeLimits {
        max_data_bytes: 4,
        max_string_bytes: 30,
        max_array_items: 2,
        ..DecodeLimits::default()
    };
    let data = sync_field("data", |e| {
        e.bytes(&[0x42; 5]).unwrap();
    });
    assert_eq!(
        limit(decode(&data, &small).map(|_| ())),
        Some(Limit::DataBytes)
    );
    let text = sync_field("senderId", |e| {
        e.str(&"x".repeat(31)).unwrap();
    });
    assert_eq!(
        limit(decode(&text, &small).map(|_| ())),
        Some(Limit::StringBytes)
    );
    let array = sync_with(1, |e| {
        e.str("x")
            .unwrap()
            .array(3)
            .unwrap()
            .u8(1)
            .unwrap()
            .u8(2)
            .unwrap()
            .u8(3)
            .unwrap();
    });
    assert_eq!(
        limit(decode(&array, &small).map(|_| ())),
        Some(Limit::ArrayItems)
    );
    let frame = sync_with(0, |_| {});
    let tiny = DecodeLimits {
        max_frame_bytes: frame.len() - 1,
        ..DecodeLimits::default()
    };
    assert!(matches!(
        decode(&frame, &tiny),
        Err(DecodeError::FrameTooLarge { .. })
    ));
}

#[test]
fn too_many_keys_are_refused() {
    let n = DecodeLimits::default().max_map_keys;
    let frame = sync_with(n, |e| {
        for i in 0..n {
            e.str(&format!("k{i}")).unwrap().u8(0).unwrap();
        }
    });
    assert_eq!(limit(dec(&frame)), Some(Limit::MapKeys));
    // The same through an indefinite-length map, which declares no count up front.
    let mut e = Encoder::new(Vec::new());
    e.begin_map().unwrap();
    for i in 0..=n {
        e.str(&format!("k{i}")).unwrap().u8(0).unwrap();
    }
    e.end().unwrap();
    assert_eq!(limit(dec(e.writer())), Some(Limit::MapKeys));
}

#[test]
fn deep_nesting_is_refused_not_recursed() {
    for opener in [0x81u8, 0x9f, 0xa1] {
        let frame = sync_with(1, |e| {
            e.str("deep").unwrap();
            for _ in 0..200_000 {
                e.writer_mut().push(opener);
                if opener == 0xa1 {
                    e.writer_mut().push(0x00); // key 0, then the nested value
                }
            }
            e.writer_mut().push(0x00);
        });
        assert_eq!(limit(dec(&frame)), Some(Limit::Depth), "opener {opener:#x}");
    }
    // Exactly at the limit is fine: the frame's map is depth 1.
    let max = DecodeLimits::default().max_depth;
    let ok = sync_with(1, |e| {
        e.str("deep").unwrap();
        for _ in 0..max - 1 {
            e.array(1).unwrap();
        }
        e.u8(0).unwrap();
    });
    dec(&ok).unwrap();
}

#[test]
fn wrong_types_are_refused() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "senderId",
            sync_field("senderId", |e| {
                e.u8(1).unwrap();
            }),
        ),
        (
            "data",
            sync_field("data", |e| {
                e.str("text, not bytes").unwrap();
            }),
        ),
        (
            "documentId",
            sync_field("documentId", |e| {
                e.bytes(&[1; 16]).unwrap();
            }),
        ),
        (
            "data",
            sync_field("data", |e| {
                e.tag(minicbor::data::Tag::new(64))
                    .unwrap()
                    .bytes(&[1])
                    .unwrap();
            }),
        ),
    ];
    for (field, frame) in cases {
        match dec(&frame) {
            Err(DecodeError::InvalidField {
                field: f,
                reason: FieldError::Expected(_),
            }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let mut e = Encoder::new(Vec::new());
    e.map(1).unwrap().str("type").unwrap().u8(3).unwrap();
    assert!(matches!(
        dec(e.writer()),
        Err(DecodeError::InvalidField { field: "type", .. })
    ));
    let mut e = Encoder::new(Vec::new());
    e.array(0).unwrap();
    assert!(matches!(dec(e.writer()), Err(DecodeError::NotAMap)));
}

#[test]
fn invalid_ids_are_refused() {
    for (field, value) in [
        ("documentId", "not-a-document"),
        ("senderId", ""),
        ("targetId", "a\nb"),
    ] {
        let frame = sync_field(field, |e| {
            e.str(value).unwrap();
        });
        match dec(&frame) {
            Err(DecodeError::InvalidField {
                field: f,
                reason: FieldError::Id(_),
            }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn missing_fields_are_named() {
    let mut e = Encoder::new(Vec::new());
    e.map(3).unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    e.str("senderId").unwrap().str("a").unwrap();
    e.str("targetId").unwrap().str("b").unwrap();
    assert!(matches!(
        dec(e.writer()),
        Err(DecodeError::MissingField("documentId"))
    ));
    let mut e = Encoder::new(Vec::new());
    e.map(1).unwrap().str("senderId").unwrap().str("a").unwrap();
    assert!(matches!(
        dec(e.writer()),
        Err(DecodeError::MissingField("type"))
    ));
}

#[test]
fn trailing_bytes_duplicates_and_stray_breaks_are_refused() {
    let mut frame = sync_with(0, |_| {});
    frame.push(0x00);
    assert!(matches!(dec(&frame), Err(DecodeError::TrailingBytes)));

    let dup = sync_with(1, |e| {
        e.str("senderId").unwrap().str("a").unwrap();
    });
    assert!(matches!(dec(&dup), Err(DecodeError::DuplicateKey(k)) if k == "senderId"));

    let stray = sync_with(1, |e| {
        e.str("x").unwrap().array(1).unwrap();
        e.writer_mut().push(0xff);
    });
    assert!(matches!(dec(&stray), Err(DecodeError::Malformed(_))));

    // An indefinite map closed between a key and its value.
    let half = sync_with(1, |e| {
        e.str("x")
            .unwrap()
            .begin_map()
            .unwrap()
            .u8(1)
            .unwrap()
            .end()
            .unwrap();
    });
    assert!(matches!(dec(&half), Err(DecodeError::Malformed(_))));
}
