//! Organisations are tenants: user and account ids are per organisation, so two agencies may both
//! have a `julia` and an `acme` without knowing of each other, and nothing of one reaches the
//! other (documents, peer ids, socket limits, `409` answers). Ids are case-insensitive; names
//! shown to others refuse invisible and direction-changing characters. A directory written
//! before all this is upgraded in place, and documents registered under it keep their account.

use std::net::SocketAddr;
use std::path::Path;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;
use enlace_core::model::DocumentKind;
use enlace_core::store::{Registration, Store};
use enlace_core::wire::Message;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::http::{HttpResponse, call};
use enlace_tests::process::{admin, admin_output};
use enlace_tests::raw::{self, RawSocket};
use enlace_tests::server::TestServer;
use serde_json::json;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

/// Creates organisation `org` with an admin `admin_id` from the command line and returns the
/// admin's token.
fn organisation(data: &Path, org: &str, admin_id: &str) -> String {
    admin(
        binary(),
        data,
        &[
            "create-org",
            "--id",
            org,
            "--name",
            &format!("Agencia {org}"),
        ],
    );
    admin(
        binary(),
        data,
        &[
            "create-user",
            "--org",
            org,
            "--id",
            admin_id,
            "--name",
            admin_id,
            "--email",
            &format!("{admin_id}@{org}.example"),
            "--role",
            "admin",
        ],
    );
    token_from_cli(data, org, admin_id)
}

fn token_from_cli(data: &Path, org: &str, user: &str) -> String {
    admin(
        binary(),
        data,
        &["issue-token", "--org", org, "--user", user],
    )["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// Through the admin API of `root`'s organisation: account `account`, user `user` on its team
/// as an account executive; returns the user's token.
async fn member(addr: SocketAddr, root: &str, account: &str, user: &str, name: &str) -> String {
    let created = call(
        addr,
        "POST",
        "/v1/admin/accounts",
        root,
        Some(json!({"id": account, "name": format!("{name}'s account")})),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let created = call(
        addr,
        "POST",
        "/v1/admin/users",
        root,
        Some(
            json!({"id": user, "name": name, "email": "julia@example.com",
                    "role": "account_executive"}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let path = format!("/v1/admin/accounts/{account}/members/{user}");
    let joined = call(addr, "PUT", &path, root, None).await;
    assert_eq!(joined.status, 204, "{joined:?}");
    let issued = call(
        addr,
        "POST",
        "/v1/admin/tokens",
        root,
        Some(json!({"user": user})),
    )
    .await;
    assert_eq!(issued.status, 201, "{issued:?}");
    issued.json()["token"].as_str().expect("token").to_owned()
}

async fn document(addr: SocketAddr, token: &str, doc: DocumentId) -> HttpResponse {
    call(addr, "GET", &format!("/v1/documents/{doc}"), token, None).await
}

async fn storecheck_of(client: &Client, account: &'static str) -> DocumentId {
    let doc = client
        .create(move |tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", account).expect("put");
        })
        .await;
    client
        .wait_for("the server to store it", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");
    doc
}

async fn join(socket: &mut RawSocket, peer: &str) -> Option<Message> {
    raw::send_binary(socket, raw::join_frame(peer)).await;
    tokio::time::timeout(PATIENCE, raw::next_message(socket))
        .await
        .expect("an answer to join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_organisations_may_use_the_same_ids_and_see_nothing_of_each_other() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let ana = organisation(data, "andes", "ana");
    let pia = organisation(data, "pampa", "pia");
    let server = TestServer::start_authenticated(data, |config| {
        config.auth.max_connections_per_user = 2;
    })
    .await;
    let addr = server.addr;

    // Both create `acme` and `julia`: neither learns that the other did.
    let julia_a = member(addr, &ana, "acme", "julia", "Julia Andes").await;
    let julia_p = member(addr, &pia, "acme", "julia", "Julia Pampa").await;
    for (token, org, name) in [
        (&julia_a, "andes", "Julia Andes"),
        (&julia_p, "pampa", "Julia Pampa"),
    ] {
        let me = call(addr, "GET", "/v1/me", token, None).await.json();
        assert_eq!(
            (me["org"].as_str(), me["name"].as_str()),
            (Some(org), Some(name))
        );
        let accounts = call(addr, "GET", "/v1/accounts", token, None).await.json();
        assert_eq!(
            accounts,
            json!([{"id": "acme", "name": format!("{name}'s account"), "access": "read_write"}])
        );
    }
    let team = call(addr, "GET", "/v1/accounts/acme/team", &julia_p, None)
        .await
        .json();
    assert_eq!(
        team,
        json!([{"id": "julia", "name": "Julia Pampa", "role": "account_executive"}])
    );

    // A 409 concerns the caller's own organisation only.
    let again = call(
        addr,
        "POST",
        "/v1/admin/users",
        &pia,
        Some(
            json!({"id": "julia", "name": "J", "email": "j2@pampa.example",
                    "role": "junior_executive"}),
        ),
    )
    .await;
    assert_eq!(again.status, 409, "{again:?}");
    assert!(
        again.json()["message"]
            .as_str()
            .expect("message")
            .contains("julia")
    );
    let again = call(
        addr,
        "POST",
        "/v1/admin/accounts",
        &ana,
        Some(json!({"id": "acme", "name": "again"})),
    )
    .await;
    assert_eq!(again.status, 409, "{again:?}");

    // A document of andes' acme is not pampa's acme's, on the websocket or the API.
    let phone_a = Client::connect_with_bearer(&server.url(), "phone-julia-a", &julia_a)
        .await
        .expect("julia of andes connects");
    let doc = storecheck_of(&phone_a, "acme").await;
    let _second_socket_a = raw::connect_bearer(&server.url(), &julia_a).await;
    let seen = document(addr, &julia_a, doc).await;
    assert_eq!(seen.status, 200, "{seen:?}");
    assert_eq!(
        (
            seen.json()["account"].as_str(),
            seen.json()["creator"].as_str()
        ),
        (Some("acme"), Some("julia"))
    );
    for token in [&julia_p, &pia] {
        let seen = document(addr, token, doc).await;
        assert_eq!(seen.status, 404, "{seen:?}");
    }
    // The socket limit is per person: pampa's julia is not andes' julia, who holds her two.
    let phone_p = Client::connect_with_bearer(&server.url(), "phone-julia-p", &julia_p)
        .await
        .expect("julia of pampa connects");
    phone_p.subscribe(doc);
    phone_p
        .wait_for("the document refused", PATIENCE, |v| {
            v.unavailable.contains(&doc)
        })
        .await
        .expect("unavailable to pampa's julia");
    // Pampa's own acme document is pampa's; andes sees nothing of it.
    let theirs = storecheck_of(&phone_p, "acme").await;
    assert_eq!(document(addr, &julia_p, theirs).await.status, 200);
    assert_eq!(document(addr, &julia_a, theirs).await.status, 404);
    assert_eq!(document(addr, &ana, theirs).await.status, 404);

    // A peer id belongs to one person of one organisation.
    let mut socket = raw::connect_bearer(&server.url(), &julia_p).await;
    match join(&mut socket, "phone-julia-a").await {
        Some(Message::Error { message }) => assert!(message.contains("another user"), "{message}"),
        other => panic!("pampa's julia joined under andes' julia's peer id: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_differing_only_in_case_are_one_id() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let root = organisation(data, "Andes", "Ana");
    let dup = admin_output(
        binary(),
        data,
        &["create-org", "--id", "ANDES", "--name", "x"],
    );
    assert!(!dup.status.success(), "{dup:?}");
    let server = TestServer::start_authenticated(data, |_| {}).await;
    let addr = server.addr;
    let me = call(addr, "GET", "/v1/me", &root, None).await.json();
    assert_eq!(
        (me["id"].as_str(), me["org"].as_str()),
        (Some("ana"), Some("andes"))
    );

    let julia = member(addr, &root, "ACME", "Julia", "Julia").await;
    let accounts = call(addr, "GET", "/v1/admin/accounts", &root, None)
        .await
        .json();
    assert_eq!(accounts, json!([{"id": "acme", "name": "Julia's account"}]));
    for (path, body) in [
        ("/v1/admin/accounts", json!({"id": "acme", "name": "again"})),
        ("/v1/admin/accounts", json!({"id": "Acme", "name": "again"})),
        (
            "/v1/admin/users",
            json!({"id": "JULIA", "name": "J", "email": "other@andes.example",
                   "role": "admin"}),
        ),
    ] {
        let answer = call(addr, "POST", path, &root, Some(body.clone())).await;
        assert_eq!(answer.status, 409, "{body}: {answer:?}");
    }
    let team = call(addr, "GET", "/v1/accounts/AcMe/team", &julia, None).await;
    assert_eq!(team.status, 200, "{team:?}");

    // A document naming `ACME` belongs to `acme`, and writing `acme` or `Acme` later does not
    // move it.
    let phone = Client::connect_with_bearer(&server.url(), "phone-julia", &julia)
        .await
        .expect("connect");
    let doc = storecheck_of(&phone, "ACME").await;
    let seen = document(addr, &julia, doc).await.json();
    assert_eq!(seen["account"], "acme");
    for spelling in ["acme", "Acme"] {
        phone
            .change(doc, move |tx| {
                tx.put(ROOT, "account_id", spelling).expect("put");
            })
            .await;
        phone
            .wait_for("the respelling accepted", PATIENCE, |v| v.in_sync(&doc))
            .await
            .expect("not a move");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_shown_to_others_refuse_invisible_and_direction_characters() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let root = organisation(data, "andes", "ana");
    let server = TestServer::start_authenticated(data, |_| {}).await;
    let addr = server.addr;
    let user =
        |name: &str, email: &str| json!({"name": name, "email": email, "role": "junior_executive"});
    let refused = [
        (
            "/v1/admin/users",
            user("Ana\u{202E}nimda", "a1@andes.example"),
        ),
        ("/v1/admin/users", user("Ju\u{200B}lia", "a2@andes.example")),
        (
            "/v1/admin/users",
            user("\u{2066}Julia\u{2069}", "a3@andes.example"),
        ),
        ("/v1/admin/users", user("Julia\u{200F}", "a4@andes.example")),
        ("/v1/admin/users", user("Ju\u{00AD}lia", "a5@andes.example")),
        (
            "/v1/admin/users",
            user("Julia", "ju\u{200D}lia@andes.example"),
        ),
        ("/v1/admin/users", user("\u{FEFF}Julia", "a6@andes.example")),
        ("/v1/admin/accounts", json!({"name": "Acme\u{202D}"})),
        ("/v1/admin/accounts", json!({"name": "Ac\u{2060}me"})),
    ];
    for (path, body) in refused {
        let answer = call(addr, "POST", path, &root, Some(body.clone())).await;
        assert_eq!(answer.status, 400, "{body}: {answer:?}");
        assert!(
            answer.json()["message"]
                .as_str()
                .expect("message")
                .contains("invisible"),
            "{answer:?}"
        );
    }
    let label = call(
        addr,
        "POST",
        "/v1/admin/tokens",
        &root,
        Some(json!({"user": "ana", "label": "phone\u{202E}"})),
    )
    .await;
    assert_eq!(label.status, 400, "{label:?}");
    let cli = admin_output(binary(), data, &["create-org", "--name", "Agencia\u{202E}"]);
    assert!(!cli.status.success(), "{cli:?}");

    // Accents are names, not tricks.
    let accented = call(
        addr,
        "POST",
        "/v1/admin/accounts",
        &root,
        Some(json!({"id": "lacteos", "name": "Lácteos Peña"})),
    )
    .await;
    assert_eq!(accented.status, 201, "{accented:?}");
    let person = call(
        addr,
        "POST",
        "/v1/admin/users",
        &root,
        Some(user("José Núñez", "jose@andes.example")),
    )
    .await;
    assert_eq!(person.status, 201, "{person:?}");
    let accounts = call(addr, "GET", "/v1/admin/accounts", &root, None)
        .await
        .json();
    assert_eq!(accounts, json!([{"id": "lacteos", "name": "Lácteos Peña"}]));
}

/// The directory schema before ids were per organisation (`user_version` 1), as it shipped.
const DIRECTORY_V1: &str = "
    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE organisations (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE users (
        id TEXT PRIMARY KEY NOT NULL, org_id TEXT NOT NULL REFERENCES organisations (id),
        name TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, created_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX users_email ON users (org_id, email);
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY NOT NULL, org_id TEXT NOT NULL REFERENCES organisations (id),
        name TEXT NOT NULL, created_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE memberships (
        account_id TEXT NOT NULL REFERENCES accounts (id),
        user_id TEXT NOT NULL REFERENCES users (id), role TEXT NOT NULL,
        PRIMARY KEY (account_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_user ON memberships (user_id);
    CREATE TABLE supervision (
        supervisor TEXT NOT NULL REFERENCES users (id),
        supervisee TEXT NOT NULL REFERENCES users (id),
        PRIMARY KEY (supervisor, supervisee), CHECK (supervisor <> supervisee)
    ) WITHOUT ROWID;
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users (id),
        hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32), label TEXT NOT NULL,
        created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, revoked_ms INTEGER
    ) WITHOUT ROWID;
    INSERT INTO organisations VALUES ('andes', 'Agencia Andes', 1);
    INSERT INTO users VALUES ('ana', 'andes', 'Ana', 'ana@andes.example', 'admin', 1);
    INSERT INTO users VALUES ('Julia', 'andes', 'Julia', 'julia@andes.example',
                              'account_executive', 1);
    INSERT INTO accounts VALUES ('acme', 'andes', 'Lácteos Acme', 1);
    INSERT INTO accounts VALUES ('BETA', 'andes', 'Bebidas Beta', 1);
    INSERT INTO memberships VALUES ('acme', 'Julia', 'account_executive');
    PRAGMA user_version = 1;
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_of_the_previous_schema_is_upgraded_with_its_documents() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    // A document stored and registered the way the previous version did: unqualified ids.
    let doc = {
        let open = TestServer::start_in(data, |_| {}).await;
        let phone = Client::connect(&open.url(), "phone")
            .await
            .expect("connect");
        let doc = storecheck_of(&phone, "acme").await;
        phone.close().await;
        open.stop().await.expect("stop");
        doc
    };
    let store = Store::open(data.join("enlace.sqlite3")).expect("store");
    let registered = store
        .register(
            doc,
            &Registration {
                kind: Some(DocumentKind::Storecheck),
                account_id: Some("acme".into()),
                creator: Some("Julia".into()),
                registered_ms: 1,
            },
        )
        .expect("register");
    assert!(registered);
    drop(store);
    rusqlite::Connection::open(data.join("directory.sqlite3"))
        .expect("directory")
        .execute_batch(DIRECTORY_V1)
        .expect("the previous schema");

    // The upgrade keeps everyone, with ids in one case.
    let ana = token_from_cli(data, "andes", "ana");
    let julia = token_from_cli(data, "andes", "JULIA");
    let pia = organisation(data, "pampa", "pia");
    let server = TestServer::start_authenticated(data, |_| {}).await;
    let addr = server.addr;
    let accounts = call(addr, "GET", "/v1/admin/accounts", &ana, None)
        .await
        .json();
    assert_eq!(
        accounts,
        json!([{"id": "acme", "name": "Lácteos Acme"}, {"id": "beta", "name": "Bebidas Beta"}])
    );
    let seen = document(addr, &julia, doc).await;
    assert_eq!(seen.status, 200, "{seen:?}");
    assert_eq!(
        (
            seen.json()["account"].as_str(),
            seen.json()["creator"].as_str()
        ),
        (Some("acme"), Some("julia"))
    );
    // Another organisation may now take the same ids, and reads nothing of andes'.
    let julia_p = member(addr, &pia, "acme", "julia", "Julia Pampa").await;
    assert_eq!(document(addr, &julia_p, doc).await.status, 404);
    assert_eq!(document(addr, &pia, doc).await.status, 404);
    let phone = Client::connect_with_bearer(&server.url(), "phone-julia", &julia)
        .await
        .expect("connect");
    phone.subscribe(doc);
    phone
        .wait_for("her document", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("andes' julia syncs her document");
    server.stop().await.expect("stop");

    // The registration was rewritten in the qualified form: a restart needs no directory
    // lookup to know whose `acme` it is.
    let stored = Store::open(data.join("enlace.sqlite3"))
        .expect("store")
        .registrations()
        .expect("registrations");
    let (_, registration) = stored
        .iter()
        .find(|(d, _)| *d == doc)
        .expect("still registered");
    assert_eq!(registration.account_id.as_deref(), Some("andes/acme"));
    assert_eq!(registration.creator.as_deref(), Some("andes/julia"));
}
