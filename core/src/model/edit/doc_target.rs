//! [`DocTarget`]: edits applied to the automerge document, one part at a time.

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value};

use super::{Collection, Field, Part, Target};
use crate::model::{Document, ModelError};

/// The automerge document of a `S`, as a [`Target`]. Every call hydrates and reconciles only
/// the field or entry it names; the operations go into the handle's open transaction, which the
/// store commits (or rolls back) once per batch.
#[derive(Debug)]
pub struct DocTarget<'a, S> {
    doc: &'a mut AutoCommit,
    _kind: std::marker::PhantomData<fn(S)>,
}

impl<'a, S: Document> DocTarget<'a, S> {
    /// A target over `doc`, after checking that it holds a `S` of the current schema and uses
    /// the store's text encoding (text edits count UTF-8 bytes).
    pub fn new(doc: &'a mut AutoCommit) -> Result<Self, ModelError> {
        crate::model::doc::check_handle::<S>(doc)?;
        Ok(DocTarget {
            doc,
            _kind: std::marker::PhantomData,
        })
    }
}

impl<S> DocTarget<'_, S> {
    /// The map object at `path` (every key a map).
    fn map_at(&self, path: &[&str]) -> Result<ObjId, ModelError> {
        let mut obj = ROOT;
        for key in path {
            obj = match self.doc.get(&obj, *key)? {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => {
                    return Err(ModelError::invalid(
                        path.join("."),
                        "the document has no map here",
                    ));
                }
            };
        }
        Ok(obj)
    }

    /// The parent map of `path` and the last key.
    fn parent_of<'p>(&self, path: &'p [&'p str]) -> Result<(ObjId, &'p str), ModelError> {
        let (last, parents) = path
            .split_last()
            .ok_or_else(|| ModelError::invalid("path", "is empty"))?;
        Ok((self.map_at(parents)?, last))
    }

    fn write<P: Part>(&mut self, obj: &ObjId, key: &str, value: &P) -> Result<(), ModelError> {
        guard_reconcile(|| {
            autosurgeon::reconcile_prop(self.doc, obj, key, value).map_err(ModelError::from)
        })
    }
}

impl<S> Target<S> for DocTarget<'_, S> {
    fn field<F: Part>(
        &mut self,
        field: Field<S, F>,
        f: impl FnOnce(&mut F) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let (obj, key) = self.parent_of(field.path)?;
        let mut value: F = autosurgeon::hydrate_prop(&*self.doc, &obj, key)?;
        f(&mut value)?;
        self.write(&obj, key, &value)
    }

    fn read<F: Part>(&mut self, field: Field<S, F>) -> Result<F, ModelError> {
        let (obj, key) = self.parent_of(field.path)?;
        Ok(autosurgeon::hydrate_prop(&*self.doc, &obj, key)?)
    }

    fn entry<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        f: impl FnOnce(&mut E) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let map = self.map_at(collection.path)?;
        if self.doc.get(&map, key)?.is_none() {
            return Err(collection.not_found(key));
        }
        let mut value: E = autosurgeon::hydrate_prop(&*self.doc, &map, key)?;
        f(&mut value)?;
        self.write(&map, key, &value)
    }

    fn get<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
    ) -> Result<Option<E>, ModelError> {
        let map = self.map_at(collection.path)?;
        if self.doc.get(&map, key)?.is_none() {
            return Ok(None);
        }
        Ok(Some(autosurgeon::hydrate_prop(&*self.doc, &map, key)?))
    }

    fn len<E: Part>(&mut self, collection: Collection<S, E>) -> Result<usize, ModelError> {
        let map = self.map_at(collection.path)?;
        Ok(self.doc.length(&map))
    }

    fn insert<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        value: E,
    ) -> Result<(), ModelError> {
        let map = self.map_at(collection.path)?;
        self.write(&map, key, &value)
    }
}

/// Runs a reconcile, turning autosurgeon's known panic into an error.
///
/// autosurgeon 0.14 panics ("reconcile into hydrate::Value should not fail") when a `Text`
/// hydrated from one document is written where a new object must be created (a `Text` copied
/// from another document into an edit). That is a caller mistake, not a reason to take the app
/// down; the store rolls the batch back on any error, so nothing half-written is kept.
pub(crate) fn guard_reconcile(
    f: impl FnOnce() -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("reconcile panicked on a value from another document");
            Err(ModelError::invalid(
                "text",
                "a text taken from another document cannot be written here",
            ))
        }
    }
}
