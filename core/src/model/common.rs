//! Small value types shared by the documents: geo points, catalog snapshots and add-wins sets.

use std::collections::BTreeSet;

use autosurgeon::{
    Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler,
    reconcile::{MapReconciler, NoKey},
};
use serde::Serialize;

use super::ModelError;
use super::limits::{MAX_ENTITIES, check_key, check_len, check_required, check_short};
use crate::ids::EntityId;

/// A position from the phone's GPS.
#[derive(Debug, Clone, Copy, PartialEq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GeoPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
    /// The fix's accuracy radius in metres, when the phone reports one.
    pub accuracy_m: Option<f64>,
}

impl GeoPoint {
    /// Checks ranges; NaN and infinities are rejected.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        let lat_ok = self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat);
        let lon_ok = self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon);
        let acc_ok = self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
        if !(lat_ok && lon_ok && acc_ok) {
            return Err(ModelError::invalid(field, "coordinates out of range"));
        }
        Ok(())
    }
}

/// A copy of a reference-data record (`{id, code, name}`) taken when the document pointed at it,
/// so an old document still reads right after the catalog changes.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SnapshotRef {
    /// The server's id of the record.
    pub id: EntityId,
    /// Its business code (store number, SKU), possibly empty.
    pub code: String,
    /// Its name at the time of the snapshot.
    pub name: String,
}

impl SnapshotRef {
    /// Checks the lengths.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_short(&format!("{field}.code"), &self.code)?;
        check_required(&format!("{field}.name"), &self.name)
    }
}

/// An add-wins set of ids, stored as a map `id -> true`.
///
/// Adding puts `true` under the id; removing deletes the key. automerge keeps a put that is
/// concurrent with a delete, so a concurrent add wins over a remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct IdSet(BTreeSet<String>);

impl IdSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an id; returns whether it was new.
    pub fn insert(&mut self, id: impl Into<String>) -> bool {
        self.0.insert(id.into())
    }

    /// Removes an id; returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        self.0.remove(id)
    }

    /// Whether the id is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    /// The ids, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many ids.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the size and every id.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_len(field, self.0.len(), MAX_ENTITIES)?;
        self.0.iter().try_for_each(|id| check_key(field, id))
    }
}

impl<S: Into<String>> FromIterator<S> for IdSet {
    fn from_iter<T: IntoIterator<Item = S>>(iter: T) -> Self {
        IdSet(iter.into_iter().map(Into::into).collect())
    }
}

impl Reconcile for IdSet {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        let mut m = r.map()?;
        // Only keys whose membership changed are touched, so unrelated concurrent adds survive.
        m.retain(|k, _| self.0.contains(k))?;
        for id in &self.0 {
            m.put(id, true)?;
        }
        Ok(())
    }
}

impl Hydrate for IdSet {
    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        let mut set = BTreeSet::new();
        for item in doc.map_range(obj, ..) {
            if set.len() >= MAX_ENTITIES {
                return Err(HydrateError::unexpected(
                    "a set within the size cap",
                    "too many ids".to_owned(),
                ));
            }
            if matches!(
                item.value,
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Boolean(true))
            ) {
                set.insert(item.key.to_string());
            }
        }
        Ok(IdSet(set))
    }
}
