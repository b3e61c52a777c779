use serde_json::{json, Value};

use super::*;
use crate::config::{ConfigSource, LogSettings, ProviderConfig, ProviderKind, Routes};

fn target(text: &str) -> Target {
    Target::parse(text).expect("provider,model")
}

fn targets(texts: &[&str]) -> Vec<Target> {
    texts.iter().map(|t| target(t)).collect()
}

fn provider(name: &str, models: &[&str]) -> ProviderConfig {
    ProviderConfig {
        name: name.to_string(),
        kind: ProviderKind::OpenAi,
        base_url: format!("http://{name}.invalid/v1"),
        api_key: None,
        more_keys: Vec::new(),
        key_host: None,
        key_var: format!("{}_API_KEY", name.to_uppercase()),
        key_in_file: false,
        key_required: false,
        models: models
            .iter()
            .copied()
            .map(crate::config::ModelEntry::id)
            .collect(),
        enabled: true,
        profile: crate::translate::compat::Profile::Generic,
    }
}

/// Every route configured, each to a different model of provider `p`; `q` is a fallback.
fn config() -> Config {
    Config {
        host: "127.0.0.1".into(),
        port: 3456,
        api_key: None,
        providers: vec![provider("p", &["p-default"]), provider("q", &["q-listed"])],
        routes: Routes {
            default: targets(&["p,default-model", "q,fallback-model"]),
            background: targets(&["p,background-model"]),
            think: targets(&["p,think-model"]),
            long_context: targets(&["p,long-model"]),
            web_search: targets(&["p,search-model"]),
            image: targets(&["p,image-model"]),
            long_context_threshold: 2000,
        },
        max_request_bytes: 1 << 20,
        max_connections: 16,
        log: LogSettings {
            level: "info".into(),
            json: false,
        },
        source: ConfigSource::Environment,
        unconfigured: false,
        resilience: Default::default(),
        team: crate::config::TeamSettings::default(),
        prices: Default::default(),
    }
}

fn request(value: Value) -> MessagesRequest {
    serde_json::from_value(value).expect("valid request")
}

fn simple(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

fn decide(config: &Config, value: Value) -> Decision {
    route(config, &mut request(value), None).expect("routed")
}

fn first(decision: &Decision) -> String {
    decision.targets[0].to_string()
}

/// A request that every one of rules 4–8 matches.
fn everything() -> Value {
    let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}});
    json!({
        "model": "claude-haiku-4-5",
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "tools": [{"type": "web_search_20250305", "name": "web_search"}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "word ".repeat(5000)}, image]}]
    })
}

#[test]
fn rule_1_provider_comma_model_goes_to_that_target() {
    let decision = decide(&config(), simple("q,any-model"));
    assert_eq!(decision.rule, Rule::Explicit);
    assert_eq!(decision.targets, targets(&["q,any-model"]));
}

#[test]
fn rule_1_provider_names_match_in_any_case() {
    let decision = decide(&config(), simple("Q,any-model"));
    assert_eq!(decision.targets, targets(&["q,any-model"]));
}

#[test]
fn rule_1_unknown_provider_is_a_400_listing_the_providers() {
    let error = route(&config(), &mut request(simple("nope,m")), None).expect_err("unknown");
    assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
    assert_eq!(
        error.details().expect("details")["available_providers"],
        json!(["p", "q"])
    );
}

#[test]
fn rule_1_a_route_name_as_model_uses_that_route() {
    let decision = decide(&config(), simple("think"));
    assert_eq!(
        (decision.rule, first(&decision)),
        (Rule::Explicit, "p,think-model".into())
    );
}

#[test]
fn rule_1_a_disabled_provider_is_unavailable() {
    let mut config = config();
    config.providers[1].enabled = false;
    let error = route(&config, &mut request(simple("q,m")), None).expect_err("disabled");
    assert_eq!(error.code(), "provider_unavailable");
    assert!(error.to_string().contains("disabled"), "{error}");
}

#[test]
fn rule_1_gateway_ids_name_a_target_or_a_route() {
    let decision = decide(&config(), simple("claude-q/haiku-sized/model"));
    assert_eq!(
        (decision.rule, first(&decision)),
        (Rule::Explicit, "q,haiku-sized/model".into()),
        "explicit, before the Haiku rule"
    );
    let decision = decide(&config(), simple("claude-route-long-context"));
    assert_eq!(
        (decision.rule, first(&decision)),
        (Rule::Explicit, "p,long-model".into())
    );
    assert!(decision.why.contains("long_context"), "{}", decision.why);
    // An id whose provider is not configured is no gateway id of ours.
    let decision = decide(&config(), simple("claude-nope/model"));
    assert_eq!(decision.rule, Rule::Default);
    let mut config = config();
    config.providers[1].enabled = false;
    let error = route(&config, &mut request(simple("claude-q/m")), None).expect_err("disabled");
    assert_eq!(error.code(), "provider_unavailable");
}

#[test]
fn rule_2_a_listed_model_goes_to_its_provider() {
    let decision = decide(&config(), simple("q-listed"));
    assert_eq!(decision.rule, Rule::ProviderModel);
    assert_eq!(decision.targets, targets(&["q,q-listed"]));
}

#[test]
fn rule_2_skips_disabled_providers() {
    let mut config = config();
    config.providers[1].enabled = false;
    assert_eq!(decide(&config, simple("q-listed")).rule, Rule::Default);
}

fn tagged(where_: &str) -> Value {
    let tag = "<CCR-SUBAGENT-MODEL>q,agent-model</CCR-SUBAGENT-MODEL>";
    let prompt = format!("You are a reviewer.\n{tag}\nBe brief.");
    let mut value = simple("claude-sonnet-4-5");
    match where_ {
        "system string" => value["system"] = json!(prompt),
        "system block" => {
            value["system"] =
                json!([{"type": "text", "text": "main"}, {"type": "text", "text": prompt}]);
        }
        "system message" => {
            value["messages"] = json!([{"role": "user", "content": "hi"},
                {"role": "system", "content": prompt}]);
        }
        _ => {
            value["messages"] = json!([{"role": "user", "content": "hi"},
                {"role": "system", "content": [{"type": "text", "text": prompt}]}]);
        }
    }
    value
}

fn all_text(request: &MessagesRequest) -> String {
    let mut text = String::new();
    match &request.system {
        Some(SystemPrompt::Text(t)) => text.push_str(t),
        Some(SystemPrompt::Blocks(blocks)) => blocks.iter().for_each(|b| text.push_str(&b.text)),
        None => {}
    }
    for message in &request.messages {
        match &message.content {
            MessageContent::Text(t) => text.push_str(t),
            MessageContent::Blocks(blocks) => {
                for block in blocks {
                    if let ContentBlock::Text { text: t, .. } = block {
                        text.push_str(t);
                    }
                }
            }
        }
    }
    text
}

#[test]
fn rule_3_finds_the_subagent_tag_wherever_it_is_and_removes_it() {
    for place in [
        "system string",
        "system block",
        "system message",
        "system message block",
    ] {
        let mut request = request(tagged(place));
        let decision = route(&config(), &mut request, None).expect("routed");
        assert_eq!(decision.rule, Rule::Subagent, "{place}");
        assert_eq!(decision.targets, targets(&["q,agent-model"]), "{place}");
        let text = all_text(&request);
        assert!(!text.contains("CCR-SUBAGENT-MODEL"), "{place}: {text}");
        assert!(text.contains("You are a reviewer.") && text.contains("Be brief."));
    }
}

#[test]
fn rule_3_tag_is_removed_even_when_an_earlier_rule_wins() {
    let mut value = tagged("system string");
    value["model"] = json!("p,chosen");
    let mut request = request(value);
    assert_eq!(
        route(&config(), &mut request, None).expect("routed").rule,
        Rule::Explicit
    );
    assert!(!all_text(&request).contains("CCR-SUBAGENT-MODEL"));
}

#[test]
fn rule_3_a_malformed_tag_falls_through_and_is_reported() {
    let mut value = simple("claude-sonnet-4-5");
    value["system"] = json!("<CCR-SUBAGENT-MODEL>no-comma</CCR-SUBAGENT-MODEL>");
    let decision = decide(&config(), value);
    assert_eq!(decision.rule, Rule::Default);
    assert_eq!(decision.passed, vec![Rule::Subagent]);
}

#[test]
fn rule_4_long_input_goes_to_long_context() {
    let mut value = simple("claude-sonnet-4-5");
    value["messages"][0]["content"] = json!("word ".repeat(5000));
    let decision = decide(&config(), value);
    assert_eq!(
        (decision.rule, first(&decision)),
        (Rule::LongContext, "p,long-model".into())
    );
    assert!(decision.size.is_some_and(|s| s.tokens > 2000));
}

#[test]
fn rule_4_is_not_measured_without_a_long_context_route() {
    let mut config = config();
    config.routes.long_context.clear();
    let decision = decide(&config, simple("claude-sonnet-4-5"));
    assert_eq!(decision.size, None);
}

/// Between the byte bounds for a threshold of 2000: only an exact count decides.
fn near_the_threshold(model: &str) -> MessagesRequest {
    let mut value = simple(model);
    value["messages"][0]["content"] = json!("word ".repeat(1000));
    request(value)
}

#[test]
fn rule_4_asks_for_the_exact_count_only_when_the_bound_cannot_decide() {
    let config = config();
    assert!(needs_exact_count(
        &config,
        &near_the_threshold("claude-sonnet-4-5")
    ));
    assert!(!needs_exact_count(
        &config,
        &request(simple("claude-sonnet-4-5"))
    ));
    let mut long = simple("claude-sonnet-4-5");
    long["messages"][0]["content"] = json!("word ".repeat(5000));
    assert!(!needs_exact_count(&config, &request(long)));
    // Rules 1 and 2 decide before rule 4.
    assert!(!needs_exact_count(&config, &near_the_threshold("p,m")));
    assert!(!needs_exact_count(
        &config,
        &near_the_threshold("p-default")
    ));
    let mut without = config.clone();
    without.routes.long_context.clear();
    assert!(!needs_exact_count(
        &without,
        &near_the_threshold("claude-sonnet-4-5")
    ));
}

#[test]
fn rule_4_decides_near_the_threshold_by_the_given_exact_count() {
    let config = config();
    let decide = |exact| {
        route(&config, &mut near_the_threshold("claude-sonnet-4-5"), exact).expect("routed")
    };
    let above = decide(Some(2001));
    assert_eq!(above.rule, Rule::LongContext);
    assert_eq!(
        above.size,
        Some(tokens::Size {
            tokens: 2001,
            basis: tokens::Basis::Exact
        })
    );
    assert_eq!(decide(Some(2000)).rule, Rule::Default);
    assert_eq!(decide(None).rule, Rule::Default);
}

#[test]
fn rule_5_any_haiku_model_present_or_future_is_background() {
    for model in [
        "claude-3-5-haiku-20241022",
        "claude-haiku-4-5",
        "Claude-HAIKU-9",
        "anthropic/claude-haiku-x",
    ] {
        let decision = decide(&config(), simple(model));
        assert_eq!(
            (decision.rule, first(&decision)),
            (Rule::Background, "p,background-model".into()),
            "{model}"
        );
    }
}

#[test]
fn rule_5_claude_codes_title_side_task_is_background() {
    let mut value = simple("claude-opus-5-5");
    value["tools"] = json!([]);
    value["thinking"] = json!({"type": "disabled"});
    value["output_config"] =
        json!({"effort": "high", "format": {"type": "json_schema", "schema": {"type": "object"}}});
    assert_eq!(decide(&config(), value.clone()).rule, Rule::Background);
    value["thinking"] = json!({"type": "adaptive"});
    assert_eq!(decide(&config(), value).rule, Rule::Default);
}

#[test]
fn rule_6_web_search_tool_goes_to_web_search() {
    let mut value = simple("claude-sonnet-4-5");
    value["tools"] = json!([{"name": "Bash", "input_schema": {"type": "object"}},
        {"type": "web_search_20260101", "name": "web_search"}]);
    assert_eq!(decide(&config(), value).rule, Rule::WebSearch);
}

#[test]
fn rule_7_only_enabled_thinking_with_a_budget_is_think() {
    let with = |thinking: Value| {
        let mut value = simple("claude-sonnet-4-5");
        value["thinking"] = thinking;
        decide(&config(), value).rule
    };
    assert_eq!(
        with(json!({"type": "enabled", "budget_tokens": 4096})),
        Rule::Think
    );
    assert_eq!(
        with(json!({"type": "enabled", "budget_tokens": 0})),
        Rule::Default
    );
    assert_eq!(with(json!({"type": "adaptive"})), Rule::Default);
    assert_eq!(with(json!({"type": "disabled"})), Rule::Default);
}

#[test]
fn rule_8_image_in_the_latest_user_turn_only() {
    let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}});
    let mut value = simple("claude-sonnet-4-5");
    value["messages"] = json!([{"role": "user", "content": [image.clone()]}]);
    assert_eq!(decide(&config(), value.clone()).rule, Rule::Image);
    value["messages"] = json!([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": [image.clone()]}]}]);
    assert_eq!(decide(&config(), value.clone()).rule, Rule::Image);
    value["messages"] = json!([{"role": "user", "content": [image]},
        {"role": "assistant", "content": "seen"}, {"role": "user", "content": "and now?"}]);
    assert_eq!(decide(&config(), value).rule, Rule::Default);
}

#[test]
fn rule_9_default_returns_the_whole_fallback_list() {
    let decision = decide(&config(), simple("claude-sonnet-4-5"));
    assert_eq!(decision.rule, Rule::Default);
    assert_eq!(
        decision.targets,
        targets(&["p,default-model", "q,fallback-model"])
    );
}

#[test]
fn rules_apply_in_order_and_unconfigured_routes_fall_through() {
    let mut config = config();
    let order = [
        (Rule::LongContext, "long_context"),
        (Rule::Background, "background"),
        (Rule::WebSearch, "web_search"),
        (Rule::Think, "think"),
        (Rule::Image, "image"),
    ];
    for (rule, name) in order {
        assert_eq!(
            decide(&config, everything()).rule,
            rule,
            "before removing {name}"
        );
        match name {
            "long_context" => config.routes.long_context.clear(),
            "background" => config.routes.background.clear(),
            "web_search" => config.routes.web_search.clear(),
            "think" => config.routes.think.clear(),
            _ => config.routes.image.clear(),
        }
    }
    let decision = decide(&config, everything());
    assert_eq!(decision.rule, Rule::Default);
    assert_eq!(
        decision.passed,
        vec![Rule::Background, Rule::WebSearch, Rule::Think, Rule::Image]
    );
}

#[test]
fn earlier_rules_beat_later_ones() {
    let mut value = everything();
    value["model"] = json!("q-listed");
    assert_eq!(decide(&config(), value.clone()).rule, Rule::ProviderModel);
    value["model"] = json!("q,x");
    assert_eq!(decide(&config(), value).rule, Rule::Explicit);
    let mut tagged = everything();
    tagged["system"] = json!("<CCR-SUBAGENT-MODEL>q,agent</CCR-SUBAGENT-MODEL>");
    assert_eq!(decide(&config(), tagged).rule, Rule::Subagent);
}

#[test]
fn disabled_providers_are_skipped_in_routes() {
    let mut config = config();
    config.providers[0].enabled = false;
    config.routes.think = targets(&["p,think-model", "q,think-fallback"]);
    let mut value = simple("claude-sonnet-4-5");
    value["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let decision = decide(&config, value);
    assert_eq!(decision.targets, targets(&["q,think-fallback"]));
    assert_eq!(
        decide(&config, simple("m")).targets,
        targets(&["q,fallback-model"])
    );
    config.providers[1].enabled = false;
    let error = route(&config, &mut request(simple("m")), None).expect_err("all disabled");
    assert_eq!(error.code(), "provider_unavailable");
}

#[test]
fn the_explanation_names_rule_reason_targets_and_passed_rules() {
    let mut config = config();
    config.routes.think.clear();
    let mut value = simple("claude-sonnet-4-5");
    value["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let line = decide(&config, value).explain();
    assert!(
        line.starts_with(
            "route default: no other rule matched → p,default-model then q,fallback-model"
        ),
        "{line}"
    );
    assert!(line.contains("think"), "{line}");
}

#[test]
fn a_target_with_the_client_model_takes_the_requests_model() {
    let mut config = config();
    config.routes.default = targets(&["p,*", "q,fallback-model"]);
    let decision = decide(&config, simple("claude-opus-5-5"));
    assert_eq!(
        decision.targets,
        targets(&["p,claude-opus-5-5", "q,fallback-model"])
    );
}
