//! Figures about this process, read from `/proc/self` when asked (never on the request
//! path): resident memory, CPU time and open file descriptors. Elsewhere than Linux they
//! are simply absent.

use serde::{Deserialize, Serialize};

/// Linux reports CPU time in clock ticks of `USER_HZ`, which the kernel ABI fixes at 100
/// on every architecture Rust targets (sysconf(_SC_CLK_TCK) returns it; no libc needed).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Process {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_fds: Option<u64>,
}

impl Process {
    pub fn read() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        Self {
            rss_bytes: status_kib(&status, "VmRSS:").map(|kib| kib * 1024),
            peak_rss_bytes: status_kib(&status, "VmHWM:").map(|kib| kib * 1024),
            cpu_seconds: cpu_seconds(&stat),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|entries| entries.count() as u64),
        }
    }
}

/// A `Name:   1234 kB` line of `/proc/self/status`.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// User plus system time from `/proc/self/stat` (fields 14 and 15, counted after the
/// parenthesised command name, which may itself contain spaces).
fn cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_from_status() {
        let status = "Name:\tccproxy\nVmHWM:\t    4096 kB\nVmRSS:\t    2004 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(2004));
        assert_eq!(status_kib(status, "VmHWM:"), Some(4096));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn reads_cpu_time_after_a_name_with_spaces() {
        let stat = "11478 (a b) R 11433 11433 6068 0 -1 4194304 96 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
        assert_eq!(cpu_seconds("garbage"), None);
    }

    #[test]
    fn this_process_has_memory() {
        if cfg!(target_os = "linux") {
            let process = Process::read();
            assert!(process.rss_bytes.is_some_and(|rss| rss > 0));
            assert!(process.cpu_seconds.is_some());
        }
    }
}
