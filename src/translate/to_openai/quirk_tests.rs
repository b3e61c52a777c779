//! The request side of the model quirks: Groq's `reasoning_format`, and what the response
//! translation is told about tool calls written as text and `disable_parallel_tool_use`.

use serde_json::{json, Value};

use super::tests::{parse, user};
use super::*;
use crate::translate::text_calls::Formats;

fn translate(
    provider: &str,
    model: &'static str,
    request: Value,
) -> (openai::ChatRequest, Context) {
    let target = Target {
        model,
        quirks: crate::config::catalog::quirks(provider).for_model(provider, model),
        max_output_tokens: None,
        session: None,
    };
    super::request(&parse(request), &target).expect("translates")
}

fn with_bash(extra: Value) -> Value {
    let mut request = json!({"model": "c", "max_tokens": 100, "messages": [user("list")],
        "tools": [{"name": "Bash", "input_schema": {"type": "object",
            "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}}}}]});
    request
        .as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    request
}

#[test]
fn groq_qwen3_is_asked_for_parsed_reasoning_and_hidden_when_thinking_is_off() {
    let on = json!({"model": "c", "max_tokens": 100, "messages": [user("hi")],
        "thinking": {"type": "enabled", "budget_tokens": 2048}});
    let (body, _) = translate("groq", "qwen/qwen3-32b", on.clone());
    assert_eq!(body.reasoning_format, Some("parsed"));
    assert_eq!(
        body.reasoning_effort, None,
        "qwen3 on Groq takes only none|default"
    );
    let mut off = on.clone();
    off["thinking"] = json!({"type": "disabled"});
    assert_eq!(
        translate("groq", "qwen/qwen3-32b", off).0.reasoning_format,
        Some("hidden")
    );
    let plain = json!({"model": "c", "max_tokens": 100, "messages": [user("hi")]});
    assert_eq!(
        translate("groq", "qwen/qwen3-32b", plain)
            .0
            .reasoning_format,
        Some("parsed")
    );
    let (oss, _) = translate("groq", "openai/gpt-oss-120b", on.clone());
    assert_eq!(oss.reasoning_format, None);
    assert_eq!(oss.reasoning_effort, Some("low"));
    let wire = serde_json::to_value(translate("openrouter", "qwen/qwen3-32b", on).0).expect("json");
    assert!(wire.get("reasoning_format").is_none());
}

#[test]
fn the_context_knows_the_offered_tools_and_their_string_parameters() {
    let (_, context) = translate("ollama", "glm-4.7", with_bash(json!({})));
    assert!(context
        .text_calls
        .formats
        .contains(Formats::GLM.with(Formats::HERMES)));
    let strings = context
        .text_calls
        .string_params("Bash")
        .expect("Bash offered");
    assert!(strings.contains("command") && !strings.contains("timeout"));
    assert!(!context.single_tool_call);
}

#[test]
fn no_text_calls_without_tools_or_with_tool_choice_none() {
    let plain = json!({"model": "c", "max_tokens": 100, "messages": [user("hi")]});
    assert_eq!(
        translate("ollama", "qwen3", plain).1.text_calls.formats,
        Formats::NONE
    );
    let none = with_bash(json!({"tool_choice": {"type": "none"}}));
    assert_eq!(
        translate("ollama", "qwen3", none).1.text_calls.formats,
        Formats::NONE
    );
}

#[test]
fn disable_parallel_tool_use_asks_for_one_call_even_where_the_field_is_not_sent() {
    let single =
        with_bash(json!({"tool_choice": {"type": "auto", "disable_parallel_tool_use": true}}));
    let (body, context) = translate("deepseek", "deepseek-chat", single);
    assert_eq!(
        body.parallel_tool_calls, None,
        "DeepSeek takes no parallel_tool_calls"
    );
    assert!(context.single_tool_call);
}

#[test]
fn models_that_always_think_get_their_lowest_effort_when_thinking_is_off() {
    let off = json!({"model": "c", "max_tokens": 100, "messages": [user("hi")],
        "thinking": {"type": "disabled", "display": "omitted"}});
    let effort = |provider, model| {
        let (body, _) = translate(provider, model, off.clone());
        (body.reasoning_effort, body.thinking, body.reasoning)
    };
    assert_eq!(
        effort("groq", "openai/gpt-oss-120b"),
        (Some("low"), None, None)
    );
    assert_eq!(
        effort("cerebras", "gpt-oss-120b"),
        (Some("low"), None, None)
    );
    assert_eq!(effort("moonshot", "kimi-k3"), (Some("low"), None, None));
    assert_eq!(
        effort("deepseek", "deepseek-reasoner"),
        (Some("low"), None, None)
    );
    assert_eq!(
        effort("openrouter", "openai/gpt-oss-120b"),
        (None, None, Some(json!({"effort": "low"})))
    );
    // Models with an off switch keep it.
    assert_eq!(
        effort("deepseek", "deepseek-v4-pro"),
        (None, Some(json!({"type": "disabled"})), None)
    );
    assert_eq!(
        effort("groq", "llama-3.3-70b-versatile"),
        (None, None, None)
    );
}

#[test]
fn efforts_map_to_each_providers_scale() {
    let with = |effort: &str| {
        json!({"model": "c", "max_tokens": 100, "messages": [user("hi")],
               "thinking": {"type": "adaptive"}, "output_config": {"effort": effort}})
    };
    let sent =
        |provider, model, effort| translate(provider, model, with(effort)).0.reasoning_effort;
    assert_eq!(sent("openai", "gpt-5.6-terra", "max"), Some("xhigh"));
    assert_eq!(sent("openai", "gpt-5.6-terra", "xhigh"), Some("xhigh"));
    assert_eq!(sent("openai", "o3", "max"), Some("high"));
    assert_eq!(sent("openai", "gpt-4.1", "max"), None);
    assert_eq!(sent("moonshot", "kimi-k3", "medium"), Some("high"));
    assert_eq!(sent("moonshot", "kimi-k3", "xhigh"), Some("max"));
    assert_eq!(sent("deepseek", "deepseek-v4-pro", "max"), Some("max"));
    assert_eq!(sent("groq", "openai/gpt-oss-120b", "max"), Some("high"));
}

#[test]
fn a_tiny_limit_is_raised_for_reasoning_models_and_the_answer_cut_back() {
    let probe = json!({"model": "c", "max_tokens": 1, "messages": [user("Hi")]});
    let (body, context) = translate("openai", "gpt-5.6-terra", probe.clone());
    assert_eq!(body.max_completion_tokens, Some(25_000));
    assert_eq!(context.cut_to, Some(1));
    let (body, context) = translate("openai", "gpt-4.1", probe);
    assert_eq!(body.max_completion_tokens, Some(1));
    assert_eq!(context.cut_to, None);
}
