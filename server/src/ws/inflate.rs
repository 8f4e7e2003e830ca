//! The inflate budget's two halves on the socket's side: measuring what the engine would parse
//! of a message, and the budget each user shares across their sockets.
//!
//! automerge inflates a sync message's compressed changes on the engine's single thread before
//! it learns whether they are worth anything, and a 61 KB frame can hold a deflate stream of
//! 60 MiB. So every `sync` and `request` is measured here, on the socket's task
//! ([`check_sync_data`]: nothing inflated, nothing allocated beyond a copy of the frame's
//! changes): over [`InflateLimits::max_message_bytes`] the socket is closed, the engine never
//! sees the message and the user is charged the bound (what measuring it cost); otherwise the
//! socket pays the size from its own budget and its user's (`rate.rs`) before it forwards the
//! message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use enlace_core::wire::{InflateError, Message, SyncDataError, UnsafeSyncMessage, check_sync_data};
use tokio::time::Instant;

use super::bucket::Bucket;
use crate::config::InflateLimits;
use crate::directory::UserKey;

/// Users tracked before the registry first drops those it no longer needs.
const PRUNE_FROM: usize = 1024;

/// Why a message was refused before reaching the engine.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    /// It, or one of its changes, inflates past its bound.
    #[error("sync message inflates to more than {max} bytes")]
    TooLarge {
        /// The bound.
        max: u64,
    },
    /// It is no sync message, or one the engine would refuse as unsafe (bloom filter, malformed
    /// compressed data, bundle).
    #[error(transparent)]
    Invalid(SyncDataError),
}

/// Bytes the engine would parse of `message` (automerge data counted inflated): the changes of
/// a `sync` or `request`; nothing for the other messages, which carry no automerge data.
pub(super) fn inflated_size(message: &Message, limits: &InflateLimits) -> Result<u64, Refusal> {
    let (Message::Sync { data, .. } | Message::Request { data, .. }) = message else {
        return Ok(0);
    };
    check_sync_data(data, limits.max_message_bytes, limits.max_change_bytes).map_err(|e| match e {
        SyncDataError::Unsafe(UnsafeSyncMessage::Changes(InflateError::TooLarge { max })) => {
            Refusal::TooLarge { max }
        }
        other => Refusal::Invalid(other),
    })
}

/// One user's inflate budget, shared by their sockets.
#[derive(Debug, Clone)]
pub(crate) struct UserBudget(Arc<Mutex<Timed>>);

#[derive(Debug)]
struct Timed {
    bucket: Bucket,
    refilled: Instant,
}

impl UserBudget {
    fn new(limits: &InflateLimits, now: Instant) -> Self {
        UserBudget(Arc::new(Mutex::new(Timed {
            bucket: Bucket::new(
                limits.per_user_per_second as f64,
                limits.per_user_burst as f64,
            ),
            refilled: now,
        })))
    }

    /// Runs `f` on the bucket, refilled up to `now`.
    pub(super) fn with<R>(&self, now: Instant, f: impl FnOnce(&mut Bucket) -> R) -> R {
        let mut timed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(timed.refilled);
        timed.bucket.refill(elapsed);
        timed.refilled = now;
        f(&mut timed.bucket)
    }
}

/// Every user's [`UserBudget`]. A budget outlives its user's sockets (a user who reconnects
/// finds their debt where they left it) and is dropped once no socket holds it and it has
/// refilled, when it is worth no more than a fresh one: the registry holds the users with open
/// sockets or recent debt, no more.
#[derive(Debug)]
pub(crate) struct UserBudgets {
    limits: InflateLimits,
    users: Mutex<Users>,
}

#[derive(Debug)]
struct Users {
    budgets: HashMap<UserKey, UserBudget>,
    prune_at: usize,
}

impl UserBudgets {
    pub(crate) fn new(limits: InflateLimits) -> Self {
        UserBudgets {
            limits,
            users: Mutex::new(Users {
                budgets: HashMap::new(),
                prune_at: PRUNE_FROM,
            }),
        }
    }

    /// The budget of `user`.
    pub(crate) fn of(&self, user: &UserKey, now: Instant) -> UserBudget {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        if users.budgets.len() >= users.prune_at {
            users
                .budgets
                .retain(|_, b| Arc::strong_count(&b.0) > 1 || !b.with(now, |b| b.full()));
            // Pruning again only once the map has doubled keeps the cost per call constant.
            users.prune_at = (users.budgets.len() * 2).max(PRUNE_FROM);
        }
        users
            .budgets
            .entry(user.clone())
            .or_insert_with(|| UserBudget::new(&self.limits, now))
            .clone()
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .budgets
            .len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> InflateLimits {
        InflateLimits {
            per_user_per_second: 100,
            per_user_burst: 1000,
            ..InflateLimits::default()
        }
    }

    #[test]
    fn a_users_sockets_share_one_budget_that_survives_a_reconnect() {
        let budgets = UserBudgets::new(limits());
        let t0 = Instant::now();
        let ana: UserKey = "andes/ana".parse().expect("id");
        let first = budgets.of(&ana, t0);
        let second = budgets.of(&ana, t0);
        first.with(t0, |b| b.spend(1500.0));
        assert_eq!(second.with(t0, |b| b.wait_for(0.0)), Duration::from_secs(5));
        drop((first, second));
        // All sockets gone, the debt stays with the user.
        let again = budgets.of(&ana, t0 + Duration::from_secs(1));
        assert_eq!(
            again.with(t0 + Duration::from_secs(1), |b| b.wait_for(0.0)),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn refilled_budgets_without_sockets_are_dropped() {
        let budgets = UserBudgets::new(limits());
        let t0 = Instant::now();
        let indebted: UserKey = "andes/indebted".parse().expect("id");
        budgets.of(&indebted, t0).with(t0, |b| b.spend(5000.0));
        let held: Vec<UserBudget> = (0..PRUNE_FROM / 2)
            .map(|i| budgets.of(&format!("andes/open-{i}").parse().expect("id"), t0))
            .collect();
        for i in 0..PRUNE_FROM {
            let _ = budgets.of(&format!("andes/gone-{i}").parse().expect("id"), t0);
        }
        // Pruned on the way: the users whose sockets closed with a full budget. Those with
        // open sockets and the one in debt stay.
        assert!(
            budgets.tracked() < PRUNE_FROM * 3 / 2,
            "{}",
            budgets.tracked()
        );
        let after = budgets.of(&indebted, t0);
        assert!(after.with(t0, |b| b.wait_for(0.0)) > Duration::ZERO);
        assert!(held.iter().all(|b| Arc::strong_count(&b.0) > 1));
    }
}
