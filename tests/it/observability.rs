//! Observability end to end: requests through the proxy to a scripted upstream (successes,
//! a rate limit, a fallback) are found in `/status`, the detailed `/health`, `/stats` and `/metrics`
//! (parsed as Prometheus samples), priced when the config has prices; the dashboard page
//! is served from the binary.

use crate::common;

use common::prometheus;
use common::{
    client, env_config, get_json, hello, with_backup, ConfigFile, MockUpstream, Proxy, Reply,
    PROVIDER_KEY,
};
use serde_json::{json, Value};

fn rate_limited() -> Reply {
    Reply::Json {
        status: 429,
        body: json!({"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}}),
        headers: vec![("retry-after".into(), "7".into())],
    }
}

/// Sends one messages request; returns its status and request id.
async fn send(proxy: &Proxy) -> (u16, String) {
    let response = common::post_messages(proxy, &hello()).await;
    let id = response.headers()["request-id"]
        .to_str()
        .expect("ascii id")
        .to_string();
    (response.status().as_u16(), id)
}

async fn metrics(proxy: &Proxy) -> prometheus::Exposition {
    prometheus::scrape(proxy, None).await
}

#[tokio::test]
async fn successes_and_a_rate_limit_are_counted_everywhere() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::completion("one"))
        .push(Reply::completion("two"))
        .push(rate_limited());
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let mut ids = Vec::new();
    for expected in [200, 200, 429] {
        let (status, id) = send(&proxy).await;
        assert_eq!(status, expected);
        ids.push(id);
    }

    let status = get_json(&proxy, "/status").await;
    let mock = &status["statistics"]["providers"]["mock"];
    assert_eq!(mock["requests"], 3);
    assert_eq!(mock["successes"], 2);
    assert_eq!(mock["failures"], 1);
    assert_eq!(mock["errors"], json!({"rate_limit_exceeded": 1}));
    assert_eq!(mock["input_tokens"], 22);
    assert_eq!(mock["output_tokens"], 4);
    assert_eq!(status["statistics"]["routes"]["default"]["requests"], 3);
    assert_eq!(
        status["statistics"]["models"]["mock,mock-model"]["requests"],
        3
    );
    assert!(mock["recent"]["latency_ms"]["p50"].is_number());

    let health = get_json(&proxy, "/health").await;
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["uptime_seconds"].is_u64());
    assert_eq!(health["config"]["providers"], json!(["mock"]));
    assert!(health["performance"]["memory"]["rss_bytes"].as_u64() > Some(0));
    assert_eq!(health["performance"]["requests"]["total"], 3);
    assert_eq!(health["performance"]["requests"]["failures"], 1);
    assert!(health["performance"]["recent"]["latency_ms"]["p99"].is_number());
    let provider = &health["providers"]["mock"];
    assert_eq!(provider["requests"], 3);
    assert_eq!(provider["status"], "degraded", "one failure in three");

    let stats = get_json(&proxy, "/stats").await;
    let recent = stats["recent"].as_array().expect("recent list");
    let recent_ids: Vec<&str> = recent.iter().filter_map(|r| r["id"].as_str()).collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(recent_ids, newest_first);
    assert_eq!(recent[0]["status"], 429);
    assert_eq!(recent[0]["code"], "rate_limit_exceeded");
    assert_eq!(recent[1]["provider"], "mock");
    assert_eq!(recent[1]["input_tokens"], 11);
    let points = stats["timeline"]["providers"]["mock"]
        .as_array()
        .expect("points");
    let plotted: u64 = points.iter().filter_map(|p| p["requests"].as_u64()).sum();
    assert_eq!(plotted, 3);

    let metrics = metrics(&proxy).await;
    let mock = [
        ("provider", "mock"),
        ("route", "default"),
        ("model", "mock-model"),
    ];
    let ok = [mock.as_slice(), &[("status", "200"), ("code", "")]].concat();
    let limited = [
        mock.as_slice(),
        &[("status", "429"), ("code", "rate_limit_exceeded")],
    ]
    .concat();
    assert_eq!(metrics.sum("ccproxy_requests_total", &ok), 2.0);
    assert_eq!(metrics.sum("ccproxy_requests_total", &limited), 1.0);
    assert_eq!(metrics.types["ccproxy_requests_total"], "counter");
    assert_eq!(
        metrics.types["ccproxy_request_duration_seconds"],
        "histogram"
    );
    let count = metrics.sum("ccproxy_request_duration_seconds_count", &mock);
    assert_eq!(count, 3.0);
    let buckets = metrics.find("ccproxy_request_duration_seconds_bucket", &mock);
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value));
    let infinite = metrics.find(
        "ccproxy_request_duration_seconds_bucket",
        &[mock.as_slice(), &[("le", "+Inf")]].concat(),
    );
    assert_eq!(infinite.len(), 1);
    assert_eq!(infinite[0].value, count);
    let input = [mock.as_slice(), &[("direction", "input")]].concat();
    assert_eq!(metrics.sum("ccproxy_tokens_total", &input), 22.0);
    assert_eq!(metrics.sum("ccproxy_in_flight_requests", &[]), 0.0);
    assert!(metrics.sum("process_resident_memory_bytes", &[]) > 0.0);
}

#[tokio::test]
async fn requests_that_fail_before_routing_are_counted_without_a_provider() {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = client()
        .post(proxy.url("/v1/messages"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 400);
    let stats = get_json(&proxy, "/stats").await;
    let none = &stats["statistics"]["providers"]["none"];
    assert_eq!(none["errors"], json!({"invalid_json": 1}));
    assert_eq!(stats["recent"][0]["provider"], "none");
    assert!(upstream.requests().is_empty());
}

/// A config file with the mock provider and a price for its model.
fn priced_config(upstream: &MockUpstream) -> ConfigFile {
    ConfigFile::new(&json!({
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY, "models": ["mock-model"]}],
        "prices": {"mock,mock-model": {"input_per_mtok": 1_000_000.0, "output_per_mtok": 2_000_000.0}}
    }))
}

/// An Anthropic answer whose input came mostly from the provider's prompt cache is billed
/// at `cached_input_per_mtok` for the cache reads.
#[tokio::test]
async fn cache_reads_are_billed_at_the_cached_price() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": 1000}
    })));
    let file = ConfigFile::new(&json!({
        "providers": [{"name": "claude", "type": "anthropic",
                       "base_url": format!("http://{}", upstream.addr),
                       "api_key": PROVIDER_KEY, "models": ["claude-x"]}],
        "prices": {"claude,claude-x": {"input_per_mtok": 1_000_000.0, "output_per_mtok": 2_000_000.0,
                                       "cached_input_per_mtok": 100_000.0}}
    }));
    let proxy = Proxy::start(file.load()).await;
    assert_eq!(send(&proxy).await.0, 200);
    // 10 input tokens at $1, 1000 cache reads at $0.10, 2 output tokens at $2.
    let stats = get_json(&proxy, "/stats").await;
    assert_eq!(stats["recent"][0]["cost"], 114.0, "{}", stats["recent"]);
}

#[tokio::test]
async fn configured_prices_give_a_cost() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::completion("one"))
        .push(Reply::completion("two"));
    let file = priced_config(&upstream);
    let proxy = Proxy::start(file.load()).await;
    for _ in 0..2 {
        assert_eq!(send(&proxy).await.0, 200);
    }
    // Each completion: 11 input tokens at $1 each, 2 output tokens at $2 each.
    let stats = get_json(&proxy, "/stats").await;
    assert_eq!(stats["statistics"]["totals"]["cost"], 30.0);
    assert_eq!(
        stats["statistics"]["models"]["mock,mock-model"]["cost"],
        30.0
    );
    assert_eq!(stats["recent"][0]["cost"], 15.0);
    assert_eq!(stats["config"]["priced_models"], 1);
    let metrics = metrics(&proxy).await;
    assert_eq!(
        metrics.sum("ccproxy_cost_total", &[("model", "mock-model")]),
        30.0
    );
}

#[tokio::test]
async fn loopback_sees_the_figures_even_when_a_key_is_configured() {
    let upstream = MockUpstream::start().await;
    let config = env_config(&upstream, &[("CCPROXY_API_KEY", "proxy-key")]);
    let proxy = Proxy::start(config).await;
    let health = get_json(&proxy, "/health").await;
    assert_eq!(health["status"], "healthy");
    assert!(health["performance"].is_object(), "detailed for loopback");
    for path in ["/status", "/stats", "/metrics"] {
        let response = client().get(proxy.url(path)).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
    }
    let messages = common::post_messages(&proxy, &hello()).await;
    assert_eq!(messages.status(), 401, "the API itself still needs the key");
}

#[tokio::test]
async fn the_dashboard_is_one_self_contained_page() {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let response = client()
        .get(proxy.url("/ui"))
        .send()
        .await
        .expect("GET /ui");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let policy = headers["content-security-policy"].to_str().expect("ascii");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = response.text().await.expect("HTML");
    assert!(page.contains("fetch(\"/stats\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
}

#[tokio::test]
async fn a_fallback_is_counted_with_its_attempts_and_the_breaker_is_shown() {
    let first = MockUpstream::start().await;
    let second = MockUpstream::start().await;
    first.push(rate_limited());
    second.push(Reply::completion("from the backup"));
    let config = with_backup(env_config(&first, &[]), &second.base_url());
    let proxy = Proxy::start(config).await;
    assert_eq!(send(&proxy).await.0, 200);

    let stats = get_json(&proxy, "/stats").await;
    let last = &stats["recent"][0];
    assert_eq!(last["provider"], "backup");
    assert_eq!(last["model"], "backup-model");
    assert_eq!(
        (last["attempts"].as_u64(), last["fallbacks"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(stats["statistics"]["providers"]["backup"]["fallbacks"], 1);
    assert_eq!(stats["statistics"]["totals"]["retries"], 1);

    let health = get_json(&proxy, "/health").await;
    assert_eq!(
        health["providers"]["mock"]["circuit_breaker"]["state"],
        "closed"
    );
    assert_eq!(health["providers"]["backup"]["status"], "healthy");

    let metrics = metrics(&proxy).await;
    let backup = [("provider", "backup"), ("route", "default")];
    assert_eq!(metrics.sum("ccproxy_fallbacks_total", &backup), 1.0);
    assert_eq!(metrics.sum("ccproxy_retries_total", &backup), 1.0);
    let closed = [("provider", "mock"), ("state", "closed")];
    assert_eq!(metrics.sum("ccproxy_circuit_state", &closed), 1.0);
    let open = [("provider", "mock"), ("state", "open")];
    assert_eq!(metrics.sum("ccproxy_circuit_state", &open), 0.0);
    assert_eq!(metrics.types["ccproxy_circuit_state"], "gauge");
}

#[tokio::test]
async fn a_target_skipped_for_its_missing_key_is_no_fallback() {
    let first = MockUpstream::start().await;
    let second = MockUpstream::start().await;
    second.push(Reply::completion("from the backup"));
    let mut config = with_backup(env_config(&first, &[]), &second.base_url());
    config.providers[0].api_key = None;
    config.providers[0].key_required = true;
    let proxy = Proxy::start(config).await;
    assert_eq!(send(&proxy).await.0, 200);

    let stats = get_json(&proxy, "/stats").await;
    let last = &stats["recent"][0];
    assert_eq!(last["provider"], "backup");
    assert_eq!(
        (last["attempts"].as_u64(), last["fallbacks"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(first.attempts(), 0);
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

#[tokio::test]
async fn streams_are_recorded_when_they_end_with_tokens_and_time_to_first_token() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Hi"}), None),
        chunk(json!({}), Some("stop")),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}}),
    ]));
    upstream.push(Reply::openai_stream(&[
        chunk(json!({"content": "partial"}), None),
        json!({"error": {"message": "Provider returned error", "code": 502}}),
    ]));
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let mut streaming = hello();
    streaming["stream"] = json!(true);
    for _ in 0..2 {
        let response = common::post_messages(&proxy, &streaming).await;
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("the whole stream");
    }

    let stats = get_json(&proxy, "/stats").await;
    let (failed, ok) = (&stats["recent"][0], &stats["recent"][1]);
    assert_eq!(ok["stream"], true);
    assert_eq!(
        (ok["input_tokens"].as_u64(), ok["output_tokens"].as_u64()),
        (Some(9), Some(4))
    );
    assert!(ok["ttft_ms"].is_u64(), "time to first token: {ok}");
    assert!(ok.get("code").is_none());
    assert_eq!(failed["status"], 200, "the stream had begun");
    assert!(
        failed["code"].is_string(),
        "the error that ended it: {failed}"
    );
    let mock = &stats["statistics"]["providers"]["mock"];
    assert_eq!(
        (mock["successes"].as_u64(), mock["failures"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(mock["recent"]["ttft_ms"]["p50"].is_number());
    assert_eq!(
        stats["performance"]["in_flight"], 0,
        "ended streams are not in flight"
    );

    let metrics = metrics(&proxy).await;
    let mock = [("provider", "mock")];
    assert_eq!(
        metrics.sum("ccproxy_time_to_first_token_seconds_count", &mock),
        2.0
    );
    let ended_by_error = metrics
        .find("ccproxy_requests_total", &[("status", "200")])
        .into_iter()
        .filter(|s| !s.labels["code"].is_empty())
        .count();
    assert_eq!(ended_by_error, 1);
}
