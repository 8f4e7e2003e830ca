//! The stock npm automerge-repo client (`@automerge/automerge-repo` 2.5.6 and its websocket
//! adapter) against an authenticating enlace-server, connecting as browsers do: a ticket from
//! `POST /v1/tickets`, then `ws://ADDR/v1/sync?ticket=...`. It syncs exactly what its user may
//! see (`docs/access.md`):
//!
//! - a junior creates a storecheck of their account and edits it; a teammate's Rust client (bearer
//!   token) sees both, the JSON API records the junior as creator, and the teammate's reply comes
//!   back to the JS client;
//! - the junior finds a teammate's document, and is told "unavailable" (as for a document that
//!   does not exist) about documents of an account they are not on and of another organisation;
//! - a document the junior creates in an account they are not on is refused: nobody finds it;
//! - a bad ticket (garbage, a bearer token, a tampered or revoked ticket, none at all) gets `401`
//!   at the upgrade, and a stock client holding one never meets the server.
//!
//! The JS side is `tests/js/scenarios.mjs` (the `ticket-*` and `upgrade-status` scenarios).

use std::process::ExitStatus;
use std::time::Duration;

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use enlace_core::ids::DocumentId;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::fixture::{self, Agency};
use enlace_tests::http::{HttpResponse, request};
use enlace_tests::node::scenario;
use enlace_tests::server::TestServer;
use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A seeded agency (`tests/src/fixture.rs`) served by an authenticating server.
struct Agencia {
    server: TestServer,
    agency: Agency,
    _dir: tempfile::TempDir,
}

impl Agencia {
    async fn start() -> Agencia {
        let dir = tempfile::tempdir().expect("temp dir");
        let agency = fixture::seed(dir.path());
        let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
        Agencia {
            server,
            agency,
            _dir: dir,
        }
    }

    /// `method path` with `user`'s bearer token.
    async fn call(&self, user: &str, method: &str, path: &str) -> HttpResponse {
        request(
            self.server.addr,
            method,
            path,
            Some(self.agency.token(user)),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{method} {path} as {user}: {e}"))
    }

    /// A fresh websocket ticket of `user`, as a browser gets one.
    async fn ticket(&self, user: &str) -> String {
        let response = self.call(user, "POST", "/v1/tickets").await;
        assert_eq!(response.status, 201, "a ticket for {user}: {response:?}");
        let json = response.json();
        assert!(
            json["expires_at_ms"].as_i64().is_some(),
            "a ticket has an expiry: {json}"
        );
        json["ticket"].as_str().expect("a ticket").to_owned()
    }

    /// The sync URL of a browser of `user`: `ws://ADDR/v1/sync?ticket=...`.
    async fn ticket_url(&self, user: &str) -> String {
        let url = self.server.ticket_url(&self.ticket(user).await);
        assert!(url.contains("/v1/sync?ticket="), "{url}");
        url
    }

    /// A Rust client of `user`, authenticated with its bearer token.
    async fn rust_client(&self, user: &str) -> Client {
        let name = format!("rust-{user}");
        Client::connect_with_bearer(&self.server.ws_url(), &name, self.agency.token(user))
            .await
            .unwrap_or_else(|e| panic!("{user} connects with a bearer token: {e:?}"))
    }

    /// `GET /v1/documents/{doc}` as `user`.
    async fn document(&self, user: &str, doc: &DocumentId) -> HttpResponse {
        self.call(user, "GET", &format!("/v1/documents/{doc}"))
            .await
    }
}

/// The first change of a storecheck of `account` written by a Rust client of `from`: root `kind`
/// and `account_id` as scalar strings, which is how the server classifies documents.
fn storecheck(account: &'static str, from: &'static str) -> impl FnOnce(&mut Transaction<'_>) {
    move |tx| {
        tx.put(ROOT, "kind", "storecheck").expect("put");
        tx.put(ROOT, "account_id", account).expect("put");
        tx.put(ROOT, "from", from).expect("put");
    }
}

/// Creates a storecheck of `account` as `user` and waits until the server acknowledges it.
async fn create_stored(client: &Client, account: &'static str, user: &'static str) -> DocumentId {
    let doc = client.create(storecheck(account, user)).await;
    client
        .wait_for("the server to store the document", PATIENCE, |v| {
            v.in_sync(&doc)
        })
        .await
        .unwrap_or_else(|e| panic!("{user}'s storecheck of {account} is stored: {e}"));
    doc
}

/// A string at the root of a document: a JS string is collaborative text, a Rust `put` of a
/// string (or a JS `ImmutableString`) is a scalar.
fn string_at(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok().flatten()? {
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Waits until the server tells `client` that `doc` is unavailable.
async fn assert_unavailable(client: &Client, doc: DocumentId, who: &str) {
    client.subscribe(doc);
    let view = client
        .wait_for("an answer about the document", PATIENCE, |v| {
            v.unavailable.contains(&doc) || v.docs.get(&doc).is_some_and(|d| !d.local.is_empty())
        })
        .await
        .unwrap_or_else(|e| panic!("{who} hears about {doc}: {e}"));
    assert!(
        view.unavailable.contains(&doc) && view.heads(&doc).is_empty(),
        "{who} must not get {doc}: {view:?}"
    );
}

/// One running scenario: its stdout read line by line, its stdin for the driver's lines.
struct Node {
    name: String,
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Node {
    fn spawn(url: &str, name: &str, args: &[&str]) -> Node {
        let mut child = scenario(url, name, args).spawn().expect("spawn node");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Node {
            name: name.to_owned(),
            child,
            stdout,
            seen: Vec::new(),
        }
    }

    /// The next JSON line with `key`, within [`PATIENCE`]; fails on `"ok":false` or an early
    /// exit, showing everything the scenario printed.
    async fn expect(&mut self, key: &str) -> Json {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = self.stdout.next_line().await {
                self.seen.push(line.clone());
                let json: Json = serde_json::from_str(&line).unwrap_or(Json::Null);
                if json.get(key).is_some() {
                    return Some(json);
                }
                if json["ok"] == false {
                    return None;
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(json)) => json,
            Ok(None) => self.fail(&format!("no line with {key:?}")).await,
            Err(_) => self.fail(&format!("timed out waiting for {key:?}")).await,
        }
    }

    /// Writes a line on the scenario's stdin.
    async fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to the scenario");
        stdin.flush().await.expect("flush");
    }

    /// Waits for the final `{"ok": true, ...}` line and a zero exit.
    async fn finish(mut self) -> Json {
        let last = self.expect("ok").await;
        let status = self.wait().await;
        if last["ok"] != true || !status.success() {
            self.fail(&format!("exit {status}, last line {last}")).await;
        }
        last
    }

    async fn wait(&mut self) -> ExitStatus {
        match tokio::time::timeout(PATIENCE, self.child.wait()).await {
            Ok(status) => status.expect("node status"),
            Err(_) => panic!("scenario {} does not exit: {:?}", self.name, self.seen),
        }
    }

    async fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.start_kill();
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                tokio::io::AsyncReadExt::read_to_string(&mut err, &mut stderr),
            )
            .await;
        }
        panic!(
            "scenario {}: {why}\nstdout:\n{}\nstderr:\n{stderr}",
            self.name,
            self.seen.join("\n")
        );
    }
}

fn doc_id(json: &Json, key: &str) -> DocumentId {
    json[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a document id at {key:?} in {json}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_with_a_ticket_creates_and_edits_a_document_of_its_account() {
    let agencia = Agencia::start().await;
    let mate = agencia.rust_client("mate").await;
    let url = agencia.ticket_url("jr").await;
    let mut js = Node::spawn(&url, "ticket-create-edit", &["acme"]);

    // The stock client's new storecheck is stored (the server announced heads equal to the JS
    // client's), registered to acme with jr as its creator, and readable by jr's teammate.
    let created = js.expect("acknowledged").await;
    let doc = doc_id(&created, "acknowledged");
    let info = agencia.document("mate", &doc).await;
    assert_eq!(info.status, 200, "mate sees jr's document: {info:?}");
    let info = info.json();
    assert_eq!(info["kind"], "storecheck", "{info}");
    assert_eq!(info["account"], "acme", "{info}");
    assert_eq!(info["creator"], "jr", "{info}");
    assert_eq!(info["access"], "read_write", "{info}");
    let own = agencia.document("jr", &doc).await;
    assert_eq!(own.status, 200, "jr sees their own document: {own:?}");

    mate.subscribe(doc);
    mate.wait_content(doc, "the JS content", PATIENCE, |d| {
        string_at(d, "title").as_deref() == Some("from js")
            && string_at(d, "kind").as_deref() == Some("storecheck")
            && string_at(d, "account_id").as_deref() == Some("acme")
    })
    .await
    .expect("mate gets the document the JS client created");

    // A live JS edit reaches mate through the server.
    js.send("edit").await;
    js.expect("wrote").await;
    mate.wait_content(doc, "the JS edit", PATIENCE, |d| {
        string_at(d, "note").as_deref() == Some("edited by js")
    })
    .await
    .expect("mate gets the JS client's edit");

    // And mate's reply reaches the JS client.
    mate.change(doc, |tx| {
        tx.put(ROOT, "reply", "from mate").expect("put");
    })
    .await;
    let last = js.finish().await;
    assert_eq!(last["doc"]["note"], "edited by js", "{last}");
    assert_eq!(last["doc"]["reply"], "from mate", "{last}");
    assert_eq!(last["doc"]["account_id"], "acme", "{last}");

    mate.close().await;
    agencia.server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_with_a_ticket_finds_only_what_its_user_may_see() {
    let agencia = Agencia::start().await;
    let mate = agencia.rust_client("mate").await;
    let outsider = agencia.rust_client("outsider").await;
    let foreigner = agencia.rust_client("foreigner").await;
    let teammates = create_stored(&mate, "acme", "mate").await;
    let other_account = create_stored(&outsider, "beta", "outsider").await;
    let other_org = create_stored(&foreigner, "gamma", "foreigner").await;

    let url = agencia.ticket_url("jr").await;
    let (a, b, c) = (
        teammates.to_string(),
        other_account.to_string(),
        other_org.to_string(),
    );
    let js = Node::spawn(&url, "ticket-visibility", &[&a, &b, &c]);
    let last = js.finish().await;
    assert_eq!(last["found"], a.as_str(), "{last}");
    let unavailable = last["unavailable"].as_object().expect("answers");
    // The two forbidden documents are unavailable exactly like one that does not exist.
    assert_eq!(unavailable.len(), 3, "{last}");
    for id in [&b, &c] {
        assert_eq!(
            unavailable.get(id.as_str()),
            Some(&Json::from("unavailable"))
        );
    }

    // The JSON API agrees.
    assert_eq!(agencia.document("jr", &teammates).await.status, 200);
    assert_eq!(agencia.document("jr", &other_account).await.status, 404);
    assert_eq!(agencia.document("jr", &other_org).await.status, 404);

    for client in [mate, outsider, foreigner] {
        client.close().await;
    }
    agencia.server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_with_a_ticket_cannot_create_in_an_account_its_user_is_not_on() {
    let agencia = Agencia::start().await;
    let url = agencia.ticket_url("jr").await;
    // jr is on acme, not on beta. The scenario waits for the server's refusal of the beta
    // storecheck (doc-unavailable in answer to its changes, and `enlace-refused` with the
    // reason) and its acknowledgement of the acme one, made on the same socket.
    let js = Node::spawn(&url, "ticket-refused", &["beta", "acme"]);
    let last = js.finish().await;
    let refused = doc_id(&last, "refused");
    let accepted = doc_id(&last, "accepted");
    // The stock client was told why (an enlace extension message it ignores safely: the
    // accepted document on the same socket still synced).
    assert_eq!(last["told"]["documentId"], refused.to_string(), "{last}");
    assert_eq!(last["told"]["code"], "not_permitted", "{last}");
    let message = last["told"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not on the team"), "{last}");

    // Nobody finds the refused document, not even beta's own team or jr's management.
    let outsider = agencia.rust_client("outsider").await;
    assert_unavailable(&outsider, refused, "outsider (on beta)").await;
    let mgmt = agencia.rust_client("mgmt").await;
    assert_unavailable(&mgmt, refused, "mgmt (reads all of andes)").await;
    for user in ["outsider", "jr", "mgmt", "admin"] {
        let response = agencia.document(user, &refused).await;
        assert_eq!(response.status, 404, "{user}: {response:?}");
        assert_eq!(response.json()["error"], "not_found", "{user}");
    }

    // The control: the acme document of the same socket was stored.
    let info = agencia.document("mate", &accepted).await;
    assert_eq!(info.status, 200, "{info:?}");
    assert_eq!(info.json()["creator"], "jr");

    outsider.close().await;
    mgmt.close().await;
    agencia.server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_with_a_bad_ticket_never_connects() {
    let agencia = Agencia::start().await;
    let mate = agencia.rust_client("mate").await;
    // A document jr could read with a good ticket.
    let doc = create_stored(&mate, "acme", "mate").await;

    let ticket = agencia.ticket("jr").await;
    let good = agencia.server.ticket_url(&ticket);
    let garbage = agencia.server.ticket_url("garbage-not-a-ticket");
    let bearer_as_ticket = agencia.server.ticket_url(agencia.agency.token("jr"));
    // One character of the signature changed.
    let at = ticket.len() - 5;
    let flipped = if &ticket[at..=at] == "A" { "B" } else { "A" };
    let mut tampered = ticket.clone();
    tampered.replace_range(at..=at, flipped);
    let tampered = agencia.server.ticket_url(&tampered);
    let none = agencia.server.ws_url();

    // The stock client's own websocket package sees each upgrade's answer.
    let js = Node::spawn(
        &good,
        "upgrade-status",
        &[&garbage, &bearer_as_ticket, &tampered, &none],
    );
    let last = js.finish().await;
    assert_eq!(
        last["statuses"],
        serde_json::json!([101, 401, 401, 401, 401]),
        "good, garbage, bearer token, tampered, no ticket: {last}"
    );

    // A ticket is good for the upgrade only.
    let me = request(agencia.server.addr, "GET", "/v1/me", Some(&ticket), None)
        .await
        .expect("GET /v1/me");
    assert_eq!(me.status, 401, "a ticket as a bearer token: {me:?}");

    // A stock repo with a garbage ticket never meets the server and never finds the document.
    let js = Node::spawn(
        &garbage,
        "ticket-refused-connection",
        &[&doc.to_string(), "3000"],
    );
    let last = js.finish().await;
    assert!(
        last["errors"].as_array().is_some_and(|e| e
            .iter()
            .any(|e| e.as_str().is_some_and(|e| e.contains("401")))),
        "{last}"
    );

    // A ticket dies with its token.
    let revoked = agencia
        .call(
            "admin",
            "DELETE",
            &format!("/v1/admin/tokens/{}", agencia.agency.token_id("jr")),
        )
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let js = Node::spawn(&good, "upgrade-status", &[]);
    let last = js.finish().await;
    assert_eq!(last["statuses"], serde_json::json!([401]), "{last}");

    mate.close().await;
    agencia.server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_writing_fields_only_the_server_sets_converges_to_the_servers_value() {
    let agencia = Agencia::start().await;
    let mate = agencia.rust_client("mate").await;
    let url = agencia.ticket_url("jr").await;
    let mut js = Node::spawn(&url, "ticket-server-fields", &["acme"]);
    js.expect("wrote").await;
    // The stock client's own copy no longer shows `sent`, a number or `reviewed`: the
    // server's compensating change reached it.
    let last = js.finish().await;
    assert_eq!(last["ok"], true, "{last}");
    assert_eq!(
        last["report"]["status"]["0"],
        serde_json::json!({"draft": true, "in_review": true}),
        "{last}"
    );
    // Every replica holds the same document: a teammate fetching them gets the JS client's
    // heads, which include both its write and the server's repair.
    for (key, heads_key) in [("note", "noteHeads"), ("check", "checkHeads")] {
        let doc = doc_id(&last, key);
        let want: Vec<String> = last[heads_key]
            .as_array()
            .expect("heads")
            .iter()
            .filter_map(|h| h.as_str().map(str::to_owned))
            .collect();
        mate.subscribe(doc);
        mate.wait_for("the teammate converges with the JS client", PATIENCE, |v| {
            let mut ours: Vec<String> = v.heads(&doc).iter().map(ToString::to_string).collect();
            ours.sort();
            ours == want
        })
        .await
        .expect("the same heads on every replica");
    }
    let (_, metrics) = enlace_tests::server::http_get(agencia.server.addr, "/metrics")
        .await
        .expect("metrics");
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("authority_repaired") && !l.ends_with(" 0")),
        "the repairs are counted"
    );
    mate.close().await;
    agencia.server.stop().await.expect("stop");
}

/// A stock automerge-repo client of the account's team writes into the account's catalog (the
/// server's reference data): the server refuses the write, tells the client why, and a teammate
/// still reads the server's catalog, never the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_cannot_write_a_catalog() {
    use enlace_core::model::Catalog;
    let agencia = Agencia::start().await;
    enlace_tests::reference::import_all(agencia.server.addr, agencia.agency.token("admin")).await;
    let catalog = Catalog::id_for("andes", "acme");
    let mate = agencia.rust_client("mate").await;
    mate.subscribe(catalog);
    mate.wait_for("the teammate has the catalog", PATIENCE, |v| {
        v.in_sync(&catalog) && !v.heads(&catalog).is_empty()
    })
    .await
    .expect("the catalog reached the teammate");
    let server_heads = mate.view().heads(&catalog);

    let url = agencia.ticket_url("jr").await;
    let mut js = Node::spawn(&url, "ticket-catalog-write", &[&catalog.to_string()]);
    let wrote = js.expect("wrote").await;
    assert!(wrote["version"].as_u64().is_some_and(|v| v >= 1), "{wrote}");
    let last = js.finish().await;
    assert_eq!(last["ok"], true, "{last}");
    assert_eq!(last["told"]["documentId"], catalog.to_string(), "{last}");

    // The teammate's copy is the server's: the write never reached it, nor the server's store.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        mate.view().heads(&catalog),
        server_heads,
        "the write was not kept"
    );
    let fresh = agencia.rust_client("ae").await;
    fresh.subscribe(catalog);
    fresh
        .wait_for("a fresh copy of the catalog", PATIENCE, |v| {
            v.in_sync(&catalog) && v.heads(&catalog) == server_heads
        })
        .await
        .expect("the server holds only its own catalog");
    mate.close().await;
    fresh.close().await;
    agencia.server.stop().await.expect("stop");
}

/// Another organisation's catalog is answered over sync like a document that does not exist:
/// unavailable, and not one change of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_catalog_reads_as_missing() {
    use enlace_core::model::Catalog;
    let agencia = Agencia::start().await;
    enlace_tests::reference::import_all(agencia.server.addr, agencia.agency.token("admin")).await;
    let catalog = Catalog::id_for("andes", "acme");
    let owner = agencia.rust_client("mate").await;
    owner.subscribe(catalog);
    owner
        .wait_for("the team has the catalog", PATIENCE, |v| {
            v.in_sync(&catalog) && !v.heads(&catalog).is_empty()
        })
        .await
        .expect("the catalog exists");
    let missing = DocumentId::from_bytes([7; 16]);
    let outsider = agencia.rust_client("outsider").await;
    assert_unavailable(&outsider, catalog, "another organisation's executive").await;
    assert_unavailable(&outsider, missing, "anyone asking for a missing document").await;
    owner.close().await;
    outsider.close().await;
    agencia.server.stop().await.expect("stop");
}
