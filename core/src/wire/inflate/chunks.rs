//! Walking automerge's chunk format far enough to find every deflate stream in it.
//!
//! automerge (0.12) inflates compressed data as it parses, with no bound: a compressed change
//! chunk (type 2) is inflated whole, and so is every column whose spec carries the deflate bit in
//! a document (type 0) chunk. This walk mirrors the layout its parser reads (`storage/chunk.rs`,
//! `storage/document.rs`) and measures those streams with [`inflated_len`] instead. Bundle chunks
//! (type 3) are refused: see [`Measure::Bundle`]. Where automerge's parser would stop (bad magic, a length
//! past the end, an unknown chunk type) this walk stops too: nothing after that point is ever
//! inflated by automerge either.

use super::deflate::{Measure, inflated_len};

/// The four bytes every automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The deflate bit of a column spec.
const DEFLATE_BIT: u32 = 0b1000;
/// Bytes of a change hash.
const HASH_LEN: usize = 32;

/// Bytes the parse of `bytes` (one or more concatenated chunks) materialises at most, counting
/// inflated data; [`Measure::TooLarge`] once that passes `max`.
pub(crate) fn parsed_len(bytes: &[u8], max: u64) -> Result<u64, Measure> {
    let mut rest = bytes;
    let mut total = 0u64;
    while let Some((kind, body, after)) = split_chunk(rest) {
        let budget = max.saturating_sub(total);
        let len = match kind {
            0 => body_len(body) + document_inflated(body, budget)?,
            2 => inflated_len(body, budget)?,
            // Bundles: refused outright (see `Measure::Bundle`).
            3 => return Err(Measure::Bundle),
            _ => body_len(body),
        };
        total = total.saturating_add(len);
        if total > max {
            return Err(Measure::TooLarge);
        }
        rest = after;
    }
    Ok(total)
}

fn body_len(body: &[u8]) -> u64 {
    u64::try_from(body.len()).unwrap_or(u64::MAX)
}

/// The next chunk: its type, its body, and what follows it; `None` where automerge's parser
/// would stop.
fn split_chunk(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let rest = input.strip_prefix(&MAGIC)?;
    // The checksum.
    let rest = rest.get(4..)?;
    let (&kind, rest) = rest.split_first()?;
    let mut r = Reader(rest);
    let len = usize::try_from(r.leb128()?).ok()?;
    let rest = r.0;
    if len > rest.len() {
        return None;
    }
    let (body, after) = rest.split_at(len);
    Some((kind, body, after))
}

/// Deflated bytes of a document chunk: actors, heads, change and op column metadata, then the
/// change columns' data and the op columns' data.
fn document_inflated(body: &[u8], budget: u64) -> Result<u64, Measure> {
    let mut r = Reader(body);
    let Some(()) = r.actors().and_then(|()| r.hashes()) else {
        return Ok(0);
    };
    let (Some(change_cols), Some(op_cols)) = (r.columns(), r.columns()) else {
        return Ok(0);
    };
    let mut inflated = 0;
    for cols in [change_cols, op_cols] {
        let Some(n) = r.deflated(&cols, budget.saturating_sub(inflated))? else {
            break;
        };
        inflated += n;
    }
    Ok(inflated)
}

/// An unsigned LEB128 number of at most 64 bits from the front of `input`, which moves past it;
/// `None` (and `input` unmoved) when it is cut short or overflows, as automerge would fail.
pub(in crate::wire) fn leb128(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &byte) in input.iter().enumerate().take(10) {
        let shift = 7 * u32::try_from(i).ok()?;
        let part = u64::from(byte & 0x7f);
        if shift == 63 && part > 1 {
            return None;
        }
        value |= part << shift;
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(value);
        }
    }
    None
}

/// A cursor over a chunk body. Every method returns `None` where automerge's parser would fail.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn leb128(&mut self) -> Option<u64> {
        leb128(&mut self.0)
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        if n > self.0.len() {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    /// A count-prefixed list of length-prefixed actor ids.
    fn actors(&mut self) -> Option<()> {
        let count = self.leb128()?;
        for _ in 0..count {
            let len = self.leb128()?;
            self.take(len)?;
        }
        Some(())
    }

    /// A count-prefixed list of change hashes.
    fn hashes(&mut self) -> Option<()> {
        let count = self.leb128()?;
        self.take(count.checked_mul(HASH_LEN as u64)?)?;
        Some(())
    }

    /// Column metadata: a count, then (spec, length) pairs. Each column's deflate bit and length.
    /// The list is bounded by the input: every entry takes at least two bytes.
    fn columns(&mut self) -> Option<Vec<(bool, u64)>> {
        let count = self.leb128()?;
        let mut cols = Vec::new();
        for _ in 0..count {
            let spec = u32::try_from(self.leb128()?).ok()?;
            let len = self.leb128()?;
            cols.push((spec & DEFLATE_BIT != 0, len));
        }
        Some(cols)
    }

    /// Consumes the columns' data, measuring the deflated ones; `Ok(None)` where the data runs
    /// past the end (automerge stops there, before inflating anything of this section).
    fn deflated(&mut self, cols: &[(bool, u64)], budget: u64) -> Result<Option<u64>, Measure> {
        let total = cols
            .iter()
            .try_fold(0u64, |sum, &(_, len)| sum.checked_add(len));
        let Some(section) = total.and_then(|t| self.take(t)) else {
            return Ok(None);
        };
        let mut at = 0usize;
        let mut inflated = 0u64;
        for &(deflate, len) in cols {
            // Within `section`, whose length is the sum of these lengths.
            let len = usize::try_from(len).map_err(|_| Measure::Malformed)?;
            let data = &section[at..at + len];
            at += len;
            if deflate {
                inflated += inflated_len(data, budget.saturating_sub(inflated))?;
                if inflated > budget {
                    return Err(Measure::TooLarge);
                }
            }
        }
        Ok(Some(inflated))
    }
}
