//! People in documents: attendees and who may see a document.

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::ModelError;
use super::limits::{check_required, check_short};

str_enum! {
    /// Which side of the relationship someone is on.
    pub enum Party {
        /// The agency's people.
        Agency => "agency",
        /// The client's people.
        Client => "client",
    }
}

str_enum! {
    /// Whether an attendee came.
    pub enum Attendance {
        /// Invited or planned.
        Expected => "expected",
        /// Was there.
        Attended => "attended",
        /// Did not come.
        Absent => "absent",
    }
}

str_enum! {
    /// Who sees a document beyond the access rules (a hint for lists; access is the server's).
    pub enum Visibility {
        /// The account team.
        Team => "team",
        /// Only the author and their supervisors.
        Private => "private",
    }
}

/// Someone at a visit or meeting. Keyed by its own id in an `attendees` map.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate, Reconcile, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Attendee {
    /// Agency or client.
    pub party: Party,
    /// The user id (agency) or contact id (client), when known.
    pub person_id: Option<String>,
    /// Name as shown.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Whether they came.
    pub attendance: Attendance,
    /// Soft delete.
    pub deleted: bool,
}

impl Attendee {
    /// Checks the strings.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        check_required(&format!("{field}.name"), &self.name)?;
        check_short(&format!("{field}.title"), &self.title)?;
        check_short(
            &format!("{field}.person_id"),
            self.person_id.as_deref().unwrap_or(""),
        )
    }
}
