//! What only the server (or a reviewer) may write, checked on raw automerge writes.
//!
//! The typed API never makes these moves from a phone ([`Authority`](super::status::Authority)),
//! but anyone with a stock automerge-repo client can write anything into a document they may
//! write: `sent` into a contact report, a report number, `reviewed` into their own storecheck, or
//! delete a reached state to move a status backwards. A server calls [`check_write`] on every
//! incoming write, with the heads from before it, and refuses the write when it does any of:
//!
//! - removes a reached state or a round of a status (statuses only grow);
//! - opens a new round (a reopen is a server command);
//! - reaches a state the server alone enters (`sent`, `accepted`, `disputed` of a contact
//!   report) or one this version does not know;
//! - reaches `reviewed` or sets `reviewed_by` of a storecheck without being one of its
//!   reviewers ([`Writer::may_review`]);
//! - sets or changes the contact report's `report_no`, `sent_at`, `answered_at`,
//!   `client_comment`, `deliveries` or `overdue_since`.
//!
//! It reads only those fields, before and after, never the whole document, so it costs a few
//! map lookups per write.

mod repair;

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

pub use repair::{Field, broken_fields, repair};

use super::DocumentKind;
use super::action_item::ActionItemStatus;
use super::client_visit::VisitStatus;
use super::meeting_note::ContactReportStatus;
use super::status::LifecycleState;
use super::storecheck::StorecheckStatus;

/// Deepest and widest a protected value is read; anything larger is treated as changed.
const MAX_DEPTH: usize = 4;
const MAX_ENTRIES: usize = 64;

/// What the writer may do beyond an ordinary write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Writer {
    /// The writer reviews this document (supervises its creator, or directs its account): may
    /// mark a storecheck `reviewed` and set `reviewed_by`.
    pub may_review: bool,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityViolation {
    /// A reached state or a round of a status was removed.
    #[error("{field}: a reached status was removed; statuses only move forward")]
    StatusRemoved {
        /// The status field.
        field: &'static str,
    },
    /// A new round of a status was opened.
    #[error("{field}: reopening is a server command")]
    Reopened {
        /// The status field.
        field: &'static str,
    },
    /// A state only the server enters, or one this version does not know.
    #[error("{field}: {state:?} cannot be written by a client")]
    ForbiddenState {
        /// The status field.
        field: &'static str,
        /// The state written (peer-supplied, hence quoted).
        state: String,
    },
    /// A reviewer's move made by someone who does not review the document.
    #[error("{field}: only a reviewer of the document may set it")]
    NotAReviewer {
        /// The field.
        field: &'static str,
    },
    /// A field the server alone writes.
    #[error("{field} is set by the server")]
    ServerField {
        /// The field.
        field: &'static str,
    },
}

/// Checks that the changes that took `doc` from `before` (empty for a new document) to its
/// current heads stay within what `writer` may write in a document of `kind`.
pub fn check_write(
    doc: &Automerge,
    before: &[ChangeHash],
    kind: DocumentKind,
    writer: Writer,
) -> Result<(), AuthorityViolation> {
    let old = View {
        doc,
        heads: Some(before),
    };
    let new = View { doc, heads: None };
    match kind {
        // Reference data: the server writes every byte of a catalog, a client none.
        DocumentKind::Catalog => match doc.get_heads().as_slice() == before {
            true => Ok(()),
            false => Err(AuthorityViolation::ServerField { field: "catalog" }),
        },
        DocumentKind::Storecheck => {
            lifecycle::<StorecheckStatus>("status", &old, &new, &ROOT, |s| {
                if s == StorecheckStatus::Reviewed && !writer.may_review {
                    return Err(AuthorityViolation::NotAReviewer { field: "status" });
                }
                Ok(())
            })?;
            if !writer.may_review
                && old.tree(&ROOT, "reviewed_by") != new.tree(&ROOT, "reviewed_by")
            {
                return Err(AuthorityViolation::NotAReviewer {
                    field: "reviewed_by",
                });
            }
            Ok(())
        }
        DocumentKind::ClientVisit => {
            lifecycle::<VisitStatus>("status", &old, &new, &ROOT, |_| Ok(()))
        }
        DocumentKind::ActionItem => {
            lifecycle::<ActionItemStatus>("status", &old, &new, &ROOT, |_| Ok(()))
        }
        DocumentKind::MeetingNote => {
            let old_report = old.map(&ROOT, "contact_report");
            let new_report = new.map(&ROOT, "contact_report");
            let rounds = |view: &View<'_>, report: &Option<ObjId>| {
                report
                    .as_ref()
                    .map(|r| view.rounds(r, "status"))
                    .unwrap_or_default()
            };
            check_rounds::<ContactReportStatus>(
                "contact_report.status",
                &rounds(&old, &old_report),
                &rounds(&new, &new_report),
                |_| Ok(()),
            )?;
            for field in repair::REPORT_SERVER_FIELDS {
                if old.report_field_changed(&new, field.key) {
                    return Err(AuthorityViolation::ServerField { field: field.name });
                }
            }
            Ok(())
        }
    }
}

/// The rounds of a status: round key -> reached state words.
type Rounds = BTreeMap<String, BTreeSet<String>>;

fn lifecycle<S: LifecycleState>(
    field: &'static str,
    old: &View<'_>,
    new: &View<'_>,
    parent: &ObjId,
    may_enter: impl Fn(S) -> Result<(), AuthorityViolation>,
) -> Result<(), AuthorityViolation> {
    check_rounds::<S>(
        field,
        &old.rounds(parent, field),
        &new.rounds(parent, field),
        may_enter,
    )
}

fn check_rounds<S: LifecycleState>(
    field: &'static str,
    old: &Rounds,
    new: &Rounds,
    may_enter: impl Fn(S) -> Result<(), AuthorityViolation>,
) -> Result<(), AuthorityViolation> {
    for (round, states) in old {
        if !new.get(round).is_some_and(|now| now.is_superset(states)) {
            return Err(AuthorityViolation::StatusRemoved { field });
        }
    }
    for (round, states) in new {
        let known = old.get(round);
        // A new document starts its status in round 0; any other new round is a reopen.
        if known.is_none() && !(old.is_empty() && round == "0") {
            return Err(AuthorityViolation::Reopened { field });
        }
        for state in states
            .iter()
            .filter(|s| known.is_none_or(|k| !k.contains(*s)))
        {
            let forbidden = || AuthorityViolation::ForbiddenState {
                field,
                state: state.chars().take(64).collect(),
            };
            let parsed = S::parse(state).ok_or_else(forbidden)?;
            if S::server_only(parsed) {
                return Err(forbidden());
            }
            may_enter(parsed)?;
        }
    }
    Ok(())
}

/// The document at some heads (`None`: as it is now). Reads at the empty heads of a new
/// document find nothing.
struct View<'a> {
    doc: &'a Automerge,
    heads: Option<&'a [ChangeHash]>,
}

/// A protected value, read to compare before and after.
#[derive(Debug, PartialEq)]
enum Tree {
    Scalar(String),
    Text(String),
    Map(BTreeMap<String, Tree>),
    /// Deeper or wider than this module reads: compared by object identity only.
    TooLarge(ObjId),
}

impl View<'_> {
    fn get(&self, obj: &ObjId, key: &str) -> Option<(Value<'_>, ObjId)> {
        let found = match self.heads {
            Some([]) => return None,
            Some(heads) => self.doc.get_at(obj, key, heads),
            None => self.doc.get(obj, key),
        };
        found.ok().flatten()
    }

    fn map(&self, obj: &ObjId, key: &str) -> Option<ObjId> {
        match self.get(obj, key)? {
            (Value::Object(ObjType::Map), id) => Some(id),
            _ => None,
        }
    }

    fn keys(&self, obj: &ObjId) -> Vec<String> {
        match self.heads {
            Some([]) => Vec::new(),
            Some(heads) => self.doc.keys_at(obj, heads).take(MAX_ENTRIES + 1).collect(),
            None => self.doc.keys(obj).take(MAX_ENTRIES + 1).collect(),
        }
    }

    fn rounds(&self, parent: &ObjId, key: &str) -> Rounds {
        let Some(status) = self.map(parent, key) else {
            return Rounds::new();
        };
        self.keys(&status)
            .into_iter()
            .map(|round| {
                let states = self
                    .map(&status, &round)
                    .map(|r| self.keys(&r).into_iter().collect())
                    .unwrap_or_default();
                (round, states)
            })
            .collect()
    }

    /// The value at `key`, `None` when it is absent, null or an empty map: a new document
    /// writes its unset optional fields as null and its empty maps as empty maps, which is no
    /// different from not writing them.
    fn tree(&self, obj: &ObjId, key: &str) -> Option<Tree> {
        let (value, id) = self.get(obj, key)?;
        if matches!(&value, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Null)) {
            return None;
        }
        match self.tree_of(value, id, 0) {
            Tree::Map(map) if map.is_empty() => None,
            tree => Some(tree),
        }
    }

    /// Whether a server-only field of the contact report differs between `self` and `new`.
    fn report_field_changed(&self, new: &View<'_>, key: &str) -> bool {
        let tree = |view: &View<'_>| {
            view.map(&ROOT, "contact_report")
                .and_then(|report| view.tree(&report, key))
        };
        tree(self) != tree(new)
    }

    fn tree_of(&self, value: Value<'_>, id: ObjId, depth: usize) -> Tree {
        let obj_type = match value {
            Value::Scalar(s) => return Tree::Scalar(s.to_string()),
            Value::Object(t) => t,
        };
        if depth >= MAX_DEPTH {
            return Tree::TooLarge(id);
        }
        match obj_type {
            ObjType::Text => {
                let text = match self.heads {
                    Some(heads) => self.doc.text_at(&id, heads),
                    None => self.doc.text(&id),
                };
                Tree::Text(text.unwrap_or_default())
            }
            ObjType::Map | ObjType::Table => {
                let keys = self.keys(&id);
                if keys.len() > MAX_ENTRIES {
                    return Tree::TooLarge(id);
                }
                let mut map = BTreeMap::new();
                for key in keys {
                    if let Some((v, child)) = self.get(&id, &key) {
                        map.insert(key, self.tree_of(v, child, depth + 1));
                    }
                }
                Tree::Map(map)
            }
            // Lists hold nothing protected: compared by identity.
            ObjType::List => Tree::TooLarge(id),
        }
    }
}
