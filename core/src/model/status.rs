//! [`Lifecycle`]: a status that never moves backwards under concurrent edits.
//!
//! A plain LWW status field would let a phone that was offline since Monday write `draft` over a
//! storecheck its colleague submitted on Tuesday. Instead the document keeps the *set of reached
//! states*, a map `state -> true` that only ever grows (adds win), and the status is the furthest
//! reached state. Concurrent transitions merge to the union, so the result is the furthest state
//! either side reached. No device clock and no actor id is consulted: "furthest" is a fixed order
//! of the states ([`LifecycleState::ALL`]), which also fixes the precedence among terminal
//! siblings (a visit both `held` and `cancelled` reads `held`).
//!
//! Going back is a server command: [`Lifecycle::reopen`] opens a new *round* (automerge shape
//! `{"0": {"draft": true, ...}, "1": {"in_progress": true}}`), and the status is the furthest state
//! of the newest round. Rounds never disappear, so the history of reopenings stays readable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use autosurgeon::{
    Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler,
    reconcile::{MapReconciler, NoKey},
};

use super::ModelError;
use super::limits::MAX_ROUNDS;

/// The states of one lifecycle (storecheck, visit, action item, contact report).
pub trait LifecycleState: Copy + Eq + Ord + Debug + 'static {
    /// Every state, from the start to the furthest. The order is the merge precedence: when two
    /// replicas reach different states concurrently, the later one in this list wins. Every
    /// allowed move must go forward in this order.
    const ALL: &'static [Self];
    /// The state a new document starts in.
    const INITIAL: Self;

    /// The word stored in the document.
    fn as_str(self) -> &'static str;

    /// Parses the stored word.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// Whether one step `from -> to` is allowed (no skipping, never backwards).
    fn can_advance(from: Self, to: Self) -> bool;

    /// Whether entering `to` needs the server's authority (send a contact report, accept it).
    fn server_only(_to: Self) -> bool {
        false
    }
}

/// Who asks for a transition. Devices may not make server-only moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// A phone or another client acting for one user.
    Device,
    /// The sync server, executing a command that needs one authority.
    Server,
}

/// A grow-only record of reached states, in rounds opened by server reopen commands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lifecycle<S: LifecycleState> {
    rounds: BTreeMap<u32, BTreeSet<S>>,
}

impl<S: LifecycleState> Default for Lifecycle<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: LifecycleState> Lifecycle<S> {
    /// A fresh lifecycle in [`LifecycleState::INITIAL`].
    pub fn new() -> Self {
        Lifecycle {
            rounds: BTreeMap::from([(0, BTreeSet::from([S::INITIAL]))]),
        }
    }

    fn latest(&self) -> Option<(u32, &BTreeSet<S>)> {
        self.rounds.last_key_value().map(|(k, v)| (*k, v))
    }

    /// A lifecycle that reached `target` along the shortest chain of allowed steps from
    /// [`LifecycleState::INITIAL`] (used by migrations from a plain status string). `None` when
    /// `target` cannot be reached.
    pub fn reached_via_path(target: S) -> Option<Self> {
        // Breadth-first search over the (tiny) state graph.
        let mut prev: BTreeMap<S, S> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([S::INITIAL]);
        while let Some(s) = queue.pop_front() {
            if s == target {
                let mut states = BTreeSet::from([s]);
                let mut cur = s;
                while let Some(&p) = prev.get(&cur) {
                    states.insert(p);
                    cur = p;
                }
                return Some(Lifecycle {
                    rounds: BTreeMap::from([(0, states)]),
                });
            }
            for &n in S::ALL {
                if S::can_advance(s, n) && n != S::INITIAL && !prev.contains_key(&n) {
                    prev.insert(n, s);
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// The current status: the furthest state reached in the newest round.
    pub fn status(&self) -> S {
        self.latest()
            .and_then(|(_, states)| states.last().copied())
            .unwrap_or(S::INITIAL)
    }

    /// Whether `state` was reached in the current round.
    pub fn reached(&self, state: S) -> bool {
        self.latest().is_some_and(|(_, s)| s.contains(&state))
    }

    /// How many times the server reopened this lifecycle.
    pub fn round(&self) -> u32 {
        self.latest().map_or(0, |(r, _)| r)
    }

    /// Moves to `to` on behalf of a device. Asking for the current status again is a no-op;
    /// skipping a state, going backwards, or a server-only move is [`ModelError::InvalidValue`].
    pub fn advance(&mut self, to: S) -> Result<(), ModelError> {
        self.advance_as(Authority::Device, to)
    }

    /// Moves to `to`, checking `authority` may make the move.
    pub fn advance_as(&mut self, authority: Authority, to: S) -> Result<(), ModelError> {
        let from = self.status();
        if from == to {
            return Ok(());
        }
        if !S::can_advance(from, to) {
            return Err(ModelError::invalid(
                "status",
                format!("cannot move from {} to {}", from.as_str(), to.as_str()),
            ));
        }
        if authority == Authority::Device && S::server_only(to) {
            return Err(ModelError::ServerOnly {
                what: format!("moving to {}", to.as_str()),
            });
        }
        let round = self.round();
        self.rounds.entry(round).or_default().insert(to);
        Ok(())
    }

    /// **Server only.** Starts a new round in state `to`, which must be behind the current status
    /// (reopen a reviewed storecheck to `in_progress`). Devices never call this: their late edits
    /// cannot move a status backwards precisely because only this command can.
    pub fn reopen(&mut self, to: S) -> Result<(), ModelError> {
        let from = self.status();
        if to >= from {
            return Err(ModelError::invalid(
                "status",
                format!(
                    "reopen must go back, not {} -> {}",
                    from.as_str(),
                    to.as_str()
                ),
            ));
        }
        if self.rounds.len() >= MAX_ROUNDS {
            return Err(ModelError::TooLarge {
                field: "status".into(),
                len: self.rounds.len(),
                max: MAX_ROUNDS,
            });
        }
        let next = self.round().saturating_add(1);
        self.rounds.insert(next, BTreeSet::from([to]));
        Ok(())
    }

    /// Checks that `self` is a legal successor of `before` in one write: no reached state removed,
    /// no state added to a closed round, and the states added to the current round form a chain
    /// of allowed steps from `before`'s status. New rounds are reopen commands; whether the
    /// writer may issue them is the server's call (the store on a phone exposes no reopen).
    pub fn check_transition(&self, before: &Self, field: &str) -> Result<(), ModelError> {
        let latest_before = before.round();
        for (round, states) in &before.rounds {
            let after = self.rounds.get(round).ok_or_else(|| {
                ModelError::invalid(field, format!("round {round} of the status was removed"))
            })?;
            if !after.is_superset(states) {
                return Err(ModelError::invalid(field, "a reached status was removed"));
            }
            if *round < latest_before && after.len() != states.len() {
                return Err(ModelError::invalid(field, "a closed status round changed"));
            }
        }
        if let Some(after) = self.rounds.get(&latest_before) {
            let empty = BTreeSet::new();
            let prior = before.rounds.get(&latest_before).unwrap_or(&empty);
            let mut current = before.status();
            for &s in after.difference(prior) {
                if !S::can_advance(current, s) {
                    return Err(ModelError::invalid(
                        field,
                        format!("cannot move from {} to {}", current.as_str(), s.as_str()),
                    ));
                }
                current = s;
            }
        }
        if self.rounds.len() > MAX_ROUNDS {
            return Err(ModelError::TooLarge {
                field: field.into(),
                len: self.rounds.len(),
                max: MAX_ROUNDS,
            });
        }
        Ok(())
    }
}

/// One round's states, written as `state -> true` without ever deleting a key.
struct RoundRef<'a, S>(&'a BTreeSet<S>);

impl<S: LifecycleState> Reconcile for RoundRef<'_, S> {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        let mut m = r.map()?;
        for s in self.0 {
            // Putting an unchanged `true` is a no-op in automerge; nothing is ever deleted here,
            // so a stale value cannot erase a state another replica reached.
            m.put(s.as_str(), true)?;
        }
        Ok(())
    }
}

impl<S: LifecycleState> Reconcile for Lifecycle<S> {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        let mut m = r.map()?;
        for (round, states) in &self.rounds {
            m.put(round.to_string(), RoundRef(states))?;
        }
        Ok(())
    }
}

impl<S: LifecycleState> Hydrate for Lifecycle<S> {
    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        let mut rounds = BTreeMap::new();
        for item in doc.map_range(obj, ..) {
            if rounds.len() >= MAX_ROUNDS {
                return Err(HydrateError::unexpected(
                    "at most MAX_ROUNDS rounds",
                    "more".into(),
                ));
            }
            let round: u32 = item.key.parse().map_err(|_| {
                HydrateError::unexpected(
                    "a status round number",
                    item.key.chars().take(16).collect(),
                )
            })?;
            let Some((automerge::Value::Object(automerge::ObjType::Map), round_obj)) =
                doc.get(obj, item.key.as_ref())?
            else {
                return Err(HydrateError::unexpected(
                    "a map of states",
                    "another value".into(),
                ));
            };
            let mut states = BTreeSet::new();
            for st in doc.map_range(&round_obj, ..) {
                let state = S::parse(&st.key).ok_or_else(|| {
                    HydrateError::unexpected("a known status", st.key.chars().take(32).collect())
                })?;
                if matches!(
                    st.value,
                    automerge::ValueRef::Scalar(automerge::ScalarValueRef::Boolean(true))
                ) {
                    states.insert(state);
                }
            }
            rounds.insert(round, states);
        }
        if rounds.is_empty() {
            return Ok(Self::new());
        }
        Ok(Lifecycle { rounds })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "status_tests.rs"]
mod tests;
