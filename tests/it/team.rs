//! Team mode on one machine (the embedded store): developer keys gate the Messages API,
//! per-key rate limits and spend limits refuse with the seed's envelope, usage is counted
//! per key, and the admin API shows keys once and masks them after.

use ccproxy::report::{StatsReport, TeamMode};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::team::{create_key, send_as, team_admin, team_config, TestStore, ADMIN_KEY};
use crate::common::{client, eventually, get_json, hello, prometheus, MockUpstream, Proxy, Reply};

async fn upstream_with(replies: usize) -> MockUpstream {
    let upstream = MockUpstream::start().await;
    for _ in 0..replies {
        upstream.push(Reply::completion("hi"));
    }
    upstream
}

/// Waits until the store shows `requests` settled requests for `name`; returns the key.
pub async fn settled(proxy: &Proxy, name: &str, requests: u64) -> Value {
    let path = format!("/keys/{name}");
    eventually(&format!("{name}'s settled requests"), || async {
        team_admin(proxy, Method::GET, &path, None).await.1["requests"] == requests
    })
    .await;
    team_admin(proxy, Method::GET, &path, None).await.1
}

#[tokio::test]
async fn developer_keys_gate_the_messages_api_and_are_shown_once() {
    let upstream = upstream_with(4).await;
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;

    let anonymous = client()
        .post(proxy.url("/v1/messages"))
        .json(&hello())
        .send()
        .await;
    let anonymous = anonymous.expect("POST");
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let (status, _, _, body) = send_as(&proxy, ADMIN_KEY).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("invalid_api_key"))
    );

    let key = create_key(&proxy, json!({"name": "alice", "group": "ml"})).await;
    assert!(key.starts_with("ccp_"));
    let (status, listed) = team_admin(&proxy, Method::GET, "/keys", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["keys"][0]["name"], "alice");
    assert_eq!(listed["keys"][0]["group"], "ml");
    assert!(
        !listed.to_string().contains(&key[4..]),
        "the key is shown once: {listed}"
    );
    let (status, again) = team_admin(
        &proxy,
        Method::POST,
        "/keys",
        Some(json!({"name": "alice"})),
    )
    .await;
    assert_eq!(
        (status, again["error"]["code"].clone()),
        (409, json!("key_exists"))
    );

    let bearer = client()
        .post(proxy.url("/v1/messages"))
        .bearer_auth(&key)
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(
        bearer.status(),
        200,
        "Authorization: Bearer, as Claude Code sends it"
    );
    assert_eq!(send_as(&proxy, &key).await.0, 200);
    let on_admin = client()
        .get(proxy.url("/keys"))
        .header("x-api-key", &key)
        .send()
        .await;
    assert_eq!(
        on_admin.expect("GET").status(),
        401,
        "a developer key is not the admin key"
    );

    let (status, revoked) = team_admin(&proxy, Method::DELETE, "/keys/alice", None).await;
    assert_eq!((status, revoked), (200, json!({"revoked": "alice"})));
    let (status, _, _, body) = send_as(&proxy, &key).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("invalid_api_key"))
    );
    let (status, body) = team_admin(&proxy, Method::GET, "/keys/alice", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("key_not_found"))
    );
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_limit_remaining_and_retry_after() {
    let upstream = upstream_with(3).await;
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;
    let key = create_key(&proxy, json!({"name": "bob", "rpm": 2})).await;
    let counted = client()
        .post(proxy.url("/v1/messages/count_tokens"))
        .header("x-api-key", &key)
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(counted.status(), 200, "count_tokens does not count");
    assert_eq!(send_as(&proxy, &key).await.0, 200);
    assert_eq!(send_as(&proxy, &key).await.0, 200);
    let (status, retry_after, _, body) = send_as(&proxy, &key).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    let details = &body["error"]["details"];
    assert_eq!(
        (details["limit"].clone(), details["remaining"].clone()),
        (json!(2), json!(0))
    );
    let wait = details["retry_after"].as_u64().expect("retry_after");
    assert!((1..=60).contains(&wait), "{body}");
    assert_eq!(retry_after, Some(wait.to_string()));
    assert_eq!(
        upstream.attempts(),
        2,
        "the refused request never reached the provider"
    );
}

#[tokio::test]
async fn a_spend_limit_stops_a_key_once_crossed_and_usage_is_counted() {
    let upstream = upstream_with(3).await;
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;
    let key = create_key(&proxy, json!({"name": "carol"})).await;
    let limit =
        json!({"scope": {"type": "user", "user_id": "carol"}, "amount": "2000", "period": "daily"});
    let (status, set) = team_admin(
        &proxy,
        Method::POST,
        "/v1/organizations/spend_limits",
        Some(limit),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["type"], "spend_limit");
    assert_eq!(set["amount"], "2000");
    assert_eq!(set["scope"], json!({"type": "user", "user_id": "carol"}));
    // Each completion costs 1500 cents: the second still starts under the cap.
    assert_eq!(send_as(&proxy, &key).await.0, 200);
    settled(&proxy, "carol", 1).await;
    assert_eq!(send_as(&proxy, &key).await.0, 200);
    let usage = settled(&proxy, "carol", 2).await;
    assert_eq!(usage["input_tokens"], 22);
    assert_eq!(usage["cost_usd"], 30.0);
    assert_eq!(usage["spend_cents"]["daily"], 3000);
    let (status, retry_after, should_retry, body) = send_as(&proxy, &key).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "spend_limit_exceeded");
    assert_eq!(body["error"]["details"]["limit"], 2000);
    assert_eq!(body["error"]["details"]["spent"], 3000);
    assert_eq!(should_retry.as_deref(), Some("false"));
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s <= 86_400)));

    let metrics = prometheus::scrape(&proxy, None).await;
    assert_eq!(
        metrics.sum("ccproxy_key_requests_total", &[("key", "carol")]),
        2.0
    );
    let stats: StatsReport =
        serde_json::from_value(get_json(&proxy, "/stats").await).expect("typed /stats");
    let team = stats.health.team;
    assert_eq!(team.mode, TeamMode::On);
    assert_eq!(team.store.as_deref(), Some("embedded"));
    let keys = team.keys.expect("the keys in team mode");
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].name.as_str(), keys[0].requests), ("carol", 2));
    assert_eq!(keys[0].spend_cents.daily, 3000);
    let (_, listed) = team_admin(&proxy, Method::GET, "/v1/organizations/spend_limits", None).await;
    let id = listed["data"][0]["id"].as_str().expect("id").to_string();
    let (status, deleted) = team_admin(
        &proxy,
        Method::DELETE,
        &format!("/v1/organizations/spend_limits/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, deleted),
        (200, json!({"id": id, "type": "spend_limit_deleted"}))
    );
    assert_eq!(send_as(&proxy, &key).await.0, 200);
}

#[tokio::test]
async fn the_first_key_turns_team_mode_on() {
    let upstream = upstream_with(1).await;
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let mut config = file.load();
    config.team.enabled = false;
    config.api_key = None;
    let proxy = Proxy::start(config).await;
    let open = client()
        .post(proxy.url("/v1/messages"))
        .json(&hello())
        .send()
        .await;
    assert_eq!(
        open.expect("POST").status(),
        200,
        "no key needed before the first"
    );
    let created = client()
        .post(proxy.url("/keys"))
        .json(&json!({"name": "dave"}))
        .send()
        .await
        .expect("POST /keys");
    assert_eq!(created.status(), 201);
    let closed = client()
        .post(proxy.url("/v1/messages"))
        .json(&hello())
        .send()
        .await;
    assert_eq!(closed.expect("POST").status(), 401);
}
