//! Reading the typed values of known fields, tolerant of what cbor-x sends and within the limits.

use std::borrow::Cow;

use minicbor::data::Type;
use minicbor::decode::Decoder;

use crate::wire::error::{DecodeError, FieldError};
use crate::wire::limits::{DecodeLimits, Limit};

use super::skip::check_len;

/// Whether the value here is `null` or `undefined`, which JS peers send for "absent".
pub(crate) fn is_absent(d: &Decoder<'_>) -> Result<bool, DecodeError> {
    Ok(matches!(d.datatype()?, Type::Null | Type::Undefined))
}

/// Text, definite or chunked, at most `max_string_bytes` long.
pub(crate) fn text<'b>(
    d: &mut Decoder<'b>,
    field: &'static str,
    limits: &DecodeLimits,
) -> Result<Cow<'b, str>, DecodeError> {
    let max = limits.max_string_bytes;
    let too_long = DecodeError::LimitExceeded {
        what: Limit::StringBytes,
    };
    match d.datatype()? {
        Type::String => {
            let s = d.str().map_err(|e| text_error(field, e))?;
            if s.len() > max {
                return Err(too_long);
            }
            Ok(Cow::Borrowed(s))
        }
        Type::StringIndef => {
            let mut out = String::new();
            for chunk in d.str_iter()? {
                let chunk = chunk.map_err(|e| text_error(field, e))?;
                if out.len() + chunk.len() > max {
                    return Err(too_long);
                }
                out.push_str(chunk);
            }
            Ok(Cow::Owned(out))
        }
        _ => Err(DecodeError::expected(field, "text")),
    }
}

fn text_error(field: &'static str, e: minicbor::decode::Error) -> DecodeError {
    if e.is_end_of_input() {
        DecodeError::Truncated
    } else {
        DecodeError::InvalidField {
            field,
            reason: FieldError::Text(e),
        }
    }
}

/// A byte string, definite or chunked, at most `max_data_bytes` long. Tags are refused: the JS
/// client sends plain byte strings.
pub(crate) fn bytes(
    d: &mut Decoder<'_>,
    field: &'static str,
    limits: &DecodeLimits,
) -> Result<Vec<u8>, DecodeError> {
    let max = limits.max_data_bytes;
    let too_long = DecodeError::LimitExceeded {
        what: Limit::DataBytes,
    };
    match d.datatype()? {
        Type::Bytes => {
            // The slice borrows the frame; it is copied only once its length is known to fit.
            let b = d.bytes()?;
            if b.len() > max {
                return Err(too_long);
            }
            Ok(b.to_vec())
        }
        Type::BytesIndef => {
            let mut out = Vec::new();
            for chunk in d.bytes_iter()? {
                let chunk = chunk?;
                if out.len() + chunk.len() > max {
                    return Err(too_long);
                }
                out.extend_from_slice(chunk);
            }
            Ok(out)
        }
        _ => Err(DecodeError::expected(field, "bytes")),
    }
}

/// A boolean.
pub(crate) fn boolean(d: &mut Decoder<'_>, field: &'static str) -> Result<bool, DecodeError> {
    match d.datatype()? {
        Type::Bool => Ok(d.bool()?),
        _ => Err(DecodeError::expected(field, "boolean")),
    }
}

/// Largest float that converts to a `u64` without saturating (2^64 itself does not fit).
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// A non-negative integer. JS numbers above 2^32 (timestamps) arrive as floats from cbor-x, so
/// integral floats are accepted; fractional, negative, NaN and infinite ones are not.
pub(crate) fn uint(d: &mut Decoder<'_>, field: &'static str) -> Result<u64, DecodeError> {
    let not_int = || DecodeError::InvalidField {
        field,
        reason: FieldError::NotAnInteger,
    };
    let f = match d.datatype()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => return Ok(d.u64()?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => return Err(not_int()),
        Type::F16 => half_float(d)?,
        Type::F32 | Type::F64 => d.f64()?,
        _ => return Err(DecodeError::expected(field, "integer")),
    };
    if !f.is_finite() || f < 0.0 || f.fract() != 0.0 || f >= TWO_POW_64 {
        return Err(not_int());
    }
    // In range and integral, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(f as u64)
}

/// Reads an IEEE half float. minicbor decodes these only with its `half` feature (an extra
/// crate); cbor-x never sends them, so two bytes are converted here instead.
fn half_float(d: &mut Decoder<'_>) -> Result<f64, DecodeError> {
    let pos = d.position();
    let raw = d
        .input()
        .get(pos + 1..pos + 3)
        .ok_or(DecodeError::Truncated)?;
    let raw: [u8; 2] = raw.try_into().map_err(|_| DecodeError::Truncated)?;
    let bits = u16::from_be_bytes(raw);
    d.set_position(pos + 3);
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + mant) * 2f64.powi(exp - 25),
    };
    Ok(if bits & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    })
}

/// An array, definite or indefinite, of at most `max_array_items`, each item read by `item`.
pub(crate) fn array<'b, T>(
    d: &mut Decoder<'b>,
    field: &'static str,
    limits: &DecodeLimits,
    mut item: impl FnMut(&mut Decoder<'b>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    if !matches!(d.datatype()?, Type::Array | Type::ArrayIndef) {
        return Err(DecodeError::expected(field, "array"));
    }
    let len = d.array()?;
    let mut out = Vec::new();
    match len {
        Some(n) => {
            check_len(n, false, limits)?;
            for _ in 0..n {
                out.push(item(d)?);
            }
        }
        None => loop {
            if d.datatype()? == Type::Break {
                d.set_position(d.position() + 1);
                break;
            }
            check_len(out.len() as u64 + 1, false, limits)?;
            out.push(item(d)?);
        },
    }
    Ok(out)
}

/// Calls `entry` for each entry of a map, definite or indefinite, of at most `max_map_keys`
/// entries; `entry` reads the key and its value.
pub(crate) fn map_entries<'b>(
    d: &mut Decoder<'b>,
    field: &'static str,
    limits: &DecodeLimits,
    mut entry: impl FnMut(&mut Decoder<'b>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    if !matches!(d.datatype()?, Type::Map | Type::MapIndef) {
        return Err(DecodeError::expected(field, "map"));
    }
    match d.map()? {
        Some(n) => {
            check_len(n, true, limits)?;
            for _ in 0..n {
                entry(d)?;
            }
        }
        None => {
            let mut n = 0u64;
            loop {
                if d.datatype()? == Type::Break {
                    d.set_position(d.position() + 1);
                    break;
                }
                n += 1;
                check_len(n, true, limits)?;
                entry(d)?;
            }
        }
    }
    Ok(())
}

/// Fails unless the decoder is at the end of `input`.
pub(crate) fn expect_end(d: &Decoder<'_>) -> Result<(), DecodeError> {
    if d.position() == d.input().len() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes)
    }
}
