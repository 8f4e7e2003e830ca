//! The server binary run under limits the operating system enforces, with its log kept, for the
//! storage-fault tests:
//! - a largest file size (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so that a write past it fails
//!   with `EFBIG`): a full disk that fails at the same byte every run, unprivileged, without
//!   mounting anything;
//! - an unprivileged user (`setpriv`) when the tests run as root, whom file permissions do not
//!   stop: the only way a read-only data directory is read-only to root-run CI.
//!
//! The wrappers `exec` one another, so the child's pid is the server's and killing it kills the
//! server.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::TimedOut;

/// The user and group the server runs as when it must not be root (`nobody`).
pub const UNPRIVILEGED_ID: u32 = 65534;

/// What to impose on the server process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Largest file the process may write, in bytes.
    pub max_file_bytes: Option<u64>,
    /// Run as [`UNPRIVILEGED_ID`] if the tests run as root.
    pub unprivileged: bool,
}

/// Whether this process writes files as root (its effective user), found by creating one.
pub fn runs_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().expect("a temporary file to learn our uid");
    probe.as_file().metadata().expect("its metadata").uid() == 0
}

/// `binary args...` under `limits`.
pub fn command(binary: &Path, limits: Limits, args: &[&OsStr]) -> Command {
    let mut program: Vec<&OsStr> = Vec::new();
    let fsize;
    if let Some(bytes) = limits.max_file_bytes {
        fsize = format!("--fsize={bytes}:{bytes}");
        program.extend(["prlimit", fsize.as_str(), "--"].map(OsStr::new));
    }
    if limits.unprivileged && runs_as_root() {
        program.extend(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
            ]
            .map(OsStr::new),
        );
    }
    program.push(binary.as_os_str());
    program.extend_from_slice(args);
    // `trap '' XFSZ` makes the signal ignored, and ignored signals stay ignored across exec.
    let mut command = Command::new("sh");
    command
        .args(["-c", "trap '' XFSZ; exec \"$@\"", "sh"])
        .args(program);
    command
}

/// `serve --listen LISTEN --data DIR` (`--insecure-open` if `open`), as arguments.
pub fn serve_args<'a>(data_dir: &'a Path, listen: &'a str, open: bool) -> Vec<&'a OsStr> {
    let mut args: Vec<&OsStr> = vec![OsStr::new("serve")];
    if open {
        args.push(OsStr::new("--insecure-open"));
    }
    args.extend(["--listen", listen, "--data"].map(OsStr::new));
    args.push(data_dir.as_os_str());
    args
}

#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    /// The server's stderr reached its end: it exited (or closed stderr).
    ended: bool,
}

/// A server child whose stderr (its log, `RUST_LOG=info`) is kept. Killed when dropped. Set
/// `ENLACE_TEST_SERVER_LOG=1` to see the log as it comes.
#[derive(Debug)]
pub struct LoggedServer {
    child: Child,
    log: Arc<(Mutex<Log>, Condvar)>,
}

impl LoggedServer {
    /// Starts `command` (from [`command`]).
    pub fn start(mut command: Command) -> LoggedServer {
        let mut child = command
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server under limits (needs sh, prlimit and setpriv)");
        let stderr = child.stderr.take().expect("piped stderr");
        let log: Arc<(Mutex<Log>, Condvar)> = Arc::default();
        let echo = std::env::var_os("ENLACE_TEST_SERVER_LOG").is_some();
        let shared = log.clone();
        std::thread::spawn(move || {
            let (log, changed) = &*shared;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if echo {
                    eprintln!("[server] {line}");
                }
                lock(log).lines.push(line);
                changed.notify_all();
            }
            lock(log).ended = true;
            changed.notify_all();
        });
        LoggedServer { child, log }
    }

    /// Waits (at most `patience`) for a log line `matches` accepts and returns it.
    pub fn wait_for_line(
        &self,
        what: &'static str,
        patience: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, TimedOut> {
        let (log, changed) = &*self.log;
        let deadline = Instant::now() + patience;
        let mut guard = lock(log);
        loop {
            if let Some(line) = guard.lines.iter().find(|l| matches(l)) {
                return Ok(line.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if guard.ended || left.is_zero() {
                return Err(TimedOut(patience, what));
            }
            guard = changed
                .wait_timeout(guard, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits for the "listening" line and returns the address in it.
    pub fn wait_listening(&self, patience: Duration) -> Result<SocketAddr, TimedOut> {
        let line = self.wait_for_line("the server to listen", patience, |l| {
            l.contains("enlace-server listening")
        })?;
        line.split_whitespace()
            .find_map(|word| word.strip_prefix("addr=")?.parse().ok())
            .ok_or(TimedOut(patience, "an address in the listening line"))
    }

    /// Waits (at most `patience`) for the server to exit on its own; its status, or `None` if
    /// it is still running.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        // stderr ends when the process does: a positive signal, then `wait` is immediate.
        let _ = self.wait_for_line("the server to exit", patience, |_| false);
        if !lock(&self.log.0).ended {
            return None;
        }
        self.child.wait().ok()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        lock(&self.log.0).lines.clone()
    }

    /// SIGKILL, and reap.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}
