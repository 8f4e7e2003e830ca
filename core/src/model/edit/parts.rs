//! Edit steps shared by several kinds: plain fields, texts, attendees (visits and meeting notes),
//! photos and add-wins id sets. Each kind keeps its own vocabulary; these are the rules its variants run, so an
//! attendee is checked the same way wherever it lives.

use autosurgeon::Text;

use super::{Collection, Field, Part, Target, TextEdit, insert_new};
use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::people::{Attendance, Attendee, Party};
use crate::model::photo::PhotoRef;

/// Writes `value` into a field (LWW: the whole value replaces the old one).
pub(crate) fn set<S, V: Part, T: Target<S>>(
    t: &mut T,
    field: Field<S, V>,
    value: V,
) -> Result<(), ModelError> {
    t.field(field, |f| {
        *f = value;
        Ok(())
    })
}

/// Applies a splice to a text field, keeping it within `max` bytes.
pub(crate) fn text<S, T: Target<S>>(
    t: &mut T,
    field: Field<S, Text>,
    edit: &TextEdit,
    max: usize,
) -> Result<(), ModelError> {
    let name = field.path.join(".");
    t.field(field, |n| edit.apply(&name, n, max))
}

/// A new attendee's fields, as an edit carries them (a new attendee is never deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewAttendee {
    /// Agency or client.
    pub party: Party,
    /// The user or contact id, when known.
    pub person_id: Option<String>,
    /// Name (required).
    pub name: String,
    /// Job title.
    pub title: String,
    /// Whether they came.
    pub attendance: Attendance,
}

/// Adds attendee `key`, validated first.
pub(crate) fn add_attendee<S, T: Target<S>>(
    t: &mut T,
    attendees: Collection<S, Attendee>,
    key: &str,
    new: NewAttendee,
) -> Result<(), ModelError> {
    let attendee = Attendee {
        party: new.party,
        person_id: new.person_id,
        name: new.name,
        title: new.title,
        attendance: new.attendance,
        deleted: false,
    };
    attendee.validate(&attendees.name(key))?;
    insert_new(t, attendees, key, attendee)
}

/// Runs `f` on attendee `key` and validates the attendee after it.
pub(crate) fn attendee<S, T: Target<S>>(
    t: &mut T,
    attendees: Collection<S, Attendee>,
    key: &str,
    f: impl FnOnce(&mut Attendee),
) -> Result<(), ModelError> {
    t.entry(attendees, key, |a| {
        f(a);
        a.validate(&attendees.name(key))
    })
}

/// Adds a photo reference under its own id (the key `validate_photos` expects).
pub(crate) fn add_photo<S, T: Target<S>>(
    t: &mut T,
    photos: Collection<S, PhotoRef>,
    photo: PhotoRef,
) -> Result<(), ModelError> {
    let key = photo.id.to_string();
    photo.validate(&photos.name(&key))?;
    insert_new(t, photos, &key, photo)
}

/// Runs `f` on photo `key` and validates the photo after it.
pub(crate) fn photo<S, T: Target<S>>(
    t: &mut T,
    photos: Collection<S, PhotoRef>,
    key: &str,
    f: impl FnOnce(&mut PhotoRef),
) -> Result<(), ModelError> {
    t.entry(photos, key, |p| {
        f(p);
        p.validate(&photos.name(key))
    })
}

/// Adds `id` to an add-wins set (adding an id already there changes nothing).
pub(crate) fn set_add<S, T: Target<S>>(
    t: &mut T,
    set: Field<S, IdSet>,
    id: String,
) -> Result<(), ModelError> {
    t.field(set, |s| {
        s.insert(id);
        s.validate(&set.path.join("."))
    })
}

/// Removes `id` from an add-wins set. Removing an id that is not there changes nothing rather
/// than failing: another phone may have removed it first, and the user's intent holds either way.
pub(crate) fn set_remove<S, T: Target<S>>(
    t: &mut T,
    set: Field<S, IdSet>,
    id: &str,
) -> Result<(), ModelError> {
    t.field(set, |s| {
        s.remove(id);
        Ok(())
    })
}
