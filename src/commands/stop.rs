//! `ccproxy stop` and `ccproxy restart`: SIGTERM (the server stops taking connections and
//! lets in-flight requests finish), then SIGKILL if it is still there after a bounded wait.
//! Only a PID that is verifiably a ccproxy process is ever signalled.

use std::time::Duration;

use anyhow::bail;

use super::files;
use super::instance::{locate, Context, Found};
use super::process::{self, Occupant};
use super::{exit, say, start};
use crate::cli::ServerArgs;

/// The server's own grace period is 10 s; a little more before SIGKILL.
const GRACEFUL: Duration = Duration::from_secs(12);
const FORCEFUL: Duration = Duration::from_secs(3);

pub fn run(args: &ServerArgs) -> u8 {
    super::conclude(Context::new(args).and_then(|context| {
        say(&stop(&context)?);
        Ok(exit::SUCCESS)
    }))
}

pub fn restart(args: &ServerArgs) -> u8 {
    super::conclude(Context::new(args).and_then(|context| {
        say(&stop(&context)?);
        // The stopped server's state (PID file, port) is gone: look again from scratch.
        let context = Context::new(args)?;
        let outcome = start::start(&context, args, say)?;
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
            let mut message = "ccproxy is not running; nothing to stop".to_string();
            if let Some(stale) = stale {
                message = format!("{stale}\n{message}");
            }
            return Ok(message);
        }
    };
    if process::occupant(pid) != Occupant::Ccproxy {
        bail!("the server on {url} says it is PID {pid}, but that process is not ccproxy here");
    }
    let how = terminate(pid)?;
    if managed {
        files::remove_pid(&context.paths.pid_file);
    }
    Ok(format!("ccproxy stopped (PID {pid}, {how})"))
}

fn terminate(pid: u32) -> anyhow::Result<&'static str> {
    if process::signal(pid, "TERM") && process::wait_gone(pid, GRACEFUL) {
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
