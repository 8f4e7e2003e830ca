//! The ordered-list edits of a meeting note: agenda points, decisions, open questions and the
//! action items it lists.
//!
//! Every entry is placed between two neighbours by its own order key (`parts::add_ordered`,
//! `parts::move_ordered`), so a drag on one phone and an edit of the same entry on another both
//! survive; every change is checked through `parts::ordered_entry`.

use autosurgeon::Text;

use super::MeetingNoteEdit;
use super::parts::{
    ACTION_ITEMS, AGENDA, ATTENDEES, DECISIONS, QUESTIONS, add_ordered, move_ordered, ordered_entry,
};
use crate::model::ModelError;
use crate::model::common::IdSet;
use crate::model::edit::{Target, misrouted};
use crate::model::limits::MAX_TEXT;
use crate::model::meeting_note::{
    ActionRef, AgendaItem, AgendaState, Decision, MeetingNote, OpenQuestion,
};

/// Applies an edit of an agenda point.
pub(super) fn apply_agenda<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
        E::AddAgendaItem {
            key,
            title,
            owner,
            after,
            before,
        } => add_ordered(t, AGENDA, &key, after, before, |order| AgendaItem {
            order,
            title,
            owner,
            state: AgendaState::Open,
            deleted: false,
        }),
        E::MoveAgendaItem {
            item,
            after,
            before,
        } => move_ordered(t, AGENDA, &item, after, before),
        E::SetAgendaTitle { item, title } => ordered_entry(t, AGENDA, &item, |a| {
            a.title = title;
            Ok(())
        }),
        E::SetAgendaOwner { item, owner } => ordered_entry(t, AGENDA, &item, |a| {
            a.owner = owner;
            Ok(())
        }),
        E::SetAgendaState { item, state } => ordered_entry(t, AGENDA, &item, |a| {
            a.state = state;
            Ok(())
        }),
        E::SetAgendaItemDeleted { item, deleted } => ordered_entry(t, AGENDA, &item, |a| {
            a.deleted = deleted;
            Ok(())
        }),
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of a decision. An agreement names an attendee of the note.
pub(super) fn apply_decision<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
        E::AddDecision {
            key,
            text,
            after,
            before,
        } => add_ordered(t, DECISIONS, &key, after, before, |order| Decision {
            order,
            text: Text::with_value(text),
            agreed_by: IdSet::new(),
            deleted: false,
        }),
        E::MoveDecision {
            decision,
            after,
            before,
        } => move_ordered(t, DECISIONS, &decision, after, before),
        E::EditDecisionText { decision, edit } => {
            let field = format!("{}.text", DECISIONS.entries.name(&decision));
            ordered_entry(t, DECISIONS, &decision, |d| {
                edit.apply(&field, &mut d.text, MAX_TEXT)
            })
        }
        E::AddDecisionAgreedBy { decision, attendee } => {
            if t.get(ATTENDEES, &attendee)?.is_none() {
                return Err(ATTENDEES.not_found(&attendee));
            }
            ordered_entry(t, DECISIONS, &decision, |d| {
                d.agreed_by.insert(attendee);
                Ok(())
            })
        }
        E::RemoveDecisionAgreedBy { decision, attendee } => {
            ordered_entry(t, DECISIONS, &decision, |d| {
                d.agreed_by.remove(&attendee);
                Ok(())
            })
        }
        E::SetDecisionDeleted { decision, deleted } => {
            ordered_entry(t, DECISIONS, &decision, |d| {
                d.deleted = deleted;
                Ok(())
            })
        }
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of an open question.
pub(super) fn apply_question<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
        E::AddOpenQuestion {
            key,
            text,
            after,
            before,
        } => add_ordered(t, QUESTIONS, &key, after, before, |order| OpenQuestion {
            order,
            text: Text::with_value(text),
            deleted: false,
        }),
        E::MoveOpenQuestion {
            question,
            after,
            before,
        } => move_ordered(t, QUESTIONS, &question, after, before),
        E::EditOpenQuestionText { question, edit } => {
            let field = format!("{}.text", QUESTIONS.entries.name(&question));
            ordered_entry(t, QUESTIONS, &question, |q| {
                edit.apply(&field, &mut q.text, MAX_TEXT)
            })
        }
        E::SetOpenQuestionDeleted { question, deleted } => {
            ordered_entry(t, QUESTIONS, &question, |q| {
                q.deleted = deleted;
                Ok(())
            })
        }
        other => Err(misrouted(&other)),
    }
}

/// Applies an edit of the note's list of action items (each item is its own document).
pub(super) fn apply_action_item<T: Target<MeetingNote>>(
    edit: MeetingNoteEdit,
    t: &mut T,
) -> Result<(), ModelError> {
    use MeetingNoteEdit as E;
    match edit {
        E::AddActionItem {
            action_item_id,
            after,
            before,
        } => add_ordered(
            t,
            ACTION_ITEMS,
            &action_item_id.to_string(),
            after.map(|a| a.to_string()),
            before.map(|b| b.to_string()),
            |order| ActionRef {
                order,
                deleted: false,
            },
        ),
        E::MoveActionItem {
            action_item_id,
            after,
            before,
        } => move_ordered(
            t,
            ACTION_ITEMS,
            &action_item_id.to_string(),
            after.map(|a| a.to_string()),
            before.map(|b| b.to_string()),
        ),
        E::SetActionItemDeleted {
            action_item_id,
            deleted,
        } => ordered_entry(t, ACTION_ITEMS, &action_item_id.to_string(), |r| {
            r.deleted = deleted;
            Ok(())
        }),
        other => Err(misrouted(&other)),
    }
}
