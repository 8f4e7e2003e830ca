use automerge::{ActorId, AutoCommit, ROOT};

use super::*;

/// A visit-like lifecycle with terminal siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T {
    Planned,
    CheckedIn,
    Cancelled,
    Held,
    Sealed,
}

impl LifecycleState for T {
    const ALL: &'static [T] = &[T::Planned, T::CheckedIn, T::Cancelled, T::Held, T::Sealed];
    const INITIAL: T = T::Planned;

    fn as_str(self) -> &'static str {
        match self {
            T::Planned => "planned",
            T::CheckedIn => "checked_in",
            T::Cancelled => "cancelled",
            T::Held => "held",
            T::Sealed => "sealed",
        }
    }

    fn can_advance(from: T, to: T) -> bool {
        matches!(
            (from, to),
            (T::Planned, T::CheckedIn | T::Cancelled)
                | (T::CheckedIn, T::Held | T::Cancelled)
                | (T::Held, T::Sealed)
        )
    }

    fn server_only(to: T) -> bool {
        to == T::Sealed
    }
}

fn put(doc: &mut AutoCommit, l: &Lifecycle<T>) {
    autosurgeon::reconcile_prop(doc, ROOT, "status", l).unwrap();
}

fn get(doc: &AutoCommit) -> Lifecycle<T> {
    autosurgeon::hydrate_prop(doc, ROOT, "status").unwrap()
}

#[test]
fn advances_one_step_at_a_time() {
    let mut l = Lifecycle::<T>::new();
    assert_eq!(l.status(), T::Planned);
    assert!(l.advance(T::Held).is_err(), "skipping check-in is a jump");
    l.advance(T::CheckedIn).unwrap();
    l.advance(T::CheckedIn).unwrap();
    assert!(l.advance(T::Planned).is_err(), "never backwards");
    l.advance(T::Held).unwrap();
    assert_eq!(l.status(), T::Held);
}

#[test]
fn server_only_moves_need_the_server() {
    let mut l = Lifecycle::<T>::new();
    l.advance(T::CheckedIn).unwrap();
    l.advance(T::Held).unwrap();
    assert!(matches!(
        l.advance(T::Sealed),
        Err(ModelError::ServerOnly { .. })
    ));
    l.advance_as(Authority::Server, T::Sealed).unwrap();
    assert_eq!(l.status(), T::Sealed);
}

#[test]
fn concurrent_moves_merge_to_the_furthest() {
    let mut a = AutoCommit::new();
    put(&mut a, &Lifecycle::new());
    let mut b = a.fork().with_actor(ActorId::random());

    let mut la = get(&a);
    la.advance(T::CheckedIn).unwrap();
    la.advance(T::Held).unwrap();
    put(&mut a, &la);

    let mut lb = get(&b);
    lb.advance(T::Cancelled).unwrap();
    put(&mut b, &lb);

    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(get(&a).status(), T::Held, "held outranks cancelled");
    assert_eq!(get(&b), get(&a));
}

#[test]
fn a_stale_value_cannot_erase_reached_states() {
    let mut doc = AutoCommit::new();
    let stale = Lifecycle::<T>::new();
    let mut l = stale.clone();
    l.advance(T::CheckedIn).unwrap();
    put(&mut doc, &l);
    put(&mut doc, &stale);
    assert_eq!(get(&doc).status(), T::CheckedIn);
}

#[test]
fn reopen_starts_a_new_round() {
    let mut l = Lifecycle::<T>::new();
    l.advance(T::CheckedIn).unwrap();
    l.advance(T::Held).unwrap();
    let before = l.clone();
    assert!(l.reopen(T::Held).is_err(), "reopen must go back");
    l.reopen(T::CheckedIn).unwrap();
    assert_eq!((l.status(), l.round()), (T::CheckedIn, 1));
    l.check_transition(&before, "status").unwrap();

    let mut doc = AutoCommit::new();
    put(&mut doc, &l);
    assert_eq!(get(&doc), l);
}

#[test]
fn transition_checks() {
    let mut before = Lifecycle::<T>::new();
    before.advance(T::CheckedIn).unwrap();

    // Removing a reached state.
    assert!(
        Lifecycle::<T>::new()
            .check_transition(&before, "s")
            .is_err()
    );

    // Two steps in one write are fine when each step is allowed.
    let mut two = Lifecycle::<T>::new();
    two.advance(T::CheckedIn).unwrap();
    two.advance(T::Held).unwrap();
    two.check_transition(&Lifecycle::new(), "s").unwrap();

    // Adding two terminal siblings at once is not a chain.
    let mut forged = before.clone();
    forged
        .rounds
        .entry(0)
        .or_default()
        .extend([T::Held, T::Cancelled]);
    assert!(forged.check_transition(&before, "s").is_err());

    // Jumping straight to a far state.
    let mut jump = Lifecycle::<T>::new();
    jump.rounds.entry(0).or_default().insert(T::Held);
    assert!(jump.check_transition(&Lifecycle::new(), "s").is_err());
}

#[test]
fn unknown_states_are_hydrate_errors() {
    let mut doc = AutoCommit::new();
    let mut l = Lifecycle::<T>::new();
    l.advance(T::CheckedIn).unwrap();
    put(&mut doc, &l);
    let status = match automerge::ReadDoc::get(&doc, ROOT, "status").unwrap() {
        Some((_, id)) => id,
        None => panic!("status missing"),
    };
    let round = automerge::ReadDoc::get(&doc, &status, "0")
        .unwrap()
        .unwrap()
        .1;
    automerge::transaction::Transactable::put(&mut doc, &round, "teleported", true).unwrap();
    assert!(autosurgeon::hydrate_prop::<_, Lifecycle<T>, _, _>(&doc, ROOT, "status").is_err());
}
