//! Target `wire_decode`: arbitrary bytes as a frame from an untrusted peer.

use crate::wire::{DecodeLimits, decode, encode};

/// Decodes `data` as one frame; whatever decodes must survive a round trip: the codec promises
/// that re-encoding a decoded message and decoding it again gives the same message (the
/// encoder writes what cbor-x writes, which the decoder reads back).
pub fn wire_decode(data: &[u8]) {
    let limits = DecodeLimits::default();
    let Ok(message) = decode(data, &limits) else {
        return;
    };
    let frame = encode(&message);
    match decode(&frame, &limits) {
        Ok(again) => assert_eq!(again, message, "round trip changed the message"),
        Err(e) => panic!("a decoded message re-encodes to an undecodable frame: {e}"),
    }
    // And the encoder is a function of the message: a second encoding is byte-identical.
    assert_eq!(encode(&message), frame, "encoding is not deterministic");
}
