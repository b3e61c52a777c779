//! `ccproxy stop` and `ccproxy restart`: SIGTERM (the server stops taking connections and
//! lets in-flight requests finish), then SIGKILL if it is still there after a bounded wait.
//! Only a PID that is verifiably a ccproxy process is ever signalled.

use std::time::Duration;

use anyhow::bail;

use super::files;
use super::instance::{elsewhere, locate, Context, Found};
use super::process::{self, Occupant};
use super::{exit, say, start};
use crate::cli::ServerArgs;

/// Beyond the server's own grace period (`timeouts.shutdown_grace_ms`), before SIGKILL: the
/// time to end the streams still running and exit.
const AFTER_GRACE: Duration = Duration::from_secs(3);
const FORCEFUL: Duration = Duration::from_secs(3);

pub fn run(args: &ServerArgs) -> u8 {
    super::conclude(Context::new(args).and_then(|context| {
        say(&stop(&context)?);
        Ok(exit::SUCCESS)
    }))
}

/// Restarts the instance on the port it runs on (see `instance` for which one).
pub fn restart(args: &ServerArgs) -> u8 {
    super::conclude(Context::new(args).and_then(|context| {
        say(&stop(&context)?);
        // The stopped server's state (PID file) is gone: look again, on the same port.
        let args = ServerArgs {
            port: Some(context.instance.port),
            ..args.clone()
        };
        let context = Context::to_start(&args)?;
        let outcome = start::start(&context, &args, say)?;
        say(&outcome.describe(&context));
        Ok(exit::SUCCESS)
    }))
}

/// Stops the server if one runs; says what it did.
pub fn stop(context: &Context) -> anyhow::Result<String> {
    let (pid, url, managed) = match locate(context) {
        Found::Running {
            pid: Some(pid),
            url,
            managed,
        } => (pid, url, managed),
        Found::Running { pid: None, url, .. } => bail!(
            "a ccproxy answers on {url} but will not tell its PID (is its key different from \
             this configuration's?); stop it where it was started"
        ),
        Found::Silent { pid, url } => (pid, url, true),
        Found::PortHeld { url, by } => {
            return Ok(format!(
                "ccproxy is not running ({url} is held by another program: {by})"
            ))
        }
        Found::Stopped { stale } => {
            let mut message = format!(
                "ccproxy is not running on port {}; nothing to stop",
                context.instance.port
            );
            if let Some(stale) = stale {
                message = format!("{stale}\n{message}");
            }
            if let Some(elsewhere) = elsewhere(context) {
                message = format!("{message}\n{elsewhere}");
            }
            return Ok(message);
        }
    };
    if process::occupant(pid) != Occupant::Ccproxy {
        bail!("the server on {url} says it is PID {pid}, but that process is not ccproxy here");
    }
    let grace = context.config.as_ref().map_or_else(
        |_| crate::config::Timeouts::default().shutdown_grace,
        |config| config.resilience.timeouts.shutdown_grace,
    );
    let how = terminate(pid, grace + AFTER_GRACE)?;
    if managed {
        files::remove_pid(&context.instance.pid_file);
    }
    Ok(format!("ccproxy stopped (PID {pid}, {how})"))
}

fn terminate(pid: u32, graceful: Duration) -> anyhow::Result<&'static str> {
    if process::signal(pid, "TERM") && process::wait_gone(pid, graceful) {
        return Ok("graceful");
    }
    if process::signal(pid, "KILL") && process::wait_gone(pid, FORCEFUL) {
        return Ok("forced: it did not finish within the grace period");
    }
    if process::occupant(pid) == Occupant::Gone {
        return Ok("already gone");
    }
    bail!("could not stop PID {pid} (permission denied?)")
}
