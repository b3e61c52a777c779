//! The `ccproxy` binary: parse the command line and hand over to [`ccproxy::commands`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    ccproxy::commands::run(ccproxy::cli::Cli::parse())
}
