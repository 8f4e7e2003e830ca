//! The entry point: a meeting note in, the contact report e-mail's subject, text part and HTML
//! part out.
//!
//! Pure: no IO, no clock, no randomness, so the send command can render, show and store exactly
//! what it mails, and the same note always gives the same e-mail. Rendering cannot fail: every
//! value is cleaned and escaped rather than refused, and a report too large for e-mail is
//! shortened section by section with a note saying so ([`fit`]).

use enlace_core::model::meeting_note::MeetingNote;
use enlace_core::model::time::Instant;

use super::clock::ShownZone;
use super::fit::{self, Measure};
use super::outline::{Item, Section};
use super::{html, plain, shown};

/// Most bytes of either body part. Far above any real report (a 10,000-word note is about
/// 70 KB), and well under the message sizes mail servers refuse.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// An action item the note links to, as the report shows it. The caller reads the action item
/// documents; the renderer shows those whose `id` the note lists (and has not unlinked), in the
/// note's order, and ignores the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionLine {
    /// The action item document's id, as the note's `action_item_ids` keys it. Never shown.
    pub(crate) id: String,
    /// What is to be done.
    pub(crate) title: String,
    /// Who does it, as a display name (never an id).
    pub(crate) owner: String,
    /// When it is due.
    pub(crate) due: Option<Instant>,
}

/// What the report is rendered from.
#[derive(Debug, Clone)]
pub(crate) struct ReportInput<'a> {
    /// The meeting note.
    pub(crate) note: &'a MeetingNote,
    /// The report's number (`ACME-2026-0007`), assigned when it is sent.
    pub(crate) report_no: &'a str,
    /// The client account's display name.
    pub(crate) account_name: &'a str,
    /// The agency's display name.
    pub(crate) agency_name: &'a str,
    /// The zone times are shown in: the note's own ([`meeting_zone`](super::clock::meeting_zone))
    /// with its offset at the meeting.
    pub(crate) shown_in: &'a ShownZone,
    /// The linked action items, if the caller loaded them; empty leaves the section out.
    pub(crate) action_items: &'a [ActionLine],
    /// The accept and dispute URLs, in that order, when the caller has made them.
    pub(crate) answer_links: Option<(String, String)>,
}

/// The e-mail, ready for a mailer that sends UTF-8 (the subject needs RFC 2047 encoding and
/// the bodies a transfer encoding, as any non-ASCII e-mail does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderedReport {
    /// One line: `Contact report ACME-2026-0007: <meeting title>`.
    pub(crate) subject: String,
    /// The text/plain part, at most [`MAX_BODY_BYTES`].
    pub(crate) text: String,
    /// The text/html part, at most [`MAX_BODY_BYTES`].
    pub(crate) html: String,
}

/// Renders the client-facing contact report of `input.note`.
pub(crate) fn render(input: &ReportInput<'_>) -> RenderedReport {
    render_within(input, MAX_BODY_BYTES)
}

/// [`render`], with each body part held to `limit` bytes.
pub(super) fn render_within(input: &ReportInput<'_>, limit: usize) -> RenderedReport {
    let mut outline = shown::outline(input);
    // What is never shortened: the title, facts and answer, each bounded by clipping.
    let frame = plain::document(&outline, "")
        .len()
        .max(html::document(&outline, "").len());
    let sections = std::mem::take(&mut outline.sections);
    outline.sections = fit::fit(sections, limit.saturating_sub(frame), &Written);
    let (mut text, mut html) = (String::new(), String::new());
    for s in &outline.sections {
        plain::section(&mut text, s);
        html::section(&mut html, s);
    }
    RenderedReport {
        text: plain::document(&outline, &text),
        html: html::document(&outline, &html),
        subject: outline.subject,
    }
}

/// Sizes as written: the larger of the two parts, piece by piece, so the budget holds for both.
struct Written;

impl Measure for Written {
    fn frame(&self, section: &Section) -> usize {
        plain::section_len(section).max(html::section_len(section))
    }

    fn item(&self, item: &Item) -> usize {
        plain::item_len(item).max(html::item_len(item))
    }

    fn text(&self, text: &str) -> usize {
        plain::text_len(text).max(html::text_len(text))
    }
}
