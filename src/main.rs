//! The `cleanse` binary: parse arguments, set up logging, hand over to the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Batches are allocated and freed by the thousand; mimalloc reuses their pages, where the
/// system allocator returned them to the kernel and had them zeroed again (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in the bundled v3 `mimalloc.h`; the Rust
/// bindings do not name it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Freed pages go back to the system after 100 ms rather than mimalloc's 1 s: the stages of a
    // run follow one another, and pages one stage freed were still held when the next peaked
    // (10M-row person table with whole-table rules: 945-958 MB against 1,030-1,088 MB, the same
    // CPU time; purging at once cost a fifth more CPU).
    // SAFETY: sets one option's value; mimalloc reads it at each purge, and nothing else runs yet.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    // SAFETY: `mi_collect` frees what the calling thread's heap no longer uses; it is safe on
    // any thread at any time.
    let _ = cleanse::run::RELEASE_MEMORY.set(|| unsafe { libmimalloc_sys::mi_collect(true) });
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
