//! `ccproxy statusline`: Claude Code runs its status-line command after each message with
//! a JSON description of the session on stdin (`session_id`, `model`, `workspace`, ...) and
//! shows the first line printed. We print where the session's last request went (route,
//! provider, upstream model, and that model's context window when known: Claude Code's own
//! figure is its guess for the id it sent) and whether the proxy is up. It must be quick and never fail:
//! every problem becomes part of the line, and the exit code is always 0.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use serde_json::Value;

use super::instance::Context;
use super::probe::{Endpoint, Probe};
use super::{exit, overrides, say};
use crate::cli::ServerArgs;
use crate::config::limits::short;
use crate::config::{self, Config, Env, Target};
use crate::report::{SessionReport, StatusReport};
use crate::secret::Secret;

/// Claude Code refreshes the line often; a proxy on this machine answers in microseconds.
const TIMEOUT: Duration = Duration::from_millis(500);
/// More than Claude Code ever sends.
const MAX_INPUT: u64 = 1024 * 1024;

pub fn run(args: &ServerArgs) -> u8 {
    let mut input = String::new();
    let stdin = std::io::stdin();
    // Run by hand in a terminal there is no JSON to wait for.
    if !stdin.is_terminal() {
        let _ = stdin.take(MAX_INPUT).read_to_string(&mut input);
    }
    let session = serde_json::from_str::<Value>(&input)
        .ok()
        .and_then(|v| v["session_id"].as_str().map(str::to_string))
        .filter(|id| {
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    let env = Env::from_process();
    let config = config::load(&overrides(args), &env).ok();
    let endpoint = endpoint(args, &env, config.as_ref());
    say(&line(&endpoint, session.as_deref(), config.as_ref()));
    exit::SUCCESS
}

/// The proxy Claude Code talks to: its own `ANTHROPIC_BASE_URL` (set by `ccproxy code` or
/// `ccproxy env`), else the running instance (see `instance`); `--port` selects an instance
/// whatever the wiring says.
fn endpoint(args: &ServerArgs, env: &Env, config: Option<&Config>) -> Endpoint {
    let key = env
        .get("ANTHROPIC_AUTH_TOKEN")
        .map(Secret::new)
        .or_else(|| config.and_then(|c| c.api_key.clone()));
    let wired = env
        .get("ANTHROPIC_BASE_URL")
        .map(|url| url.trim_end_matches('/').to_string());
    let chosen = || Context::new(args).ok().map(|context| context.endpoint.url);
    // An explicit `--port` wins over the wiring.
    let url = match args.port {
        Some(_) => chosen().or(wired),
        None => wired.or_else(chosen),
    }
    .unwrap_or_else(|| super::probe::base_url(config::DEFAULT_HOST, config::DEFAULT_PORT));
    Endpoint { url, key }
}

fn line(endpoint: &Endpoint, session: Option<&str>, config: Option<&Config>) -> String {
    let Ok(probe) = Probe::new(TIMEOUT) else {
        return "ccproxy: ?".to_string();
    };
    let status: StatusReport = match probe.get(endpoint, "/status") {
        Ok(status) => status,
        Err(_) => return format!("ccproxy ○ not answering on {}", endpoint.url),
    };
    let last = session
        .and_then(|id| {
            probe
                .get::<SessionReport>(endpoint, &format!("/status/session/{id}"))
                .ok()
        })
        .and_then(|answer| answer.last_request);
    let (route, target) = match last {
        Some(last) => (last.route, format!("{},{}", last.provider, last.model)),
        None => (
            "default".to_string(),
            status.default_route.unwrap_or_else(|| "(none)".into()),
        ),
    };
    let window = Target::parse(&target)
        .zip(config)
        .and_then(|(target, config)| config.limits(&target))
        .map(|limits| format!(" · {} context", short(limits.context_window)))
        .unwrap_or_default();
    format!("ccproxy ● {route} → {target}{window}")
}
