use serde_json::{json, Value};

use super::rules::KIMI_MAX_TOOLS;
use super::*;

fn applied(profile: Profile, body: &Value) -> Option<Value> {
    let bytes = serde_json::to_vec(body).expect("JSON");
    apply(profile, &bytes)
        .expect("valid JSON")
        .map(|out| serde_json::from_slice(&out).expect("JSON out"))
}

fn claude_code_request() -> Value {
    json!({
        "model": "m", "max_tokens": 10, "context_management": {"edits": []},
        "speed": "fast", "container": "c", "mcp_servers": [],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}, "defer_loading": true}],
        "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
            "content": [{"type": "tool_reference", "tool_name": "Bash"}]}]}]
    })
}

#[test]
fn anthropic_is_left_untouched() {
    assert_eq!(applied(Profile::Anthropic, &claude_code_request()), None);
    assert_eq!(
        betas(Profile::Anthropic, "a-1, b-2").as_deref(),
        Some("a-1,b-2")
    );
}

#[test]
fn every_other_profile_gets_the_generic_rules() {
    for profile in Profile::ALL
        .into_iter()
        .filter(|p| *p != Profile::Anthropic)
    {
        let out = applied(profile, &claude_code_request()).expect("changed");
        for field in ["context_management", "speed", "container", "mcp_servers"] {
            assert!(out.get(field).is_none(), "{profile:?} {field}");
        }
        assert!(out["tools"][0].get("defer_loading").is_none());
        let block = &out["messages"][0]["content"][0]["content"][0];
        assert_eq!(
            block,
            &json!({"type": "text", "text": "Tool available: Bash"})
        );
        assert_eq!(betas(profile, "claude-code-20250219"), None, "{profile:?}");
    }
}

#[test]
fn a_body_with_nothing_to_change_is_kept() {
    let plain =
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
    for profile in Profile::ALL {
        assert_eq!(applied(profile, &plain), None, "{profile:?}");
    }
}

#[test]
fn provider_rules() {
    let tools: Vec<Value> = (0..KIMI_MAX_TOOLS + 5)
        .map(|i| json!({"name": format!("t{i}"), "input_schema": {}}))
        .collect();
    let kimi = applied(Profile::Kimi, &json!({"tools": tools})).expect("capped");
    assert_eq!(kimi["tools"].as_array().map(Vec::len), Some(KIMI_MAX_TOOLS));

    let disabled = json!({"thinking": {"type": "disabled"}});
    assert!(applied(Profile::Glm, &disabled)
        .expect("changed")
        .get("thinking")
        .is_none());
    let enabled = json!({"thinking": {"type": "enabled", "budget_tokens": 1024}});
    assert_eq!(applied(Profile::Glm, &enabled), None);

    let server = json!({"tools": [{"type": "web_search_20250305", "name": "web_search"}],
                        "tool_choice": {"type": "tool", "name": "web_search"}});
    assert!(applied(Profile::DeepSeek, &server)
        .expect("changed")
        .get("tool_choice")
        .is_none());
    let custom = json!({"tools": [{"name": "Bash", "input_schema": {}}],
                        "tool_choice": {"type": "tool", "name": "Bash"}});
    assert_eq!(applied(Profile::DeepSeek, &custom), None);

    let image = json!({"messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]}]});
    let minimax = applied(Profile::MiniMax, &image).expect("changed");
    assert_eq!(minimax["messages"][0]["content"][0]["type"], "text");

    let coder = json!({"model": "qwen3-coder-plus", "thinking": {"type": "enabled", "budget_tokens": 1024}});
    assert!(applied(Profile::Qwen, &coder)
        .expect("changed")
        .get("thinking")
        .is_none());
    let plus =
        json!({"model": "qwen3-max", "thinking": {"type": "enabled", "budget_tokens": 1024}});
    assert_eq!(applied(Profile::Qwen, &plus), None);
}

#[test]
fn profiles_parse_by_name() {
    for profile in Profile::ALL {
        assert_eq!(Profile::parse(profile.as_str()), Some(profile));
    }
    assert_eq!(Profile::parse("Kimi"), None);
}

#[test]
fn models_that_always_think_get_their_lowest_effort_instead_of_thinking_off() {
    let off = |model: &str| {
        json!({"model": model, "max_tokens": 10, "messages": [],
               "thinking": {"type": "disabled", "display": "omitted"},
               "output_config": {"effort": "high"}})
    };
    for (profile, model) in [
        (Profile::Kimi, "kimi-k3"),
        (Profile::DeepSeek, "deepseek-reasoner"),
    ] {
        let out = applied(profile, &off(model)).expect("changed");
        assert!(out.get("thinking").is_none(), "{model}");
        assert_eq!(out["output_config"]["effort"], "low", "{model}");
    }
    assert_eq!(
        applied(Profile::Kimi, &off("kimi-k2.6")),
        None,
        "K2.6 can turn it off"
    );
}
