//! enlace-bench: a lean load generator that speaks the automerge-repo websocket protocol to
//! enlace-server (with bearer tokens) or to the reference Node sync server (without).
//!
//! Each client is one websocket plus, per document, one `automerge::Automerge` and one
//! `automerge::sync::State`: no engine, no store, so the generator's own cost stays small. It
//! still costs CPU (applying a change is ~100-200 µs), so every result reports the generator's
//! CPU time, to tell a slow server from a saturated generator.
//!
//! Layout:
//! - [`cli`]: the subcommands and their options.
//! - [`conn`]: the only module with sockets: connect, `join`/`peer`, send and receive.
//! - [`replica`]: one document and its sync state; syncing until a condition holds.
//! - [`stats`]: percentiles, CPU time, the open-file limit.
//! - [`seed`]: an enlace directory with users and tokens.
//! - [`scenario`]: one file per scenario.
//!
//! ```sh
//! enlace-bench seed --data /tmp/b1 --users 50
//! enlace-server serve --data /tmp/b1 --listen 127.0.0.1:8080 --max-connections-per-user 100000 &
//! enlace-bench fanout --url ws://127.0.0.1:8080/v1/sync --tokens /tmp/b1/bench-tokens.txt \
//!     --docs 4 --clients 3 --rate 2 --secs 3
//! ```

mod cli;
mod conn;
mod error;
mod replica;
mod scenario;
mod seed;
mod stats;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use serde_json::{Value, json};

use crate::cli::{Cli, ClientOpts, Command};
use crate::conn::Target;
use crate::error::BenchError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(limit) = stats::raise_nofile_limit() {
        eprintln!("open-file limit: {limit}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            return fail(&BenchError::Io {
                what: "starting the runtime".into(),
                source,
            });
        }
    };
    let outcome = runtime.block_on(run(cli.command));
    // Do not wait for tasks still blocked on a socket or on stdin.
    runtime.shutdown_background();
    match outcome {
        Ok(Some(result)) => {
            emit(result);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn run(command: Command) -> Result<Option<Value>, BenchError> {
    let target = |opts: &ClientOpts| -> Result<Arc<Target>, BenchError> {
        if opts.connect_concurrency == 0 {
            return Err(BenchError::Usage(
                "--connect-concurrency must be at least 1".into(),
            ));
        }
        Ok(Arc::new(Target::new(
            &opts.url,
            opts.tokens.as_deref(),
            opts.patience(),
        )?))
    };
    match command {
        Command::Seed {
            data,
            users,
            account,
        } => seed::seed(&data, users, &account).map(Some),
        Command::Fanout {
            client,
            docs,
            clients,
            rate,
            secs,
        } => {
            let params = scenario::fanout::Params {
                docs,
                clients,
                rate,
                secs,
            };
            scenario::fanout::run(target(&client)?, &client, params)
                .await
                .map(Some)
        }
        Command::WriteStorm {
            client,
            clients,
            secs,
        } => scenario::write_storm::run(target(&client)?, &client, clients, secs)
            .await
            .map(Some),
        Command::ReconnectStorm {
            client,
            clients,
            docs,
            settle_secs,
            peer_ids,
        } => {
            let params = scenario::reconnect::Params {
                clients,
                docs,
                settle_secs,
                peer_ids,
            };
            scenario::reconnect::run(target(&client)?, &client, params)
                .await
                .map(Some)
        }
        Command::Idle {
            client,
            conns,
            hold_secs,
        } => {
            scenario::idle::run(target(&client)?, &client, conns, hold_secs).await?;
            Ok(None)
        }
        Command::LargeDoc { client, lines } => {
            scenario::large_doc::run(target(&client)?, &client, lines)
                .await
                .map(Some)
        }
    }
}

/// Prints a result as the last line of stdout, with the generator's CPU time added.
pub fn emit(mut result: Value) {
    if let Some(object) = result.as_object_mut() {
        object.insert(
            "generator_cpu_s".into(),
            json!(stats::round3(stats::cpu_seconds())),
        );
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{result}");
    let _ = out.flush();
}

fn fail(error: &BenchError) -> ExitCode {
    let text = error.chain();
    eprintln!("error: {text}");
    emit(json!({ "error": text }));
    ExitCode::FAILURE
}
