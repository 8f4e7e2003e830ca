//! Ids inside documents: [`DocumentId`] and [`EntityId`] are stored as strings.
//!
//! A malformed id in a document (a broken or hostile client wrote it) is a hydrate error, never a
//! panic, so one bad document cannot crash a phone or the server.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};

use crate::ids::{DocumentId, EntityId};

impl Reconcile for DocumentId {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(self.to_string())
    }
}

impl Hydrate for DocumentId {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        s.parse().map_err(|e: crate::ids::IdError| {
            HydrateError::unexpected("a document id", e.to_string())
        })
    }
}

impl Reconcile for EntityId {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(self.as_str())
    }
}

impl Hydrate for EntityId {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        s.parse().map_err(|e: crate::ids::IdError| {
            HydrateError::unexpected("an entity id", e.to_string())
        })
    }
}

impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl serde::Serialize for EntityId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl<'de> serde::Deserialize<'de> for EntityId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    #[test]
    fn malformed_ids_are_hydrate_errors() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "doc", "not-an-id").unwrap();
        doc.put(ROOT, "ent", "").unwrap();
        assert!(autosurgeon::hydrate_prop::<_, DocumentId, _, _>(&doc, ROOT, "doc").is_err());
        assert!(autosurgeon::hydrate_prop::<_, EntityId, _, _>(&doc, ROOT, "ent").is_err());
    }

    #[test]
    fn ids_round_trip() {
        let mut doc = AutoCommit::new();
        let d = DocumentId::new_random();
        let e = EntityId::new_random();
        autosurgeon::reconcile_prop(&mut doc, ROOT, "doc", d).unwrap();
        autosurgeon::reconcile_prop(&mut doc, ROOT, "ent", &e).unwrap();
        let d2: DocumentId = autosurgeon::hydrate_prop(&doc, ROOT, "doc").unwrap();
        let e2: EntityId = autosurgeon::hydrate_prop(&doc, ROOT, "ent").unwrap();
        assert_eq!((d, e), (d2, e2));
    }
}
