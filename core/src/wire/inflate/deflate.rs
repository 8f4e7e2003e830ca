//! Measuring what a raw deflate stream (RFC 1951) inflates to, without inflating it.
//!
//! The output's *length* follows from the symbols alone: a literal is one byte, a back-reference
//! is its length, a stored block is its declared size. So the stream is decoded symbol by symbol
//! (canonical Huffman, as in zlib's `puff.c`) and no output, window or buffer is ever kept: the
//! measurement allocates nothing, whatever the stream claims, and stops as soon as the count
//! passes the caller's bound.

/// Why a stream could not be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// The stream inflates to more than the bound.
    TooLarge,
    /// The stream is not valid deflate (truncated, bad block type, bad code, distance too far).
    Malformed,
    /// A bundle chunk: automerge 0.12's bundle parser panics on malformed columns (an `unwrap`
    /// in `hexane`, found by fuzzing: `fuzz/regressions/document_load/`), and neither enlace nor
    /// automerge-repo's sync sends bundles (an experimental format), so they are refused.
    Bundle,
}

/// How many bytes `stream` inflates to, or [`Measure::TooLarge`] as soon as that passes `max`.
pub(crate) fn inflated_len(stream: &[u8], max: u64) -> Result<u64, Measure> {
    let mut bits = Bits::new(stream);
    let mut out = 0u64;
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => out = bits.stored(out)?,
            1 => {
                let (lit, dist) = fixed_codes();
                out = codes(&mut bits, &lit, &dist, out, max)?;
            }
            2 => {
                let (lit, dist) = dynamic_codes(&mut bits)?;
                out = codes(&mut bits, &lit, &dist, out, max)?;
            }
            _ => return Err(Measure::Malformed),
        }
        if out > max {
            return Err(Measure::TooLarge);
        }
        if last {
            return Ok(out);
        }
    }
}

/// Longest code, in bits.
const MAX_BITS: usize = 15;
/// Literal/length symbols, distance symbols.
const MAX_LIT: usize = 288;
const MAX_DIST: usize = 30;

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which code-length code lengths are sent.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Little-endian bit reader over the stream.
struct Bits<'a> {
    input: &'a [u8],
    pos: usize,
    buf: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8]) -> Self {
        Bits {
            input,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// The next `n` (at most 16) bits.
    fn take(&mut self, n: u32) -> Result<u32, Measure> {
        while self.count < n {
            let byte = *self.input.get(self.pos).ok_or(Measure::Malformed)?;
            self.pos += 1;
            self.buf |= u64::from(byte) << self.count;
            self.count += 8;
        }
        let value = self.buf & ((1u64 << n) - 1);
        self.buf >>= n;
        self.count -= n;
        // At most 16 bits.
        #[allow(clippy::cast_possible_truncation)]
        Ok(value as u32)
    }

    /// A stored block: skips it and returns the new output length.
    fn stored(&mut self, out: u64) -> Result<u64, Measure> {
        // Drop the rest of the current byte; whole bytes still buffered are impossible here
        // because `take` never reads more bytes than it needs.
        self.buf = 0;
        self.count = 0;
        let header = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or(Measure::Malformed)?;
        let len = u16::from_le_bytes([header[0], header[1]]);
        let nlen = u16::from_le_bytes([header[2], header[3]]);
        if len != !nlen {
            return Err(Measure::Malformed);
        }
        self.pos += 4;
        let end = self.pos + usize::from(len);
        if end > self.input.len() {
            return Err(Measure::Malformed);
        }
        self.pos = end;
        Ok(out + u64::from(len))
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman<const N: usize> {
    count: [u16; MAX_BITS + 1],
    symbol: [u16; N],
}

impl<const N: usize> Huffman<N> {
    /// Builds the code from each symbol's length. Over-subscribed codes are malformed; incomplete
    /// ones are accepted (decoding an unused pattern then fails), which is what inflaters do.
    fn new(lengths: &[u8]) -> Result<Self, Measure> {
        let mut count = [0u16; MAX_BITS + 1];
        for &len in lengths {
            count[usize::from(len)] += 1;
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return Err(Measure::Malformed);
            }
        }
        let mut offs = [0u16; MAX_BITS + 2];
        for len in 1..=MAX_BITS {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = [0u16; N];
        for (sym, &len) in lengths.iter().enumerate() {
            if len != 0 {
                let slot = &mut offs[usize::from(len)];
                // `sym` < N <= 288.
                #[allow(clippy::cast_possible_truncation)]
                {
                    symbol[usize::from(*slot)] = sym as u16;
                }
                *slot += 1;
            }
        }
        Ok(Huffman { count, symbol })
    }

    /// Decodes one symbol, bit by bit.
    fn decode(&self, bits: &mut Bits<'_>) -> Result<usize, Measure> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &self.count[1..] {
            // The bit value is 0 or 1.
            #[allow(clippy::cast_possible_wrap)]
            {
                code |= bits.take(1)? as i32;
            }
            let count = i32::from(count);
            if code - count < first {
                let at = usize::try_from(index + code - first).map_err(|_| Measure::Malformed)?;
                return Ok(usize::from(self.symbol[at]));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Measure::Malformed)
    }
}

type LitCode = Huffman<MAX_LIT>;
type DistCode = Huffman<MAX_DIST>;

fn fixed_codes() -> (LitCode, DistCode) {
    let mut lengths = [0u8; MAX_LIT];
    for (sym, len) in lengths.iter_mut().enumerate() {
        *len = match sym {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    // The fixed codes are complete, so building them cannot fail.
    let lit = LitCode::new(&lengths).unwrap_or(Huffman {
        count: [0; MAX_BITS + 1],
        symbol: [0; MAX_LIT],
    });
    let dist = DistCode::new(&[5u8; MAX_DIST]).unwrap_or(Huffman {
        count: [0; MAX_BITS + 1],
        symbol: [0; MAX_DIST],
    });
    (lit, dist)
}

fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(LitCode, DistCode), Measure> {
    let nlen = bits.take(5)? as usize + 257;
    let ndist = bits.take(5)? as usize + 1;
    let ncode = bits.take(4)? as usize + 4;
    if nlen > 286 || ndist > MAX_DIST {
        return Err(Measure::Malformed);
    }
    let mut cl_lengths = [0u8; 19];
    for &at in &CL_ORDER[..ncode] {
        // Three bits.
        #[allow(clippy::cast_possible_truncation)]
        {
            cl_lengths[at] = bits.take(3)? as u8;
        }
    }
    let cl_code = Huffman::<19>::new(&cl_lengths)?;
    let mut lengths = [0u8; MAX_LIT + MAX_DIST];
    let total = nlen + ndist;
    let mut index = 0;
    while index < total {
        let sym = cl_code.decode(bits)?;
        if sym < 16 {
            // A length, below 16.
            #[allow(clippy::cast_possible_truncation)]
            {
                lengths[index] = sym as u8;
            }
            index += 1;
            continue;
        }
        let (value, repeat) = match sym {
            16 => {
                let prev = *lengths
                    .get(index.wrapping_sub(1))
                    .ok_or(Measure::Malformed)?;
                (prev, 3 + bits.take(2)? as usize)
            }
            17 => (0, 3 + bits.take(3)? as usize),
            _ => (0, 11 + bits.take(7)? as usize),
        };
        if index + repeat > total {
            return Err(Measure::Malformed);
        }
        lengths[index..index + repeat].fill(value);
        index += repeat;
    }
    if lengths[256] == 0 {
        // No end-of-block code: the block could never end.
        return Err(Measure::Malformed);
    }
    Ok((
        LitCode::new(&lengths[..nlen])?,
        DistCode::new(&lengths[nlen..total])?,
    ))
}

/// Decodes one compressed block's symbols, counting output; returns the new output length.
fn codes(
    bits: &mut Bits<'_>,
    lit: &LitCode,
    dist: &DistCode,
    mut out: u64,
    max: u64,
) -> Result<u64, Measure> {
    loop {
        let sym = lit.decode(bits)?;
        match sym {
            0..=255 => out += 1,
            256 => return Ok(out),
            _ => {
                let at = sym - 257;
                let (&base, &extra) = LEN_BASE
                    .get(at)
                    .zip(LEN_EXTRA.get(at))
                    .ok_or(Measure::Malformed)?;
                let len = u64::from(base) + u64::from(bits.take(u32::from(extra))?);
                let at = dist.decode(bits)?;
                let (&base, &extra) = DIST_BASE
                    .get(at)
                    .zip(DIST_EXTRA.get(at))
                    .ok_or(Measure::Malformed)?;
                let distance = u64::from(base) + u64::from(bits.take(u32::from(extra))?);
                if distance > out {
                    return Err(Measure::Malformed);
                }
                out += len;
            }
        }
        if out > max {
            return Err(Measure::TooLarge);
        }
    }
}
