//! Thin adapters between the store and the typed model.
//!
//! The model layer owns the real versions of these (`crate::model::new_document`,
//! `hydrate_document`, `write_document`, `migrate`); until they land, these stand-ins do the
//! minimum the store needs with autosurgeon directly. Swapping them for the model's functions is a
//! change to this file only.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc};

use crate::model::{Document, DocumentKind, ModelError, read_kind};

/// A new automerge document holding `value`, with the root `kind` and `schema_version` set.
///
/// `kind` and `schema_version` go in first, then the value (see [`reconcile`]).
pub(crate) fn new_document<D: Document>(value: &D) -> Result<AutoCommit, ModelError> {
    let mut doc = super::documents::new_doc();
    doc.put(automerge::ROOT, "kind", D::KIND.as_str())?;
    doc.put(automerge::ROOT, "schema_version", D::SCHEMA_VERSION)?;
    reconcile(&mut doc, value)?;
    Ok(doc)
}

/// `autosurgeon::reconcile`, with its one known panic turned into an error.
///
/// autosurgeon 0.14 panics ("reconcile into hydrate::Value should not fail") when a `Text`
/// hydrated from one document is written where a new object must be created: into another
/// document, or over a different text object. That is a caller mistake (copying a `Text` between
/// documents), not a reason to take the app down, so it becomes a `StaleHeads` error. The
/// document being reconciled is a local copy the caller discards on error, so a half-applied
/// reconcile is never stored.
fn reconcile<D: Document>(doc: &mut AutoCommit, value: &D) -> Result<(), ModelError> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        autosurgeon::reconcile(&mut *doc, value)
    }));
    match result {
        Ok(r) => Ok(r?),
        Err(_) => {
            tracing::warn!(kind = %D::KIND, "reconcile panicked on a stale value");
            Err(ModelError::Reconcile(
                autosurgeon::ReconcileError::StaleHeads(autosurgeon::reconcile::StaleHeads {
                    expected: Vec::new(),
                    found: doc.get_heads(),
                }),
            ))
        }
    }
}

/// Brings an older document up to the schema this code writes. The model owns the real
/// migrations; this stand-in only refuses documents from a newer schema.
pub(crate) fn migrate<D: Document>(doc: &mut AutoCommit) -> Result<(), ModelError> {
    let found = match doc.get(automerge::ROOT, "schema_version")? {
        Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
            automerge::ScalarValue::Uint(v) => *v,
            automerge::ScalarValue::Int(v) => u64::try_from(*v).unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    };
    if found > D::SCHEMA_VERSION {
        return Err(ModelError::SchemaTooNew {
            found,
            supported: D::SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The typed value of `doc`, after checking that it is a `D` at all.
pub(crate) fn hydrate_document<D: Document>(doc: &AutoCommit) -> Result<D, ModelError> {
    check_kind::<D>(doc)?;
    Ok(autosurgeon::hydrate(doc)?)
}

/// Validates `after` (alone and as a transition from `before`) and writes it into `doc`.
pub(crate) fn write_document<D: Document>(
    doc: &mut AutoCommit,
    before: &D,
    after: &D,
) -> Result<(), ModelError> {
    after.validate()?;
    after.validate_transition(before)?;
    reconcile(doc, after)?;
    Ok(())
}

fn check_kind<D: Document>(doc: &AutoCommit) -> Result<(), ModelError> {
    match read_kind(doc) {
        Some(kind) if kind == D::KIND => Ok(()),
        other => Err(ModelError::WrongKind {
            expected: D::KIND,
            found: other
                .map(DocumentKind::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
    }
}
