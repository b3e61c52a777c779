//! The `ccproxy` binary: parse the command line and hand over to [`ccproxy::commands`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    match ccproxy::cli::Cli::try_parse() {
        Ok(cli) => ccproxy::commands::run(cli),
        Err(error) => ccproxy::commands::parse_failed(&error),
    }
}
