//! Access decisions in the engine: denied looks exactly like missing, read-only changes are not
//! applied anywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::DocumentId;

use enlace_core::sync::sim::{NodeId, Sim, SimConfig};
use enlace_core::sync::{Accepted, Access, AccessPolicy, ConnectionId, PolicyRefusal};
use enlace_core::wire::Message;

/// A policy table the test edits while the server runs: (connection, document) -> access, with
/// read-write as the default.
#[derive(Clone, Default)]
struct Table(Arc<Mutex<HashMap<(u64, DocumentId), Access>>>);

impl Table {
    fn set(&self, conn: ConnectionId, doc: DocumentId, access: Access) {
        self.0.lock().expect("lock").insert((conn.0, doc), access);
    }
}

impl AccessPolicy for Table {
    fn decide(&self, conn: ConnectionId, doc: &DocumentId) -> Access {
        self.0
            .lock()
            .map(|t| t.get(&(conn.0, *doc)).copied().unwrap_or(Access::ReadWrite))
            .unwrap_or(Access::Denied)
    }
}

/// The server-side connection id the simulator gives the n-th link (see `Sim::connect`).
fn server_conn(link: u64) -> ConnectionId {
    ConnectionId(link * 2 + 1)
}

fn frames_to(sim: &Sim, node: NodeId) -> Vec<Vec<u8>> {
    sim.wire
        .iter()
        .filter(|r| r.to == node)
        .map(|r| r.frame.clone())
        .collect()
}

#[test]
fn a_denied_peer_gets_the_same_bytes_as_for_a_missing_document() {
    let table = Table::default();
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server_with("server", Box::new(table.clone()));
    let owner = sim.add_device("owner");
    sim.connect(owner, server);
    let secret = sim
        .create_document(owner, |d| d.put(ROOT, "notes", "confidencial").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    assert!(!sim.heads(server, secret).is_empty());

    // Two probing devices with the same name (so the same peer id): one asks for the existing
    // document it may not see, the other for a document that does not exist.
    let prober_a = sim.add_device("prober");
    let prober_b = sim.add_device("prober");
    let link_a = sim.connect(prober_a, server);
    let _link_b = sim.connect(prober_b, server);
    table.set(server_conn(link_a.0), secret, Access::Denied);
    // A missing id whose text is as long as the secret's (bs58 gives 27 or 28 characters).
    let missing = std::iter::repeat_with(DocumentId::new_random)
        .find(|id| id.to_string().len() == secret.to_string().len())
        .expect("some random id has the same length");
    sim.run_until_quiescent().expect("quiet");
    let before_a = frames_to(&sim, prober_a).len();
    let before_b = frames_to(&sim, prober_b).len();

    sim.subscribe(prober_a, secret);
    sim.subscribe(prober_b, missing);
    sim.run_until_quiescent().expect("quiet");

    let got_a = &frames_to(&sim, prober_a)[before_a..];
    let got_b = &frames_to(&sim, prober_b)[before_b..];
    assert_eq!(got_a.len(), 1, "exactly one answer");
    assert_eq!(got_b.len(), 1, "exactly one answer");
    // The frames differ only in the document id; with it swapped they are byte-identical.
    let (secret_text, missing_text) = (secret.to_string(), missing.to_string());
    let at = got_a[0]
        .windows(secret_text.len())
        .position(|w| w == secret_text.as_bytes())
        .expect("the frame names the document");
    let mut swapped = got_a[0].clone();
    swapped[at..at + missing_text.len()].copy_from_slice(missing_text.as_bytes());
    assert_eq!(swapped, got_b[0]);
    assert!(matches!(
        sim.inbox(prober_a).last(),
        Some(Message::DocUnavailable { document_id, .. }) if *document_id == secret
    ));
    assert!(sim.heads(prober_a, secret).is_empty(), "nothing leaked");
}

#[test]
fn a_read_only_peers_changes_are_not_applied_anywhere() {
    let table = Table::default();
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server_with("server", Box::new(table.clone()));
    let writer = sim.add_device("writer");
    let reader = sim.add_device("reader");
    let third = sim.add_device("third");
    sim.connect(writer, server);
    let reader_link = sim.connect(reader, server);
    sim.connect(third, server);
    let doc = sim
        .create_document(writer, |d| d.put(ROOT, "facings", 6).map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    table.set(server_conn(reader_link.0), doc, Access::ReadOnly);
    sim.subscribe(reader, doc);
    sim.subscribe(third, doc);
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(
        sim.heads(reader, doc),
        sim.heads(writer, doc),
        "the reader reads"
    );

    sim.edit(reader, doc, |d| d.put(ROOT, "facings", 99).map(|_| ()))
        .expect("local edit");
    sim.run_until_quiescent().expect("quiet");
    let server_heads = sim.heads(server, doc);
    assert_ne!(
        sim.heads(reader, doc),
        server_heads,
        "the reader's change stays local"
    );
    assert_eq!(sim.heads(writer, doc), server_heads);
    assert_eq!(sim.heads(third, doc), server_heads);

    // Writers still reach the reader.
    sim.edit(writer, doc, |d| d.put(ROOT, "price", 1990).map(|_| ()))
        .expect("edit");
    sim.run_until_quiescent().expect("quiet");
    let reader_doc = sim.document(reader, doc).expect("doc");
    assert!(
        automerge::ReadDoc::get(&reader_doc, ROOT, "price")
            .expect("get")
            .is_some()
    );
}

/// Refuses any change that sets the root key `account_id` to "other-account".
#[derive(Clone, Default)]
struct NoMoves;

impl AccessPolicy for NoMoves {
    fn decide(&self, _conn: ConnectionId, _doc: &DocumentId) -> Access {
        Access::ReadWrite
    }

    fn checks_changes(&self) -> bool {
        true
    }

    fn check_changes(
        &self,
        _conn: ConnectionId,
        _doc: &DocumentId,
        after: &automerge::Automerge,
        _before: &[automerge::ChangeHash],
    ) -> Result<Accepted, PolicyRefusal> {
        use automerge::ReadDoc;
        match after.get(ROOT, "account_id") {
            Ok(Some((value, _))) if value.as_str() == Some("other-account") => Err(
                PolicyRefusal::because("moves the document to another account"),
            ),
            _ => Ok(Accepted::default()),
        }
    }
}

#[test]
fn refused_changes_leave_no_trace() {
    let mut sim = Sim::new(SimConfig::default());
    let server = sim.add_server_with("server", Box::new(NoMoves));
    let a = sim.add_device("a");
    let b = sim.add_device("b");
    sim.connect(a, server);
    sim.connect(b, server);
    let doc = sim
        .create_document(a, |d| d.put(ROOT, "account_id", "acme").map(|_| ()))
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    sim.subscribe(b, doc);
    sim.run_until_quiescent().expect("quiet");
    let agreed = sim.heads(server, doc);

    sim.edit(b, doc, |d| {
        d.put(ROOT, "account_id", "other-account").map(|_| ())
    })
    .expect("edit");
    sim.run_until_quiescent().expect("quiet");
    assert_eq!(
        sim.heads(server, doc),
        agreed,
        "the server refused the move"
    );
    assert_eq!(sim.heads(a, doc), agreed, "nobody else received it");

    // A refused brand-new document is not stored at all.
    let bad = sim
        .create_document(b, |d| {
            d.put(ROOT, "account_id", "other-account").map(|_| ())
        })
        .expect("create");
    sim.run_until_quiescent().expect("quiet");
    assert!(sim.heads(server, bad).is_empty());
    assert!(!sim.storage(server).documents.contains_key(&bad));
}
