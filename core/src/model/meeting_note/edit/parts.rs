//! The parts of a meeting note that [`MeetingNoteEdit`](super::MeetingNoteEdit) touches, and the
//! rules of its ordered lists and contact report.
//!
//! The groups of edits (`document`, `attendees`, `lists`, `report`) name a part by its
//! descriptor here and run these rules, so an ordered entry is placed and checked one way
//! whichever list it is in.

use std::collections::BTreeMap;

use autosurgeon::Text;

use crate::ids::{DocumentId, EntityId};
use crate::model::ModelError;
use crate::model::edit::{Collection, Field, Part, Target, insert_new};
use crate::model::meeting_note::ordered::{
    ActionRef, AgendaItem, Decision, OpenQuestion, Ordered, last_order,
};
use crate::model::meeting_note::{ContactReportStatus, MeetingKind, MeetingNote, Recipient};
use crate::model::order::between;
use crate::model::people::{Attendee, Visibility};
use crate::model::status::{Lifecycle, LifecycleState};
use crate::model::time::Instant;

type C<E> = Collection<MeetingNote, E>;
type F<T> = Field<MeetingNote, T>;

/// An ORDERED list: its entries one at a time, and the whole map for the one rule that needs
/// every order key (appending after the last live entry).
pub(super) struct List<E> {
    pub entries: C<E>,
    pub all: F<BTreeMap<String, E>>,
}

impl<E> Clone for List<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for List<E> {}

/// An entry of an ordered list, with the check its part of `MeetingNote::validate` makes.
pub(super) trait Entry: Part + Ordered {
    /// Checks the entry's contents; `field` is its dotted name.
    fn check(&self, field: &str) -> Result<(), ModelError>;
}

impl Entry for AgendaItem {
    fn check(&self, field: &str) -> Result<(), ModelError> {
        self.validate(field)
    }
}
impl Entry for Decision {
    fn check(&self, field: &str) -> Result<(), ModelError> {
        self.validate(field)
    }
}
impl Entry for OpenQuestion {
    fn check(&self, field: &str) -> Result<(), ModelError> {
        self.validate(field)
    }
}
impl Entry for ActionRef {
    fn check(&self, _field: &str) -> Result<(), ModelError> {
        Ok(())
    }
}

pub(super) const AGENDA: List<AgendaItem> = List {
    entries: Collection {
        what: "agenda item",
        path: &["agenda"],
        get: |m| &mut m.agenda,
    },
    all: Field {
        path: &["agenda"],
        get: |m| &mut m.agenda,
    },
};
pub(super) const DECISIONS: List<Decision> = List {
    entries: Collection {
        what: "decision",
        path: &["decisions"],
        get: |m| &mut m.decisions,
    },
    all: Field {
        path: &["decisions"],
        get: |m| &mut m.decisions,
    },
};
pub(super) const QUESTIONS: List<OpenQuestion> = List {
    entries: Collection {
        what: "open question",
        path: &["open_questions"],
        get: |m| &mut m.open_questions,
    },
    all: Field {
        path: &["open_questions"],
        get: |m| &mut m.open_questions,
    },
};
pub(super) const ACTION_ITEMS: List<ActionRef> = List {
    entries: Collection {
        what: "action item",
        path: &["action_item_ids"],
        get: |m| &mut m.action_item_ids,
    },
    all: Field {
        path: &["action_item_ids"],
        get: |m| &mut m.action_item_ids,
    },
};
pub(super) const ATTENDEES: C<Attendee> = Collection {
    what: "attendee",
    path: &["attendees"],
    get: |m| &mut m.attendees,
};
pub(super) const DISTRIBUTION: C<Recipient> = Collection {
    what: "recipient",
    path: &["contact_report", "distribution"],
    get: |m| &mut m.contact_report.distribution,
};
pub(super) const REPORT_STATUS: F<Lifecycle<ContactReportStatus>> = Field {
    path: &["contact_report", "status"],
    get: |m| &mut m.contact_report.status,
};
pub(super) const ACCOUNT: F<Option<EntityId>> = Field {
    path: &["account_id"],
    get: |m| &mut m.account_id,
};
pub(super) const CLIENT_VISIT: F<Option<DocumentId>> = Field {
    path: &["client_visit_id"],
    get: |m| &mut m.client_visit_id,
};
pub(super) const KIND: F<MeetingKind> = Field {
    path: &["meeting_kind"],
    get: |m| &mut m.meeting_kind,
};
pub(super) const TITLE: F<String> = Field {
    path: &["title"],
    get: |m| &mut m.title,
};
pub(super) const STARTED_AT: F<Option<Instant>> = Field {
    path: &["started_at"],
    get: |m| &mut m.started_at,
};
pub(super) const ENDED_AT: F<Option<Instant>> = Field {
    path: &["ended_at"],
    get: |m| &mut m.ended_at,
};
pub(super) const LOCATION: F<String> = Field {
    path: &["location"],
    get: |m| &mut m.location,
};
pub(super) const VISIBILITY: F<Visibility> = Field {
    path: &["visibility"],
    get: |m| &mut m.visibility,
};
pub(super) const DELETED: F<bool> = Field {
    path: &["deleted"],
    get: |m| &mut m.deleted,
};
pub(super) const BODY: F<Text> = Field {
    path: &["body"],
    get: |m| &mut m.body,
};
pub(super) const INTERNAL_NOTES: F<Text> = Field {
    path: &["internal_notes"],
    get: |m| &mut m.internal_notes,
};

/// The order key of entry `key`; [`ModelError::NotFound`] when there is none.
fn order_of<E: Entry, T: Target<MeetingNote>>(
    t: &mut T,
    list: List<E>,
    key: &str,
) -> Result<String, ModelError> {
    t.get(list.entries, key)?
        .map(|e| e.order().to_owned())
        .ok_or_else(|| list.entries.not_found(key))
}

/// An order key between neighbours `after` and `before` (`None` = that end of the list). With
/// neither, a key after the last live entry other than `moving`, as
/// `MeetingNote::add_agenda_item` appends: only then is the whole list read.
fn place<E: Entry, T: Target<MeetingNote>>(
    t: &mut T,
    list: List<E>,
    after: Option<&str>,
    before: Option<&str>,
    moving: Option<&str>,
) -> Result<String, ModelError> {
    if after.is_none() && before.is_none() {
        let mut all = t.read(list.all)?;
        if let Some(k) = moving {
            all.remove(k);
        }
        return between(last_order(&all).as_deref(), None);
    }
    let lo = after.map(|k| order_of(t, list, k)).transpose()?;
    let hi = before.map(|k| order_of(t, list, k)).transpose()?;
    between(lo.as_deref(), hi.as_deref())
}

/// Adds entry `key`, made by `make` from its order key, between `after` and `before`.
pub(super) fn add_ordered<E: Entry, T: Target<MeetingNote>>(
    t: &mut T,
    list: List<E>,
    key: &str,
    after: Option<String>,
    before: Option<String>,
    make: impl FnOnce(String) -> E,
) -> Result<(), ModelError> {
    let order = place(t, list, after.as_deref(), before.as_deref(), None)?;
    let new = make(order);
    new.check(&list.entries.name(key))?;
    insert_new(t, list.entries, key, new)
}

/// Moves entry `key` between `after` and `before` (the rule of
/// `MeetingNote::move_agenda_item`, for every ordered list): only its own order key changes.
pub(super) fn move_ordered<E: Entry, T: Target<MeetingNote>>(
    t: &mut T,
    list: List<E>,
    key: &str,
    after: Option<String>,
    before: Option<String>,
) -> Result<(), ModelError> {
    let order = place(t, list, after.as_deref(), before.as_deref(), Some(key))?;
    t.entry(list.entries, key, |e| {
        e.set_order(order);
        Ok(())
    })
}

/// Runs `f` on entry `key` of an ordered list and checks the entry after it.
pub(super) fn ordered_entry<E: Entry, T: Target<MeetingNote>>(
    t: &mut T,
    list: List<E>,
    key: &str,
    f: impl FnOnce(&mut E) -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    t.entry(list.entries, key, |e| {
        f(e)?;
        e.check(&list.entries.name(key))
    })
}

/// Runs `f` on recipient `key` and validates the recipient after it.
pub(super) fn recipient<T: Target<MeetingNote>>(
    t: &mut T,
    key: &str,
    f: impl FnOnce(&mut Recipient),
) -> Result<(), ModelError> {
    t.entry(DISTRIBUTION, key, |r| {
        f(r);
        r.validate(&DISTRIBUTION.name(key))
    })
}

/// Moves the contact report forward as a phone may: only to `in_review`. Sending, accepting and
/// disputing need one authority, so they are refused before the lifecycle is asked.
pub(super) fn advance_report<T: Target<MeetingNote>>(
    t: &mut T,
    to: ContactReportStatus,
) -> Result<(), ModelError> {
    if <ContactReportStatus as LifecycleState>::server_only(to) {
        return Err(ModelError::ServerOnly {
            what: format!("moving the contact report to {}", to.as_str()),
        });
    }
    t.field(REPORT_STATUS, |s| s.advance(to))
}
