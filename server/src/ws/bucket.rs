//! A token bucket: a level that refills at a sustained rate up to a burst, and that a spend may
//! take below zero (what was spent had already been read); the owner waits until it is paid back.

use std::time::Duration;

/// See the [module docs](self). A rate of zero (or less) means unlimited.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    level: f64,
    burst: f64,
    per_second: f64,
}

impl Bucket {
    /// A full bucket.
    pub(super) fn new(per_second: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Bucket {
            level: burst,
            burst,
            per_second,
        }
    }

    pub(super) fn unlimited(&self) -> bool {
        self.per_second <= 0.0
    }

    pub(super) fn refill(&mut self, elapsed: Duration) {
        self.level = (self.level + elapsed.as_secs_f64() * self.per_second).min(self.burst);
    }

    /// Takes `amount`, below zero if need be. Nothing for an unlimited bucket.
    pub(super) fn spend(&mut self, amount: f64) {
        if !self.unlimited() {
            self.level -= amount;
        }
    }

    /// How long until the level reaches `wanted`.
    pub(super) fn wait_for(&self, wanted: f64) -> Duration {
        if self.unlimited() || self.level >= wanted {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((wanted - self.level) / self.per_second)
        }
    }

    /// How long until `amount` can be taken without going below zero; an amount larger than
    /// the burst only needs a full bucket (it then leaves the bucket in debt).
    pub(super) fn wait_to_take(&self, amount: f64) -> Duration {
        self.wait_for(amount.min(self.burst))
    }

    /// A second's worth of tokens, or half the burst if that is less.
    pub(super) fn recovered(&self) -> bool {
        self.unlimited() || self.level >= self.per_second.min(self.burst / 2.0)
    }

    /// Whether the bucket is back to its burst: it then holds nothing a fresh one would not.
    pub(super) fn full(&self) -> bool {
        self.unlimited() || self.level >= self.burst
    }
}
