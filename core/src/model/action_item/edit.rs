//! [`ActionItemEdit`]: everything a phone does to an action item, as targeted edits.
//!
//! The source and the creation fields are ONCE and have no edit; comments can only be added.

use autosurgeon::Text;

use super::{ActionItem, ActionItemStatus, Comment, Priority};
use crate::ids::EntityId;
use crate::model::ModelError;
use crate::model::edit::parts::{self, set};
use crate::model::edit::{Collection, Editable, Field, Target, TextEdit, insert_new};
use crate::model::limits::{MAX_TEXT, check_required};
use crate::model::people::Party;
use crate::model::status::Lifecycle;
use crate::model::time::Instant;

/// One edit of an action item. [`Store::edit`](crate::store::Store::edit) applies a list of
/// them as one change; each is validated before anything is written.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ActionItemEdit {
    /// The item's title (required).
    SetTitle {
        /// The title.
        title: String,
    },
    /// Hands the item to another person (exactly one owner).
    SetOwner {
        /// The new owner.
        owner: EntityId,
    },
    /// Which side the owner is on.
    SetOwnerParty {
        /// Agency or client.
        party: Party,
    },
    /// When it is due.
    SetDueDate {
        /// The due date.
        due_date: Option<Instant>,
    },
    /// How urgent it is.
    SetPriority {
        /// The priority.
        priority: Priority,
    },
    /// The client account it belongs to.
    SetAccount {
        /// The account.
        account_id: Option<EntityId>,
    },
    /// Edits the description.
    EditDescription {
        /// The splice.
        edit: TextEdit,
    },
    /// Moves the status forward: open -> in_progress -> done | cancelled (open may close
    /// directly); never backwards.
    SetStatus {
        /// The status to reach.
        to: ActionItemStatus,
    },
    /// Appends a comment under a fresh key (comments are never edited or removed).
    AddComment {
        /// The comment's key (a UUIDv7, so keys sort by creation).
        key: String,
        /// Who writes it.
        author: EntityId,
        /// When (information only).
        at: Instant,
        /// The comment.
        text: String,
    },
    /// Soft-deletes or restores the item.
    SetDeleted {
        /// Deleted or not.
        deleted: bool,
    },
}

type F<T> = Field<ActionItem, T>;

const COMMENTS: Collection<ActionItem, Comment> = Collection {
    what: "comment",
    path: &["comments"],
    get: |a| &mut a.comments,
};
const TITLE: F<String> = Field {
    path: &["title"],
    get: |a| &mut a.title,
};
const OWNER: F<EntityId> = Field {
    path: &["owner"],
    get: |a| &mut a.owner,
};
const OWNER_PARTY: F<Party> = Field {
    path: &["owner_party"],
    get: |a| &mut a.owner_party,
};
const DUE_DATE: F<Option<Instant>> = Field {
    path: &["due_date"],
    get: |a| &mut a.due_date,
};
const PRIORITY: F<Priority> = Field {
    path: &["priority"],
    get: |a| &mut a.priority,
};
const ACCOUNT: F<Option<EntityId>> = Field {
    path: &["account_id"],
    get: |a| &mut a.account_id,
};
const DESCRIPTION: F<Text> = Field {
    path: &["description"],
    get: |a| &mut a.description,
};
const STATUS: F<Lifecycle<ActionItemStatus>> = Field {
    path: &["status"],
    get: |a| &mut a.status,
};
const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |a| &mut a.deleted,
};

impl Editable for ActionItem {
    type Edit = ActionItemEdit;

    fn apply<T: Target<Self>>(edit: &ActionItemEdit, t: &mut T) -> Result<(), ModelError> {
        use ActionItemEdit as E;
        match edit.clone() {
            E::SetTitle { title } => {
                check_required("title", &title)?;
                set(t, TITLE, title)
            }
            E::SetOwner { owner } => set(t, OWNER, owner),
            E::SetOwnerParty { party } => set(t, OWNER_PARTY, party),
            E::SetDueDate { due_date } => set(t, DUE_DATE, due_date),
            E::SetPriority { priority } => set(t, PRIORITY, priority),
            E::SetAccount { account_id } => set(t, ACCOUNT, account_id),
            E::EditDescription { edit } => parts::text(t, DESCRIPTION, &edit, MAX_TEXT),
            E::SetStatus { to } => t.field(STATUS, |s| s.advance(to)),
            E::AddComment {
                key,
                author,
                at,
                text,
            } => {
                // The rule of `ActionItem::add_comment`, through the target.
                let comment = Comment { author, at, text };
                comment.validate(&COMMENTS.name(&key))?;
                insert_new(t, COMMENTS, &key, comment)
            }
            E::SetDeleted { deleted } => set(t, DELETED, deleted),
        }
    }
}
