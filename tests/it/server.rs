//! The server end to end: endpoints, request ids, validation, authentication, the missing
//! provider key, and a text request through a scripted OpenAI-compatible upstream.

use crate::common;

use common::{
    client, config_from_env, env_config, hello, MockUpstream, Proxy, Reply, PROVIDER_KEY,
};
use serde_json::{json, Value};

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Asserts an error response's status and `error.code`; returns the body for more checks.
async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

#[tokio::test]
async fn root_names_the_service_and_version() {
    let proxy = Proxy::start(config_from_env(&[])).await;
    let response = client().get(proxy.url("/")).send().await.expect("GET /");
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(body["service"], "ccproxy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn health_is_healthy_and_probes_answer() {
    let proxy = Proxy::start(config_from_env(&[])).await;
    let response = client()
        .get(proxy.url("/health"))
        .send()
        .await
        .expect("health");
    let health = json_of(response).await;
    assert_eq!(health["status"], "healthy");
    assert!(
        health["performance"].is_object(),
        "a loopback client gets the detailed health"
    );
    for path in ["/", "/api/hello"] {
        let response = client().head(proxy.url(path)).send().await.expect("HEAD");
        assert_eq!(response.status(), 200, "HEAD {path}");
    }
}

#[tokio::test]
async fn status_describes_the_running_proxy_without_secrets() {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("status");
    let text = response.text().await.expect("body");
    assert!(
        !text.contains(PROVIDER_KEY),
        "status leaks the provider key"
    );
    let body: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(body["status"], "running");
    assert_eq!(body["port"], proxy.addr.port());
    assert_eq!(body["pid"], std::process::id());
    assert_eq!(body["api_key_configured"], false);
    assert_eq!(
        body["providers"],
        json!({"count": 1, "names": ["mock"], "circuit_breakers": {
            "mock": {"state": "closed", "models": {}}
        }, "keys": {}})
    );
    assert_eq!(body["default_route"], "mock,mock-model");
    assert!(body["uptime_seconds"].is_u64());
}

#[tokio::test]
async fn unknown_paths_get_a_json_404_with_request_ids() {
    let proxy = Proxy::start(config_from_env(&[])).await;
    let response = client()
        .get(proxy.url("/v2/nothing"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    let request_id = response.headers()["request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(request_id.starts_with("req_"));
    assert_eq!(response.headers()["x-request-id"], request_id.as_str());
    assert_eq!(response.headers()["x-should-retry"], "false");
    let body = json_of(response).await;
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "not_found_error");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn wrong_method_is_a_json_error() {
    let proxy = Proxy::start(config_from_env(&[])).await;
    let response = client()
        .get(proxy.url("/v1/messages"))
        .send()
        .await
        .expect("GET");
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn invalid_bodies_get_400_with_a_code_naming_the_field() {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let cases: [(&str, &str, &str); 5] = [
        ("{not json", "invalid_json", "JSON"),
        ("[1]", "invalid_json", "object"),
        (
            r#"{"messages": [{"role": "user", "content": "x"}]}"#,
            "missing_field",
            "model",
        ),
        (
            r#"{"model": "m", "messages": []}"#,
            "invalid_field",
            "messages",
        ),
        (
            r#"{"model": "m", "messages": [{"role": "user"}]}"#,
            "missing_field",
            "messages[0].content",
        ),
    ];
    for (body, code, mention) in cases {
        let response = client()
            .post(proxy.url("/v1/messages"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 400, "{body}");
        let error = json_of(response).await;
        assert_eq!(error["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(error["error"]["code"], code, "{body}");
        let message = error["error"]["message"].as_str().expect("message");
        assert!(message.contains(mention), "{body}: {message}");
    }
    assert!(
        upstream.requests().is_empty(),
        "invalid requests reached the upstream"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let upstream = MockUpstream::start().await;
    let mut config = env_config(&upstream, &[]);
    config.max_request_bytes = 1024;
    let proxy = Proxy::start(config).await;
    let big = json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let response = common::post_messages(&proxy, &big).await;
    assert_eq!(response.status(), 413);
    let error = json_of(response).await;
    assert_eq!(error["error"]["type"], "request_too_large");
    assert_eq!(error["error"]["code"], "request_too_large");
}

#[tokio::test]
async fn proxy_key_is_required_when_configured() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::completion("one"))
        .push(Reply::completion("two"));
    let proxy = Proxy::start(env_config(&upstream, &[("CCPROXY_API_KEY", "proxy-key-1")])).await;
    let url = proxy.url("/v1/messages");

    let none = client()
        .post(&url)
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(none.status(), 401);
    assert_eq!(json_of(none).await["error"]["type"], "authentication_error");

    let wrong = client()
        .post(&url)
        .header("x-api-key", "nope")
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_error(wrong, 401, "invalid_api_key").await;

    let status = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        status.status(),
        200,
        "the figures are shown to this machine without the key"
    );
    let health = client()
        .get(proxy.url("/health"))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.status(), 200, "basic health is public");

    let by_header = client()
        .post(&url)
        .header("x-api-key", "proxy-key-1")
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(by_header.status(), 200);
    let by_bearer = client()
        .post(&url)
        .bearer_auth("proxy-key-1")
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(by_bearer.status(), 200);

    for received in upstream.requests() {
        let all: Vec<&str> = received
            .headers
            .values()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            !all.iter().any(|v| v.contains("proxy-key-1")),
            "proxy key forwarded upstream"
        );
        assert_eq!(
            received.headers["authorization"],
            format!("Bearer {PROVIDER_KEY}").as_str()
        );
    }
}

#[tokio::test]
async fn missing_provider_key_is_401_and_nothing_is_sent() {
    let upstream = MockUpstream::start().await;
    let base_url = upstream.base_url();
    let config = config_from_env(&[("GROQ_BASE_URL", base_url.as_str())]);
    let proxy = Proxy::start(config).await;
    let response = common::post_messages(&proxy, &hello()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let error = json_of(response).await;
    assert_eq!(error["error"]["type"], "authentication_error");
    assert_eq!(error["error"]["code"], "missing_api_key");
    assert_eq!(
        error["error"]["message"],
        "API key not configured for provider 'groq': set GROQ_API_KEY and restart ccproxy"
    );
    assert_eq!(error["error"]["details"]["provider"], "groq");
    let suggestion = error["error"]["details"]["suggestion"]
        .as_str()
        .expect("suggestion");
    assert!(
        suggestion.starts_with("Set the GROQ_API_KEY environment variable"),
        "{suggestion}"
    );
    assert!(
        suggestion.contains("PROVIDER=openai"),
        "unconfigured: say how to choose: {suggestion}"
    );
    assert!(
        upstream.requests().is_empty(),
        "no upstream call without a key"
    );
}

#[tokio::test]
async fn text_request_goes_through_an_openai_compatible_upstream() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("Hi there!"));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = client()
        .post(proxy.url("/v1/messages?beta=true"))
        .header("x-api-key", "client-key-never-forwarded")
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "claude-sonnet-4-5", "max_tokens": 64,
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hi"}]}]
        }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ccproxy-provider"], "mock");
    assert_eq!(response.headers()["x-ccproxy-model"], "mock-model");
    assert!(response.headers().contains_key("request-id"));
    let message = json_of(response).await;
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "Hi there!"}])
    );
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["usage"]["input_tokens"], 11);
    assert_eq!(message["usage"]["output_tokens"], 2);

    let received = upstream.requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].uri, "/v1/chat/completions");
    assert_eq!(
        received[0].headers["authorization"],
        format!("Bearer {PROVIDER_KEY}").as_str()
    );
    assert!(received[0].headers.get("x-api-key").is_none());
    assert_eq!(
        received[0].json(),
        json!({"model": "mock-model", "max_tokens": 64, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hi"}
        ]})
    );
}

#[tokio::test]
async fn upstream_refusal_of_the_key_is_reported_as_invalid_api_key() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::status(
        401,
        json!({"error": {"message": "Invalid API Key", "type": "invalid_request_error"}}),
    ));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = common::post_messages(&proxy, &hello()).await;
    assert_eq!(response.status(), 401);
    let error = json_of(response).await;
    assert_eq!(error["error"]["code"], "invalid_api_key");
    assert_eq!(error["error"]["details"]["provider"], "mock");
    assert_eq!(
        error["error"]["details"]["suggestion"],
        "Check your MOCK_API_KEY environment variable"
    );
}

#[tokio::test]
async fn web_pages_cannot_drive_a_proxy_without_a_key() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let port = proxy.addr.port();
    let text_post = |path: &str| {
        client()
            .post(proxy.url(path))
            .header("content-type", "text/plain")
            .body(hello().to_string())
    };
    let refused = [
        text_post("/v1/messages").header("origin", "https://evil.example"),
        text_post("/providers").header("origin", "http://localhost:1"),
        client()
            .get(proxy.url("/status"))
            .header("host", format!("rebound.evil.example:{port}")),
        client()
            .get(proxy.url("/providers"))
            .header("host", "rebound.evil.example"),
    ];
    for request in refused {
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 403);
        let body = json_of(response).await;
        assert_eq!(body["error"]["type"], "permission_error");
        assert_eq!(body["error"]["code"], "cross_origin_forbidden");
    }
    assert_eq!(upstream.attempts(), 0, "nothing reached the provider");

    let not_json = text_post("/providers").send().await.expect("POST");
    assert_eq!(not_json.status(), 400);
    let body = json_of(not_json).await;
    assert_eq!(
        (&body["error"]["code"], &body["error"]["message"]),
        (
            &json!("invalid_field"),
            &json!("invalid field `content-type`: admin API changes must be sent as content-type: application/json")
        )
    );

    let dashboard = client()
        .get(proxy.url("/stats"))
        .header("origin", format!("http://localhost:{port}"))
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(dashboard.status(), 200, "the dashboard is same-origin");
    let program = common::post_messages(&proxy, &hello()).await;
    assert_eq!(program.status(), 200, "programs send no Origin");
}

#[tokio::test]
async fn with_a_key_the_key_decides_but_pages_still_cannot_read_the_figures() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    let proxy = Proxy::start(env_config(&upstream, &[("CCPROXY_API_KEY", "proxy-key-1")])).await;
    let keyed = client()
        .post(proxy.url("/v1/messages"))
        .header("origin", "https://app.example")
        .header("x-api-key", "proxy-key-1")
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(keyed.status(), 200);
    let rebound = client()
        .get(proxy.url("/status"))
        .header("host", "rebound.evil.example")
        .send()
        .await
        .expect("GET");
    assert_error(rebound, 403, "cross_origin_forbidden").await;
}

#[tokio::test]
async fn base_urls_are_shown_without_their_credentials() {
    let refused = common::upstream::refused_address().await;
    let base_url = format!("http://user:hunter2@{refused}/v1?token=tok-secret");
    let pairs = [
        ("PROVIDER", "mock"),
        ("MOCK_BASE_URL", base_url.as_str()),
        ("MOCK_MODEL", "mock-model"),
        ("MOCK_API_KEY", PROVIDER_KEY),
    ];
    let mut config = config_from_env(&pairs);
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    let failed = common::post_messages(&proxy, &hello()).await;
    let failure = json_of(failed).await;
    let admin = client()
        .get(proxy.url("/providers/mock"))
        .send()
        .await
        .expect("GET");
    let view = json_of(admin).await;
    assert_eq!(
        view["base_url"],
        json!(format!("http://{refused}/v1?token=…"))
    );
    let message = failure["error"]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("cannot connect to http://{refused}/v1?token=…")),
        "{message}"
    );
    for text in [failure.to_string(), view.to_string()] {
        assert!(
            !text.contains("hunter2") && !text.contains("tok-secret"),
            "{text}"
        );
    }
}
