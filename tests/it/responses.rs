//! The OpenAI Responses API as an upstream: a scripted `/responses` server that follows
//! OpenAI's documented shapes (the response object and the streaming event grammar of
//! platform.openai.com/docs/api-reference/responses), driven by the official `anthropic`
//! Python SDK, Claude Code, and plain HTTP for the routing and the errors.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{self, client, MockUpstream, Proxy, Reply};
use crate::real_clients::{claude_code, claude_reports_echo, python_sdk, run_python_script};

/// A proxy whose default provider is the built-in `openai-responses`, moved to `upstream`.
async fn responses_proxy(upstream: &MockUpstream) -> Proxy {
    let base_url = upstream.base_url();
    Proxy::start(common::config_from_env(&[
        ("PROVIDER", "openai-responses"),
        ("OPENAI_RESPONSES_BASE_URL", base_url.as_str()),
        ("OPENAI_API_KEY", common::PROVIDER_KEY),
    ]))
    .await
}

/// A non-streamed response object.
fn response(output: Value, input: u64, cached: u64, output_tokens: u64) -> Reply {
    Reply::json(json!({
        "id": "resp_1", "object": "response", "created_at": 1, "status": "completed",
        "model": "gpt-5.3-codex", "output": output,
        "usage": {"input_tokens": input, "input_tokens_details": {"cached_tokens": cached},
                  "output_tokens": output_tokens,
                  "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": input + output_tokens}
    }))
}

fn message(text: &str) -> Value {
    json!({"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
           "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn reasoning(id: &str, summary: &str, encrypted: &str) -> Value {
    json!({"type": "reasoning", "id": id, "encrypted_content": encrypted,
           "summary": [{"type": "summary_text", "text": summary}]})
}

fn call(call_id: &str, name: &str, arguments: &str) -> Value {
    json!({"type": "function_call", "id": "fc_1", "call_id": call_id, "name": name,
           "arguments": arguments, "status": "completed"})
}

/// A stream of events, each written as `event: <type>` and `data: <event>` with its
/// `sequence_number`, as OpenAI sends them.
fn stream(events: &[Value]) -> Reply {
    let text: String = events
        .iter()
        .enumerate()
        .map(|(number, event)| {
            let mut event = event.clone();
            event["sequence_number"] = json!(number);
            let name = event["type"].as_str().expect("type").to_string();
            format!("event: {name}\ndata: {event}\n\n")
        })
        .collect();
    Reply::Sse {
        chunks: vec![text.into_bytes()],
        pause: Duration::ZERO,
    }
}

fn lifecycle(kind: &str, status: &str, extra: Value) -> Value {
    let mut response = json!({"id": "resp_s", "object": "response", "status": status,
                              "model": "gpt-5.3-codex", "output": [], "usage": null});
    if let (Some(fields), Value::Object(more)) = (response.as_object_mut(), extra) {
        fields.extend(more);
    }
    json!({"type": kind, "response": response})
}

fn added(index: usize, item: Value) -> Value {
    json!({"type": "response.output_item.added", "output_index": index, "item": item})
}

fn done(index: usize, item: Value) -> Value {
    json!({"type": "response.output_item.done", "output_index": index, "item": item})
}

fn text_delta(index: usize, delta: &str) -> Value {
    json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": index,
           "content_index": 0, "delta": delta})
}

fn summary_delta(index: usize, delta: &str) -> Value {
    json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_x",
           "output_index": index, "summary_index": 0, "delta": delta})
}

fn args_delta(index: usize, delta: &str) -> Value {
    json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1",
           "output_index": index, "delta": delta})
}

fn completed(input: u64, output: u64) -> Value {
    lifecycle(
        "response.completed",
        "completed",
        json!({"usage": {"input_tokens": input, "input_tokens_details": {"cached_tokens": 0},
                         "output_tokens": output, "total_tokens": input + output}}),
    )
}

/// A streamed turn: reasoning (summary and encrypted content), then text.
fn reasoned_text(id: &str, summary: &str, encrypted: &str, text: &[&str]) -> Vec<Value> {
    let mut events = vec![
        lifecycle("response.created", "in_progress", json!({})),
        lifecycle("response.in_progress", "in_progress", json!({})),
        added(0, json!({"type": "reasoning", "id": id, "summary": []})),
        json!({"type": "response.reasoning_summary_part.added", "item_id": id,
               "output_index": 0, "summary_index": 0,
               "part": {"type": "summary_text", "text": ""}}),
        summary_delta(0, summary),
        done(0, reasoning(id, summary, encrypted)),
        added(
            1,
            json!({"type": "message", "id": "msg_1", "status": "in_progress",
                        "role": "assistant", "content": []}),
        ),
    ];
    events.extend(text.iter().map(|piece| text_delta(1, piece)));
    events.push(done(1, message(&text.concat())));
    events
}

#[tokio::test]
async fn python_sdk_through_the_responses_api() {
    let Some(python) = python_sdk().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    // 1. text
    upstream.push(response(json!([message("Hello from Responses")]), 15, 4, 2));
    // 2. reasoning and a tool call
    upstream.push(response(
        json!([
            reasoning("rs_1", "I need the weather.", "enc-1"),
            call("call_1", "get_weather", "{\"city\": \"Paris\"}")
        ]),
        30,
        0,
        8,
    ));
    // 3. after the tool result
    upstream.push(response(
        json!([message("It is sunny in Paris.")]),
        40,
        0,
        6,
    ));
    // 4. streamed reasoning, then text
    let mut events = reasoned_text(
        "rs_2",
        "Six times seven.",
        "enc-2",
        &["The answer ", "is 42."],
    );
    events.push(completed(20, 9));
    upstream.push(stream(&events));
    // 5. rate limited
    upstream.push(Reply::error(
        429,
        json!({"error": {"message": "Rate limit reached for gpt-5.3-codex", "type": "requests",
                         "param": null, "code": "rate_limit_exceeded"}}),
        &[("retry-after", "7")],
    ));
    // 6. failed before any output item
    upstream.push(stream(&[
        lifecycle("response.created", "in_progress", json!({})),
        lifecycle("response.in_progress", "in_progress", json!({})),
        lifecycle(
            "response.failed",
            "failed",
            json!({"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached"}}),
        ),
    ]));
    // 7. failed after text
    upstream.push(stream(&[
        lifecycle("response.created", "in_progress", json!({})),
        added(
            0,
            json!({"type": "message", "id": "msg_1", "role": "assistant", "content": []}),
        ),
        text_delta(0, "Par"),
        lifecycle(
            "response.failed",
            "failed",
            json!({"error": {"code": "server_error", "message": "The model crashed"}}),
        ),
    ]));
    let proxy = responses_proxy(&upstream).await;
    run_python_script(python, &proxy, "sdk_responses.py").await;

    let received = upstream.requests();
    assert_eq!(received.len(), 7);
    for request in &received {
        assert!(request.uri.ends_with("/v1/responses"), "{}", request.uri);
        let auth = request.headers["authorization"].to_str().expect("ascii");
        assert_eq!(auth, format!("Bearer {}", common::PROVIDER_KEY));
        let body = request.json();
        assert_eq!(body["store"], false);
        assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    }
    let second = received[1].json();
    assert_eq!(second["tools"][0]["strict"], true, "{second}");
    assert_eq!(
        second["reasoning"],
        json!({"effort": "low", "summary": "auto"})
    );
    // The reasoning item goes back in its place, right before the call it led to.
    let third = received[2].json();
    assert_eq!(
        third["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
            {"type": "reasoning", "id": "rs_1", "encrypted_content": "enc-1",
             "summary": [{"type": "summary_text", "text": "I need the weather."}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "18 C, sunny"}
        ])
    );
    assert_eq!(received[3].json()["stream"], true);
}

#[tokio::test]
async fn claude_code_runs_a_bash_tool_loop_on_a_responses_model() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let token = format!("ccproxy-responses-ok-{}", fastrand::u32(..));
    let arguments =
        json!({"command": format!("echo {token}"), "description": "Print the token"}).to_string();
    let (head, tail) = arguments.split_at(arguments.len() / 2);
    let upstream = MockUpstream::start().await;
    let mut first = reasoned_text("rs_cc", "Run the command.", "enc-cc", &["Running it."]);
    first.extend([
        added(2, call("call_cc", "Bash", "")),
        args_delta(2, head),
        args_delta(2, tail),
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1",
               "output_index": 2, "arguments": arguments}),
        done(2, call("call_cc", "Bash", &arguments)),
        completed(900, 20),
    ]);
    upstream.push(stream(&first));
    let mut second = reasoned_text(
        "rs_cc2",
        "It printed the token.",
        "enc-cc2",
        &[&format!("The command printed {token}.")],
    );
    second.push(completed(950, 10));
    upstream.push(stream(&second));
    let proxy = responses_proxy(&upstream).await;
    claude_reports_echo(&claude, &proxy, &token).await;

    let received = upstream.requests();
    assert_eq!(received.len(), 2, "one request per turn");
    let (first, second) = (received[0].json(), received[1].json());
    for body in [&first, &second] {
        assert_eq!(body["stream"], true);
        assert_eq!(body["model"], "gpt-5.3-codex");
        assert!(body["instructions"].is_string(), "the system prompt");
        let tools = body["tools"].as_array().expect("tools");
        assert!(tools.iter().all(|t| t["strict"].is_boolean()), "{tools:?}");
    }
    let key = first["prompt_cache_key"].as_str().expect("a cache key");
    assert_eq!(second["prompt_cache_key"], key, "stable within the session");
    let input = second["input"].as_array().expect("input");
    let position = |kind: &str| {
        input
            .iter()
            .position(|item| item["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} item in {input:?}"))
    };
    let (thought, called, answered) = (
        position("reasoning"),
        position("function_call"),
        position("function_call_output"),
    );
    assert!(thought < called && called < answered, "{input:?}");
    assert_eq!(input[thought]["encrypted_content"], "enc-cc");
    assert_eq!(input[called]["call_id"], "call_cc");
    assert_eq!(input[answered]["call_id"], "call_cc");
    assert!(input[answered]["output"]
        .as_str()
        .is_some_and(|o| o.contains(&token)));
}

/// `PROVIDER=openai` with `OPENAI_MODEL=<model>`, at `upstream`.
async fn openai_proxy(upstream: &MockUpstream, model: &str) -> Proxy {
    let base_url = upstream.base_url();
    Proxy::start(common::config_from_env(&[
        ("PROVIDER", "openai"),
        ("OPENAI_BASE_URL", base_url.as_str()),
        ("OPENAI_MODEL", model),
        ("OPENAI_API_KEY", common::PROVIDER_KEY),
    ]))
    .await
}

#[tokio::test]
async fn codex_models_on_the_built_in_openai_provider_go_to_responses() {
    let upstream = MockUpstream::start().await;
    upstream.push(response(json!([message("from responses")]), 5, 0, 1));
    upstream.push(Reply::completion("from chat"));
    let codex = openai_proxy(&upstream, "gpt-5.3-codex").await;
    let answer: Value = common::post_messages(&codex, &common::hello())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["content"][0]["text"], "from responses");
    let chat = openai_proxy(&upstream, "gpt-5.6-terra").await;
    let answer: Value = common::post_messages(&chat, &common::hello())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["content"][0]["text"], "from chat");
    let paths: Vec<String> = upstream.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(paths, ["/v1/responses", "/v1/chat/completions"]);
}

#[tokio::test]
async fn responses_errors_map_into_the_catalog_with_the_provider_named() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        400,
        json!({"error": {"message": "Unsupported parameter: 'temperature' is not supported with this model.",
                         "type": "invalid_request_error", "param": "temperature",
                         "code": "unsupported_parameter"}}),
        &[],
    ));
    upstream.push(Reply::error(
        400,
        json!({"error": {"message": "Your input exceeds the context window of this model. Please adjust your input and try again.",
                         "type": "invalid_request_error", "param": "input",
                         "code": "context_length_exceeded"}}),
        &[],
    ));
    let proxy = responses_proxy(&upstream).await;
    let rejected = common::post_messages(&proxy, &common::hello()).await;
    assert_eq!(rejected.status(), 400);
    let body: Value = rejected.json().await.expect("JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let text = body.to_string();
    assert!(
        text.contains("openai-responses") && text.contains("temperature"),
        "{text}"
    );
    let overflow = common::post_messages(&proxy, &common::hello()).await;
    assert_eq!(overflow.status(), 400);
    let body: Value = overflow.json().await.expect("JSON");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("prompt is too long")),
        "{body}"
    );
    assert!(!body.to_string().contains(common::PROVIDER_KEY));
}

#[tokio::test]
async fn count_tokens_asks_the_responses_input_token_counter() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(
        json!({"object": "response.input_tokens", "input_tokens": 1234}),
    ));
    let proxy = responses_proxy(&upstream).await;
    let counted: Value = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .json(&common::hello())
        .send()
        .await
        .expect("count_tokens")
        .json()
        .await
        .expect("JSON");
    assert_eq!(counted["input_tokens"], 1234);
    let request = &upstream.requests()[0];
    assert_eq!(request.uri, "/v1/responses/input_tokens");
    let body = request.json();
    assert_eq!(body["model"], "gpt-5.3-codex");
    assert!(
        body.get("stream").is_none() && body.get("store").is_none(),
        "{body}"
    );
}
