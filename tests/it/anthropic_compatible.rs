//! The Anthropic-compatible endpoints of other hosts (`deepseek-anthropic`, ...): each
//! built-in against a scripted host that refuses what the real one documents refusing
//! (answers 400), sent a Claude Code–shaped request that carries all of it. The request
//! goes through with the host's profile applied; with `"profile": "anthropic"` the same
//! host refuses it, and the refusal comes back in the proxy's error catalog.

use crate::common;

use ccproxy::config::Config;
use common::{client, config_from_env, ConfigFile, MockUpstream, Proxy, Reply};
use common::{Recorded, PROVIDER_KEY};
use serde_json::{json, Value};

/// What every host documented here refuses: Anthropic-only fields ("Extra inputs are not
/// permitted"), tool search's `tool_reference` blocks and `defer_loading` markers.
fn generic_refusal(body: &Value) -> Option<String> {
    for field in ["context_management", "speed", "container", "mcp_servers"] {
        if body.get(field).is_some() {
            return Some(format!("{field}: Extra inputs are not permitted"));
        }
    }
    let text = body.to_string();
    if text.contains("\"tool_reference\"") {
        return Some("unknown content block type tool_reference".into());
    }
    if text.contains("\"defer_loading\"") {
        return Some("tools.0.defer_loading: Extra inputs are not permitted".into());
    }
    None
}

fn body_of(request: &Recorded) -> Option<Value> {
    serde_json::from_slice(&request.body).ok()
}

fn deepseek(request: &Recorded) -> Option<String> {
    let body = body_of(request)?;
    generic_refusal(&body).or_else(|| {
        let named = body["tool_choice"]["name"].as_str()?;
        let tool = body["tools"]
            .as_array()?
            .iter()
            .find(|t| t["name"] == named)?;
        tool["type"]
            .as_str()
            .filter(|kind| *kind != "custom")
            .map(|_| "tool_choice cannot name a server tool".to_string())
    })
}

fn kimi(request: &Recorded) -> Option<String> {
    let body = body_of(request)?;
    generic_refusal(&body).or_else(|| {
        let tools = body["tools"].as_array().map_or(0, Vec::len);
        (tools > 128).then(|| format!("too many tools: {tools} > 128"))
    })
}

fn glm(request: &Recorded) -> Option<String> {
    let body = body_of(request)?;
    generic_refusal(&body).or_else(|| {
        (body["thinking"]["type"] == "disabled")
            .then(|| "thinking cannot be disabled for this model".to_string())
    })
}

fn minimax(request: &Recorded) -> Option<String> {
    let body = body_of(request)?;
    generic_refusal(&body).or_else(|| {
        let text = body["messages"].to_string();
        (text.contains("\"image\"") || text.contains("\"document\""))
            .then(|| "image and document input are not supported".to_string())
    })
}

fn qwen(request: &Recorded) -> Option<String> {
    let body = body_of(request)?;
    generic_refusal(&body).or_else(|| {
        let coder = body["model"].as_str().is_some_and(|m| m.contains("coder"));
        (coder && body.get("thinking").is_some())
            .then(|| "thinking is not supported by Qwen-Coder models".to_string())
    })
}

fn openrouter(request: &Recorded) -> Option<String> {
    generic_refusal(&body_of(request)?)
}

/// A request as Claude Code sends it, with everything one host or another refuses.
fn claude_code_request(model: &str) -> Value {
    let mut tools: Vec<Value> = (0..130)
        .map(|i| {
            json!({"name": format!("mcp__t{i}"), "input_schema": {"type": "object"},
                        "defer_loading": true})
        })
        .collect();
    tools.insert(
        0,
        json!({"type": "web_search_20250305", "name": "web_search"}),
    );
    json!({
        "model": model, "max_tokens": 1024, "stream": false,
        "thinking": {"type": "disabled"},
        "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
        "tools": tools,
        "tool_choice": {"type": "tool", "name": "web_search"},
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "look at this"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "ToolSearch", "input": {"query": "t1"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1",
                 "content": [{"type": "tool_reference", "tool_name": "mcp__t1"}]}]}
        ]
    })
}

fn message(model: &str) -> Value {
    json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model,
           "content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn",
           "stop_sequence": null, "usage": {"input_tokens": 9, "output_tokens": 1}})
}

async fn post(proxy: &Proxy, body: &Value) -> reqwest::Response {
    client()
        .post(proxy.url("/v1/messages?beta=true"))
        .header("x-api-key", "client-key")
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "claude-code-20250219,context-management-2025-06-27",
        )
        .json(body)
        .send()
        .await
        .expect("proxy answers")
}

fn built_in(name: &str, key_var: &str, upstream: &MockUpstream) -> Config {
    let prefix = name.to_ascii_uppercase().replace('-', "_");
    let mut config = config_from_env(&[
        ("PROVIDER", name),
        (
            &format!("{prefix}_BASE_URL"),
            &format!("http://{}", upstream.addr),
        ),
        (key_var, PROVIDER_KEY),
    ]);
    config.resilience.retry.max_attempts = 1;
    config
}

struct Host {
    name: &'static str,
    key_var: &'static str,
    model: &'static str,
    judge: common::Judge,
    bearer: bool,
}

const HOSTS: [Host; 6] = [
    Host {
        name: "deepseek-anthropic",
        key_var: "DEEPSEEK_API_KEY",
        model: "deepseek-v4-pro",
        judge: deepseek,
        bearer: false,
    },
    Host {
        name: "moonshot-anthropic",
        key_var: "MOONSHOT_API_KEY",
        model: "kimi-k2.6",
        judge: kimi,
        bearer: true,
    },
    Host {
        name: "zhipu-anthropic",
        key_var: "ZHIPU_API_KEY",
        model: "glm-5.1",
        judge: glm,
        bearer: true,
    },
    Host {
        name: "minimax-anthropic",
        key_var: "MINIMAX_API_KEY",
        model: "MiniMax-M3",
        judge: minimax,
        bearer: false,
    },
    Host {
        name: "qwen-anthropic",
        key_var: "DASHSCOPE_API_KEY",
        model: "qwen3-coder-plus",
        judge: qwen,
        bearer: false,
    },
    Host {
        name: "openrouter-anthropic",
        key_var: "OPENROUTER_API_KEY",
        model: "moonshotai/kimi-k2.6",
        judge: openrouter,
        bearer: true,
    },
];

#[tokio::test]
async fn each_built_in_passes_what_its_host_accepts() {
    for host in HOSTS {
        let upstream = MockUpstream::start().await;
        upstream
            .refusing(host.judge)
            .push(Reply::json(message(host.model)));
        let proxy = Proxy::start(built_in(host.name, host.key_var, &upstream)).await;
        let mut request = claude_code_request(host.model);
        if host.name == "qwen-anthropic" {
            request["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
        }
        let response = post(&proxy, &request).await;
        let status = response.status();
        let served = response.headers().get("x-ccproxy-provider").cloned();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{}: {text}", host.name);
        assert_eq!(
            served.as_ref().and_then(|v| v.to_str().ok()),
            Some(host.name)
        );
        let sent = upstream.requests().pop().expect("the host saw the request");
        assert_eq!(sent.uri, "/v1/messages?beta=true", "{}", host.name);
        assert!(
            sent.headers.get("anthropic-beta").is_none(),
            "{}: betas",
            host.name
        );
        let (bearer, api_key) = (
            sent.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or_default().to_string()),
            sent.headers
                .get("x-api-key")
                .map(|v| v.to_str().unwrap_or_default().to_string()),
        );
        if host.bearer {
            assert_eq!(
                bearer,
                Some(format!("Bearer {PROVIDER_KEY}")),
                "{}",
                host.name
            );
            assert_eq!(api_key, None, "{}", host.name);
        } else {
            assert_eq!(api_key.as_deref(), Some(PROVIDER_KEY), "{}", host.name);
            assert_eq!(bearer, None, "{}", host.name);
        }
        let body = sent.json();
        assert_eq!(body["model"], host.model, "{}", host.name);
        let result = &body["messages"][2]["content"][0]["content"][0];
        assert_eq!(
            result["type"], "text",
            "{}: tool_reference as text",
            host.name
        );
    }
}

/// A built-in, its key variable, its host's refusals, and what must reach the host.
type Case = (&'static str, &'static str, common::Judge, fn(&Value));

#[tokio::test]
async fn profiles_keep_what_the_host_takes() {
    let cases: [Case; 4] = [
        ("moonshot-anthropic", "MOONSHOT_API_KEY", kimi, |body| {
            assert_eq!(body["tools"].as_array().map(Vec::len), Some(128));
            assert_eq!(body["thinking"]["type"], "disabled", "Kimi takes it");
        }),
        ("zhipu-anthropic", "ZHIPU_API_KEY", glm, |body| {
            assert!(body.get("thinking").is_none());
            assert_eq!(body["tools"].as_array().map(Vec::len), Some(131));
        }),
        ("deepseek-anthropic", "DEEPSEEK_API_KEY", deepseek, |body| {
            assert!(body.get("tool_choice").is_none());
            assert_eq!(body["messages"][0]["content"][1]["type"], "image");
        }),
        ("minimax-anthropic", "MINIMAX_API_KEY", minimax, |body| {
            assert_eq!(body["messages"][0]["content"][1]["type"], "text");
            assert_eq!(body["tool_choice"]["name"], "web_search");
        }),
    ];
    for (name, key_var, judge, check) in cases {
        let upstream = MockUpstream::start().await;
        upstream.refusing(judge).push(Reply::json(message("m")));
        let proxy = Proxy::start(built_in(name, key_var, &upstream)).await;
        let response = post(&proxy, &claude_code_request("m")).await;
        assert_eq!(response.status(), 200, "{name}");
        check(&upstream.requests().pop().expect("sent").json());
    }
}

#[tokio::test]
async fn streams_are_relayed_from_a_compatible_host() {
    let upstream = MockUpstream::start().await;
    let sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n\
               event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    upstream.refusing(kimi).push(Reply::Sse {
        chunks: vec![sse.as_bytes().to_vec()],
        pause: std::time::Duration::ZERO,
    });
    let proxy = Proxy::start(built_in(
        "moonshot-anthropic",
        "MOONSHOT_API_KEY",
        &upstream,
    ))
    .await;
    let mut request = claude_code_request("kimi-k2.6");
    request["stream"] = json!(true);
    let response = post(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), sse);
}

#[tokio::test]
async fn without_its_profile_the_host_refuses_and_the_refusal_is_in_the_catalog() {
    let upstream = MockUpstream::start().await;
    upstream.refusing(kimi);
    let file = ConfigFile::new(&json!({
        "providers": [{"name": "kimi-gateway", "type": "anthropic", "profile": "anthropic",
                       "base_url": format!("http://{}", upstream.addr),
                       "api_key": PROVIDER_KEY, "models": ["kimi-k2.6"]}],
        "retry": {"max_attempts": 1}
    }));
    let proxy = Proxy::start(file.load()).await;
    let response = post(&proxy, &claude_code_request("kimi-k2.6")).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert_eq!(body["error"]["code"], "provider_rejected_request", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Extra inputs are not permitted"),
        "{message}"
    );
    assert!(!body.to_string().contains(PROVIDER_KEY));
}
