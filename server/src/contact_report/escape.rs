//! HTML escaping for every value the report takes from a document or a caller.
//!
//! A meeting note is written on phones we do not control; a title such as
//! `<a href="https://phish.example">` must reach the client as those characters, not as a link
//! the agency appears to have sent. Escaping the five characters that are special in HTML text
//! and in quoted attribute values is enough for both places the report puts values, so one
//! function serves both. Everything else, accents included, passes through unchanged: the page
//! is declared UTF-8.

/// The entity for a character that is special in HTML, if it is one.
fn entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Appends `s` to `out`, escaped for HTML text or a double- or single-quoted attribute value.
pub(super) fn push_escaped(out: &mut String, s: &str) {
    let mut clean_from = 0;
    for (at, c) in s.char_indices() {
        if let Some(e) = entity(c) {
            out.push_str(&s[clean_from..at]);
            out.push_str(e);
            clean_from = at + c.len_utf8();
        }
    }
    out.push_str(&s[clean_from..]);
}

/// `s` escaped for HTML text or a quoted attribute value.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_special_character_becomes_its_entity() {
        assert_eq!(escape_html("&"), "&amp;");
        assert_eq!(escape_html("<"), "&lt;");
        assert_eq!(escape_html(">"), "&gt;");
        assert_eq!(escape_html("\""), "&quot;");
        assert_eq!(escape_html("'"), "&#39;");
    }

    #[test]
    fn a_script_tag_is_inert() {
        assert_eq!(
            escape_html(r#"<script>alert("x&y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn an_attribute_value_cannot_be_closed() {
        assert_eq!(
            escape_html(r#"https://x.example/?a=1&b=2" onclick='evil()'"#),
            "https://x.example/?a=1&amp;b=2&quot; onclick=&#39;evil()&#39;"
        );
    }

    #[test]
    fn entities_already_in_the_text_are_escaped_again() {
        // The note says "&lt;" literally; the client must read "&lt;", not "<".
        assert_eq!(escape_html("&lt;b&gt;"), "&amp;lt;b&amp;gt;");
    }

    #[test]
    fn accents_and_plain_text_pass_through() {
        assert_eq!(escape_html("Reunión con Viña Sur"), "Reunión con Viña Sur");
        assert_eq!(escape_html("ñandú ¿qué? 💬"), "ñandú ¿qué? 💬");
        assert_eq!(escape_html(""), "");
    }

    #[test]
    fn escapes_next_to_multibyte_characters_keep_both() {
        assert_eq!(escape_html("ñ<ñ>ñ"), "ñ&lt;ñ&gt;ñ");
    }

    #[test]
    fn push_appends_after_what_is_there() {
        let mut out = String::from("<p>");
        push_escaped(&mut out, "a&b");
        assert_eq!(out, "<p>a&amp;b");
    }
}
