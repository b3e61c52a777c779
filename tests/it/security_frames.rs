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
    config.resilience.retry.max_attempts = 1;
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

#[tokio::test]
async fn an_upstream_stream_with_nothing_in_it_is_an_error() {
    let (upstream, proxy) = proxy().await;
    let role = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant"}}]});
    upstream.push(common::Reply::openai_stream(&[]));
    upstream.push(common::Reply::openai_stream(&[role]));
    let mut streamed = common::hello();
    streamed["stream"] = serde_json::json!(true);
    for _ in 0..2 {
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&streamed)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert!(
            text.contains("incomplete_upstream_response"),
            "{status}: {text}"
        );
        assert!(!text.contains("end_turn"), "{text}");
        assert!(
            status == 502 || text.contains("event: error"),
            "{status}: {text}"
        );
    }
}

/// What docs/errors.md says of requests the HTTP layer refuses before ccproxy reads them:
/// a bare status with an empty body (400; 414 for a request line too long, 431 for
/// oversized headers), and the connection closed.
#[tokio::test]
async fn requests_the_http_layer_cannot_parse_get_a_status_and_a_close() {
    let (_upstream, proxy) = proxy().await;
    let huge = format!("x-big: {}\r\n", "a".repeat(512 * 1024));
    let cases = [
        (head("content-length: abc\r\n"), 400),
        (head("content-length: 5\r\ncontent-length: 7\r\n"), 400),
        (head("x-folded: one\r\n two\r\n"), 400),
        (head(&huge), 431),
        (
            format!(
                "GET /{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "a".repeat(70_000)
            ),
            414,
        ),
    ];
    for (request, expected) in cases {
        let (status, body) = raw(proxy.addr, &request, b"{}", true).await;
        assert_eq!(status, expected, "{}", &request[..request.len().min(120)]);
        assert!(body.is_null(), "no body: {body}");
    }
}
