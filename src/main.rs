//! The `ccproxy` binary: parse the command line and hand over to [`ccproxy::commands`].

use clap::Parser;

/// mimalloc: a request allocates and frees many small buffers; glibc's malloc was a fifth
/// of the instructions per request (bench/callgrind.sh), mimalloc spends far fewer.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match ccproxy::cli::Cli::try_parse() {
        Ok(cli) => ccproxy::commands::run(cli),
        Err(error) => ccproxy::commands::parse_failed(&error),
    }
}
