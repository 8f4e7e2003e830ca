//! Action items: what an app fills to create one and the record it reads. The edits are core's
//! own [`ActionItemEdit`](enlace_core::model::action_item::ActionItemEdit).

use std::collections::HashMap;

use enlace_core::model::action_item::{Comment, Priority, Source};
use enlace_core::model::people::Party;
use enlace_core::model::{ActionItemStatus, Instant};
use enlace_core::{DocumentId, EntityId};

/// What an app fills to create an action item.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewActionItem {
    /// The client account (required: a document without one never syncs).
    pub account_id: EntityId,
    /// Who wrote it.
    pub created_by: EntityId,
    /// Now, in the writer's zone.
    pub created_at: Instant,
    /// Where it came from (a meeting note, a visit, a storecheck issue, by hand).
    pub source: Source,
    /// What is to be done.
    pub title: String,
    /// The one person who owns it.
    pub owner: EntityId,
}

document_record! {
    /// An action item as an app reads it.
    pub struct ActionItemRecord from enlace_core::model::ActionItem {
        /// Document id.
        id: DocumentId,
        /// ONCE.
        created_by: EntityId,
        /// ONCE.
        created_at: Instant,
        /// ONCE: where it came from.
        source: Source,
        /// The client account.
        account_id: Option<EntityId>,
        /// What is to be done.
        title: String,
        /// The one owner.
        owner: EntityId,
        /// Agency or client side.
        owner_party: Party,
        /// When it is due.
        due_date: Option<Instant>,
        /// How urgent.
        priority: Priority,
        /// TEXT (crosses as a string; edit it with a TextEdit).
        description: String = text,
        /// Never moves backwards.
        status: ActionItemStatus = status,
        /// Append-only comments by key.
        comments: HashMap<String, Comment> = map,
        /// Soft delete.
        deleted: bool,
    }
}

impl NewActionItem {
    /// The new action item, with a fresh id.
    pub(crate) fn into_value(self) -> enlace_core::model::ActionItem {
        let mut value = enlace_core::model::ActionItem::new(
            DocumentId::new_random(),
            self.created_by,
            self.created_at,
            self.source,
            self.title,
            self.owner,
        );
        value.account_id = Some(self.account_id);
        value
    }
}
