//! Targeted edits: one vocabulary of typed edits per document kind, applied to the automerge
//! document as operations on the paths that change, never as a whole-document reconcile.
//!
//! An edit is written once, against the [`Target`] trait, and runs on two targets:
//!
//! - [`DocTarget`]: the automerge document. It finds the object an edit touches (a root field,
//!   or one entry of a collection such as `lines.<key>`), hydrates only that part, lets the edit
//!   change it, and reconciles only that part back. Editing one line of a 1,000-line storecheck
//!   reads and writes one line.
//! - [`ValueTarget`]: the typed value in memory. The store keeps the value of a document in use
//!   beside its automerge handle and applies each edit to both, so a read after an edit needs no
//!   hydrate. The equivalence of the two targets is what `tests/model_edit_oracle.rs` checks
//!   (`tests/model_edit_kinds.rs` for visits, meeting notes and action items).
//!
//! A batch of edits ([`crate::store::Store::edit`]) is one automerge change and one store write:
//! the first edit that fails rolls the whole batch back.
//!
//! Validation lives in the edits (through the parts' own `validate`), so the doc path and the
//! value path refuse the same inputs with the same [`ModelError`].
//!
//! The vocabularies: [`StorecheckEdit`](super::storecheck::StorecheckEdit),
//! [`ClientVisitEdit`](super::client_visit::ClientVisitEdit),
//! [`MeetingNoteEdit`](super::meeting_note::MeetingNoteEdit) and
//! [`ActionItemEdit`](super::action_item::ActionItemEdit); the steps several of them share
//! (attendees, photos, id sets, texts) are in `parts`.

mod doc_target;
pub(crate) mod parts;
mod text;
mod value_target;

pub use doc_target::DocTarget;
pub use text::TextEdit;
pub use value_target::ValueTarget;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::{Document, ModelError};

/// A piece of a document an edit can read and write: anything autosurgeon maps.
pub trait Part: Hydrate + Reconcile + Clone {}

impl<T: Hydrate + Reconcile + Clone> Part for T {}

/// A field of document `S` of type `F`, at `path` (map keys from the root).
#[derive(Debug)]
pub struct Field<S, F> {
    /// The map keys from the root to the field; never empty.
    pub path: &'static [&'static str],
    /// The same field in the typed value.
    pub get: fn(&mut S) -> &mut F,
}

impl<S, F> Clone for Field<S, F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, F> Copy for Field<S, F> {}

/// A collection of document `S`: a map from stable keys to entries of type `E`, at `path`.
#[derive(Debug)]
pub struct Collection<S, E> {
    /// What one entry is called in errors ("line", "recipient").
    pub what: &'static str,
    /// The map keys from the root to the collection; never empty.
    pub path: &'static [&'static str],
    /// The same collection in the typed value.
    pub get: fn(&mut S) -> &mut BTreeMap<String, E>,
}

impl<S, E> Clone for Collection<S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, E> Copy for Collection<S, E> {}

impl<S, E> Collection<S, E> {
    /// The dotted name of entry `key` (`lines.<key>`) for error messages.
    pub fn name(&self, key: &str) -> String {
        let mut name = self.path.join(".");
        name.push('.');
        name.extend(key.chars().take(64));
        name
    }

    /// The error for a key that is not in the collection.
    pub fn not_found(&self, key: &str) -> ModelError {
        ModelError::NotFound {
            what: self.what,
            id: key.chars().take(64).collect(),
        }
    }
}

/// Where edits are applied: the automerge document ([`DocTarget`]) or the typed value
/// ([`ValueTarget`]). Every method touches one part only.
pub trait Target<S> {
    /// Runs `f` on a field, then writes the field back. An error from `f` is returned and the
    /// field is left as it was in the value (the batch is rolled back in the document).
    fn field<F: Part>(
        &mut self,
        field: Field<S, F>,
        f: impl FnOnce(&mut F) -> Result<(), ModelError>,
    ) -> Result<(), ModelError>;

    /// A copy of a field.
    fn read<F: Part>(&mut self, field: Field<S, F>) -> Result<F, ModelError>;

    /// Runs `f` on the entry `key` of a collection, then writes the entry back;
    /// [`ModelError::NotFound`] when there is no such entry.
    fn entry<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        f: impl FnOnce(&mut E) -> Result<(), ModelError>,
    ) -> Result<(), ModelError>;

    /// A copy of entry `key`, or `None`.
    fn get<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
    ) -> Result<Option<E>, ModelError>;

    /// How many entries the collection holds (soft-deleted ones included).
    fn len<E: Part>(&mut self, collection: Collection<S, E>) -> Result<usize, ModelError>;

    /// Adds `value` under a key the collection does not hold yet (entries are never replaced
    /// whole: two phones adding different fields of one entry must both be kept).
    fn insert<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        value: E,
    ) -> Result<(), ModelError>;
}

/// A document kind with a vocabulary of targeted edits.
pub trait Editable: Document {
    /// The kind's edits.
    type Edit: Clone + std::fmt::Debug;

    /// Applies one edit to `target`, validating it first.
    fn apply<T: Target<Self>>(edit: &Self::Edit, target: &mut T) -> Result<(), ModelError>;
}

/// Inserts `value` under `key` after the checks every collection shares: a valid key, room in
/// the collection, and no entry under that key yet.
pub fn insert_new<S, E: Part, T: Target<S>>(
    target: &mut T,
    collection: Collection<S, E>,
    key: &str,
    value: E,
) -> Result<(), ModelError> {
    let field = collection.path.join(".");
    super::limits::check_key(&field, key)?;
    let len = target.len(collection)?;
    super::limits::check_len(&field, len + 1, super::limits::MAX_ENTITIES)?;
    if target.get(collection, key)?.is_some() {
        return Err(ModelError::AlreadyExists {
            what: collection.what,
            id: key.chars().take(64).collect(),
        });
    }
    target.insert(collection, key, value)
}

/// The error a group of a kind's edits returns for an edit of another group. Each kind's
/// [`Editable::apply`] routes every variant to its group through one exhaustive match, so this
/// is never returned: it stands where a panic would otherwise be, so that a routing slip made
/// later fails the edit rather than the app.
pub(crate) fn misrouted(edit: &impl std::fmt::Debug) -> ModelError {
    let edit: String = format!("{edit:?}").chars().take(64).collect();
    ModelError::invalid(
        "edit",
        format!("{edit} was routed to the wrong group of edits"),
    )
}
