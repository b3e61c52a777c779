//! The Anthropic pass-through against a scripted Anthropic-shaped upstream: what reaches the
//! upstream (the provider key instead of the client's, the client's Anthropic headers, the
//! body byte for byte or with only the model changed, foreign histories cleaned) and what
//! comes back (the body and SSE bytes as written, Anthropic's request id and rate-limit
//! headers, errors in the proxy's catalog), plus the loop guard.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use ccproxy::config::Config;
use common::{client, config_from_env, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

const CLIENT_KEY: &str = "sk-ant-client-key-that-must-stay-here";

fn anthropic(base_url: &str, model: &str) -> Config {
    let mut config = config_from_env(&[
        ("PROVIDER", "anthropic"),
        ("ANTHROPIC_BASE_URL", base_url),
        ("ANTHROPIC_MODEL", model),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
    ]);
    config.resilience.retry.max_attempts = 1;
    config
}

fn message(text: &str) -> Value {
    json!({"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
           "content": [{"type": "text", "text": text}], "model": "claude-sonnet-4-5",
           "stop_reason": "end_turn", "stop_sequence": null,
           "usage": {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 0}})
}

/// Posts `body` as Claude Code would: its own key, Anthropic headers, `?beta=true`.
async fn post(proxy: &Proxy, body: &[u8]) -> reqwest::Response {
    client()
        .post(proxy.url("/v1/messages?beta=true"))
        .header("x-api-key", CLIENT_KEY)
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "interleaved-thinking-2025-05-14,claude-code-20250219",
        )
        .header("x-stainless-lang", "js")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("proxy answers")
}

/// `/stats` once it holds `count` finished requests (a stream is recorded when its body
/// is dropped, a moment after the client read its end).
async fn stats_after(proxy: &Proxy, count: usize) -> Value {
    for _ in 0..100 {
        let stats: Value = client()
            .get(proxy.url("/stats"))
            .send()
            .await
            .expect("GET /stats")
            .json()
            .await
            .expect("JSON");
        if stats["recent"].as_array().map_or(0, Vec::len) >= count {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{count} requests were never recorded");
}

/// The tokens and time to first token of the latest request, as `/stats` lists it.
fn latest(stats: &Value) -> (Option<u64>, Option<u64>, bool) {
    let last = &stats["recent"][0];
    (
        last["input_tokens"].as_u64(),
        last["output_tokens"].as_u64(),
        last["ttft_ms"].is_u64(),
    )
}

#[tokio::test]
async fn a_message_goes_through_with_the_provider_key_and_comes_back_as_written() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        200,
        message("Hello!"),
        &[
            ("request-id", "req_upstream_1"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("x-internal", "not for clients"),
        ],
    ));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    // Odd spacing and a field this proxy does not know: the bytes must reach Anthropic as sent.
    let body = br#"{"model": "claude-sonnet-4-5",  "max_tokens": 64, "future": {"z": 1, "a": [2]},
        "messages": [{"role": "user", "content": "Say hi"}]}"#;
    let response = post(&proxy, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["request-id"], "req_upstream_1");
    assert_eq!(
        response.headers()["anthropic-ratelimit-requests-remaining"],
        "49"
    );
    assert!(response.headers().get("x-internal").is_none());
    assert!(response.headers().get("x-request-id").is_some());
    assert_eq!(response.headers()["x-ccproxy-provider"], "anthropic");
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer, message("Hello!"));

    let sent = &upstream.requests()[0];
    assert_eq!(sent.uri, "/v1/messages?beta=true");
    assert_eq!(
        &sent.body[..],
        &body[..],
        "the body is forwarded byte for byte"
    );
    assert_eq!(sent.headers["x-api-key"], PROVIDER_KEY);
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(
        sent.headers["anthropic-beta"],
        "interleaved-thinking-2025-05-14,claude-code-20250219"
    );
    assert!(sent.headers.get("authorization").is_none());
    assert!(sent.headers.get("x-stainless-lang").is_none());
    let all = format!("{:?}", sent.headers);
    assert!(!all.contains(CLIENT_KEY), "the client's key never leaves");
    let stats = stats_after(&proxy, 1).await;
    assert_eq!(latest(&stats), (Some(12), Some(6), false));
    assert_eq!(
        stats["statistics"]["providers"]["anthropic"]["input_tokens"],
        12
    );
}

#[tokio::test]
async fn a_routed_model_is_the_only_change_to_the_body() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(message("ok")));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-opus-4-1")).await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
        "system": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "Bash", "input_schema": {"type": "object", "additionalProperties": false}}],
        "messages": [{"role": "user", "content": "hi"}]});
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let mut expected = body;
    expected["model"] = json!("claude-opus-4-1");
    assert_eq!(upstream.requests()[0].json(), expected);
}

#[tokio::test]
async fn a_stream_is_relayed_byte_for_byte_as_it_arrives() {
    let events = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think é\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCkYIBxgC\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"Bash\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"command\\\": \\\"ls\\\"}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":30}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let bytes = events.as_bytes();
    // Split mid-event and in the middle of the two-byte 'é'.
    let cut = events.find('é').expect("é") + 1;
    let chunks = vec![
        bytes[..100].to_vec(),
        bytes[100..cut].to_vec(),
        bytes[cut..].to_vec(),
    ];
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::from_millis(5),
    });
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let mut body = common::hello();
    body["stream"] = json!(true);
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let text = response.text().await.expect("body");
    assert_eq!(text, events);
    let stats = stats_after(&proxy, 1).await;
    assert_eq!(latest(&stats), (Some(9), Some(30), true));
    assert_eq!(stats["performance"]["in_flight"], 0);
}

#[tokio::test]
async fn a_relayed_stream_is_in_flight_until_it_ends_and_then_recorded() {
    let events = [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":41,\"output_tokens\":1}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":17}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ];
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Sse {
        chunks: events.iter().map(|e| e.as_bytes().to_vec()).collect(),
        pause: Duration::from_millis(400),
    });
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let mut body = common::hello();
    body["stream"] = json!(true);
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let status: Value = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("GET /status")
        .json()
        .await
        .expect("JSON");
    assert_eq!(status["in_flight"], 1, "the stream is still running");
    assert_eq!(status["statistics"]["totals"]["requests"], 0);
    assert_eq!(response.text().await.expect("body"), events.concat());
    let stats = stats_after(&proxy, 1).await;
    assert_eq!(latest(&stats), (Some(41), Some(17), true));
    assert_eq!(stats["performance"]["in_flight"], 0);
}

#[tokio::test]
async fn a_stream_that_breaks_off_ends_with_an_error_event() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Broken {
        chunks: vec![b"event: ping\ndata: {\"type\": \"ping\"}\n\n".to_vec()],
    });
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let mut body = common::hello();
    body["stream"] = json!(true);
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let (first, last) = text.split_once("\n\n").expect("two events");
    assert_eq!(first, "event: ping\ndata: {\"type\": \"ping\"}");
    let data = last
        .trim_end()
        .strip_prefix("event: error\ndata: ")
        .expect("an error event");
    let data: Value = serde_json::from_str(data).expect("JSON");
    assert_eq!(data["error"]["code"], "incomplete_upstream_response");
    let stats = stats_after(&proxy, 1).await;
    assert_eq!(stats["recent"][0]["code"], "incomplete_upstream_response");
}

#[tokio::test]
async fn a_stream_that_breaks_off_mid_event_ends_with_a_clean_error_event() {
    let partial = "event: content_block_delta\ndata: {\"type\":\"content_bl";
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Broken {
        chunks: vec![partial.as_bytes().to_vec()],
    });
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let mut body = common::hello();
    body["stream"] = json!(true);
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let rest = text.strip_prefix(partial).expect("the partial event first");
    let data = rest
        .strip_prefix("\n\nevent: error\ndata: ")
        .and_then(|data| data.strip_suffix("\n\n"))
        .expect("a blank line, then a whole error event");
    let data: Value = serde_json::from_str(data).expect("JSON");
    assert_eq!(data["error"]["code"], "incomplete_upstream_response");
}

#[tokio::test]
async fn a_history_from_other_providers_is_cleaned_before_anthropic_sees_it() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(message("ok")));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "from kimi", "signature": "ccproxy:reasoning"},
            {"type": "text", "text": ""},
            {"type": "tool_use", "id": "functions.Bash:0", "name": "Bash", "input": {"command": "ls"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "functions.Bash:0", "content": "a.txt"}]}]});
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let sent = upstream.requests()[0].json();
    assert_eq!(
        sent["messages"][1]["content"],
        json!([{"type": "tool_use", "id": "functions_Bash_0", "name": "Bash", "input": {"command": "ls"}}])
    );
    assert_eq!(
        sent["messages"][2]["content"][0]["tool_use_id"],
        "functions_Bash_0"
    );
}

#[tokio::test]
async fn a_429_keeps_anthropics_rate_limit_figures() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        429,
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}}),
        &[
            ("retry-after", "17"),
            ("anthropic-ratelimit-tokens-limit", "80000"),
            ("anthropic-ratelimit-tokens-remaining", "0"),
            ("anthropic-ratelimit-tokens-reset", "2030-01-01T00:00:00Z"),
        ],
    ));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let response = post(&proxy, &serde_json::to_vec(&common::hello()).expect("json")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "17");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body["error"]["details"]["provider"], "anthropic");
    assert_eq!(body["error"]["details"]["limit"], 80000);
    assert_eq!(body["error"]["details"]["remaining"], 0);
    assert_eq!(body["error"]["details"]["retry_after"], 17);
}

#[tokio::test]
async fn count_tokens_is_asked_of_anthropic() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(json!({"input_tokens": 2095})));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-opus-4-1")).await;
    let body =
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]});
    let response = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .header("x-api-key", CLIENT_KEY)
        .header("anthropic-beta", "token-counting-2024-11-01")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer, json!({"input_tokens": 2095}));
    let sent = &upstream.requests()[0];
    assert_eq!(sent.uri, "/v1/messages/count_tokens");
    assert_eq!(sent.headers["x-api-key"], PROVIDER_KEY);
    assert_eq!(sent.headers["anthropic-beta"], "token-counting-2024-11-01");
    assert_eq!(sent.json()["model"], "claude-opus-4-1");
}

#[tokio::test]
async fn count_tokens_falls_back_to_a_local_count_when_anthropic_fails() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::status(
        500,
        json!({"type": "error", "error": {"type": "api_error", "message": "x"}}),
    ));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-opus-4-1")).await;
    let answer: Value = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "hello there"}]}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert!(
        answer["input_tokens"].as_u64().is_some_and(|n| n > 0),
        "{answer}"
    );
}

#[tokio::test]
async fn a_sub_agent_tag_picks_the_model_and_leaves_the_system_prompt_otherwise_intact() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(message("ok")));
    let proxy = Proxy::start(anthropic(&upstream.base_url(), "claude-sonnet-4-5")).await;
    let body = json!({"model": "claude-opus-4-1", "max_tokens": 64,
        "system": [{"type": "text", "text": "You are a helper.<CCR-SUBAGENT-MODEL>anthropic,claude-haiku-4-5</CCR-SUBAGENT-MODEL>",
                    "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}]});
    let response = post(&proxy, &serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
    let sent = upstream.requests()[0].json();
    assert_eq!(sent["model"], "claude-haiku-4-5");
    assert_eq!(
        sent["system"],
        json!([{"type": "text", "text": "You are a helper.", "cache_control": {"type": "ephemeral"}}])
    );
}

/// Serves `config` on an already bound listener (so the config can name its own address).
async fn serve_on(listener: tokio::net::TcpListener, config: Config) {
    tokio::spawn(async move {
        let _ = ccproxy::server::serve(listener, config, std::future::pending()).await;
    });
}

async fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    (listener, addr)
}

async fn refused_as_loop(addr: SocketAddr) {
    let response = client()
        .post(format!("http://{addr}/v1/messages"))
        .json(&common::hello())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 508);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "proxy_loop");
    let suggestion = body["error"]["details"]["suggestion"]
        .as_str()
        .expect("text");
    assert!(suggestion.contains("ANTHROPIC_BASE_URL"), "{suggestion}");
}

#[tokio::test]
async fn a_base_url_pointing_at_the_proxy_itself_is_refused() {
    let (listener, addr) = listener().await;
    serve_on(
        listener,
        anthropic(&format!("http://{addr}"), "claude-sonnet-4-5"),
    )
    .await;
    refused_as_loop(addr).await;
}

#[tokio::test]
async fn two_proxies_pointing_at_each_other_stop_at_the_first_return() {
    let (first, first_addr) = listener().await;
    let (second, second_addr) = listener().await;
    serve_on(
        first,
        anthropic(&format!("http://{second_addr}"), "claude-sonnet-4-5"),
    )
    .await;
    serve_on(
        second,
        anthropic(&format!("http://{first_addr}"), "claude-sonnet-4-5"),
    )
    .await;
    refused_as_loop(first_addr).await;
}

#[tokio::test]
async fn without_anthropic_model_the_clients_model_is_kept_and_the_body_untouched() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(message("ok")));
    let base_url = upstream.base_url();
    let config = config_from_env(&[
        ("PROVIDER", "anthropic"),
        ("ANTHROPIC_BASE_URL", base_url.as_str()),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
    ]);
    let proxy = Proxy::start(config).await;
    let body = br#"{"model":"claude-opus-5-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#;
    let response = post(&proxy, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ccproxy-model"], "claude-opus-5-5");
    assert_eq!(&upstream.requests()[0].body[..], &body[..]);
}
