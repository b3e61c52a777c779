//! Which server the command line is talking about: the one in the PID file (if that PID is
//! still a live ccproxy), else whatever answers at the configured address. A stale PID file
//! (process gone, or the PID reused by another program) is removed on sight, never obeyed.

use std::time::Duration;

use super::files::{self, Paths};
use super::probe::{base_url, Answer, Endpoint, Probe};
use super::process::{self, Occupant};
use crate::cli::ServerArgs;
use crate::config::{self, Config, Env, DEFAULT_HOST, DEFAULT_PORT};

/// How long a probe waits for a server on this machine.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the command line works with: the environment, the files, the configuration (if it
/// is valid) and where the configured server would answer.
pub struct Context {
    pub env: Env,
    pub paths: Paths,
    pub config: Result<Config, config::ConfigError>,
    pub endpoint: Endpoint,
    pub probe: Probe,
}

impl Context {
    pub fn new(args: &ServerArgs) -> anyhow::Result<Self> {
        let env = Env::from_process();
        let paths = Paths::new(&env)?;
        let config = config::load(&super::overrides(args), &env);
        let endpoint = match &config {
            Ok(config) => Endpoint::of(config),
            // With a broken config, still find a server started earlier with a good one.
            Err(_) => Endpoint {
                url: base_url(
                    args.host.as_deref().unwrap_or(DEFAULT_HOST),
                    args.port.unwrap_or(DEFAULT_PORT),
                ),
                key: None,
            },
        };
        Ok(Self {
            env,
            paths,
            config,
            endpoint,
            probe: Probe::new(PROBE_TIMEOUT)?,
        })
    }
}

/// The server's state as far as the command line can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A ccproxy answers. `managed`: it is the one in the PID file (started by `start`).
    Running {
        pid: Option<u32>,
        url: String,
        managed: bool,
    },
    /// The PID file's ccproxy process lives but does not answer at its URL.
    Silent { pid: u32, url: String },
    /// Another program holds the configured address.
    PortHeld { url: String, by: String },
    /// No ccproxy; `stale` says what stale PID file was removed, if any.
    Stopped { stale: Option<String> },
}

pub fn locate(context: &Context) -> Found {
    let mut stale = None;
    if let Some(record) = files::read_pid(&context.paths.pid_file) {
        match process::occupant(record.pid) {
            Occupant::Ccproxy => {
                return match context.probe.identify(&record.url) {
                    Answer::Ccproxy => Found::Running {
                        pid: Some(record.pid),
                        url: record.url,
                        managed: true,
                    },
                    _ => Found::Silent {
                        pid: record.pid,
                        url: record.url,
                    },
                };
            }
            Occupant::Other(command) => {
                stale = Some(format!(
                    "removed a stale PID file: PID {} now belongs to another program ({command})",
                    record.pid
                ));
            }
            Occupant::Gone => {
                stale = Some(format!(
                    "removed a stale PID file: process {} is gone",
                    record.pid
                ));
            }
        }
        files::remove_pid(&context.paths.pid_file);
    }
    let url = context.endpoint.url.clone();
    match context.probe.identify(&url) {
        Answer::Ccproxy => Found::Running {
            pid: context.probe.server_pid(&context.endpoint),
            url,
            managed: false,
        },
        Answer::Other(by) => Found::PortHeld { url, by },
        Answer::Nothing => Found::Stopped { stale },
    }
}
