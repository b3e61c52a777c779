//! `ccproxy status`: is the proxy running, and what the running server says about itself
//! (PID, address, uptime, version, providers and routes with keys masked) from its
//! `/status`. Exit codes follow the LSB convention: 0 running, 3 not running, 1 error.
//! Without `--port`, when several background instances run, each is described in turn.

use super::instance::{elsewhere, locate, running_ports, Context, Found};
use super::probe::Endpoint;
use super::{complain, exit, say};
use crate::cli::StatusArgs;
use crate::config::RouteName;
use crate::report::{KeyReport, StatusReport};

pub fn run(args: &StatusArgs) -> u8 {
    super::conclude(Context::new(&args.server).and_then(|context| {
        let ports = running_ports(&context.paths);
        if args.server.port.is_some() || ports.len() < 2 {
            return Ok(report(args, &context));
        }
        let mut code = exit::NOT_RUNNING;
        for port in ports {
            let context = Context::on_port(&args.server, port)?;
            if report(args, &context) == exit::SUCCESS {
                code = exit::SUCCESS;
            }
        }
        Ok(code)
    }))
}

fn report(args: &StatusArgs, context: &Context) -> u8 {
    if let Err(error) = &context.config {
        complain(&format!("ccproxy: warning: {error}"));
    }
    match locate(context) {
        Found::Running { url, managed, .. } => {
            let endpoint = Endpoint {
                url,
                key: context.endpoint.key.clone(),
            };
            let answer = match args.json {
                true => context
                    .probe
                    .get_json(&endpoint, "/status")
                    .map(|status| status.to_string()),
                false => context
                    .probe
                    .get::<StatusReport>(&endpoint, "/status")
                    .map(|status| describe(&status, managed, context)),
            };
            match answer {
                Ok(text) => say(&text),
                Err(error) => {
                    complain(&format!("ccproxy: running, but /status failed: {error:#}"));
                    return exit::FAILURE;
                }
            }
            exit::SUCCESS
        }
        Found::Silent { pid, url } => {
            complain(&format!(
                "ccproxy: process {pid} is running but does not answer on {url}; see {} or run \
                 `ccproxy restart`",
                context.instance.log_file.display()
            ));
            exit::FAILURE
        }
        Found::PortHeld { url, by } => {
            say(&format!(
                "ccproxy is not running ({url} is held by another program: {by})"
            ));
            exit::NOT_RUNNING
        }
        Found::Stopped { stale } => {
            if let Some(stale) = stale {
                complain(&format!("ccproxy: {stale}"));
            }
            say("ccproxy is not running (start it with `ccproxy start`)");
            if let Some(elsewhere) = elsewhere(context) {
                say(&elsewhere);
            }
            exit::NOT_RUNNING
        }
    }
}

/// The human-readable summary of a `/status` answer.
fn describe(status: &StatusReport, managed: bool, context: &Context) -> String {
    let config = &status.config;
    let mut lines = vec![format!(
        "ccproxy is running (PID {}) on http://{}:{}",
        status.pid, status.host, status.port
    )];
    lines.push(format!("  version    {}", status.version));
    lines.push(format!("  uptime     {}", uptime(status.uptime_seconds)));
    let auth = match &config.api_key {
        Some(masked) => format!("clients must send the proxy key ({masked})"),
        None => "no proxy key: clients on this machine only".to_string(),
    };
    lines.push(format!("  auth       {auth}"));
    lines.push(format!("  config     {}", config.source));
    for provider in &config.providers {
        let key = provider
            .api_key
            .as_ref()
            .map_or_else(|| "no key".to_string(), |k| format!("key {k}"));
        lines.push(format!(
            "  provider   {} ({}, {}, {key})",
            provider.name, provider.kind, provider.base_url
        ));
        if let Some(pool) = status.providers.keys.get(&provider.name) {
            lines.push(format!(
                "  keys       {}: {}",
                provider.name,
                pool_line(pool)
            ));
        }
    }
    let routes = &config.routes;
    // In alphabetical order, as `ccproxy status` has always listed them.
    let mut listed: Vec<_> = routes.targets.iter().collect();
    listed.sort_by_key(|(name, _)| name.as_str());
    for (name, targets) in listed {
        let shown = targets.texts().join(", then ");
        let name = match name {
            RouteName::LongContext => {
                format!("{name} (over {} tokens)", routes.long_context_threshold)
            }
            _ => name.to_string(),
        };
        lines.push(format!("  route      {name}: {shown}"));
    }
    if managed {
        lines.push(format!(
            "  log        {}",
            context.instance.log_file.display()
        ));
    } else {
        lines.push("  (not started by `ccproxy start`: no PID file, log on its terminal)".into());
    }
    lines.join("\n")
}

/// A pool's keys, masked, each with its state and requests: `gsk_…aaaa active (3
/// requests), gsk_…bbbb cooling 12s (1 request)`.
fn pool_line(pool: &[KeyReport]) -> String {
    let key = |k: &KeyReport| {
        let state = match k.cooling_ms {
            Some(ms) => format!("{} {}s", k.state.as_str(), ms.div_ceil(1000)),
            None => k.state.as_str().to_string(),
        };
        let plural = if k.requests == 1 { "" } else { "s" };
        format!("{} {state} ({} request{plural})", k.key, k.requests)
    };
    pool.iter().map(key).collect::<Vec<_>>().join(", ")
}

/// `1h 02m 03s`, `4m 05s`, `6s`.
fn uptime(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::uptime;

    #[test]
    fn uptime_is_short_and_readable() {
        assert_eq!(uptime(6), "6s");
        assert_eq!(uptime(245), "4m 05s");
        assert_eq!(uptime(3723), "1h 02m 03s");
    }
}
