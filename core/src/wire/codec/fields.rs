//! A map's entries, located first and read second, so keys may come in any order.
//!
//! Scanning a map records where each value starts and walks over it with the bounded skip. That
//! one pass checks the whole frame's structure, nesting and sizes before any field is
//! interpreted; fields are then read from their recorded positions by the message's builder,
//! which only looks at the keys its type knows. Unknown keys cost nothing more than the scan.

use std::borrow::Cow;

use minicbor::data::Type;
use minicbor::decode::Decoder;

use crate::wire::error::DecodeError;
use crate::wire::limits::{DecodeLimits, Limit};

use super::skip::skip_value;
use super::value;

/// The entries of one map: text keys and where their values start.
#[derive(Debug)]
pub(crate) struct Fields<'b> {
    input: &'b [u8],
    entries: Vec<(Cow<'b, str>, usize)>,
    /// How many containers a value of this map sits in.
    depth: usize,
}

impl<'b> Fields<'b> {
    /// Scans the map at the decoder's position, which sits in `depth - 1` containers, leaving the
    /// decoder after it. Entries with non-text keys are skipped (no JS object produces them).
    pub(crate) fn scan(
        d: &mut Decoder<'b>,
        limits: &DecodeLimits,
        depth: usize,
        not_a_map: impl FnOnce() -> DecodeError,
    ) -> Result<Self, DecodeError> {
        if !matches!(d.datatype()?, Type::Map | Type::MapIndef) {
            return Err(not_a_map());
        }
        if depth > limits.max_depth {
            return Err(DecodeError::LimitExceeded { what: Limit::Depth });
        }
        let mut fields = Fields {
            input: d.input(),
            entries: Vec::new(),
            depth,
        };
        value::map_entries(d, "map", limits, |d| fields.scan_entry(d, limits))?;
        Ok(fields)
    }

    fn scan_entry(
        &mut self,
        d: &mut Decoder<'b>,
        limits: &DecodeLimits,
    ) -> Result<(), DecodeError> {
        if !matches!(d.datatype()?, Type::String | Type::StringIndef) {
            skip_value(d, limits, self.depth)?;
            return skip_value(d, limits, self.depth);
        }
        let key = value::text(d, "key", limits)?;
        if self.entries.iter().any(|(k, _)| *k == key) {
            return Err(DecodeError::DuplicateKey(key.into_owned()));
        }
        self.entries.push((key, d.position()));
        skip_value(d, limits, self.depth)
    }

    /// A decoder at `key`'s value, or `None` when the key is absent or its value is `null` or
    /// `undefined` (JS peers send `undefined` for unset optional fields).
    pub(crate) fn get(&self, key: &str) -> Result<Option<Decoder<'b>>, DecodeError> {
        let Some((_, pos)) = self.entries.iter().find(|(k, _)| k == key) else {
            return Ok(None);
        };
        let d = self.decoder_at(*pos);
        if value::is_absent(&d)? {
            return Ok(None);
        }
        Ok(Some(d))
    }

    /// A decoder at `key`'s value; absent, `null` and `undefined` are [`DecodeError::MissingField`].
    pub(crate) fn require(&self, key: &'static str) -> Result<Decoder<'b>, DecodeError> {
        self.get(key)?.ok_or(DecodeError::MissingField(key))
    }

    /// Every entry in frame order, with a decoder at its value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, Decoder<'b>)> + '_ {
        self.entries
            .iter()
            .map(|(k, pos)| (k.as_ref(), self.decoder_at(*pos)))
    }

    /// How many containers a value of this map sits in.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    fn decoder_at(&self, pos: usize) -> Decoder<'b> {
        let mut d = Decoder::new(self.input);
        d.set_position(pos);
        d
    }
}
