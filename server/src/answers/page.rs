//! The small HTML pages a client sees when they open an answer link: the report's number and
//! title with an accept button and a dispute form, and the confirmation afterwards. Every value
//! from a document is escaped; nothing internal is shown (only the number, title and status).

use crate::contact_report::escape::escape_html as escape;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 36em; margin: 2em auto; padding: 0 1em\">\
         {body}</body></html>",
        escape(title)
    )
}

/// The question: accept or dispute report `report_no` (`title`).
pub(crate) fn question(report_no: &str, title: &str) -> String {
    let heading = format!("Contact report {report_no}");
    page(
        &heading,
        &format!(
            "<h1>{}</h1><p>{}</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"accept\">\
             <button type=\"submit\">Accept the report</button></form>\
             <form method=\"post\" style=\"margin-top: 2em\">\
             <input type=\"hidden\" name=\"action\" value=\"dispute\">\
             <p><label for=\"comment\">What is not as agreed?</label></p>\
             <textarea id=\"comment\" name=\"comment\" rows=\"6\" cols=\"50\" maxlength=\"16000\"></textarea>\
             <p><button type=\"submit\">Dispute the report</button></p></form>",
            escape(&heading),
            escape(title)
        ),
    )
}

/// The report was answered already: say how.
pub(crate) fn answered(report_no: &str, status: &str) -> String {
    let heading = format!("Contact report {report_no}");
    page(
        &heading,
        &format!(
            "<h1>{}</h1><p>This report is {} already. Thank you.</p>",
            escape(&heading),
            escape(status)
        ),
    )
}

/// The answer was recorded.
pub(crate) fn thanks(report_no: &str, status: &str) -> String {
    let heading = format!("Contact report {report_no}");
    page(
        &heading,
        &format!(
            "<h1>{}</h1><p>Recorded: the report is {}. Thank you.</p>",
            escape(&heading),
            escape(status)
        ),
    )
}

/// The link is not valid (or has expired).
pub(crate) fn invalid(reason: &str) -> String {
    page("enlace", &format!("<h1>{}</h1>", escape(reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_values_are_escaped() {
        let html = question("ACME-2026-0001", "<script>alert(\"x\")</script> & co");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
        assert!(question("A", "Reunión con Viña Sur").contains("Reunión con Viña Sur"));
    }
}
