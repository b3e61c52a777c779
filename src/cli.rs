//! The command line, declared with clap: parsing only, no behaviour.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ccproxy",
    version,
    about = "A local proxy that lets Claude Code and Anthropic SDK programs use other model providers",
    arg_required_else_help = true,
    after_help = "Daily use:\n  ccproxy code                     start the proxy if needed and run Claude Code through it\n  eval \"$(ccproxy env)\"            wire this shell's `claude` to the proxy\n\nQuick start:\n  PROVIDER=groq GROQ_API_KEY=gsk_... ccproxy start\n  ccproxy status\n  ccproxy code\n\nFiles: ~/.ccproxy/config.json (config), ccproxy-PORT.pid and ccproxy-PORT.log (each background server).\nExit codes: 0 ok, 1 failure, 2 usage error, 3 not running (status)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy in the foreground (Ctrl-C stops it)
    #[command(
        after_help = "Examples:\n  ccproxy serve\n  ccproxy serve --port 4000\n  ccproxy serve --config ./team.json"
    )]
    Serve(ServerArgs),
    /// Start the proxy in the background; returns once it answers
    #[command(
        after_help = "Examples:\n  ccproxy start\n  ccproxy start --port 4000\n  PROVIDER=openai OPENAI_API_KEY=sk-... ccproxy start\n\nEach port is its own instance: writes ~/.ccproxy/ccproxy-PORT.pid and logs to\n~/.ccproxy/ccproxy-PORT.log. Already running: says so and exits 0."
    )]
    Start(ServerArgs),
    /// Stop the background proxy (in-flight requests finish first, up to a limit)
    #[command(after_help = "Examples:\n  ccproxy stop\n  ccproxy stop --port 4000")]
    Stop(ServerArgs),
    /// Stop the proxy if it runs, then start it again (with the current configuration)
    #[command(after_help = "Examples:\n  ccproxy restart\n  ccproxy restart --port 4000")]
    Restart(ServerArgs),
    /// Is the proxy running? Exit 0 running, 3 not running, 1 error
    #[command(
        after_help = "Examples:\n  ccproxy status\n  ccproxy status --json | jq .uptime_seconds\n  ccproxy status >/dev/null && echo up"
    )]
    Status(StatusArgs),
    /// Start the proxy if needed, then run Claude Code through it
    #[command(
        after_help = "Examples:\n  ccproxy code\n  ccproxy code -p \"explain this repo\"\n  ccproxy code --model groq,openai/gpt-oss-20b\n  ccproxy code -- --help           (Claude Code's own help)\n  CLAUDE_PATH=~/bin/claude ccproxy code\n\nEvery argument after ccproxy's own --port goes to `claude` ($CLAUDE_PATH if set) untouched; its exit code is returned.\nClaude Code gets ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN for the proxy; your own\nANTHROPIC_API_KEY is hidden from it. Your Claude Code settings files are not changed."
    )]
    Code(CodeArgs),
    /// Print shell commands that wire `claude` in this shell to the proxy
    #[command(
        after_help = "Examples:\n  eval \"$(ccproxy env)\"             bash, zsh\n  ccproxy env --shell fish | source  fish"
    )]
    Env(EnvArgs),
    /// Check, show, create or import the configuration
    #[command(
        subcommand,
        after_help = "Examples:\n  ccproxy config check\n  ccproxy config show\n  ccproxy config init\n  ccproxy config import-ccr"
    )]
    Config(ConfigCommand),
    /// Developer keys for team mode (through the running proxy's admin API)
    #[command(
        subcommand,
        after_help = "Examples:\n  ccproxy keys create alice --group ml --rpm 30 --tpm 200000\n  ccproxy keys list\n  ccproxy keys revoke alice\n\nTalks to the running proxy with CCPROXY_API_KEY (the admin key). The first key turns\nteam mode on: /v1/messages then requires a developer key."
    )]
    Keys(KeysCommand),
    /// One status line for Claude Code: the session's route and model, and proxy health
    #[command(
        after_help = "Reads the JSON Claude Code passes on stdin. In ~/.claude/settings.json:\n  \"statusLine\": {\"type\": \"command\", \"command\": \"ccproxy statusline\"}\n\nExample:\n  echo '{\"session_id\":\"abc\"}' | ccproxy statusline"
    )]
    Statusline(ServerArgs),
    /// Print the version
    #[command(after_help = "Examples:\n  ccproxy version\n  ccproxy --version")]
    Version,
}

/// Where the server listens and which config it reads; flags win over the environment.
#[derive(Debug, Clone, Args, Default)]
pub struct ServerArgs {
    /// Config file (default: $CCPROXY_CONFIG, else ~/.ccproxy/config.json if it exists)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (default: $CCPROXY_HOST, else 127.0.0.1)
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (default: $CCPROXY_PORT, else 3456)
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print the server's /status answer as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CodeArgs {
    /// The proxy instance to use (or start): the one on this port (default: the only one
    /// running, else $CCPROXY_PORT, else 3456). Must come before Claude Code's arguments
    #[arg(long)]
    pub port: Option<u16>,
    /// Arguments for Claude Code, passed through untouched
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CLAUDE ARGS"
    )]
    pub args: Vec<OsString>,
}

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The shell to print commands for
    #[arg(long, value_enum, default_value_t = Shell::Posix)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// sh, bash, zsh
    #[value(alias = "bash", alias = "zsh", alias = "sh")]
    Posix,
    Fish,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a developer key and print it (shown this once)
    Create(KeyCreateArgs),
    /// List the developer keys with their limits and usage (never the keys)
    List(KeysListArgs),
    /// Revoke a developer key: refused on every replica within a second
    Revoke(KeyNameArgs),
}

#[derive(Debug, Clone, Args)]
pub struct KeyCreateArgs {
    /// The developer's name (letters, digits, '.', '_', '-')
    pub name: String,
    /// A group, for group spend limits
    #[arg(long)]
    pub group: Option<String>,
    /// Requests per minute (default: no limit)
    #[arg(long)]
    pub rpm: Option<u64>,
    /// Tokens per minute, input plus output (default: no limit)
    #[arg(long)]
    pub tpm: Option<u64>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KeysListArgs {
    /// Print the server's answer as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KeyNameArgs {
    pub name: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration; print every problem with its path (exit 1 if invalid)
    #[command(
        after_help = "Examples:\n  ccproxy config check\n  ccproxy config check --config ./team.json"
    )]
    Check(ServerArgs),
    /// Print the effective configuration (file, environment and flags), keys masked
    #[command(
        after_help = "Examples:\n  ccproxy config show\n  PROVIDER=openai ccproxy config show"
    )]
    Show(ServerArgs),
    /// Write a commented starter config file (never overwrites one)
    #[command(
        after_help = "Examples:\n  ccproxy config init\n  ccproxy config init --config ./team.json"
    )]
    Init(InitArgs),
    /// Convert a claude-code-router config.json into a ccproxy config file
    #[command(
        after_help = "Examples:\n  ccproxy config import-ccr\n  ccproxy config import-ccr ~/old/config.json --output -\n  ccproxy config import-ccr --output ./team.json --force\n\nReads ~/.claude-code-router/config.json by default and writes ~/.ccproxy/config.json\n(never over an existing file unless --force). Says what could not be converted."
    )]
    ImportCcr(ImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write (default: $CCPROXY_CONFIG, else ~/.ccproxy/config.json)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The claude-code-router config (default: ~/.claude-code-router/config.json)
    pub path: Option<PathBuf>,
    /// Where to write; `-` for stdout (default: $CCPROXY_CONFIG, else ~/.ccproxy/config.json)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file
    #[arg(long)]
    pub force: bool,
}
