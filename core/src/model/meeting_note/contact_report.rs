//! The agency's contact report inside a meeting note: who receives it, its number and its own
//! status. Sending and accepting need one authority, so those moves are server commands.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use crate::model::ModelError;
use crate::model::limits::{check_len, check_map, check_required, check_short};

/// Longest comment a client leaves with an answer, in bytes.
pub const MAX_CLIENT_COMMENT: usize = 16 * 1024;
use crate::model::people::Party;
use crate::model::rules::once_opt;
use crate::model::status::{Authority, Lifecycle, LifecycleState};
use crate::model::time::Instant;

use super::delivery::ReportDelivery;

str_enum! {
    /// draft -> in_review -> sent -> accepted | disputed. `sent`, `accepted` and `disputed` are
    /// server commands. A concurrent accept and dispute read as disputed: the client's objection
    /// must not be hidden by a silence-counts-as-acceptance timer.
    pub enum ContactReportStatus {
        /// Being written.
        Draft => "draft",
        /// Waiting for the supervisor.
        InReview => "in_review",
        /// Sent to the client (numbered).
        Sent => "sent",
        /// Accepted, explicitly or by 48 working hours of silence.
        Accepted => "accepted",
        /// The client objected.
        Disputed => "disputed",
    }
}

impl LifecycleState for ContactReportStatus {
    const ALL: &'static [Self] = ContactReportStatus::ALL;
    const INITIAL: Self = ContactReportStatus::Draft;

    fn as_str(self) -> &'static str {
        ContactReportStatus::as_str(self)
    }

    fn can_advance(from: Self, to: Self) -> bool {
        use ContactReportStatus::*;
        matches!(
            (from, to),
            (Draft, InReview) | (InReview, Sent) | (Sent, Accepted | Disputed)
        )
    }

    fn server_only(to: Self) -> bool {
        use ContactReportStatus::*;
        matches!(to, Sent | Accepted | Disputed)
    }
}

str_enum! {
    /// Why someone receives the report.
    pub enum RecipientReason {
        /// Was at the meeting.
        Attendee => "attendee",
        /// Superior of an attendee.
        Superior => "superior",
        /// A department that must know.
        Department => "department",
    }
}

/// A recipient of the report, keyed by its own id in `distribution`.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Recipient {
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Agency or client.
    pub party: Party,
    /// Why they receive it.
    pub reason: RecipientReason,
    /// Soft delete.
    pub deleted: bool,
}

impl Recipient {
    /// Checks the name (required) and the e-mail address's shape.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.name"), &self.name)?;
        if !self.email.contains('@') {
            return Err(ModelError::invalid(
                format!("{field}.email"),
                "not an e-mail address",
            ));
        }
        check_short(&format!("{field}.email"), &self.email)
    }
}

/// The contact report section.
#[derive(
    Debug, Clone, PartialEq, Default, Hydrate, Reconcile, serde::Serialize, serde::Deserialize,
)]
pub struct ContactReport {
    /// ONCE: the number the server assigns when it sends the report.
    pub report_no: Option<String>,
    /// LWW: when the server sent it.
    pub sent_at: Option<Instant>,
    /// MAP.
    pub distribution: BTreeMap<String, Recipient>,
    /// STATUS.
    pub status: Lifecycle<ContactReportStatus>,
    /// LWW, server only: when the client's answer (or the silence taken as acceptance) was
    /// recorded.
    pub answered_at: Option<Instant>,
    /// LWW, server only: the client's comment with an acceptance or dispute.
    pub client_comment: Option<String>,
    /// LWW per key, server only: where the report's e-mail stands, keyed like `distribution`.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub deliveries: BTreeMap<String, ReportDelivery>,
    /// LWW, server only: set when the report was not sent within 24 working hours of the
    /// meeting (on the organisation's calendar); the deadline it missed.
    pub overdue_since: Option<Instant>,
}

impl ContactReport {
    /// The current status.
    pub fn status(&self) -> ContactReportStatus {
        self.status.status()
    }

    /// Device move: draft -> in_review.
    pub fn submit_for_review(&mut self) -> Result<(), ModelError> {
        self.status.advance(ContactReportStatus::InReview)
    }

    /// **Server command.** Numbers and sends the report (in_review -> sent).
    pub fn mark_sent(
        &mut self,
        report_no: impl Into<String>,
        at: Instant,
    ) -> Result<(), ModelError> {
        if self.report_no.is_some() {
            return Err(ModelError::invalid(
                "contact_report.report_no",
                "already assigned",
            ));
        }
        let report_no = report_no.into();
        check_required("contact_report.report_no", &report_no)?;
        self.status
            .advance_as(Authority::Server, ContactReportStatus::Sent)?;
        self.report_no = Some(report_no);
        self.sent_at = Some(at);
        Ok(())
    }

    /// **Server command.** Records acceptance or dispute (sent -> accepted | disputed).
    pub fn close(&mut self, to: ContactReportStatus) -> Result<(), ModelError> {
        self.status.advance_as(Authority::Server, to)
    }

    /// **Server command.** Records the client's answer: accepted or disputed at `at`, with
    /// their comment if any.
    pub fn record_answer(
        &mut self,
        to: ContactReportStatus,
        at: Instant,
        comment: Option<String>,
    ) -> Result<(), ModelError> {
        if !matches!(
            to,
            ContactReportStatus::Accepted | ContactReportStatus::Disputed
        ) {
            return Err(ModelError::invalid(
                "contact_report.status",
                "an answer accepts or disputes",
            ));
        }
        if let Some(comment) = &comment {
            check_len(
                "contact_report.client_comment",
                comment.len(),
                MAX_CLIENT_COMMENT,
            )?;
        }
        self.close(to)?;
        self.answered_at = Some(at);
        self.client_comment = comment;
        Ok(())
    }

    /// Checks the distribution list.
    pub fn validate(&self) -> Result<(), ModelError> {
        if let Some(n) = &self.report_no {
            check_short("contact_report.report_no", n)?;
        }
        if let Some(comment) = &self.client_comment {
            check_len(
                "contact_report.client_comment",
                comment.len(),
                MAX_CLIENT_COMMENT,
            )?;
        }
        check_map("contact_report.distribution", self.distribution.iter())?;
        for (k, r) in &self.distribution {
            r.validate(&format!("contact_report.distribution.{k}"))?;
        }
        check_map("contact_report.deliveries", self.deliveries.iter())?;
        for (k, d) in &self.deliveries {
            d.validate(&format!("contact_report.deliveries.{k}"))?;
        }
        Ok(())
    }

    /// ONCE number, status never backwards.
    pub fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        once_opt(
            "contact_report.report_no",
            &before.report_no,
            &self.report_no,
        )?;
        self.status
            .check_transition(&before.status, "contact_report.status")
    }
}
