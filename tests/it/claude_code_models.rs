//! The real Claude Code CLI run by the real `ccproxy code` against a scripted upstream:
//! it fetches the gateway models ccproxy lists (its discovery cache keeps the `claude-…`
//! ids only), a plain `-p` run prints no unrecognized-model warning, and switching to a
//! discovered id (`--model`, the non-interactive `/model`) reaches that target. Checked
//! against the Claude Code version `scripts/install-clients.sh` installs (2.1.331).

use crate::cli_support::{Home, Run};
use crate::common::{MockUpstream, Reply, PROVIDER_KEY};
use crate::real_clients::claude_code;

use serde_json::{json, Value};

fn answer(text: &str) -> Reply {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": "chatcmpl-m", "object": "chat.completion.chunk", "model": "m",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    Reply::openai_stream(&[
        chunk(json!({"role": "assistant", "content": text}), None),
        chunk(json!({}), Some("stop")),
        json!({"id": "chatcmpl-m", "object": "chat.completion.chunk", "model": "m",
               "choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": 3}}),
    ])
}

/// `ccproxy code ARGS` off the async workers (the mock upstream runs on them).
async fn code(home: &std::sync::Arc<Home>, args: &[&str]) -> Run {
    let home = home.clone();
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        home.run(&args)
    })
    .await
    .expect("ccproxy code ran")
}

#[tokio::test]
async fn claude_code_discovers_the_models_and_switches_without_a_warning() {
    let Some(claude) = claude_code().await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let mut home = Home::new();
    let config = json!({
        "providers": [{"name": "mock", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY, "models": ["openai/gpt-oss-120b", "other-model"]}],
        "routes": {"default": "mock,openai/gpt-oss-120b"}
    });
    let file = home.path("config.json");
    std::fs::write(&file, config.to_string()).expect("config");
    home.set("CLAUDE_PATH", Some(&claude.display().to_string()))
        .set("CCPROXY_CONFIG", Some(&file.display().to_string()))
        .set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", Some("1"))
        .set("CLAUDE_CODE_MAX_RETRIES", Some("0"))
        .set("CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK", Some("1"))
        .set("DISABLE_AUTOUPDATER", Some("1"));
    let home = std::sync::Arc::new(home);
    for _ in 0..4 {
        upstream.push(answer("Hello from the mock."));
    }

    let plain = code(&home, &["code", "-p", "hi"]).await;
    assert_eq!(plain.code, Some(0), "{plain:?}");
    assert!(plain.stdout.contains("Hello from the mock."), "{plain:?}");
    assert!(
        !plain.all().to_lowercase().contains("recogni"),
        "no unrecognized-model warning: {plain:?}"
    );
    let sent = upstream.requests();
    assert_eq!(
        sent[0].json()["model"],
        "openai/gpt-oss-120b",
        "the default route"
    );

    // Discovery: Claude Code fetched GET /v1/models and cached what its picker lists.
    let cache = home.path(".claude/cache/gateway-models.json");
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap_or_default())
        .unwrap_or_else(|_| panic!("Claude Code cached the gateway models at {cache:?}"));
    let ids: Vec<&str> = cached["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    for id in [
        "claude-mock/openai/gpt-oss-120b",
        "claude-mock/other-model",
        "claude-route-default",
    ] {
        assert!(ids.contains(&id), "{id} in the picker: {cached}");
    }
    assert!(
        !ids.contains(&"mock,other-model"),
        "it keeps claude ids only: {cached}"
    );
    let other = cached["models"]
        .as_array()
        .and_then(|models| models.iter().find(|m| m["id"] == "claude-mock/other-model"))
        .expect("listed");
    assert_eq!(other["display_name"], "other-model (mock)");

    // The picker's tiers are real Claude ids (labelled by ccproxy): no warning either, and
    // with no background route configured they all reach the default route.
    for tier in ["sonnet", "haiku"] {
        upstream.push(answer("Hello from the mock."));
        let run = code(&home, &["code", "-p", "hi", "--model", tier]).await;
        assert_eq!(run.code, Some(0), "{tier}: {run:?}");
        assert!(
            !run.all().to_lowercase().contains("recogni"),
            "{tier}: {run:?}"
        );
        let last = upstream.requests().last().expect("a request").json();
        assert_eq!(last["model"], "openai/gpt-oss-120b", "{tier}: {last}");
    }

    // The switch: a discovered id reaches its target. Claude Code knows no such model, so it
    // says so (README, "Which ids make Claude Code warn"), but only that: the auto-compact
    // window ccproxy set spares the window notice.
    let switched = code(
        &home,
        &["code", "-p", "hi", "--model", "claude-mock/other-model"],
    )
    .await;
    assert_eq!(switched.code, Some(0), "{switched:?}");
    assert!(
        switched.stdout.contains("Hello from the mock."),
        "{switched:?}"
    );
    let last = upstream.requests().last().expect("a request").json();
    assert_eq!(last["model"], "other-model", "{last}");
    assert!(
        switched.stderr.contains("unrecognized_model"),
        "{switched:?}"
    );
    assert!(
        !switched.all().contains("assumes a context window"),
        "{switched:?}"
    );
}
