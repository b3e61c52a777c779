//! `docs/errors.md` shows every error code with a real body: this test produces each one
//! through the proxy (against a scripted upstream where a provider is involved) and checks
//! it against the document. `CCPROXY_BLESS_DOCS=1 cargo test --test errors_doc` rewrites the
//! examples from what the proxy returns.

use crate::common;

use std::time::Duration;

use ccproxy::config::Config;
use ccproxy::error::ProxyError;
use common::team::{team_config, TestStore};
use common::upstream::refused_address;
use common::{client, config_from_env, hello, MockUpstream, Proxy, Reply};
use serde_json::{json, Value};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md");
/// Where the documented examples pretend the provider lives.
const SHOWN_BASE_URL: &str = "https://api.groq.com/openai/v1";

/// `PROVIDER=groq` pointed at the scripted upstream, without retries.
fn groq(upstream: &MockUpstream, key: bool) -> Config {
    let base_url = upstream.base_url();
    let mut pairs = vec![("PROVIDER", "groq"), ("GROQ_BASE_URL", base_url.as_str())];
    if key {
        pairs.push(("GROQ_API_KEY", common::PROVIDER_KEY));
    }
    let mut config = config_from_env(&pairs);
    config.resilience.retry.max_attempts = 1;
    config
}

/// One documented error: its status and body as the proxy returned them.
struct Example {
    status: u16,
    body: Value,
}

async fn send(request: reqwest::RequestBuilder) -> Example {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    Example {
        status,
        body: serde_json::from_str(&text).expect("JSON error body"),
    }
}

/// The body of a provider failure: one scripted reply to a `POST /v1/messages`.
async fn upstream_says(reply: Reply) -> Example {
    let upstream = MockUpstream::start().await;
    upstream.push(reply);
    provider_failure(&upstream, groq(&upstream, true)).await
}

async fn provider_failure(upstream: &MockUpstream, config: Config) -> Example {
    let proxy = Proxy::start(config).await;
    let mut example = send(client().post(proxy.url("/v1/messages")).json(&hello())).await;
    let shown = serde_json::to_string(&example.body)
        .expect("JSON")
        .replace(&upstream.base_url(), SHOWN_BASE_URL);
    example.body = serde_json::from_str(&shown).expect("JSON");
    example
}

async fn from_client(body: &str, path: &str, get: bool) -> Example {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(groq(&upstream, true)).await;
    let request = if get {
        client().get(proxy.url(path))
    } else {
        client()
            .post(proxy.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    send(request).await
}

/// An admin API request to a proxy configured with `PROVIDER=groq`.
async fn admin(method: reqwest::Method, path: &str, body: Option<Value>) -> Example {
    let proxy = Proxy::start(config_from_env(&[("PROVIDER", "groq")])).await;
    let mut request = client().request(method, proxy.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

fn built(error: ProxyError) -> Example {
    Example {
        status: error.status().as_u16(),
        body: error.body(),
    }
}

fn openai_error(message: &str, kind: &str, code: Value) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

async fn example(code: &str) -> Example {
    match code {
        "invalid_json" => from_client("{not json", "/v1/messages", false).await,
        "missing_field" => {
            let body = r#"{"max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}"#;
            from_client(body, "/v1/messages", false).await
        }
        "invalid_field" => {
            let body = r#"{"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": []}"#;
            from_client(body, "/v1/messages", false).await
        }
        "unknown_provider" => {
            let body = r#"{"model": "grok,llama-3.3-70b", "max_tokens": 64,
                           "messages": [{"role": "user", "content": "Hi"}]}"#;
            from_client(body, "/v1/messages", false).await
        }
        "request_timeout" => {
            let upstream = MockUpstream::start().await;
            let mut config = groq(&upstream, true);
            config.resilience.timeouts.client_body = Duration::from_millis(100);
            let proxy = Proxy::start(config).await;
            let head = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                        content-type: application/json\r\ncontent-length: 100\r\n\r\n";
            let (status, body) = common::raw(proxy.addr, head, b"{\"model\":", false).await;
            Example { status, body }
        }
        "not_found" => from_client("", "/v1/nothing", true).await,
        "method_not_allowed" => from_client("", "/v1/messages", true).await,
        "request_too_large" => {
            let upstream = MockUpstream::start().await;
            let mut config = groq(&upstream, true);
            config.max_request_bytes = 1024;
            let proxy = Proxy::start(config).await;
            let big =
                json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
            send(client().post(proxy.url("/v1/messages")).json(&big)).await
        }
        "missing_api_key" => {
            let upstream = MockUpstream::start().await;
            provider_failure(&upstream, groq(&upstream, false)).await
        }
        "remote_client_forbidden" => built(ProxyError::RemoteClientForbidden),
        "cross_origin_forbidden" => {
            let proxy = Proxy::start(config_from_env(&[("PROVIDER", "groq")])).await;
            let request = client().post(proxy.url("/v1/messages"));
            send(
                request
                    .header("origin", "https://example.com")
                    .json(&hello()),
            )
            .await
        }
        "proxy_loop" => built(ProxyError::ProxyLoop {
            provider: "anthropic".into(),
            base_url: "http://127.0.0.1:3456".into(),
            base_url_var: "ANTHROPIC_BASE_URL".into(),
        }),
        "misconfigured" => built(ProxyError::Misconfigured {
            setting: "routes.default".into(),
            problem: "no default route is configured".into(),
        }),
        "shutting_down" => built(ProxyError::ShuttingDown),
        "internal_error" => built(ProxyError::Internal {
            message: "the upstream stream produced nothing".into(),
        }),
        "invalid_api_key" => {
            upstream_says(Reply::status(
                401,
                openai_error(
                    "Invalid API Key",
                    "invalid_request_error",
                    json!("invalid_api_key"),
                ),
            ))
            .await
        }
        "insufficient_permissions" => {
            upstream_says(Reply::status(
                403,
                openai_error(
                    "Your organization does not have access to this model.",
                    "permission_error",
                    Value::Null,
                ),
            ))
            .await
        }
        "model_not_found" => {
            let upstream = MockUpstream::start().await;
            upstream.serve_models(json!({"object": "list", "data": [
                {"id": "openai/gpt-oss-120b"}, {"id": "openai/gpt-oss-20b"}]}));
            upstream.push(Reply::status(
                404,
                openai_error(
                    "The model `kimi-k3` does not exist or you do not have access to it.",
                    "invalid_request_error",
                    json!("model_not_found"),
                ),
            ));
            let mut config = groq(&upstream, true);
            config.routes.default[0].model = "kimi-k3".into();
            provider_failure(&upstream, config).await
        }
        "rate_limit_exceeded" => {
            upstream_says(Reply::error(
                429,
                openai_error(
                    "Rate limit reached for requests",
                    "requests",
                    json!("rate_limit_exceeded"),
                ),
                &[
                    ("retry-after", "60"),
                    ("x-ratelimit-limit-requests", "5000"),
                    ("x-ratelimit-remaining-requests", "0"),
                    ("x-ratelimit-reset-requests", "1m0s"),
                ],
            ))
            .await
        }
        "provider_rejected_request" => {
            upstream_says(Reply::status(
                400,
                openai_error(
                    "'temperature' must be less than or equal to 2",
                    "invalid_request_error",
                    Value::Null,
                ),
            ))
            .await
        }
        "prompt_too_long" => {
            upstream_says(Reply::status(
                400,
                openai_error(
                    "This model's maximum context length is 131072 tokens. However, your \
                     messages resulted in 215692 tokens. Please reduce the length of the messages.",
                    "invalid_request_error",
                    json!("context_length_exceeded"),
                ),
            ))
            .await
        }
        "provider_unavailable" => upstream_says(Reply::error(
            503,
            json!({"error": {"message": "Service Unavailable", "type": "internal_server_error"}}),
            &[("retry-after", "30")],
        ))
        .await,
        "upstream_error" => {
            upstream_says(Reply::status(
                500,
                openai_error(
                    "Internal server error",
                    "internal_server_error",
                    Value::Null,
                ),
            ))
            .await
        }
        "upstream_timeout" => {
            upstream_says(Reply::status(
                504,
                json!({"error": {"message": "Gateway Timeout"}}),
            ))
            .await
        }
        "invalid_upstream_response" => {
            upstream_says(Reply::Raw {
                status: 200,
                content_type: "text/html".into(),
                body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
            })
            .await
        }
        "incomplete_upstream_response" => {
            upstream_says(Reply::Broken {
                chunks: vec![
                    br#"{"id":"chatcmpl-8x","object":"chat.completion","choices":["#.to_vec(),
                ],
            })
            .await
        }
        "provider_timeout" => {
            let upstream = MockUpstream::start().await;
            upstream.push(Reply::completion("late").after(Duration::from_secs(30)));
            let mut config = groq(&upstream, true);
            config.resilience.timeouts.response = Duration::from_secs(1);
            provider_failure(&upstream, config).await
        }
        "provider_unavailable: circuit open" => {
            // The first request opens the circuit; the second is its trial, held by the
            // provider; the third comes while the trial is in flight.
            let upstream = MockUpstream::start().await;
            upstream
                .push(Reply::status(500, json!({"error": {"message": "boom"}})))
                .push(Reply::completion("the trial").after(Duration::from_secs(2)));
            let mut config = groq(&upstream, true);
            config.resilience.breaker.failure_threshold = 1;
            let proxy = Proxy::start(config).await;
            let url = proxy.url("/v1/messages");
            send(client().post(&url).json(&hello())).await;
            let trial = tokio::spawn(client().post(&url).json(&hello()).send());
            upstream.received(2).await;
            let example = send(client().post(&url).json(&hello())).await;
            trial.abort();
            example
        }
        "provider_timeout: retry budget" => {
            let upstream = MockUpstream::start().await;
            upstream
                .push(Reply::status(500, json!({"error": {"message": "boom"}})))
                .push(Reply::completion("late").after(Duration::from_secs(30)));
            let mut config = groq(&upstream, true);
            config.resilience.retry.max_attempts = 3;
            config.resilience.retry.base_delay = Duration::from_millis(1);
            config.resilience.retry.total = Duration::from_millis(1500);
            provider_failure(&upstream, config).await
        }
        "provider_unavailable: connection refused" => {
            let upstream = MockUpstream::start().await;
            let mut config = groq(&upstream, true);
            let refused = format!("http://{}/v1", refused_address().await);
            config.providers[0].base_url = refused.clone();
            config.providers[0].bind_key();
            let mut example = provider_failure(&upstream, config).await;
            let shown = serde_json::to_string(&example.body)
                .expect("JSON")
                .replace(&refused, SHOWN_BASE_URL);
            example.body = serde_json::from_str(&shown).expect("JSON");
            example
        }
        "invalid_config" => {
            let provider = json!({"name": "lab", "type": "openai", "base_url": "ftp://lab.local",
                                  "modles": ["qwen3"]});
            admin(reqwest::Method::POST, "/providers", Some(provider)).await
        }
        "provider_not_found" => admin(reqwest::Method::GET, "/providers/lab", None).await,
        "provider_exists" => {
            let provider = json!({"name": "groq", "models": ["llama-3.3-70b-versatile"]});
            admin(reqwest::Method::POST, "/providers", Some(provider)).await
        }
        "invalid_api_key: developer key" => {
            let upstream = MockUpstream::start().await;
            let file = team_config(&upstream, &TestStore::Embedded, "closed");
            let proxy = Proxy::start(file.load()).await;
            send(client().post(proxy.url("/v1/messages")).json(&hello())).await
        }
        "rate_limit_exceeded: developer key" => built(ProxyError::KeyRateLimited {
            key: "alice".into(),
            unit: "requests",
            limit: 30,
            remaining: 0,
            retry_after: Duration::from_secs(42),
        }),
        "spend_limit_exceeded" => built(ProxyError::SpendLimitExceeded {
            scope: "key 'alice'".into(),
            period: "daily",
            limit_cents: 500,
            spent_cents: 512,
            retry_after: Duration::from_secs(3 * 3600 + 25 * 60),
        }),
        "store_unavailable" => built(ProxyError::StoreUnavailable {
            reason: "Redis: Connection refused (os error 111)".into(),
        }),
        "key_not_found" => built(ProxyError::KeyNotFound {
            name: "alice".into(),
        }),
        "key_exists" => built(ProxyError::KeyExists {
            name: "alice".into(),
        }),
        "spend_limit_not_found" => built(ProxyError::SpendLimitNotFound {
            id: "spl_0123456789abcdef01234567".into(),
        }),
        other => panic!("no scenario produces `{other}`: add one"),
    }
}

/// A documented example: ``### `code` (status `type`)``, optionally followed by
/// `: variant`, then a ```json block.
struct Documented {
    /// `code`, or `code: variant` when a code has several examples.
    code: String,
    status: u16,
    /// Byte range of the JSON inside the document.
    json: std::ops::Range<usize>,
}

fn documented(doc: &str) -> Vec<Documented> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in doc.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(heading) = line.strip_prefix("### `") else {
            continue;
        };
        let (code, rest) = heading.split_once('`').expect("### `code` (status ...)");
        let variant = rest.split_once("): ").map(|(_, v)| v.trim());
        let code = match variant {
            Some(variant) => format!("{code}: {variant}"),
            None => code.to_string(),
        };
        let status = rest
            .trim()
            .trim_start_matches('(')
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("heading of `{code}` names no status"));
        let open = doc[start..].find("```json\n").expect("a json block") + start + 8;
        let close = doc[open..].find("```").expect("end of the json block") + open;
        found.push(Documented {
            code,
            status,
            json: open..close,
        });
    }
    found
}

#[tokio::test]
async fn every_documented_example_is_what_the_proxy_returns() {
    let doc = std::fs::read_to_string(DOC).expect("docs/errors.md");
    let bless = std::env::var_os("CCPROXY_BLESS_DOCS").is_some();
    let mut rewritten = doc.clone();
    let entries = documented(&doc);
    assert!(entries.len() >= 20, "every code is documented");
    for entry in entries.iter().rev() {
        let actual = example(&entry.code).await;
        if bless {
            let pretty = serde_json::to_string_pretty(&actual.body).expect("JSON");
            rewritten.replace_range(entry.json.clone(), &format!("{pretty}\n"));
            continue;
        }
        let shown: Value = serde_json::from_str(&doc[entry.json.clone()])
            .unwrap_or_else(|e| panic!("the example of `{}` is not JSON: {e}", entry.code));
        assert_eq!(actual.body, shown, "docs/errors.md, `{}`", entry.code);
        assert_eq!(actual.status, entry.status, "status of `{}`", entry.code);
        let code = actual.body["error"]["code"].as_str().expect("code");
        let expected = entry.code.split(':').next().unwrap_or_default();
        assert_eq!(code, expected);
    }
    if bless {
        std::fs::write(DOC, rewritten).expect("write docs/errors.md");
    }
}

/// Claude Code shows only `error.message`: for the codes whose only hint used to be in
/// `details.suggestion`, the documented message itself names what to change.
#[test]
fn messages_name_what_to_change() {
    let doc = std::fs::read_to_string(DOC).expect("docs/errors.md");
    let expected = [
        ("missing_api_key", "set GROQ_API_KEY and restart ccproxy"),
        ("invalid_api_key", "GROQ_API_KEY"),
        ("model_not_found", "set GROQ_MODEL"),
        ("provider_timeout", "timeouts.response_ms"),
        ("proxy_loop", "ANTHROPIC_BASE_URL"),
    ];
    for (code, needle) in expected {
        let entry = documented(&doc)
            .into_iter()
            .find(|entry| entry.code.split(':').next() == Some(code))
            .unwrap_or_else(|| panic!("`{code}` is documented"));
        let body: Value = serde_json::from_str(&doc[entry.json]).expect("JSON");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains(needle), "`{code}`: {message}");
    }
}
