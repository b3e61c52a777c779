//! Failover that holds, end to end: the breaker counts requests (not attempts), keeps one
//! circuit per provider and model, trips on a failure rate, never shuts the only target
//! out blind, and one budget (`retry.total_ms`) bounds the whole attempt chain.

use crate::common;
use crate::resilience::{assert_closed, circuit, error_body, fast, post};

use std::time::Duration;

use common::{client, env_config, hello, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

async fn post_model(proxy: &Proxy, model: &str) -> (u16, Value) {
    let mut request = hello();
    request["model"] = json!(model);
    let response = common::post_messages(proxy, &request).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn a_request_that_succeeds_on_its_third_attempt_is_a_success() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::status(500, error_body(500)))
        .push(Reply::status(502, error_body(502)))
        .push(Reply::completion("third time lucky"));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.breaker.failure_threshold = 2;
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(upstream.attempts(), 3);
    assert_closed(&proxy).await;
}

#[tokio::test]
async fn failed_requests_count_once_however_many_attempts_they_made() {
    // The report: two failing requests (six failed attempts) took the provider offline.
    let upstream = MockUpstream::start().await;
    for _ in 0..6 {
        upstream.push(Reply::status(500, error_body(500)));
    }
    upstream.push(Reply::completion("fine again"));
    let proxy = Proxy::start(fast(env_config(&upstream, &[]))).await;
    assert_eq!(post(&proxy).await.0, 502);
    assert_eq!(post(&proxy).await.0, 502);
    let circuit = circuit(&proxy).await;
    assert_eq!(
        circuit["state"], "closed",
        "2 failed requests of 5: {circuit}"
    );
    assert_eq!(circuit["models"]["mock-model"]["consecutive_failures"], 2);
    assert_eq!(post(&proxy).await.0, 200);
    assert_eq!(upstream.attempts(), 7);
}

#[tokio::test]
async fn one_failing_model_leaves_the_providers_other_models_online() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::status(500, error_body(500)))
        .push(Reply::completion("from model b"));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 1;
    let proxy = Proxy::start(config).await;
    assert_eq!(post_model(&proxy, "mock,model-a").await.0, 502);
    let (code, body) = post_model(&proxy, "mock,model-b").await;
    assert_eq!(code, 200, "{body}");
    let sent: Vec<Value> = upstream.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        (sent[0]["model"].clone(), sent[1]["model"].clone()),
        (json!("model-a"), json!("model-b"))
    );
    let circuit = circuit(&proxy).await;
    assert_eq!(circuit["state"], "open", "the worst model's state");
    assert_eq!(circuit["models"]["model-a"]["state"], "open");
    assert_eq!(circuit["models"]["model-b"]["state"], "closed");
}

#[tokio::test]
async fn a_failure_rate_opens_the_circuit_without_consecutive_failures() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    for _ in 0..2 {
        first
            .push(Reply::completion("ok"))
            .push(Reply::status(500, error_body(500)));
    }
    second.push(Reply::completion("from the backup"));
    let mut config = common::with_backup(fast(env_config(&first, &[])), &second.base_url());
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 100;
    config.resilience.breaker.failure_rate = 0.5;
    config.resilience.breaker.min_requests = 4;
    let proxy = Proxy::start(config).await;
    for _ in 0..2 {
        assert_eq!(post(&proxy).await.0, 200);
        // The failure falls back to the backup, which then has nothing scripted but once.
        post(&proxy).await;
    }
    assert_eq!(circuit(&proxy).await["state"], "open", "2 of 4 failed");
    let status: Value = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        status["config"]["circuit_breaker"],
        json!({"failure_threshold": 100, "cooldown_ms": 30000, "failure_rate": 0.5,
               "min_requests": 4, "window_ms": 30000})
    );
}

#[tokio::test]
async fn while_the_trial_is_in_flight_the_503_says_when_the_next_one_goes() {
    let upstream = MockUpstream::start().await;
    upstream
        .push(Reply::status(500, error_body(500)))
        .push(Reply::completion("the trial").after(Duration::from_millis(800)));
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 1;
    let proxy = Proxy::start(config).await;
    assert_eq!(post(&proxy).await.0, 502);
    let url = proxy.url("/v1/messages");
    let trial = tokio::spawn(async move { client().post(url).json(&hello()).send().await });
    upstream.received(2).await;
    let (code, headers, body) = post(&proxy).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error"]["code"], "provider_unavailable");
    assert_eq!(headers["retry-after"], "1");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("a trial request is testing it now"),
        "{message}"
    );
    assert!(
        message.contains("next trial can go in about 1 s"),
        "{message}"
    );
    let trial = trial.await.expect("joined").expect("answered");
    assert_eq!(trial.status(), 200);
    assert_eq!(upstream.attempts(), 2, "the refused request sent nothing");
}

#[tokio::test]
async fn the_budget_cuts_the_attempt_chain_and_says_what_was_tried() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    first
        .push(Reply::status(500, error_body(500)))
        .push(Reply::completion("late").after(Duration::from_secs(30)));
    second.push(Reply::completion("never asked"));
    let mut config = common::with_backup(fast(env_config(&first, &[])), &second.base_url());
    config.resilience.retry.total = Duration::from_millis(600);
    let proxy = Proxy::start(config).await;
    let (code, _, body) = post(&proxy).await;
    assert_eq!(code, 504, "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], "provider_timeout");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("retry budget of 600ms (retry.total_ms)"),
        "{message}"
    );
    let tried = error["details"]["tried"].as_array().expect("tried");
    assert_eq!(tried.len(), 2, "{tried:?}");
    assert_eq!(tried[0]["target"], "mock,mock-model");
    assert_eq!(tried[0]["answer"], "502 upstream_error");
    assert_eq!(tried[1]["answer"], "no answer yet when the budget ran out");
    assert_eq!(second.attempts(), 0, "no fallback after the budget");
    first.cancelled(1).await;
    let text = body.to_string();
    assert!(!text.contains(common::PROVIDER_KEY), "no key in the error");
}

#[tokio::test]
async fn the_budget_does_not_cut_a_stream_that_has_started() {
    let upstream = MockUpstream::start().await;
    let chunk = |text: &str| {
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    };
    let mut events = Reply::openai_stream(&[chunk("a"), chunk("b"), chunk("c")]);
    if let Reply::Sse { pause, .. } = &mut events {
        *pause = Duration::from_millis(150);
    }
    upstream.push(events);
    let mut config = fast(env_config(&upstream, &[]));
    config.resilience.retry.total = Duration::from_millis(200);
    let proxy = Proxy::start(config).await;
    let mut request = hello();
    request["stream"] = json!(true);
    let response = common::post_messages(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("stream");
    assert!(text.contains("message_stop"), "{text}");
    for letter in ["\"a\"", "\"b\"", "\"c\""] {
        assert!(text.contains(letter), "{text}");
    }
}
