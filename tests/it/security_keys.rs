//! Keys go only where they were configured to go, and never come back: the admin API cannot
//! send a stored or environment key to a host a client chose, a key is bound to its host
//! even when code moves a provider, an upstream that echoes a key (in an error body, a
//! mid-stream error, a relayed stream) never gets it to the client or the statistics,
//! files that hold keys are private, and no provider may be pointed at a cloud metadata
//! address through the admin API.

use crate::cli_support::{Guard, Home};
use crate::common;

use std::process::Stdio;
use std::time::Duration;

use common::upstream::Recorded;
use common::{client, env_config, eventually, hello, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

const OPENAI_KEY: &str = "sk-openai-env-key-0123456789abcdef";
const GITHUB_KEY: &str = "ghp_githubEnvironmentKey0123456789";
const MOCK_KEY: &str = "sk-mock-home-key-0123456789abcdef";

/// Every byte an upstream received, headers and body.
fn everything(requests: &[Recorded]) -> String {
    requests
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {}",
                r.uri,
                r.headers,
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect()
}

async fn send(url: String, body: Value) -> (u16, Value) {
    let response = client()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// An admin API request: its status and JSON body.
async fn admin(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let (status, text) = common::admin(method, url, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn ask(model: &str) -> Value {
    json!({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn the_admin_api_never_sends_an_environment_key_to_a_host_it_chose() {
    use reqwest::Method;
    let (home_upstream, elsewhere) = (MockUpstream::start().await, MockUpstream::start().await);
    let mut home = Home::new();
    home.set("PROVIDER", Some("mock"))
        .set("MOCK_BASE_URL", Some(&home_upstream.base_url()))
        .set("MOCK_MODEL", Some("mock-model"))
        .set("MOCK_API_KEY", Some(MOCK_KEY))
        .set("OPENAI_API_KEY", Some(OPENAI_KEY))
        .set("GITHUB_API_KEY", Some(GITHUB_KEY));
    let _server = Guard(
        home.command(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let url = home.url();
    eventually("the proxy to listen", || async {
        client().get(format!("{url}/health")).send().await.is_ok()
    })
    .await;

    // A new name whose <NAME>_API_KEY is set: no key, wherever it points.
    let github = json!({"name": "github", "type": "openai", "base_url": elsewhere.base_url(),
                        "models": ["gh-model"]});
    let (status, view) = admin(Method::POST, format!("{url}/providers"), Some(github)).await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["api_key"], Value::Null, "{view}");
    elsewhere.push(Reply::completion("no key came with me"));
    let (status, _) = send(format!("{url}/v1/messages"), ask("github,gh-model")).await;
    assert_eq!(status, 200);

    // A built-in name deleted and re-created on another host: its environment key stays.
    let (status, _) = admin(Method::DELETE, format!("{url}/providers/openai"), None).await;
    assert_eq!(status, 200);
    let openai = json!({"name": "openai", "base_url": elsewhere.base_url()});
    let (status, view) = admin(Method::POST, format!("{url}/providers"), Some(openai)).await;
    assert_eq!(status, 201, "{view}");
    let (status, body) = send(format!("{url}/v1/messages"), ask("openai,gpt-x")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "missing_api_key");

    let seen = everything(&elsewhere.requests());
    for key in [OPENAI_KEY, GITHUB_KEY, MOCK_KEY] {
        assert!(!seen.contains(key), "a key reached the chosen host: {seen}");
    }
    // The configured provider still gets its key at its own host.
    home_upstream.push(Reply::completion("hi"));
    let (status, _) = send(format!("{url}/v1/messages"), hello()).await;
    assert_eq!(status, 200);
    let at_home = &home_upstream.requests()[0];
    assert_eq!(
        at_home.headers["authorization"],
        format!("Bearer {MOCK_KEY}").as_str()
    );
}

#[tokio::test]
async fn a_key_is_sent_only_to_the_host_it_was_configured_for() {
    let (home_upstream, elsewhere) = (MockUpstream::start().await, MockUpstream::start().await);
    let mut config = env_config(&home_upstream, &[]);
    // Moved after loading, without binding the key again: the key stays behind.
    config.providers[0].base_url = elsewhere.base_url();
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    elsewhere.push(Reply::completion("hi"));
    let (status, body) = send(proxy.url("/v1/messages"), hello()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "missing_api_key");
    let seen = everything(&elsewhere.requests());
    assert!(!seen.contains(common::PROVIDER_KEY), "{seen}");
}

/// Keys whose shape the old rules missed: short, base64 with `+/=`, and `id.secret`.
const ODD_KEYS: [&str; 3] = [
    "k3yShort1234a",
    "QUJDREVGR0hJSktMTU5P+/xyz==",
    "acct42.s3cr3tHalfOfTheKey",
];

/// What an upstream echoes of `key`: all of it, or the secret half of an `id.secret` key.
fn echoed(key: &str) -> &str {
    key.split_once('.').map_or(key, |(_, secret)| secret)
}

async fn figures(proxy: &Proxy) -> String {
    let mut text = String::new();
    for path in ["/stats", "/metrics", "/status", "/health"] {
        let response = client().get(proxy.url(path)).send().await.expect("figures");
        text.push_str(&response.text().await.expect("text"));
    }
    text
}

#[tokio::test]
async fn an_upstream_echoing_a_held_key_never_gets_it_to_the_client() {
    for key in ODD_KEYS {
        let upstream = MockUpstream::start().await;
        let mut config = env_config(&upstream, &[("MOCK_API_KEY", key)]);
        config.resilience.retry.max_attempts = 1;
        let proxy = Proxy::start(config).await;
        let echo = echoed(key);
        let message = format!("Incorrect API key provided: {echo}. Check it.");
        for status in [400, 403, 500] {
            upstream.push(Reply::status(
                status,
                json!({"error": {"message": message}}),
            ));
        }
        let broken_off = format!("data: {{\"error\": {{\"message\": \"{message}\"}}}}\n\n");
        let first = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
                           "choices": [{"index": 0, "delta": {"content": "Hi"}}]});
        upstream.push(Reply::Sse {
            chunks: vec![
                format!("data: {first}\n\n").into_bytes(),
                broken_off.into_bytes(),
            ],
            pause: Duration::ZERO,
        });
        let mut seen = String::new();
        for _ in 0..3 {
            let response = client()
                .post(proxy.url("/v1/messages"))
                .json(&hello())
                .send()
                .await
                .expect("request");
            assert!(response.status().as_u16() >= 400);
            seen.push_str(&response.text().await.expect("body"));
        }
        let mut streamed = hello();
        streamed["stream"] = json!(true);
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&streamed)
            .send()
            .await
            .expect("stream");
        let text = response.text().await.expect("stream body");
        assert!(text.contains("event: error"), "{text}");
        seen.push_str(&text);
        seen.push_str(&figures(&proxy).await);
        assert!(seen.contains("Incorrect API key provided"), "{seen}");
        assert!(!seen.contains(echo), "key {key} leaked: {seen}");
    }
}

#[tokio::test]
async fn a_relayed_anthropic_stream_is_scrubbed_of_held_keys_however_it_is_split() {
    let upstream = MockUpstream::start().await;
    let proxy_key = "proxy-key-the-client-sends-0001";
    let mut config = common::config_from_env(&[
        ("PROVIDER", "anthropic"),
        ("ANTHROPIC_BASE_URL", upstream.base_url().as_str()),
        ("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
        ("ANTHROPIC_API_KEY", ODD_KEYS[1]),
        ("CCPROXY_API_KEY", proxy_key),
    ]);
    config.resilience.retry.max_attempts = 1;
    let proxy = Proxy::start(config).await;
    let start = json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null,
        "usage": {"input_tokens": 3, "output_tokens": 1}}});
    let error = format!(
        "event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"api_error\",\
         \"message\":\"bad key {} for {proxy_key}\"}}}}\n\n",
        ODD_KEYS[1]
    );
    let mut chunks = vec![format!("event: message_start\ndata: {start}\n\n").into_bytes()];
    chunks.extend(error.as_bytes().chunks(5).map(<[u8]>::to_vec));
    upstream.push(Reply::Sse {
        chunks,
        pause: Duration::ZERO,
    });
    let mut streamed = hello();
    streamed["stream"] = json!(true);
    let response = client()
        .post(proxy.url("/v1/messages"))
        .header("x-api-key", proxy_key)
        .json(&streamed)
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("stream body");
    assert!(
        text.contains("event: error") && text.contains("bad key"),
        "{text}"
    );
    assert!(!text.contains(ODD_KEYS[1]), "{text}");
    assert!(!text.contains(proxy_key), "{text}");
}

#[test]
fn import_ccr_writes_its_file_readable_by_the_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let ccr = home.path("ccr.json");
    let providers = json!({"Providers": [{"name": "sf", "api_base_url": "https://api.sf.example/v1/chat/completions",
        "api_key": "sk-literal-key-in-ccr-0123456789", "models": ["m"]}],
        "Router": {"default": "sf,m"}});
    std::fs::write(&ccr, providers.to_string()).expect("ccr file");
    let out = home.path("out.json");
    let ccr_arg = ccr.display().to_string();
    let out_arg = out.display().to_string();
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("written")
            .permissions()
            .mode()
            & 0o777
    };
    let run = home.run(&["config", "import-ccr", &ccr_arg, "--output", &out_arg]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(mode(&out), 0o600);
    // Replacing a world-readable file leaves a private one.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = home.run(&[
        "config",
        "import-ccr",
        &ccr_arg,
        "--output",
        &out_arg,
        "--force",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(mode(&out), 0o600);
}

#[tokio::test]
async fn the_admin_api_refuses_link_local_and_metadata_base_urls() {
    use reqwest::Method;
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    let refused = [
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.10.1:8080/v1",
        "http://[fe80::1]/v1",
        "http://[fd00:ec2::254]/v1",
        "http://[::ffff:169.254.169.254]/v1",
        "http://metadata.google.internal/computeMetadata/v1",
        "http://METADATA.google.internal./v1",
        "http://100.100.100.200/latest",
        "http://2852039166/v1",
    ];
    for (i, base_url) in refused.iter().enumerate() {
        let provider = json!({"name": format!("meta{i}"), "type": "openai", "base_url": base_url,
                              "api_key": "sk-some-key-0123456789", "models": ["m"]});
        let (status, body) = admin(
            Method::POST,
            proxy.url("/providers"),
            Some(provider.clone()),
        )
        .await;
        assert_eq!(status, 400, "{base_url}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("base_url"), "{message}");
        let mut moved = provider;
        moved["name"] = json!("mock");
        let (status, body) = admin(Method::PUT, proxy.url("/providers/mock"), Some(moved)).await;
        assert_eq!(status, 400, "PUT {base_url}: {body}");
    }
    let allowed = [
        "http://127.0.0.1:11434/v1",
        "http://localhost:8000/v1",
        "http://10.0.0.5:8000/v1",
        "http://192.168.1.20/v1",
        "http://[::1]:8000/v1",
    ];
    for (i, base_url) in allowed.iter().enumerate() {
        let provider = json!({"name": format!("local{i}"), "type": "openai",
                              "base_url": base_url, "models": ["m"]});
        let (status, body) = admin(Method::POST, proxy.url("/providers"), Some(provider)).await;
        assert_eq!(status, 201, "{base_url}: {body}");
    }
}
