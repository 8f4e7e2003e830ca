//! The last line of defence against log injection: every field the log formats (the message
//! included) passes through [`EscapedFields`], which writes control characters as `\u{..}`
//! escapes.
//!
//! Peers choose much of what the server logs: document content such as an `account_id`, peer
//! ids, the reasons built from them. A raw newline there starts a line of the peer's own
//! (a forged "admin token issued" entry is one `account_id` away), and a raw escape sequence
//! rewrites what an operator's terminal shows. Call sites log such values Debug-quoted
//! (`?field`), which escapes them; this layer makes a missed call site, or a library's message,
//! harmless too. tracing-subscriber 0.3.20 and later escape ANSI sequences in messages and
//! errors, but not newlines, and not in other fields, so it is not relied on.
//!
//! Only fields are escaped: timestamps, levels, targets and span names come from the code, and
//! the level's colours (on a terminal) stay.

use std::fmt;

use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};

/// A [`FormatFields`] that formats like tracing-subscriber's default and escapes every
/// control character in the result.
#[derive(Debug, Default)]
pub struct EscapedFields {
    inner: DefaultFields,
}

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut escaping = Escaping { out: &mut writer };
        self.inner.format_fields(Writer::new(&mut escaping), fields)
    }
}

/// Writes through to `out`, escaping what [`needs_escape`] names.
struct Escaping<'a, W> {
    out: &'a mut W,
}

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut clean_from = 0;
        for (at, c) in s.char_indices() {
            if needs_escape(c) {
                self.out.write_str(&s[clean_from..at])?;
                write!(self.out, "\\u{{{:x}}}", u32::from(c))?;
                clean_from = at + c.len_utf8();
            }
        }
        self.out.write_str(&s[clean_from..])
    }
}

/// Characters a log line must not carry raw: C0 and C1 controls (newline, carriage return,
/// ESC, ...) and DEL, the Unicode line and paragraph separators, and the bidirectional
/// overrides and isolates, which make a terminal or an editor show text in another order than
/// it was written.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn logged(emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(EscapedFields::default())
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = captured
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn displayed_fields_and_messages_cannot_break_the_line() {
        let evil = "acme\n2026-12-06T00:00:00Z  INFO forged\r\u{1b}[2K\u{2028}\u{202e}";
        let out = logged(|| {
            tracing::info!(reason = %evil, "refused {evil}");
            tracing::info!(reason = ?evil, "quoted");
            let span = tracing::info_span!("conn", peer = %evil);
            span.in_scope(|| tracing::info!("inside"));
        });
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out:?}");
        assert!(
            !out.contains('\u{2028}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert!(out.contains(r"acme\u{a}2026-12-06"), "{out}");
        assert!(out.contains(r#"reason="acme\n2026-12-06"#), "{out}");
    }

    #[test]
    fn plain_text_is_untouched() {
        let out = logged(|| tracing::info!(user = %"ana", n = 3, "Lácteos del Sur"));
        assert!(out.ends_with("Lácteos del Sur user=ana n=3\n"), "{out}");
    }
}
