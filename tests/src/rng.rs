//! A small, fast, well-mixed PRNG (SplitMix64) for seeded test schedules: no dependency, and the
//! same seed gives the same draws on every machine.

/// A small, fast, well-mixed PRNG (SplitMix64): enough to draw schedules, no dependency.
#[derive(Debug, Clone)]
pub struct Prng(u64);

impl Prng {
    /// A generator for `seed` (fault schedules).
    pub fn new(seed: u64) -> Self {
        Prng(seed ^ 0x5EED_FA17_5EED_FA17)
    }

    /// A generator whose state is `state` as given (the kill tests' seeds).
    pub fn from_state(state: u64) -> Self {
        Prng(state)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// An index into something of length `n` (`n > 0`).
    pub fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).unwrap_or(0)
    }
}

/// The seed in the environment variable `name` (to repeat a run), or else one from the clock.
/// Callers print it, so that any run can be repeated.
pub fn seed_from_env(name: &str) -> u64 {
    crate::env_u64(name).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    })
}
