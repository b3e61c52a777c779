//! `ccproxy start` (and the start half of `restart` and `code`): run `ccproxy serve` in the
//! background, detached from the terminal, its output in the log file, and return only once
//! it answers `/status` with its own PID. Only then is the PID file written, so the file
//! never names a server that did not come up. On failure: the reason and the log's last lines.
//! Each port is its own instance (see `instance`): `--port` wins over the configured port.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::files::{self, PidRecord, LOG_CAP};
use super::instance::{locate, Context, Found};
use super::probe::Endpoint;
use super::{exit, say};
use crate::cli::ServerArgs;

/// How long a new server may take to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Log lines shown when a start fails.
const TAIL_LINES: usize = 20;

/// How a start ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    AlreadyRunning { pid: Option<u32>, url: String },
    Started { pid: u32, url: String },
}

impl Outcome {
    pub fn describe(&self, context: &Context) -> String {
        match self {
            Self::AlreadyRunning { pid, url } => format!(
                "ccproxy is already running ({}) on {url}",
                pid.map_or_else(|| "PID unknown".to_string(), |pid| format!("PID {pid}"))
            ),
            Self::Started { pid, url } => format!(
                "ccproxy started (PID {pid}) on {url}; log: {}",
                context.instance.log_file.display()
            ),
        }
    }
}

pub fn run(args: &ServerArgs) -> u8 {
    super::conclude(Context::to_start(args).and_then(|context| {
        let outcome = start(&context, args, say)?;
        say(&outcome.describe(&context));
        Ok(exit::SUCCESS)
    }))
}

/// Starts the server unless one is running; `note` receives side remarks (stale files).
pub fn start(context: &Context, args: &ServerArgs, note: fn(&str)) -> anyhow::Result<Outcome> {
    let config = context.config.as_ref().map_err(Clone::clone)?;
    if config.port == 0 {
        bail!("`start` needs a fixed port (0 picks a random one); use --port or CCPROXY_PORT");
    }
    match locate(context) {
        Found::Running { pid, url, .. } => return Ok(Outcome::AlreadyRunning { pid, url }),
        Found::Silent { pid, url } => bail!(
            "ccproxy (PID {pid}) is running but does not answer on {url}. See {} or run \
             `ccproxy restart`.",
            context.instance.log_file.display()
        ),
        Found::PortHeld { url, by } => bail!(
            "{url} is held by another program ({by}), not ccproxy. Find it with \
             `lsof -i :{port}`, or pick another port with --port or CCPROXY_PORT.",
            port = config.port
        ),
        Found::Stopped { stale } => {
            if let Some(stale) = stale {
                note(&stale);
            }
        }
    }
    std::fs::create_dir_all(&context.paths.dir)
        .with_context(|| format!("cannot create {}", context.paths.dir.display()))?;
    files::rotate_log(&context.instance.log_file, LOG_CAP);
    let log_start = files::log_len(&context.instance.log_file);
    let mut child = spawn(context, args)?;
    match wait_ready(context, &mut child) {
        Ok(()) => {
            let record = PidRecord {
                pid: child.id(),
                url: context.endpoint.url.clone(),
            };
            files::write_pid(&context.instance.pid_file, &record)?;
            // The server's start-up warnings (a missing key, a loop, an implicit default)
            // went to the log: the user who ran `start` sees them too.
            for warning in files::log_warnings(&context.instance.log_file, log_start) {
                super::complain(&format!("ccproxy: warning: {warning}"));
            }
            Ok(Outcome::Started {
                pid: record.pid,
                url: record.url,
            })
        }
        Err(reason) => {
            let tail = files::log_tail(&context.instance.log_file, log_start, TAIL_LINES);
            let mut message = format!("the server did not start: {reason}");
            if !tail.is_empty() {
                message.push_str(&format!(
                    "\nlast lines of {}:\n  {}",
                    context.instance.log_file.display(),
                    tail.join("\n  ")
                ));
            }
            bail!(message)
        }
    }
}

/// `ccproxy serve` with the same config flags, detached: its own process group (so the
/// terminal's Ctrl-C does not reach it), stdin closed, output appended to the log.
fn spawn(context: &Context, args: &ServerArgs) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("cannot find the ccproxy executable")?;
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&context.instance.log_file)
        .with_context(|| format!("cannot open {}", context.instance.log_file.display()))?;
    let mut command = Command::new(exe);
    command.arg("serve");
    if let Some(path) = &args.config {
        command.arg("--config").arg(std::path::absolute(path)?);
    }
    if let Some(host) = &args.host {
        command.args(["--host", host]);
    }
    // The instance's port, even when it came from the configuration: the server must
    // listen where its PID file will say.
    command.args(["--port", &context.instance.port.to_string()]);
    command
        .current_dir(&context.paths.dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    command.spawn().context("cannot run `ccproxy serve`")
}

/// Waits until the new server answers `/status` with its own PID.
fn wait_ready(context: &Context, child: &mut Child) -> Result<(), String> {
    let endpoint: &Endpoint = &context.endpoint;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status})"));
        }
        if context.probe.server_pid(endpoint) == Some(child.id()) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "it did not answer on {} within {}s (stopped it)",
                endpoint.url,
                READY_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}
