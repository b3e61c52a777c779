//! One module per subcommand, the helpers they share (the background server's files,
//! process checks, HTTP probes), and the exit codes in one place.

mod code;
mod config_cmd;
mod files;
mod import_ccr;
mod instance;
mod keys;
mod model_env;
mod probe;
mod process;
mod serve;
mod shell_env;
mod start;
mod status;
mod statusline;
mod stop;
mod wiring;

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command, ConfigCommand, KeysCommand, ServerArgs};
use crate::config::Overrides;

/// Exit codes of every command.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FAILURE: u8 = 1;
    /// A bad command line (unknown command, bad value).
    pub const USAGE: u8 = 2;
    /// `status`: the proxy is not running (the LSB convention).
    pub const NOT_RUNNING: u8 = 3;
}

pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Serve(args) => serve::run(&args),
        Command::Start(args) => start::run(&args),
        Command::Stop(args) => stop::run(&args),
        Command::Restart(args) => stop::restart(&args),
        Command::Status(args) => status::run(&args),
        Command::Code(args) => code::run(&args),
        Command::Env(args) => shell_env::run(&args),
        Command::Config(ConfigCommand::Check(args)) => config_cmd::check(&args),
        Command::Config(ConfigCommand::Show(args)) => config_cmd::show(&args),
        Command::Config(ConfigCommand::Init(args)) => config_cmd::init(&args),
        Command::Config(ConfigCommand::ImportCcr(args)) => import_ccr::run(&args),
        Command::Keys(KeysCommand::Create(args)) => keys::create(&args),
        Command::Keys(KeysCommand::List(args)) => keys::list(&args),
        Command::Keys(KeysCommand::Revoke(args)) => keys::revoke(&args),
        Command::Statusline(args) => statusline::run(&args),
        Command::Version => {
            say(&format!("ccproxy {}", env!("CARGO_PKG_VERSION")));
            exit::SUCCESS
        }
    };
    ExitCode::from(code)
}

/// A command line clap refused, or `--help`/`--version`: print clap's text, exit 2 for
/// errors and 0 for help and version.
pub fn parse_failed(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    ExitCode::from(if error.use_stderr() {
        exit::USAGE
    } else {
        exit::SUCCESS
    })
}

/// A command's result as its exit code: an error is said on stderr, then exit 1.
pub(crate) fn conclude(result: anyhow::Result<u8>) -> u8 {
    result.unwrap_or_else(|error| {
        complain(&format!("ccproxy: {error:#}"));
        exit::FAILURE
    })
}

/// The configuration overrides the server flags ask for.
pub(crate) fn overrides(args: &ServerArgs) -> Overrides {
    Overrides {
        config_path: args.config.clone(),
        host: args.host.clone(),
        port: args.port,
    }
}

/// A line for the user on stdout.
#[expect(
    clippy::disallowed_methods,
    reason = "the CLI layer's one way of writing to stdout"
)]
pub(crate) fn say(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// A line for the user on stderr (errors, and what to do about them).
#[expect(
    clippy::disallowed_methods,
    reason = "the CLI layer's one way of writing to stderr"
)]
pub(crate) fn complain(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
