//! Changes the store's owner makes with authority: a server's commands (number and send a
//! contact report, review a storecheck). The value is changed through the model, as an app's
//! update is, but under the owner's own automerge actor, and the owner's rows of record (a
//! report-number counter, an e-mail outbox, a command log) are written in the same transaction,
//! so a change is never stored without its side effects, nor they without it.

use automerge::{ActorId, ChangeHash};
use rusqlite::Transaction;

use super::{Store, append, write_tx};
use crate::ids::DocumentId;
use crate::model::{Document, ModelError};
use crate::store::documents;
use crate::store::error::StoreError;
use crate::store::model_glue;

/// What an authoritative change wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthoritativeChange<R> {
    /// The change function's answer.
    pub value: R,
    /// The new changes, as `Automerge::load_incremental` takes them (empty if nothing changed).
    pub changes: Vec<u8>,
    /// The document's heads after the change.
    pub heads: Vec<ChangeHash>,
}

/// Whether the store keeps listing rows for the document (a device's store does; a server's
/// keeps none, so its group commit can append without hydrating documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingRows {
    /// Rewrite the document's listing row with the change.
    Indexed,
    /// Keep no listing row.
    Unindexed,
}

impl Store {
    /// Changes stored document `id` as a `D` under `actor`, and lets `change` write its own rows
    /// in the same transaction (`tx`): its `Ok` commits both, its `Err` (or a value that does
    /// not validate) rolls both back. Transitions are checked as for any update, except that
    /// `change` may make the moves only a server may (`Authority::Server`).
    pub fn change_authoritatively<D, R, E>(
        &self,
        id: DocumentId,
        actor: &ActorId,
        listing: ListingRows,
        change: impl FnOnce(&mut D, &Transaction<'_>) -> Result<R, E>,
    ) -> Result<AuthoritativeChange<R>, E>
    where
        D: Document,
        E: From<StoreError>,
    {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let mut loaded = documents::load(&tx, &id, actor)?.ok_or(StoreError::NotFound(id))?;
        let heads_before = loaded.doc.get_heads();
        let model = |e: ModelError| StoreError::from_model(id, e);
        model_glue::migrate::<D>(&mut loaded.doc).map_err(model)?;
        let before: D = model_glue::hydrate_document(&loaded.doc).map_err(model)?;
        let mut after = before.clone();
        let value = change(&mut after, &tx)?;
        if after.id() != id {
            return Err(StoreError::invalid(ModelError::InvalidValue {
                field: "id".into(),
                reason: format!("cannot change from {id} to {}", after.id()),
            })
            .into());
        }
        model_glue::write_document(&mut loaded.doc, &before, &after).map_err(model)?;
        let changes = loaded.doc.save_after(&heads_before);
        let heads = loaded.doc.get_heads();
        let index = match listing {
            ListingRows::Indexed => Some(after.listing()),
            ListingRows::Unindexed => None,
        };
        let written = append(&tx, id, &mut loaded, &heads_before, index.as_ref())?;
        tx.commit().map_err(StoreError::from)?;
        if written {
            self.maybe_compact(&mut conn, id, loaded);
            drop(conn);
            self.observers.notify(&[id]);
        }
        Ok(AuthoritativeChange {
            value,
            changes,
            heads,
        })
    }
}
