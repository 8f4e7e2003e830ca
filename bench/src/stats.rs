//! Measuring: latency percentiles, the generator's own CPU time, and the file-descriptor limit.

use std::time::Duration;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use rustix::time::{ClockId, clock_gettime};
use serde_json::{Value, json};

/// CPU time (user + system, all threads) this process has used so far, in seconds.
pub fn cpu_seconds() -> f64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    // Seconds fit an f64 exactly for any realistic run.
    #[allow(clippy::cast_precision_loss)]
    let secs = t.tv_sec as f64 + t.tv_nsec as f64 / 1e9;
    secs
}

/// Raises the soft limit on open files to the hard limit (many sockets per run). Returns the
/// soft limit now in force.
pub fn raise_nofile_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            eprintln!("could not raise the open-file limit: {e}");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Latency summary: nearest-rank p50 and p99 and the maximum, in milliseconds (all `null` when
/// there are no samples).
pub fn latency_json(samples: &mut [Duration]) -> Value {
    samples.sort_unstable();
    let ms = |d: Option<&Duration>| d.map(|d| round3(d.as_secs_f64() * 1e3));
    json!({
        "p50": ms(nearest_rank(samples, 50.0)),
        "p99": ms(nearest_rank(samples, 99.0)),
        "max": ms(samples.last()),
        "count": samples.len(),
    })
}

/// The nearest-rank percentile of sorted samples: the smallest sample with at least `p`% of
/// the samples at or below it.
fn nearest_rank(sorted: &[Duration], p: f64) -> Option<&Duration> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1)
}

/// `x` rounded to three decimals, for readable JSON.
pub fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// `count / secs`, rounded.
pub fn per_second(count: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = count as f64 / secs;
    round3(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(
            nearest_rank(&samples, 50.0),
            Some(&Duration::from_millis(50))
        );
        assert_eq!(
            nearest_rank(&samples, 99.0),
            Some(&Duration::from_millis(99))
        );
        let one = [Duration::from_millis(7)];
        assert_eq!(nearest_rank(&one, 99.0), Some(&Duration::from_millis(7)));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }
}
