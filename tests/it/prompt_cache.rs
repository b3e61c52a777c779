//! Prompt caches on translated routes, through the real server: the `prompt_cache_key`
//! derived from Claude Code's session (header, else `metadata.user_id`) where the provider
//! documents it, and Claude Code's volatile billing line removed from the system prompt on
//! translated routes and kept on the Anthropic pass-through.

use crate::common;

use common::{config_from_env, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

const BILLING: &str =
    "x-anthropic-billing-header: cc_version=2.1.331.e3a; cc_entrypoint=cli; cch=5b1c0;";

/// Claude Code's shape: the billing line as the first system block, the session in the
/// JSON `metadata.user_id`.
fn request(session: &str) -> Value {
    let user_id = json!({"device_id": "d0", "account_uuid": "", "session_id": session});
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
           "system": [{"type": "text", "text": BILLING},
                      {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
           "metadata": {"user_id": user_id.to_string()},
           "messages": [{"role": "user", "content": "hi"}]})
}

async fn proxy(provider: &str, upstream: &MockUpstream, model: &str) -> Proxy {
    let prefix = provider.to_ascii_uppercase();
    let base_url = upstream.base_url();
    let (base, model_var, key) = (
        format!("{prefix}_BASE_URL"),
        format!("{prefix}_MODEL"),
        format!("{prefix}_API_KEY"),
    );
    Proxy::start(config_from_env(&[
        ("PROVIDER", provider),
        (base.as_str(), base_url.as_str()),
        (model_var.as_str(), model),
        (key.as_str(), PROVIDER_KEY),
    ]))
    .await
}

/// Posts `body`, with `X-Claude-Code-Session-Id` when `session` is given; expects a 200.
async fn post(proxy: &Proxy, body: &Value, session: Option<&str>) {
    let response = common::post_messages_in_session(proxy, body, session).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

fn sent(upstream: &MockUpstream) -> Vec<Value> {
    upstream.requests().iter().map(|r| r.json()).collect()
}

#[tokio::test]
async fn openai_gets_one_cache_key_per_session_and_no_billing_line() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("openai", &upstream, "gpt-4.1").await;
    for _ in 0..4 {
        upstream.push(Reply::completion("ok"));
    }
    post(&proxy, &request("s-1"), Some("s-1")).await;
    post(&proxy, &request("s-1"), None).await;
    post(&proxy, &request("s-2"), Some("s-2")).await;
    post(&proxy, &request("s-1"), Some("s-3")).await;
    let keys: Vec<Value> = sent(&upstream)
        .iter()
        .map(|b| b["prompt_cache_key"].clone())
        .collect();
    assert!(
        keys[0].as_str().is_some_and(|k| !k.contains("s-1")),
        "{keys:?}"
    );
    assert_eq!(
        keys[0], keys[1],
        "the user id's session gives the header's key"
    );
    assert_ne!(keys[0], keys[2]);
    assert_ne!(keys[0], keys[3], "the header wins over the user id");
    for body in sent(&upstream) {
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][0]["content"], "You are Claude Code.");
        assert!(!body.to_string().contains("x-anthropic-billing-header"));
    }
}

#[tokio::test]
async fn a_provider_without_the_key_gets_none_and_no_billing_line() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("deepseek", &upstream, "deepseek-v4-pro").await;
    upstream.push(Reply::completion("ok"));
    post(&proxy, &request("s-1"), Some("s-1")).await;
    let body = &sent(&upstream)[0];
    assert!(body.get("prompt_cache_key").is_none(), "{body}");
    assert_eq!(body["messages"][0]["content"], "You are Claude Code.");
}

#[tokio::test]
async fn gemini_gets_no_billing_line() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("gemini", &upstream, "gemini-2.5-flash").await;
    upstream.push(Reply::json(json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1}})));
    post(&proxy, &request("s-1"), Some("s-1")).await;
    let body = &sent(&upstream)[0];
    assert_eq!(
        body["systemInstruction"]["parts"],
        json!([{"text": "You are Claude Code."}])
    );
}

#[tokio::test]
async fn the_anthropic_pass_through_keeps_the_billing_line() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("anthropic", &upstream, "claude-sonnet-4-5").await;
    upstream.push(Reply::json(json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": "ok"}], "model": "claude-sonnet-4-5",
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 5, "output_tokens": 1}})));
    post(&proxy, &request("s-1"), Some("s-1")).await;
    let body = &sent(&upstream)[0];
    assert_eq!(body["system"][0]["text"], BILLING);
    assert!(body.get("prompt_cache_key").is_none());
}

/// The answer to `body`, streamed or not: the usage the client is finally told.
async fn final_usage(proxy: &Proxy, mut body: Value, stream: bool) -> Value {
    body["stream"] = json!(stream);
    let response = common::post_messages_ok(proxy, &body).await;
    if !stream {
        let message: Value = response.json().await.expect("JSON");
        return message["usage"].clone();
    }
    let bytes = response.bytes().await.expect("body");
    common::anthropic_sse::events(&bytes)
        .into_iter()
        .rfind(|event| event["type"] == "message_delta")
        .expect("message_delta")["usage"]
        .clone()
}

/// One answer with `usage` in the provider's own shape; streamed, with the usage where
/// the provider puts it (`in_choice`: Moonshot's last choice, else the chunk).
fn answer_with(usage: &Value, stream: bool, in_choice: bool) -> Reply {
    if !stream {
        return Reply::json(json!({
            "id": "c", "model": "m", "usage": usage,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "ok"}}]}));
    }
    let last = if in_choice {
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "usage": usage}]})
    } else {
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage})
    };
    Reply::openai_stream(&[
        json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}}]}),
        last,
    ])
}

#[tokio::test]
async fn moonshot_cache_hits_are_reported_as_cache_reads() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("moonshot", &upstream, "kimi-k2.6").await;
    let usage = json!({"prompt_tokens": 1200, "completion_tokens": 5, "total_tokens": 1205,
                       "cached_tokens": 1000});
    for stream in [false, true] {
        upstream.push(answer_with(&usage, stream, stream));
        assert_eq!(
            final_usage(&proxy, request("s-1"), stream).await,
            json!({"input_tokens": 200, "output_tokens": 5, "cache_read_input_tokens": 1000}),
            "stream: {stream}"
        );
    }
}

#[tokio::test]
async fn openrouter_cache_reads_and_writes_are_reported_apart() {
    let upstream = MockUpstream::start().await;
    let proxy = proxy("openrouter", &upstream, "anthropic/claude-sonnet-4.5").await;
    let usage = json!({"prompt_tokens": 1500, "completion_tokens": 7,
                       "prompt_tokens_details": {"cached_tokens": 900, "cache_write_tokens": 500}});
    for stream in [false, true] {
        upstream.push(answer_with(&usage, stream, false));
        assert_eq!(
            final_usage(&proxy, request("s-1"), stream).await,
            json!({"input_tokens": 100, "output_tokens": 7,
                   "cache_creation_input_tokens": 500, "cache_read_input_tokens": 900}),
            "stream: {stream}"
        );
    }
}

#[tokio::test]
async fn openrouter_anthropic_models_get_the_clients_cache_breakpoints() {
    let ephemeral = json!({"type": "ephemeral"});
    let mut turn = request("s-1");
    turn["messages"] = json!([{"role": "user", "content": [
        {"type": "text", "text": "hi", "cache_control": ephemeral}]}]);
    for (model, marked) in [
        ("anthropic/claude-sonnet-4.5", true),
        ("moonshotai/kimi-k2.6", false),
    ] {
        let upstream = MockUpstream::start().await;
        let proxy = proxy("openrouter", &upstream, model).await;
        upstream.push(Reply::completion("ok"));
        post(&proxy, &turn, Some("s-1")).await;
        let messages = sent(&upstream)[0]["messages"].clone();
        let (system, last) = if marked {
            (
                json!([{"type": "text", "text": "You are Claude Code.", "cache_control": ephemeral}]),
                json!([{"type": "text", "text": "hi", "cache_control": ephemeral}]),
            )
        } else {
            (json!("You are Claude Code."), json!("hi"))
        };
        assert_eq!(messages[0]["content"], system, "{model}");
        assert_eq!(messages[1]["content"], last, "{model}");
    }
}
