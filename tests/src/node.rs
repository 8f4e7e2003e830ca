//! Running the stock automerge-repo JS clients of `tests/js` with Node.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The npm project with the pinned automerge-repo packages and the scenario scripts.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}

static INSTALL: Mutex<()> = Mutex::new(());

/// Makes sure `tests/js/node_modules` exists, installing exactly the lockfile's versions when it
/// does not (`npm ci` of npm 11 rejects this lockfile over optional native packages, so
/// `npm install --no-save`). Panics with npm's output if that fails: these tests must not pass
/// silently without the real client.
pub fn ensure_node_modules() -> PathBuf {
    let dir = js_dir();
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // One marker per direct dependency: a `node_modules` installed before a dependency was
    // added to the lockfile is brought up to date.
    let markers = [
        dir.join("node_modules/@automerge/automerge-repo-network-websocket/package.json"),
        dir.join("node_modules/tus-js-client/package.json"),
    ];
    if !markers.iter().all(|m| m.exists()) {
        let output = Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("run npm (Node 20 and npm must be installed for the interop tests)");
        assert!(
            output.status.success() && markers.iter().all(|m| m.exists()),
            "npm install failed in {}:\n{}\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    dir
}

/// `node <script> [args]` in `tests/js`, ready to spawn, with piped stdio.
pub fn script(script: &str, args: &[&str]) -> tokio::process::Command {
    let dir = ensure_node_modules();
    let mut command = tokio::process::Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// `node scenarios.mjs <url> <scenario> [args]`, ready to spawn, with piped stdio.
pub fn scenario(url: &str, name: &str, args: &[&str]) -> tokio::process::Command {
    let dir = ensure_node_modules();
    let mut command = tokio::process::Command::new("node");
    command
        .arg("scenarios.mjs")
        .arg(url)
        .arg(name)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}
