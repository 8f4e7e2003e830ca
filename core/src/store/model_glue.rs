//! The store's few calls into the typed model, in one place, each guarded so that a panic inside
//! autosurgeon becomes an error instead of taking the app (or the FFI caller) down.

use automerge::AutoCommit;

use crate::model::{self, Document, ModelError};

/// Runs a model call that reconciles, turning autosurgeon's known panic into an error.
///
/// autosurgeon 0.14 panics ("reconcile into hydrate::Value should not fail") when a `Text`
/// hydrated from one document is written where a new object must be created: into another
/// document, or over a different text object. That is a caller mistake (copying a `Text` between
/// documents), not a reason to crash. The document being reconciled is a local copy the caller
/// discards on error, so a half-applied reconcile is never stored.
fn guarded<T>(
    found: Vec<automerge::ChangeHash>,
    what: &'static str,
    f: impl FnOnce() -> Result<T, ModelError>,
) -> Result<T, ModelError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(what, "reconcile panicked on a value from another document");
            Err(ModelError::Reconcile(Box::new(
                autosurgeon::ReconcileError::StaleHeads(autosurgeon::reconcile::StaleHeads {
                    expected: Vec::new(),
                    found,
                }),
            )))
        }
    }
}

/// A new automerge document holding `value`, with the root `kind` and `schema_version` set.
pub(crate) fn new_document<D: Document>(value: &D) -> Result<AutoCommit, ModelError> {
    guarded(Vec::new(), "new document", || model::new_document(value))
}

/// Brings an older document up to the schema this code writes (in memory; an update stores the
/// migration with the edit).
pub(crate) fn migrate<D: Document>(doc: &mut AutoCommit) -> Result<(), ModelError> {
    let kind = model::migrate(doc)?;
    if kind != D::KIND {
        return Err(ModelError::WrongKind {
            expected: D::KIND,
            found: kind.as_str().to_owned(),
        });
    }
    Ok(())
}

/// The typed value of `doc`, after checking that it is a `D` at all.
pub(crate) fn hydrate_document<D: Document>(doc: &AutoCommit) -> Result<D, ModelError> {
    model::hydrate_document(doc)
}

/// Validates `after` (alone and as a transition from `before`) and writes it into `doc`.
pub(crate) fn write_document<D: Document>(
    doc: &mut AutoCommit,
    before: &D,
    after: &D,
) -> Result<(), ModelError> {
    let heads = doc.get_heads();
    guarded(heads, "update", || {
        model::write_document(doc, before, after)
    })
}
