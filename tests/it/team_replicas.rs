//! Team mode across replicas: three ccproxy servers sharing a real `redis-server` (started
//! on a free loopback port, stopped after). Limits hold across replicas together, a
//! revocation reaches every replica within a second, and a Redis outage is refused
//! (`closed`) or served without limits (`open`), recovering by itself.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::common::redis::RedisServer;
use crate::common::team::{create_key, send_as, team_admin, team_config, TestStore};
use crate::common::{client, MockUpstream, Proxy, Reply};
use crate::team::settled;

async fn replicas(upstream: &MockUpstream, redis: &RedisServer, on_error: &str) -> Vec<Proxy> {
    let file = team_config(upstream, &TestStore::Redis(redis.url()), on_error);
    let mut proxies = Vec::new();
    for _ in 0..3 {
        proxies.push(Proxy::start(file.load()).await);
    }
    proxies
}

fn upstream_replies(upstream: &MockUpstream, count: usize) {
    for _ in 0..count {
        upstream.push(Reply::completion("hi"));
    }
}

#[tokio::test]
async fn thirty_of_ninety_requests_pass_a_30_rpm_key_whichever_replicas_they_hit() {
    let redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    upstream_replies(&upstream, 90);
    let proxies = replicas(&upstream, &redis, "closed").await;
    let key = create_key(&proxies[0], json!({"name": "burst", "rpm": 30})).await;
    let sends = (0..90).map(|i| send_as(&proxies[i % 3], &key));
    let statuses: Vec<u16> = join_all(sends).await.into_iter().map(|r| r.0).collect();
    let passed = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((passed, limited), (30, 60), "{statuses:?}");
    assert_eq!(upstream.attempts(), 30);
}

#[tokio::test]
async fn a_spend_cap_stops_a_key_on_every_replica_and_revocation_reaches_them_all() {
    let redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    upstream_replies(&upstream, 5);
    let proxies = replicas(&upstream, &redis, "closed").await;
    let key = create_key(&proxies[1], json!({"name": "erin", "group": "ml"})).await;
    let limit = json!({"scope": {"type": "rbac_group", "rbac_group_id": "ml"}, "amount": "2000", "period": "monthly"});
    let (status, _) = team_admin(
        &proxies[2],
        Method::POST,
        "/v1/organizations/spend_limits",
        Some(limit),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(send_as(&proxies[0], &key).await.0, 200);
    settled(&proxies[1], "erin", 1).await;
    assert_eq!(send_as(&proxies[1], &key).await.0, 200);
    settled(&proxies[2], "erin", 2).await;
    for proxy in &proxies {
        let (status, _, should_retry, body) = send_as(proxy, &key).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (429, json!("spend_limit_exceeded"))
        );
        assert_eq!(should_retry.as_deref(), Some("false"));
    }

    let other = create_key(&proxies[0], json!({"name": "frank"})).await;
    for proxy in &proxies {
        assert_eq!(
            send_as(proxy, &other).await.0,
            200,
            "each replica has seen the key"
        );
    }
    let (status, _) = team_admin(&proxies[0], Method::DELETE, "/keys/frank", None).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for proxy in &proxies {
        let (status, _, _, body) = send_as(proxy, &other).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (401, json!("invalid_api_key"))
        );
    }
}

#[tokio::test]
async fn a_tpm_key_is_charged_its_estimate_until_settled_with_its_real_tokens_on_any_replica() {
    let redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    upstream_replies(&upstream, 6);
    let proxies = replicas(&upstream, &redis, "closed").await;
    // Each request reserves 87 tokens (its 93 bytes over 4, plus max_tokens 64) and settles
    // at the mock's 13 (11 in, 2 out): five fit in 150 one after another only if each
    // settle gives back what its estimate reserved beyond its real use.
    let key = create_key(&proxies[0], json!({"name": "tina", "tpm": 150})).await;
    for sent in 1..=5 {
        let (status, _, _, body) = send_as(&proxies[sent % 3], &key).await;
        assert_eq!(status, 200, "request {sent}: {body}");
        settled(&proxies[0], "tina", sent as u64).await;
    }
    let (status, _, _, body) = send_as(&proxies[0], &key).await;
    assert_eq!(status, 429, "{body}");
    let details = &body["error"]["details"];
    assert_eq!(
        (details["limit"].clone(), details["remaining"].clone()),
        (json!(150), json!(150 - 5 * 13)),
        "{body}"
    );
    assert_eq!(upstream.attempts(), 5);
}

/// Sends until `done` holds for the answer's status, for up to `within`.
async fn until(proxy: &Proxy, key: &str, within: Duration, done: impl Fn(u16) -> bool) -> u16 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = send_as(proxy, key).await.0;
        if done(status) || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn redis_stopped_mid_traffic_is_refused_when_closed_and_recovers_by_itself() {
    let mut redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    upstream_replies(&upstream, 10);
    let proxies = replicas(&upstream, &redis, "closed").await;
    let key = create_key(&proxies[0], json!({"name": "gina", "rpm": 100})).await;
    assert_eq!(send_as(&proxies[0], &key).await.0, 200);
    redis.stop();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, _, _, body) = send_as(&proxies[0], &key).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (503, json!("store_unavailable")),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("store")));
    let health: serde_json::Value = client()
        .get(proxies[0].url("/health"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["team"]["store_status"], "unavailable");
    assert!(
        health["team"]["store_outages"].as_u64() >= Some(1),
        "{health}"
    );
    // The key is recreated: this Redis keeps nothing on disk.
    redis.resume().await;
    let (status, _) = team_admin(&proxies[1], Method::GET, "/keys", None).await;
    assert!(status == 200 || status == 503);
    let recovered = until(&proxies[0], &key, Duration::from_secs(10), |s| s != 503).await;
    assert_eq!(
        recovered, 401,
        "back within 10 s (the emptied Redis no longer knows the key)"
    );
}

#[tokio::test]
async fn redis_stopped_with_on_error_open_serves_known_keys_without_limits() {
    let mut redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    upstream_replies(&upstream, 10);
    let proxies = replicas(&upstream, &redis, "open").await;
    let key = create_key(&proxies[0], json!({"name": "hank", "rpm": 1})).await;
    assert_eq!(send_as(&proxies[0], &key).await.0, 200);
    assert_eq!(send_as(&proxies[0], &key).await.0, 429);
    redis.stop();
    for _ in 0..3 {
        assert_eq!(
            send_as(&proxies[0], &key).await.0,
            200,
            "seen recently: served, unlimited"
        );
    }
    let (status, _, _, body) = send_as(&proxies[1], &key).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (503, json!("store_unavailable")),
        "never seen there"
    );
    redis.resume().await;
    let recovered = until(&proxies[0], &key, Duration::from_secs(10), |s| s == 401).await;
    assert_eq!(recovered, 401, "the store is asked again once it is back");
}
