//! Names, emails and labels: free text that other people read (a teammate's name in their app, an
//! account's name in a list), so text that displays as something other than what it is refused.
//!
//! Refused, besides control characters: Unicode format characters (general category `Cf`):
//! bidirectional embeddings, overrides and isolates, which reorder what follows them
//! (`Ana\u{202E}nimda` displays as "Anaadmin"), and zero-width and invisible characters (zero-width
//! space and joiners, word joiner, byte order mark, soft hyphen, ...), which make two different
//! names look the same; and the line and paragraph separators. Letters with accents, and any other
//! script, are names like any other (`Lácteos Peña`).

use super::DirectoryError;

/// Longest name, email or token label stored.
pub const MAX_TEXT_LEN: usize = 256;

/// The `Cf` (format) characters of Unicode 15, as inclusive ranges. Std has no general-category
/// lookup; this list is short and changes rarely (a new version adds a few, never removes any).
const FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// Whether `c` is a Unicode format character (general category `Cf`).
fn is_format(c: char) -> bool {
    FORMAT.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// Whether `c` may not appear in text shown to others.
fn is_refused(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `value` trimmed, if it is 1 to [`MAX_TEXT_LEN`] bytes of acceptable characters; `what` names
/// the field in the error.
pub(super) fn text(value: &str, what: &str) -> Result<String, DirectoryError> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_TEXT_LEN {
        return Err(DirectoryError::Invalid(format!(
            "{what} must be 1 to {MAX_TEXT_LEN} bytes"
        )));
    }
    if value.chars().any(is_refused) {
        return Err(DirectoryError::Invalid(format!(
            "{what} may not contain control characters or invisible formatting characters \
             (direction overrides and isolates, zero-width characters, soft hyphens)"
        )));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_other_scripts_pass() {
        for name in ["Lácteos Peña", "José Núñez", "Ölçü", "Ωmega", "محمد", "李"] {
            assert_eq!(text(name, "name").expect(name), name);
        }
        assert_eq!(text("  Ana  ", "name").expect("trimmed"), "Ana");
    }

    #[test]
    fn invisible_and_reordering_characters_are_refused() {
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{E0041}',
            '\u{2028}',
            '\u{2029}',
            '\u{0007}',
            '\u{0085}',
        ] {
            let name = format!("Ana{c}Admin");
            assert!(
                matches!(text(&name, "name"), Err(DirectoryError::Invalid(_))),
                "U+{:04X} accepted",
                u32::from(c)
            );
        }
    }

    #[test]
    fn empty_and_long_text_is_refused() {
        assert!(text("   ", "name").is_err());
        assert!(text(&"a".repeat(MAX_TEXT_LEN + 1), "name").is_err());
    }
}
