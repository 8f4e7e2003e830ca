//! Exponential reconnect back-off with full jitter (randomness passed in), so a thousand phones
//! coming out of the same tunnel do not reconnect in lockstep.

use std::time::Duration;

/// The delay before reconnect attempt number `attempt` (1-based): a random point in
/// `[initial * 2^(attempt-1) / 2, initial * 2^(attempt-1)]`, capped at `max`. `random` is any
/// uniformly random u64 (passed in, so the computation is testable).
pub fn delay(attempt: u32, initial: Duration, max: Duration, random: u64) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let ceiling = initial.saturating_mul(1u32 << exp).min(max);
    let ceiling_ms = u64::try_from(ceiling.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let half = ceiling_ms / 2;
    Duration::from_millis(half + random % (ceiling_ms - half + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let i = Duration::from_millis(500);
        let m = Duration::from_secs(30);
        for r in [0, 1, u64::MAX / 3, u64::MAX] {
            assert!(delay(1, i, m, r) <= i && delay(1, i, m, r) >= i / 2);
            assert!(delay(4, i, m, r) <= Duration::from_secs(4));
            assert!(delay(4, i, m, r) >= Duration::from_secs(2));
            assert!(delay(40, i, m, r) <= m && delay(40, i, m, r) >= m / 2);
        }
    }
}
