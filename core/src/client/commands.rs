//! Server commands a phone asks for: moves only the server makes (numbering and sending a
//! contact report, reviewing or reopening a storecheck). The server carries the command out on
//! its copy of the document; its change reaches the phone by sync like any other, so the answer
//! here only says what happened and the document shows it once synced.

use hyper::body::Bytes;

use super::http::HttpError;

/// The largest command answer read (a few hundred bytes in practice).
pub(super) const MAX_ANSWER: usize = 64 * 1024;

/// A command for the server to carry out on a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCommand {
    /// Number the meeting note's contact report, e-mail it to its distribution list and mark it
    /// sent (the account's team).
    SendContactReport,
    /// Mark a submitted storecheck reviewed, with an optional comment (a supervisor of its
    /// creator, or a director or higher on the account).
    ReviewStorecheck {
        /// The reviewer's comment.
        comment: Option<String>,
    },
    /// Send a submitted or reviewed storecheck back to in progress (the same people).
    ReopenStorecheck {
        /// Why: the executive reads it on the storecheck.
        reason: String,
    },
}

impl ServerCommand {
    /// The command's name in the URL.
    pub fn name(&self) -> &'static str {
        match self {
            ServerCommand::SendContactReport => "send-contact-report",
            ServerCommand::ReviewStorecheck { .. } => "review-storecheck",
            ServerCommand::ReopenStorecheck { .. } => "reopen-storecheck",
        }
    }

    /// The JSON arguments, if the command has any.
    pub(super) fn body(&self) -> Option<Bytes> {
        let value = match self {
            ServerCommand::SendContactReport => return None,
            ServerCommand::ReviewStorecheck { comment } => {
                serde_json::json!({ "comment": comment })
            }
            ServerCommand::ReopenStorecheck { reason } => serde_json::json!({ "reason": reason }),
        };
        Some(Bytes::from(value.to_string()))
    }
}

/// What the server did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CommandOutcome {
    /// The document's id.
    pub document: String,
    /// The command's name.
    pub command: String,
    /// The status the command left (`sent`, `reviewed`, `in_progress`).
    pub status: String,
    /// The contact report's number (`send-contact-report`).
    #[serde(default)]
    pub report_no: Option<String>,
}

/// Why the server did not carry out a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RefusalKind {
    /// 404: the document does not exist on the server or this person may not read it (the
    /// server does not say which).
    NotFound,
    /// 403: this person reads the document but may not issue the command.
    NotAllowed,
    /// 409: the command does not apply to the document's kind or state (a report sent already).
    Conflict,
    /// 400: the arguments were wrong (a reopen without a reason, a comment too long).
    BadRequest,
    /// 401: the token was refused; the app should ask the person to sign in again.
    Unauthorized,
    /// 429: too many requests; try again later.
    TooManyRequests,
    /// Any other answer (a server error).
    Other,
}

/// The server's refusal of a command, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server refused the command ({status}): {message}")]
pub struct CommandRefusal {
    /// What kind of refusal.
    pub kind: RefusalKind,
    /// The HTTP status.
    pub status: u16,
    /// The server's explanation, in English.
    pub message: String,
}

/// Reads the server's answer to a command.
pub(super) fn outcome(status: u16, body: &[u8]) -> Result<CommandOutcome, CommandError> {
    if status == 200 {
        return serde_json::from_slice(body).map_err(|e| CommandError::BadAnswer(e.to_string()));
    }
    let kind = match status {
        400 => RefusalKind::BadRequest,
        401 => RefusalKind::Unauthorized,
        403 => RefusalKind::NotAllowed,
        404 => RefusalKind::NotFound,
        409 => RefusalKind::Conflict,
        429 => RefusalKind::TooManyRequests,
        _ => RefusalKind::Other,
    };
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).chars().take(500).collect());
    Err(CommandError::Refused(CommandRefusal {
        kind,
        status,
        message,
    }))
}

/// Why a command did not run.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The server answered and refused.
    #[error(transparent)]
    Refused(CommandRefusal),
    /// The server could not be reached, or the exchange broke (the app may retry).
    #[error("the command did not reach the server")]
    Http(#[source] HttpError),
    /// This phone's edits to the document did not reach the server in time (offline): the
    /// command was not asked, since the server would act on an older copy.
    #[error("the document's edits are not on the server yet")]
    NotSaved,
    /// The server's answer did not read as a command outcome.
    #[error("unexpected answer from the server: {0}")]
    BadAnswer(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_outcomes_or_refusals_with_the_servers_reason() {
        let ok = outcome(
            200,
            br#"{"document":"d","command":"send-contact-report","status":"sent","report_no":"ACME-2026-0001"}"#,
        )
        .expect("outcome");
        assert_eq!(ok.report_no.as_deref(), Some("ACME-2026-0001"));
        let refused = outcome(409, br#"{"error":"conflict","message":"sent already"}"#);
        match refused {
            Err(CommandError::Refused(r)) => {
                assert_eq!(
                    (r.kind, r.message.as_str()),
                    (RefusalKind::Conflict, "sent already")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            outcome(502, b"bad gateway"),
            Err(CommandError::Refused(CommandRefusal {
                kind: RefusalKind::Other,
                ..
            }))
        ));
        assert!(matches!(
            outcome(200, b"{}"),
            Err(CommandError::BadAnswer(_))
        ));
    }

    #[test]
    fn arguments_go_as_json() {
        let review = ServerCommand::ReviewStorecheck {
            comment: Some("Bien \"hecho\"".into()),
        };
        assert_eq!(
            review.body().as_deref(),
            Some(br#"{"comment":"Bien \"hecho\""}"#.as_slice())
        );
        assert_eq!(ServerCommand::SendContactReport.body(), None);
    }
}
