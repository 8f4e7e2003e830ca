//! [`ValueTarget`]: edits applied to a typed value in memory.

use super::{Collection, Field, Part, Target};
use crate::model::ModelError;

/// A typed value as a [`Target`]. A failed edit leaves the part it touched unchanged (the edit
/// works on a copy that replaces the part only on success); earlier edits of a batch stay, so the
/// store drops the value when a batch fails.
#[derive(Debug)]
pub struct ValueTarget<'a, S> {
    value: &'a mut S,
}

impl<'a, S> ValueTarget<'a, S> {
    /// A target over `value`.
    pub fn new(value: &'a mut S) -> Self {
        ValueTarget { value }
    }
}

impl<S> Target<S> for ValueTarget<'_, S> {
    fn field<F: Part>(
        &mut self,
        field: Field<S, F>,
        f: impl FnOnce(&mut F) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let slot = (field.get)(self.value);
        let mut copy = slot.clone();
        f(&mut copy)?;
        *slot = copy;
        Ok(())
    }

    fn read<F: Part>(&mut self, field: Field<S, F>) -> Result<F, ModelError> {
        Ok((field.get)(self.value).clone())
    }

    fn entry<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        f: impl FnOnce(&mut E) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let slot = (collection.get)(self.value)
            .get_mut(key)
            .ok_or_else(|| collection.not_found(key))?;
        let mut copy = slot.clone();
        f(&mut copy)?;
        *slot = copy;
        Ok(())
    }

    fn get<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
    ) -> Result<Option<E>, ModelError> {
        Ok((collection.get)(self.value).get(key).cloned())
    }

    fn len<E: Part>(&mut self, collection: Collection<S, E>) -> Result<usize, ModelError> {
        Ok((collection.get)(self.value).len())
    }

    fn insert<E: Part>(
        &mut self,
        collection: Collection<S, E>,
        key: &str,
        value: E,
    ) -> Result<(), ModelError> {
        (collection.get)(self.value).insert(key.to_owned(), value);
        Ok(())
    }
}
