//! The background servers' files under `~/.ccproxy/`, one pair per port (an instance): the
//! PID file `ccproxy-PORT.pid` (written by `start` only once the server answers; line 1 the
//! PID, line 2 the URL it listens on, so `kill $(head -1 ...)` works) and the log file
//! `ccproxy-PORT.log` (the server's stderr, rotated at start when larger than [`LOG_CAP`]).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Env;

/// A log file larger than this is moved to `ccproxy-PORT.log.1` (replacing it) at the next start.
pub const LOG_CAP: u64 = 10 * 1024 * 1024;

/// Where the background servers' files live.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
}

impl Paths {
    pub fn new(env: &Env) -> anyhow::Result<Self> {
        let home = env
            .get("HOME")
            .context("HOME is not set: cannot find ~/.ccproxy/")?;
        Ok(Self {
            dir: Path::new(home).join(".ccproxy"),
        })
    }

    pub fn default_config(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    /// The PID file of the instance on `port`.
    pub fn pid_file(&self, port: u16) -> PathBuf {
        self.dir.join(format!("ccproxy-{port}.pid"))
    }

    /// The log file of the instance on `port`.
    pub fn log_file(&self, port: u16) -> PathBuf {
        self.dir.join(format!("ccproxy-{port}.log"))
    }

    /// The ports that have a PID file, in order (whether or not their server still runs).
    pub fn recorded_ports(&self) -> Vec<u16> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut ports: Vec<u16> = entries
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                let name = name.to_str()?;
                name.strip_prefix("ccproxy-")?
                    .strip_suffix(".pid")?
                    .parse()
                    .ok()
            })
            .collect();
        ports.sort_unstable();
        ports
    }
}

/// What the PID file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidRecord {
    pub pid: u32,
    pub url: String,
}

/// The PID file's record; `None` when it is missing or unreadable (a garbled file is stale).
pub fn read_pid(path: &Path) -> Option<PidRecord> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let url = lines.next()?.trim().to_string();
    Some(PidRecord { pid, url })
}

pub fn write_pid(path: &Path, record: &PidRecord) -> anyhow::Result<()> {
    fs::write(path, format!("{}\n{}\n", record.pid, record.url))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Removes the PID file; a missing file is fine.
pub fn remove_pid(path: &Path) {
    let _ = fs::remove_file(path);
}

/// Moves the log aside when it is larger than `cap`; returns true if it did.
pub fn rotate_log(path: &Path, cap: u64) -> bool {
    let too_big = fs::metadata(path).is_ok_and(|m| m.len() > cap);
    too_big && fs::rename(path, path.with_extension("log.1")).is_ok()
}

/// The log's current length (where this run's lines will start).
pub fn log_len(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}

/// The warnings and errors logged after byte `from`, as their messages: from text lines
/// (`<time>  WARN <message>`) and JSON lines (`"level":"WARN"`, `"message"`).
pub fn log_warnings(path: &Path, from: u64) -> Vec<String> {
    log_tail(path, from, usize::MAX)
        .iter()
        .filter_map(|line| {
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(line) {
                let level = event["level"].as_str()?;
                return matches!(level, "WARN" | "ERROR")
                    .then(|| event["message"].as_str().map(str::to_string))
                    .flatten();
            }
            ["  WARN ", " ERROR "].iter().find_map(|marker| {
                line.split_once(marker)
                    .map(|(_, message)| message.trim().to_string())
            })
        })
        .collect()
}

/// The last `count` lines written to the log after byte `from`.
pub fn log_tail(path: &Path, from: u64, count: usize) -> Vec<String> {
    let mut text = String::new();
    let read = fs::File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(from))?;
        file.take(1024 * 1024).read_to_string(&mut text)
    });
    if read.is_err() {
        return Vec::new();
    }
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ccproxy-files-{}", fastrand::u64(..)));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn each_port_has_its_own_files_and_the_recorded_ports_are_listed() {
        let paths = Paths { dir: temp_dir() };
        assert!(paths.recorded_ports().is_empty());
        for port in [20034, 3456] {
            let record = PidRecord {
                pid: 7,
                url: format!("http://127.0.0.1:{port}"),
            };
            write_pid(&paths.pid_file(port), &record).expect("write");
        }
        fs::write(paths.dir.join("ccproxy-x.pid"), "1\n").expect("write");
        fs::write(paths.log_file(4000), "").expect("write");
        assert_eq!(paths.recorded_ports(), vec![3456, 20034]);
        assert_ne!(paths.log_file(3456), paths.log_file(20034));
        let _ = fs::remove_dir_all(paths.dir);
    }

    #[test]
    fn pid_file_round_trips_and_garbage_is_none() {
        let dir = temp_dir();
        let path = dir.join("ccproxy.pid");
        let record = PidRecord {
            pid: 42,
            url: "http://127.0.0.1:3456".into(),
        };
        write_pid(&path, &record).expect("write");
        assert_eq!(read_pid(&path), Some(record));
        fs::write(&path, "not a pid\n").expect("write");
        assert_eq!(read_pid(&path), None);
        remove_pid(&path);
        assert_eq!(read_pid(&path), None);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn log_rotates_past_the_cap_and_tail_reads_this_run_only() {
        let dir = temp_dir();
        let log = dir.join("ccproxy.log");
        fs::write(&log, "old 1\nold 2\n").expect("write");
        assert!(!rotate_log(&log, 100));
        let start = log_len(&log);
        fs::write(&log, "old 1\nold 2\nnew 1\nnew 2\nnew 3\n").expect("write");
        assert_eq!(log_tail(&log, start, 2), vec!["new 2", "new 3"]);
        fs::write(
            &log,
            "2026-11-30T10:00:00Z  INFO listening\n\
             2026-11-30T10:00:00Z  WARN no API key for provider 'groq'\n\
             {\"level\":\"WARN\",\"message\":\"as JSON\"}\n{\"level\":\"INFO\",\"message\":\"x\"}\n",
        )
        .expect("write");
        assert_eq!(
            log_warnings(&log, 0),
            vec!["no API key for provider 'groq'", "as JSON"]
        );
        assert!(rotate_log(&log, 10));
        assert!(!log.exists());
        assert!(dir.join("ccproxy.log.1").exists());
        let _ = fs::remove_dir_all(dir);
    }
}
