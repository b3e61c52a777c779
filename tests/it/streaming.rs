//! Streaming end to end: the real proxy between a client and a scripted OpenAI-compatible
//! upstream that writes its SSE bytes exactly as scripted.

use crate::common;

use std::time::Duration;

use common::anthropic_sse;
use common::{client, env_config, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

fn streaming_request() -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
           "messages": [{"role": "user", "content": "Say hi"}]})
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// The response's SSE events as (event name, data), each stream grammar-checked.
async fn events(response: reqwest::Response) -> Vec<(String, Value)> {
    let events = anthropic_sse::events(&response.bytes().await.expect("body"));
    anthropic_sse::check_grammar(&events);
    events
        .into_iter()
        .map(|data| (data["type"].as_str().unwrap_or_default().to_string(), data))
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

#[tokio::test]
async fn a_stream_split_anywhere_arrives_as_anthropic_events() {
    let upstream = MockUpstream::start().await;
    let wire = [
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Grüße 😀"}), None),
        chunk(json!({}), Some("stop")),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}}),
    ]
    .iter()
    .map(|c| format!("data: {c}\r\n\r\n"))
    .collect::<String>()
        + ": comment\n\ndata: [DONE]\n\n";
    // Split every 7 bytes: mid-line, mid-CRLF and mid-UTF-8.
    let chunks = wire.as_bytes().chunks(7).map(<[u8]>::to_vec).collect();
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::from_millis(1),
    });
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = common::post_messages(&proxy, &streaming_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    assert_eq!(response.headers()["x-ccproxy-provider"], "mock");
    let events = events(response).await;
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(events[2].1["delta"]["text"], "Grüße 😀");
    assert_eq!(
        events[4].1["usage"],
        json!({"input_tokens": 9, "output_tokens": 4})
    );
    let sent = upstream.requests()[0].json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn an_upstream_failure_before_the_first_chunk_is_an_http_error() {
    let upstream = MockUpstream::start().await;
    // A 400 is not retried, so the client gets it as it is.
    upstream.push(Reply::status(
        400,
        json!({"error": {"message": "bad tool schema", "type": "invalid_request_error"}}),
    ));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = common::post_messages(&proxy, &streaming_request()).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("bad tool schema")));
}

#[tokio::test]
async fn an_error_as_the_first_chunk_is_an_http_error() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        json!({"error": {"message": "Overloaded", "code": 503}}),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = common::post_messages(&proxy, &streaming_request()).await;
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn an_error_chunk_after_the_start_ends_the_stream_with_an_error_event() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"content": "partial"}), None),
        json!({"error": {"message": "Provider returned error", "code": 502}}),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = common::post_messages(&proxy, &streaming_request()).await;
    assert_eq!(response.status(), 200);
    let events = events(response).await;
    let (name, data) = events.last().expect("events");
    assert_eq!(name, "error");
    assert_eq!(data["type"], "error");
    assert!(data["error"]["type"].is_string() && data["error"]["message"].is_string());
    assert!(!names(&events).contains(&"message_stop"));
}

#[tokio::test]
async fn a_stream_cut_short_ends_with_an_error_event_not_a_clean_stop() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Sse {
        chunks: vec![format!(
            "data: {}\n\n",
            chunk(json!({"content": "Half an ans"}), None)
        )
        .into_bytes()],
        pause: Duration::ZERO,
    });
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let events = events(common::post_messages(&proxy, &streaming_request()).await).await;
    let names = names(&events);
    assert_eq!(names.last(), Some(&"error"));
    assert!(!names.contains(&"message_stop") && !names.contains(&"message_delta"));
}

#[tokio::test]
async fn a_streamed_tool_call_round_trips_ids_names_and_arguments() {
    let upstream = MockUpstream::start().await;
    let call = |value: Value| chunk(json!({"tool_calls": [value]}), None);
    upstream.push(Reply::openai_stream(&[
        call(
            json!({"index": 0, "id": "functions.Bash:0", "type": "function",
                    "function": {"name": "Bash", "arguments": ""}}),
        ),
        call(json!({"index": 0, "function": {"arguments": "{\"command\": "}})),
        call(json!({"index": 0, "function": {"arguments": "\"ls\"}"}})),
        chunk(json!({}), Some("tool_calls")),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let mut request = streaming_request();
    request["tools"] = json!([{"name": "Bash", "input_schema": {"type": "object"}}]);
    let events = events(common::post_messages(&proxy, &request).await).await;
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "tool_use", "id": "functions_Bash_0", "name": "Bash", "input": {}})
    );
    let json: String = events
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json).expect("json"),
        json!({"command": "ls"})
    );
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn a_client_that_goes_away_drops_the_upstream_stream() {
    let upstream = MockUpstream::start().await;
    let slow: Vec<Vec<u8>> = (0..1000)
        .map(|i| {
            format!(
                "data: {}\n\n",
                chunk(json!({"content": format!("{i} ")}), None)
            )
            .into_bytes()
        })
        .collect();
    upstream.push(Reply::Sse {
        chunks: slow,
        pause: Duration::from_millis(50),
    });
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let mut response = common::post_messages(&proxy, &streaming_request()).await;
    assert_eq!(response.status(), 200);
    let first = response
        .chunk()
        .await
        .expect("read")
        .expect("a first chunk");
    assert!(String::from_utf8_lossy(&first).contains("message_start"));
    drop(response);
    // 1000 chunks × 50 ms would take 50 s; the upstream must see the hang-up within the
    // mock's 10 s wait.
    upstream.streams_ended(1).await;
}

#[tokio::test]
async fn claude_codes_captured_first_turn_is_translated_and_answered() {
    let fixture: Value = serde_json::from_str(include_str!(
        "../fixtures/claude-code-2.1.331-first-turn.json"
    ))
    .expect("fixture");
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        chunk(
            json!({"role": "assistant", "reasoning_content": "A greeting."}),
            None,
        ),
        chunk(json!({"content": "hi"}), None),
        chunk(json!({}), Some("stop")),
        json!({"choices": [], "usage": {"prompt_tokens": 12000, "completion_tokens": 5,
               "prompt_tokens_details": {"cached_tokens": 11000}}}),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = client()
        .post(proxy.url("/v1/messages?beta=true"))
        .json(&fixture)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    let events = events(response).await;
    assert_eq!(events[1].1["content_block"]["type"], "thinking");
    assert_eq!(
        events[5].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(
        events[events.len() - 2].1["usage"],
        json!({"input_tokens": 1000, "output_tokens": 5, "cache_read_input_tokens": 11000})
    );

    let sent = upstream.requests()[0].json();
    let keys: Vec<&str> = sent
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "max_tokens",
            "messages",
            "model",
            "stream",
            "stream_options",
            "tools"
        ],
        "nothing Anthropic-only reaches the upstream"
    );
    assert_eq!(sent["model"], "mock-model");
    assert_eq!(sent["messages"][0]["role"], "system");
    assert!(sent["messages"][0]["content"]
        .as_str()
        .is_some_and(|s| s.contains("Claude Agent SDK")));
    assert_eq!(sent["tools"].as_array().map(Vec::len), Some(11));
}
