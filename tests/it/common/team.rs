//! Team mode support: a config file with a priced mock provider and a store (embedded in a
//! temp folder, or Redis), and the admin calls the tests make.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::{client, ConfigFile, MockUpstream, Proxy, PROVIDER_KEY};

/// The admin key of team-mode tests.
pub const ADMIN_KEY: &str = "admin-key-for-team-tests";

/// Where team state lives in a test.
pub enum TestStore {
    /// The embedded file, in the config file's own temp folder.
    Embedded,
    Redis(String),
}

/// A team-mode config: the mock provider at $1 per input token and $2 per output token, so
/// that each mock completion (11 in, 2 out) costs $15 = 1500 cents.
pub fn team_config(upstream: &MockUpstream, store: &TestStore, on_error: &str) -> ConfigFile {
    let mut config = json!({
        "api_key": ADMIN_KEY,
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY, "models": ["mock-model"]}],
        "prices": {"mock,mock-model": {"input_per_mtok": 1_000_000.0, "output_per_mtok": 2_000_000.0}},
        "team": {"enabled": true},
        "store": {"on_error": on_error},
    });
    let file = ConfigFile::new(&config);
    config["store"] = match store {
        TestStore::Embedded => {
            let path: PathBuf = file.path.with_file_name("team.redb");
            json!({"path": path, "on_error": on_error})
        }
        TestStore::Redis(url) => json!({"redis_url": url, "on_error": on_error}),
    };
    file.write(&config);
    file
}

/// `POST /keys` as the admin; returns the new key.
pub async fn create_key(proxy: &Proxy, body: Value) -> String {
    let response = client()
        .post(proxy.url("/keys"))
        .header("x-api-key", ADMIN_KEY)
        .json(&body)
        .send()
        .await
        .expect("POST /keys");
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("JSON");
    created["key"].as_str().expect("the key, once").to_string()
}

/// An admin call; returns the status and the JSON body.
pub async fn team_admin(
    proxy: &Proxy,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client()
        .request(method, proxy.url(path))
        .header("x-api-key", ADMIN_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A Messages request with a developer key: the status, the `retry-after` and
/// `x-should-retry` headers, and the body.
pub async fn send_as(proxy: &Proxy, key: &str) -> (u16, Option<String>, Option<String>, Value) {
    let response = client()
        .post(proxy.url("/v1/messages"))
        .header("x-api-key", key)
        .json(&super::hello())
        .send()
        .await
        .expect("POST /v1/messages");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (retry, should) = (header("retry-after"), header("x-should-retry"));
    (
        status,
        retry,
        should,
        response.json().await.unwrap_or(Value::Null),
    )
}
