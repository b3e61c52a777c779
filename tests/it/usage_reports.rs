//! What the reports say about usage, through the real server: cache reads (streamed and
//! not) in `/stats` (totals, per provider, per request) and `/metrics`, apart from the input
//! tokens; a request refused before routing listed with its error type; and in team mode,
//! each developer key's cache reads in `/keys`, `/stats` and `/metrics`.

use crate::common;

use reqwest::Method;
use serde_json::{json, Value};

use common::team::{create_key, team_admin, team_config, TestStore, ADMIN_KEY};
use common::{client, env_config, get_json, hello, post_messages, prometheus};
use common::{ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};

/// A stream whose last chunk reports `cached` prompt tokens read from the cache.
fn cached_stream(cached: u64) -> Reply {
    let chunk = |delta: Value| {
        json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    };
    Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": "hi"})),
        json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 40 + cached,
               "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": cached}}}),
    ])
}

#[tokio::test]
async fn cache_reads_are_counted_apart_from_input_in_stats_and_metrics() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::cached_completion("hi", 300));
    upstream.push(cached_stream(500));
    let file = ConfigFile::new(&json!({
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY, "models": ["mock-model"]}],
        "prices": {"mock,mock-model": {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0,
                                        "cached_input_per_mtok": 100.0}}
    }));
    let proxy = Proxy::start(file.load()).await;
    let plain = post_messages(&proxy, &hello()).await;
    let answer: Value = plain.json().await.expect("JSON");
    assert_eq!(answer["usage"]["cache_read_input_tokens"], 300);
    assert_eq!(answer["usage"]["input_tokens"], 11);
    let mut streamed = hello();
    streamed["stream"] = json!(true);
    let response = post_messages(&proxy, &streamed).await;
    response.bytes().await.expect("the whole stream");

    let stats = get_json(&proxy, "/stats").await;
    let totals = &stats["statistics"]["totals"];
    assert_eq!(totals["cache_read_input_tokens"], 800, "{totals}");
    assert_eq!(
        totals["input_tokens"],
        11 + 40,
        "cache reads are not input: {totals}"
    );
    // 800 cache reads at $900 less than input per million tokens; 51 input, 5 output and
    // 800 cache reads cost 0.051 + 0.010 + 0.080.
    assert_close(&totals["cache_savings"], 0.72);
    assert_close(&totals["cost"], 0.141);
    let provider = &stats["statistics"]["providers"]["mock"];
    assert_eq!(provider["cache_read_input_tokens"], 800);
    let recent: Vec<u64> = stats["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .map(|r| r["cache_read_input_tokens"].as_u64().expect("a count"))
        .collect();
    assert_eq!(recent, [500, 300], "newest first");
    assert_close(&stats["recent"][1]["saved"], 0.27);

    let exposition = prometheus::scrape(&proxy, None).await;
    let cache_read = [("direction", "cache_read")];
    assert_eq!(exposition.sum("ccproxy_tokens_total", &cache_read), 800.0);
    assert_eq!(
        exposition.sum("ccproxy_tokens_total", &[("direction", "input")]),
        51.0
    );
    let saved = exposition.sum("ccproxy_cache_savings_total", &[("model", "mock-model")]);
    assert!((saved - 0.72).abs() < 1e-9, "{saved}");
}

fn assert_close(value: &Value, expected: f64) {
    let got = value.as_f64().unwrap_or(f64::NAN);
    assert!((got - expected).abs() < 1e-9, "{value} is not {expected}");
}

#[tokio::test]
async fn a_request_refused_before_routing_is_listed_with_its_error_type() {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let refused = post_messages(
        &proxy,
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 8}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let stats = get_json(&proxy, "/stats").await;
    let entry = &stats["recent"][0];
    assert_eq!(entry["provider"], "none");
    assert_eq!(entry["error_type"], "invalid_request_error", "{entry}");
    assert!(entry["code"].is_string(), "{entry}");
}

#[tokio::test]
async fn each_developer_key_counts_its_cache_reads() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::cached_completion("hi", 700));
    upstream.push(Reply::completion("hi"));
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;
    let alice = create_key(&proxy, json!({"name": "alice"})).await;
    for _ in 0..2 {
        let response = client()
            .post(proxy.url("/v1/messages"))
            .header("x-api-key", &alice)
            .json(&hello())
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 200);
    }
    let key = crate::team::settled(&proxy, "alice", 2).await;
    assert_eq!(key["cache_read_input_tokens"], 700, "{key}");
    assert_eq!(key["input_tokens"], 22, "cache reads are not input: {key}");

    let (status, list) = team_admin(&proxy, Method::GET, "/keys", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["keys"][0]["cache_read_input_tokens"], 700);
    let stats = get_json(&proxy, "/stats").await;
    assert_eq!(stats["team"]["keys"][0]["cache_read_input_tokens"], 700);
    let exposition = prometheus::scrape(&proxy, Some(ADMIN_KEY)).await;
    assert_eq!(
        exposition.sum("ccproxy_key_cache_read_tokens_total", &[("key", "alice")]),
        700.0
    );
}
