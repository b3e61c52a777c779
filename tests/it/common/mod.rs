//! Test support: a scripted upstream that records what it receives, and the real proxy
//! started in-process on `127.0.0.1:0`. No fixed ports, no global state.

pub mod anthropic_sse;
pub mod browser;
pub mod clients;
pub mod config_file;
pub mod prometheus;
pub mod redis;
pub mod team;
pub mod upstream;

use std::net::SocketAddr;

use ccproxy::config::{self, Config, Env, Overrides, Target};
use tokio::sync::oneshot;

#[allow(unused_imports)] // not every test binary writes config files
pub use config_file::ConfigFile;
pub use upstream::{Judge, MockUpstream, Recorded, Reply};

/// The key the mock provider is configured with: it must reach the upstream, and never
/// appear anywhere else.
pub const PROVIDER_KEY: &str = "sk-mock-provider-key-0123456789abcdef";

/// A running proxy; stopped when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Proxy {
    pub async fn start(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = ccproxy::server::serve(listener, config, shutdown).await {
                panic!("proxy failed: {error}");
            }
        });
        Self {
            addr,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The configuration a user would get from `PROVIDER=mock MOCK_BASE_URL=... MOCK_MODEL=...`.
pub fn env_config(upstream: &MockUpstream, extra: &[(&str, &str)]) -> Config {
    let base_url = upstream.base_url();
    let mut pairs = vec![
        ("PROVIDER", "mock"),
        ("MOCK_BASE_URL", base_url.as_str()),
        ("MOCK_MODEL", "mock-model"),
        ("MOCK_API_KEY", PROVIDER_KEY),
    ];
    pairs.extend_from_slice(extra);
    config::load(&Overrides::default(), &Env::from_pairs(pairs)).expect("valid test config")
}

/// A config loaded from the environment pairs alone (no upstream).
pub fn config_from_env(pairs: &[(&str, &str)]) -> Config {
    config::load(
        &Overrides::default(),
        &Env::from_pairs(pairs.iter().copied()),
    )
    .expect("valid test config")
}

/// A minimal Messages request.
pub fn hello() -> serde_json::Value {
    serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
                       "messages": [{"role": "user", "content": "Say hi"}]})
}

/// `config` (the mock provider's) with a second provider, `backup` at `backup_url`, as the
/// fallback of the default route: `mock,mock-model` then `backup,backup-model`.
pub fn with_backup(mut config: Config, backup_url: &str) -> Config {
    let mut backup = config.providers[0].clone();
    backup.name = "backup".into();
    backup.base_url = backup_url.to_string();
    backup.bind_key();
    config.providers.push(backup);
    config.routes.default = ["mock,mock-model", "backup,backup-model"]
        .into_iter()
        .filter_map(Target::parse)
        .collect();
    config
}

/// `GET path` from the proxy, which must answer 200 with JSON.
pub async fn get_json(proxy: &Proxy, path: &str) -> serde_json::Value {
    let response = client().get(proxy.url(path)).send().await.expect("GET");
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.expect("JSON")
}

/// `POST /v1/messages` with `body`, as a client that sends no key.
pub async fn post_messages(proxy: &Proxy, body: &serde_json::Value) -> reqwest::Response {
    post_messages_in_session(proxy, body, None).await
}

/// [`post_messages`] from Claude Code session `session` (`x-claude-code-session-id`), when
/// there is one.
pub async fn post_messages_in_session(
    proxy: &Proxy,
    body: &serde_json::Value,
    session: Option<&str>,
) -> reqwest::Response {
    let mut request = client().post(proxy.url("/v1/messages")).json(body);
    if let Some(session) = session {
        request = request.header("x-claude-code-session-id", session);
    }
    request.send().await.expect("POST")
}

/// [`post_messages`], which must answer 200.
pub async fn post_messages_ok(proxy: &Proxy, body: &serde_json::Value) -> reqwest::Response {
    let response = post_messages(proxy, body).await;
    assert_eq!(response.status(), 200);
    response
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test client")
}

/// Polls `check` every 50 ms until it holds (10 s at most).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An admin API request: its status and body text.
pub async fn admin(
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut request = client().request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// A raw HTTP/1.1 exchange over a socket (for requests no HTTP client would send): writes
/// `head` then `body`, half-closes when `close`, and returns the status and JSON body of
/// the answer (5 s at most).
pub async fn raw(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
    close: bool,
) -> (u16, serde_json::Value) {
    let exchange = async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
        socket.write_all(head.as_bytes()).await.expect("head");
        socket.write_all(body).await.expect("body");
        if close {
            socket.shutdown().await.expect("half-close");
        }
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        // Read until the end of the answer's JSON body (the connection may stay open).
        loop {
            let n = socket.read(&mut buffer).await.unwrap_or(0);
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            if n == 0 || text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    };
    let text = tokio::time::timeout(std::time::Duration::from_secs(5), exchange)
        .await
        .expect("the proxy did not answer in time");
    parse_answer(&text)
}

/// The status and JSON body (`Null` if none) of a raw HTTP/1.1 answer.
pub fn parse_answer(text: &str) -> (u16, serde_json::Value) {
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or_default())
}
