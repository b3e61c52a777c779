//! The command line, declared with clap: parsing only, no behaviour.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ccproxy",
    version,
    about = "A local proxy that lets Claude Code and Anthropic SDK programs use other model providers",
    after_help = "Quick start:\n  PROVIDER=groq GROQ_API_KEY=gsk_... ccproxy serve\n  ANTHROPIC_BASE_URL=http://127.0.0.1:3456 claude"
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
    /// Print the version
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
