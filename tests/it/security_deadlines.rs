//! Every wait has a deadline, against hostile upstreams: one that trickles a valid answer a
//! byte at a time is cut at the answer deadline (`timeouts.response_ms`), a stream kept
//! alive by SSE comments alone at the idle deadline, and one kept alive by events that say
//! nothing at the whole-request deadline (`timeouts.total_ms`). Each expiry is a
//! `provider_timeout` (a 504, or an `error` event once the stream began) and is counted in
//! the statistics. Bounded: every test ends within a few seconds, pass or fail.

use crate::common;

use std::time::Duration;

use common::anthropic_sse::{check_grammar, events};
use common::{client, env_config, hello, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

/// How long any request of these tests may take before the test gives up (the fixed
/// proxy answers in about a second; an unfixed one would run for minutes).
const GIVE_UP: Duration = Duration::from_secs(8);

/// `text` sent one byte at a time, a quarter of a second apart.
fn trickled(text: &str) -> Reply {
    Reply::Sse {
        chunks: text.bytes().map(|b| vec![b]).collect(),
        pause: Duration::from_millis(250),
    }
}

fn completion_text() -> String {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": "slow"},
                        "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
    .to_string()
}

fn chunk(content: &str) -> String {
    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
                       "choices": [{"index": 0, "delta": {"content": content}}]});
    format!("data: {chunk}\n\n")
}

async fn proxy_with(
    upstream: &MockUpstream,
    set: impl FnOnce(&mut ccproxy::config::Timeouts),
) -> Proxy {
    let mut config = env_config(upstream, &[]);
    config.resilience.retry.max_attempts = 1;
    set(&mut config.resilience.timeouts);
    Proxy::start(config).await
}

async fn post(proxy: &Proxy, body: Value) -> (u16, String) {
    let answer = async {
        let response = common::post_messages(proxy, &body).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    };
    tokio::time::timeout(GIVE_UP, answer)
        .await
        .expect("the proxy held the request past every deadline")
}

fn streamed() -> Value {
    let mut body = hello();
    body["stream"] = json!(true);
    body
}

async fn timeouts_counted(proxy: &Proxy) -> u64 {
    let stats: Value = client()
        .get(proxy.url("/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("JSON");
    let text = stats.to_string();
    // The failures by code, wherever the statistics list them.
    text.matches("provider_timeout").count() as u64
}

#[tokio::test]
async fn a_trickled_answer_is_cut_at_the_answer_deadline() {
    let upstream = MockUpstream::start().await;
    upstream.push(trickled(&completion_text()));
    let proxy = proxy_with(&upstream, |t| t.response = Duration::from_secs(1)).await;
    let (status, body) = post(&proxy, hello()).await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("provider_timeout"), "{body}");
    assert!(body.contains("timeouts.response_ms"), "{body}");
    assert!(timeouts_counted(&proxy).await >= 1);
}

#[tokio::test]
async fn a_trickled_first_event_is_cut_at_the_answer_deadline() {
    let upstream = MockUpstream::start().await;
    upstream.push(trickled(&chunk("slow")));
    let proxy = proxy_with(&upstream, |t| t.response = Duration::from_secs(1)).await;
    let (status, body) = post(&proxy, streamed()).await;
    assert_eq!(status, 504, "a 504 before the stream began: {body}");
    assert!(body.contains("timeouts.response_ms"), "{body}");
}

#[tokio::test]
async fn comments_alone_do_not_keep_a_stream_alive() {
    let upstream = MockUpstream::start().await;
    let mut chunks = vec![chunk("Hi").into_bytes()];
    chunks.extend((0..200).map(|_| b": keep-alive\n\n".to_vec()));
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::from_millis(50),
    });
    let proxy = proxy_with(&upstream, |t| t.stream_idle = Duration::from_millis(600)).await;
    let (status, body) = post(&proxy, streamed()).await;
    assert_eq!(status, 200);
    check_grammar(&events(body.as_bytes()));
    assert!(body.contains("event: error"), "{body}");
    assert!(body.contains("timeouts.stream_idle_ms"), "{body}");
    assert!(timeouts_counted(&proxy).await >= 1);
}

#[tokio::test]
async fn a_stream_of_empty_events_ends_at_the_whole_request_deadline() {
    let upstream = MockUpstream::start().await;
    let mut chunks = vec![chunk("Hi").into_bytes()];
    let empty = json!({"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": []});
    chunks.extend((0..200).map(|_| format!("data: {empty}\n\n").into_bytes()));
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::from_millis(50),
    });
    let proxy = proxy_with(&upstream, |t| t.total = Duration::from_millis(1500)).await;
    let (status, body) = post(&proxy, streamed()).await;
    assert_eq!(status, 200);
    check_grammar(&events(body.as_bytes()));
    assert!(body.contains("event: error"), "{body}");
    assert!(body.contains("timeouts.total_ms"), "{body}");
    assert!(timeouts_counted(&proxy).await >= 1);
}
