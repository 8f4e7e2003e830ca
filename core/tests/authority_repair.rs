//! Repairing writes that set what only the server sets (`model::authority::repair`): the
//! writer's changes stay, one compensating change restores the protected fields, and the
//! writer's replica, once it receives that change, converges to the server's value.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjId, ObjType, ROOT, ReadDoc};
use enlace_core::model::DocumentKind;
use enlace_core::model::authority::{Writer, broken_fields, check_write, repair};

const DEVICE: Writer = Writer { may_review: false };
const REVIEWER: Writer = Writer { may_review: true };

/// A meeting note (`in_report`) or storecheck whose status reached `states` in round 0.
fn with_status(in_report: bool, states: &[&str]) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(
        ROOT,
        "kind",
        if in_report {
            "meeting_note"
        } else {
            "storecheck"
        },
    )
    .expect("put");
    doc.put(ROOT, "account_id", "acme").expect("put");
    doc.put(ROOT, "title", "Reunión").expect("put");
    let parent = if in_report {
        doc.put_object(ROOT, "contact_report", ObjType::Map)
            .expect("put")
    } else {
        ROOT
    };
    let status = doc
        .put_object(&parent, "status", ObjType::Map)
        .expect("put");
    let round = doc.put_object(&status, "0", ObjType::Map).expect("put");
    for s in states {
        doc.put(&round, *s, true).expect("put");
    }
    doc.commit();
    doc
}

fn report(doc: &AutoCommit) -> ObjId {
    doc.get(ROOT, "contact_report")
        .expect("get")
        .expect("report")
        .1
}

fn round0(doc: &AutoCommit, parent: &ObjId) -> ObjId {
    let status = doc.get(parent, "status").expect("get").expect("status").1;
    doc.get(&status, "0").expect("get").expect("round").1
}

fn states(doc: &AutoCommit, parent: &ObjId) -> Vec<String> {
    let round = round0(doc, parent);
    doc.keys(&round).collect()
}

/// The server's copy: `original` plus the writer's changes, repaired. Returns it and the
/// fields repaired.
fn server_repairs(
    original: &AutoCommit,
    written: &mut AutoCommit,
    kind: DocumentKind,
    writer: Writer,
) -> (Automerge, Vec<&'static str>) {
    let mut server = Automerge::load(&original.clone().save()).expect("load");
    let before = server.get_heads();
    server
        .load_incremental(&written.save_after(&before))
        .expect("apply");
    let fields = repair(&mut server, &before, kind, writer).expect("repair");
    (server, fields.iter().map(|f| f.name).collect())
}

#[test]
fn a_client_written_sent_and_number_are_restored_and_the_client_converges() {
    let mut original = with_status(true, &["draft", "in_review"]);
    let mut phone = original.fork();
    let r = report(&phone);
    let round = round0(&phone, &r);
    phone.put(&round, "sent", true).expect("put");
    phone.put(&r, "report_no", "ACME-2026-0001").expect("put");
    // A legitimate edit in the same write survives.
    phone.put(ROOT, "title", "Reunión de estado").expect("put");
    phone.commit();

    let (server, fields) = server_repairs(&original, &mut phone, DocumentKind::MeetingNote, DEVICE);
    assert_eq!(
        fields,
        ["contact_report.status", "contact_report.report_no"],
        "exactly the broken fields"
    );
    let mut server = AutoCommit::load(&server.save()).expect("load");
    let r = report(&server);
    assert_eq!(states(&server, &r), ["draft", "in_review"]);
    assert!(server.get(&r, "report_no").expect("get").is_none());
    assert_eq!(
        server
            .get(ROOT, "title")
            .expect("get")
            .and_then(|(v, _)| v.into_string().ok()),
        Some("Reunión de estado".to_owned())
    );
    // The repaired document passes the check against the original: nothing protected moved.
    let heads = original.get_heads();
    assert_eq!(
        check_write(server.document(), &heads, DocumentKind::MeetingNote, DEVICE),
        Ok(())
    );

    // The phone receives the server's change and ends up where the server is.
    phone.merge(&mut server).expect("merge");
    original.merge(&mut server).expect("merge");
    assert_eq!(phone.get_heads(), server.get_heads());
    let r = report(&phone);
    assert_eq!(states(&phone, &r), ["draft", "in_review"]);
    assert!(phone.get(&r, "report_no").expect("get").is_none());
}

#[test]
fn a_deleted_state_comes_back() {
    let mut original = with_status(false, &["draft", "in_progress", "submitted"]);
    let mut phone = original.fork();
    let round = round0(&phone, &ROOT);
    phone.delete(&round, "submitted").expect("delete");
    phone.commit();
    let (server, fields) = server_repairs(&original, &mut phone, DocumentKind::Storecheck, DEVICE);
    assert_eq!(fields, ["status"]);
    let server = AutoCommit::load(&server.save()).expect("load");
    assert_eq!(
        states(&server, &ROOT),
        ["draft", "in_progress", "submitted"]
    );
}

#[test]
fn only_a_reviewer_keeps_reviewed() {
    let mut original = with_status(false, &["draft", "in_progress", "submitted"]);
    for (writer, kept) in [(DEVICE, false), (REVIEWER, true)] {
        let mut phone = original.fork();
        let round = round0(&phone, &ROOT);
        phone.put(&round, "reviewed", true).expect("put");
        phone.put(ROOT, "reviewed_by", "someone").expect("put");
        phone.commit();
        let (server, fields) =
            server_repairs(&original, &mut phone, DocumentKind::Storecheck, writer);
        let server = AutoCommit::load(&server.save()).expect("load");
        assert_eq!(
            states(&server, &ROOT).contains(&"reviewed".to_owned()),
            kept,
            "{writer:?}: {fields:?}"
        );
        assert_eq!(
            server.get(ROOT, "reviewed_by").expect("get").is_some(),
            kept
        );
    }
}

#[test]
fn a_replaced_contact_report_is_put_back_whole() {
    let mut original = with_status(true, &["draft", "in_review"]);
    let mut phone = original.fork();
    let fresh = phone
        .put_object(ROOT, "contact_report", ObjType::Map)
        .expect("put");
    let status = phone
        .put_object(&fresh, "status", ObjType::Map)
        .expect("put");
    let round = phone.put_object(&status, "0", ObjType::Map).expect("put");
    phone.put(&round, "accepted", true).expect("put");
    phone.commit();
    let (server, _) = server_repairs(&original, &mut phone, DocumentKind::MeetingNote, DEVICE);
    let server = AutoCommit::load(&server.save()).expect("load");
    let r = report(&server);
    assert_eq!(states(&server, &r), ["draft", "in_review"]);
}

#[test]
fn an_ordinary_write_needs_no_repair() {
    let mut original = with_status(true, &["draft"]);
    let mut phone = original.fork();
    let r = report(&phone);
    let round = round0(&phone, &r);
    phone.put(&round, "in_review", true).expect("put");
    phone.commit();
    let mut server = Automerge::load(&original.clone().save()).expect("load");
    let before = server.get_heads();
    server
        .load_incremental(&phone.save_after(&before))
        .expect("apply");
    assert!(broken_fields(&server, &before, DocumentKind::MeetingNote, DEVICE).is_empty());
    let heads = server.get_heads();
    assert!(
        repair(&mut server, &before, DocumentKind::MeetingNote, DEVICE)
            .expect("repair")
            .is_empty()
    );
    assert_eq!(server.get_heads(), heads, "nothing written");
}
