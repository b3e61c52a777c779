//! Live configuration end to end: the admin API (add, route to, toggle, delete a provider,
//! each visible on the next request; keys masked; invalid changes refused) and the config
//! file re-read on change and on SIGHUP (a broken edit leaves the old configuration on).

use crate::common;

use common::{admin, client, eventually, ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

const SECOND_KEY: &str = "sk-second-provider-key-0123456789";

fn file_config(upstream: &MockUpstream, default_model: &str) -> Value {
    json!({
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY, "models": ["mock-model"]}],
        "routes": {"default": format!("mock,{default_model}")}
    })
}

fn ask(model: &str) -> Value {
    json!({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
}

/// Sends a message; returns the status and the model header.
async fn send(proxy_url: &str, model: &str) -> (u16, String) {
    let response = client()
        .post(format!("{proxy_url}/v1/messages"))
        .json(&ask(model))
        .send()
        .await
        .expect("request");
    let model = response
        .headers()
        .get("x-ccproxy-model")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (response.status().as_u16(), model)
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[tokio::test]
async fn admin_api_changes_apply_to_the_next_request() {
    use reqwest::Method;
    let (first, second) = (MockUpstream::start().await, MockUpstream::start().await);
    let file = ConfigFile::new(&file_config(&first, "mock-model"));
    let proxy = Proxy::start(file.load()).await;
    let url = proxy.url("");

    // Add a provider: validated, key masked in the answer, saved to the file (0600).
    let provider = json!({"name": "second", "type": "openai", "base_url": second.base_url(),
                          "api_key": SECOND_KEY, "models": ["second-model"]});
    let (status, text) = admin(Method::POST, proxy.url("/providers"), Some(provider)).await;
    assert_eq!(status, 201, "{text}");
    assert!(!text.contains(SECOND_KEY), "the key is masked: {text}");
    assert_eq!(
        parse(&text)["api_key"],
        json!(ccproxy::secret::mask(SECOND_KEY))
    );
    let saved: Value = parse(&std::fs::read_to_string(&file.path).expect("config file"));
    assert_eq!(saved["providers"][1]["name"], "second");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file.path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Route to it: its listed model now goes there.
    second.push(Reply::completion("from second"));
    assert_eq!(
        send(&url, "second-model").await,
        (200, "second-model".into())
    );
    assert_eq!(second.requests().len(), 1);

    // Every read masks every key.
    for path in ["/providers", "/providers/second", "/providers/mock"] {
        let (status, text) = admin(Method::GET, proxy.url(path), None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !text.contains(SECOND_KEY) && !text.contains(PROVIDER_KEY),
            "{path}: {text}"
        );
    }

    // Toggle it off: its model falls through to the default; naming it is a 503.
    let (status, text) = admin(Method::PATCH, proxy.url("/providers/second/toggle"), None).await;
    assert_eq!(
        (status, parse(&text)["enabled"].clone()),
        (200, json!(false)),
        "{text}"
    );
    first.push(Reply::completion("from first"));
    assert_eq!(send(&url, "second-model").await, (200, "mock-model".into()));
    assert_eq!(send(&url, "second,second-model").await.0, 503);
    assert_eq!(second.requests().len(), 1);

    // Delete it: gone from the API and from routing.
    let (status, _) = admin(Method::DELETE, proxy.url("/providers/second"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        admin(Method::GET, proxy.url("/providers/second"), None)
            .await
            .0,
        404
    );
    assert_eq!(send(&url, "second,second-model").await.0, 400);
    let saved: Value = parse(&std::fs::read_to_string(&file.path).expect("config file"));
    assert_eq!(saved["providers"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn invalid_admin_changes_are_refused_with_every_problem() {
    use reqwest::Method;
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&file_config(&upstream, "mock-model"));
    let before = std::fs::read_to_string(&file.path).expect("config file");
    let proxy = Proxy::start(file.load()).await;
    let bad = json!({"name": "bad", "type": "openai", "base_url": "ftp://x", "modles": ["m"]});
    let (status, text) = admin(Method::POST, proxy.url("/providers"), Some(bad)).await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(body["error"]["code"], "invalid_config");
    let problems = body["error"]["details"]["problems"].to_string();
    assert!(problems.contains("providers[1].base_url"), "{problems}");
    assert!(problems.contains("providers[1].modles"), "{problems}");
    let (status, text) = admin(
        Method::POST,
        proxy.url("/providers"),
        Some(json!({"name": "mock"})),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(
        std::fs::read_to_string(&file.path).expect("file"),
        before,
        "file untouched"
    );
}

#[tokio::test]
async fn the_admin_api_needs_the_proxy_key_when_one_is_set() {
    let upstream = MockUpstream::start().await;
    let mut config = file_config(&upstream, "mock-model");
    config["api_key"] = json!("proxy-key-0123456789abcdef");
    let file = ConfigFile::new(&config);
    let proxy = Proxy::start(file.load()).await;
    let response = client()
        .get(proxy.url("/providers"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 401);
    let response = client()
        .get(proxy.url("/providers"))
        .header("x-api-key", "proxy-key-0123456789abcdef")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
}

async fn reload_status(url: &str) -> Value {
    let status: Value = client()
        .get(format!("{url}/status"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    status["config_reload"].clone()
}

#[tokio::test]
async fn an_edited_file_applies_and_a_broken_edit_keeps_the_running_config() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&file_config(&upstream, "model-a"));
    let proxy = Proxy::start(file.load()).await;
    let url = proxy.url("");
    for _ in 0..3 {
        upstream.push(Reply::completion("ok"));
    }
    assert_eq!(send(&url, "x").await, (200, "model-a".into()));

    file.write(&file_config(&upstream, "model-bb"));
    eventually("the edit to apply", || async {
        reload_status(&url).await["last"] == "applied"
    })
    .await;
    assert_eq!(send(&url, "x").await, (200, "model-bb".into()));

    let mut broken = file_config(&upstream, "model-c");
    broken["rotues"] = broken["routes"].clone();
    file.write(&broken);
    eventually("the broken edit to be refused", || async {
        reload_status(&url).await["last"] == "refused"
    })
    .await;
    let status = reload_status(&url).await;
    assert!(
        status["problems"].to_string().contains("rotues"),
        "{status}"
    );
    assert_eq!(send(&url, "x").await, (200, "model-bb".into()));
    let applied_at = status["applied_at"].as_u64().expect("applied_at");
    assert!(applied_at > 1_700_000_000, "{status}");

    // Repairing the file back to what runs is reported too: no stale "refused".
    file.write(&file_config(&upstream, "model-bb"));
    eventually("the repaired file to be reported", || async {
        reload_status(&url).await["last"] == "unchanged"
    })
    .await;
    let status = reload_status(&url).await;
    assert_eq!(status["problems"], serde_json::json!([]), "{status}");
    assert_eq!(status["applied_at"], applied_at, "nothing new was applied");
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_rereads_the_file() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&file_config(&upstream, "model-a"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ccproxy"))
        .args(["serve", "--port", &port.to_string(), "--config"])
        .arg(&file.path)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ccproxy");
    let url = format!("http://127.0.0.1:{port}");
    eventually("the proxy to listen", || async {
        client().get(format!("{url}/health")).send().await.is_ok()
    })
    .await;

    // Same length and the old modification time: only the signal can reveal the change.
    let modified = std::fs::metadata(&file.path)
        .and_then(|m| m.modified())
        .expect("mtime");
    file.write(&file_config(&upstream, "model-b"));
    std::fs::File::options()
        .write(true)
        .open(&file.path)
        .and_then(|f| f.set_modified(modified))
        .expect("restore mtime");
    let killed = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(killed.success());
    eventually("SIGHUP to reload", || async {
        reload_status(&url).await["last"] == "applied"
    })
    .await;
    upstream.push(Reply::completion("ok"));
    let result = send(&url, "x").await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, (200, "model-b".into()));
}
