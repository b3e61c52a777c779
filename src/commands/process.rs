//! Other processes, by PID: whether one is alive and is a ccproxy server (so a PID reused
//! by another program is never signalled), and sending it signals. Uses `/proc` where it
//! exists and `ps`/`kill` otherwise; no unsafe code.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a PID is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Occupant {
    /// A ccproxy server (`ccproxy serve ...`).
    Ccproxy,
    /// Some other live program (the PID was reused), with its command line.
    Other(String),
    /// No live process.
    Gone,
}

pub fn occupant(pid: u32) -> Occupant {
    let Some(argv) = command_line(pid) else {
        return Occupant::Gone;
    };
    let program = argv
        .first()
        .and_then(|arg0| arg0.rsplit('/').next())
        .unwrap_or_default();
    if program.starts_with("ccproxy") && argv.iter().any(|arg| arg == "serve") {
        Occupant::Ccproxy
    } else {
        Occupant::Other(argv.join(" "))
    }
}

/// The process's arguments, or `None` if it is not alive (zombies count as gone).
fn command_line(pid: u32) -> Option<Vec<String>> {
    if pid == 0 {
        return None;
    }
    let proc_dir = std::path::Path::new("/proc");
    if proc_dir.is_dir() {
        let stat = std::fs::read_to_string(proc_dir.join(format!("{pid}/stat"))).ok()?;
        // The state follows the parenthesised command name: "123 (name) Z ...".
        let state = stat.rsplit(')').next()?.split_whitespace().next()?;
        if state == "Z" || state == "X" {
            return None;
        }
        let raw = std::fs::read(proc_dir.join(format!("{pid}/cmdline"))).ok()?;
        let argv = raw
            .split(|b| *b == 0)
            .filter(|part| !part.is_empty())
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect();
        return Some(argv);
    }
    let output = Command::new("ps")
        .args(["-o", "state=,command=", "-p", &pid.to_string()])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (state, command) = text.trim().split_once(char::is_whitespace)?;
    (!state.starts_with('Z')).then(|| command.split_whitespace().map(str::to_string).collect())
}

/// Sends `signal` (`TERM`, `KILL`) to `pid`; true if it was delivered.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Waits until `pid` is gone; false if it still lives after `limit`.
pub fn wait_gone(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if command_line(pid).is_none() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_live_program_is_not_ccproxy() {
        let mut sleeper = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        // Between fork and exec the command line is not yet `sleep`: wait for it.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut found = occupant(sleeper.id());
        while found == Occupant::Other(String::new()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            found = occupant(sleeper.id());
        }
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        assert!(
            matches!(found, Occupant::Other(ref cmd) if cmd.contains("sleep")),
            "{found:?}"
        );
    }

    #[test]
    fn a_finished_process_is_gone() {
        let mut child = Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        let _ = child.wait();
        assert_eq!(occupant(pid), Occupant::Gone);
        assert_eq!(occupant(0), Occupant::Gone);
    }
}
