//! enlace-server as a child process (for kill -9 crash tests and the command-line behaviour).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use tokio::sync::watch;

use crate::TimedOut;

/// Most bytes of a server's log kept for [`ServerProcess::log`]; past it the rest is drained
/// unread, so a long run cannot fill the test's memory.
const MAX_CAPTURED_LOG: usize = 16 * 1024 * 1024;

/// A server child process. Killed when dropped. Set `ENLACE_TEST_SERVER_LOG=1` to see its log.
#[derive(Debug)]
pub struct ServerProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    /// Its stderr (the log), byte for byte, up to [`MAX_CAPTURED_LOG`].
    log: Arc<Mutex<Vec<u8>>>,
    /// The number of lines read so far, to wait on.
    lines: watch::Receiver<u64>,
}

impl ServerProcess {
    /// Runs `binary serve --insecure-open --data DIR --listen 127.0.0.1:0` and waits (at most
    /// `patience`) for it to log the address it listens on.
    pub fn spawn(binary: &Path, data_dir: &Path, patience: Duration) -> ServerProcess {
        Self::spawn_with(binary, data_dir, &[], patience)
    }

    /// [`spawn`](Self::spawn) with extra flags.
    pub fn spawn_with(
        binary: &Path,
        data_dir: &Path,
        extra: &[&str],
        patience: Duration,
    ) -> ServerProcess {
        Self::launch(binary, data_dir, "127.0.0.1:0", true, extra, patience)
    }

    /// Runs `binary serve --data DIR --listen 127.0.0.1:0 <extra...>` WITHOUT
    /// `--insecure-open`, so the server authenticates every connection against the directory
    /// of `data_dir` (set up with [`admin`]), and waits for its address like
    /// [`spawn`](Self::spawn).
    pub fn spawn_authenticated(
        binary: &Path,
        data_dir: &Path,
        extra: &[&str],
        patience: Duration,
    ) -> ServerProcess {
        Self::launch(binary, data_dir, "127.0.0.1:0", false, extra, patience)
    }

    /// [`spawn`](Self::spawn) on a given address (to restart a server where its clients
    /// reconnect).
    pub fn spawn_on(
        binary: &Path,
        data_dir: &Path,
        listen: &str,
        patience: Duration,
    ) -> ServerProcess {
        Self::launch(binary, data_dir, listen, true, &[], patience)
    }

    /// [`spawn_authenticated`](Self::spawn_authenticated) on a given address (to restart a
    /// server where its clients reconnect).
    pub fn spawn_authenticated_on(
        binary: &Path,
        data_dir: &Path,
        listen: &str,
        extra: &[&str],
        patience: Duration,
    ) -> ServerProcess {
        Self::launch(binary, data_dir, listen, false, extra, patience)
    }

    fn launch(
        binary: &Path,
        data_dir: &Path,
        listen: &str,
        insecure_open: bool,
        extra: &[&str],
        patience: Duration,
    ) -> ServerProcess {
        let access: &[&str] = if insecure_open {
            &["--insecure-open"]
        } else {
            &[]
        };
        let mut child = Command::new(binary)
            .arg("serve")
            .args(access)
            .args(["--listen", listen, "--data"])
            .arg(data_dir)
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("ENLACE_TEST_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        let echo = std::env::var_os("ENLACE_TEST_SERVER_LOG").is_some();
        let log = Arc::new(Mutex::new(Vec::new()));
        let captured = log.clone();
        let (lines_tx, lines) = watch::channel(0u64);
        std::thread::spawn(move || {
            let mut sent = false;
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            // Raw bytes, not `lines()`: the log tests look for bytes that are not text, and a
            // line that is not UTF-8 must not stop the draining.
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(&line);
                if echo {
                    eprint!("[server] {text}");
                }
                if !sent && let Some(addr) = listening_addr(&text) {
                    let _ = tx.send(addr);
                    sent = true;
                }
                let mut log = captured.lock().unwrap_or_else(PoisonError::into_inner);
                if log.len() + line.len() <= MAX_CAPTURED_LOG {
                    log.extend_from_slice(&line);
                }
                drop(log);
                lines_tx.send_modify(|n| *n += 1);
                // Keep draining so the child never blocks on a full pipe.
                line.clear();
            }
        });
        let addr = rx
            .recv_timeout(patience)
            .expect("server did not report its address in time");
        ServerProcess {
            addr,
            child,
            log,
            lines,
        }
    }

    /// Everything the server has logged so far (its stderr), byte for byte.
    pub fn log(&self) -> Vec<u8> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The `addr=` of the first log line that says `message` (such as "metrics listening"),
    /// waiting for it at most `patience`.
    pub async fn logged_addr(&self, message: &'static str, patience: Duration) -> SocketAddr {
        let find = |log: &[u8]| {
            String::from_utf8_lossy(log)
                .lines()
                .find_map(|line| logged_addr(line, message))
        };
        let log = self
            .wait_log(message, patience, |log| find(log).is_some())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        find(&log).unwrap_or_else(|| panic!("no address logged with {message:?}"))
    }

    /// Waits (at most `patience`) until the log satisfies `done`; returns the log then.
    pub async fn wait_log(
        &self,
        what: &'static str,
        patience: Duration,
        mut done: impl FnMut(&[u8]) -> bool,
    ) -> Result<Vec<u8>, TimedOut> {
        let mut lines = self.lines.clone();
        let wait = async {
            loop {
                lines.borrow_and_update();
                let log = self.log();
                if done(&log) {
                    return Some(log);
                }
                // A closed channel: the server exited, and its log will not change any more.
                lines.changed().await.ok()?;
            }
        };
        match tokio::time::timeout(patience, wait).await {
            Ok(Some(log)) => Ok(log),
            _ => Err(TimedOut(patience, what)),
        }
    }

    /// The sync websocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }

    /// The sync URL a browser uses: `ws://ADDR/v1/sync?ticket=TICKET`.
    pub fn ticket_url(&self, ticket: &str) -> String {
        crate::ticket_url(self.addr, ticket)
    }

    /// SIGKILL, and reap.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Resident memory of the process in KiB (Linux `/proc`), if readable.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The process, to signal or wait on.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `binary admin --data DIR <args...>` (directory set-up: organisations, users, tokens,
/// teams) and returns the one JSON object it prints. Panics with its stderr if it fails or with
/// its stdout if that is not one JSON object, since a test cannot go on without its set-up.
pub fn admin(binary: &Path, data_dir: &Path, args: &[&str]) -> serde_json::Value {
    let output = admin_output(binary, data_dir, args);
    assert!(
        output.status.success(),
        "`admin {}` failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str::<serde_json::Value>(stdout.trim()) {
        Ok(value) if value.is_object() => value,
        _ => panic!(
            "`admin {}` did not print one JSON object: {stdout:?} (stderr: {})",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Runs `binary admin --data DIR <args...>` and returns whatever happened, for tests that expect
/// an admin command to fail (bad role word, unknown user, ...).
pub fn admin_output(binary: &Path, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(["admin", "--data"])
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the server binary's admin command")
}

/// The address in the server's "listening" log line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    logged_addr(line, "enlace-server listening")
}

/// The `addr=` of a log line that says `message`.
fn logged_addr(line: &str, message: &str) -> Option<SocketAddr> {
    if !line.contains(message) {
        return None;
    }
    let rest = &line[line.find("addr=")? + 5..];
    rest.split_whitespace().next()?.parse().ok()
}
