//! Routing end to end: a file config that sends each kind of request to a different model
//! of one scripted upstream; the sub-agent tag removed upstream; count_tokens and
//! /v1/models.

use crate::common;

use common::{client, ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

fn routed_config(upstream: &MockUpstream) -> Value {
    json!({
        "providers": [
            {"name": "mock", "type": "openai", "base_url": upstream.base_url(),
             "api_key": PROVIDER_KEY, "models": ["listed-model"]}
        ],
        "routes": {
            "default": ["mock,default-model", "mock,fallback-model"],
            "background": "mock,background-model",
            "think": "mock,think-model",
            "long_context": "mock,long-model",
            "long_context_threshold": 5000,
            "web_search": "mock,search-model",
            "image": "mock,image-model"
        }
    })
}

fn ask(model: &str) -> Value {
    json!({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]})
}

fn png(width: u32, height: u32) -> String {
    use base64::Engine;
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One request of each kind: (name, body, expected route header, expected upstream model).
fn kinds() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let mut subagent = ask("claude-sonnet-4-5");
    subagent["system"] = json!([{"type": "text", "text": "You are Claude Code."},
        {"type": "text", "text": "Review code.\n<CCR-SUBAGENT-MODEL>mock,agent-model</CCR-SUBAGENT-MODEL>\nBe brief."}]);
    let mut long = ask("claude-sonnet-4-5");
    long["messages"][0]["content"] = json!("lorem ipsum dolor ".repeat(4000));
    let mut search = ask("claude-sonnet-4-5");
    search["tools"] = json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]);
    let mut think = ask("claude-sonnet-4-5");
    think["thinking"] = json!({"type": "enabled", "budget_tokens": 4096});
    let mut image = ask("claude-sonnet-4-5");
    image["messages"][0]["content"] = json!([{"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png(64, 64)}}]);
    vec![
        (
            "explicit",
            ask("mock,explicit-model"),
            "explicit",
            "explicit-model",
        ),
        (
            "listed",
            ask("listed-model"),
            "provider_model",
            "listed-model",
        ),
        ("subagent", subagent, "subagent", "agent-model"),
        ("long context", long, "long_context", "long-model"),
        (
            "haiku",
            ask("claude-haiku-4-5-20251001"),
            "background",
            "background-model",
        ),
        ("web search", search, "web_search", "search-model"),
        ("think", think, "think", "think-model"),
        ("image", image, "image", "image-model"),
        (
            "default",
            ask("claude-sonnet-4-5"),
            "default",
            "default-model",
        ),
        (
            "gateway id of a target",
            ask("claude-mock/explicit-model"),
            "explicit",
            "explicit-model",
        ),
        (
            "gateway id of a route",
            ask("claude-route-think"),
            "explicit",
            "think-model",
        ),
    ]
}

#[tokio::test]
async fn each_kind_of_request_goes_to_its_route() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    for (i, (name, body, route, model)) in kinds().into_iter().enumerate() {
        upstream.push(Reply::completion("ok"));
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.headers()["x-ccproxy-route"], route, "{name}");
        assert_eq!(response.headers()["x-ccproxy-provider"], "mock", "{name}");
        assert_eq!(response.headers()["x-ccproxy-model"], model, "{name}");
        // The answer is built by hand (messages::message_response), not by axum's `Json`.
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().contains_key("x-request-id"), "{name}");
        let sent = upstream.requests()[i].json();
        assert_eq!(sent["model"], model, "{name}");
    }
}

/// Inputs the byte bound cannot place against the threshold are counted exactly (on the
/// blocking pool) and routed by that count.
#[tokio::test]
async fn inputs_near_the_threshold_route_by_their_exact_count() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    for repeats in [600, 2000] {
        let mut body = ask("claude-sonnet-4-5");
        body["messages"][0]["content"] = json!("lorem ipsum dolor ".repeat(repeats));
        let request = serde_json::from_value(body.clone()).expect("request");
        assert_eq!(ccproxy::tokens::measure(&request, 5000, None), None, "near");
        let expected = if ccproxy::tokens::count(&request) > 5000 {
            "long_context"
        } else {
            "default"
        };
        upstream.push(Reply::completion("ok"));
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-ccproxy-route"], expected, "{repeats}");
    }
    let models: Vec<String> = upstream
        .requests()
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(models, ["default-model", "long-model"]);
}

#[tokio::test]
async fn the_subagent_tag_never_reaches_the_upstream() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    let (_, mut body, _, _) = kinds().swap_remove(2);
    body["system"] = json!("Main prompt.");
    body["messages"] = json!([{"role": "user", "content": "hi"},
        {"role": "system", "content": "<CCR-SUBAGENT-MODEL>mock,agent-model</CCR-SUBAGENT-MODEL>Be brief."}]);
    upstream.push(Reply::completion("ok"));
    let response = client()
        .post(proxy.url("/v1/messages"))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-ccproxy-route"], "subagent");
    let sent = upstream.requests()[0].json();
    assert_eq!(sent["model"], "agent-model");
    let text = sent["messages"].to_string();
    assert!(!text.contains("CCR-SUBAGENT-MODEL"), "{text}");
    assert!(text.contains("Be brief."), "{text}");
}

#[tokio::test]
async fn an_unknown_provider_is_a_400_listing_the_configured_ones() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    let response = client()
        .post(proxy.url("/v1/messages"))
        .json(&ask("nowhere,model"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unknown_provider");
    assert_eq!(
        body["error"]["details"]["available_providers"],
        json!(["mock"])
    );
    assert!(upstream.requests().is_empty());
}

async fn count(proxy: &Proxy, body: &Value) -> u64 {
    let response = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .json(body)
        .send()
        .await
        .expect("count_tokens");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    body["input_tokens"].as_u64().expect("input_tokens")
}

fn conversation(turns: usize) -> Value {
    let messages: Vec<Value> = (0..turns)
        .flat_map(|i| {
            [
                json!({"role": "user", "content": format!("Please look at file number {i} and fix the bug.")}),
                json!({"role": "assistant", "content": [{"type": "text", "text": "Done: the loop bound was off by one."}]}),
            ]
        })
        .collect();
    json!({"model": "claude-sonnet-4-5", "messages": messages})
}

#[tokio::test]
async fn count_tokens_agrees_with_the_tokenizer_and_grows_linearly() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    for fixture in [
        ask("claude-sonnet-4-5"),
        conversation(3),
        kinds().swap_remove(3).1,
    ] {
        let request = serde_json::from_value(fixture.clone()).expect("request");
        assert_eq!(
            count(&proxy, &fixture).await,
            ccproxy::tokens::count(&request)
        );
    }
    let (ten, hundred) = (
        count(&proxy, &conversation(10)).await,
        count(&proxy, &conversation(100)).await,
    );
    let per_turn = (hundred - ten) / 90;
    assert!(per_turn > 10, "{per_turn}");
    let predicted = ten + 90 * per_turn;
    assert!(
        hundred.abs_diff(predicted) <= 90,
        "{ten} {hundred} {per_turn}"
    );
    assert!(
        upstream.requests().is_empty(),
        "counting never calls the provider"
    );
}

#[tokio::test]
async fn count_tokens_counts_even_when_the_request_would_not_route() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    assert!(count(&proxy, &ask("nowhere,model")).await > 0);
}

#[tokio::test]
async fn models_lists_targets_and_routes_in_anthropics_shape() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&routed_config(&upstream));
    let proxy = Proxy::start(file.load()).await;
    let body: Value = client()
        .get(proxy.url("/v1/models"))
        .send()
        .await
        .expect("models")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        &ids[..3],
        [
            "mock,listed-model",
            "mock,default-model",
            "mock,fallback-model"
        ]
    );
    assert!(
        ids.contains(&"think") && ids.contains(&"default"),
        "{ids:?}"
    );
    assert_eq!(
        body["data"][0],
        json!({"type": "model", "id": "mock,listed-model", "display_name": "listed-model (mock)",
               "created_at": "1970-01-01T00:00:00Z"})
    );
    assert_eq!(body["has_more"], false);
    assert_eq!(body["first_id"], "mock,listed-model");
    // Each again under the id Claude Code's discovery keeps, naming provider and model.
    let entry = |id: &str| {
        body["data"]
            .as_array()
            .and_then(|data| data.iter().find(|m| m["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} is listed: {ids:?}"))
    };
    assert_eq!(
        entry("claude-mock/listed-model"),
        json!({"type": "model", "id": "claude-mock/listed-model",
               "display_name": "listed-model (mock)",
               "description": "via ccproxy: mock,listed-model",
               "created_at": "1970-01-01T00:00:00Z"})
    );
    assert_eq!(
        entry("claude-route-long-context")["display_name"],
        "long_context route: mock,long-model"
    );
    entry("claude-mock/fallback-model");
    let gateway = ids.iter().filter(|id| id.starts_with("claude-")).count();
    assert_eq!(gateway * 2, ids.len(), "every id twice: {ids:?}");
    assert_eq!(body["last_id"], "claude-route-image");
}
