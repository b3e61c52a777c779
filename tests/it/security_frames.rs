//! Bad frames from clients get a clean answer in the error envelope, over raw sockets on
//! loopback: a body cut short or badly chunked is a 400 saying the body was incomplete (not
//! a 413), a body that stalls is a 408 once `timeouts.client_body_ms` passes, and bytes
//! after the JSON object are `invalid_json`. Bounded: each exchange gives up after a few
//! seconds.

use crate::common;

use std::time::Duration;

use common::{client, env_config, raw, MockUpstream, Proxy};
use serde_json::Value;

fn head(extra: &str) -> String {
    format!(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n{extra}\r\n"
    )
}

async fn proxy() -> (MockUpstream, Proxy) {
    let upstream = MockUpstream::start().await;
    let mut config = env_config(&upstream, &[]);
    config.resilience.timeouts.client_body = Duration::from_millis(500);
    let proxy = Proxy::start(config).await;
    (upstream, proxy)
}

fn says_incomplete(status: u16, body: &Value) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("incomplete"), "{message}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_a_400_saying_so() {
    let (_upstream, proxy) = proxy().await;
    let (status, body) = raw(
        proxy.addr,
        &head("content-length: 100\r\n"),
        b"{\"model\":",
        true,
    )
    .await;
    says_incomplete(status, &body);
}

#[tokio::test]
async fn a_badly_chunked_body_is_a_400_saying_so() {
    let (_upstream, proxy) = proxy().await;
    let chunked = head("transfer-encoding: chunked\r\n");
    let (status, body) = raw(
        proxy.addr,
        &chunked,
        b"5\r\n{\"mod\r\nzz\r\nel\"\r\n0\r\n\r\n",
        true,
    )
    .await;
    says_incomplete(status, &body);
}

#[tokio::test]
async fn a_stalled_body_is_a_408() {
    let (_upstream, proxy) = proxy().await;
    let (status, body) = raw(
        proxy.addr,
        &head("content-length: 100\r\n"),
        b"{\"model\":",
        false,
    )
    .await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "request_timeout", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
}

#[tokio::test]
async fn bytes_after_the_json_object_are_invalid_json() {
    let (_upstream, proxy) = proxy().await;
    let one = r#"{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}"#;
    for body in [
        format!("{one}garbage"),
        format!("{one}{one}"),
        format!("{one} ]"),
    ] {
        let response = client()
            .post(proxy.url("/v1/messages"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.expect("JSON");
        assert_eq!(answer["error"]["code"], "invalid_json", "{body}: {answer}");
    }
}
