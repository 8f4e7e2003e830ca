//! The auth matrix for documents that do not exist yet: for every role × relation (see
//! [`enlace_tests::matrix`]), what a person gets who knows a document's id before its creator
//! first syncs it, and what a creator gets whose id someone else registered first.
//!
//! Operations, each from the role person `X`'s own connections:
//! - `sync first`: a raw socket of X sends a `sync` (not a `request`) of an empty copy of the
//!   id before the document exists; the answer is a missing document's (`sync` of an empty
//!   document), whatever the relation.
//! - `sync before create`: the cell's creator then creates the document with that id; X's raw
//!   socket receives it exactly when X may read it (the hole this guards against: an outsider
//!   who synced an id first received the document and every later edit).
//! - `sync: wire`: (denied cells) once the document exists, the answer to an empty `sync` for it
//!   is byte for byte the answer for a document that does not exist (ids swapped).
//! - `squatting`: X registers an id first, in X's account `acme`; then the cell's creator syncs
//!   its own document with that id. A creator who may write X's document merges into it; any
//!   other creator is refused with `id_unavailable` (told why, never stranded), re-creates the
//!   content under a new id, which the server acknowledges, and X never receives the refused
//!   content.
//!
//! "Did not receive" is checked after a barrier: a `request` for a missing id sent last on the
//! same socket, whose answer comes after everything the server sent that socket before.

use std::time::Instant;

use automerge::{Automerge, ReadDoc};
use enlace_core::ids::DocumentId;
use enlace_core::wire::{Message, encode};
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::forge::{self, RawPeer};
use enlace_tests::matrix::Relation::{self, OtherAccount, OtherOrg, Own, Supervised, Team};
use enlace_tests::matrix::{Creators, EXPECTED, Expected, Row, assert_rows, connect_creators};
use enlace_tests::server::TestServer;
use futures_util::future::join_all;

/// What the squatting check should see, by hand from the rules: the creator of `own` and
/// `team` documents may write a document of `acme` that X created (X itself; a teammate);
/// nobody else may.
fn squatting_expected(relation: Relation) -> &'static str {
    match relation {
        Own | Team => "merged into the first document",
        Supervised | OtherAccount | OtherOrg => {
            "refused (id_unavailable); re-created under a new id and acknowledged; X never got it"
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_synced_before_their_document_exists_and_ids_taken_first() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("data dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;

    let clients = connect_creators(&server.ws_url(), &agency).await;

    let rows: Vec<Row> = join_all(
        fixture::ROLE_PEOPLE
            .iter()
            .map(|&(role, _)| check_role(&server, &agency, &clients, role)),
    )
    .await
    .into_iter()
    .flatten()
    .collect();

    assert_rows(
        &format!("auth matrix before create ({:?})", started.elapsed()),
        &rows,
    );
    for client in clients.into_values() {
        client.close().await;
    }
    server.stop().await.expect("clean stop");
}

async fn check_role(
    server: &TestServer,
    agency: &Agency,
    clients: &Creators,
    role: &'static str,
) -> Vec<Row> {
    let mut raw = RawPeer::join(
        &server.ws_url(),
        agency.token(role),
        &format!("early-{role}"),
        PATIENCE,
    )
    .await;
    // X's second device, so that for `own` the squatter and the creator are two devices of X.
    let squatter = Client::connect_with_bearer(
        &server.ws_url(),
        &format!("squatter-{role}"),
        agency.token(role),
    )
    .await
    .expect("the squatter connects");
    let mut rows = Vec::new();
    for &(cell_role, relation, expected) in EXPECTED.iter().filter(|c| c.0 == role) {
        let (creator, account) = relation.creator(cell_role);
        let creator = &clients[&creator];
        let mut row = |op: &'static str, expected: &str, observed: String| {
            rows.push(Row {
                role,
                relation,
                op,
                expected: expected.to_owned(),
                observed,
            })
        };

        // sync first, then the creator creates it.
        let doc = DocumentId::new_random();
        raw.sync_empty(doc).await;
        let first = match raw.answer_about(doc, PATIENCE).await {
            Ok((_, Message::Sync { data, .. })) if forge::sync_heads(&data) == Some(vec![]) => {
                "sync of an empty document".to_owned()
            }
            Ok((_, other)) => format!("answered `{}`", other.type_name()),
            Err(e) => format!("no answer: {e}"),
        };
        row("sync first", "sync of an empty document", first);
        creator
            .adopt(doc, forge::storecheck(account, "creator"))
            .await;
        let acknowledged = creator
            .wait_for("the creator's new document acknowledged", PATIENCE, |v| {
                v.in_sync(&doc)
            })
            .await
            .is_ok();
        let observed = match acknowledged {
            false => "the creator's document was not acknowledged".to_owned(),
            true => received(&mut raw, doc).await,
        };
        let want = match expected.readable() {
            true => "received it",
            false => "received nothing",
        };
        row("sync before create", want, observed);

        if expected == Expected::Denied {
            row(
                "sync: wire",
                "sync, byte-identical to a missing document's",
                wire(&mut raw, doc).await,
            );
        }

        let observed = squat(&squatter, creator, role, account).await;
        row("squatting", squatting_expected(relation), observed);
    }
    squatter.close().await;
    rows
}

/// Whether the raw socket received content of `doc` before the server answered a barrier.
async fn received(raw: &mut RawPeer, doc: DocumentId) -> String {
    match raw.received_content(doc, PATIENCE).await {
        Err(e) => format!("barrier failed: {e}"),
        Ok(true) => "received it".to_owned(),
        Ok(false) => "received nothing".to_owned(),
    }
}

/// The answers to an empty `sync` for `doc` (which exists, forbidden) and for a missing id,
/// compared byte for byte with the ids swapped.
async fn wire(raw: &mut RawPeer, doc: DocumentId) -> String {
    raw.sync_empty(doc).await;
    let forbidden = raw.answer_about(doc, PATIENCE).await;
    let nowhere = DocumentId::new_random();
    raw.sync_empty(nowhere).await;
    let missing = raw.answer_about(nowhere, PATIENCE).await;
    let (Ok((forbidden_bytes, forbidden)), Ok((missing_bytes, _))) = (forbidden, missing) else {
        return "no answer".to_owned();
    };
    let Message::Sync {
        sender_id,
        target_id,
        data,
        ..
    } = forbidden
    else {
        return format!("answered `{}`", forbidden.type_name());
    };
    let swapped = encode(&Message::Sync {
        sender_id,
        target_id,
        document_id: nowhere,
        data,
    });
    match swapped == missing_bytes {
        true => "sync, byte-identical to a missing document's".to_owned(),
        false => format!(
            "sync, but differs: {forbidden_bytes:02x?} vs a missing document's {missing_bytes:02x?}"
        ),
    }
}

/// X (its second device) registers a new id first; then the creator syncs its own document
/// with that id.
async fn squat(x: &Client, creator: &Client, role: &str, account: &str) -> String {
    let id = DocumentId::new_random();
    x.adopt(id, forge::storecheck("acme", role)).await;
    if x.wait_for("the squatter's document acknowledged", PATIENCE, |v| {
        v.in_sync(&id)
    })
    .await
    .is_err()
    {
        return "the first document was not acknowledged".to_owned();
    }
    let first = x.view().heads(&id);
    creator
        .adopt(id, forge::storecheck(account, "creator"))
        .await;
    let Ok(view) = creator
        .wait_for("the creator's answer", PATIENCE, |v| {
            v.refused.contains_key(&id) || (v.in_sync(&id) && v.heads(&id) != first)
        })
        .await
    else {
        return "no answer".to_owned();
    };
    let Some((code, _)) = view.refused.get(&id) else {
        return "merged into the first document".to_owned();
    };
    // The device API's remedy, done by hand: the same content under a new id.
    let Some(copy) = creator.read(id, |d| d.map(Automerge::save)).await else {
        return format!("refused ({code}); the creator lost its copy");
    };
    let refused_heads = Automerge::load(&copy).expect("the copy loads").get_heads();
    let fresh = DocumentId::new_random();
    creator
        .adopt(fresh, Automerge::load(&copy).expect("the copy loads"))
        .await;
    if creator
        .wait_for("the re-created document acknowledged", PATIENCE, |v| {
            v.in_sync(&fresh)
        })
        .await
        .is_err()
    {
        return format!("refused ({code}); the re-created document was not acknowledged");
    }
    // Anything the server relayed to X before acknowledging the re-created document would
    // have arrived by now: X's copy of the id is still only X's.
    let has_refused = x
        .read(id, move |d| {
            d.is_some_and(|d| {
                refused_heads
                    .iter()
                    .any(|h| d.get_change_by_hash(h).is_some())
            })
        })
        .await;
    let squatter = match has_refused {
        true => "X received the refused content",
        false => "X never got it",
    };
    format!("refused ({code}); re-created under a new id and acknowledged; {squatter}")
}
