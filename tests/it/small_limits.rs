//! Small output limits through the real server (docs/translation.md, "Small limits"): a
//! reasoning model asked for one token (Claude Code's model probe) is sent room to reason and
//! its answer cut back to the limit, streamed and not; `max_tokens: 0` (a cache pre-warm) is
//! answered without an upstream call; a translated stream's `message_start` carries the
//! input tokens. The SDK script sends Claude Code 2.1.331's probe as its binary builds it
//! (the `model_validation` side query: non-streaming, `max_tokens: 1`, one user text "Hi"
//! with `cache_control`); the CLI sends it only from the interactive `/model`.

use crate::common;
use crate::real_clients::{chunk, python_sdk, run_python_script, usage};

use common::{config_from_env, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

/// A proxy whose default provider is the built-in `openai` at `upstream`, serving `model`.
async fn openai_proxy(upstream: &MockUpstream, model: &str) -> Proxy {
    let base_url = upstream.base_url();
    Proxy::start(config_from_env(&[
        ("PROVIDER", "openai"),
        ("OPENAI_BASE_URL", base_url.as_str()),
        ("OPENAI_MODEL", model),
        ("OPENAI_API_KEY", PROVIDER_KEY),
    ]))
    .await
}

/// A reasoning model's whole answer to "Hi": more than one token of text.
fn greeting() -> Reply {
    Reply::json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-5.6-terra",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
            "content": "Hello! How can I help you today?"}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 150,
                  "completion_tokens_details": {"reasoning_tokens": 140}}
    }))
}

/// The same, streamed, with the usage only at the end.
fn streamed_greeting() -> Reply {
    Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Hello! "}), None),
        chunk(json!({"content": "How can I help you today?"}), None),
        chunk(json!({}), Some("stop")),
        usage(20, 150),
    ])
}

fn max_sent(upstream: &MockUpstream) -> Vec<Value> {
    upstream
        .requests()
        .iter()
        .map(|r| r.json()["max_completion_tokens"].clone())
        .collect()
}

fn probe(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": stream,
           "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]})
}

#[tokio::test]
async fn a_one_token_probe_reaches_a_reasoning_model_with_room_and_comes_back_cut() {
    let upstream = MockUpstream::start().await;
    upstream.push(greeting());
    upstream.push(streamed_greeting());
    let proxy = openai_proxy(&upstream, "gpt-5.6-terra").await;

    let message: Value = common::post_messages_ok(&proxy, &probe(false))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(message["stop_reason"], "max_tokens");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "Hell"}])
    );
    assert_eq!(
        message["usage"],
        json!({"input_tokens": 20, "output_tokens": 1})
    );

    let bytes = common::post_messages_ok(&proxy, &probe(true))
        .await
        .bytes()
        .await
        .expect("body");
    let events = common::anthropic_sse::events(&bytes);
    let texts: String = events
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(texts, "Hell");
    assert!(
        events[0]["message"]["usage"]["input_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "message_start counts the input: {}",
        events[0]
    );
    let last_delta = events
        .iter()
        .rfind(|e| e["type"] == "message_delta")
        .expect("message_delta");
    assert_eq!(last_delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(
        last_delta["usage"],
        json!({"input_tokens": 20, "output_tokens": 1})
    );
    assert_eq!(events.last().expect("events")["type"], "message_stop");

    assert_eq!(max_sent(&upstream), [json!(25_000), json!(25_000)]);
}

#[tokio::test]
async fn a_model_that_takes_tiny_limits_gets_the_limit_as_asked() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("H"));
    let proxy = openai_proxy(&upstream, "gpt-4.1").await;
    let message: Value = common::post_messages_ok(&proxy, &probe(false))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(max_sent(&upstream), [json!(1)]);
}

#[tokio::test]
async fn a_pre_warm_is_answered_without_the_upstream() {
    let upstream = MockUpstream::start().await;
    let proxy = openai_proxy(&upstream, "gpt-5.6-terra").await;
    let mut prewarm = probe(false);
    prewarm["max_tokens"] = json!(0);
    let message: Value = common::post_messages_ok(&proxy, &prewarm.clone())
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(message["content"], json!([]));
    assert_eq!(message["stop_reason"], "max_tokens");
    assert_eq!(message["usage"]["output_tokens"], 0);
    assert!(message["usage"]["input_tokens"]
        .as_u64()
        .is_some_and(|n| n > 0));

    prewarm["stream"] = json!(true);
    let bytes = common::post_messages_ok(&proxy, &prewarm)
        .await
        .bytes()
        .await
        .expect("body");
    let types: Vec<Value> = common::anthropic_sse::events(&bytes)
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types, ["message_start", "message_delta", "message_stop"]);
    assert!(upstream.requests().is_empty(), "no upstream call");
}

#[tokio::test]
async fn message_start_carries_the_local_estimate_until_the_upstream_counts() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": "Hi"}), None),
        chunk(json!({}), Some("stop")),
        json!({"choices": [], "usage": {"prompt_tokens": 3000, "completion_tokens": 2,
               "prompt_tokens_details": {"cached_tokens": 2000}}}),
    ]));
    let proxy = openai_proxy(&upstream, "gpt-4.1").await;
    let text = "word ".repeat(400);
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
                         "messages": [{"role": "user", "content": text}]});
    let bytes = common::post_messages_ok(&proxy, &request)
        .await
        .bytes()
        .await
        .expect("body");
    let events = common::anthropic_sse::events(&bytes);
    let estimate = events[0]["message"]["usage"]["input_tokens"]
        .as_u64()
        .expect("input_tokens");
    assert!(
        (400..=700).contains(&estimate),
        "about 2000 bytes / 4: {estimate}"
    );
    let last_delta = events
        .iter()
        .rfind(|e| e["type"] == "message_delta")
        .expect("message_delta");
    assert_eq!(
        last_delta["usage"],
        json!({"input_tokens": 1000, "output_tokens": 2, "cache_read_input_tokens": 2000})
    );
}

#[tokio::test]
async fn python_sdk_sees_the_probe_cut_and_the_pre_warm_answered() {
    let Some(python) = python_sdk().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    upstream.push(greeting());
    upstream.push(streamed_greeting());
    let proxy = openai_proxy(&upstream, "gpt-5.6-terra").await;
    run_python_script(python, &proxy, "sdk_small_limits.py").await;
    assert_eq!(max_sent(&upstream), [json!(25_000), json!(25_000)]);
}
