//! Test-only documents for the store's integration tests: small types that implement the model's
//! `Document` trait without depending on the real document kinds.
#![allow(dead_code)]

use autosurgeon::{Hydrate, Reconcile, Text};
use enlace_core::DocumentId;
use enlace_core::model::{Document, DocumentKind, Listing, ModelError};

/// A meeting-note-like document: a collaborative body, an account, a status, a date.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct Note {
    pub id: String,
    pub account_id: String,
    pub status: String,
    pub date_ms: i64,
    pub title: String,
    #[serde(with = "enlace_core::model::text_serde")]
    pub body: Text,
    pub counter: u64,
    pub deleted: bool,
}

const STATUSES: [&str; 3] = ["draft", "in_review", "sent"];

fn rank(status: &str) -> Option<usize> {
    STATUSES.iter().position(|s| *s == status)
}

impl Note {
    pub fn new(account_id: &str, date_ms: i64, title: &str) -> Self {
        Self {
            id: DocumentId::new_random().to_string(),
            account_id: account_id.to_owned(),
            status: "draft".to_owned(),
            date_ms,
            title: title.to_owned(),
            body: Text::with_value("Reunión con el cliente 🙂"),
            counter: 0,
            deleted: false,
        }
    }
}

impl Document for Note {
    const KIND: DocumentKind = DocumentKind::MeetingNote;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id.parse().expect("test note ids are valid")
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: Some(self.account_id.clone()),
            status: self.status.clone(),
            date_ms: self.date_ms,
            title: self.title.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        if self.title.trim().is_empty() {
            return Err(ModelError::InvalidValue {
                field: "title".into(),
                reason: "must not be empty".into(),
            });
        }
        if rank(&self.status).is_none() {
            return Err(ModelError::InvalidValue {
                field: "status".into(),
                reason: format!("unknown status {:?}", self.status),
            });
        }
        Ok(())
    }

    fn validate_transition(&self, before: &Self) -> Result<(), ModelError> {
        if rank(&self.status) < rank(&before.status) {
            return Err(ModelError::InvalidValue {
                field: "status".into(),
                reason: format!("cannot go back from {} to {}", before.status, self.status),
            });
        }
        Ok(())
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}

/// An action-item-like document, to have a second kind.
#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub id: String,
    pub account_id: String,
    pub owner: String,
    pub status: String,
    pub due_ms: i64,
    pub title: String,
    pub deleted: bool,
}

impl Task {
    pub fn new(account_id: &str, due_ms: i64, title: &str) -> Self {
        Self {
            id: DocumentId::new_random().to_string(),
            account_id: account_id.to_owned(),
            owner: "ana".to_owned(),
            status: "open".to_owned(),
            due_ms,
            title: title.to_owned(),
            deleted: false,
        }
    }
}

impl Document for Task {
    const KIND: DocumentKind = DocumentKind::ActionItem;
    const SCHEMA_VERSION: u64 = 1;

    fn id(&self) -> DocumentId {
        self.id.parse().expect("test task ids are valid")
    }

    fn listing(&self) -> Listing {
        Listing {
            kind: Self::KIND,
            account_id: Some(self.account_id.clone()),
            status: self.status.clone(),
            date_ms: self.due_ms,
            title: self.title.clone(),
            deleted: self.deleted,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        Ok(())
    }

    fn validate_transition(&self, _before: &Self) -> Result<(), ModelError> {
        Ok(())
    }

    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
}

/// The listing function a sync engine would pass for untyped merges of notes.
pub fn note_listing(doc: &automerge::AutoCommit) -> Result<Listing, ModelError> {
    let note: Note = autosurgeon::hydrate(doc)?;
    Ok(note.listing())
}
