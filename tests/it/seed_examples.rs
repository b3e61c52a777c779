//! The error-handling examples that came with ccproxy's error contract (docs/errors.md) run
//! against ccproxy: the Python one (tests/seed/error_handling.py, unchanged but for the
//! `messages` placeholder) prints what it promises in its rate-limit and invalid-key branches, and the JavaScript one
//! (tests/seed/error_handling.mjs, unchanged) throws what it promises in its rate-limit and
//! provider-unavailable branches.
//!
//! The example posts to `http://localhost:3456`, a fixed port that parallel tests (and a
//! ccproxy the developer is running) cannot share. Rather than edit the example, the test
//! points `requests` at the test's proxy as an HTTP proxy (`HTTP_PROXY`): `requests` then
//! sends `POST http://localhost:3456/v1/messages` in absolute form to our listener, which
//! routes it by path like any other request.

use crate::common;

use common::{clients, env_config, MockUpstream, Proxy, Reply};
use serde_json::json;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seed/error_handling.py");
const JS_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seed/error_handling.mjs");

/// The script's output, or `None` when python3 with `requests` is not installed (a skip
/// with a notice, or a failure when `CCPROXY_REQUIRE_CLIENTS=1`, as in CI).
async fn run_example(proxy: &Proxy) -> Option<String> {
    let available = clients::answers("python3", &["-c", "import requests"]).await;
    if !clients::require_or_skip(
        "python3 with `requests` (python3 -m pip install requests)",
        available,
    ) {
        return None;
    }
    let via = format!("http://{}", proxy.addr);
    let mut command = tokio::process::Command::new("python3");
    command
        .arg(SCRIPT)
        .env("HTTP_PROXY", &via)
        .env("http_proxy", &via)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    Some(stdout_of(command).await)
}

/// Runs an example to its end; it must exit 0. Returns what it printed on stdout.
async fn stdout_of(mut command: tokio::process::Command) -> String {
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the example");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the example failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A proxy whose upstream answers the next request with a 429 and `retry-after: 60`.
async fn rate_limited() -> (MockUpstream, Proxy) {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        429,
        json!({"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}),
        &[("retry-after", "60")],
    ));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    (upstream, proxy)
}

#[tokio::test]
async fn python_example_reports_a_rate_limit_with_its_wait() {
    let (upstream, proxy) = rate_limited().await;
    let Some(output) = run_example(&proxy).await else {
        return;
    };
    assert_eq!(output, "Rate limited, retry after 60 seconds\n");
    assert_eq!(upstream.attempts(), 1);
}

#[tokio::test]
async fn python_example_reports_an_invalid_key() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::status(
        401,
        json!({"error": {"message": "Invalid API Key", "code": "invalid_api_key"}}),
    ));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let Some(output) = run_example(&proxy).await else {
        return;
    };
    assert_eq!(output, "Invalid API key, check configuration\n");
    assert_eq!(upstream.attempts(), 1);
}

/// The JavaScript example's stdout (the message of the error it threw), or `None` when Node
/// with `fetch` (18+) is not installed. The harness part of the script sends the example's
/// `http://localhost:3456` to this test's proxy (`CCPROXY_URL`).
async fn run_js_example(proxy: &Proxy) -> Option<String> {
    let available =
        clients::answers("node", &["-e", "if (!globalThis.fetch) process.exit(1)"]).await;
    if !clients::require_or_skip("Node.js 18+ with fetch (nodejs.org)", available) {
        return None;
    }
    let mut command = tokio::process::Command::new("node");
    command
        .arg(JS_SCRIPT)
        .env("CCPROXY_URL", format!("http://{}", proxy.addr));
    Some(stdout_of(command).await)
}

#[tokio::test]
async fn javascript_example_reports_a_rate_limit_with_its_wait() {
    let (upstream, proxy) = rate_limited().await;
    let Some(output) = run_js_example(&proxy).await else {
        return;
    };
    assert_eq!(output, "Rate limited, retry after 60s\n");
    assert_eq!(upstream.attempts(), 1);
}

#[tokio::test]
async fn javascript_example_reports_a_provider_that_is_unavailable() {
    let upstream = MockUpstream::start().await;
    for _ in 0..3 {
        upstream.push(Reply::status(
            503,
            json!({"error": {"message": "Service Unavailable", "type": "server_error"}}),
        ));
    }
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let Some(output) = run_js_example(&proxy).await else {
        return;
    };
    assert_eq!(output, "Provider temporarily unavailable\n");
}
