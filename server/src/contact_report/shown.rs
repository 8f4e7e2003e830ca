//! What of a meeting note the client sees. This is the only file that reads the note, and it
//! reads it field by field: a field added to the model later stays out of the report until
//! someone decides here that the client should see it.
//!
//! Shown: the title, when and where, the live attendees (name, job title, absence) grouped by
//! party, the notes body, the live agenda, decisions (with who agreed, by name) and open
//! questions in display order, and the action items the note links to, as the caller describes
//! them.
//!
//! Never shown, because they are the agency's own: `internal_notes`, `visibility`,
//! `meeting_kind`, `created_by`, `created_at`, every id (the note's, the account's, the client
//! visit's, attendees' `person_id`, map keys, action item ids), order keys, soft-deleted
//! entries, and the contact report's own bookkeeping (status, `sent_at`, and the distribution
//! list, whose reasons say who is whose superior; the recipients see each other in the
//! e-mail's headers).

use std::collections::BTreeMap;

use enlace_core::model::meeting_note::{AgendaItem, AgendaState, MeetingNote, in_order};
use enlace_core::model::people::{Attendance, Attendee, Party};

use super::clock::{self, ShownZone};
use super::outline::{Body, Item, Links, Outline, Section};
use super::render::{ActionLine, ReportInput};
use super::text::{clip, line, lines, one_line};

/// Longest subject, in bytes: mail clients show about a line of it, and a header line must
/// stay well under RFC 5322's 998 characters once encoded.
const SUBJECT_MAX: usize = 250;

/// How long the client has before silence counts as acceptance
/// ([`ContactReportStatus::Accepted`](enlace_core::model::ContactReportStatus::Accepted)).
const SILENCE_ACCEPTS_AFTER: &str = "48 working hours";

/// The outline of the report `input` describes.
pub(super) fn outline(input: &ReportInput<'_>) -> Outline {
    let note = input.note;
    let title = match line(&note.title) {
        t if t.is_empty() => "(untitled meeting)".to_owned(),
        t => t,
    };
    let report_no = line(input.report_no);
    let account = line(input.account_name);
    let agency = line(input.agency_name);
    let subject = clip(&format!("Contact report {report_no}: {title}"), SUBJECT_MAX);
    let facts = [
        ("Report", report_no),
        ("Account", account.clone()),
        ("Agency", agency.clone()),
        (
            "When",
            clock::meeting_time(
                note.started_at.as_ref(),
                note.ended_at.as_ref(),
                input.shown_in,
            )
            .unwrap_or_default(),
        ),
        ("Where", line(&note.location)),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let names = Names::of(note);
    let sections = [
        attendees(note, Party::Client, "Client attendees", &account),
        attendees(note, Party::Agency, "Agency attendees", &agency),
        text_section("Notes", note.body.as_str()),
        list_section("Agenda", agenda(note, &names)),
        list_section("Decisions", decisions(note, &names)),
        list_section("Open questions", open_questions(note)),
        list_section(
            "Action items",
            actions(note, input.action_items, input.shown_in),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let links = input.answer_links.as_ref().map(|(accept, dispute)| Links {
        accept: one_line(accept),
        dispute: one_line(dispute),
    });
    let how = if links.is_some() {
        "Use the links below to accept or dispute it."
    } else {
        "Reply to this e-mail to accept or dispute it."
    };
    let answer = format!(
        "Please check this report. If it matches your understanding of the meeting, accept it; \
         if anything is wrong or missing, dispute it and tell us what. {how} Without an answer \
         within {SILENCE_ACCEPTS_AFTER}, the report is taken as accepted."
    );
    Outline {
        subject,
        title,
        facts,
        sections,
        answer,
        links,
    }
}

/// Display names of the live attendees, by their key in `attendees` and by their `person_id`,
/// so references to people print as names and never as ids.
struct Names<'a> {
    by_key: BTreeMap<&'a str, String>,
    by_person: BTreeMap<&'a str, String>,
}

impl<'a> Names<'a> {
    fn of(note: &'a MeetingNote) -> Self {
        let live = || note.attendees.iter().filter(|(_, a)| !a.deleted);
        Names {
            by_key: live().map(|(k, a)| (k.as_str(), line(&a.name))).collect(),
            by_person: live()
                .filter_map(|(_, a)| Some((a.person_id.as_deref()?, line(&a.name))))
                .collect(),
        }
    }

    /// The name of the attendee keyed `key`, if live.
    fn attendee(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }

    /// Whom an agenda owner names: an attendee (by key or person id), else the text as written.
    fn owner(&self, owner: &str) -> String {
        self.by_key
            .get(owner)
            .or_else(|| self.by_person.get(owner))
            .cloned()
            .unwrap_or_else(|| line(owner))
    }
}

/// A text section, unless the text is blank.
fn text_section(heading: &str, text: &str) -> Option<Section> {
    let text = lines(text);
    (!text.is_empty()).then(|| Section {
        heading: heading.to_owned(),
        body: Body::Text(text),
        cut: None,
    })
}

/// A list section, unless it has no entries.
fn list_section(heading: &str, items: Vec<Item>) -> Option<Section> {
    (!items.is_empty()).then(|| Section {
        heading: heading.to_owned(),
        body: Body::List(items),
        cut: None,
    })
}

/// The live attendees of one party, by name, headed with the party's display name.
fn attendees(note: &MeetingNote, party: Party, heading: &str, name: &str) -> Option<Section> {
    let mut people: Vec<(&String, &Attendee)> = note
        .attendees
        .iter()
        .filter(|(_, a)| !a.deleted && a.party == party)
        .collect();
    people.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(b.0)));
    let items = people
        .into_iter()
        .map(|(_, a)| {
            let mut text = line(&a.name);
            let title = line(&a.title);
            if !title.is_empty() {
                text = format!("{text}, {title}");
            }
            if a.attendance == Attendance::Absent {
                text.push_str(" (absent)");
            }
            Item { text, detail: None }
        })
        .collect();
    let heading = if name.is_empty() {
        heading.to_owned()
    } else {
        format!("{heading} — {name}")
    };
    list_section(&heading, items)
}

/// The live agenda in display order.
fn agenda(note: &MeetingNote, names: &Names<'_>) -> Vec<Item> {
    in_order(&note.agenda)
        .into_iter()
        .filter_map(|(_, a): (&str, &AgendaItem)| {
            let text = line(&a.title);
            if text.is_empty() {
                return None;
            }
            let mut detail = Vec::new();
            let owner = a.owner.as_deref().map(|o| names.owner(o));
            if let Some(owner) = owner.filter(|o| !o.is_empty()) {
                detail.push(format!("Led by {owner}"));
            }
            if a.state == AgendaState::Deferred {
                detail.push("Deferred to a later meeting".to_owned());
            }
            Some(Item {
                text,
                detail: (!detail.is_empty()).then(|| detail.join("; ")),
            })
        })
        .collect()
}

/// The live decisions in display order, with the live attendees who agreed, by name.
fn decisions(note: &MeetingNote, names: &Names<'_>) -> Vec<Item> {
    in_order(&note.decisions)
        .into_iter()
        .filter_map(|(_, d)| {
            let text = lines(d.text.as_str());
            if text.is_empty() {
                return None;
            }
            let mut agreed: Vec<&str> = d
                .agreed_by
                .iter()
                .filter_map(|k| names.attendee(k))
                .collect();
            agreed.sort_unstable();
            let detail = (!agreed.is_empty()).then(|| format!("Agreed by {}", agreed.join(", ")));
            Some(Item { text, detail })
        })
        .collect()
}

/// The live open questions in display order.
fn open_questions(note: &MeetingNote) -> Vec<Item> {
    in_order(&note.open_questions)
        .into_iter()
        .filter_map(|(_, q)| {
            let text = lines(q.text.as_str());
            (!text.is_empty()).then_some(Item { text, detail: None })
        })
        .collect()
}

/// The action items the note links to (live links only), in the note's order, as `given`
/// describes them; a description the note does not link to is left out.
fn actions(note: &MeetingNote, given: &[ActionLine], zone: &ShownZone) -> Vec<Item> {
    let by_id: BTreeMap<&str, &ActionLine> = given.iter().map(|a| (a.id.as_str(), a)).collect();
    in_order(&note.action_item_ids)
        .into_iter()
        .filter_map(|(id, _)| by_id.get(id).copied())
        .filter_map(|a| {
            let text = line(&a.title);
            if text.is_empty() {
                return None;
            }
            let owner = line(&a.owner);
            let due = a.due.as_ref().map(|at| clock::date(at, zone));
            let detail = match (owner.is_empty(), due) {
                (true, None) => None,
                (false, None) => Some(format!("Owner: {owner}")),
                (true, Some(due)) => Some(format!("Due {due}")),
                (false, Some(due)) => Some(format!("Owner: {owner}; due {due}")),
            };
            Some(Item { text, detail })
        })
        .collect()
}
