//! Resilience end to end, against scripted upstreams: retries (counting attempts),
//! fallbacks, the circuit breaker, every timeout, broken bodies, and a client disconnect
//! that cancels the upstream request.

use crate::common;

use std::time::Duration;

use ccproxy::config::Config;
use common::upstream::{refused_address, Unanswered};
use common::{client, env_config, hello, with_backup, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

/// The mock provider's config with tiny backoffs, so retries take no noticeable time.
pub(crate) fn fast(mut config: Config) -> Config {
    config.resilience.retry.base_delay = Duration::from_millis(1);
    config
}

/// Two providers, `first` then `second`, as one route (the second is the fallback).
fn two_targets(first: &MockUpstream, second_url: &str) -> Config {
    with_backup(fast(env_config(first, &[])), second_url)
}

pub(crate) async fn post(proxy: &Proxy) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = common::post_messages(proxy, &hello()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON body"))
}

pub(crate) fn error_body(status: u16) -> Value {
    json!({"error": {"message": format!("status {status}"), "type": "server_error"}})
}

#[tokio::test]
async fn transient_statuses_are_retried_until_one_succeeds() {
    for status in [408, 500, 502, 503, 504, 529] {
        let upstream = MockUpstream::start().await;
        upstream
            .push(Reply::status(status, error_body(status)))
            .push(Reply::completion("ok"));
        let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
        let (code, _, body) = post(&proxy).await;
        assert_eq!(code, 200, "after a {status}: {body}");
        assert_eq!(upstream.attempts(), 2, "after a {status}");
    }
}

#[tokio::test]
async fn a_short_rate_limit_wait_is_sat_out_and_retried() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::error(429, json!({}), &[("retry-after-ms", "20")]))
        .push(Reply::completion("ok"));
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    let (code, _, _) = post(&proxy).await;
    assert_eq!(code, 200);
    assert_eq!(upstream.attempts(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let upstream = MockUpstream::start().await;
    for _ in 0..3 {
        upstream.push(Reply::status(500, error_body(500)));
    }
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 502);
    assert_eq!(body["error"]["code"], "upstream_error");
    assert_eq!(upstream.attempts(), 3, "3 attempts in total by default");

    let upstream = MockUpstream::start().await;
    upstream.push(Reply::status(500, error_body(500)));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    assert_eq!(post(&proxy).await.0, 502);
    assert_eq!(upstream.attempts(), 1, "max_attempts 1 never retries");
}

#[tokio::test]
async fn client_and_key_errors_are_never_retried() {
    for status in [400, 401, 403, 404, 422] {
        let upstream = MockUpstream::start().await;
        upstream.push(Reply::status(status, error_body(status)));
        let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
        let (code, headers, _) = post(&proxy).await;
        // A provider's 404 is the model it does not serve: model_not_found, a 400.
        let expected = if matches!(status, 404 | 422) {
            400
        } else {
            status
        };
        assert_eq!(code, expected, "{status}");
        assert_eq!(headers["x-should-retry"], "false", "{status}");
        assert_eq!(upstream.attempts(), 1, "a {status} is not retried");
    }
}

#[tokio::test]
async fn a_long_rate_limit_wait_goes_to_the_client_at_once() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::error(
        429,
        json!({"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}),
        &[("retry-after", "60")],
    ));
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    let (code, headers, body) = post(&proxy).await;
    assert_eq!(code, 429);
    assert_eq!(headers["retry-after"], "60");
    assert_eq!(body["error"]["details"]["retry_after"], 60);
    assert_eq!(upstream.attempts(), 1);
}

#[tokio::test]
async fn rate_limit_and_outage_fall_back_to_the_next_target_at_once() {
    let replies = [
        Reply::error(429, json!({}), &[("retry-after", "1")]),
        Reply::status(503, error_body(503)),
        Reply::Hangup,
    ];
    for reply in replies {
        let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
        first.push(reply.clone());
        second.push(Reply::completion("from the backup"));
        let proxy = Proxy::start(two_targets(&first, &second.base_url())).await;
        let (code, headers, body) = post(&proxy).await;
        assert_eq!(code, 200, "{reply:?}: {body}");
        assert_eq!(headers["x-ccproxy-provider"], "backup");
        assert_eq!(headers["x-ccproxy-model"], "backup-model");
        assert_eq!(body["content"][0]["text"], "from the backup");
        assert_eq!(
            first.attempts(),
            1,
            "{reply:?}: no retry before falling back"
        );
        assert_eq!(
            second.requests()[0].json()["model"],
            "backup-model",
            "the fallback's own model"
        );
    }
}

#[tokio::test]
async fn connection_refused_falls_back() {
    let second = MockUpstream::start().await;
    second.push(Reply::completion("from the backup"));
    let dead = MockUpstream::start().await;
    let mut config = two_targets(&dead, &second.base_url());
    config.providers[0].base_url = format!("http://{}/v1", refused_address().await);
    config.providers[0].bind_key();
    let proxy = Proxy::start(config).await;
    let (code, headers, _) = post(&proxy).await;
    assert_eq!(code, 200);
    assert_eq!(headers["x-ccproxy-provider"], "backup");
}

#[tokio::test]
async fn server_errors_fall_back_after_their_retries() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    for _ in 0..3 {
        first.push(Reply::status(500, error_body(500)));
    }
    second.push(Reply::completion("from the backup"));
    let proxy = Proxy::start(two_targets(&first, &second.base_url())).await;
    let (code, headers, _) = post(&proxy).await;
    assert_eq!(code, 200);
    assert_eq!(headers["x-ccproxy-provider"], "backup");
    assert_eq!(first.attempts(), 3);
}

#[tokio::test]
async fn a_rejected_request_does_not_fall_back() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    first.push(Reply::status(
        400,
        json!({"error": {"message": "bad tools"}}),
    ));
    let proxy = Proxy::start(two_targets(&first, &second.base_url())).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 400);
    assert_eq!(body["error"]["code"], "provider_rejected_request");
    assert_eq!(second.attempts(), 0);
}

#[tokio::test]
async fn a_target_without_its_key_is_skipped() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    second.push(Reply::completion("from the backup"));
    let mut config = two_targets(&first, &second.base_url());
    config.providers[0].api_key = None;
    let proxy = Proxy::start(config).await;
    let (code, headers, _) = post(&proxy).await;
    assert_eq!(code, 200);
    assert_eq!(headers["x-ccproxy-provider"], "backup");
    assert_eq!(first.attempts(), 0);
}

/// A proxy whose breaker opens after two failures and stays open for `cooldown`, with
/// an upstream that fails twice and then answers.
async fn failing_twice(cooldown: Duration) -> (MockUpstream, Proxy) {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::status(500, error_body(500)))
        .push(Reply::status(500, error_body(500)))
        .push(Reply::completion("back"));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 2;
    config.resilience.breaker.cooldown = cooldown;
    let proxy = Proxy::start(config).await;
    assert_eq!(post(&proxy).await.0, 502);
    assert_eq!(post(&proxy).await.0, 502);
    (upstream, proxy)
}

pub(crate) async fn circuit(proxy: &Proxy) -> Value {
    let status: Value = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("JSON");
    status["providers"]["circuit_breakers"]["mock"].clone()
}

/// The mock target's circuit is closed and counts no failure.
pub(crate) async fn assert_closed(proxy: &Proxy) {
    let circuit = circuit(proxy).await;
    assert_eq!(circuit["state"], "closed", "{circuit}");
    assert_eq!(circuit["models"]["mock-model"]["consecutive_failures"], 0);
}

#[tokio::test]
async fn the_only_target_of_an_open_circuit_gets_its_trial_at_once() {
    // A cool-down no test run outlasts: the trial goes through without waiting for it.
    let (upstream, proxy) = failing_twice(Duration::from_secs(60)).await;
    assert_eq!(circuit(&proxy).await["state"], "open");
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 200, "the trial is sent, not refused blind: {body}");
    assert_eq!(upstream.attempts(), 3);
    assert_closed(&proxy).await;
}

#[tokio::test]
async fn the_breaker_closes_after_the_cooldown() {
    let (upstream, proxy) = failing_twice(Duration::from_millis(50)).await;
    // The cool-down is what is under test: wait (bounded) until /status says it is over.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while circuit(&proxy).await["state"] == "open" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the circuit never half-opened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (code, _, _) = post(&proxy).await;
    assert_eq!(
        code, 200,
        "the half-open trial succeeds and closes the circuit"
    );
    assert_eq!(upstream.attempts(), 3);
    assert_eq!(circuit(&proxy).await["state"], "closed");
}

#[tokio::test]
async fn an_open_first_target_sends_requests_to_the_fallback() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    first.push(Reply::status(500, error_body(500)));
    second
        .push(Reply::completion("one"))
        .push(Reply::completion("two"));
    let mut config = two_targets(&first, &second.base_url());
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 1;
    let proxy = Proxy::start(config).await;
    assert_eq!(post(&proxy).await.0, 200);
    assert_eq!(post(&proxy).await.0, 200);
    assert_eq!(first.attempts(), 1, "skipped while open");
    assert_eq!(second.attempts(), 2);
}

#[tokio::test]
async fn every_target_open_gets_its_trial_instead_of_a_blind_503() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    first
        .push(Reply::status(500, error_body(500)))
        .push(Reply::completion("back"));
    second.push(Reply::status(500, error_body(500)));
    let mut config = two_targets(&first, &second.base_url());
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 1;
    let proxy = Proxy::start(config).await;
    assert_eq!(post(&proxy).await.0, 502);
    let (code, headers, _) = post(&proxy).await;
    assert_eq!(code, 200, "the first open target's trial");
    assert_eq!(headers["x-ccproxy-provider"], "mock");
    assert_eq!((first.attempts(), second.attempts()), (2, 1));
}

#[tokio::test]
async fn response_timeout_is_504_naming_the_setting() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("late").after(Duration::from_secs(30)));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.timeouts.response = Duration::from_millis(100);
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 504);
    assert_eq!(body["error"]["type"], "provider_error");
    assert_eq!(body["error"]["code"], "provider_timeout");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("100ms"), "{message}");
    let suggestion = body["error"]["details"]["suggestion"]
        .as_str()
        .expect("text");
    assert!(suggestion.contains("timeouts.response_ms"), "{suggestion}");
    assert!(
        suggestion.contains("CCPROXY_UPSTREAM_TIMEOUT_MS"),
        "{suggestion}"
    );
    assert_eq!(upstream.attempts(), 1, "a timeout is not retried");
}

#[tokio::test]
async fn a_stalled_body_hits_the_idle_timeout() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Sse {
        chunks: vec![b"{\"id\":".to_vec(), b"\"x\"}".to_vec()],
        pause: Duration::from_secs(30),
    });
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.timeouts.stream_idle = Duration::from_millis(100);
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 504);
    assert_eq!(body["error"]["code"], "provider_timeout");
    let suggestion = body["error"]["details"]["suggestion"]
        .as_str()
        .expect("text");
    assert!(
        suggestion.contains("timeouts.stream_idle_ms"),
        "{suggestion}"
    );
}

#[tokio::test]
async fn a_body_that_breaks_off_is_a_bad_gateway() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::Broken {
        chunks: vec![b"{\"id\":\"chatcmpl-1\",\"choices\":[".to_vec()],
    });
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 502);
    assert_eq!(body["error"]["code"], "incomplete_upstream_response");
}

#[tokio::test]
async fn a_client_disconnect_cancels_the_upstream_request() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("never read").after(Duration::from_secs(60)));
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    let url = proxy.url("/v1/messages");
    let request = tokio::spawn(async move { client().post(url).json(&hello()).send().await });
    upstream.received(1).await;
    request.abort();
    upstream.cancelled(1).await;
}

#[tokio::test]
async fn connect_timeout_is_504_naming_the_setting() {
    let unanswered = Unanswered::start().await;
    let upstream = MockUpstream::start().await;
    let mut config = fast(env_config(&upstream, &[]));
    config.providers[0].base_url = format!("http://{}/v1", unanswered.addr);
    config.providers[0].bind_key();
    config.resilience.timeouts.connect = Duration::from_millis(100);
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 504, "{body}");
    assert_eq!(body["error"]["code"], "provider_timeout");
    let suggestion = body["error"]["details"]["suggestion"]
        .as_str()
        .expect("text");
    assert!(suggestion.contains("timeouts.connect_ms"), "{suggestion}");
}

#[tokio::test]
async fn a_dns_failure_is_provider_unavailable() {
    let upstream = MockUpstream::start().await;
    let mut config = fast(env_config(&upstream, &[]));
    // RFC 6761: `.invalid` never resolves.
    config.providers[0].base_url = "http://ccproxy-test.invalid/v1".into();
    config.providers[0].bind_key();
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error"]["code"], "provider_unavailable");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("cannot connect to http://ccproxy-test.invalid/v1"),
        "{message}"
    );
}

#[tokio::test]
async fn available_models_are_fetched_once_and_cached() {
    let upstream = MockUpstream::start().await;
    upstream.serve_models(json!({"data": [{"id": "kimi-k2"}, {"id": "llama"}]}));
    for _ in 0..2 {
        upstream.push(Reply::status(
            404,
            json!({"error": {"message": "The model `mock-model` does not exist", "code": "model_not_found"}}),
        ));
    }
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    for _ in 0..2 {
        let (code, _, body) = post(&proxy).await;
        assert_eq!(code, 400, "Claude Code rewrites the message of any 404");
        assert_eq!(
            body["error"]["message"],
            "Model 'mock-model' not found at provider 'mock': set MOCK_MODEL (or the route in \
             the config file) to a model it serves"
        );
        assert_eq!(
            body["error"]["details"]["available_models"],
            json!(["kimi-k2", "llama"])
        );
    }
    let fetches = upstream
        .requests()
        .iter()
        .filter(|r| r.uri == "/v1/models")
        .count();
    assert_eq!(fetches, 1, "the second error used the cached list");
    let models_request = upstream
        .requests()
        .into_iter()
        .find(|r| r.uri == "/v1/models");
    let auth = models_request.expect("fetched").headers["authorization"].clone();
    assert_eq!(auth, format!("Bearer {}", common::PROVIDER_KEY).as_str());
}
