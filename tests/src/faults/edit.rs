//! The documents schedules edit, how an [`Edit`] is applied to an automerge document, and the
//! rendering used to compare replicas' contents.
//!
//! Every document is a real enlace `ClientVisit` (so a device store indexes it like any other)
//! plus a map `fz` holding what the schedules fight over: a few shared keys, a list, a text and a
//! counter. All inserted text is ASCII, so positions mean the same under every text encoding.

use automerge::transaction::Transactable;
use automerge::{AutoSerde, Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, Value};
use enlace_core::DocumentId;
use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::{ClientVisit, Instant, ModelError, TEXT_ENCODING, new_document};

use super::schedule::{Edit, SHARED_KEYS};

/// A schedule document could not be made or edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The visit itself was refused by the model.
    #[error("making the visit")]
    Model(#[from] ModelError),
    /// Automerge refused an operation.
    #[error("automerge operation")]
    Automerge(#[from] AutomergeError),
    /// A part of the document every replica starts with is missing.
    #[error("the document has no {0}")]
    Missing(&'static str),
}

/// The saved bytes every replica of document `id` starts with: a visit plus the `fz` map.
pub fn initial_document(id: DocumentId, title: &str) -> Result<Vec<u8>, EditError> {
    let visit = ClientVisit::new(
        id,
        "acc-faults"
            .parse()
            .map_err(|_| EditError::Missing("account id"))?,
        "user-faults"
            .parse()
            .map_err(|_| EditError::Missing("user id"))?,
        Instant::new(1_700_000_000_000, "America/Santiago")?,
        VisitKind::ClientMeeting,
        title,
    );
    let mut doc = new_document(&visit)?;
    let fz = doc.put_object(ROOT, "fz", ObjType::Map)?;
    for key in 0..SHARED_KEYS {
        doc.put(&fz, format!("k{key}"), 0_i64)?;
    }
    doc.put_object(&fz, "list", ObjType::List)?;
    let text = doc.put_object(&fz, "text", ObjType::Text)?;
    doc.splice_text(&text, 0, 0, "inicio")?;
    doc.put(&fz, "count", automerge::ScalarValue::counter(0))?;
    Ok(doc.save())
}

/// Loads saved bytes with the store's text encoding (what a test client holds).
pub fn load(bytes: &[u8]) -> Result<Automerge, AutomergeError> {
    Automerge::load_with_options(
        bytes,
        automerge::LoadOptions::new().text_encoding(TEXT_ENCODING),
    )
}

/// Applies `edit` to `doc` as raw automerge operations (what a test client does, and what a
/// device does for the `fz` parts).
pub fn apply<T: Transactable>(doc: &mut T, edit: &Edit) -> Result<(), EditError> {
    let fz = object(doc, &ROOT, "fz")?;
    match edit {
        Edit::Put { key, value } => doc.put(&fz, format!("k{key}"), *value)?,
        Edit::Delete { key } => doc.delete(&fz, format!("k{key}"))?,
        Edit::ListInsert { at, value } => {
            let list = object(doc, &fz, "list")?;
            let at = position(*at, doc.length(&list) + 1);
            doc.insert(&list, at, *value)?;
        }
        Edit::ListDelete { at } => {
            let list = object(doc, &fz, "list")?;
            let len = doc.length(&list);
            if len > 0 {
                doc.delete(&list, position(*at, len))?;
            }
        }
        Edit::TextSplice { at, delete, insert } => {
            let text = object(doc, &fz, "text")?;
            let len = doc.length(&text);
            let at = position(*at, len + 1);
            let delete = (*delete as usize).min(len - at);
            doc.splice_text(&text, at, delete as isize, insert)?;
        }
        Edit::Notes { at, insert } => {
            let notes = object(doc, &ROOT, "notes")?;
            let at = position(*at, doc.length(&notes) + 1);
            doc.splice_text(&notes, at, 0, insert)?;
        }
        Edit::Title { value } => doc.put(ROOT, "title", value.as_str())?,
        Edit::Increment { by } => doc.increment(&fz, "count", *by)?,
    }
    Ok(())
}

/// `raw` reduced to `0..n`.
pub fn position(raw: u64, n: usize) -> usize {
    usize::try_from(raw % (n.max(1) as u64)).unwrap_or(0)
}

fn object<T: ReadDoc>(doc: &T, parent: &ObjId, key: &'static str) -> Result<ObjId, EditError> {
    match doc.get(parent, key)? {
        Some((Value::Object(_), id)) => Ok(id),
        _ => Err(EditError::Missing(key)),
    }
}

/// The document's content as JSON: the value automerge resolves for every key (conflicts
/// resolved the same way on every replica that holds the same changes), text as strings.
pub fn render<T: ReadDoc>(doc: &T) -> String {
    match serde_json::to_string(&AutoSerde::from(doc)) {
        Ok(json) => json,
        Err(e) => format!("<not renderable: {e}>"),
    }
}
