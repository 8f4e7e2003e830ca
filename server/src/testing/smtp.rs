//! Test support (feature `testing`, never in a shipped build). The test side of
//! `tests/smtp/sink.py`: a real SMTP server (Python's aiosmtpd) on a loopback
//! port, whose received messages the tests read back as Python decoded them. A second,
//! independent MIME implementation is the point: what it decodes is what a mail client shows.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How long a test waits for something that should happen within a second or two.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One message as the sink received and decoded it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub date: Option<String>,
    pub content_type: String,
    pub text: Option<String>,
    pub html: Option<String>,
    /// The bytes on the wire were 7-bit (headers and bodies encoded).
    pub raw_ascii: bool,
}

/// A running sink; killed when dropped.
#[derive(Debug)]
pub struct Sink {
    child: Child,
    /// Held open: the sink exits when it closes.
    _stdin: Option<ChildStdin>,
    out: tempfile::TempDir,
    pub port: u16,
}

impl Sink {
    /// Starts the sink on 127.0.0.1:`port` (0: any free port) and waits until it listens.
    pub fn start(port: u16) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/smtp/sink.py");
        let out = tempfile::tempdir().expect("sink directory");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--port", &port.to_string(), "--lifetime", "120", "--out"])
            .arg(out.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP sink");
        let stdin = child.stdin.take();
        let mut line = String::new();
        let stdout = child.stdout.take().expect("sink stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sink output");
        let listening = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok());
        let Some(port) = listening else {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "the SMTP sink did not start (said {line:?}, exited {status:?}); it needs \
                 aiosmtpd: `python3 -m pip install aiosmtpd` (scripts/test does it)"
            );
        };
        Sink {
            child,
            _stdin: stdin,
            out,
            port,
        }
    }

    /// The URL the worker sends to.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order received.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.out.path())
            .expect("sink directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("message file");
                serde_json::from_str(&text).expect("message json")
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived, then returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived within {PATIENCE:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
