//! Repairing a write that broke the authority rules, instead of refusing it.
//!
//! Refusing leaves the writer's replica diverged: it holds changes nobody else will ever take,
//! and every later change it makes builds on them. So a server keeps the writer's changes and
//! writes one change of its own that puts every protected field the write touched back to its
//! value before the write ([`repair`]). That change depends on the writer's, so every replica
//! that receives both (the writer included) converges to the server's value, and nothing is
//! left diverged. Fields the write did not break keep the writer's values.
//!
//! A protected field that broke is restored whole: a status map the writer both advanced
//! legally and pushed past what it may is put back as it was, and the writer advances it
//! again. Values are restored to the depth and width the checks read ([`MAX_DEPTH`],
//! [`MAX_ENTRIES`]); anything larger was never a valid protected value.

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};

use super::{MAX_DEPTH, MAX_ENTRIES, View, Writer, check_rounds, lifecycle};
use crate::model::DocumentKind;
use crate::model::action_item::ActionItemStatus;
use crate::model::client_visit::VisitStatus;
use crate::model::meeting_note::ContactReportStatus;
use crate::model::storecheck::StorecheckStatus;

/// A protected field: the keys from the root to its parent map, and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The path of its parent from the root (empty: the root).
    pub parent: &'static [&'static str],
    /// Its key in the parent.
    pub key: &'static str,
    /// Its name in logs (`contact_report.status`).
    pub name: &'static str,
}

const STATUS: Field = Field {
    parent: &[],
    key: "status",
    name: "status",
};
const REVIEWED_BY: Field = Field {
    parent: &[],
    key: "reviewed_by",
    name: "reviewed_by",
};
const REPORT_STATUS: Field = Field {
    parent: &["contact_report"],
    key: "status",
    name: "contact_report.status",
};
const REPORT_NO: Field = Field {
    parent: &["contact_report"],
    key: "report_no",
    name: "contact_report.report_no",
};
const SENT_AT: Field = Field {
    parent: &["contact_report"],
    key: "sent_at",
    name: "contact_report.sent_at",
};

const ANSWERED_AT: Field = Field {
    parent: &["contact_report"],
    key: "answered_at",
    name: "contact_report.answered_at",
};
const CLIENT_COMMENT: Field = Field {
    parent: &["contact_report"],
    key: "client_comment",
    name: "contact_report.client_comment",
};
const DELIVERIES: Field = Field {
    parent: &["contact_report"],
    key: "deliveries",
    name: "contact_report.deliveries",
};
const OVERDUE_SINCE: Field = Field {
    parent: &["contact_report"],
    key: "overdue_since",
    name: "contact_report.overdue_since",
};

/// The contact report's fields only the server writes (besides its status).
pub(super) const REPORT_SERVER_FIELDS: [Field; 6] = [
    REPORT_NO,
    SENT_AT,
    ANSWERED_AT,
    CLIENT_COMMENT,
    DELIVERIES,
    OVERDUE_SINCE,
];

/// The protected fields of a `kind` that the changes from `before` to now broke, for a
/// writer with `writer`'s rights (empty when the write is within them).
pub fn broken_fields(
    doc: &Automerge,
    before: &[ChangeHash],
    kind: DocumentKind,
    writer: Writer,
) -> Vec<Field> {
    let old = View {
        doc,
        heads: Some(before),
    };
    let new = View { doc, heads: None };
    let mut broken = Vec::new();
    match kind {
        // No field of a catalog can be put back: `check_write` refuses a client's change to
        // one whole, so there is nothing to repair.
        DocumentKind::Catalog => {}
        DocumentKind::Storecheck => {
            let status = lifecycle::<StorecheckStatus>("status", &old, &new, &ROOT, |s| {
                if s == StorecheckStatus::Reviewed && !writer.may_review {
                    return Err(super::AuthorityViolation::NotAReviewer { field: "status" });
                }
                Ok(())
            });
            if status.is_err() {
                broken.push(STATUS);
            }
            if !writer.may_review
                && old.tree(&ROOT, "reviewed_by") != new.tree(&ROOT, "reviewed_by")
            {
                broken.push(REVIEWED_BY);
            }
        }
        DocumentKind::ClientVisit => {
            if lifecycle::<VisitStatus>("status", &old, &new, &ROOT, |_| Ok(())).is_err() {
                broken.push(STATUS);
            }
        }
        DocumentKind::ActionItem => {
            if lifecycle::<ActionItemStatus>("status", &old, &new, &ROOT, |_| Ok(())).is_err() {
                broken.push(STATUS);
            }
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
            if check_rounds::<ContactReportStatus>(
                "contact_report.status",
                &rounds(&old, &old_report),
                &rounds(&new, &new_report),
                |_| Ok(()),
            )
            .is_err()
            {
                broken.push(REPORT_STATUS);
            }
            broken.extend(
                REPORT_SERVER_FIELDS
                    .into_iter()
                    .filter(|field| old.report_field_changed(&new, field.key)),
            );
        }
    }
    broken
}

/// Writes one change into `doc` that restores every field the changes since `before` broke
/// (see [`broken_fields`]) to its value at `before`. Returns the fields restored; writes
/// nothing when none broke.
pub fn repair(
    doc: &mut Automerge,
    before: &[ChangeHash],
    kind: DocumentKind,
    writer: Writer,
) -> Result<Vec<Field>, AutomergeError> {
    let broken = broken_fields(doc, before, kind, writer);
    if broken.is_empty() {
        return Ok(broken);
    }
    let mut tx = doc.transaction();
    for field in &broken {
        restore_field(&mut tx, before, field)?;
    }
    tx.commit();
    Ok(broken)
}

/// Restores one field: its parent is found at `before` and now (created now if the write
/// removed it), then the value is copied across.
fn restore_field(
    tx: &mut Transaction<'_>,
    before: &[ChangeHash],
    field: &Field,
) -> Result<(), AutomergeError> {
    let mut old_parent = Some(ROOT);
    let mut new_parent = ROOT;
    for key in field.parent {
        old_parent = match old_parent {
            Some(p) => match tx.get_at(&p, *key, before)? {
                Some((Value::Object(ObjType::Map), id)) => Some(id),
                _ => None,
            },
            None => None,
        };
        new_parent = match tx.get(&new_parent, *key)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => tx.put_object(&new_parent, *key, ObjType::Map)?,
        };
    }
    restore_value(tx, before, old_parent.as_ref(), &new_parent, field.key, 0)
}

/// Makes `new_parent.key` now hold what `old_parent.key` held at `before` (absent if
/// `old_parent` is `None`).
fn restore_value(
    tx: &mut Transaction<'_>,
    before: &[ChangeHash],
    old_parent: Option<&ObjId>,
    new_parent: &ObjId,
    key: &str,
    depth: usize,
) -> Result<(), AutomergeError> {
    let old = match old_parent {
        Some(p) => tx.get_at(p, key, before)?.map(|(v, id)| (v.to_owned(), id)),
        None => None,
    };
    let now = tx.get(new_parent, key)?.map(|(v, id)| (v.to_owned(), id));
    match old {
        None => {
            if now.is_some() {
                tx.delete(new_parent, key)?;
            }
        }
        Some((Value::Scalar(old_value), _)) => {
            let same =
                matches!(&now, Some((Value::Scalar(v), _)) if v.as_ref() == old_value.as_ref());
            if !same {
                tx.put(new_parent, key, old_value.into_owned())?;
            }
        }
        Some((Value::Object(ObjType::Map), old_id)) => {
            let new_id = match now {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => tx.put_object(new_parent, key, ObjType::Map)?,
            };
            if depth >= MAX_DEPTH {
                return Ok(());
            }
            let old_keys: Vec<String> = tx.keys_at(&old_id, before).take(MAX_ENTRIES).collect();
            let new_keys: Vec<String> = tx.keys(&new_id).collect();
            for extra in new_keys.iter().filter(|k| !old_keys.contains(k)) {
                tx.delete(&new_id, extra.as_str())?;
            }
            for child in &old_keys {
                restore_value(tx, before, Some(&old_id), &new_id, child, depth + 1)?;
            }
        }
        Some((Value::Object(ObjType::Text), old_id)) => {
            let text = tx.text_at(&old_id, before)?;
            let same = match &now {
                Some((Value::Object(ObjType::Text), id)) => tx.text(id)? == text,
                _ => false,
            };
            if !same {
                // A fresh text object: no index arithmetic in the document's text encoding.
                let new_id = tx.put_object(new_parent, key, ObjType::Text)?;
                tx.splice_text(&new_id, 0, 0, &text)?;
            }
        }
        // Lists and tables hold nothing protected.
        Some((Value::Object(_), _)) => {}
    }
    Ok(())
}
