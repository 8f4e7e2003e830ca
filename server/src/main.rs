//! `enlace-server serve --data DIR --listen ADDR --insecure-open`: see [`enlace_server::cli`].

fn main() -> std::process::ExitCode {
    enlace_server::cli::main()
}
