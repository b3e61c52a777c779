//! Which server the command line is talking about. Each background server is an instance,
//! named by its port: its PID file and log are per port (see `files`). `--port` selects an
//! instance; without it a command that talks to a running proxy takes the configured port's
//! instance if one was started there, else the only one started, else the configured port.
//! `start` always means the port of `--port`, else the configured one. Within an instance:
//! the server in its PID file (if that PID is still a live ccproxy), else whatever answers
//! at its address. A stale PID file (process gone, or the PID reused by another program) is
//! removed on sight, never obeyed.

use std::path::PathBuf;
use std::time::Duration;

use super::files::{self, Paths, PidRecord};
use super::probe::{base_url, Answer, Endpoint, Probe};
use super::process::{self, Occupant};
use crate::cli::ServerArgs;
use crate::config::{self, Config, Env, DEFAULT_HOST, DEFAULT_PORT};

/// How long a probe waits for a server on this machine.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the command line works with: the environment, the files, the configuration (if it
/// is valid), the instance it is about and where that one answers.
pub struct Context {
    pub env: Env,
    pub paths: Paths,
    pub config: Result<Config, config::ConfigError>,
    pub instance: Instance,
    pub endpoint: Endpoint,
    pub probe: Probe,
}

/// One background server's port and files.
#[derive(Debug, Clone)]
pub struct Instance {
    pub port: u16,
    pub pid_file: PathBuf,
    pub log_file: PathBuf,
}

impl Context {
    /// For a command that talks to a running proxy (see the module documentation).
    pub fn new(args: &ServerArgs) -> anyhow::Result<Self> {
        Self::build(args, |paths, configured| {
            match running_ports(paths).as_slice() {
                [only] => *only,
                _ => configured,
            }
        })
    }

    /// For `start`: the instance on `--port`, else on the configured port.
    pub fn to_start(args: &ServerArgs) -> anyhow::Result<Self> {
        Self::build(args, |_, configured| configured)
    }

    /// For the instance on `port`, whatever the configuration says.
    pub fn on_port(args: &ServerArgs, port: u16) -> anyhow::Result<Self> {
        Self::build(args, |_, _| port)
    }

    fn build(args: &ServerArgs, choose: impl Fn(&Paths, u16) -> u16) -> anyhow::Result<Self> {
        let env = Env::from_process();
        let paths = Paths::new(&env)?;
        let config = config::load(&super::overrides(args), &env);
        // With a broken config, still find a server started earlier with a good one.
        let (host, configured, key) = match &config {
            Ok(config) => (config.host.clone(), config.port, config.api_key.clone()),
            Err(_) => (
                args.host
                    .clone()
                    .unwrap_or_else(|| DEFAULT_HOST.to_string()),
                args.port.unwrap_or(DEFAULT_PORT),
                None,
            ),
        };
        let port = args.port.unwrap_or_else(|| choose(&paths, configured));
        let instance = Instance {
            port,
            pid_file: paths.pid_file(port),
            log_file: paths.log_file(port),
        };
        let url = files::read_pid(&instance.pid_file)
            .map_or_else(|| base_url(&host, port), |record| record.url);
        Ok(Self {
            env,
            paths,
            config,
            instance,
            endpoint: Endpoint { url, key },
            probe: Probe::new(PROBE_TIMEOUT)?,
        })
    }
}

/// The ports whose PID file names a live ccproxy process.
pub fn running_ports(paths: &Paths) -> Vec<u16> {
    paths
        .recorded_ports()
        .into_iter()
        .filter(|port| {
            files::read_pid(&paths.pid_file(*port))
                .is_some_and(|PidRecord { pid, .. }| process::occupant(pid) == Occupant::Ccproxy)
        })
        .collect()
}

/// When no server runs on the context's port but background servers run on others: a
/// sentence naming their ports, for "not running" answers.
pub fn elsewhere(context: &Context) -> Option<String> {
    let others: Vec<String> = running_ports(&context.paths)
        .into_iter()
        .filter(|port| *port != context.instance.port)
        .map(|port| port.to_string())
        .collect();
    (!others.is_empty()).then(|| {
        format!(
            "ccproxy runs on port {}: choose it with --port",
            others.join(", port ")
        )
    })
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
    if let Some(record) = files::read_pid(&context.instance.pid_file) {
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
        files::remove_pid(&context.instance.pid_file);
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
