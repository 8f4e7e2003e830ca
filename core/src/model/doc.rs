//! The helpers the store and the server call: create, hydrate, write, classify and show
//! documents. Every path checks the root `kind` and `schema_version` first, so a document of
//! another kind or from a newer app version is a typed error, never a garbled value.

use automerge::{
    AutoCommit, LoadOptions, ROOT, ReadDoc, ScalarValue, TextEncoding, Value,
    transaction::Transactable,
};

use super::migrate::read_schema_version;
use super::{
    ActionItem, Catalog, ClientVisit, Document, DocumentKind, Listing, MeetingNote, ModelError,
    Storecheck,
};

/// The raw root `kind` string ("" when missing or not a string).
pub fn read_kind_str<R: ReadDoc>(doc: &R) -> Result<String, ModelError> {
    Ok(match doc.get(ROOT, "kind")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => s.chars().take(64).collect(),
            _ => String::new(),
        },
        _ => String::new(),
    })
}

fn check_kind<R: ReadDoc>(doc: &R, expected: DocumentKind) -> Result<(), ModelError> {
    let found = read_kind_str(doc)?;
    if found != expected.as_str() {
        return Err(ModelError::WrongKind { expected, found });
    }
    Ok(())
}

fn check_version<R: ReadDoc>(doc: &R, supported: u64) -> Result<(), ModelError> {
    let found = read_schema_version(doc)?;
    if found > supported {
        return Err(ModelError::SchemaTooNew { found, supported });
    }
    if found < supported {
        return Err(ModelError::NeedsMigration {
            found,
            current: supported,
        });
    }
    Ok(())
}

/// The text index unit every document handle must use. `autosurgeon::Text` records its edits at
/// UTF-8 byte offsets, while automerge's default counts code points; with the default an edit
/// after an "ñ" or an emoji lands in the wrong place or fails. The encoding is a property of the
/// local handle only (not of the saved bytes), so JavaScript peers are unaffected.
pub const TEXT_ENCODING: TextEncoding = TextEncoding::Utf8CodeUnit;

/// An empty document handle with [`TEXT_ENCODING`].
pub fn empty_document() -> AutoCommit {
    AutoCommit::new_with_encoding(TEXT_ENCODING)
}

/// Loads saved bytes into a handle with [`TEXT_ENCODING`]. Use this (not `AutoCommit::load`) for
/// any document that will be edited through [`write_document`].
pub fn load_document(bytes: &[u8]) -> Result<AutoCommit, ModelError> {
    Ok(AutoCommit::load_with_options(
        bytes,
        LoadOptions::new().text_encoding(TEXT_ENCODING),
    )?)
}

fn check_encoding(doc: &AutoCommit) -> Result<(), ModelError> {
    if doc.text_encoding() != TEXT_ENCODING {
        return Err(ModelError::invalid(
            "document",
            "handle must use TextEncoding::Utf8CodeUnit (see model::doc::TEXT_ENCODING)",
        ));
    }
    Ok(())
}

/// A new automerge document holding `value`: validated, with root `kind` and `schema_version`.
/// The caller may set the actor afterwards with `set_actor` before further edits.
pub fn new_document<D: Document>(value: &D) -> Result<AutoCommit, ModelError> {
    let mut doc = empty_document();
    init_document(&mut doc, value)?;
    Ok(doc)
}

/// Like [`new_document`], into a document the caller made (with its own actor id) with
/// [`empty_document`]. The document must be empty.
pub fn init_document<D: Document>(doc: &mut AutoCommit, value: &D) -> Result<(), ModelError> {
    check_encoding(doc)?;
    if doc.keys(ROOT).next().is_some() {
        return Err(ModelError::invalid("document", "is not empty"));
    }
    value.validate()?;
    // The value first, while the document is still empty: autosurgeon then builds it in one
    // batch (`init_root_from_hydrate`) instead of one lookup and one insert per field, which
    // for a full storecheck is 40 ms against 2.
    autosurgeon::reconcile(&mut *doc, value)?;
    doc.put(ROOT, "kind", D::KIND.as_str())?;
    doc.put(ROOT, "schema_version", D::SCHEMA_VERSION)?;
    Ok(())
}

/// Checks that `doc` is a handle edits can be written to: the store's text encoding, a `D` by
/// its root `kind`, at the schema version this code writes.
pub(crate) fn check_handle<D: Document>(doc: &AutoCommit) -> Result<(), ModelError> {
    check_encoding(doc)?;
    check_kind(doc, D::KIND)?;
    check_version(doc, D::SCHEMA_VERSION)
}

/// Reads a typed value. Fails with [`ModelError::WrongKind`], [`ModelError::SchemaTooNew`],
/// [`ModelError::NeedsMigration`] (run [`super::migrate`] first) or [`ModelError::Hydrate`].
pub fn hydrate_document<D, R>(doc: &R) -> Result<D, ModelError>
where
    D: Document,
    R: ReadDoc + autosurgeon::ReadDoc,
{
    check_kind(doc, D::KIND)?;
    check_version(doc, D::SCHEMA_VERSION)?;
    Ok(autosurgeon::hydrate(doc)?)
}

/// Writes an edit. `before` is the value hydrated from `doc` (at its current heads), `after` the
/// edited copy. The edit is validated and checked against `before` (ONCE fields, statuses), then
/// reconciled: autosurgeon writes only the keys whose values changed (an unchanged scalar put is
/// a no-op in automerge) and text as splices, so concurrent edits to other fields, other lines or
/// other parts of a text survive the merge. `doc` must use [`TEXT_ENCODING`] (made by
/// [`new_document`]/[`empty_document`] or loaded by [`load_document`]). Nothing is committed here; the caller commits (with
/// its own message/time) as one change per user action.
pub fn write_document<D: Document>(
    doc: &mut AutoCommit,
    before: &D,
    after: &D,
) -> Result<(), ModelError> {
    check_encoding(doc)?;
    check_kind(doc, D::KIND)?;
    check_version(doc, D::SCHEMA_VERSION)?;
    after.validate()?;
    after.validate_transition(before)?;
    autosurgeon::reconcile(doc, after)?;
    Ok(())
}

/// The listing of any document, dispatched on its root `kind`. Used by the store and the server
/// for documents that arrive as raw changes.
pub fn listing_of<R: ReadDoc + autosurgeon::ReadDoc>(doc: &R) -> Result<Listing, ModelError> {
    let found = read_kind_str(doc)?;
    match DocumentKind::parse(&found) {
        Some(DocumentKind::ClientVisit) => Ok(hydrate_document::<ClientVisit, _>(doc)?.listing()),
        Some(DocumentKind::Storecheck) => Ok(hydrate_document::<Storecheck, _>(doc)?.listing()),
        Some(DocumentKind::MeetingNote) => Ok(hydrate_document::<MeetingNote, _>(doc)?.listing()),
        Some(DocumentKind::ActionItem) => Ok(hydrate_document::<ActionItem, _>(doc)?.listing()),
        Some(DocumentKind::Catalog) => Ok(hydrate_document::<Catalog, _>(doc)?.listing()),
        None => Err(ModelError::UnknownKind { found }),
    }
}

/// The document as JSON for display: every field as stored (text as strings), with each status
/// map replaced by the derived status word and, for storechecks, the derived `kpis`.
pub fn to_json<R: ReadDoc + autosurgeon::ReadDoc>(
    doc: &R,
) -> Result<serde_json::Value, ModelError> {
    let mut json = serde_json::to_value(automerge::AutoSerde::from(doc))
        .map_err(|e| ModelError::invalid("document", format!("not serializable: {e}")))?;
    let found = read_kind_str(doc)?;
    let Some(obj) = json.as_object_mut() else {
        return Ok(json);
    };
    match DocumentKind::parse(&found) {
        Some(DocumentKind::Storecheck) => {
            let sc: Storecheck = hydrate_document(doc)?;
            obj.insert("status".into(), sc.status().as_str().into());
            let kpis = serde_json::to_value(sc.kpis())
                .map_err(|e| ModelError::invalid("kpis", e.to_string()))?;
            obj.insert("kpis".into(), kpis);
        }
        Some(DocumentKind::ClientVisit) => {
            let v: ClientVisit = hydrate_document(doc)?;
            obj.insert("status".into(), v.status().as_str().into());
        }
        Some(DocumentKind::ActionItem) => {
            let a: ActionItem = hydrate_document(doc)?;
            obj.insert("status".into(), a.status().as_str().into());
        }
        Some(DocumentKind::Catalog) => {}
        Some(DocumentKind::MeetingNote) => {
            let m: MeetingNote = hydrate_document(doc)?;
            if let Some(cr) = obj
                .get_mut("contact_report")
                .and_then(|v| v.as_object_mut())
            {
                cr.insert("status".into(), m.contact_report.status().as_str().into());
            }
        }
        None => return Err(ModelError::UnknownKind { found }),
    }
    Ok(json)
}

/// What a server needs to know of a document to decide who may see it: its kind and the
/// account it belongs to, read from the root without hydrating anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The root `kind`.
    pub kind: DocumentKind,
    /// The root `account_id`.
    pub account_id: String,
}

/// Longest `account_id` [`classify`] accepts; ids are UUIDs or short codes.
pub const MAX_ACCOUNT_ID_LEN: usize = 128;

/// Reads the root `kind` and `account_id` of any automerge document: an enlace document (where
/// both are scalar strings) or one a stock JavaScript client made with the same two fields (where
/// a plain JS string is collaborative text). `None` when either is missing, of another type, of
/// an unknown kind, empty or too long: such a document cannot be placed in an account, so a
/// server refuses it. Costs two map lookups, whatever the size of the document.
pub fn classify<R: ReadDoc>(doc: &R) -> Option<Classification> {
    let kind = DocumentKind::parse(&root_str(doc, "kind")?)?;
    let account_id = root_str(doc, "account_id")?;
    if account_id.is_empty() || account_id.len() > MAX_ACCOUNT_ID_LEN {
        return None;
    }
    Some(Classification { kind, account_id })
}

/// A root field as a string, whether a scalar string or a (short) text object.
fn root_str<R: ReadDoc>(doc: &R, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        (Value::Object(automerge::ObjType::Text), id) => {
            (doc.length(&id) <= MAX_ACCOUNT_ID_LEN).then(|| doc.text(&id).ok())?
        }
        (Value::Object(_), _) => None,
    }
}
