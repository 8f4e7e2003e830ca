//! `/metrics` can be closed: behind a token of its own (which a user's API token is not), and
//! on a listen address of its own, with nothing at `/metrics` on the main listener. By default
//! it stays open, as before.

use std::net::SocketAddr;
use std::path::Path;

use enlace_server::MetricsToken;
use enlace_tests::PATIENCE;
use enlace_tests::fixture;
use enlace_tests::http::request;
use enlace_tests::process::ServerProcess;
use enlace_tests::server::TestServer;

const METRICS_TOKEN: &str = "scrape-0123456789abcdef";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

async fn get(addr: SocketAddr, path: &str, bearer: Option<&str>) -> (u16, String) {
    let answer = request(addr, "GET", path, bearer, None)
        .await
        .expect("http");
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_token_and_nothing_else_opens_metrics() {
    let dir = tempfile::tempdir().expect("dir");
    let agency = fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |config| {
        config.metrics.token = Some(METRICS_TOKEN.parse::<MetricsToken>().expect("token"));
    })
    .await;
    let addr = server.addr;
    assert_eq!(get(addr, "/metrics", None).await.0, 401, "no token");
    assert_eq!(
        get(addr, "/metrics", Some("scrape-0123456789abcdeX"))
            .await
            .0,
        401,
        "a wrong token"
    );
    for user in ["admin", "mgmt", "jr"] {
        assert_eq!(
            get(addr, "/metrics", Some(agency.token(user))).await.0,
            401,
            "{user}'s API token"
        );
    }
    let (status, body) = get(addr, "/metrics", Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200);
    assert!(body.contains("enlace_errors_total"), "{body}");
    assert_eq!(
        get(addr, "/healthz", None).await.0,
        200,
        "health stays open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_address_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    fixture::seed(dir.path());
    let server = ServerProcess::spawn_authenticated(
        binary(),
        dir.path(),
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--metrics-token",
            METRICS_TOKEN,
        ],
        PATIENCE,
    );
    let metrics = server.logged_addr("metrics listening", PATIENCE).await;
    assert_ne!(metrics, server.addr);
    assert_eq!(
        get(server.addr, "/metrics", Some(METRICS_TOKEN)).await.0,
        404,
        "nothing at /metrics on the main listener"
    );
    assert_eq!(get(server.addr, "/healthz", None).await.0, 200);
    assert_eq!(get(metrics, "/metrics", None).await.0, 401);
    let (status, body) = get(metrics, "/metrics", Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200);
    assert!(body.contains("enlace_errors_total"), "{body}");
    assert_eq!(
        get(metrics, "/healthz", None).await.0,
        404,
        "only /metrics on the metrics listener"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_metrics_stay_open_on_the_main_listener() {
    let dir = tempfile::tempdir().expect("dir");
    fixture::seed(dir.path());
    let server = TestServer::start_authenticated(dir.path(), |_| {}).await;
    let (status, body) = get(server.addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("enlace_errors_total"), "{body}");
}
