//! The CBOR codec: one [`Message`](crate::wire::Message) per frame, both ways.

mod decode;
mod encode;
mod fields;
mod keys;
mod skip;
mod value;

pub use decode::decode;
pub use encode::encode;
