//! The text/html part: the outline as one simple page that e-mail clients show alike.
//!
//! E-mail clients strip `<style>` blocks and scripts and ignore most of CSS, so the page uses
//! only headings, paragraphs, lists and one table for the facts, each styled inline, in a
//! single 640-pixel column. Every value from the outline goes through [`push_escaped`]:
//! nothing the note's authors typed becomes markup. Lines are long; the mailer's transfer
//! encoding (quoted-printable or base64) keeps them within SMTP's limits.
//!
//! As in [`plain`](super::plain), a section is its frame plus its content, byte for byte.

use super::escape::push_escaped;
use super::outline::{Body, Item, Outline, Section};

const BODY: &str = "margin:0;padding:0;background-color:#ffffff;";
const COLUMN: &str = "max-width:640px;margin:0 auto;padding:16px;\
    font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222222;";
const H1: &str = "margin:0 0 12px 0;font-size:20px;line-height:1.3;";
const FACTS: &str = "border-collapse:collapse;margin:0 0 8px 0;";
const LABEL: &str = "padding:2px 16px 2px 0;color:#555555;vertical-align:top;";
const VALUE: &str = "padding:2px 0;vertical-align:top;";
const H2: &str = "margin:20px 0 8px 0;font-size:16px;line-height:1.3;";
const PARAGRAPH: &str = "margin:0 0 8px 0;";
const LIST: &str = "margin:0 0 8px 0;padding:0 0 0 20px;";
const ENTRY: &str = "margin:0 0 4px 0;";
const DETAIL: &str = "color:#555555;font-size:13px;";
const NOTE: &str = "margin:0 0 8px 0;color:#8a5a00;font-style:italic;";
const RULE: &str = "border:0;border-top:1px solid #dddddd;margin:24px 0 12px 0;";
const ANSWER: &str = "margin:0 0 12px 0;color:#555555;font-size:13px;";
const BUTTON: &str = "display:inline-block;padding:8px 16px;margin:0 8px 8px 0;color:#ffffff;\
    text-decoration:none;border-radius:4px;";
const ACCEPT: &str = "background-color:#1a7f37;";
const DISPUTE: &str = "background-color:#b42318;";

/// The whole page, with `sections` (already written by [`section`]) in the middle.
pub(super) fn document(o: &Outline, sections: &str) -> String {
    let mut out = String::with_capacity(sections.len() + 4096);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
    );
    push_escaped(&mut out, &o.subject);
    out.push_str("</title>\n</head>\n");
    out.push_str(&format!(
        "<body style=\"{BODY}\">\n<div style=\"{COLUMN}\">\n<h1 style=\"{H1}\">"
    ));
    push_escaped(&mut out, &o.title);
    out.push_str("</h1>\n");
    if !o.facts.is_empty() {
        out.push_str(&format!(
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
             style=\"{FACTS}\">\n"
        ));
        for (label, value) in &o.facts {
            out.push_str(&format!("<tr><td style=\"{LABEL}\">"));
            push_escaped(&mut out, label);
            out.push_str(&format!("</td><td style=\"{VALUE}\">"));
            push_escaped(&mut out, value);
            out.push_str("</td></tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str(sections);
    out.push_str(&format!("<hr style=\"{RULE}\">\n<p style=\"{ANSWER}\">"));
    push_escaped(&mut out, &o.answer);
    out.push_str("</p>\n");
    if let Some(links) = &o.links {
        out.push_str(&format!("<p style=\"{PARAGRAPH}\"><a href=\""));
        push_escaped(&mut out, &links.accept);
        out.push_str(&format!(
            "\" style=\"{BUTTON}{ACCEPT}\">Accept the report</a> <a href=\""
        ));
        push_escaped(&mut out, &links.dispute);
        out.push_str(&format!(
            "\" style=\"{BUTTON}{DISPUTE}\">Dispute the report</a></p>\n"
        ));
    }
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// Appends one section.
pub(super) fn section(out: &mut String, s: &Section) {
    out.push_str(&format!("<h2 style=\"{H2}\">"));
    push_escaped(out, &s.heading);
    out.push_str("</h2>\n");
    match &s.body {
        Body::Text(t) => {
            out.push_str(&format!("<p style=\"{PARAGRAPH}\">"));
            push_lines(out, t);
            out.push_str("</p>\n");
        }
        Body::List(items) => {
            out.push_str(&format!("<ul style=\"{LIST}\">\n"));
            items.iter().for_each(|i| item(out, i));
            out.push_str("</ul>\n");
        }
    }
    if let Some(cut) = s.cut {
        out.push_str(&format!("<p style=\"{NOTE}\">"));
        push_escaped(out, &cut.note());
        out.push_str("</p>\n");
    }
}

/// Appends one list entry, its detail on a second, quieter line.
fn item(out: &mut String, i: &Item) {
    out.push_str(&format!("<li style=\"{ENTRY}\">"));
    push_lines(out, &i.text);
    if let Some(detail) = &i.detail {
        out.push_str(&format!("<br>\n<span style=\"{DETAIL}\">"));
        push_escaped(out, detail);
        out.push_str("</span>");
    }
    out.push_str("</li>\n");
}

/// Appends `text` escaped, each line break as `<br>`.
fn push_lines(out: &mut String, text: &str) {
    for (n, l) in text.split('\n').enumerate() {
        if n > 0 {
            out.push_str("<br>\n");
        }
        push_escaped(out, l);
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

/// Bytes a text section's content takes.
pub(super) fn text_len(t: &str) -> usize {
    let mut out = String::new();
    push_lines(&mut out, t);
    out.len()
}
