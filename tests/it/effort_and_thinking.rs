//! Effort and thinking as Claude Code sends them now, through the real server to scripted
//! upstreams (docs/translation.md, "Thinking and effort"): `output_config.effort` on each
//! provider's scale, `thinking: {"type": "disabled", ...}` with extra keys accepted, models
//! that always think given their lowest effort instead of an off switch they refuse, and no
//! Anthropic-only field (`speed`, `context_management`, ...) on a translated route.

use crate::common;
use crate::real_clients::{chunk, claude_code, claude_command, run, usage};

use common::{client, config_from_env, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

/// A proxy whose default provider is the built-in `provider` at `upstream`, serving `model`.
async fn proxy(provider: &str, upstream: &MockUpstream, model: &str) -> Proxy {
    let key = format!("{}_API_KEY", provider.to_ascii_uppercase());
    proxy_keyed(provider, &key, upstream, model).await
}

/// The same, for a provider whose key is in `key_var`.
async fn proxy_keyed(provider: &str, key_var: &str, upstream: &MockUpstream, model: &str) -> Proxy {
    let prefix = provider.to_ascii_uppercase().replace('-', "_");
    let base_url = upstream.base_url();
    let (base, model_var) = (format!("{prefix}_BASE_URL"), format!("{prefix}_MODEL"));
    Proxy::start(config_from_env(&[
        ("PROVIDER", provider),
        (base.as_str(), base_url.as_str()),
        (model_var.as_str(), model),
        (key_var, PROVIDER_KEY),
    ]))
    .await
}

/// Claude Code 2.1.331's first turn (tests/fixtures), with `extra` merged in.
fn claude_code_turn(extra: Value) -> Value {
    let mut turn: Value = serde_json::from_str(include_str!(
        "../fixtures/claude-code-2.1.331-first-turn.json"
    ))
    .expect("fixture");
    turn["stream"] = json!(false);
    let fields = turn.as_object_mut().expect("object");
    fields.extend(extra.as_object().expect("object").clone());
    turn
}

/// Sends `body`; expects a 200; returns what the upstream received.
async fn sent(proxy: &Proxy, upstream: &MockUpstream, body: Value) -> Value {
    let response = client()
        .post(proxy.url("/v1/messages?beta=true"))
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    upstream.requests().last().expect("a request").json()
}

/// Fields only Anthropic serves, as current Claude Code sends them (fast mode's `speed`,
/// `context_management`, and the rest of Anthropic's request surface).
fn anthropic_only() -> Value {
    json!({"speed": "fast", "service_tier": "auto", "container": "c", "mcp_servers": [],
           "inference_geo": "us", "betas": ["x"],
           "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}})
}

#[tokio::test]
async fn thinking_off_becomes_the_lowest_effort_of_a_model_that_always_thinks() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    let proxy = proxy("groq", &upstream, "openai/gpt-oss-120b").await;
    let mut turn = claude_code_turn(anthropic_only());
    turn["thinking"] = json!({"type": "disabled", "display": "omitted", "budget_tokens": 0});
    let body = sent(&proxy, &upstream, turn).await;
    assert_eq!(body["reasoning_effort"], "low");
    for field in anthropic_only().as_object().expect("object").keys() {
        assert!(body.get(field).is_none(), "{field} reached the upstream");
    }
    for field in ["thinking", "output_config", "metadata"] {
        assert!(body.get(field).is_none(), "{field} reached the upstream");
    }
}

#[tokio::test]
async fn kimi_k3_takes_low_high_or_max() {
    let upstream = MockUpstream::start().await;
    for _ in 0..3 {
        upstream.push(Reply::completion("hi"));
    }
    let proxy = proxy("moonshot", &upstream, "kimi-k3").await;
    let effort = |effort: &str| {
        claude_code_turn(
            json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": effort}}),
        )
    };
    assert_eq!(
        sent(&proxy, &upstream, effort("medium")).await["reasoning_effort"],
        "high"
    );
    assert_eq!(
        sent(&proxy, &upstream, effort("xhigh")).await["reasoning_effort"],
        "max"
    );
    let off = claude_code_turn(json!({"thinking": {"type": "disabled"}}));
    let body = sent(&proxy, &upstream, off).await;
    assert_eq!(body["reasoning_effort"], "low");
    assert!(body.get("thinking").is_none());
}

#[tokio::test]
async fn max_effort_is_the_highest_the_openai_model_takes() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    let proxy = proxy("openai", &upstream, "gpt-5.6-terra").await;
    let turn = claude_code_turn(json!({"output_config": {"effort": "max"}}));
    assert_eq!(
        sent(&proxy, &upstream, turn).await["reasoning_effort"],
        "xhigh"
    );
}

#[tokio::test]
async fn the_kimi_pass_through_turns_thinking_off_into_low_effort_for_k3() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "kimi-k3",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "stop_sequence": null, "usage": {"input_tokens": 5, "output_tokens": 1}})));
    let proxy = proxy_keyed(
        "moonshot-anthropic",
        "MOONSHOT_API_KEY",
        &upstream,
        "kimi-k3",
    )
    .await;
    let mut turn = claude_code_turn(anthropic_only());
    turn["thinking"] = json!({"type": "disabled", "display": "omitted"});
    let body = sent(&proxy, &upstream, turn).await;
    assert!(body.get("thinking").is_none(), "{body}");
    assert_eq!(body["output_config"]["effort"], "low");
    assert!(body.get("speed").is_none() && body.get("context_management").is_none());
}

/// What Claude Code 2.1.331 sends reaches a translated upstream as OpenAI fields only: its
/// effort on the model's scale, nothing Anthropic-only.
#[tokio::test]
async fn claude_code_sends_nothing_anthropic_only_to_a_translated_route() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "reasoning": "Greet."}), None),
        chunk(json!({"content": "Hello there."}), None),
        chunk(json!({}), Some("stop")),
        usage(900, 10),
    ]));
    let proxy = proxy("groq", &upstream, "openai/gpt-oss-120b").await;
    let (command, dirs) = claude_command(&claude, &proxy, "Say hello.");
    let (ok, stdout, stderr) = run(command).await;
    dirs.iter()
        .for_each(|dir| drop(std::fs::remove_dir_all(dir)));
    assert!(ok, "claude failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("Hello there."), "{stdout}");
    let body = upstream.requests()[0].json();
    let openai_fields = [
        "max_completion_tokens",
        "messages",
        "model",
        "reasoning_effort",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "user",
    ];
    for field in body.as_object().expect("object").keys() {
        assert!(
            openai_fields.contains(&field.as_str()),
            "{field} reached the upstream"
        );
    }
    assert_eq!(
        body["reasoning_effort"], "medium",
        "Claude Code's default effort"
    );
}
