//! Bounds on authentication: failed attempts per address, open sockets per user.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::directory::UserKey;

/// Most addresses tracked at once; beyond it, expired windows are dropped first and then the
/// oldest, so a flood from many addresses cannot grow memory without bound.
const MAX_TRACKED_ADDRESSES: usize = 65_536;

/// Counts failed authentications per address in fixed windows; an address over the limit is
/// refused (429) until its window ends, whatever it presents.
#[derive(Debug)]
pub struct FailureLimiter {
    max_per_window: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureLimiter {
    /// At most `max_per_window` failures per `window` per address.
    pub fn new(max_per_window: u32, window: Duration) -> Self {
        FailureLimiter {
            max_per_window,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `addr` is blocked now.
    pub fn blocked(&self, addr: IpAddr, now: Instant) -> bool {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(&addr).is_some_and(|(start, count)| {
            now.duration_since(*start) < self.window && *count >= self.max_per_window
        })
    }

    /// Records a failure from `addr`.
    pub fn failed(&self, addr: IpAddr, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= MAX_TRACKED_ADDRESSES && !seen.contains_key(&addr) {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if seen.len() >= MAX_TRACKED_ADDRESSES
                && let Some(oldest) = seen
                    .iter()
                    .min_by_key(|(_, (start, _))| *start)
                    .map(|(a, _)| *a)
            {
                seen.remove(&oldest);
            }
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// Open sockets per person (a user of one organisation), bounded. A slot is held by a [`ConnectionSlot`] and given back when it
/// drops, however the socket ended.
#[derive(Debug, Clone)]
pub struct ConnectionCounter {
    max_per_user: usize,
    open: Arc<Mutex<HashMap<UserKey, usize>>>,
}

/// One open socket's place in its user's count.
#[derive(Debug)]
pub struct ConnectionSlot {
    user: UserKey,
    open: Arc<Mutex<HashMap<UserKey, usize>>>,
}

impl ConnectionCounter {
    /// At most `max_per_user` sockets per user.
    pub fn new(max_per_user: usize) -> Self {
        ConnectionCounter {
            max_per_user,
            open: Arc::default(),
        }
    }

    /// Takes a slot for `user`, or `None` if they have too many sockets open.
    pub fn acquire(&self, user: &UserKey) -> Option<ConnectionSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user.clone()).or_insert(0);
        if *count >= self.max_per_user {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            user: user.clone(),
            open: self.open.clone(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_failures_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let addr: IpAddr = "127.0.0.1".parse().expect("addr");
        let other: IpAddr = "127.0.0.2".parse().expect("addr");
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(!limiter.blocked(addr, t0));
            limiter.failed(addr, t0);
        }
        assert!(limiter.blocked(addr, t0));
        assert!(!limiter.blocked(other, t0));
        assert!(!limiter.blocked(addr, t0 + Duration::from_secs(61)));
    }

    #[test]
    fn slots_are_bounded_and_returned() {
        let counter = ConnectionCounter::new(2);
        let user: UserKey = "o/u".parse().expect("id");
        let namesake: UserKey = "p/u".parse().expect("id");
        let a = counter.acquire(&user).expect("first");
        let _b = counter.acquire(&user).expect("second");
        assert!(counter.acquire(&user).is_none());
        assert!(
            counter.acquire(&namesake).is_some(),
            "the same id in another organisation is another person"
        );
        drop(a);
        assert!(counter.acquire(&user).is_some());
    }
}
