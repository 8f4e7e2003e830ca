//! The text/plain part: the outline as plain text, for clients that do not show HTML and for
//! the client's own archive.
//!
//! A section is its frame ([`section`] on an empty body) plus its content, byte for byte, which
//! is what lets [`fit`](super::fit) measure pieces instead of whole reports.

use super::outline::{Body, Item, Outline, Section};

/// Longest underline under the title.
const RULE_MAX: usize = 72;

/// The whole text part, with `sections` (already written by [`section`]) in the middle.
pub(super) fn document(o: &Outline, sections: &str) -> String {
    let mut out = String::with_capacity(sections.len() + 1024);
    out.push_str(&o.title);
    out.push('\n');
    out.push_str(&"=".repeat(o.title.chars().count().clamp(1, RULE_MAX)));
    out.push_str("\n\n");
    for (label, value) in &o.facts {
        out.push_str(label);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    out.push_str(sections);
    out.push_str("\n-- \n");
    out.push_str(&o.answer);
    out.push('\n');
    if let Some(links) = &o.links {
        out.push_str("\nAccept the report: ");
        out.push_str(&links.accept);
        out.push_str("\nDispute the report: ");
        out.push_str(&links.dispute);
        out.push('\n');
    }
    out
}

/// Appends one section.
pub(super) fn section(out: &mut String, s: &Section) {
    out.push('\n');
    out.push_str(&s.heading);
    out.push('\n');
    out.push_str(&"-".repeat(s.heading.chars().count().clamp(1, RULE_MAX)));
    out.push('\n');
    match &s.body {
        Body::Text(t) => {
            out.push_str(t);
            out.push('\n');
        }
        Body::List(items) => items.iter().for_each(|i| item(out, i)),
    }
    if let Some(cut) = s.cut {
        out.push_str(&cut.note());
        out.push('\n');
    }
}

/// Appends one list entry: a dash, the text with its later lines indented, and the detail on
/// an indented line of its own.
fn item(out: &mut String, i: &Item) {
    out.push_str("- ");
    out.push_str(&i.text.replace('\n', "\n  "));
    out.push('\n');
    if let Some(detail) = &i.detail {
        out.push_str("  ");
        out.push_str(detail);
        out.push('\n');
    }
}

/// Bytes [`section`] writes for `s`.
pub(super) fn section_len(s: &Section) -> usize {
    let mut out = String::new();
    section(&mut out, s);
    out.len()
}

/// Bytes one list entry takes.
pub(super) fn item_len(i: &Item) -> usize {
    let mut out = String::new();
    item(&mut out, i);
    out.len()
}

/// Bytes a text section's content takes: the text as it is.
pub(super) fn text_len(t: &str) -> usize {
    t.len()
}
