//! `ccproxy code [ARGS...]`: make sure the proxy runs (starting it in the background if
//! needed), then run Claude Code (`$CLAUDE_PATH`, else `claude` on PATH) wired to it, with
//! every argument passed through untouched, the terminal attached, and its exit code
//! returned. The user's Claude Code settings files are read (to warn about settings that
//! override the wiring) but never written.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitStatus;

use anyhow::Context as _;
use tokio::signal::unix::{signal, SignalKind};

use super::instance::Context;
use super::probe::Endpoint;
use super::start::{self, Outcome};
use super::wiring::client_env;
use super::{complain, exit};
use crate::cli::{CodeArgs, ServerArgs};

/// Settings in Claude Code's files that take precedence over the environment we set.
const OVERRIDING_SETTINGS: &[&str] = &[
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
];

pub fn run(args: &CodeArgs) -> u8 {
    super::conclude(launch(args))
}

fn launch(args: &CodeArgs) -> anyhow::Result<u8> {
    let server = ServerArgs {
        port: args.port,
        ..ServerArgs::default()
    };
    let context = Context::new(&server)?;
    // stdout belongs to Claude Code: our remarks go to stderr.
    let outcome = start::start(&context, &server, complain)?;
    if let Outcome::Started { .. } = outcome {
        complain(&outcome.describe(&context));
    }
    let url = match outcome {
        Outcome::AlreadyRunning { url, .. } | Outcome::Started { url, .. } => url,
    };
    let endpoint = Endpoint {
        url,
        key: context.endpoint.key.clone(),
    };
    warn_about_settings(&context);
    let claude = context
        .env
        .get("CLAUDE_PATH")
        .map_or_else(|| OsString::from("claude"), OsString::from);
    let config = context.config.as_ref().ok();
    let wired = client_env(&endpoint.url, endpoint.key.as_ref(), &context.env, config);
    let mut command = tokio::process::Command::new(&claude);
    command
        .args(&args.args)
        .envs(wired.set.iter().map(|(k, v)| (k, v)));
    for name in &wired.unset {
        command.env_remove(name);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let status = runtime.block_on(run_child(command, &claude))?;
    Ok(exit_code(status))
}

/// Runs Claude Code to its end. Ctrl-C and Ctrl-\ belong to it (it interrupts a turn, not
/// the session), so we only wait; SIGTERM and SIGHUP sent to us are passed on.
async fn run_child(
    mut command: tokio::process::Command,
    claude: &OsString,
) -> anyhow::Result<ExitStatus> {
    // Handling these signals replaces their default action (ending us) for our process;
    // the child starts with the defaults again, as exec resets handled signals.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut child = command.spawn().map_err(|error| not_found(error, claude))?;
    let pid = child.id();
    loop {
        tokio::select! {
            status = child.wait() => return Ok(status?),
            _ = interrupt.recv() => {}
            _ = quit.recv() => {}
            _ = terminate.recv() => forward(pid, "TERM"),
            _ = hangup.recv() => forward(pid, "HUP"),
        }
    }
}

fn forward(pid: Option<u32>, name: &str) {
    if let Some(pid) = pid {
        super::process::signal(pid, name);
    }
}

fn not_found(error: std::io::Error, claude: &OsString) -> anyhow::Error {
    let shown = Path::new(claude).display();
    if error.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "Claude Code ('{shown}') was not found. Install it with \
             `npm install -g @anthropic-ai/claude-code`, or set CLAUDE_PATH to its path. \
             (The proxy is running; `ccproxy stop` stops it.)"
        )
    } else {
        anyhow::anyhow!("cannot run '{shown}': {error}")
    }
}

/// The child's exit code; a signal death is reported the shell's way (128 + signal).
fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(exit::FAILURE),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(exit::FAILURE),
        (None, None) => exit::FAILURE,
    }
}

/// Warns when `~/.claude/settings.json` sets variables that override the wiring (its
/// `env` block wins over the process environment). The file is left as it is.
fn warn_about_settings(context: &Context) {
    let Some(home) = context.env.get("HOME") else {
        return;
    };
    let path = Path::new(home).join(".claude/settings.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(settings) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    let mut found: Vec<String> = OVERRIDING_SETTINGS
        .iter()
        .filter(|name| settings["env"].get(**name).is_some())
        .map(|name| format!("env.{name}"))
        .collect();
    if settings.get("apiKeyHelper").is_some() {
        found.push("apiKeyHelper".to_string());
    }
    if !found.is_empty() {
        complain(&format!(
            "ccproxy: warning: {} sets {}, which Claude Code prefers over ccproxy's settings; \
             it may bypass the proxy. Remove them there if requests do not reach ccproxy \
             (ccproxy never edits that file).",
            path.display(),
            found.join(", ")
        ));
    }
}
