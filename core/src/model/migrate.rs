//! Schema migrations: one function per upgrade, applied in order from the document's
//! `schema_version` to [`CURRENT_SCHEMA_VERSION`].
//!
//! Version 0 is the prototype layout that field pilots wrote before this model existed:
//! - no `schema_version` key at the root (its absence means 0);
//! - every status a plain LWW string (`"status": "submitted"`; for meeting notes also
//!   `contact_report.status`), which is exactly what let late offline edits move statuses
//!   backwards.
//!
//! Version 1 (current) stores each status as a grow-only [`Lifecycle`] map. The upgrade turns a
//! status string into the set of states on the shortest allowed path to it, so `submitted`
//! becomes `{draft, in_progress, submitted}`.

use automerge::{AutoCommit, ObjId, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable};

use super::action_item::ActionItemStatus;
use super::client_visit::VisitStatus;
use super::meeting_note::ContactReportStatus;
use super::status::{Lifecycle, LifecycleState};
use super::storecheck::StorecheckStatus;
use super::{DocumentKind, ModelError, doc::read_kind_str};

/// The newest schema version this code writes.
pub const CURRENT_SCHEMA_VERSION: u64 = 1;

type Step = fn(&mut AutoCommit, DocumentKind) -> Result<(), ModelError>;

/// `STEPS[n]` upgrades version `n` to `n + 1`.
const STEPS: [Step; CURRENT_SCHEMA_VERSION as usize] = [v0_to_v1];

/// The root `schema_version` (missing means 0). Accepts unsigned and non-negative signed
/// integers, since JavaScript clients write numbers as signed.
pub fn read_schema_version<R: ReadDoc>(doc: &R) -> Result<u64, ModelError> {
    match doc.get(ROOT, "schema_version")? {
        None => Ok(0),
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(u) => Ok(*u),
            ScalarValue::Int(i) if *i >= 0 => Ok(i.unsigned_abs()),
            _ => Err(ModelError::invalid(
                "schema_version",
                "not a version number",
            )),
        },
        Some(_) => Err(ModelError::invalid(
            "schema_version",
            "not a version number",
        )),
    }
}

/// Upgrades `doc` in place to [`CURRENT_SCHEMA_VERSION`] and returns its kind. A document from a
/// newer schema is [`ModelError::SchemaTooNew`] and is left untouched; a current one is a no-op.
/// The upgrade is ordinary automerge changes, so replicas that migrate concurrently converge.
pub fn migrate(doc: &mut AutoCommit) -> Result<DocumentKind, ModelError> {
    let found = read_kind_str(doc)?;
    let kind = DocumentKind::parse(&found).ok_or(ModelError::UnknownKind { found })?;
    let mut version = read_schema_version(doc)?;
    if version > CURRENT_SCHEMA_VERSION {
        return Err(ModelError::SchemaTooNew {
            found: version,
            supported: CURRENT_SCHEMA_VERSION,
        });
    }
    while let Some(step) = usize::try_from(version).ok().and_then(|v| STEPS.get(v)) {
        step(doc, kind)?;
        version += 1;
        doc.put(ROOT, "schema_version", version)?;
    }
    Ok(kind)
}

fn v0_to_v1(doc: &mut AutoCommit, kind: DocumentKind) -> Result<(), ModelError> {
    match kind {
        DocumentKind::ClientVisit => status_to_lifecycle::<VisitStatus>(doc, &ROOT, "status"),
        DocumentKind::Storecheck => status_to_lifecycle::<StorecheckStatus>(doc, &ROOT, "status"),
        DocumentKind::ActionItem => status_to_lifecycle::<ActionItemStatus>(doc, &ROOT, "status"),
        // Catalogs were born at schema 1: nothing to move.
        DocumentKind::Catalog => Ok(()),
        DocumentKind::MeetingNote => {
            let report = match doc.get(ROOT, "contact_report")? {
                Some((Value::Object(automerge::ObjType::Map), id)) => id,
                _ => doc.put_object(ROOT, "contact_report", automerge::ObjType::Map)?,
            };
            for key in ["distribution"] {
                if doc.get(&report, key)?.is_none() {
                    doc.put_object(&report, key, automerge::ObjType::Map)?;
                }
            }
            for key in ["report_no", "sent_at"] {
                if doc.get(&report, key)?.is_none() {
                    doc.put(&report, key, ScalarValue::Null)?;
                }
            }
            status_to_lifecycle::<ContactReportStatus>(doc, &report, "status")
        }
    }
}

/// Replaces a plain status string at `obj.key` with a lifecycle map; a missing status becomes a
/// fresh lifecycle, an existing map is left alone.
fn status_to_lifecycle<S: LifecycleState>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
) -> Result<(), ModelError> {
    let lifecycle = match doc.get(obj, key)? {
        Some((Value::Object(automerge::ObjType::Map), _)) => return Ok(()),
        None => Lifecycle::<S>::new(),
        Some((Value::Scalar(s), _)) => {
            let word = s.as_str().unwrap_or_default().to_owned();
            let state = S::parse(&word).ok_or_else(|| {
                ModelError::invalid(
                    key,
                    format!(
                        "unknown status {:?}",
                        word.chars().take(32).collect::<String>()
                    ),
                )
            })?;
            Lifecycle::reached_via_path(state)
                .ok_or_else(|| ModelError::invalid(key, "status not reachable"))?
        }
        Some(_) => return Err(ModelError::invalid(key, "not a status")),
    };
    doc.delete(obj, key)?;
    autosurgeon::reconcile_prop(doc, obj, key, &lifecycle)?;
    Ok(())
}
