//! First-run setup and the directory API, against the real binary: `serve` authenticates by
//! default; the README's steps (create an organisation and an admin with `enlace-server admin`,
//! issue a token, connect) work on a running server; the admin JSON API manages the admin's own
//! organisation only; a signed-in person reads their accounts, teammates and people.

use std::net::SocketAddr;
use std::path::Path;

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_tests::PATIENCE;
use enlace_tests::client::Client;
use enlace_tests::http::{call, request};
use enlace_tests::process::{ServerProcess, admin, admin_output};
use enlace_tests::raw;
use serde_json::{Value, json};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn ids(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_then_the_directory_through_the_api() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    // The test polls until the server has noticed new tokens: allow its 401s meanwhile.
    let server = ServerProcess::spawn_authenticated(
        binary(),
        data,
        &["--auth-failures-per-minute", "10000"],
        PATIENCE,
    );
    let addr = server.addr;
    assert_eq!(
        raw::try_connect(&server.url(), None).await.err(),
        Some(Some(401)),
        "serve authenticates by default"
    );

    // The README's first run, while the server runs.
    let org = admin(binary(), data, &["create-org", "--name", "Agencia Andes"])["id"]
        .as_str()
        .expect("org id")
        .to_owned();
    let ana = admin(
        binary(),
        data,
        &[
            "create-user",
            "--org",
            &org,
            "--name",
            "Ana Admin",
            "--email",
            "ana@andes.example",
            "--role",
            "admin",
        ],
    )["id"]
        .as_str()
        .expect("user id")
        .to_owned();
    let issued = admin(
        binary(),
        data,
        &[
            "issue-token",
            "--org",
            &org,
            "--user",
            &ana,
            "--label",
            "laptop",
        ],
    );
    let root = issued["token"].as_str().expect("token").to_owned();
    assert!(root.starts_with("enl_"));
    assert!(issued["expires_at_ms"].as_i64().expect("expiry") > 0);

    // The server noticed (it polls the directory): the token works.
    let deadline = std::time::Instant::now() + PATIENCE;
    let me = loop {
        let answer = call(addr, "GET", "/v1/me", &root, None).await;
        if answer.status == 200 {
            break answer.json();
        }
        assert!(std::time::Instant::now() < deadline, "{answer:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(me["role"], "admin");
    assert_eq!(me["org"], org.as_str());

    // Everything else through the API.
    let created = call(
        addr,
        "POST",
        "/v1/admin/accounts",
        &root,
        Some(json!({"id": "acme", "name": "Lácteos Acme"})),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let jr = call(
        addr,
        "POST",
        "/v1/admin/users",
        &root,
        Some(json!({"id": "jr", "name": "Julia", "email": "julia@andes.example", "role": "junior_executive"})),
    )
    .await;
    assert_eq!(jr.status, 201, "{jr:?}");
    let sup = call(
        addr,
        "POST",
        "/v1/admin/users",
        &root,
        Some(json!({"name": "Sergio", "email": "sergio@andes.example", "role": "account_supervisor"})),
    )
    .await
    .json()["id"]
        .as_str()
        .expect("generated id")
        .to_owned();
    let member = call(
        addr,
        "PUT",
        "/v1/admin/accounts/acme/members/jr",
        &root,
        None,
    )
    .await;
    assert_eq!(member.status, 204, "{member:?}");
    let edge = call(
        addr,
        "PUT",
        &format!("/v1/admin/supervision/{sup}/jr"),
        &root,
        None,
    )
    .await;
    assert_eq!(edge.status, 204, "{edge:?}");
    let token = call(
        addr,
        "POST",
        "/v1/admin/tokens",
        &root,
        Some(json!({"user": "jr", "label": "phone"})),
    )
    .await;
    assert_eq!(token.status, 201, "{token:?}");
    let jr_token = token.json()["token"].as_str().expect("token").to_owned();

    // What the junior sees.
    let accounts = call(addr, "GET", "/v1/accounts", &jr_token, None)
        .await
        .json();
    assert_eq!(
        accounts,
        json!([{"id": "acme", "name": "Lácteos Acme", "access": "read_write"}])
    );
    let team = call(addr, "GET", "/v1/accounts/acme/team", &jr_token, None)
        .await
        .json();
    assert_eq!(
        team,
        json!([{"id": "jr", "name": "Julia", "role": "junior_executive"}])
    );
    let people = call(addr, "GET", "/v1/people", &jr_token, None)
        .await
        .json();
    assert_eq!(ids(&people), {
        let mut v = vec!["jr".to_owned(), sup.clone()];
        v.sort();
        v
    });
    // Their supervisor reads the account through them.
    let sup_token = call(
        addr,
        "POST",
        "/v1/admin/tokens",
        &root,
        Some(json!({"user": sup})),
    )
    .await
    .json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let sup_accounts = call(addr, "GET", "/v1/accounts", &sup_token, None)
        .await
        .json();
    assert_eq!(sup_accounts[0]["access"], "read_only");

    // The junior connects and syncs.
    let phone = Client::connect_with_bearer(&server.url(), "julia-phone", &jr_token)
        .await
        .expect("connect");
    let doc = phone
        .create(|tx| {
            tx.put(ROOT, "kind", "storecheck").expect("put");
            tx.put(ROOT, "account_id", "acme").expect("put");
        })
        .await;
    phone
        .wait_for("stored", PATIENCE, |v| v.in_sync(&doc))
        .await
        .expect("acknowledged");

    // Errors a client can act on.
    let cases: Vec<(&str, &str, &str, Option<Value>, u16)> = vec![
        (
            "POST",
            "/v1/admin/users",
            jr_token.as_str(),
            Some(json!({"name": "x", "email": "x@y", "role": "admin"})),
            403,
        ),
        (
            "POST",
            "/v1/admin/users",
            root.as_str(),
            Some(json!({"name": "x", "email": "x@y", "role": "boss"})),
            400,
        ),
        (
            "POST",
            "/v1/admin/users",
            root.as_str(),
            Some(json!({"name": "x", "email": "x@y", "role": "admin", "extra": 1})),
            400,
        ),
        (
            "POST",
            "/v1/admin/users",
            root.as_str(),
            Some(json!({"name": "x", "email": "no-at", "role": "admin"})),
            400,
        ),
        (
            "POST",
            "/v1/admin/accounts",
            root.as_str(),
            Some(json!({"id": "acme", "name": "again"})),
            409,
        ),
        (
            "POST",
            "/v1/admin/accounts",
            root.as_str(),
            Some(json!({"id": "a b", "name": "bad id"})),
            400,
        ),
        (
            "PUT",
            "/v1/admin/accounts/acme/members/nobody",
            root.as_str(),
            None,
            404,
        ),
        (
            "PUT",
            "/v1/admin/accounts/nowhere/members/jr",
            root.as_str(),
            None,
            404,
        ),
        (
            "DELETE",
            "/v1/admin/tokens/not-a-token",
            root.as_str(),
            None,
            404,
        ),
        (
            "GET",
            "/v1/accounts/elsewhere/team",
            jr_token.as_str(),
            None,
            404,
        ),
    ];
    for (method, path, token, body, expected) in cases {
        let answer = call(addr, method, path, token, body.clone()).await;
        assert_eq!(
            answer.status, expected,
            "{method} {path} {body:?}: {answer:?}"
        );
        assert!(answer.json()["error"].is_string(), "{answer:?}");
    }
    let raw_body = request(addr, "POST", "/v1/admin/accounts", Some(&root), None)
        .await
        .expect("http");
    assert_eq!(raw_body.status, 400, "{raw_body:?}");

    // Another organisation's admin manages nothing here.
    let other = admin(
        binary(),
        data,
        &["create-org", "--name", "Agencia Pampa", "--id", "pampa"],
    );
    assert_eq!(other["id"], "pampa");
    admin(
        binary(),
        data,
        &[
            "create-user",
            "--org",
            "pampa",
            "--name",
            "Pia",
            "--email",
            "pia@pampa.example",
            "--role",
            "admin",
            "--id",
            "pia",
        ],
    );
    let pia = admin(
        binary(),
        data,
        &["issue-token", "--org", "pampa", "--user", "pia"],
    )["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let deadline = std::time::Instant::now() + PATIENCE;
    while call(addr, "GET", "/v1/me", &pia, None).await.status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "pia's token never worked"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let theirs = call(addr, "GET", "/v1/admin/users", &pia, None)
        .await
        .json();
    assert_eq!(ids(&theirs), vec!["pia".to_owned()]);
    assert_eq!(
        call(
            addr,
            "PUT",
            "/v1/admin/accounts/acme/members/pia",
            &pia,
            None
        )
        .await
        .status,
        404
    );
    let jr_token_id = token_id_of(&root, addr, "jr").await;
    assert_eq!(
        call(
            addr,
            "DELETE",
            &format!("/v1/admin/tokens/{jr_token_id}"),
            &pia,
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(addr, "GET", &format!("/v1/documents/{doc}"), &pia, None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(addr, "GET", "/v1/accounts", &pia, None).await.json(),
        json!([])
    );

    // The command line refuses bad input with a message and a failure code.
    let bad_role = admin_output(
        binary(),
        data,
        &[
            "create-user",
            "--org",
            &org,
            "--name",
            "x",
            "--email",
            "x@y",
            "--role",
            "boss",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("role"));
    let no_org = admin_output(
        binary(),
        data,
        &["create-account", "--org", "nowhere", "--name", "x"],
    );
    assert!(!no_org.status.success());
    assert!(
        String::from_utf8_lossy(&no_org.stderr).contains("no such organisation"),
        "{no_org:?}"
    );
}

/// Issues another token for `user` and returns its id (the admin API shows ids, never secrets
/// of existing tokens).
async fn token_id_of(root: &str, addr: SocketAddr, user: &str) -> String {
    call(
        addr,
        "POST",
        "/v1/admin/tokens",
        root,
        Some(json!({"user": user})),
    )
    .await
    .json()["id"]
        .as_str()
        .expect("id")
        .to_owned()
}
