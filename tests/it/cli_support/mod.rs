//! Driving the real `ccproxy` binary: a temporary HOME with a free port, commands run with
//! the environment cleared, and every server started from that HOME killed on drop.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A fake provider key: it must never be printed in full.
pub const GROQ_KEY: &str = "gsk_abcdefghijklmnopqrstuv3f9a";

/// What a finished command left.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A temporary HOME and a free port; servers started from it die with it.
pub struct Home {
    pub dir: PathBuf,
    pub port: u16,
    env: BTreeMap<String, String>,
}

impl Home {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ccproxy-home-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("temp home");
        let port = free_port();
        let mut env = BTreeMap::new();
        env.insert("HOME".into(), dir.display().to_string());
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("CCPROXY_PORT".into(), port.to_string());
        env.insert("GROQ_API_KEY".into(), GROQ_KEY.into());
        Self { dir, port, env }
    }

    /// Sets (or with `None` removes) a variable for every later command.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.env.insert(name.into(), value.into()),
            None => self.env.remove(name),
        };
        self
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// The PID file of the instance on this home's port.
    pub fn pid_file(&self) -> PathBuf {
        self.pid_file_on(self.port)
    }

    /// The PID file of the instance on `port`.
    pub fn pid_file_on(&self, port: u16) -> PathBuf {
        self.path(&format!(".ccproxy/ccproxy-{port}.pid"))
    }

    /// The PID in the PID file of this home's port, if any.
    pub fn pid(&self) -> Option<u32> {
        self.pid_on(self.port)
    }

    /// The PID in the PID file of the instance on `port`, if any.
    pub fn pid_on(&self, port: u16) -> Option<u32> {
        read_pid(&self.pid_file_on(port))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ccproxy"));
        command
            .args(args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        command
    }

    /// Writes `config` as `~/.ccproxy/config.json` and runs `ccproxy serve` with it, its
    /// stderr read line by line (see [`stderr_lines`]); killed when the guard drops.
    pub fn serve_with(&self, config: &serde_json::Value) -> (Guard, mpsc::Receiver<String>) {
        std::fs::create_dir_all(self.path(".ccproxy")).expect("config dir");
        std::fs::write(self.path(".ccproxy/config.json"), config.to_string()).expect("config");
        let mut child = self
            .command(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ccproxy serve");
        let lines = stderr_lines(&mut child);
        (Guard(child), lines)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "")
    }

    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ccproxy");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let output = child.wait_with_output().expect("ccproxy output");
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "ccproxy panicked: {run:?}"
        );
        run
    }
}

/// Every server started from this home dies with it: each PID file's process is killed.
impl Drop for Home {
    fn drop(&mut self) {
        let files = std::fs::read_dir(self.path(".ccproxy"))
            .into_iter()
            .flatten();
        for file in files.flatten() {
            let is_pid_file = file.file_name().to_string_lossy().ends_with(".pid");
            match read_pid(&file.path()) {
                Some(pid) if is_pid_file && is_alive(pid) => kill(pid, "KILL"),
                _ => {}
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PID on a PID file's first line.
fn read_pid(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Where [`free_port`] looks: below the kernel's ephemeral range (Linux 32768–60999,
/// macOS 49152–65535), which `bind(:0)` and outgoing connections draw from. A port taken
/// from that range and released can be handed to a parallel test's mock upstream or
/// client before our server binds it; one from this range cannot.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_768;

/// A port nothing listens on: picked at random outside the ephemeral range, checked free
/// by binding it, and never handed out twice by this test process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().expect("port list");
    loop {
        let port = fastrand::u16(TEST_PORTS);
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

pub fn kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// True while the process exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .next()?
                .to_string();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// Waits (bounded) for a process to be gone.
pub fn wait_gone(pid: u32) -> bool {
    for _ in 0..400 {
        if !is_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes an executable shell script.
pub fn script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Streams the child's stderr lines into a channel from a thread (so the pipe never fills).
pub fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("piped stderr");
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Waits (bounded) for a stderr line containing `needle`; returns that line.
pub fn wait_for_line(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    needle: &str,
) -> String {
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(10)) {
        seen.push(line.clone());
        if line.contains(needle) {
            return line;
        }
    }
    panic!("ccproxy never logged '{needle}': {seen:?}");
}

/// Waits for the "listening on http://ADDR" line; returns ADDR.
pub fn wait_for_address(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>) -> String {
    let line = wait_for_line(lines, seen, "listening on http://");
    let rest = line
        .split("listening on http://")
        .nth(1)
        .unwrap_or_default();
    rest.split_whitespace().next().expect("address").to_string()
}
