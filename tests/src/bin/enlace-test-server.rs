//! The enlace-server binary, built by this crate so that crash tests can run and kill it.

fn main() -> std::process::ExitCode {
    enlace_server::cli::main()
}
