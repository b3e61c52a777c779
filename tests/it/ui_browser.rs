//! The dashboard in a real browser: headless Chromium loads `/ui` after requests went through
//! the proxy (two providers, one with a key pool whose first key is refused, two routes, a
//! rate limit, a stream, cache reads, a request refused before routing), at 1280 px and at
//! 420 px wide, and what the page shows is measured in the page (`common::browser`): the
//! header follows `/health`, every request id is shown whole, a refused request says so,
//! the pool keys appear masked with their state, slices with failures are marked, and
//! nothing runs off the side. Screenshots are kept as `target/ui-screenshot.png` and
//! `target/ui-screenshot-narrow.png`.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::browser::{Browser, Page};
use common::team::{create_key, team_config, TestStore};
use common::{client, get_json, ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

const POOL: [&str; 2] = ["sk-pool-groq-aaaa-0001", "sk-pool-groq-bbbb-0002"];

/// `target/`, where the screenshots are kept.
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// Two providers on the same scripted upstream, the first one priced and with two keys.
fn two_provider_config(upstream: &MockUpstream) -> ConfigFile {
    let base_url = upstream.base_url();
    ConfigFile::new(&json!({
        "providers": [
            {"name": "groq", "type": "openai", "base_url": base_url,
             "api_keys": POOL, "models": ["moonshotai/kimi-k2-instruct"]},
            {"name": "lab", "type": "openai", "base_url": base_url,
             "api_key": PROVIDER_KEY, "models": ["qwen3"]}
        ],
        "prices": {"groq,moonshotai/kimi-k2-instruct": {"input_per_mtok": 1.0, "output_per_mtok": 3.0}}
    }))
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["request-id"]
        .to_str()
        .expect("id")
        .to_string()
}

/// Sends the scripted traffic; returns the request ids.
async fn traffic(proxy: &Proxy, upstream: &MockUpstream) -> Vec<String> {
    upstream.answer_key(
        POOL[0],
        Reply::error(401, json!({"error": {"message": "Invalid API Key"}}), &[]),
    );
    let rate_limited = Reply::error(
        429,
        json!({"error": {"message": "Rate limit reached"}}),
        &[("retry-after", "3")],
    );
    let plan: [(&str, u64, Reply, u16); 6] = [
        ("claude-sonnet-4-5", 120, Reply::completion("hi"), 200),
        ("lab,qwen3", 260, Reply::cached_completion("hi", 2000), 200),
        ("claude-sonnet-4-5", 80, Reply::completion("hi"), 200),
        ("lab,qwen3", 40, rate_limited, 429),
        ("claude-sonnet-4-5", 150, Reply::completion("hi"), 200),
        ("lab,qwen3", 310, Reply::completion("hi"), 200),
    ];
    let mut ids = Vec::new();
    for (model, delay, reply, status) in plan {
        upstream.push(Reply::Delayed(
            Duration::from_millis(delay),
            Box::new(reply),
        ));
        let response = common::post_messages(
            proxy,
            &json!({"model": model, "max_tokens": 32,
                   "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(response.status(), status, "{model}");
        ids.push(request_id(&response));
    }
    let refused = common::post_messages(
        proxy,
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 32}),
    )
    .await;
    assert_eq!(
        refused.status(),
        400,
        "a request without messages is refused"
    );
    ids.push(request_id(&refused));
    let chunk = |delta: Value| {
        json!({"id": "c", "object": "chat.completion.chunk", "model": "qwen3",
               "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    };
    let stream = Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": ""})),
        chunk(json!({"content": "streamed"})),
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 9}}),
    ]);
    upstream.push(Reply::Delayed(Duration::from_millis(90), Box::new(stream)));
    let response = common::post_messages(
        proxy,
        &json!({"model": "lab,qwen3", "max_tokens": 32, "stream": true,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    ids.push(request_id(&response));
    response.bytes().await.expect("the whole stream");
    ids
}

/// What the page shows, measured in it: the header, every request id (its text, whether
/// it is clipped or off the screen), the refused rows, the pool, the chart's failure marks.
const MEASURE: &str = r##"(() => {
  const width = window.innerWidth;
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    let box = e.closest(".scroll").getBoundingClientRect();
    return r.width > 0 && r.left >= Math.max(0, box.left) - 1 && r.right <= Math.min(width, box.right) + 1
      && e.scrollWidth <= e.clientWidth + 1;
  };
  const chart = document.getElementById("chart");
  const pixels = chart.getContext("2d").getImageData(0, 0, chart.width, chart.height).data;
  let red = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i] > 180 && pixels[i + 1] < 110 && pixels[i + 2] < 110 && pixels[i + 3] > 200) red++;
  }
  return {
    width, page_width: document.documentElement.scrollWidth,
    status: document.querySelector("#status .pill").textContent,
    why: document.getElementById("why").textContent,
    ids: [...document.querySelectorAll("#recent .rid")].map((e) => ({ text: e.textContent, shown: visible(e) })),
    refused: [...document.querySelectorAll("#recent td")].filter((td) => td.textContent.startsWith("refused"))
      .map((td) => td.textContent),
    pools: document.getElementById("poolsection").hidden ? null : document.getElementById("pools").innerText,
    cards: document.getElementById("cards").innerText,
    legend: document.getElementById("legend").textContent,
    one_series: chartLines({ solo: [{ requests: 1, failures: 0, p50_ms: 10, p95_ms: 20 }] }, "p50_ms").map((l) => l.name),
    red_pixels: red,
    html: document.documentElement.outerHTML,
  };
})()"##;

async fn measure(page: &mut Page) -> Value {
    page.wait_for(r#"!!document.getElementById("updated")?.textContent.startsWith("live")"#)
        .await;
    page.eval(MEASURE).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_the_requests_in_a_real_browser() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let file = two_provider_config(&upstream);
    let proxy = Proxy::start(file.load()).await;
    let ids = traffic(&proxy, &upstream).await;
    let health = get_json(&proxy, "/health").await;
    assert_eq!(health["status"], "degraded", "lab failed a request");
    let url = proxy.url("/ui");

    for (width, height, name) in [
        (1280, 1400, "ui-screenshot.png"),
        (420, 2400, "ui-screenshot-narrow.png"),
    ] {
        let mut page = browser.open(&url, width, height).await;
        let seen = measure(&mut page).await;
        let at = format!("at {width} px");
        assert_eq!(seen["width"], width, "the window is {width} px wide");
        assert!(
            seen["page_width"].as_u64() <= seen["width"].as_u64(),
            "nothing runs off the side {at}: {}",
            seen["page_width"]
        );
        assert_eq!(
            seen["status"], health["status"],
            "the header follows /health {at}"
        );
        assert!(
            seen["why"].as_str().unwrap().contains("lab"),
            "{at}: {}",
            seen["why"]
        );
        for id in &ids {
            let shown = seen["ids"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["text"] == *id);
            let shown = shown.unwrap_or_else(|| panic!("request {id} is listed whole {at}"));
            assert_eq!(
                shown["shown"], true,
                "request {id} is readable, not clipped, {at}"
            );
        }
        let refused = seen["refused"].as_array().unwrap();
        assert_eq!(refused.len(), 1, "{at}: {refused:?}");
        assert!(
            refused[0]
                .as_str()
                .unwrap()
                .contains("invalid_request_error"),
            "{at}"
        );
        let pools = seen["pools"].as_str().expect("the key pool is shown");
        for needle in ["sk-…0001", "set aside", "sk-…0002", "active"] {
            assert!(
                pools.contains(needle),
                "the pool shows {needle} {at}: {pools}"
            );
        }
        let html = seen["html"].as_str().unwrap();
        for key in POOL.iter().chain([&PROVIDER_KEY]) {
            assert!(!html.contains(key), "no key appears unmasked {at}");
        }
        let cards = seen["cards"].as_str().unwrap();
        assert!(
            cards.contains("2,000"),
            "the cache reads card {at}: {cards}"
        );
        assert_eq!(seen["one_series"], json!(["solo p50", "solo p95"]));
        for series in ["groq", "lab", "slice with failures"] {
            assert!(seen["legend"].as_str().unwrap().contains(series), "{at}");
        }
        assert!(
            seen["red_pixels"].as_u64().unwrap() > 40,
            "the slice with a failure is marked {at}: {}",
            seen["red_pixels"]
        );
        let path = target_dir().join(name);
        page.screenshot(&path).await;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} holds a screenshot", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_view_shows_each_developer_and_never_their_key() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::cached_completion("hi", 1500));
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let proxy = Proxy::start(file.load()).await;
    let alice = create_key(&proxy, json!({"name": "alice", "group": "core", "rpm": 30})).await;
    create_key(&proxy, json!({"name": "bob"})).await;
    let response = client()
        .post(proxy.url("/v1/messages"))
        .header("x-api-key", &alice)
        .json(&common::hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    crate::team::settled(&proxy, "alice", 1).await;

    let mut page = browser.open(&proxy.url("/ui"), 1280, 1400).await;
    page.wait_for(r#"!!document.getElementById("developers")?.innerText.includes("alice")"#)
        .await;
    let developers = page
        .eval(r#"document.getElementById("developers").innerText"#)
        .await;
    let developers = developers.as_str().expect("text");
    for needle in ["alice", "core", "30 rpm", "1,500", "bob", "no limit"] {
        assert!(developers.contains(needle), "shows {needle}: {developers}");
    }
    let html = page.eval("document.documentElement.outerHTML").await;
    assert!(
        !html.as_str().expect("html").contains(&alice),
        "never the key"
    );
}
