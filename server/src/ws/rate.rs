//! A socket's budget for incoming frames: two token buckets, one counting frames and one
//! counting bytes, each refilling at its sustained rate up to its burst.
//!
//! The socket task reads a frame only when both buckets hold something; otherwise it stops
//! reading until they refill, so the peer's kernel buffers fill and TCP slows the peer down.
//! Nothing is dropped and a legitimate burst (a catch-up after a day offline) is only paced; but
//! a peer that keeps its budget empty for too long is a flood, and the socket task closes it.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::WebSocketLimits;

/// One bucket: `level` may go below zero by a frame larger than what was left (the frame was
/// already read); reading resumes once it is paid back.
#[derive(Debug)]
struct Bucket {
    level: f64,
    burst: f64,
    per_second: f64,
}

impl Bucket {
    fn new(per_second: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Bucket {
            level: burst,
            burst,
            per_second,
        }
    }

    fn unlimited(&self) -> bool {
        self.per_second <= 0.0
    }

    fn refill(&mut self, elapsed: Duration) {
        self.level = (self.level + elapsed.as_secs_f64() * self.per_second).min(self.burst);
    }

    /// How long until the level reaches `wanted`.
    fn wait_for(&self, wanted: f64) -> Duration {
        if self.unlimited() || self.level >= wanted {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((wanted - self.level) / self.per_second)
        }
    }

    /// A second's worth of tokens, or half the burst if that is less.
    fn recovered(&self) -> bool {
        self.unlimited() || self.level >= self.per_second.min(self.burst / 2.0)
    }
}

/// What the socket task should do before its next read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Read now.
    Read,
    /// Wait until then before reading.
    Wait(Instant),
    /// The peer has been held at its budget for longer than allowed: close it.
    Flood,
}

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Budget {
    frames: Bucket,
    bytes: Bucket,
    refilled: Instant,
    /// Since when the peer has been held back without its budget recovering, if it is.
    held_since: Option<Instant>,
    close_after: Duration,
}

impl Budget {
    pub(crate) fn new(limits: &WebSocketLimits, now: Instant) -> Self {
        Budget {
            frames: Bucket::new(
                f64::from(limits.messages_per_second),
                f64::from(limits.message_burst),
            ),
            bytes: Bucket::new(limits.bytes_per_second as f64, limits.bytes_burst as f64),
            refilled: now,
            held_since: None,
            close_after: limits.rate_limit_close_after,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled);
        self.frames.refill(elapsed);
        self.bytes.refill(elapsed);
        self.refilled = now;
    }

    /// Whether the next frame may be read now. `Wait` the first time starts the hold; the hold
    /// ends only when the budget recovers (see [`Bucket::recovered`]).
    pub(crate) fn verdict(&mut self, now: Instant) -> Verdict {
        self.refill(now);
        if self.frames.recovered() && self.bytes.recovered() {
            self.held_since = None;
        }
        let wait = self.frames.wait_for(1.0).max(self.bytes.wait_for(0.0));
        if wait.is_zero() {
            return Verdict::Read;
        }
        let since = *self.held_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= self.close_after {
            Verdict::Flood
        } else {
            Verdict::Wait(now + wait)
        }
    }

    /// Whether the peer is being held back now (for the metric: counted once per hold).
    pub(crate) fn held(&self) -> bool {
        self.held_since.is_some()
    }

    /// Pays for a frame of `len` bytes just read.
    pub(crate) fn spend(&mut self, len: usize) {
        if !self.frames.unlimited() {
            self.frames.level -= 1.0;
        }
        if !self.bytes.unlimited() {
            self.bytes.level -= len as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, burst: u32, close_after: Duration) -> WebSocketLimits {
        WebSocketLimits {
            messages_per_second: per_second,
            message_burst: burst,
            bytes_per_second: 1000,
            bytes_burst: 10_000,
            rate_limit_close_after: close_after,
            ..WebSocketLimits::default()
        }
    }

    #[test]
    fn a_burst_is_read_at_once_then_paced() {
        let t0 = Instant::now();
        let mut budget = Budget::new(&limits(10, 5, Duration::from_secs(60)), t0);
        for _ in 0..5 {
            assert_eq!(budget.verdict(t0), Verdict::Read);
            budget.spend(1);
        }
        assert_eq!(
            budget.verdict(t0),
            Verdict::Wait(t0 + Duration::from_millis(100))
        );
        assert_eq!(
            budget.verdict(t0 + Duration::from_millis(100)),
            Verdict::Read
        );
    }

    #[test]
    fn a_large_frame_is_paid_back_in_bytes() {
        let t0 = Instant::now();
        let mut budget = Budget::new(&limits(1000, 1000, Duration::from_secs(60)), t0);
        budget.spend(12_000);
        assert_eq!(
            budget.verdict(t0),
            Verdict::Wait(t0 + Duration::from_secs(2))
        );
    }

    #[test]
    fn only_a_peer_that_never_lets_the_budget_recover_is_a_flood() {
        let t0 = Instant::now();
        let close_after = Duration::from_secs(3);
        let mut flood = Budget::new(&limits(10, 10, close_after), t0);
        let mut bursty = Budget::new(&limits(10, 10, close_after), t0);
        let mut now = t0;
        let step = Duration::from_millis(100);
        let mut flooded_at = None;
        for tick in 0..40 {
            // The flood reads whenever allowed.
            loop {
                match flood.verdict(now) {
                    Verdict::Read => flood.spend(1),
                    Verdict::Flood => {
                        flooded_at.get_or_insert(now);
                        break;
                    }
                    Verdict::Wait(_) => break,
                }
            }
            // The bursty peer empties its budget, then pauses a second and a half.
            if tick % 20 < 5 {
                while bursty.verdict(now) == Verdict::Read {
                    bursty.spend(1);
                }
            } else {
                assert_ne!(bursty.verdict(now), Verdict::Flood, "tick {tick}");
            }
            now += step;
        }
        // Held from the first tick, when it spent its burst.
        let flooded_at = flooded_at.expect("the flood was caught");
        assert!(flooded_at >= t0 + close_after, "{:?}", flooded_at - t0);
        assert!(
            flooded_at <= t0 + close_after + step * 2,
            "{:?}",
            flooded_at - t0
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let t0 = Instant::now();
        let mut budget = Budget::new(
            &WebSocketLimits {
                messages_per_second: 0,
                bytes_per_second: 0,
                ..WebSocketLimits::default()
            },
            t0,
        );
        for _ in 0..100_000 {
            budget.spend(1 << 20);
        }
        assert_eq!(budget.verdict(t0), Verdict::Read);
    }
}
