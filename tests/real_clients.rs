//! The real clients through the real proxy to a scripted OpenAI-compatible upstream: the
//! official `anthropic` Python SDK and the Claude Code CLI, as installed by
//! `scripts/install-clients.sh` into `target/clients/`. A missing client skips its test
//! with a notice, unless `CCPROXY_REQUIRE_CLIENTS=1` (CI), which makes it a failure.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::{env_config, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

/// The client at `relative` (under target/clients), or `None` when it is not installed
/// and not required.
fn installed(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/clients")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CCPROXY_REQUIRE_CLIENTS").as_deref() == Ok("1") {
        panic!(
            "{} is missing; run scripts/install-clients.sh",
            path.display()
        );
    }
    skip_notice(&path);
    None
}

#[expect(clippy::print_stderr, reason = "a skipped test says why")]
fn skip_notice(path: &std::path::Path) {
    eprintln!(
        "SKIPPED: {} is not installed (scripts/install-clients.sh installs it)",
        path.display()
    );
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": "mock-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn tool_chunk(index: usize, id: Option<&str>, name: Option<&str>, arguments: &str) -> Value {
    let mut call = json!({"index": index, "function": {"arguments": arguments}});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
        call["function"]["name"] = json!(name);
    }
    chunk(json!({"tool_calls": [call]}), None)
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"id": "chatcmpl-s", "choices": [],
           "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
}

/// Runs a client process with a bounded time; returns (status ok, stdout, stderr).
async fn run(mut command: tokio::process::Command) -> (bool, String, String) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().expect("client starts");
    let output = tokio::time::timeout(CLIENT_TIMEOUT, child.wait_with_output())
        .await
        .expect("client finished in time")
        .expect("client output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn python_sdk_create_and_stream_through_the_proxy() {
    let Some(python) = installed("venv/bin/python") else {
        return;
    };
    let upstream = MockUpstream::start().await;
    // 1. text
    upstream.push(Reply::completion("Hello from ccproxy"));
    // 2. a tool call with single quotes and a trailing comma
    upstream.push(Reply::json(json!({
        "id": "chatcmpl-2", "model": "mock-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "call:1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{'city': 'Paris',}"}}]}}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 8}
    })));
    // 3. reasoning + text after the tool result
    upstream.push(Reply::json(json!({
        "id": "chatcmpl-3", "model": "mock-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
            "reasoning_content": "The tool said sunny.", "content": "It is sunny in Paris."}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 12}
    })));
    // 4. streamed reasoning then text
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"reasoning_content": "Six times "}), None),
        chunk(json!({"reasoning_content": "seven."}), None),
        chunk(json!({"content": "The answer "}), None),
        chunk(json!({"content": "is 42."}), None),
        chunk(json!({}), Some("stop")),
        usage(20, 9),
    ]));
    // 5. streamed parallel tool calls, interleaved
    upstream.push(Reply::openai_stream(&[
        tool_chunk(0, Some("call_a"), Some("get_weather"), "{\"city\": "),
        tool_chunk(1, Some("call_b"), Some("get_time"), "{\"city\": \"Os"),
        tool_chunk(0, None, None, "\"Oslo\"}"),
        tool_chunk(1, None, None, "lo\"}"),
        chunk(json!({}), Some("tool_calls")),
    ]));
    // 6. a failure after the stream started
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"content": "Par"}), None),
        json!({"error": {"message": "Overloaded", "code": 529}}),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sdk_roundtrip.py");
    let mut command = tokio::process::Command::new(python);
    command.arg(script).env("CCPROXY_URL", proxy.url(""));
    let (ok, stdout, stderr) = run(command).await;
    assert!(ok, "the SDK script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("sdk ok"), "{stdout}");

    let received = upstream.requests();
    assert_eq!(received.len(), 6);
    let third = received[2].json();
    assert_eq!(
        third["messages"][2],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"})
    );
    assert_eq!(received[3].json()["stream"], true);
}

#[tokio::test]
async fn claude_code_runs_a_bash_tool_loop_through_the_proxy() {
    let Some(claude) = installed("node/node_modules/.bin/claude") else {
        return;
    };
    let token = format!("ccproxy-tool-ok-{}", fastrand::u32(..));
    let upstream = MockUpstream::start().await;
    let arguments =
        json!({"command": format!("echo {token}"), "description": "Print the token"}).to_string();
    let (head, tail) = arguments.split_at(arguments.len() / 2);
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": "Running it."}), None),
        tool_chunk(0, Some("functions.Bash:0"), Some("Bash"), ""),
        tool_chunk(0, None, None, head),
        tool_chunk(0, None, None, tail),
        chunk(json!({}), Some("tool_calls")),
        usage(900, 20),
    ]));
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(
            json!({"content": format!("The command printed {token}.")}),
            None,
        ),
        chunk(json!({}), Some("stop")),
        usage(950, 10),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let home = tempdir("home");
    let work = tempdir("work");
    let mut command = tokio::process::Command::new(claude);
    command
        .current_dir(&work)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &home)
        .env("ANTHROPIC_BASE_URL", proxy.url(""))
        .env("ANTHROPIC_AUTH_TOKEN", "ccproxy-test")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "0")
        .env("CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .args(["-p", "Run the echo command and tell me what it printed."])
        .args([
            "--allowedTools",
            "Bash",
            "--max-turns",
            "3",
            "--output-format",
            "json",
        ]);
    let (ok, stdout, stderr) = run(command).await;
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&work);
    assert!(ok, "claude failed:\n{stdout}\n{stderr}");
    let result: Value = serde_json::from_str(stdout.trim()).expect("claude printed JSON");
    assert_eq!(result["is_error"], false, "{result}");
    assert!(
        result["result"]
            .as_str()
            .is_some_and(|r| r.contains(&token)),
        "{result}"
    );

    let received = upstream.requests();
    assert_eq!(received.len(), 2, "one request per turn");
    assert!(
        received.iter().all(|r| r.json()["stream"] == true),
        "never the non-streaming fallback"
    );
    let second = received[1].json();
    let messages = second["messages"].as_array().expect("messages");
    let call = messages
        .iter()
        .find(|m| m["role"] == "assistant" && m["tool_calls"].is_array())
        .expect("the tool call is in the history");
    assert_eq!(call["tool_calls"][0]["id"], "functions_Bash_0");
    assert_eq!(call["tool_calls"][0]["function"]["name"], "Bash");
    let result = messages
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("the tool result is sent back");
    assert_eq!(result["tool_call_id"], "functions_Bash_0");
    assert!(
        result["content"]
            .as_str()
            .is_some_and(|c| c.contains(&token)),
        "{result}"
    );
}

/// A fresh directory under the system temp dir.
fn tempdir(what: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ccproxy-{what}-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&path).expect("temp dir");
    path
}
