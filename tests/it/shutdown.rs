//! Stopping the real binary with requests in flight: SIGTERM lets them run on for
//! `timeouts.shutdown_grace_ms`; a stream still running then ends with an `error` event
//! (`overloaded_error`, "ccproxy is shutting down") before its connection closes, so the
//! client knows to retry elsewhere, and the process exits.

use crate::cli_support;
use crate::common;

use std::time::Duration;

use cli_support::{wait_for_address, wait_gone, Home};
use common::{client, MockUpstream, Reply};
use futures_util::StreamExt;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_running_past_the_grace_period_ends_with_an_overloaded_error() {
    let upstream = MockUpstream::start().await;
    let first = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]});
    let second = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": "lo"}}]});
    // Each chunk comes 4 s after the one before: the second long after the grace period
    // that starts when the first is read.
    upstream.push(Reply::Sse {
        chunks: vec![
            format!("data: {first}\n\n").into_bytes(),
            format!("data: {second}\n\n").into_bytes(),
        ],
        pause: Duration::from_secs(4),
    });
    let home = Home::new();
    let (server, lines) = home.serve_with(&json!({
        "timeouts": {"shutdown_grace_ms": 500},
        "providers": [{"name": "groq", "base_url": upstream.base_url()}],
        "routes": {"default": "groq,openai/gpt-oss-120b"}
    }));
    let address = wait_for_address(&lines, &mut Vec::new());

    let mut request = common::hello();
    request["stream"] = json!(true);
    let response = client()
        .post(format!("http://{address}/v1/messages"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while !text.contains("Hel") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("the first words in time")
            .expect("more of the stream")
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }

    cli_support::kill(server.0.id(), "TERM");
    let rest = async {
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(10), rest)
        .await
        .expect("the stream ended after the grace period");
    let events = common::anthropic_sse::events(text.as_bytes());
    let last: &Value = events.last().expect("events");
    assert_eq!(last["type"], "error", "{text}");
    assert_eq!(last["error"]["type"], "overloaded_error", "{text}");
    assert_eq!(last["error"]["code"], "shutting_down", "{text}");
    assert_eq!(
        last["error"]["message"], "ccproxy is shutting down",
        "{text}"
    );
    assert!(wait_gone(server.0.id()), "the server exited");
}
