//! Action items: the record, the record that creates one, and the edits a phone applies.

use enlace_core::DocumentId;
use enlace_core::model::action_item::{
    Comment as CoreComment, Priority as CorePriority, Source as CoreSource,
    SourceKind as CoreSourceKind,
};
use enlace_core::model::{self as core, ActionItemStatus as CoreStatus, ModelError};

use crate::values::{Instant, Party, entity, opt_doc_id, opt_entity};

ffi_enum! {
    /// open -> in_progress -> done | cancelled.
    pub enum ActionItemStatus mirrors CoreStatus { Open, InProgress, Cancelled, Done }
}

ffi_enum! {
    /// Where an action item came from.
    pub enum SourceKind mirrors CoreSourceKind { MeetingNote, ClientVisit, Storecheck, Manual }
}

ffi_enum! {
    /// Priority.
    pub enum Priority mirrors CorePriority { Low, Normal, High, Urgent }
}

/// An append-only comment, keyed by `key`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Comment {
    /// The comment's key (made on the device).
    pub key: String,
    /// Who wrote it.
    pub author: String,
    /// When (information only).
    pub at: Instant,
    /// The comment.
    pub text: String,
}

/// An action item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActionItem {
    /// Document id.
    pub id: String,
    /// ONCE.
    pub created_by: String,
    /// ONCE.
    pub created_at: Instant,
    /// ONCE: kind of source.
    pub source_kind: SourceKind,
    /// ONCE: the source document.
    pub source_doc_id: Option<String>,
    /// The client account.
    pub account_id: Option<String>,
    /// Title.
    pub title: String,
    /// Exactly one person.
    pub owner: String,
    /// The owner's side.
    pub owner_party: Party,
    /// Due date.
    pub due_date: Option<Instant>,
    /// Priority.
    pub priority: Priority,
    /// TEXT.
    pub description: String,
    /// Never moves backwards.
    pub status: ActionItemStatus,
    /// Comments, by key.
    pub comments: Vec<Comment>,
    /// Soft delete.
    pub deleted: bool,
}

/// What an app fills to create an (open) action item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewActionItem {
    /// The executive.
    pub created_by: String,
    /// Now, in the executive's zone.
    pub created_at: Instant,
    /// Kind of source.
    pub source_kind: SourceKind,
    /// The source document (none for manual items).
    pub source_doc_id: Option<String>,
    /// The client account. Required: `create_action_item` refuses `None` (the server
    /// refuses a document without an account).
    pub account_id: Option<String>,
    /// Title.
    pub title: String,
    /// The owner.
    pub owner: String,
}

/// One edit of an action item; `update_action_item` applies a list of them in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ActionItemEdit {
    /// Sets the title.
    SetTitle {
        /// Title.
        title: String,
    },
    /// Hands the item to another owner.
    SetOwner {
        /// The owner.
        owner: String,
        /// The owner's side.
        party: Party,
    },
    /// Sets or clears the due date.
    SetDueDate {
        /// Due date.
        due_date: Option<Instant>,
    },
    /// Sets the priority.
    SetPriority {
        /// Priority.
        priority: Priority,
    },
    /// Moves the status forward.
    Advance {
        /// Target status.
        status: ActionItemStatus,
    },
    /// Appends a comment.
    AddComment {
        /// A fresh key.
        key: String,
        /// Who writes it.
        author: String,
        /// When.
        at: Instant,
        /// The comment.
        text: String,
    },
}

impl From<core::ActionItem> for ActionItem {
    fn from(a: core::ActionItem) -> Self {
        let status = a.status().into();
        ActionItem {
            id: a.id.to_string(),
            created_by: a.created_by.to_string(),
            created_at: a.created_at.into(),
            source_kind: a.source.kind.into(),
            source_doc_id: a.source.doc_id.map(|i| i.to_string()),
            account_id: a.account_id.map(|i| i.to_string()),
            title: a.title,
            owner: a.owner.to_string(),
            owner_party: a.owner_party.into(),
            due_date: a.due_date.map(Into::into),
            priority: a.priority.into(),
            description: a.description.as_str().to_owned(),
            status,
            comments: a
                .comments
                .into_iter()
                .map(|(key, c): (String, CoreComment)| Comment {
                    key,
                    author: c.author.to_string(),
                    at: c.at.into(),
                    text: c.text,
                })
                .collect(),
            deleted: a.deleted,
        }
    }
}

impl NewActionItem {
    /// The core value, under a fresh device-made id.
    pub(crate) fn into_core(self) -> Result<core::ActionItem, ModelError> {
        let mut item = core::ActionItem::new(
            DocumentId::new_random(),
            entity("created_by", self.created_by)?,
            self.created_at.into_core()?,
            CoreSource {
                kind: self.source_kind.into(),
                doc_id: opt_doc_id("source_doc_id", self.source_doc_id)?,
            },
            self.title,
            entity("owner", self.owner)?,
        );
        item.account_id = opt_entity("account_id", self.account_id)?;
        Ok(item)
    }
}

impl ActionItemEdit {
    /// Applies the edit; the store validates the whole document and the transition.
    pub(crate) fn apply(self, a: &mut core::ActionItem) -> Result<(), ModelError> {
        match self {
            ActionItemEdit::SetTitle { title } => a.title = title,
            ActionItemEdit::SetOwner { owner, party } => {
                a.owner = entity("owner", owner)?;
                a.owner_party = party.into();
            }
            ActionItemEdit::SetDueDate { due_date } => {
                a.due_date = Instant::opt_into_core(due_date)?;
            }
            ActionItemEdit::SetPriority { priority } => a.priority = priority.into(),
            ActionItemEdit::Advance { status } => a.advance(status.into())?,
            ActionItemEdit::AddComment {
                key,
                author,
                at,
                text,
            } => a.add_comment(&key, entity("author", author)?, at.into_core()?, text)?,
        }
        Ok(())
    }
}
