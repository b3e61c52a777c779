//! Several keys per provider, end to end against an upstream that answers per key: a key
//! refused for its rate or quota cools down and the same request moves on to the next key
//! at once, an invalid key is set aside, a session stays on its key, every key cooling is a
//! 429 with the soonest recovery, and `/status` shows each key masked. Plus a bounded
//! loopback load test: 4 keys, 2 of them rate limited, every request answered.

use crate::common;
use crate::resilience::fast;

use std::time::Duration;

use ccproxy::config::{Config, Env, Overrides};
use common::{client, hello, with_backup, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

const KEYS: [&str; 4] = [
    "sk-pool-key-aaaa-0001",
    "sk-pool-key-bbbb-0002",
    "sk-pool-key-cccc-0003",
    "sk-pool-key-dddd-0004",
];

/// `PROVIDER=mock` with `MOCK_API_KEYS` set to the first `count` keys.
fn pool_config(upstream: &MockUpstream, count: usize) -> Config {
    let base_url = upstream.base_url();
    let keys = KEYS[..count].join(",");
    let pairs = [
        ("PROVIDER", "mock"),
        ("MOCK_BASE_URL", base_url.as_str()),
        ("MOCK_MODEL", "mock-model"),
        ("MOCK_API_KEY", KEYS[0]),
        ("MOCK_API_KEYS", keys.as_str()),
    ];
    let config = ccproxy::config::load(&Overrides::default(), &Env::from_pairs(pairs));
    fast(config.expect("valid pool config"))
}

fn rate_limited(retry_after: &str) -> Reply {
    Reply::error(
        429,
        json!({"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}),
        &[("retry-after", retry_after)],
    )
}

async fn post_as(proxy: &Proxy, session: Option<&str>) -> (u16, Value) {
    let response = common::post_messages_in_session(proxy, &hello(), session).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn status(proxy: &Proxy) -> (String, Value) {
    let text = client()
        .get(proxy.url("/status"))
        .send()
        .await
        .expect("status")
        .text()
        .await
        .expect("text");
    let body: Value = serde_json::from_str(&text).expect("JSON");
    (text, body["providers"]["keys"]["mock"].clone())
}

fn assert_masked(text: &str) {
    for key in KEYS {
        assert!(!text.contains(key), "a key leaked: {text}");
    }
}

#[tokio::test]
async fn a_rate_limited_key_cools_and_the_request_moves_to_the_next_key_at_once() {
    let upstream = MockUpstream::start().await;
    upstream
        .answer_key(KEYS[0], rate_limited("30"))
        .answer_key(KEYS[1], Reply::completion("from key b"));
    let proxy = Proxy::start(pool_config(&upstream, 2)).await;
    let (code, body) = post_as(&proxy, None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["content"][0]["text"], "from key b");
    assert_eq!(upstream.keys_used(), [KEYS[0], KEYS[1]]);
    // Key A is cooling: the next requests go straight to key B.
    for _ in 0..3 {
        assert_eq!(post_as(&proxy, None).await.0, 200);
    }
    assert_eq!(upstream.keys_used()[2..], [KEYS[1], KEYS[1], KEYS[1]]);
    let (text, keys) = status(&proxy).await;
    assert_masked(&text);
    assert_eq!(keys[0]["key"], "sk-…0001");
    assert_eq!(keys[0]["state"], "cooling");
    let cooling = keys[0]["cooling_ms"].as_u64().expect("cooling_ms");
    assert!(
        (25_000..=30_000).contains(&cooling),
        "retry-after honoured: {cooling}"
    );
    assert_eq!(keys[0]["last_error"], "429 rate_limit_exceeded");
    assert_eq!(keys[1]["state"], "active");
    assert_eq!(keys[1]["requests"], 4);
    assert_eq!(keys[1]["input_tokens"], 44, "11 per answer");
}

#[tokio::test]
async fn a_quota_refusal_cools_the_key_for_the_default_cooldown() {
    let upstream = MockUpstream::start().await;
    let quota = json!({"error": {"message": "You exceeded your current quota",
                                 "type": "insufficient_quota", "code": "insufficient_quota"}});
    upstream
        .answer_key(KEYS[0], Reply::status(402, quota))
        .answer_key(KEYS[1], Reply::completion("from key b"));
    let proxy = Proxy::start(pool_config(&upstream, 2)).await;
    assert_eq!(post_as(&proxy, None).await.0, 200);
    let (_, keys) = status(&proxy).await;
    assert_eq!(keys[0]["state"], "cooling");
    let cooling = keys[0]["cooling_ms"].as_u64().expect("cooling_ms");
    assert!(
        (55_000..=60_000).contains(&cooling),
        "60 s by default: {cooling}"
    );
}

#[tokio::test]
async fn an_invalid_key_is_set_aside_and_the_request_moves_on() {
    let upstream = MockUpstream::start().await;
    let invalid = json!({"error": {"message": "Invalid API Key", "code": "invalid_api_key"}});
    upstream
        .answer_key(KEYS[0], Reply::status(401, invalid))
        .answer_key(KEYS[1], Reply::completion("from key b"));
    let proxy = Proxy::start(pool_config(&upstream, 2)).await;
    for _ in 0..3 {
        assert_eq!(post_as(&proxy, None).await.0, 200);
    }
    assert_eq!(upstream.keys_used(), [KEYS[0], KEYS[1], KEYS[1], KEYS[1]]);
    let (text, keys) = status(&proxy).await;
    assert_masked(&text);
    assert_eq!(keys[0]["state"], "invalid");
    assert_eq!(keys[0]["last_error"], "401 invalid_api_key");
}

#[tokio::test]
async fn every_key_cooling_is_a_429_with_the_soonest_recovery() {
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    first
        .answer_key(KEYS[0], rate_limited("40"))
        .answer_key(KEYS[1], rate_limited("20"));
    second
        .answer_key(KEYS[0], rate_limited("50"))
        .answer_key(KEYS[1], rate_limited("60"));
    // Both targets' keys cool: the route's fallback is tried only after the whole pool.
    let config = with_backup(pool_config(&first, 2), &second.base_url());
    let proxy = Proxy::start(config).await;
    let response = common::post_messages(&proxy, &hello()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "20");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(first.keys_used(), [KEYS[0], KEYS[1]]);
    assert_eq!(
        second.keys_used(),
        [KEYS[0], KEYS[1]],
        "the fallback after the pool"
    );
    // Nothing is sent while every key cools.
    let (code, body) = post_as(&proxy, None).await;
    assert_eq!(code, 429, "{body}");
    let wait = body["error"]["details"]["retry_after"]
        .as_u64()
        .expect("wait");
    assert!((19..=20).contains(&wait), "the soonest recovery: {wait}");
    assert_eq!((first.attempts(), second.attempts()), (2, 2));
}

#[tokio::test]
async fn a_session_stays_on_its_key_and_new_sessions_spread() {
    let upstream = MockUpstream::start().await;
    for key in &KEYS[..3] {
        upstream.answer_key(key, Reply::completion("ok"));
    }
    let proxy = Proxy::start(pool_config(&upstream, 3)).await;
    for session in ["one", "two", "three", "one", "two", "one"] {
        assert_eq!(post_as(&proxy, Some(session)).await.0, 200);
    }
    let used = upstream.keys_used();
    assert_eq!(used[..3], [KEYS[0], KEYS[1], KEYS[2]], "spread");
    assert_eq!(used[3..], [KEYS[0], KEYS[1], KEYS[0]], "sticky");

    // The session id inside metadata.user_id (a JSON string) works the same.
    let mut request = hello();
    request["metadata"] = json!({"user_id": "{\"device_id\":\"d\",\"session_id\":\"two\"}"});
    let response = common::post_messages(&proxy, &request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(upstream.keys_used()[6], KEYS[1]);
}

#[tokio::test]
async fn a_pool_is_validated_with_the_path_of_each_problem() {
    let env = Env::from_pairs([
        ("PROVIDER", "groq"),
        ("GROQ_API_KEY", "gsk_other_key_9999"),
        ("GROQ_API_KEYS", "gsk_key_1111,,gsk_key_1111"),
    ]);
    let error = ccproxy::config::load(&Overrides::default(), &env).expect_err("invalid pool");
    let text = error.to_string();
    assert!(
        text.contains("GROQ_API_KEYS (entry 2): empty key"),
        "{text}"
    );
    assert!(
        text.contains("GROQ_API_KEYS (entry 3): repeats key 1"),
        "{text}"
    );
    assert!(
        text.contains("GROQ_API_KEY: is not one of the pool's keys"),
        "{text}"
    );
    assert!(
        !text.contains("gsk_key_1111") && !text.contains("gsk_other"),
        "{text}"
    );
}

/// 4 keys, 2 of them always rate limited: 200 requests from 8 clients at once are all
/// answered, a limited key meets at most one request per client in flight around its
/// refusal, and once the refusals are recorded no limited key is sent anything.
#[tokio::test]
async fn load_with_two_of_four_keys_rate_limited() {
    const REQUESTS: usize = 200;
    const CLIENTS: usize = 8;
    let upstream = MockUpstream::start().await;
    upstream
        .answer_key(KEYS[0], rate_limited("300"))
        .answer_key(KEYS[1], Reply::completion("ok"))
        .answer_key(KEYS[2], rate_limited("300"))
        .answer_key(KEYS[3], Reply::completion("ok"));
    let proxy = Proxy::start(pool_config(&upstream, 4)).await;
    let url = proxy.url("/v1/messages");
    let mut clients = Vec::new();
    for client_index in 0..CLIENTS {
        let url = url.clone();
        clients.push(tokio::spawn(async move {
            let http = client();
            let mut codes = Vec::new();
            for request in 0..REQUESTS / CLIENTS {
                let session = format!("session-{client_index}-{}", request % 3);
                let response = http
                    .post(&url)
                    .header("x-claude-code-session-id", session)
                    .json(&hello())
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("answered");
                codes.push(response.status().as_u16());
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for handle in clients {
        codes.extend(handle.await.expect("client"));
    }
    assert_eq!(codes.len(), REQUESTS);
    assert!(
        codes.iter().all(|c| *c == 200),
        "every request served: {codes:?}"
    );
    let used = upstream.keys_used();
    let to = |key: &str| used.iter().filter(|k| *k == key).count();
    let (a, b, c, d) = (to(KEYS[0]), to(KEYS[1]), to(KEYS[2]), to(KEYS[3]));
    // A limited key is refused once; requests already choosing it at that moment may
    // each meet one refusal, at most one per client in flight.
    assert!(
        a <= CLIENTS && c <= CLIENTS,
        "sent to a cooling key: a {a}, c {c}"
    );
    assert_eq!(b + d, REQUESTS, "each request served once by a healthy key");
    assert!(
        b > 0 && d > 0,
        "both healthy keys share the load: b {b}, d {d}"
    );
    let (text, keys) = status(&proxy).await;
    assert_masked(&text);
    assert_eq!(keys[0]["state"], "cooling");
    assert_eq!(keys[2]["state"], "cooling");

    // Every refusal is recorded by now (each request was answered after its retry): from
    // here on, no request may reach a limited key, whatever its session.
    let http = client();
    for request in 0..CLIENTS * 3 {
        let response = http
            .post(&url)
            .header("x-claude-code-session-id", format!("late-{request}"))
            .json(&hello())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 200);
    }
    let later = upstream.keys_used();
    assert_eq!(later.len(), used.len() + CLIENTS * 3, "one attempt each");
    assert!(
        later[used.len()..]
            .iter()
            .all(|k| k == KEYS[1] || k == KEYS[3]),
        "a cooling key was sent a request after its refusal: {:?}",
        &later[used.len()..]
    );
}
