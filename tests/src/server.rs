//! An enlace-server running inside the test process, on a free loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use enlace_server::{AccessMode, ServerConfig, ServerError};
use tokio::sync::oneshot;

/// A running in-process server. Stop it with [`TestServer::stop`]; dropping it stops it too
/// (without waiting).
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts an open server with default limits in a fresh temporary directory.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts an open server in a fresh temporary directory, after `adjust` edits its config.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = Self::start_in(dir.path(), adjust).await;
        server._dir = Some(dir);
        server
    }

    /// Starts an open server on `data_dir`.
    pub async fn start_in(data_dir: &Path, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::launch(data_dir, AccessMode::InsecureOpen, adjust).await
    }

    /// Starts a server that authenticates every connection against the directory in
    /// `data_dir` (set it up first with [`crate::process::admin`]), after `adjust` edits its
    /// config.
    pub async fn start_authenticated(
        data_dir: &Path,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        Self::launch(data_dir, AccessMode::Authenticated, adjust).await
    }

    /// [`start_authenticated`](Self::start_authenticated) in a fresh temporary directory (its
    /// directory is then empty: add people with the admin commands on
    /// [`data_dir`](Self::data_dir) while it runs).
    pub async fn start_authenticated_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = Self::start_authenticated(dir.path(), adjust).await;
        server._dir = Some(dir);
        server
    }

    async fn launch(
        data_dir: &Path,
        access: AccessMode,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let mut config = ServerConfig::new(data_dir, access);
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(enlace_server::run(listener, config, async move {
            let _ = stopped.await;
        }));
        wait_until_ready(addr, &task).await;
        TestServer {
            addr,
            data_dir: data_dir.to_owned(),
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// The sync websocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }

    /// The sync websocket URL, for native clients that authenticate with a bearer token (the
    /// same as [`url`](Self::url); the name says which kind of test uses it).
    pub fn ws_url(&self) -> String {
        self.url()
    }

    /// The sync URL a browser uses: `ws://ADDR/v1/sync?ticket=TICKET`.
    pub fn ticket_url(&self, ticket: &str) -> String {
        crate::ticket_url(self.addr, ticket)
    }

    /// An HTTP URL on this server.
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Triggers graceful shutdown and waits for `run` to return.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A plain HTTP/1.1 GET over loopback; returns (status, body). Enough for health and metrics.
pub async fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Waits until the server answers `/readyz` (it opens its databases after the port is bound):
/// a test that then runs `enlace-server admin` on the same data directory, or calls the API,
/// must not race the server's start. Returns early if the server task ended (the test then
/// fails on its own, with the server's error).
async fn wait_until_ready<T>(addr: SocketAddr, task: &tokio::task::JoinHandle<T>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline && !task.is_finished() {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            let asked = stream
                .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut answer = Vec::new();
            if asked.is_ok()
                && stream.read_to_end(&mut answer).await.is_ok()
                && answer.starts_with(b"HTTP/1.1 200")
            {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
