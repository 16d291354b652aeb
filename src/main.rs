//! The `cleanse` binary: parse arguments, set up logging, hand over to the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Batches are allocated and freed by the thousand; mimalloc reuses their pages, where the
/// system allocator returned them to the kernel and had them zeroed again (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cleanse::cli::Cli::parse();
    // A run logs its progress; `check` and `test` report through their output (a test runs
    // many small runs, whose progress would drown the results).
    let default = if cli.quiet {
        "error"
    } else if cli.verbose {
        "cleanse=debug"
    } else if matches!(cli.command, cleanse::cli::Command::Run(_)) {
        "cleanse=info"
    } else {
        "cleanse=warn"
    };
    let filter = EnvFilter::try_from_env("CLEANSE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .init();
    std::process::exit(cleanse::cli::main(cli));
}
