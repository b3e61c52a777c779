//! Model limits through the real server: the output limit a config file states for a custom
//! model (`providers[].models` as an object) clamps a request's `max_tokens`, as the
//! catalog's does for a built-in model (docs/providers.md, "Model limits").

use crate::common;

use common::{ConfigFile, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::json;

#[tokio::test]
async fn a_stated_output_limit_clamps_max_tokens() {
    let upstream = MockUpstream::start().await;
    let file = ConfigFile::new(&json!({
        "providers": [{"name": "lab", "type": "openai", "base_url": upstream.base_url(),
                       "api_key": PROVIDER_KEY,
                       "models": [{"id": "qwen3", "context_window": 131072, "max_output_tokens": 8192},
                                  "openai/gpt-oss-20b", "free-model"]}],
        "routes": {"default": "lab,qwen3"}
    }));
    let proxy = Proxy::start(file.load()).await;
    for (model, expected) in [
        ("lab,qwen3", 8_192),
        ("lab,openai/gpt-oss-20b", 65_536),
        ("lab,free-model", 100_000),
    ] {
        upstream.push(Reply::completion("ok"));
        let response = common::client()
            .post(proxy.url("/v1/messages"))
            .json(&json!({"model": model, "max_tokens": 100_000,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{model}");
        let sent = upstream.requests().last().expect("sent").json();
        assert_eq!(sent["max_tokens"], expected, "{model}: {sent}");
    }
}
