//! The real clients through the real proxy to a scripted upstream (OpenAI-compatible, and for
//! the SDK also Anthropic pass-through and Gemini): the
//! official `anthropic` Python SDK and the Claude Code CLI, as installed by
//! `scripts/install-clients.sh` into `target/clients/`. A missing or broken client skips its
//! test with a notice, unless `CCPROXY_REQUIRE_CLIENTS=1` (CI), which makes it a failure
//! (`common::clients`).

use crate::common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::team::{create_key, team_admin, team_config, TestStore};
use common::{clients, env_config, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

/// The client at `relative` (under target/clients) when it is installed and `check` (its
/// arguments) succeeds; `None` (skip) otherwise, or a failure when clients are required.
async fn installed(relative: &str, name: &str, check: &[&str]) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/clients")
        .join(relative);
    let available = path.exists() && clients::answers(&path, check).await;
    let name = format!(
        "{name} ({}; scripts/install-clients.sh installs it)",
        path.display()
    );
    clients::require_or_skip(&name, available).then_some(path)
}

/// The venv's Python, when the `anthropic` SDK imports in it.
pub(crate) async fn python_sdk() -> Option<PathBuf> {
    installed(
        "venv/bin/python",
        "the anthropic Python SDK",
        &["-c", "import anthropic"],
    )
    .await
}

pub(crate) fn chunk(delta: Value, finish: Option<&str>) -> Value {
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

pub(crate) fn usage(prompt: u64, completion: u64) -> Value {
    json!({"id": "chatcmpl-s", "choices": [],
           "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
}

/// Runs a client process with a bounded time; returns (status ok, stdout, stderr).
pub(crate) async fn run(mut command: tokio::process::Command) -> (bool, String, String) {
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
    let Some(python) = python_sdk().await else {
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
    run_sdk_script(python, &proxy).await;

    let received = upstream.requests();
    assert_eq!(received.len(), 6);
    let third = received[2].json();
    assert_eq!(
        third["messages"][2],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"})
    );
    assert_eq!(received[3].json()["stream"], true);
}

/// Runs tests/clients/sdk_roundtrip.py against `proxy`; it must print `sdk ok`.
async fn run_sdk_script(python: PathBuf, proxy: &Proxy) {
    run_python_script(python, proxy, "sdk_roundtrip.py").await;
}

/// Runs tests/clients/`name` against `proxy`; it must print `sdk ok`.
pub(crate) async fn run_python_script(python: PathBuf, proxy: &Proxy, name: &str) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name);
    let mut command = tokio::process::Command::new(python);
    command.arg(script).env("CCPROXY_URL", proxy.url(""));
    let (ok, stdout, stderr) = run(command).await;
    assert!(ok, "the SDK script failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("sdk ok"), "{stdout}");
}

/// A proxy whose default provider is `kind` (`anthropic` or `gemini`) at `upstream`.
async fn native_proxy(kind: &str, upstream: &MockUpstream) -> Proxy {
    let prefix = kind.to_ascii_uppercase();
    let base_url = upstream.base_url();
    let (base, model, key) = (
        format!("{prefix}_BASE_URL"),
        format!("{prefix}_MODEL"),
        format!("{prefix}_API_KEY"),
    );
    let config = common::config_from_env(&[
        ("PROVIDER", kind),
        (base.as_str(), base_url.as_str()),
        (model.as_str(), "claude-sonnet-4-5"),
        (key.as_str(), common::PROVIDER_KEY),
    ]);
    Proxy::start(config).await
}

fn sse_events(events: &[(&str, Value)]) -> Reply {
    let text: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    Reply::Sse {
        chunks: vec![text.into_bytes()],
        pause: Duration::ZERO,
    }
}

fn anthropic_message(content: Value, stop: &str, input: u64, output: u64) -> Reply {
    Reply::json(
        json!({"id": "msg_01ABC", "type": "message", "role": "assistant",
        "content": content, "model": "claude-sonnet-4-5", "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": output}}),
    )
}

fn anthropic_start(input: u64) -> (&'static str, Value) {
    (
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_01S", "type": "message",
        "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null,
        "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": 1}}}),
    )
}

fn block(index: usize, start: Value, deltas: &[Value]) -> Vec<(&'static str, Value)> {
    let mut events = vec![(
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": start}),
    )];
    for delta in deltas {
        events.push((
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        ));
    }
    events.push((
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    ));
    events
}

fn anthropic_end(stop: &str, output: u64) -> Vec<(&'static str, Value)> {
    vec![
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": output}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]
}

#[tokio::test]
async fn python_sdk_through_the_anthropic_pass_through() {
    let Some(python) = python_sdk().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    upstream.push(anthropic_message(
        json!([{"type": "text", "text": "Hello from ccproxy"}]),
        "end_turn",
        11,
        2,
    ));
    upstream.push(anthropic_message(
        json!([{"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}]),
        "tool_use", 30, 8,
    ));
    upstream.push(anthropic_message(
        json!([{"type": "thinking", "thinking": "The tool said sunny.", "signature": "EqQB"},
               {"type": "text", "text": "It is sunny in Paris."}]),
        "end_turn",
        40,
        12,
    ));
    let mut stream = vec![anthropic_start(20)];
    stream.extend(block(
        0,
        json!({"type": "thinking", "thinking": "", "signature": ""}),
        &[
            json!({"type": "thinking_delta", "thinking": "Six times "}),
            json!({"type": "thinking_delta", "thinking": "seven."}),
            json!({"type": "signature_delta", "signature": "EqQB"}),
        ],
    ));
    stream.extend(block(
        1,
        json!({"type": "text", "text": ""}),
        &[
            json!({"type": "text_delta", "text": "The answer "}),
            json!({"type": "text_delta", "text": "is 42."}),
        ],
    ));
    stream.extend(anthropic_end("end_turn", 9));
    upstream.push(sse_events(&stream));
    let mut stream = vec![anthropic_start(25)];
    for (index, (id, name)) in [("toolu_01W", "get_weather"), ("toolu_01T", "get_time")]
        .iter()
        .enumerate()
    {
        stream.extend(block(
            index,
            json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
            &[json!({"type": "input_json_delta", "partial_json": "{\"city\": \"Oslo\"}"})],
        ));
    }
    stream.extend(anthropic_end("tool_use", 30));
    upstream.push(sse_events(&stream));
    let mut stream = vec![anthropic_start(5)];
    stream.push((
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    upstream.push(sse_events(&stream));
    let proxy = native_proxy("anthropic", &upstream).await;
    run_sdk_script(python, &proxy).await;
    let received = upstream.requests();
    assert_eq!(received.len(), 6);
    assert!(received
        .iter()
        .all(|r| r.headers["x-api-key"] == common::PROVIDER_KEY));
    assert_eq!(
        received[2].json()["messages"][2]["content"][0]["tool_use_id"],
        "toolu_01A"
    );
}

fn gemini_answer(parts: Value, prompt: u64, candidates: u64) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
           "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": candidates}})
}

fn gemini_stream(chunks: &[Value]) -> Reply {
    Reply::Sse {
        chunks: chunks
            .iter()
            .map(|c| format!("data: {c}\r\n\r\n").into_bytes())
            .collect(),
        pause: Duration::ZERO,
    }
}

fn gemini_parts(parts: Value) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}}], "usageMetadata": {"promptTokenCount": 20}})
}

#[tokio::test]
async fn python_sdk_through_gemini() {
    let Some(python) = python_sdk().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(gemini_answer(
        json!([{"text": "Hello from ccproxy"}]),
        11,
        2,
    )));
    upstream.push(Reply::json(gemini_answer(
        json!([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2lnbmF0dXJlKy8="}]),
        30, 8,
    )));
    upstream.push(Reply::json(gemini_answer(
        json!([{"text": "The tool said sunny.", "thought": true}, {"text": "It is sunny in Paris."}]),
        40, 12,
    )));
    upstream.push(gemini_stream(&[
        gemini_parts(json!([{"text": "Six times ", "thought": true}])),
        gemini_parts(json!([{"text": "seven.", "thought": true}])),
        gemini_parts(json!([{"text": "The answer "}])),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "is 42."}]}, "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 5, "thoughtsTokenCount": 4}}),
    ]));
    upstream.push(gemini_stream(&[json!({"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}, "thoughtSignature": "c2ln"},
        {"functionCall": {"name": "get_time", "args": {"city": "Oslo"}}}]}, "finishReason": "STOP"}]})]));
    upstream.push(gemini_stream(&[
        gemini_parts(json!([{"text": "Par"}])),
        json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}),
    ]));
    let proxy = native_proxy("gemini", &upstream).await;
    run_sdk_script(python, &proxy).await;
    let received = upstream.requests();
    assert_eq!(received.len(), 6);
    let third = received[2].json();
    assert_eq!(
        third["contents"][1]["parts"][0]["thoughtSignature"], "c2lnbmF0dXJlKy8=",
        "the signature went back with the call"
    );
    assert_eq!(
        third["contents"][2]["parts"][0]["functionResponse"],
        json!({"name": "get_weather", "response": {"output": "18 C, sunny"}})
    );
}

/// The Claude Code CLI, when it is installed and answers `--version`.
pub(crate) async fn claude_code() -> Option<PathBuf> {
    installed(
        "node/node_modules/.bin/claude",
        "Claude Code",
        &["--version"],
    )
    .await
}

/// `claude` in print mode against `proxy`, with a fresh HOME and working directory (removed
/// by the caller through the returned paths), no retries and no other traffic.
pub(crate) fn claude_command(
    claude: &PathBuf,
    proxy: &Proxy,
    prompt: &str,
) -> (tokio::process::Command, [PathBuf; 2]) {
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
        .args(["-p", prompt]);
    (command, [home, work])
}

/// Claude Code (Bash allowed, three turns at most) asked through `proxy` to run an echo
/// command and say what it printed: it must succeed and report `token`.
pub(crate) async fn claude_reports_echo(claude: &PathBuf, proxy: &Proxy, token: &str) {
    let (mut command, dirs) = claude_command(
        claude,
        proxy,
        "Run the echo command and tell me what it printed.",
    );
    command.args([
        "--allowedTools",
        "Bash",
        "--max-turns",
        "3",
        "--output-format",
        "json",
    ]);
    let (ok, stdout, stderr) = run(command).await;
    dirs.iter()
        .for_each(|dir| drop(std::fs::remove_dir_all(dir)));
    assert!(ok, "claude failed:\n{stdout}\n{stderr}");
    let result: Value = serde_json::from_str(stdout.trim()).expect("claude printed JSON");
    assert_eq!(result["is_error"], false, "{result}");
    assert!(
        result["result"].as_str().is_some_and(|r| r.contains(token)),
        "{result}"
    );
}

/// Claude Code (Bash allowed, three turns at most) asked to run an echo command, through
/// the proxy to an upstream whose first turn is `first_turn` (a call of `echo {token}`) and
/// whose second reports the token. Claude must succeed and report it; both turns must be
/// streamed; the second request must carry the call and its result, paired. Returns the
/// call's id as the upstream saw it.
async fn claude_runs_echo(claude: &PathBuf, first_turn: &[Value], token: &str) -> String {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(first_turn));
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
    claude_reports_echo(claude, &proxy, token).await;

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
    assert_eq!(call["tool_calls"][0]["function"]["name"], "Bash");
    let id = call["tool_calls"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let result = messages
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("the tool result is sent back");
    assert_eq!(result["tool_call_id"], id.as_str());
    assert!(
        result["content"]
            .as_str()
            .is_some_and(|c| c.contains(token)),
        "{result}"
    );
    id
}

#[tokio::test]
async fn claude_code_runs_a_bash_tool_loop_through_the_proxy() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let token = format!("ccproxy-tool-ok-{}", fastrand::u32(..));
    let arguments =
        json!({"command": format!("echo {token}"), "description": "Print the token"}).to_string();
    let (head, tail) = arguments.split_at(arguments.len() / 2);
    let first_turn = [
        chunk(json!({"role": "assistant", "content": "Running it."}), None),
        tool_chunk(0, Some("functions.Bash:0"), Some("Bash"), ""),
        tool_chunk(0, None, None, head),
        tool_chunk(0, None, None, tail),
        chunk(json!({}), Some("tool_calls")),
        usage(900, 20),
    ];
    let id = claude_runs_echo(&claude, &first_turn, &token).await;
    assert_eq!(id, "functions_Bash_0");
}

#[tokio::test]
async fn claude_code_runs_a_bash_tool_loop_through_a_model_that_writes_tool_calls_as_text() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let token = format!("ccproxy-text-call-{}", fastrand::u32(..));
    // The model makes no native tool calls: it thinks in <think> tags, writes a Hermes
    // <tool_call> block into its text, split across chunks, and stops with "stop".
    let call = format!(
        "<tool_call>\n{}\n</tool_call>",
        json!({"name": "Bash", "arguments": {"command": format!("echo {token}"),
                                             "description": "Print the token"}})
    );
    let (head, tail) = call.split_at(call.len() / 3);
    let first_turn = [
        chunk(
            json!({"role": "assistant", "content": "<think>Run it.</think>\nRunning it.\n"}),
            None,
        ),
        chunk(json!({"content": head}), None),
        chunk(json!({"content": tail}), None),
        chunk(json!({}), Some("stop")),
        usage(900, 20),
    ];
    let id = claude_runs_echo(&claude, &first_turn, &token).await;
    assert!(id.starts_with("toolu_"), "{id}");
}

#[tokio::test]
async fn claude_code_shows_a_spend_limit_and_stops() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;
    let key = create_key(&proxy, json!({"name": "judy"})).await;
    let cap = json!({"scope": {"type": "organization"}, "amount": "0", "period": "monthly"});
    let (status, _) = team_admin(
        &proxy,
        reqwest::Method::POST,
        "/v1/organizations/spend_limits",
        Some(cap),
    )
    .await;
    assert_eq!(status, 200);
    let (mut command, dirs) = claude_command(&claude, &proxy, "Say hello.");
    // The developer's key, and Claude Code's own retry policy: it must not retry the refusal.
    command
        .env("ANTHROPIC_AUTH_TOKEN", &key)
        .env_remove("CLAUDE_CODE_MAX_RETRIES");
    let started = std::time::Instant::now();
    let (ok, stdout, stderr) = run(command).await;
    dirs.iter()
        .for_each(|dir| drop(std::fs::remove_dir_all(dir)));
    let shown = format!("{stdout}{stderr}");
    assert!(!ok, "claude must fail: {shown}");
    assert!(
        shown.contains("Spend limit exceeded"),
        "the message is shown: {shown}"
    );
    assert!(
        !shown.to_lowercase().contains("login"),
        "no login screen: {shown}"
    );
    let stats = common::get_json(&proxy, "/stats").await;
    let refused = &stats["performance"]["requests"]["by_error"]["spend_limit_exceeded"];
    assert!(
        refused.as_u64().is_some_and(|n| (1..=2).contains(&n)),
        "not retried: {stats}"
    );
    assert!(upstream.requests().is_empty());
    assert!(started.elapsed() < CLIENT_TIMEOUT);
}

/// A fresh directory under the system temp dir.
pub(crate) fn tempdir(what: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ccproxy-{what}-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&path).expect("temp dir");
    path
}
