//! Anthropic request → Responses request.

use serde_json::{json, Value};

use super::*;
use crate::translate::from_responses::reasoning_signature;

fn parse(value: Value) -> anthropic::MessagesRequest {
    serde_json::from_value(value).expect("valid request")
}

fn body_with(model: &str, session: Option<&str>, request: Value) -> Value {
    let target = Target {
        model,
        max_output_tokens: Some(128_000),
        session,
    };
    let (body, _) = super::request(&parse(request), &target).expect("translates");
    serde_json::to_value(body).expect("serialises")
}

fn body(request: Value) -> Value {
    body_with("gpt-5.3-codex", None, request)
}

#[test]
fn a_claude_code_turn_becomes_instructions_and_input_items() {
    let out = body(json!({
        "model": "claude-sonnet-5-5", "max_tokens": 200000, "stream": true,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "Be brief."}],
        "context_management": {"edits": []},
        "stop_sequences": ["END"],
        "temperature": 1,
        "messages": [
            {"role": "user", "content": "list files"},
            {"role": "system", "content": "guidance"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Sure."},
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a\nb"},
                {"type": "text", "text": "and now?"}
            ]}
        ]
    }));
    assert_eq!(
        out,
        json!({
            "model": "gpt-5.3-codex",
            "instructions": "You are Claude Code.\n\nBe brief.",
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
                {"type": "message", "role": "developer", "content": "guidance"},
                {"type": "message", "role": "assistant", "content": "Sure."},
                {"type": "function_call", "call_id": "toolu_1", "name": "Bash", "arguments": "{\"command\":\"ls\"}"},
                {"type": "function_call_output", "call_id": "toolu_1", "output": "a\nb"},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and now?"}]}
            ],
            "max_output_tokens": 128000,
            "reasoning": {"summary": "auto"},
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "stream": true
        })
    );
}

#[test]
fn our_reasoning_goes_back_in_place_and_foreign_thinking_is_dropped() {
    let ours = reasoning_signature("rs_7", Some("gAAAA-enc"));
    let out = body(json!({"model": "c", "max_tokens": 10, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Anthropic's own", "signature": "EqQBCkYI"},
            {"type": "thinking", "thinking": "from Gemini", "signature": "ccproxy:gemini:c2ln"},
            {"type": "thinking", "thinking": "synthesized", "signature": "ccproxy:reasoning"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "thinking", "thinking": "Plan it.", "signature": ours},
            {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {}}
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": ""}]}
    ]}));
    assert_eq!(
        out["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
            {"type": "reasoning", "id": "rs_7", "encrypted_content": "gAAAA-enc",
             "summary": [{"type": "summary_text", "text": "Plan it."}]},
            {"type": "function_call", "call_id": "call_1", "name": "Bash", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "(no output)"}
        ])
    );
}

#[test]
fn images_and_documents_become_input_parts() {
    let out = body(json!({"model": "c", "max_tokens": 10, "messages": [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
            {"type": "document", "title": "spec.pdf",
             "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}}
        ]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "is_error": true,
            "content": [{"type": "text", "text": "failed"},
                        {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}}]}]}
    ]}));
    assert_eq!(
        out["input"][0]["content"],
        json!([
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
            {"type": "input_file", "filename": "spec.pdf", "file_data": "data:application/pdf;base64,JVBE"},
            {"type": "input_text", "text": "notes"}
        ])
    );
    assert_eq!(
        out["input"][2]["output"],
        json!([
            {"type": "input_text", "text": "Error: failed"},
            {"type": "input_image", "image_url": "https://x/a.png", "detail": "auto"}
        ])
    );
}

#[test]
fn tools_always_say_whether_they_are_strict() {
    let out = body(
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
            "tools": [
                {"name": "Closed", "description": "d", "input_schema": {"type": "object",
                    "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}},
                {"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"},
                    "timeout": {"type": "number"}}, "required": ["command"],
                    "$schema": "http://json-schema.org/draft-07/schema#"}},
                {"type": "web_search_20250305", "name": "web_search"}
            ],
            "tool_choice": {"type": "tool", "name": "Bash", "disable_parallel_tool_use": true}
        }),
    );
    assert_eq!(out["tools"][0]["strict"], true);
    assert_eq!(out["tools"][0]["type"], "function");
    assert_eq!(out["tools"][0]["description"], "d");
    assert_eq!(out["tools"][1]["strict"], false);
    assert_eq!(out["tools"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        out["tool_choice"],
        json!({"type": "function", "name": "Bash"})
    );
    assert_eq!(out["parallel_tool_calls"], false);
}

#[test]
fn effort_maps_with_xhigh_only_where_the_model_has_it() {
    let ask = |model: &str, request: Value| body_with(model, None, request)["reasoning"].clone();
    let max = json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
                     "thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}});
    assert_eq!(
        ask("gpt-5.3-codex", max.clone()),
        json!({"effort": "xhigh", "summary": "auto"})
    );
    assert_eq!(
        ask("gpt-5.1-codex-max", max.clone()),
        json!({"effort": "xhigh", "summary": "auto"})
    );
    assert_eq!(
        ask("gpt-5-codex", max.clone()),
        json!({"effort": "high", "summary": "auto"})
    );
    assert_eq!(
        ask("gpt-5.1-codex", max),
        json!({"effort": "high", "summary": "auto"})
    );
    let budget = json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
                        "thinking": {"type": "enabled", "budget_tokens": 2000}});
    assert_eq!(
        ask("gpt-5.3-codex", budget),
        json!({"effort": "low", "summary": "auto"})
    );
    let off = json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
                     "thinking": {"type": "disabled"}});
    assert_eq!(ask("gpt-5.3-codex", off), Value::Null);
}

#[test]
fn non_reasoning_models_keep_sampling_and_get_no_reasoning_fields() {
    let out = body_with(
        "gpt-4.1",
        None,
        json!({"model": "c", "max_tokens": 4, "temperature": 0.2, "top_p": 0.9,
               "messages": [{"role": "user", "content": "x"}], "thinking": {"type": "adaptive"}}),
    );
    assert_eq!(out["temperature"], 0.2);
    assert_eq!(out["top_p"], 0.9);
    assert_eq!(out["max_output_tokens"], 16, "raised to the API's minimum");
    assert!(out.get("reasoning").is_none() && out.get("include").is_none());
}

#[test]
fn cache_key_follows_the_session_and_the_user_id_is_bounded() {
    let long_user = format!(
        "{{\"device_id\":\"{}\",\"session_id\":\"s1\"}}",
        "d".repeat(64)
    );
    let request = |user: &str| {
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
               "metadata": {"user_id": user}})
    };
    let first = body_with("gpt-5.3-codex", Some("session-a"), request(&long_user));
    let again = body_with("gpt-5.3-codex", Some("session-a"), request(&long_user));
    let other = body_with("gpt-5.3-codex", Some("session-b"), request(&long_user));
    let key = first["prompt_cache_key"].as_str().expect("a key");
    assert_eq!(again["prompt_cache_key"], key);
    assert_ne!(other["prompt_cache_key"], key);
    assert!(!key.contains("session-a"));
    let safety = first["safety_identifier"].as_str().expect("an id");
    assert!(
        safety.len() <= 64 && safety.starts_with("user_"),
        "{safety}"
    );
    assert_eq!(
        body_with("gpt-5.3-codex", None, request("u-1"))["safety_identifier"],
        "u-1"
    );
    let no_header = body_with("gpt-5.3-codex", None, request(&long_user));
    assert!(no_header["prompt_cache_key"].is_string());
    assert!(!no_header["prompt_cache_key"]
        .as_str()
        .is_some_and(|k| k.contains("session")));
}

#[test]
fn json_schema_output_becomes_text_format() {
    let schema = json!({"type": "object", "properties": {"title": {"type": "string"}},
                        "required": ["title"], "additionalProperties": false});
    let out = body(
        json!({"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}}}),
    );
    assert_eq!(
        out["text"],
        json!({"format": {"type": "json_schema", "name": "response", "strict": true, "schema": schema}})
    );
}
