//! The real clients some tests drive (the `anthropic` Python SDK, Claude Code, Python's
//! `requests`, Chromium): whether one is usable, and what a test does when it is not. It
//! skips with a notice, unless `CCPROXY_REQUIRE_CLIENTS=1` (CI), which makes that a failure.
//! The notice is written to the process's stderr itself, past the test harness's capture,
//! so that `cargo test` shows it among the `ok` lines instead of hiding it.

use std::ffi::OsStr;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

/// How long a client has to answer an availability check (Node's start-up is the slowest).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// True when `available`. Otherwise panics when `CCPROXY_REQUIRE_CLIENTS=1`, or writes a
/// skip notice naming the test and `name` (what is missing and how to install it) where
/// `cargo test` shows it, and returns false.
pub fn require_or_skip(name: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        std::env::var("CCPROXY_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "CCPROXY_REQUIRE_CLIENTS=1 but {name} is not available"
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    // `io::stderr()` (unlike `eprintln!`) is not captured by the test harness.
    #[expect(
        clippy::disallowed_methods,
        reason = "the notice must reach cargo test's output, past the capture"
    )]
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {name} is not available (it passes without testing anything)"
    );
    false
}

/// Does `program args…` run and exit successfully within [`ANSWER_TIMEOUT`]? A half
/// installed client (a venv without its package, a broken `node_modules`) does not.
pub async fn answers(program: impl AsRef<OsStr>, args: &[&str]) -> bool {
    let status = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    matches!(
        tokio::time::timeout(ANSWER_TIMEOUT, status).await,
        Ok(Ok(status)) if status.success()
    )
}
