//! A socket's budgets: token buckets (see [`Bucket`]) counting the frames and bytes it reads,
//! and the bytes the engine will parse of its messages once inflated (the inflate budget, see
//! `inflate.rs`), each refilling at its sustained rate up to its burst. The inflate budget is
//! also held per user, shared by all the user's sockets.
//!
//! The socket task reads a frame only when its frame and byte buckets hold something and no
//! inflate budget is in debt, and hands a message to the engine only once the inflate budgets
//! can pay for it; otherwise it waits for them to refill, reading nothing meanwhile, so the
//! peer's kernel buffers fill and TCP slows the peer down. Nothing is dropped and a legitimate
//! burst (a catch-up after a day offline) is only paced; but a peer that keeps its budget empty
//! for too long is a flood, and the socket task closes it.
//!
//! Frames and bytes are paid after the read (what a frame costs is known once it is read, and
//! reading it costs little). Inflated bytes are paid *before* the engine sees the message, and
//! the payment and its check are one step under the user's lock: the engine's work is what the
//! budget protects, and sockets of one user racing each other cannot overdraw it. A message
//! larger than a budget's burst goes through when the budget is full and leaves it in debt.

use std::time::Duration;

use tokio::time::Instant;

use super::bucket::Bucket;
use super::inflate::UserBudget;
use crate::config::WebSocketLimits;

/// Which budget holds a socket back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spent {
    /// Frames or bytes read.
    Wire,
    /// Inflated bytes, the socket's own or its user's.
    Inflated,
}

/// What the socket task should do next: read the next frame ([`Budget::verdict`]), or hand the
/// message it read to the engine ([`Budget::admit_inflated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go ahead (for an admission: paid).
    Go,
    /// Wait until then, then ask again.
    Wait(Instant, Spent),
    /// The peer has been held at its budget for longer than allowed: close it.
    Flood(Spent),
}

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Budget {
    frames: Bucket,
    bytes: Bucket,
    inflated: Bucket,
    /// The user's inflate budget (`None` on an open server, where nobody is known).
    user: Option<UserBudget>,
    refilled: Instant,
    /// Since when the peer has been held back without its budget recovering, if it is.
    held_since: Option<Instant>,
    close_after: Duration,
}

impl Budget {
    pub(crate) fn new(limits: &WebSocketLimits, user: Option<UserBudget>, now: Instant) -> Self {
        Budget {
            frames: Bucket::new(
                f64::from(limits.messages_per_second),
                f64::from(limits.message_burst),
            ),
            bytes: Bucket::new(limits.bytes_per_second as f64, limits.bytes_burst as f64),
            inflated: Bucket::new(
                limits.inflate.per_socket_per_second as f64,
                limits.inflate.per_socket_burst as f64,
            ),
            user,
            refilled: now,
            held_since: None,
            close_after: limits.rate_limit_close_after,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled);
        self.frames.refill(elapsed);
        self.bytes.refill(elapsed);
        self.inflated.refill(elapsed);
        self.refilled = now;
    }

    /// Ends the hold if every budget, the user's included, has recovered (see
    /// [`Bucket::recovered`]). Judged after what has been paid: a sender who keeps draining its
    /// budget stays held, though each payment waits only until there is enough.
    fn release_if_recovered(&mut self, now: Instant) {
        let user_recovered = self
            .user
            .as_ref()
            .is_none_or(|user| user.with(now, |b| b.recovered()));
        if self.frames.recovered()
            && self.bytes.recovered()
            && self.inflated.recovered()
            && user_recovered
        {
            self.held_since = None;
        }
    }

    /// `Wait` (the first time, starting the hold), or `Flood` once held too long.
    fn hold(&mut self, now: Instant, wait: Duration, spent: Spent) -> Verdict {
        let since = *self.held_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= self.close_after {
            Verdict::Flood(spent)
        } else {
            Verdict::Wait(now + wait, spent)
        }
    }

    /// Whether the next frame may be read now: not while the frame or byte budget is spent,
    /// nor while an inflate budget is in debt (a message larger than its burst, or a refused
    /// one, see [`charge_refused`](Self::charge_refused)): measuring the next message costs
    /// work too.
    pub(crate) fn verdict(&mut self, now: Instant) -> Verdict {
        self.refill(now);
        self.release_if_recovered(now);
        let wire = self.frames.wait_for(1.0).max(self.bytes.wait_for(0.0));
        let user = self
            .user
            .as_ref()
            .map_or(Duration::ZERO, |user| user.with(now, |b| b.wait_for(0.0)));
        let inflated = self.inflated.wait_for(0.0).max(user);
        if wire.is_zero() && inflated.is_zero() {
            Verdict::Go
        } else if inflated > wire {
            self.hold(now, inflated, Spent::Inflated)
        } else {
            self.hold(now, wire, Spent::Wire)
        }
    }

    /// Charges a message refused for inflating past the bound with the `bytes` measured of it
    /// before the refusal: the socket closes, but its user's next socket reads nothing until
    /// that is paid back, so a sender who reconnects to send the next bomb has each one
    /// measured at its budget's rate, no faster.
    pub(crate) fn charge_refused(&mut self, bytes: u64, now: Instant) {
        self.refill(now);
        self.inflated.spend(bytes as f64);
        if let Some(user) = &self.user {
            user.with(now, |b| b.spend(bytes as f64));
        }
    }

    /// Whether a message the engine will parse `bytes` of (inflated) may go to the engine now;
    /// `Go` means it is paid for, from the socket's and the user's inflate budgets.
    pub(crate) fn admit_inflated(&mut self, bytes: u64, now: Instant) -> Verdict {
        self.refill(now);
        if bytes == 0 {
            return Verdict::Go;
        }
        let bytes = bytes as f64;
        let own = self.inflated.wait_to_take(bytes);
        let user = match &self.user {
            Some(user) => user.with(now, |b| {
                let wait = b.wait_to_take(bytes);
                if wait.is_zero() && own.is_zero() {
                    b.spend(bytes);
                }
                wait
            }),
            None => Duration::ZERO,
        };
        let wait = own.max(user);
        if wait.is_zero() {
            self.inflated.spend(bytes);
            self.release_if_recovered(now);
            Verdict::Go
        } else {
            self.hold(now, wait, Spent::Inflated)
        }
    }

    /// Whether the peer is being held back now (for the metric: counted once per hold).
    pub(crate) fn held(&self) -> bool {
        self.held_since.is_some()
    }

    /// Pays for a frame of `len` bytes just read.
    pub(crate) fn spend(&mut self, len: usize) {
        self.frames.spend(1.0);
        self.bytes.spend(len as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InflateLimits;
    use crate::ws::inflate::UserBudgets;

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
        let mut budget = Budget::new(&limits(10, 5, Duration::from_secs(60)), None, t0);
        for _ in 0..5 {
            assert_eq!(budget.verdict(t0), Verdict::Go);
            budget.spend(1);
        }
        assert_eq!(
            budget.verdict(t0),
            Verdict::Wait(t0 + Duration::from_millis(100), Spent::Wire)
        );
        assert_eq!(budget.verdict(t0 + Duration::from_millis(100)), Verdict::Go);
    }

    #[test]
    fn a_large_frame_is_paid_back_in_bytes() {
        let t0 = Instant::now();
        let mut budget = Budget::new(&limits(1000, 1000, Duration::from_secs(60)), None, t0);
        budget.spend(12_000);
        assert_eq!(
            budget.verdict(t0),
            Verdict::Wait(t0 + Duration::from_secs(2), Spent::Wire)
        );
    }

    #[test]
    fn only_a_peer_that_never_lets_the_budget_recover_is_a_flood() {
        let t0 = Instant::now();
        let close_after = Duration::from_secs(3);
        let mut flood = Budget::new(&limits(10, 10, close_after), None, t0);
        let mut bursty = Budget::new(&limits(10, 10, close_after), None, t0);
        let mut now = t0;
        let step = Duration::from_millis(100);
        let mut flooded_at = None;
        for tick in 0..40 {
            // The flood reads whenever allowed.
            loop {
                match flood.verdict(now) {
                    Verdict::Go => flood.spend(1),
                    Verdict::Flood(_) => {
                        flooded_at.get_or_insert(now);
                        break;
                    }
                    Verdict::Wait(..) => break,
                }
            }
            // The bursty peer empties its budget, then pauses a second and a half.
            if tick % 20 < 5 {
                while bursty.verdict(now) == Verdict::Go {
                    bursty.spend(1);
                }
            } else {
                assert!(
                    !matches!(bursty.verdict(now), Verdict::Flood(_)),
                    "tick {tick}"
                );
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
                inflate: InflateLimits {
                    per_socket_per_second: 0,
                    ..InflateLimits::default()
                },
                ..WebSocketLimits::default()
            },
            None,
            t0,
        );
        for _ in 0..100_000 {
            budget.spend(1 << 20);
            assert_eq!(budget.admit_inflated(1 << 30, t0), Verdict::Go);
        }
        assert_eq!(budget.verdict(t0), Verdict::Go);
    }

    fn inflate_limits(per_socket: u64, per_user: u64) -> WebSocketLimits {
        WebSocketLimits {
            inflate: InflateLimits {
                max_message_bytes: 10_000,
                max_change_bytes: 10_000,
                per_socket_per_second: per_socket,
                per_socket_burst: 2 * per_socket,
                per_user_per_second: per_user,
                per_user_burst: 2 * per_user,
            },
            rate_limit_close_after: Duration::from_secs(3),
            ..WebSocketLimits::default()
        }
    }

    #[test]
    fn a_message_waits_until_the_inflate_budget_can_pay_for_it() {
        let t0 = Instant::now();
        let mut budget = Budget::new(&inflate_limits(1000, 0), None, t0);
        assert_eq!(budget.admit_inflated(1500, t0), Verdict::Go);
        // 500 left: the next 1500 waits for the other 1000, a second.
        assert_eq!(
            budget.admit_inflated(1500, t0),
            Verdict::Wait(t0 + Duration::from_secs(1), Spent::Inflated)
        );
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(budget.admit_inflated(1500, t1), Verdict::Go);
        // Reading frames is the wire budget's business only.
        assert_eq!(budget.verdict(t1), Verdict::Go);
    }

    #[test]
    fn a_message_larger_than_the_burst_needs_a_full_budget_and_leaves_a_debt() {
        let t0 = Instant::now();
        let mut budget = Budget::new(&inflate_limits(1000, 0), None, t0);
        assert_eq!(budget.admit_inflated(100, t0), Verdict::Go);
        assert_eq!(
            budget.admit_inflated(6000, t0),
            Verdict::Wait(t0 + Duration::from_millis(100), Spent::Inflated)
        );
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(budget.admit_inflated(6000, t1), Verdict::Go);
        // 2000 - 6000: the next 1000 waits five seconds.
        assert_eq!(
            budget.admit_inflated(1000, t1),
            Verdict::Wait(t1 + Duration::from_secs(5), Spent::Inflated)
        );
    }

    #[test]
    fn a_user_cannot_add_up_budgets_by_opening_sockets() {
        let t0 = Instant::now();
        let limits = inflate_limits(1000, 1000);
        let users = UserBudgets::new(limits.inflate.clone());
        let ana: crate::directory::UserKey = "andes/ana".parse().expect("id");
        let mut sockets: Vec<Budget> = (0..4)
            .map(|_| Budget::new(&limits, Some(users.of(&ana, t0)), t0))
            .collect();
        // Each socket has 2000 of its own, the user 2000 for all of them.
        assert_eq!(sockets[0].admit_inflated(1200, t0), Verdict::Go);
        assert_eq!(sockets[1].admit_inflated(800, t0), Verdict::Go);
        for socket in &mut sockets {
            assert_eq!(
                socket.admit_inflated(1, t0),
                Verdict::Wait(t0 + Duration::from_millis(1), Spent::Inflated)
            );
        }
        // A refusal takes nothing: the socket that was refused still has its own 2000.
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(sockets[3].admit_inflated(2000, t1), Verdict::Go);
        // Another user is not affected.
        let mut other = Budget::new(
            &limits,
            Some(users.of(&"andes/bea".parse().expect("id"), t0)),
            t0,
        );
        assert_eq!(other.admit_inflated(2000, t0), Verdict::Go);
    }

    #[test]
    fn a_refused_message_holds_the_users_next_socket_until_it_is_paid_back() {
        let t0 = Instant::now();
        let limits = inflate_limits(1000, 1000);
        let users = UserBudgets::new(limits.inflate.clone());
        let ana: crate::directory::UserKey = "andes/ana".parse().expect("id");
        let mut first = Budget::new(&limits, Some(users.of(&ana, t0)), t0);
        first.charge_refused(limits.inflate.max_message_bytes, t0);
        drop(first);
        // The socket closed; the next one of the same user waits 8 s before it reads anything.
        let mut next = Budget::new(&limits, Some(users.of(&ana, t0)), t0);
        assert_eq!(
            next.verdict(t0),
            Verdict::Wait(t0 + Duration::from_secs(8), Spent::Inflated)
        );
        assert_eq!(next.verdict(t0 + Duration::from_secs(8)), Verdict::Go);
    }

    #[test]
    fn a_socket_kept_at_its_inflate_budget_is_closed() {
        let t0 = Instant::now();
        let limits = inflate_limits(1000, 0);
        let mut budget = Budget::new(&limits, None, t0);
        let mut now = t0;
        let mut admitted = 0;
        // A bomb of the largest size, again as soon as the last one went through.
        let (verdict, at) = loop {
            match budget.admit_inflated(limits.inflate.max_message_bytes, now) {
                Verdict::Go => admitted += 1,
                Verdict::Wait(until, Spent::Inflated) => now = until,
                other => break (other, now),
            }
            assert!(now < t0 + Duration::from_secs(60), "never closed");
        };
        assert_eq!(verdict, Verdict::Flood(Spent::Inflated));
        assert!(at >= t0 + limits.rate_limit_close_after);
        assert_eq!(
            admitted, 2,
            "one on a full budget, one after paying it back"
        );
    }
}
