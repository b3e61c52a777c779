//! Providers reached through the proxy the environment names (docs/providers.md,
//! "Behind a corporate proxy"): an `http` provider by sending the request to the proxy
//! with its credentials, an `https` one through a `CONNECT` tunnel that carries only the
//! host (the provider key stays inside the tunnel), and `NO_PROXY` hosts directly. The
//! proxy here is a scripted one that records what it is asked; `ccproxy serve` runs as its
//! own process, so the variables are its own.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::cli_support::{self, wait_for_address, Home};
use crate::common::{self, MockUpstream, Reply};

/// `user:secret` in Basic form, as a `Proxy-Authorization` must carry it (lower-cased, as
/// the recorded heads are).
const PROXY_AUTH: &str = "proxy-authorization: basic dxnlcjpzzwnyzxq=";

/// A forward proxy that records each request head it gets and answers a `CONNECT` with
/// 403, anything else with an OpenAI chat completion saying "via the proxy".
struct ScriptedProxy {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl ScriptedProxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!(
            "http://user:secret@{}",
            listener.local_addr().expect("address")
        );
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut socket).await else {
                        return;
                    };
                    let answer = if head.starts_with("CONNECT ") {
                        "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_string()
                    } else {
                        completion()
                    };
                    recorded.lock().expect("heads").push(head);
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { url, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }
}

/// The request head (lower-cased), and the body read past so the answer follows it.
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_all = async {
        loop {
            let n = socket.read(&mut buffer).await.ok()?;
            if n == 0 {
                return None;
            }
            bytes.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&bytes).to_string();
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let head = text[..end].to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return Some(head);
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read_all)
        .await
        .ok()
        .flatten()
}

/// An OpenAI chat completion answering `text`.
fn completion_body(text: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "openai/gpt-oss-120b",
        "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3}
    })
}

fn completion() -> String {
    let body = completion_body("via the proxy").to_string();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// `ccproxy serve` with one Groq provider at `base_url`, the variables `env` set; the
/// answer to one request.
async fn ask_through(base_url: &str, env: &[(&str, &str)]) -> (u16, Value) {
    let mut home = Home::new();
    for (name, value) in env {
        home.set(name, Some(value));
    }
    let (_server, lines) = home.serve_with(&json!({
        "providers": [{"name": "groq", "base_url": base_url}],
        "routes": {"default": "groq,openai/gpt-oss-120b"}
    }));
    let address = wait_for_address(&lines, &mut Vec::new());
    let response = common::client()
        .post(format!("http://{address}/v1/messages"))
        .json(&common::hello())
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_provider_is_reached_through_http_proxy_with_its_credentials() {
    let proxy = ScriptedProxy::start().await;
    let (status, body) =
        ask_through("http://provider.test/v1", &[("HTTP_PROXY", &proxy.url)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["content"][0]["text"], "via the proxy", "{body}");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("post http://provider.test/v1/chat/completions http/1.1"),
        "{heads:?}"
    );
    assert!(heads[0].contains(PROXY_AUTH), "{heads:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_provider_is_tunnelled_and_its_key_stays_inside_the_tunnel() {
    let proxy = ScriptedProxy::start().await;
    let (status, body) =
        ask_through("https://provider.test/v1", &[("HTTPS_PROXY", &proxy.url)]).await;
    assert_eq!(body["error"]["code"], "provider_unavailable", "{body}");
    assert!(status >= 500, "{status} {body}");
    assert!(!body.to_string().contains("secret"), "{body}");
    let heads = proxy.heads();
    assert!(!heads.is_empty(), "the proxy was never asked");
    for head in &heads {
        assert!(
            head.starts_with("connect provider.test:443 http/1.1"),
            "{heads:?}"
        );
        assert!(head.contains(PROXY_AUTH), "{heads:?}");
        assert!(
            !head.contains(&cli_support::GROQ_KEY.to_ascii_lowercase()),
            "the provider key reached the proxy: {heads:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_proxy_hosts_are_reached_directly() {
    let proxy = ScriptedProxy::start().await;
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::json(completion_body("straight there")));
    let (status, body) = ask_through(
        &upstream.base_url(),
        &[("HTTP_PROXY", &proxy.url), ("NO_PROXY", "127.0.0.1")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["content"][0]["text"], "straight there", "{body}");
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());
}
