//! The auth matrix: for every role × relation × operation, the outcome the access rules of
//! `docs/access.md` promise, checked end to end against one authenticated server.
//!
//! Relations of a role person `X` to a document: `own` (X created it, in `acme`), `team` (`mate`
//! created it, in `acme`, whose team X is on), `supervised` (`sub-X`, whom X supervises, created
//! it, in `beta`), `other-account` (`outsider`, supervised by nobody, created it, in `beta`) and
//! `other-org` (`foreigner` created it, in `gamma` of another organisation). Every cell has its
//! own document, so cells cannot disturb each other.
//!
//! Operations, each from X's own connections:
//! - `find`: a fresh client asks for the document: it receives it, or gets `doc-unavailable`.
//! - `find: wire`: (denied cells) the server's answer to a `request` for the document is, byte
//!   for byte, its answer to a `request` for a document that does not exist (ids swapped).
//! - `write`: a raw socket sends a `sync` carrying a change on top of a copy of the document
//!   (a copy X got out of band, so that even a denied X can try); the server acknowledges it
//!   or not, and the creator receives it or not.
//! - `ephemeral out` / `ephemeral in`: X's ephemeral reaches the creator, and the creator's
//!   reaches X, exactly when X may read.
//! - `api`: `GET /v1/documents/{id}` says the access, or answers the 404 of a missing document.
//!
//! Nothing negative is waited for with a sleep: each "did not happen" is checked after a
//! positive barrier through the same connections (see [`check_role`]).

use std::time::Instant;

use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ROOT, ReadDoc};
use enlace_core::ids::DocumentId;
use enlace_core::wire::{Message, encode};
use enlace_tests::PATIENCE;
use enlace_tests::client::{Client, View};
use enlace_tests::fixture::{self, Agency};
use enlace_tests::forge::{self, RawPeer};
use enlace_tests::http::{self, HttpResponse};
use enlace_tests::matrix::Expected::{Denied, ReadOnly, ReadWrite};
use enlace_tests::matrix::Relation::{self, Own};
use enlace_tests::matrix::{Creators, EXPECTED, Expected, Row, assert_rows, connect_creators};
use enlace_tests::server::TestServer;
use futures_util::future::join_all;

/// One cell of the matrix and its document.
#[derive(Debug)]
struct Cell {
    role: &'static str,
    relation: Relation,
    expected: Expected,
    /// The creator's user id, which is also the key of its client in [`Creators`].
    creator: String,
    account: &'static str,
    doc: DocumentId,
}

impl Cell {
    /// What X sends as ephemeral about this cell's document.
    fn x_says(&self) -> Vec<u8> {
        forge::cbor_text(&format!("from {} on {}", self.role, self.relation.name()))
    }

    /// What the creator sends as ephemeral about this cell's document.
    fn creator_says(&self) -> Vec<u8> {
        forge::cbor_text(&format!("to {} on {}", self.role, self.relation.name()))
    }
}

/// A row of `cell` for `op`.
fn row(cell: &Cell, op: &'static str, expected: impl Into<String>, observed: String) -> Row {
    Row {
        role: cell.role,
        relation: cell.relation,
        op,
        expected: expected.into(),
        observed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_relation_and_operation_gets_what_the_rules_say() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;

    let creators = connect_creators(&server.ws_url(), &agency).await;
    let cells: Vec<Cell> = join_all(EXPECTED.iter().map(|&(role, relation, expected)| {
        let creators = &creators;
        async move {
            let (creator, account) = relation.creator(role);
            let doc = create(&creators[&creator], account).await;
            Cell {
                role,
                relation,
                expected,
                creator,
                account,
                doc,
            }
        }
    }))
    .await;
    let set_up = started.elapsed();

    let rows: Vec<Row> = join_all(fixture::ROLE_PEOPLE.iter().map(|&(role, _)| {
        let mine: Vec<&Cell> = cells.iter().filter(|c| c.role == role).collect();
        check_role(&server, &agency, &creators, role, mine)
    }))
    .await
    .into_iter()
    .flatten()
    .collect();

    assert_rows(
        &format!(
            "auth matrix (set-up {set_up:?}, total {:?})",
            started.elapsed()
        ),
        &rows,
    );
    for client in creators.into_values() {
        client.close().await;
    }
    server.stop().await.expect("clean stop");
}

/// Creates a storecheck of `account` and waits until the server acknowledged (and so
/// registered) it.
async fn create(client: &Client, account: &'static str) -> DocumentId {
    let doc = client
        .create(move |tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", account).expect("put");
        })
        .await;
    client
        .wait_for("the server to acknowledge a new document", PATIENCE, |v| {
            v.in_sync(&doc)
        })
        .await
        .expect("the creator may create documents in its own account");
    doc
}

/// Every operation of one role person on its five documents, in the order of the barriers
/// that make the negative checks sound (see [`Person`]).
async fn check_role(
    server: &TestServer,
    agency: &Agency,
    creators: &Creators,
    role: &'static str,
    cells: Vec<&Cell>,
) -> Vec<Row> {
    let mut person = Person::connect(server, agency.token(role), creators, role, cells).await;
    person.find().await;
    person.api().await;
    person.wire().await;
    let written = person.write().await;
    person.ephemeral_out().await;
    person.creators_barrier(&written).await;
    person.finder_barrier().await;
    person.finder.close().await;
    person.rows
}

/// A role person `X` at work. Besides the client that created X's own document (a creator like
/// the others), X uses a fresh client (`finder-X`) that finds the documents, a raw socket
/// (`raw-X`) that writes and sends ephemeral messages, and the JSON API.
///
/// Barriers, so that "did not happen" is checked only after the server has provably dealt with
/// it (the server handles a connection's frames in order and sends each connection's frames in
/// order):
/// 1. after the raw socket's ephemeral messages it sends one more about X's own document; once
///    the finder hears it, the server has handled all of them;
/// 2. then every creator makes a change and waits for its acknowledgement: anything the server
///    relayed to the creator before (X's ephemeral, X's write) has arrived by then;
/// 3. then the finder makes a change to X's own document and waits for its acknowledgement:
///    any ephemeral of a creator (sent before step 2) relayed to the finder has arrived.
struct Person<'a> {
    server: &'a TestServer,
    token: &'a str,
    creators: &'a Creators,
    role: &'static str,
    cells: Vec<&'a Cell>,
    /// X's own document, always readable: the barriers go through it.
    own: DocumentId,
    finder: Client,
    raw: RawPeer,
    rows: Vec<Row>,
}

impl<'a> Person<'a> {
    async fn connect(
        server: &'a TestServer,
        token: &'a str,
        creators: &'a Creators,
        role: &'static str,
        cells: Vec<&'a Cell>,
    ) -> Person<'a> {
        let own = cells
            .iter()
            .find(|c| c.relation == Own)
            .expect("every role has its own document")
            .doc;
        let url = server.ws_url();
        let finder = Client::connect_with_bearer(&url, &format!("finder-{role}"), token)
            .await
            .expect("the finder connects");
        let raw = RawPeer::join(&url, token, &format!("raw-{role}"), PATIENCE).await;
        Person {
            server,
            token,
            creators,
            role,
            cells,
            own,
            finder,
            raw,
            rows: Vec::new(),
        }
    }

    fn creator(&self, cell: &Cell) -> &'a Client {
        &self.creators[&cell.creator]
    }

    /// The finder asks for every document: it receives it, with the creator's heads, or gets
    /// `doc-unavailable`.
    async fn find(&mut self) {
        let wanted: Vec<(DocumentId, Vec<ChangeHash>)> = self
            .cells
            .iter()
            .map(|c| (c.doc, self.creator(c).view().heads(&c.doc)))
            .collect();
        for (doc, _) in &wanted {
            self.finder.subscribe(*doc);
        }
        let found = |v: &View| {
            wanted
                .iter()
                .all(|(doc, heads)| v.heads(doc) == *heads || v.unavailable.contains(doc))
        };
        let view = self
            .finder
            .wait_for("every document found or refused", PATIENCE, found)
            .await
            .unwrap_or_else(|_| self.finder.view());
        for (cell, (doc, heads)) in self.cells.iter().zip(&wanted) {
            let observed = if view.heads(doc) == *heads {
                "received it".to_owned()
            } else if view.unavailable.contains(doc) {
                "doc-unavailable".to_owned()
            } else {
                format!("no answer (holds {} heads)", view.heads(doc).len())
            };
            let expected = match cell.expected.readable() {
                true => "received it",
                false => "doc-unavailable",
            };
            self.rows.push(row(cell, "find", expected, observed));
        }
    }

    /// `GET /v1/documents/{id}` for every document, and for one that does not exist.
    async fn api(&mut self) {
        let (addr, token) = (self.server.addr, self.token);
        let get = |doc: DocumentId| async move {
            http::request(
                addr,
                "GET",
                &format!("/v1/documents/{doc}"),
                Some(token),
                None,
            )
            .await
            .expect("the JSON API answers")
        };
        let missing = get(DocumentId::new_random()).await;
        for cell in &self.cells {
            let answer = get(cell.doc).await;
            let expected = match cell.expected {
                ReadWrite => "200 read_write",
                ReadOnly => "200 read_only",
                Denied => "404 exactly as for a missing document",
            };
            let observed = api_verdict(cell, &answer, &missing);
            self.rows.push(row(cell, "api", expected, observed));
        }
    }

    /// For each denied document, a `request` for it and one for a document that does not
    /// exist, from the same socket: the answers must be the same bytes but for the id.
    async fn wire(&mut self) {
        for cell in self.cells.iter().filter(|c| c.expected == Denied) {
            self.raw.request(cell.doc).await;
            let forbidden = self.raw.answer_about(cell.doc, PATIENCE).await;
            let nowhere = DocumentId::new_random();
            self.raw.request(nowhere).await;
            let missing = self.raw.answer_about(nowhere, PATIENCE).await;
            let observed = match (forbidden, missing) {
                (Ok(forbidden), Ok(missing)) => wire_verdict(forbidden, missing, nowhere),
                (forbidden, missing) => format!(
                    "no answer: forbidden {:?}, missing {:?}",
                    forbidden.err(),
                    missing.err()
                ),
            };
            let expected = "doc-unavailable, byte-identical to a missing document's";
            self.rows.push(row(cell, "find: wire", expected, observed));
        }
    }

    /// The raw socket writes a change on top of the creator's copy of every document, whatever
    /// X may do. Returns, per cell, the change's hash and the server's answer; whether the
    /// creator received it is checked after barrier 2.
    async fn write(&mut self) -> Vec<(ChangeHash, String)> {
        let mut written = Vec::new();
        for cell in self.cells.clone() {
            let saved = self
                .creator(cell)
                .read(cell.doc, |d| d.map(Automerge::save))
                .await
                .expect("the creator holds its document");
            let role = self.role;
            let hash = self
                .raw
                .write_on_top(cell.doc, &saved, |tx| {
                    tx.put(ROOT, "written_by", role).expect("put");
                })
                .await;
            let answer = write_answer(&mut self.raw, cell, hash).await;
            written.push((hash, answer));
        }
        written
    }

    /// The raw socket sends an ephemeral message about every document, then barrier 1.
    async fn ephemeral_out(&mut self) {
        for cell in self.cells.clone() {
            self.raw.ephemeral(cell.doc, cell.x_says()).await;
        }
        let barrier = forge::cbor_text(&format!("barrier of {}", self.role));
        self.raw.ephemeral(self.own, barrier.clone()).await;
        let own = self.own;
        let heard = self
            .finder
            .wait_for("the raw socket's barrier ephemeral", PATIENCE, |v| {
                v.heard(&own, &barrier)
            })
            .await;
        if heard.is_err() {
            self.barrier_failed("1: X's last ephemeral never came back");
        }
    }

    /// Every creator sends an ephemeral message about its document (for `ephemeral in`), then
    /// barrier 2; then what the creators received: X's write and X's ephemeral message.
    async fn creators_barrier(&mut self, written: &[(ChangeHash, String)]) {
        for cell in &self.cells {
            self.creator(cell).broadcast(cell.doc, cell.creator_says());
        }
        let key = format!("barrier of {}", self.role);
        let acknowledged = join_all(self.cells.iter().map(|cell| {
            let creator = self.creator(cell);
            let key = key.clone();
            async move {
                creator
                    .change(cell.doc, move |tx| {
                        tx.put(ROOT, key, true).expect("put");
                    })
                    .await;
                creator
                    .wait_for("the creator's barrier change acknowledged", PATIENCE, |v| {
                        v.in_sync(&cell.doc)
                    })
                    .await
                    .is_ok()
            }
        }))
        .await;
        if acknowledged.contains(&false) {
            self.barrier_failed("2: a creator's change was not acknowledged");
        }
        for (cell, (hash, answer)) in self.cells.clone().into_iter().zip(written) {
            let creator = self.creator(cell);
            let hash = *hash;
            let has = creator
                .read(cell.doc, move |d| {
                    d.is_some_and(|d| d.get_change_by_hash(&hash).is_some())
                })
                .await;
            let creator_side = match has {
                true => "the creator has it",
                false => "the creator never got it",
            };
            let expected = match cell.expected {
                ReadWrite => "acknowledged; the creator has it",
                ReadOnly => "answered without it; the creator never got it",
                Denied => "doc-unavailable; the creator never got it",
            };
            let observed = format!("{answer}; {creator_side}");
            self.rows.push(row(cell, "write", expected, observed));
            let heard = creator.view().heard(&cell.doc, &cell.x_says());
            self.rows.push(row(
                cell,
                "ephemeral out",
                heard_label(cell.expected.readable()),
                heard_label(heard).to_owned(),
            ));
        }
    }

    /// Barrier 3; then which creators' ephemeral messages the finder heard.
    async fn finder_barrier(&mut self) {
        let role = self.role;
        self.finder
            .change(self.own, move |tx| {
                tx.put(ROOT, "finder barrier", role).expect("put");
            })
            .await;
        let own = self.own;
        let acknowledged = self
            .finder
            .wait_for("the finder's barrier change acknowledged", PATIENCE, |v| {
                v.in_sync(&own)
            })
            .await;
        if acknowledged.is_err() {
            self.barrier_failed("3: the finder's change was not acknowledged");
        }
        let view = self.finder.view();
        for cell in &self.cells {
            self.rows.push(row(
                cell,
                "ephemeral in",
                heard_label(cell.expected.readable()),
                heard_label(view.heard(&cell.doc, &cell.creator_says())).to_owned(),
            ));
        }
    }

    /// Records that a barrier failed, so the negative checks of this role are not to be
    /// trusted.
    fn barrier_failed(&mut self, which: &str) {
        let row = row(
            self.cells[0],
            "barrier",
            "passed",
            format!("failed: {which}"),
        );
        self.rows.push(row);
    }
}

fn heard_label(heard: bool) -> &'static str {
    match heard {
        true => "heard",
        false => "not heard",
    }
}

/// Reads the server's answer to a forged write: `acknowledged` (a `sync` announcing the new
/// change, awaited for a writer), `answered without it` (a `sync` without it), `doc-unavailable`.
async fn write_answer(raw: &mut RawPeer, cell: &Cell, hash: ChangeHash) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut last = "no answer".to_owned();
    loop {
        let patience = deadline.saturating_duration_since(Instant::now());
        match raw.answer_about(cell.doc, patience).await {
            Ok((_, Message::Sync { data, .. })) => {
                match forge::sync_heads(&data) {
                    Some(heads) if heads.contains(&hash) => return "acknowledged".to_owned(),
                    Some(_) => last = "answered without it".to_owned(),
                    None => return "answered with an undecodable sync message".to_owned(),
                }
                // Only a writer's answer is worth waiting for: the first answer after the
                // server dealt with the change is the verdict for anyone else.
                if cell.expected != ReadWrite {
                    return last;
                }
            }
            Ok((_, Message::DocUnavailable { .. })) => return "doc-unavailable".to_owned(),
            Ok((_, other)) => return format!("answered `{}`", other.type_name()),
            Err(_) => return last,
        }
    }
}

/// Compares the `api` answer for a cell's document with what the rules say.
fn api_verdict(cell: &Cell, answer: &HttpResponse, missing: &HttpResponse) -> String {
    match answer.status {
        200 => {
            let body = answer.json();
            let access = body["access"].as_str().unwrap_or("?");
            let fields_right = body["id"] == cell.doc.to_string()
                && body["kind"] == "storecheck"
                && body["account"] == cell.account
                && body["creator"] == cell.creator.as_str();
            match fields_right {
                true => format!("200 {access}"),
                false => format!("200 {access} with wrong fields: {body}"),
            }
        }
        404 if missing.status == 404
            && missing.json()["error"] == "not_found"
            && answer.body == missing.body
            && answer.header("content-type") == missing.header("content-type") =>
        {
            "404 exactly as for a missing document".to_owned()
        }
        status => format!(
            "{status} {:?} (a missing document: {} {:?})",
            answer.body, missing.status, missing.body
        ),
    }
}

/// Whether the frame answering a `request` for a forbidden document equals, byte for byte, the
/// frame answering a `request` for the missing document `nowhere` once the ids are swapped.
fn wire_verdict(
    (forbidden_bytes, forbidden): (Vec<u8>, Message),
    (missing_bytes, _): (Vec<u8>, Message),
    nowhere: DocumentId,
) -> String {
    let Message::DocUnavailable {
        sender_id,
        target_id,
        document_id,
    } = forbidden
    else {
        return format!("answered `{}`", forbidden.type_name());
    };
    let original = Message::DocUnavailable {
        sender_id: sender_id.clone(),
        target_id: target_id.clone(),
        document_id,
    };
    if encode(&original) != forbidden_bytes {
        return format!("doc-unavailable, not canonically encoded: {forbidden_bytes:02x?}");
    }
    let swapped = encode(&Message::DocUnavailable {
        sender_id,
        target_id,
        document_id: nowhere,
    });
    match swapped == missing_bytes {
        true => "doc-unavailable, byte-identical to a missing document's".to_owned(),
        false => format!(
            "doc-unavailable, but differs: {swapped:02x?} vs a missing document's {missing_bytes:02x?}"
        ),
    }
}
