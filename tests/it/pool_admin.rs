//! Key pools through the admin API, end to end: `GET /providers/{name}/keys` shows each key
//! masked with its state and counts, `POST` adds a key (written to the config file, used by
//! the next request, bound to the provider's host), `DELETE /providers/{name}/keys/{key}`
//! removes one named as shown; bad edits are refused with the seed's envelope, and no
//! answer ever holds a key unmasked.

use crate::common;

use common::{admin, ConfigFile, MockUpstream, Proxy, Reply};
use reqwest::Method;
use serde_json::{json, Value};

const KEYS: [&str; 3] = [
    "sk-admin-pool-aaaa-0001",
    "sk-admin-pool-bbbb-0002",
    "sk-admin-pool-cccc-0003",
];

/// "…" as a URL path writes it.
const ELLIPSIS: &str = "%E2%80%A6";

fn pool_file(upstream: &MockUpstream) -> ConfigFile {
    ConfigFile::new(&json!({
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_keys": [KEYS[0], KEYS[1]], "models": ["mock-model"]}]
    }))
}

/// An admin call; the status and the JSON body, checked to hold no key unmasked.
async fn call(proxy: &Proxy, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let (status, text) = admin(method, proxy.url(path), body).await;
    for key in KEYS {
        assert!(!text.contains(key), "a key leaked from {path}: {text}");
    }
    (status, serde_json::from_str(&text).expect("JSON"))
}

fn shown(pool: &Value) -> Vec<(String, String)> {
    pool["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().into(),
                k["state"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn pair(key: &str, state: &str) -> (String, String) {
    (key.to_string(), state.to_string())
}

async fn send(proxy: &Proxy) -> u16 {
    let response = common::post_messages(proxy, &common::hello()).await;
    response.status().as_u16()
}

#[tokio::test]
async fn a_pool_is_shown_masked_and_keys_are_added_and_removed() {
    let upstream = MockUpstream::start().await;
    let refused = Reply::error(401, json!({"error": {"message": "Invalid API Key"}}), &[]);
    upstream.answer_key(KEYS[0], refused.clone());
    upstream.answer_key(KEYS[1], refused);
    upstream.push(Reply::completion("from the new key"));
    let file = pool_file(&upstream);
    let proxy = Proxy::start(file.load()).await;

    let (status, pool) = call(&proxy, Method::GET, "/providers/mock/keys", None).await;
    assert_eq!(status, 200);
    assert_eq!(pool["provider"], "mock");
    let before = [pair("sk-…0001", "active"), pair("sk-…0002", "active")];
    assert_eq!(shown(&pool), before);
    let (_, provider) = call(&proxy, Method::GET, "/providers/mock", None).await;
    assert_eq!(provider["api_keys"], json!(["sk-…0001", "sk-…0002"]));

    let add = Some(json!({"key": KEYS[2]}));
    let (status, pool) = call(&proxy, Method::POST, "/providers/mock/keys", add).await;
    assert_eq!(status, 201, "{pool}");
    assert_eq!(shown(&pool).len(), 3);
    let written = std::fs::read_to_string(&file.path).expect("the config file");
    assert!(written.contains(KEYS[2]), "saved to the file: {written}");

    assert_eq!(
        send(&proxy).await,
        200,
        "the two refused keys give way to the new one"
    );
    assert_eq!(
        upstream.keys_used().last().map(String::as_str),
        Some(KEYS[2])
    );
    let (_, pool) = call(&proxy, Method::GET, "/providers/mock/keys", None).await;
    let states = shown(&pool);
    assert_eq!(
        states,
        [
            pair("sk-…0001", "invalid"),
            pair("sk-…0002", "invalid"),
            pair("sk-…0003", "active")
        ]
    );
    assert_eq!(pool["keys"][2]["requests"], 1);

    let path = format!("/providers/mock/keys/sk-{ELLIPSIS}0001");
    let (status, pool) = call(&proxy, Method::DELETE, &path, None).await;
    assert_eq!(status, 200, "{pool}");
    let keys: Vec<String> = shown(&pool).into_iter().map(|(key, _)| key).collect();
    assert_eq!(keys, ["sk-…0002", "sk-…0003"]);
    let written = std::fs::read_to_string(&file.path).expect("the config file");
    assert!(!written.contains(KEYS[0]), "removed from the file");
    // Removed by its whole key as well.
    let path = format!("/providers/mock/keys/{}", KEYS[1]);
    let (status, pool) = call(&proxy, Method::DELETE, &path, None).await;
    assert_eq!(status, 200, "{pool}");
    assert_eq!(shown(&pool), [pair("sk-…0003", "active")]);
}

#[tokio::test]
async fn bad_pool_edits_are_refused_and_change_nothing() {
    let upstream = MockUpstream::start().await;
    let file = pool_file(&upstream);
    let proxy = Proxy::start(file.load()).await;
    let before = std::fs::read_to_string(&file.path).expect("the config file");
    let refusals = [
        (
            Method::POST,
            "/providers/mock/keys".to_string(),
            Some(json!({"key": KEYS[0]})),
            400,
        ),
        (
            Method::POST,
            "/providers/mock/keys".into(),
            Some(json!({"key": "sk-…0009"})),
            400,
        ),
        (
            Method::POST,
            "/providers/mock/keys".into(),
            Some(json!({"key": ""})),
            400,
        ),
        (
            Method::POST,
            "/providers/mock/keys".into(),
            Some(json!({"key": "${HOME}"})),
            400,
        ),
        (
            Method::POST,
            "/providers/mock/keys".into(),
            Some(json!({"keys": "x"})),
            400,
        ),
        (
            Method::POST,
            "/providers/nope/keys".into(),
            Some(json!({"key": KEYS[2]})),
            404,
        ),
        (
            Method::DELETE,
            format!("/providers/mock/keys/sk-{ELLIPSIS}0009"),
            None,
            400,
        ),
        (Method::GET, "/providers/nope/keys".into(), None, 404),
    ];
    for (method, path, body, expected) in refusals {
        let (status, answer) = call(&proxy, method.clone(), &path, body.clone()).await;
        assert_eq!(status, expected, "{method} {path} {body:?}: {answer}");
        assert_eq!(answer["type"], "error", "the seed's envelope: {answer}");
    }
    let path = format!("/providers/mock/keys/sk-{ELLIPSIS}0001");
    let (status, _) = call(&proxy, Method::DELETE, &path, None).await;
    assert_eq!(status, 200);
    let path = format!("/providers/mock/keys/sk-{ELLIPSIS}0002");
    let (status, answer) = call(&proxy, Method::DELETE, &path, None).await;
    assert_eq!(status, 400, "the last key stays: {answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("last key"));
    let after = std::fs::read_to_string(&file.path).expect("the config file");
    assert_ne!(before, after, "the one accepted removal was saved");
    assert!(
        after.contains(KEYS[1]) && !after.contains(KEYS[0]),
        "{after}"
    );
}
