//! One e-mail to one recipient, as it is queued, and the checks it passes before it is: what
//! the worker sends later must be sendable, or it would sit in the outbox failing forever.
//! Every field is bounded, and none that ends up in a header may hold a line break.

use enlace_core::ids::DocumentId;

use super::config::Mailbox;

/// Longest `Message-ID`, angle brackets included (RFC 5322 lines stop at 998).
pub(crate) const MAX_MESSAGE_ID_BYTES: usize = 250;
/// Longest display name.
pub(crate) const MAX_NAME_BYTES: usize = 256;
/// Longest address (RFC 5321's path limit).
pub(crate) const MAX_EMAIL_BYTES: usize = 254;
/// Longest subject.
pub(crate) const MAX_SUBJECT_BYTES: usize = 1000;
/// Longest body, text or HTML, each.
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// An e-mail for the outbox. One per recipient: each is delivered, retried and reported on its
/// own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutgoingMail {
    /// `<left@right>`, stable and unique: the same e-mail always gets the same one, so a
    /// second enqueue is recognised and a resend after a crash is recognisable by its
    /// receivers. [`message_id`] makes one for a contact report.
    pub message_id: String,
    /// The document it is about, to list its deliveries by (`None`: about no document).
    pub doc: Option<DocumentId>,
    /// The sender (usually [`MailConfig::from`](super::config::MailConfig::from)).
    pub from: Mailbox,
    /// The one recipient.
    pub to: Mailbox,
    /// The subject (one line).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (the same content).
    pub html: String,
    /// The key in the contact report's `distribution` this e-mail is for, when it is the
    /// report itself: its delivery is then written into the document (`report`).
    pub report_recipient: Option<String>,
}

/// Why an e-mail was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InvalidMail {
    /// The `Message-ID` is not `<left@right>` of visible ASCII within the bound.
    #[error(
        "the message id {0:?} is not <left@right> of at most {MAX_MESSAGE_ID_BYTES} visible ASCII characters"
    )]
    MessageId(String),
    /// An address is not one SMTP takes.
    #[error("{field} address {email:?} is not a valid e-mail address")]
    Address { field: &'static str, email: String },
    /// A header field holds a line break or another control character.
    #[error("the {0} holds a control character")]
    ControlCharacter(&'static str),
    /// A field is over its bound.
    #[error("the {field} is longer than {max} bytes")]
    TooLong { field: &'static str, max: usize },
}

impl OutgoingMail {
    /// Checks every field: the same checks [`enqueue`](super::queue::enqueue) makes, for a
    /// caller who would rather leave a bad recipient out than fail.
    pub(crate) fn check(&self) -> Result<(), InvalidMail> {
        check_message_id(&self.message_id)?;
        for (field, mailbox) in [("sender", &self.from), ("recipient", &self.to)] {
            check_line(field, &mailbox.name, MAX_NAME_BYTES)?;
            if mailbox.email.len() > MAX_EMAIL_BYTES
                || mailbox.email.parse::<lettre::Address>().is_err()
            {
                return Err(InvalidMail::Address {
                    field,
                    email: mailbox.email.chars().take(MAX_EMAIL_BYTES).collect(),
                });
            }
        }
        check_line("subject", &self.subject, MAX_SUBJECT_BYTES)?;
        for (field, body) in [("text body", &self.text), ("html body", &self.html)] {
            if body.len() > MAX_BODY_BYTES {
                return Err(InvalidMail::TooLong {
                    field,
                    max: MAX_BODY_BYTES,
                });
            }
        }
        Ok(())
    }
}

/// The `Message-ID` of contact report `report_no` of `doc` to the recipient under
/// `recipient_key` in its distribution list, at `domain` (the sender's, say): the same inputs
/// give the same id, so the outbox queues it once and its receivers recognise a resend.
/// Characters a `Message-ID` may not hold become `-`.
pub(crate) fn message_id(
    doc: DocumentId,
    report_no: &str,
    recipient_key: &str,
    domain: &str,
) -> String {
    let atom = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let domain: String = domain
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "<{doc}.{}.{}@{}>",
        atom(report_no),
        atom(recipient_key),
        domain.trim_matches('.')
    )
}

fn check_message_id(id: &str) -> Result<(), InvalidMail> {
    let inner = id
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
        .filter(|inner| {
            id.len() <= MAX_MESSAGE_ID_BYTES
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
        });
    match inner.and_then(|inner| inner.split_once('@')) {
        Some((left, right)) if !left.is_empty() && !right.is_empty() && !right.contains('@') => {
            Ok(())
        }
        _ => Err(InvalidMail::MessageId(
            id.chars().take(MAX_MESSAGE_ID_BYTES).collect(),
        )),
    }
}

fn check_line(field: &'static str, value: &str, max: usize) -> Result<(), InvalidMail> {
    if value.len() > max {
        return Err(InvalidMail::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidMail::ControlCharacter(field));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            message_id: "<doc.ACME-2026-0001.r1@agency.example>".into(),
            doc: Some(DocumentId::new_random()),
            from: Mailbox {
                name: "Enlace".into(),
                email: "enlace@agency.example".into(),
            },
            to: Mailbox {
                name: "Marta Soto".into(),
                email: "marta@viña-sur.example".into(),
            },
            subject: "Reunión con Viña Sur".into(),
            text: "Hola".into(),
            html: "<p>Hola</p>".into(),
            report_recipient: None,
        }
    }

    #[test]
    fn a_sendable_mail_passes() {
        assert_eq!(mail().check(), Ok(()));
    }

    #[test]
    fn header_injection_and_bad_addresses_are_refused() {
        let mut m = mail();
        m.subject = "Reunión\r\nBcc: everyone@example.com".into();
        assert_eq!(m.check(), Err(InvalidMail::ControlCharacter("subject")));
        let mut m = mail();
        m.to.name = "Marta\nSoto".into();
        assert_eq!(m.check(), Err(InvalidMail::ControlCharacter("recipient")));
        let mut m = mail();
        m.to.email = "marta at acme".into();
        assert!(matches!(
            m.check(),
            Err(InvalidMail::Address {
                field: "recipient",
                ..
            })
        ));
        let mut m = mail();
        m.from.email = "enlace@".into();
        assert!(matches!(
            m.check(),
            Err(InvalidMail::Address {
                field: "sender",
                ..
            })
        ));
    }

    #[test]
    fn message_ids_are_angle_bracketed_visible_ascii() {
        for bad in [
            "",
            "no-brackets@x",
            "<no-at>",
            "<@x>",
            "<x@>",
            "<a@b@c>",
            "<a b@c>",
            "<a@b>\r\nBcc: x@y",
            "<ñ@b>",
        ] {
            let mut m = mail();
            m.message_id = bad.into();
            assert!(
                matches!(m.check(), Err(InvalidMail::MessageId(_))),
                "{bad:?}"
            );
        }
        let mut m = mail();
        m.message_id = format!("<{}@b>", "a".repeat(MAX_MESSAGE_ID_BYTES));
        assert!(matches!(m.check(), Err(InvalidMail::MessageId(_))));
    }

    #[test]
    fn oversized_fields_are_refused() {
        let mut m = mail();
        m.html = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(
            m.check(),
            Err(InvalidMail::TooLong {
                field: "html body",
                max: MAX_BODY_BYTES
            })
        );
        let mut m = mail();
        m.subject = "x".repeat(MAX_SUBJECT_BYTES + 1);
        assert!(matches!(
            m.check(),
            Err(InvalidMail::TooLong {
                field: "subject",
                ..
            })
        ));
    }

    #[test]
    fn contact_report_message_ids_are_stable_and_valid() {
        let doc = DocumentId::new_random();
        let id = message_id(doc, "ACME-2026-0001", "r 1<>@", "agency.example");
        assert_eq!(id, format!("<{doc}.ACME-2026-0001.r-1---@agency.example>"));
        assert_eq!(
            id,
            message_id(doc, "ACME-2026-0001", "r 1<>@", "agency.example")
        );
        let mut m = mail();
        m.message_id = id;
        assert_eq!(m.check(), Ok(()));
        let odd = message_id(doc, "Ñ", "ü", "viña.example");
        let mut m = mail();
        m.message_id = odd;
        assert_eq!(m.check(), Ok(()));
    }
}
