//! One module per subcommand, and the exit codes in one place.

mod serve;

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Exit codes of every command.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FAILURE: u8 = 1;
}

pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Serve(args) => serve::run(&args),
        Command::Version => {
            say(&format!("ccproxy {}", env!("CARGO_PKG_VERSION")));
            exit::SUCCESS
        }
    };
    ExitCode::from(code)
}

/// A line for the user on stdout.
pub(crate) fn say(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// A line for the user on stderr (errors, and what to do about them).
pub(crate) fn complain(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
