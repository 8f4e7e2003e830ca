//! Walking over a value without keeping it, within the limits.
//!
//! Unknown keys must be skipped, and their values can be anything a peer chooses. minicbor's own
//! `Decoder::skip` bounds neither nesting nor container sizes, so this walk keeps an explicit
//! stack (no recursion, so no stack overflow) that may grow only to `max_depth`, and checks every
//! declared container size. Each item consumes at least one byte, so the walk is linear in the
//! frame's length.

use minicbor::data::Type;
use minicbor::decode::Decoder;

use crate::wire::error::DecodeError;
use crate::wire::limits::{DecodeLimits, Limit};

/// An open container on the walk's stack.
#[derive(Debug)]
struct Open {
    /// Items still expected (a map's entries count twice); `None` for indefinite length.
    remaining: Option<u64>,
    /// Items seen so far in an indefinite map, to refuse a break between key and value.
    seen: u64,
    /// Whether the container is a map.
    map: bool,
}

/// Skips one complete value at the decoder's position. `depth` is the number of containers the
/// value sits in (1 for a value of the frame's own map).
pub(crate) fn skip_value(
    d: &mut Decoder<'_>,
    limits: &DecodeLimits,
    depth: usize,
) -> Result<(), DecodeError> {
    let mut stack: Vec<Open> = Vec::new();
    loop {
        let ty = d.datatype()?;
        if ty == Type::Break {
            match stack.last() {
                Some(Open {
                    remaining: None,
                    seen,
                    map,
                }) if !*map || seen % 2 == 0 => {
                    // `datatype` has just confirmed the byte here is a break (0xff).
                    d.set_position(d.position() + 1);
                    stack.pop();
                    if finish_item(&mut stack) {
                        return Ok(());
                    }
                    continue;
                }
                _ => return Err(malformed("unexpected break")),
            }
        }
        let opened = match ty {
            Type::Array | Type::Map => {
                let map = ty == Type::Map;
                let n = if map { d.map()? } else { d.array()? }.unwrap_or(0);
                check_len(n, map, limits)?;
                (n > 0).then(|| Open {
                    remaining: Some(if map { n.saturating_mul(2) } else { n }),
                    seen: 0,
                    map,
                })
            }
            Type::ArrayIndef | Type::MapIndef => {
                let map = ty == Type::MapIndef;
                if map {
                    d.map()?
                } else {
                    d.array()?
                };
                Some(Open {
                    remaining: None,
                    seen: 0,
                    map,
                })
            }
            Type::Bytes | Type::BytesIndef => {
                for chunk in d.bytes_iter()? {
                    chunk?;
                }
                None
            }
            Type::String | Type::StringIndef => {
                for chunk in d.str_iter()? {
                    chunk?;
                }
                None
            }
            Type::Tag => {
                // A tag prefixes the next item; it is not an item by itself.
                d.tag()?;
                continue;
            }
            Type::Unknown(_) => return Err(malformed("reserved initial byte")),
            // Scalars: minicbor's skip reads them without recursing.
            _ => {
                d.skip()?;
                None
            }
        };
        match opened {
            Some(open) => {
                if depth + stack.len() + 1 > limits.max_depth {
                    return Err(DecodeError::LimitExceeded { what: Limit::Depth });
                }
                stack.push(open);
            }
            None => {
                if finish_item(&mut stack) {
                    return Ok(());
                }
            }
        }
    }
}

/// Refuses a container declaring more entries than the limits allow.
pub(crate) fn check_len(n: u64, map: bool, limits: &DecodeLimits) -> Result<(), DecodeError> {
    let (max, what) = if map {
        (limits.max_map_keys, Limit::MapKeys)
    } else {
        (limits.max_array_items, Limit::ArrayItems)
    };
    if n > max {
        return Err(DecodeError::LimitExceeded { what });
    }
    Ok(())
}

/// Records that one item finished in the innermost open container, closing every definite
/// container this completes. Returns true when the value being skipped is complete.
fn finish_item(stack: &mut Vec<Open>) -> bool {
    while let Some(top) = stack.last_mut() {
        top.seen += 1;
        match &mut top.remaining {
            None => return false,
            Some(n) => {
                *n -= 1;
                if *n > 0 {
                    return false;
                }
                stack.pop();
            }
        }
    }
    true
}

/// A structural error that minicbor itself does not report.
pub(crate) fn malformed(what: &'static str) -> DecodeError {
    DecodeError::Malformed(minicbor::decode::Error::message(what))
}
