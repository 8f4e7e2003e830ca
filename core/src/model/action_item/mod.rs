//! [`ActionItem`]: one small document per task, so its owner can close it without write access to
//! the meeting note it came from.

mod edit;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;

use super::limits::{
    MAX_ENTITIES, MAX_TEXT, check_key, check_len, check_map, check_required, check_text,
};
use super::people::Party;
use super::rules::once;
use super::status::{Lifecycle, LifecycleState};
use super::time::Instant;
use super::{Document, DocumentKind, Listing, ModelError};
use crate::ids::{DocumentId, EntityId};

pub use edit::ActionItemEdit;

str_enum! {
    /// open -> in_progress -> done | cancelled (open may close directly). Concurrent done and
    /// cancelled read as done: the work was reported finished.
    pub enum ActionItemStatus {
        /// Not started.
        Open => "open",
        /// Being worked on.
        InProgress => "in_progress",
        /// Dropped.
        Cancelled => "cancelled",
        /// Finished.
        Done => "done",
    }
}

impl LifecycleState for ActionItemStatus {
    const ALL: &'static [Self] = ActionItemStatus::ALL;
    const INITIAL: Self = ActionItemStatus::Open;

    fn as_str(self) -> &'static str {
        ActionItemStatus::as_str(self)
    }

    fn can_advance(from: Self, to: Self) -> bool {
        use ActionItemStatus::*;
        matches!(
            (from, to),
            (Open, InProgress | Done | Cancelled) | (InProgress, Done | Cancelled)
        )
    }
}

str_enum! {
    /// Where an action item came from.
    pub enum SourceKind {
        /// A meeting note.
        MeetingNote => "meeting_note",
        /// A client visit.
        ClientVisit => "client_visit",
        /// A storecheck issue.
        Storecheck => "storecheck",
        /// Created by hand.
        Manual => "manual",
    }
}

str_enum! {
    /// Priority.
    pub enum Priority {
        /// Low.
        Low => "low",
        /// Normal.
        Normal => "normal",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

/// The document that gave rise to the item (ONCE).
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Source {
    /// Kind of source.
    pub kind: SourceKind,
    /// Its id (none for manual items).
    pub doc_id: Option<DocumentId>,
}

/// A comment: append-only, never edited or removed.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Comment {
    /// Who wrote it.
    pub author: EntityId,
    /// When (information only; display order falls back to the id, a UUIDv7).
    pub at: Instant,
    /// The comment.
    pub text: String,
}

impl Comment {
    /// Checks the text's size.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_len(&format!("{field}.text"), self.text.len(), MAX_TEXT)
    }
}

/// An action item document.
#[derive(Debug, Clone, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct ActionItem {
    /// ONCE.
    pub id: DocumentId,
    /// ONCE.
    pub created_by: EntityId,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE.
    pub source: Source,
    /// LWW. The client account. Optional in the type, but required to store:
    /// [`Store::create`](crate::store::Store::create) refuses an item without one, because a
    /// server places every document in an account ([`classify`](crate::model::classify)) and
    /// refuses one without, so it would never sync.
    pub account_id: Option<EntityId>,
    /// LWW.
    pub title: String,
    /// LWW: exactly one person.
    pub owner: EntityId,
    /// LWW.
    pub owner_party: Party,
    /// LWW.
    pub due_date: Option<Instant>,
    /// LWW.
    pub priority: Priority,
    /// TEXT.
    #[serde(with = "crate::model::text_serde")]
    pub description: Text,
    /// STATUS.
    pub status: Lifecycle<ActionItemStatus>,
    /// Append-only comments keyed by comment id.
    pub comments: BTreeMap<String, Comment>,
    /// LWW soft delete.
    pub deleted: bool,
}

impl ActionItem {
    /// A new open item, with no account: set `account_id` before storing it.
    pub fn new(
        id: DocumentId,
        created_by: EntityId,
        created_at: Instant,
        source: Source,
        title: impl Into<String>,
        owner: EntityId,
    ) -> Self {
        ActionItem {
            id,
            created_by,
            created_at,
            source,
            account_id: None,
            title: title.into(),
            owner,
            owner_party: Party::Agency,
            due_date: None,
            priority: Priority::Normal,
            description: Text::default(),
            status: Lifecycle::new(),
            comments: BTreeMap::new(),
            deleted: false,
        }
    }

    /// The current status.
    pub fn status(&self) -> ActionItemStatus {
        self.status.status()
    }

    /// Moves to `to`, never backwards.
    pub fn advance(&mut self, to: ActionItemStatus) -> Result<(), ModelError> {
        self.status.advance(to)
    }

    /// Appends a comment under a fresh id.
    pub fn add_comment(
        &mut self,
        comment_id: &str,
        author: EntityId,
        at: Instant,
        text: impl Into<String>,
    ) -> Result<(), ModelError> {
        check_key("comments", comment_id)?;
        check_len("comments", self.comments.len() + 1, MAX_ENTITIES)?;
        if self.comments.contains_key(comment_id) {
            return Err(ModelError::invalid(
                format!("comments.{comment_id}"),
                "already exists",
            ));
        }
        let comment = Comment {
            author,
            at,
            text: text.into(),
        };
        comment.validate("comments")?;
        self.comments.insert(comment_id.to_owned(), comment);
        Ok(())
    }
}

impl Document for ActionItem {
    const KIND: DocumentKind = DocumentKind::ActionItem;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: self.account_id.as_ref().map(ToString::to_string),
            status: self.status().as_str().to_owned(),
            date_ms: self
                .due_date
                .as_ref()
                .map_or(self.created_at.utc_ms, |d| d.utc_ms),
            title: self.title.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        check_required("title", &self.title)?;
        check_text("description", &self.description, MAX_TEXT)?;
        check_map("comments", self.comments.iter())?;
        for (k, c) in &self.comments {
            c.validate(&format!("comments.{k}"))?;
        }
        Ok(())
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        once("id", &before.id, &self.id)?;
        once("created_by", &before.created_by, &self.created_by)?;
        once("created_at", &before.created_at, &self.created_at)?;
        once("source", &before.source, &self.source)?;
        self.status.check_transition(&before.status, "status")?;
        for (k, c) in &before.comments {
            once(&format!("comments.{k}"), &Some(c), &self.comments.get(k))?;
        }
        Ok(())
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}
