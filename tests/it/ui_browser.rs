//! The dashboard in a real browser: Debian's headless Chromium loads `/ui` after requests
//! went through the proxy (two providers, two routes, a rate limit, a stream) and the rendered page
//! must show them. Screenshots of a normal and a narrow window are kept as
//! `target/ui-screenshot.png` and `target/ui-screenshot-narrow.png`.
//!
//! Without Chromium (`apt-get install chromium`, or `CHROMIUM=/path`) the test says so and
//! skips, unless `CCPROXY_REQUIRE_CLIENTS=1` (as in CI) makes that a failure
//! (`common::clients`).

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{client, clients, ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::json;

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|path| path.is_file())
}

/// `target/`, where the screenshots are kept.
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// Two providers on the same scripted upstream, the first one priced.
fn two_provider_config(upstream: &MockUpstream) -> ConfigFile {
    let base_url = upstream.base_url();
    ConfigFile::new(&json!({
        "providers": [
            {"name": "groq", "type": "openai", "base_url": base_url,
             "api_key": PROVIDER_KEY, "models": ["moonshotai/kimi-k2-instruct"]},
            {"name": "lab", "type": "openai", "base_url": base_url,
             "api_key": PROVIDER_KEY, "models": ["qwen3"]}
        ],
        "prices": {"groq,moonshotai/kimi-k2-instruct": {"input_per_mtok": 1.0, "output_per_mtok": 3.0}}
    }))
}

/// Sends the scripted traffic; returns the request ids.
async fn traffic(proxy: &Proxy, upstream: &MockUpstream) -> Vec<String> {
    let plan: [(&str, u64, u16); 6] = [
        ("claude-sonnet-4-5", 120, 200),
        ("lab,qwen3", 260, 200),
        ("claude-sonnet-4-5", 80, 200),
        ("lab,qwen3", 40, 429),
        ("claude-sonnet-4-5", 150, 200),
        ("lab,qwen3", 310, 200),
    ];
    let mut ids = Vec::new();
    for (model, delay, status) in plan {
        let reply = match status {
            200 => Reply::completion("hi"),
            _ => Reply::Json {
                status,
                body: json!({"error": {"message": "Rate limit reached"}}),
                headers: vec![("retry-after".into(), "3".into())],
            },
        };
        upstream.push(Reply::Delayed(
            Duration::from_millis(delay),
            Box::new(reply),
        ));
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&json!({"model": model, "max_tokens": 32,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), status);
        ids.push(
            response.headers()["request-id"]
                .to_str()
                .expect("id")
                .to_string(),
        );
    }
    let chunk = |delta: serde_json::Value| {
        json!({"id": "c", "object": "chat.completion.chunk", "model": "qwen3",
               "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    };
    let stream = Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""})),
        chunk(json!({"content": "streamed"})),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 9}}),
    ]);
    upstream.push(Reply::Delayed(Duration::from_millis(90), Box::new(stream)));
    let response = client()
        .post(proxy.url("/v1/messages"))
        .json(
            &json!({"model": "lab,qwen3", "max_tokens": 32, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .expect("POST");
    ids.push(
        response.headers()["request-id"]
            .to_str()
            .expect("id")
            .to_string(),
    );
    response.bytes().await.expect("the whole stream");
    ids
}

/// Runs headless Chromium on `url` with `extra` arguments; returns its standard output.
async fn chromium(binary: &Path, url: &str, extra: &[String]) -> String {
    let profile = std::env::temp_dir().join(format!(
        "ccproxy-ui-chromium-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let mut command = tokio::process::Command::new(binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(90), command.output())
        .await
        .expect("chromium finished within 90 s")
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_the_requests_in_a_real_browser() {
    let Some(binary) = find_chromium() else {
        clients::require_or_skip(
            "Chromium (`apt-get install chromium`, or CHROMIUM=/path)",
            false,
        );
        return;
    };
    let upstream = MockUpstream::start().await;
    let file = two_provider_config(&upstream);
    let proxy = Proxy::start(file.load()).await;
    let ids = traffic(&proxy, &upstream).await;
    let url = proxy.url("/ui");

    let dom = chromium(&binary, &url, &["--dump-dom".to_string()]).await;
    assert!(dom.contains("live ·"), "the page polled /stats: {dom}");
    for id in &ids {
        assert!(dom.contains(id.as_str()), "request {id} is listed");
    }
    for text in [
        "groq,moonshotai/kimi-k2-instruct",
        "lab,qwen3",
        "rate_limit_exceeded",
        "explicit",
        "degraded",
        "stream",
    ] {
        assert!(dom.contains(text), "the page shows {text}");
    }

    let target = target_dir();
    for (name, size) in [
        ("ui-screenshot.png", "1280,1400"),
        ("ui-screenshot-narrow.png", "420,2400"),
    ] {
        let path = target.join(name);
        let _ = std::fs::remove_file(&path);
        let args = [
            format!("--screenshot={}", path.display()),
            format!("--window-size={size}"),
        ];
        chromium(&binary, &url, &args).await;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} holds a screenshot", path.display());
    }
}
