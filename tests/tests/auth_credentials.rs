//! Credentials on the upgrade and the API: missing, garbage, expired and revoked tokens get 401
//! before any document work; tickets work only for the upgrade, expire, and die with their
//! token; a token cannot join under another user's peer id; revoking a token closes its open
//! sockets; failed attempts per address and sockets per user are bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use enlace_core::ids::DocumentId;
use enlace_core::wire::Message;
use enlace_server::CLOSE_CREDENTIALS_REVOKED;
use enlace_server::directory::{Directory, OrgId, UserId};
use enlace_tests::fixture::{self, Agency};
use enlace_tests::http::{HttpResponse, request};
use enlace_tests::raw::{self, RawSocket};
use enlace_tests::server::TestServer;
use enlace_tests::{PATIENCE, TimedOut};

async fn started(adjust: impl FnOnce(&mut enlace_server::ServerConfig)) -> (TestServer, Agency) {
    let dir = tempfile::tempdir().expect("dir").keep();
    let agency = fixture::seed(&dir);
    let server = TestServer::start_authenticated(&dir, adjust).await;
    (server, agency)
}

async fn call(addr: SocketAddr, method: &str, path: &str, bearer: Option<&str>) -> HttpResponse {
    request(addr, method, path, bearer, None)
        .await
        .expect("http request")
}

async fn ticket(addr: SocketAddr, token: &str) -> (String, i64) {
    let answer = call(addr, "POST", "/v1/tickets", Some(token)).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let body = answer.json();
    (
        body["ticket"].as_str().expect("ticket").to_owned(),
        body["expires_at_ms"].as_i64().expect("expiry"),
    )
}

/// Revokes `user`'s token through the admin API.
async fn revoke(server: &TestServer, agency: &Agency, user: &str) {
    let path = format!("/v1/admin/tokens/{}", agency.token_id(user));
    let answer = call(server.addr, "DELETE", &path, Some(agency.token("admin"))).await;
    assert_eq!(answer.status, 204, "{answer:?}");
}

/// Joins as `peer` and returns the server's first answer.
async fn join(socket: &mut RawSocket, peer: &str) -> Option<Message> {
    raw::send_binary(socket, raw::join_frame(peer)).await;
    tokio::time::timeout(PATIENCE, raw::next_message(socket))
        .await
        .expect("an answer to join")
}

fn now_ms() -> i64 {
    enlace_server::directory::now_ms()
}

/// Waits until the wall clock passes `ms` (the condition itself is time).
async fn until_past(ms: i64) {
    while now_ms() <= ms {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_garbage_expired_and_revoked_tokens_get_401_before_the_upgrade() {
    let (server, agency) = started(|_| {}).await;
    let url = server.url();
    assert_eq!(raw::try_connect(&url, None).await.err(), Some(Some(401)));
    for garbage in ["", "enl_nope", "Bearer", &"x".repeat(5000), "t1.a.1.b"] {
        assert_eq!(
            raw::try_connect(&url, Some(garbage)).await.err(),
            Some(Some(401)),
            "{garbage:?}"
        );
    }
    // A 401 carries no document data: only the fixed error body.
    let refused = call(server.addr, "GET", "/v1/sync", Some("enl_nope")).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    assert_eq!(refused.json()["error"], "unauthorized");

    // Expired: a one-second token, used after its expiry.
    let short = {
        let d = Directory::open_in(&server.data_dir).expect("directory");
        let user: UserId = "jr".parse().expect("id");
        let org: OrgId = "andes".parse().expect("id");
        d.issue_token(&org, &user, Duration::from_secs(1), "short")
            .expect("token")
    };
    until_past(short.expires_at_ms).await;
    assert_eq!(
        raw::try_connect(&url, Some(&short.token)).await.err(),
        Some(Some(401)),
        "expired token"
    );

    // Revoked through the admin API: refused at once.
    let jr = agency.token("jr");
    assert!(raw::try_connect(&url, Some(jr)).await.is_ok());
    revoke(&server, &agency, "jr").await;
    assert_eq!(
        raw::try_connect(&url, Some(jr)).await.err(),
        Some(Some(401)),
        "revoked token"
    );
    assert_eq!(
        call(server.addr, "GET", "/v1/me", Some(jr)).await.status,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_opens_the_upgrade_and_nothing_else() {
    let (server, agency) = started(|_| {}).await;
    let (ticket, expires) = ticket(server.addr, agency.token("jr")).await;
    assert!(expires > now_ms() && expires <= now_ms() + 300_000);

    // The upgrade with the ticket works, twice (the stock client reconnects with one URL).
    for _ in 0..2 {
        let mut socket = raw::try_connect(&server.ticket_url(&ticket), None)
            .await
            .expect("ticket upgrade");
        assert!(matches!(
            join(&mut socket, "browser-1").await,
            Some(Message::Peer { .. })
        ));
    }
    // As a bearer token on the upgrade, it is nothing.
    assert_eq!(
        raw::try_connect(&server.url(), Some(&ticket)).await.err(),
        Some(Some(401))
    );
    // On every other route, in the header or in the query, it is refused.
    let doc = DocumentId::new_random();
    let routes = [
        ("POST", "/v1/tickets".to_owned()),
        ("GET", "/v1/me".to_owned()),
        ("GET", "/v1/accounts".to_owned()),
        ("GET", "/v1/accounts/acme/team".to_owned()),
        ("GET", "/v1/people".to_owned()),
        ("GET", format!("/v1/documents/{doc}")),
        ("GET", "/v1/admin/users".to_owned()),
    ];
    let query_ticket = raw::ticket_query(&ticket);
    for (method, path) in &routes {
        let as_bearer = call(server.addr, method, path, Some(&ticket)).await;
        assert_eq!(
            as_bearer.status, 401,
            "{method} {path} with the ticket as bearer"
        );
        let in_query = call(server.addr, method, &format!("{path}?{query_ticket}"), None).await;
        assert_eq!(in_query.status, 401, "{method} {path}?ticket=");
    }
    // The bearer token itself is refused in the query: only tickets go there.
    let token_in_query = raw::try_connect(
        &format!("{}?{}", server.url(), raw::ticket_query(agency.token("jr"))),
        None,
    )
    .await;
    assert_eq!(token_in_query.err(), Some(Some(401)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tickets_and_tickets_of_revoked_tokens_are_refused() {
    let (server, agency) = started(|config| {
        config.auth.ticket_ttl = Duration::from_secs(1);
    })
    .await;
    let (short, expires) = ticket(server.addr, agency.token("jr")).await;
    assert!(
        raw::try_connect(&server.ticket_url(&short), None)
            .await
            .is_ok()
    );
    until_past(expires).await;
    assert_eq!(
        raw::try_connect(&server.ticket_url(&short), None)
            .await
            .err(),
        Some(Some(401)),
        "expired ticket"
    );

    let (fresh, _) = ticket(server.addr, agency.token("ae")).await;
    let mut open = raw::try_connect(&server.ticket_url(&fresh), None)
        .await
        .expect("ticket upgrade");
    assert!(matches!(
        join(&mut open, "browser-ae").await,
        Some(Message::Peer { .. })
    ));
    revoke(&server, &agency, "ae").await;
    assert_eq!(
        raw::try_connect(&server.ticket_url(&fresh), None)
            .await
            .err(),
        Some(Some(401)),
        "ticket of a revoked token"
    );
    // And the socket it opened is closed.
    let code = tokio::time::timeout(PATIENCE, raw::close_code(&mut open))
        .await
        .expect("closed");
    assert_eq!(code, Some(CLOSE_CREDENTIALS_REVOKED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_cannot_join_under_another_users_peer_id() {
    let (server, agency) = started(|_| {}).await;
    let mut ana = raw::connect_bearer(&server.url(), agency.token("jr")).await;
    assert!(matches!(
        join(&mut ana, "phone-ana").await,
        Some(Message::Peer { .. })
    ));

    let mut mallory = raw::connect_bearer(&server.url(), agency.token("outsider")).await;
    match join(&mut mallory, "phone-ana").await {
        Some(Message::Error { message }) => assert!(message.contains("another user"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
    let code = tokio::time::timeout(PATIENCE, raw::close_code(&mut mallory))
        .await
        .expect("closed");
    assert_eq!(code, Some(1008));

    // Ana's socket is untouched: it still answers her requests.
    let doc = DocumentId::new_random();
    raw::send_binary(&mut ana, raw::request_frame("phone-ana", doc)).await;
    let answer = tokio::time::timeout(PATIENCE, raw::next_message(&mut ana))
        .await
        .expect("answer");
    assert!(
        matches!(answer, Some(Message::DocUnavailable { document_id, .. }) if document_id == doc),
        "{answer:?}"
    );
    // The same user may come back under her own peer id on a second socket.
    let mut again = raw::connect_bearer(&server.url(), agency.token("jr")).await;
    assert!(matches!(
        join(&mut again, "phone-ana").await,
        Some(Message::Peer { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_closes_its_open_sockets_only() {
    let (server, agency) = started(|_| {}).await;
    let mut jr = raw::connect_bearer(&server.url(), agency.token("jr")).await;
    assert!(matches!(
        join(&mut jr, "phone-jr").await,
        Some(Message::Peer { .. })
    ));
    let mut mate = raw::connect_bearer(&server.url(), agency.token("mate")).await;
    assert!(matches!(
        join(&mut mate, "phone-mate").await,
        Some(Message::Peer { .. })
    ));
    revoke(&server, &agency, "jr").await;
    let code = tokio::time::timeout(PATIENCE, raw::close_code(&mut jr))
        .await
        .expect("closed");
    assert_eq!(code, Some(CLOSE_CREDENTIALS_REVOKED));
    let doc = DocumentId::new_random();
    raw::send_binary(&mut mate, raw::request_frame("phone-mate", doc)).await;
    let answer = tokio::time::timeout(PATIENCE, raw::next_message(&mut mate))
        .await
        .expect("mate still served");
    assert!(
        matches!(answer, Some(Message::DocUnavailable { .. })),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_keeps_failing_gets_429_even_with_a_good_token() {
    let (server, agency) = started(|config| {
        config.auth.failures_per_minute = 5;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            raw::try_connect(&server.url(), Some("enl_guess"))
                .await
                .err(),
            Some(Some(401))
        );
    }
    assert_eq!(
        raw::try_connect(&server.url(), Some(agency.token("jr")))
            .await
            .err(),
        Some(Some(429))
    );
    let api = call(server.addr, "GET", "/v1/me", Some(agency.token("jr"))).await;
    assert_eq!(api.status, 429);
    // Health and metrics stay reachable.
    assert_eq!(call(server.addr, "GET", "/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_user_are_bounded_and_given_back() {
    let (server, agency) = started(|config| {
        config.auth.max_connections_per_user = 2;
    })
    .await;
    let token = agency.token("jr");
    let mut first = raw::connect_bearer(&server.url(), token).await;
    let _second = raw::connect_bearer(&server.url(), token).await;
    assert_eq!(
        raw::try_connect(&server.url(), Some(token)).await.err(),
        Some(Some(429))
    );
    // Another user is not affected.
    assert!(
        raw::try_connect(&server.url(), Some(agency.token("ae")))
            .await
            .is_ok()
    );
    // Closing one gives its slot back (once the server has seen the close).
    first.close(None).await.expect("close");
    let deadline = Instant::now() + PATIENCE;
    loop {
        if raw::try_connect(&server.url(), Some(token)).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            TimedOut(PATIENCE, "a slot to free up")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
