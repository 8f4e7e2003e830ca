//! Cleaning values before they are shown: one-line fields stay on one line, free text keeps its
//! line breaks and nothing else invisible, and short fields are clipped.
//!
//! The renderer cannot assume the note passed validation: it may come from a merge of edits
//! each valid alone, or from an older schema. A newline in a title would otherwise end the
//! `Subject` header and start one of the sender's choosing, and a bidirectional override would
//! make the client read a different sentence than the one stored. Short fields are clipped to
//! the model's own bound, [`MAX_SHORT`], so the parts of the report that are never shortened
//! (title, facts, headings) stay small whatever the document holds.

use enlace_core::model::limits::MAX_SHORT;

/// Marks a value clipped by [`clip`].
const ELLIPSIS: &str = "…";

/// Characters that change how the surrounding text is displayed without being seen: the
/// bidirectional embeddings, overrides and isolates, and the line and paragraph separators.
fn invisible(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// A one-line value (title, name, place): like [`one_line`], clipped to [`MAX_SHORT`] bytes.
pub(super) fn line(s: &str) -> String {
    clip(&one_line(s), MAX_SHORT)
}

/// `s` on one line: control and invisible characters become spaces and the ends are trimmed.
/// Not clipped, for values that break when cut (links).
pub(super) fn one_line(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| {
            if c.is_control() || invisible(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.trim().to_owned()
}

/// Free text (notes, decisions, questions): keeps line breaks and tabs, drops carriage returns
/// and every other control or invisible character, and trims blank space at both ends.
/// Not clipped: free text is shortened by the size budget, with a note saying so.
pub(super) fn lines(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| matches!(c, '\n' | '\t') || !(c.is_control() || invisible(c)))
        .collect();
    kept.trim().to_owned()
}

/// `s` if it has at most `max` bytes, else its longest prefix that leaves room for an ellipsis,
/// cut on a character boundary, followed by the ellipsis.
pub(super) fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub(ELLIPSIS.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", &s[..end])
}

/// The longest prefix of `s` with at most `max` bytes, cut on a character boundary.
pub(super) fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_cannot_hold_a_line_break() {
        assert_eq!(
            line("Acme\r\nBcc: x@evil.example"),
            "Acme  Bcc: x@evil.example"
        );
        assert_eq!(line("  a\tb\u{1b}[2K  "), "a b [2K");
    }

    #[test]
    fn invisible_direction_marks_are_removed() {
        assert_eq!(line("abc\u{202e}fed"), "abc fed");
        assert_eq!(lines("abc\u{2066}def\u{2028}g"), "abcdefg");
    }

    #[test]
    fn free_text_keeps_its_lines_and_tabs() {
        assert_eq!(lines("uno\r\ndos\n\tTres\u{7}\n"), "uno\ndos\n\tTres");
    }

    #[test]
    fn accents_survive_cleaning() {
        assert_eq!(line("Reunión con Viña Sur"), "Reunión con Viña Sur");
        assert_eq!(lines("¿Qué pasó?\nñ"), "¿Qué pasó?\nñ");
    }

    #[test]
    fn a_long_line_is_clipped_to_the_model_bound() {
        let long = "ñ".repeat(MAX_SHORT); // 2 bytes each
        let got = line(&long);
        assert!(got.len() <= MAX_SHORT, "{}", got.len());
        assert!(got.ends_with('…'));
        assert!(got.starts_with("ññ"));
    }

    #[test]
    fn clip_cuts_on_a_character_boundary() {
        // "é" is 2 bytes (1..3), the ellipsis 3.
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("aébcdef", 6), "aé…");
        assert_eq!(clip("aébcdef", 5), "a…");
        assert_eq!(clip("abcdefg", 6), "abc…");
    }

    #[test]
    fn prefix_never_splits_a_character() {
        assert_eq!(prefix("añb", 2), "a");
        assert_eq!(prefix("añb", 3), "añ");
        assert_eq!(prefix("añb", 10), "añb");
        assert_eq!(prefix("añb", 0), "");
    }
}
