//! Gemini against a scripted Gemini-shaped upstream: what reaches it (URL, key header,
//! translated contents, cleaned schemas of Claude Code's real tool set, function responses,
//! echoed thought signatures) and what the client gets back (text, thinking, tool calls,
//! stream events, usage, errors in the proxy's catalog, countTokens).

use crate::common;

use std::time::Duration;

use ccproxy::config::Config;
use common::anthropic_sse;
use common::{client, config_from_env, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

fn gemini(upstream: &MockUpstream) -> Config {
    let base_url = upstream.base_url();
    let mut config = config_from_env(&[
        ("PROVIDER", "gemini"),
        ("GEMINI_BASE_URL", base_url.as_str()),
        ("GEMINI_MODEL", "gemini-2.5-flash"),
        ("GEMINI_API_KEY", PROVIDER_KEY),
    ]);
    config.resilience.retry.max_attempts = 1;
    config
}

fn answer(parts: Value, finish: &str) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
           "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "thoughtsTokenCount": 12,
                             "cachedContentTokenCount": 20, "totalTokenCount": 162},
           "modelVersion": "gemini-2.5-flash", "responseId": "r1"})
}

async fn post(proxy: &Proxy, body: &Value) -> reqwest::Response {
    client()
        .post(proxy.url("/v1/messages"))
        .header("x-api-key", "client-key")
        .json(body)
        .send()
        .await
        .expect("proxy answers")
}

/// Standard base64 with `+`, `/` and padding: all three must survive the trip.
const SIGNATURE: &str = "CiQBVKhc7+/sig/natureA==";

#[tokio::test]
async fn text_thinking_and_a_tool_call_come_back_as_anthropic_blocks() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(answer(
        json!([{"text": "Plan: list files.", "thought": true},
               {"text": "Let me look."},
               {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIGNATURE}]),
        "STOP",
    )));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 1000,
        "system": "Be brief.", "thinking": {"type": "enabled", "budget_tokens": 512},
        "tools": [{"name": "Bash", "description": "Run", "input_schema": {"type": "object",
            "properties": {"command": {"type": "string"}}, "required": ["command"]}}],
        "messages": [{"role": "user", "content": "What is here?"}]});
    let response = post(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    let message: Value = response.json().await.expect("JSON");
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(
        message["usage"],
        json!({"input_tokens": 100, "output_tokens": 42, "cache_read_input_tokens": 20})
    );
    let content = message["content"].as_array().expect("content");
    assert_eq!(content[0]["type"], "thinking");
    assert_eq!(content[0]["thinking"], "Plan: list files.");
    assert_eq!(content[1], json!({"type": "text", "text": "Let me look."}));
    assert_eq!(content[2]["type"], "tool_use");
    assert_eq!(content[2]["input"], json!({"command": "ls"}));
    let id = content[2]["id"].as_str().expect("id");
    assert!(id.starts_with("toolu_"));
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{id}"
    );

    let sent = &upstream.requests()[0];
    assert_eq!(sent.uri, "/v1/models/gemini-2.5-flash:generateContent");
    assert_eq!(sent.headers["x-goog-api-key"], PROVIDER_KEY);
    assert!(sent.headers.get("x-api-key").is_none());
    assert!(sent.headers.get("authorization").is_none());
    let body = sent.json();
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "Be brief."}]})
    );
    assert_eq!(
        body["contents"],
        json!([{"role": "user", "parts": [{"text": "What is here?"}]}])
    );
    assert_eq!(
        body["generationConfig"],
        json!({"maxOutputTokens": 1000, "thinkingConfig": {"thinkingBudget": 512, "includeThoughts": true}})
    );
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [{"name": "Bash", "description": "Run", "parameters":
            {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}]}])
    );
}

#[tokio::test]
async fn the_signature_and_the_tool_result_go_back_on_the_next_turn() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(answer(
        json!([{"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIGNATURE},
               {"functionCall": {"name": "Read", "args": {"file_path": "a"}}}]),
        "STOP",
    )));
    upstream.push(Reply::json(answer(json!([{"text": "Two files."}]), "STOP")));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let mut request = json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
        "messages": [{"role": "user", "content": "Look"}]});
    let first: Value = post(&proxy, &request).await.json().await.expect("JSON");
    let calls = first["content"].as_array().expect("content").clone();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0]["id"], calls[1]["id"], "ids are unique");
    request["messages"].as_array_mut().expect("list").extend([
        json!({"role": "assistant", "content": calls}),
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": calls[0]["id"], "content": "a.txt\nb.txt"},
            {"type": "tool_result", "tool_use_id": calls[1]["id"], "content": [{"type": "text", "text": "denied"}], "is_error": true}]}),
    ]);
    let second: Value = post(&proxy, &request).await.json().await.expect("JSON");
    assert_eq!(
        second["content"],
        json!([{"type": "text", "text": "Two files."}])
    );
    assert_eq!(second["stop_reason"], "end_turn");

    let sent = upstream.requests()[1].json();
    assert_eq!(
        sent["contents"][1],
        json!({"role": "model", "parts": [
            {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIGNATURE},
            {"functionCall": {"name": "Read", "args": {"file_path": "a"}}}]})
    );
    assert_eq!(
        sent["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "Bash", "response": {"output": "a.txt\nb.txt"}}},
            {"functionResponse": {"name": "Read", "response": {"error": "denied"}}}]})
    );
}

#[tokio::test]
async fn a_history_from_another_provider_gets_the_skip_sentinel() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(answer(json!([{"text": "ok"}]), "STOP")));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [
        {"role": "user", "content": "Look"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "from kimi", "signature": "ccproxy:reasoning"},
            {"type": "tool_use", "id": "functions_Bash_0", "name": "Bash", "input": {"command": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "functions_Bash_0", "content": "x"}]}]});
    assert_eq!(post(&proxy, &request).await.status(), 200);
    let sent = upstream.requests()[0].json();
    assert_eq!(
        sent["contents"][1]["parts"],
        json!([{"functionCall": {"name": "Bash", "args": {"command": "ls"}},
                "thoughtSignature": "skip_thought_signature_validator"}]),
        "foreign thinking is dropped, the call gets the sentinel"
    );
}

#[tokio::test]
async fn claude_codes_tool_set_reaches_gemini_without_a_rejected_key() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(answer(json!([{"text": "hi"}]), "STOP")));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let mut request: Value = serde_json::from_str(include_str!(
        "../fixtures/claude-code-2.1.331-first-turn.json"
    ))
    .expect("fixture");
    request["stream"] = json!(false);
    let response = post(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    let sent = upstream.requests()[0].json();
    let declarations = sent["tools"][0]["functionDeclarations"]
        .as_array()
        .expect("declarations");
    assert!(declarations.len() >= 10);
    let text = serde_json::to_string(&sent["tools"]).expect("json");
    for rejected in [
        "$schema",
        "additionalProperties",
        "exclusiveMinimum",
        "propertyNames",
        "\"const\"",
        "$ref",
        "\"format\":\"uri\"",
    ] {
        assert!(!text.contains(rejected), "{rejected} reached Gemini");
    }
    // Nothing Anthropic-only either.
    let all = serde_json::to_string(&sent).expect("json");
    assert!(!all.contains("cache_control") && !all.contains("defer_loading"));
}

fn sse(chunks: &[Value]) -> Vec<Vec<u8>> {
    chunks
        .iter()
        .map(|c| format!("data: {c}\r\n\r\n").into_bytes())
        .collect()
}

/// The events of an Anthropic SSE body: (name, data), grammar-checked.
fn events(text: &str) -> Vec<(String, Value)> {
    let events = anthropic_sse::events(text.as_bytes());
    anthropic_sse::check_grammar(&events);
    events
        .into_iter()
        .map(|data| (data["type"].as_str().unwrap_or_default().to_string(), data))
        .collect()
}

#[tokio::test]
async fn a_stream_becomes_anthropic_events_with_the_signature_carried() {
    let upstream = MockUpstream::start().await;
    let usage = json!({"promptTokenCount": 50, "candidatesTokenCount": 9, "thoughtsTokenCount": 4});
    let mut chunks = sse(&[
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Thinking", "thought": true}]}}],
               "usageMetadata": {"promptTokenCount": 50}, "modelVersion": "gemini-2.5-flash"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": " more", "thought": true, "thoughtSignature": "c2ln"}]}}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Héllo"}]}}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": " there"}]}}]}),
        json!({"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIGNATURE}]},
            "finishReason": "STOP"}], "usageMetadata": usage}),
    ]);
    // Split a chunk in the middle of 'é'.
    let third = chunks.remove(2);
    let cut = third.iter().position(|b| *b == 0xC3).expect("é") + 1;
    chunks.insert(2, third[cut..].to_vec());
    chunks.insert(2, third[..cut].to_vec());
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::from_millis(2),
    });
    let proxy = Proxy::start(gemini(&upstream)).await;
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let response = post(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let events = events(&text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 50);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(
        events[4].1["delta"],
        json!({"type": "signature_delta", "signature": "ccproxy:gemini:c2ln"})
    );
    assert_eq!(events[7].1["delta"]["text"], "Héllo");
    assert_eq!(events[10].1["index"], 2);
    assert_eq!(events[10].1["content_block"]["name"], "Bash");
    assert_eq!(
        events[11].1["delta"],
        json!({"type": "input_json_delta", "partial_json": "{\"command\":\"ls\"}"})
    );
    assert_eq!(
        events[13].1,
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
               "usage": {"input_tokens": 50, "output_tokens": 13}})
    );
    let sent = &upstream.requests()[0];
    assert_eq!(
        sent.uri,
        "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
}

#[tokio::test]
async fn a_stream_cut_off_before_its_finish_reason_ends_with_an_error_event() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Sse {
        chunks: sse(&[json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]})]),
        pause: Duration::ZERO,
    });
    let proxy = Proxy::start(gemini(&upstream)).await;
    let request = json!({"model": "m", "max_tokens": 10, "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let text = post(&proxy, &request).await.text().await.expect("body");
    let events = events(&text);
    let (name, data) = events.last().expect("events");
    assert_eq!(name, "error");
    assert_eq!(data["error"]["code"], "incomplete_upstream_response");
    assert!(!text.contains("message_stop"));
}

#[tokio::test]
async fn a_resource_exhausted_error_is_a_rate_limit() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        429,
        json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}),
        &[("retry-after", "12")],
    ));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let response = post(&proxy, &common::hello()).await;
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body["error"]["details"]["provider"], "gemini");
    assert_eq!(body["error"]["details"]["retry_after"], 12);
}

#[tokio::test]
async fn count_tokens_is_asked_of_gemini() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(json!({"totalTokens": 31})));
    let proxy = Proxy::start(gemini(&upstream)).await;
    let answer: Value = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .json(&json!({"model": "claude-sonnet-4-5", "system": "S",
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer, json!({"input_tokens": 31}));
    let sent = &upstream.requests()[0];
    assert_eq!(sent.uri, "/v1/models/gemini-2.5-flash:countTokens");
    assert_eq!(sent.headers["x-goog-api-key"], PROVIDER_KEY);
    let body = sent.json();
    assert_eq!(
        body["generateContentRequest"]["model"],
        "models/gemini-2.5-flash"
    );
    assert_eq!(
        body["generateContentRequest"]["systemInstruction"],
        json!({"parts": [{"text": "S"}]})
    );
}
