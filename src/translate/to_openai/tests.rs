//! Request translation, one test per rule of docs/translation.md (the request side).

use serde_json::{json, Value};

use super::*;

pub(super) fn parse(value: Value) -> anthropic::MessagesRequest {
    serde_json::from_value(value).expect("valid request")
}

fn target(provider: &str) -> Target<'static> {
    Target {
        model: "up-model",
        quirks: crate::config::catalog::quirks(provider),
        max_output_tokens: None,
        session: None,
    }
}

/// The upstream body for `request` sent to a provider with `provider`'s quirks.
fn body_for(provider: &str, request: Value) -> Value {
    let (body, _) = super::request(&parse(request), &target(provider)).expect("translates");
    serde_json::to_value(body).expect("serialises")
}

fn body(request: Value) -> Value {
    body_for("generic", request)
}

/// The roles of the upstream messages, in order.
fn roles(body: &Value) -> Vec<&str> {
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect()
}

pub(super) fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

#[test]
fn system_string_becomes_the_first_system_message() {
    let out = body(
        json!({"model": "c", "max_tokens": 5, "system": "Be brief.", "messages": [user("hi")]}),
    );
    assert_eq!(
        out,
        json!({"model": "up-model", "max_tokens": 5, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"}
        ]})
    );
}

#[test]
fn system_blocks_are_joined_into_one_string_without_cache_control() {
    let out = body(json!({"model": "c", "messages": [user("hi")], "system": [
        {"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": ""},
        {"type": "text", "text": "B"}
    ]}));
    assert_eq!(
        out["messages"][0],
        json!({"role": "system", "content": "A\n\nB"})
    );
}

#[test]
fn role_system_messages_stay_at_their_position() {
    let out = body(json!({"model": "c", "messages": [
        user("first"),
        {"role": "system", "content": [{"type": "text", "text": "env", "cache_control": {"type": "ephemeral"}}]},
        {"role": "system", "content": []},
        {"role": "assistant", "content": "ok"}
    ]}));
    assert_eq!(
        out["messages"],
        json!([
            {"role": "user", "content": "first"},
            {"role": "system", "content": "env"},
            {"role": "assistant", "content": "ok"}
        ])
    );
}

#[test]
fn empty_text_blocks_and_empty_messages_are_dropped() {
    let out = body(json!({"model": "c", "messages": [
        {"role": "user", "content": [{"type": "text", "text": ""}]},
        {"role": "assistant", "content": [{"type": "text", "text": ""}]},
        {"role": "user", "content": [{"type": "text", "text": "real"}, {"type": "text", "text": ""}]}
    ]}));
    assert_eq!(
        out["messages"],
        json!([{"role": "user", "content": "real"}])
    );
}

#[test]
fn consecutive_same_role_messages_are_merged() {
    let out = body(json!({"model": "c", "messages": [user("a"), user("b"),
        {"role": "assistant", "content": "x"}, {"role": "assistant", "content": "y"}]}));
    assert_eq!(
        out["messages"],
        json!([
            {"role": "user", "content": "a\n\nb"},
            {"role": "assistant", "content": "x\n\ny"}
        ])
    );
}

#[test]
fn images_become_image_url_parts_with_data_uris() {
    let out = body(
        json!({"model": "c", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}}
        ]}]}),
    );
    assert_eq!(
        out["messages"][0]["content"],
        json!([
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}
        ])
    );
}

#[test]
fn text_documents_become_text_with_their_title() {
    let out = body(
        json!({"model": "c", "messages": [{"role": "user", "content": [
            {"type": "document", "title": "Notes", "source": {"type": "text", "media_type": "text/plain", "data": "body"}}
        ]}]}),
    );
    assert_eq!(out["messages"][0]["content"], "Notes\nbody");
}

#[test]
fn pdf_documents_are_file_parts_where_the_provider_reads_pdfs() {
    let out = body_for(
        "openai",
        json!({"model": "c", "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}
        ]}]}),
    );
    assert_eq!(
        out["messages"][0]["content"],
        json!([{"type": "file", "file": {"filename": "document.pdf", "file_data": "data:application/pdf;base64,JVBE"}}])
    );
}

#[test]
fn pdf_documents_are_refused_with_the_field_where_the_provider_cannot_read_them() {
    let request = parse(
        json!({"model": "c", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "summarise"},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}
        ]}]}),
    );
    let error = super::request(&request, &target("groq")).expect_err("refused");
    let TranslateError::Unsupported { field, reason } = error else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(field, "messages[0].content[1]");
    assert!(reason.contains("PDF"), "{reason}");
}

#[test]
fn tool_use_becomes_assistant_tool_calls_with_null_content() {
    let out = body(json!({"model": "c", "messages": [
        user("run it"),
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": {"command": "ls"}}
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "a.txt"}]}
    ]}));
    assert_eq!(
        out["messages"][1],
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "toolu_01", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\":\"ls\"}"}}
        ]})
    );
    assert_eq!(
        out["messages"][2],
        json!({"role": "tool", "tool_call_id": "toolu_01", "content": "a.txt"})
    );
}

#[test]
fn several_tool_results_come_first_and_following_text_after_them() {
    let out = body(json!({"model": "c", "messages": [
        {"role": "assistant", "content": [
            {"type": "text", "text": "Running both."},
            {"type": "tool_use", "id": "a", "name": "Bash", "input": {}},
            {"type": "tool_use", "id": "b", "name": "Bash", "input": {}}
        ]},
        {"role": "user", "content": [
            {"type": "text", "text": "before"},
            {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
            {"type": "tool_result", "tool_use_id": "b", "is_error": true, "content": "boom"},
            {"type": "text", "text": "after"}
        ]}
    ]}));
    assert_eq!(out["messages"][0]["content"], "Running both.");
    assert_eq!(
        out["messages"].as_array().expect("messages")[1..],
        [
            json!({"role": "tool", "tool_call_id": "a", "content": "one\ntwo"}),
            json!({"role": "tool", "tool_call_id": "b", "content": "Error: boom"}),
            json!({"role": "user", "content": "before\nafter"})
        ]
    );
}

#[test]
fn empty_tool_results_say_no_output() {
    let out = body(json!({"model": "c", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "T", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]}
    ]}));
    assert_eq!(out["messages"][1]["content"], "(no output)");
}

#[test]
fn images_in_tool_results_move_to_the_next_user_message() {
    let out = body(json!({"model": "c", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "Screenshot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": [
            {"type": "text", "text": "shot"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
        ]}]}
    ]}));
    assert_eq!(
        out["messages"][1],
        json!({"role": "tool", "tool_call_id": "a", "content": "shot\n[image attached below]"})
    );
    assert_eq!(
        out["messages"][2],
        json!({"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
        ]})
    );
}

#[test]
fn tool_ids_are_sanitized_the_same_way_in_calls_and_results() {
    let out = body(json!({"model": "c", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "functions.Bash:0", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "functions.Bash:0", "content": "ok"}]}
    ]}));
    assert_eq!(
        out["messages"][0]["tool_calls"][0]["id"],
        "functions_Bash_0"
    );
    assert_eq!(out["messages"][1]["tool_call_id"], "functions_Bash_0");
}

#[test]
fn mistral_gets_nine_character_ids_and_no_user_right_after_a_tool() {
    let out = body_for(
        "mistral",
        json!({"model": "c", "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01XYZ", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01XYZ", "content": "ok"},
                {"type": "text", "text": "and now?"}
            ]}
        ]}),
    );
    let id = out["messages"][0]["tool_calls"][0]["id"]
        .as_str()
        .expect("id");
    assert!(
        id.len() == 9 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(out["messages"][1]["tool_call_id"], id);
    let roles = roles(&out);
    assert_eq!(roles, ["assistant", "tool", "assistant", "user"]);
}

#[test]
fn a_final_assistant_message_is_kept_as_the_last_message() {
    let out = body(json!({"model": "c", "messages": [user("Write a haiku"),
        {"role": "assistant", "content": "Autumn"}]}));
    assert_eq!(
        out["messages"][1],
        json!({"role": "assistant", "content": "Autumn"})
    );
}

/// A tool's schema goes upstream as the client wrote it: key order and spacing kept, so the
/// same tools make the same bytes on every turn (docs/translation.md, "Tools").
#[test]
fn a_tool_schema_is_sent_byte_for_byte() {
    let schema = r#"{"type": "object",  "required": ["b"], "properties": {"b": {"type": "string"}, "a": {}}}"#;
    let request = format!(
        r#"{{"model": "c", "messages": [{{"role": "user", "content": "hi"}}],
            "tools": [{{"name": "T", "input_schema": {schema}}}]}}"#
    );
    let parsed: anthropic::MessagesRequest = serde_json::from_str(&request).expect("valid");
    let (body, _) = super::request(&parsed, &target("generic")).expect("translates");
    let sent = serde_json::to_string(&body).expect("serialises");
    assert!(
        sent.contains(&format!(r#""parameters":{schema}"#)),
        "{sent}"
    );
}

#[test]
fn tools_become_functions_without_anthropic_only_keys() {
    let out = body(json!({"model": "c", "messages": [user("hi")], "tools": [
        {"name": "Bash", "description": "Run", "type": "custom", "cache_control": {"type": "ephemeral"},
         "strict": true, "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        {"type": "bash_20250124", "name": "bash"}
    ]}));
    let tools = out["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 2, "the server tool is dropped: {tools:?}");
    assert_eq!(
        tools[0],
        json!({"type": "function", "function": {"name": "Bash", "description": "Run",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}})
    );
    assert_eq!(tools[1]["function"]["name"], "bash");
    assert_eq!(
        tools[1]["function"]["parameters"]["properties"]["command"]["type"],
        "string"
    );
}

#[test]
fn deferred_tools_are_sent_only_once_referenced() {
    let tools = json!([
        {"name": "Now", "input_schema": {"type": "object"}},
        {"name": "Later", "input_schema": {"type": "object"}, "defer_loading": true}
    ]);
    let out = body(json!({"model": "c", "tools": tools, "messages": [user("hi")]}));
    assert_eq!(out["tools"].as_array().map(Vec::len), Some(1));
    let out = body(json!({"model": "c", "tools": tools, "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "s", "name": "ToolSearch", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "s", "content": [
            {"type": "tool_reference", "tool_name": "Later"}
        ]}]}
    ]}));
    assert_eq!(out["tools"][1]["function"]["name"], "Later");
    assert_eq!(
        out["messages"][1]["content"],
        "Tool Later is now available."
    );
}

#[test]
fn tool_choice_maps_each_variant() {
    let tools = json!([{"name": "Bash", "input_schema": {"type": "object"}}]);
    let choice = |choice: Value| {
        body(json!({"model": "c", "messages": [user("hi")], "tools": tools, "tool_choice": choice}))
    };
    assert_eq!(choice(json!({"type": "auto"}))["tool_choice"], "auto");
    assert_eq!(choice(json!({"type": "any"}))["tool_choice"], "required");
    assert_eq!(choice(json!({"type": "none"}))["tool_choice"], "none");
    assert_eq!(
        choice(json!({"type": "tool", "name": "Bash"}))["tool_choice"],
        json!({"type": "function", "function": {"name": "Bash"}})
    );
    let out = choice(json!({"type": "auto", "disable_parallel_tool_use": true}));
    assert_eq!(out["parallel_tool_calls"], false);
    assert!(choice(json!({"type": "auto"}))
        .get("parallel_tool_calls")
        .is_none());
}

#[test]
fn tool_choice_and_parallel_flag_are_omitted_without_tools() {
    let out = body(json!({"model": "c", "messages": [user("hi")],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true}}));
    assert!(out.get("tool_choice").is_none() && out.get("parallel_tool_calls").is_none());
    assert!(out.get("tools").is_none());
}

#[test]
fn long_tool_names_are_shortened_everywhere_and_mapped_back() {
    let long = format!("mcp__server__{}", "n".repeat(80));
    let request = parse(
        json!({"model": "c", "tools": [{"name": long, "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": long},
        "messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": long, "input": {}}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"}]}]}),
    );
    let (out, context) = super::request(&request, &target("openai")).expect("translates");
    let out = serde_json::to_value(out).expect("json");
    let short = out["tools"][0]["function"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert_eq!(short.len(), 64);
    assert_eq!(out["tool_choice"]["function"]["name"], short.as_str());
    assert_eq!(
        out["messages"][0]["tool_calls"][0]["function"]["name"],
        short.as_str()
    );
    assert_eq!(context.names.client_name(&short), long);
}

#[test]
fn max_tokens_is_capped_and_uses_the_providers_field() {
    let request = parse(json!({"model": "c", "max_tokens": 128000, "messages": [user("hi")]}));
    let capped = Target {
        model: "m",
        quirks: crate::config::catalog::quirks("groq"),
        max_output_tokens: Some(16384),
        session: None,
    };
    let (out, _) = super::request(&request, &capped).expect("translates");
    assert_eq!(out.max_completion_tokens, Some(16384));
    assert_eq!(out.max_tokens, None);
    let (out, _) = super::request(&request, &target("mistral")).expect("translates");
    assert_eq!(out.max_tokens, Some(128000));
    assert_eq!(out.max_completion_tokens, None);
}

#[test]
fn sampling_and_stop_sequences_pass_through_within_limits() {
    let request = json!({"model": "c", "messages": [user("hi")], "temperature": 0.2, "top_p": 0.9,
        "top_k": 5, "stop_sequences": ["a", "b", "c", "d", "e"]});
    let out = body_for("openai", request.clone());
    assert_eq!(out["temperature"], 0.2);
    assert_eq!(out["top_p"], 0.9);
    assert!(out.get("top_k").is_none());
    assert_eq!(out["stop"], json!(["a", "b", "c", "d"]));
    assert_eq!(body_for("openrouter", request)["top_k"], 5);
}

#[test]
fn openai_reasoning_models_get_no_sampling_parameters() {
    let request = parse(
        json!({"model": "c", "messages": [user("hi")], "temperature": 0.2,
        "top_p": 0.9, "stop_sequences": ["x"]}),
    );
    let gpt5 = Target {
        model: "gpt-5.6-terra",
        quirks: crate::config::catalog::quirks("openai").for_model("openai", "gpt-5.6-terra"),
        max_output_tokens: None,
        session: None,
    };
    let (out, _) = super::request(&request, &gpt5).expect("translates");
    assert_eq!((out.temperature, out.top_p), (None, None));
    assert!(out.stop.is_empty());
}

#[test]
fn streaming_asks_for_usage_where_supported() {
    let request = json!({"model": "c", "stream": true, "messages": [user("hi")]});
    let out = body(request.clone());
    assert_eq!(out["stream"], true);
    assert_eq!(out["stream_options"], json!({"include_usage": true}));
    assert!(body_for("mistral", request).get("stream_options").is_none());
    let out = body(json!({"model": "c", "messages": [user("hi")]}));
    assert!(out.get("stream").is_none() && out.get("stream_options").is_none());
}

#[test]
fn metadata_user_id_becomes_user_where_accepted_hashed_when_long() {
    let long = json!({"model": "c", "messages": [user("hi")],
        "metadata": {"user_id": "{\"device_id\":\"0000000000000000000000000000000000000000000000000000000000000000\"}"}});
    let user_field = body_for("openai", long.clone())["user"]
        .as_str()
        .map(str::to_string);
    let user_field = user_field.expect("user is set");
    assert!(
        user_field.starts_with("user_") && user_field.len() <= 64,
        "{user_field}"
    );
    assert!(body_for("mistral", long).get("user").is_none());
    let short = json!({"model": "c", "messages": [user("hi")], "metadata": {"user_id": "u-1"}});
    assert_eq!(body_for("groq", short)["user"], "u-1");
}

#[test]
fn thinking_budget_becomes_a_reasoning_effort_bucket() {
    let thinking = |budget: u64| {
        body_for(
            "openai",
            json!({"model": "c", "messages": [user("hi")],
            "thinking": {"type": "enabled", "budget_tokens": budget}}),
        )["reasoning_effort"]
            .clone()
    };
    assert_eq!(thinking(2000), "low");
    assert_eq!(thinking(8000), "medium");
    assert_eq!(thinking(31999), "high");
}

#[test]
fn adaptive_thinking_uses_output_config_effort_within_the_providers_range() {
    let request = json!({"model": "c", "messages": [user("hi")],
        "thinking": {"type": "adaptive", "display": "omitted"}, "output_config": {"effort": "max"}});
    assert_eq!(
        body_for("openai", request.clone())["reasoning_effort"],
        "xhigh"
    );
    assert_eq!(
        body_for("groq", request.clone())["reasoning_effort"],
        "high"
    );
    assert_eq!(
        body_for("mistral", request.clone())["reasoning_effort"],
        "xhigh"
    );
    let generic = body(request);
    assert!(generic.get("reasoning_effort").is_none() && generic.get("thinking").is_none());
}

#[test]
fn deepseek_gets_its_thinking_switch() {
    let on = body_for(
        "deepseek",
        json!({"model": "c", "messages": [user("hi")],
        "thinking": {"type": "enabled", "budget_tokens": 2048}, "output_config": {"effort": "medium"}}),
    );
    assert_eq!(on["thinking"], json!({"type": "enabled"}));
    assert_eq!(on["reasoning_effort"], "high");
    let off = body_for(
        "deepseek",
        json!({"model": "c", "messages": [user("hi")], "thinking": {"type": "disabled"}}),
    );
    assert_eq!(off["thinking"], json!({"type": "disabled"}));
    assert!(off.get("reasoning_effort").is_none());
}

#[test]
fn openrouter_gets_an_exact_reasoning_budget() {
    let out = body_for(
        "openrouter",
        json!({"model": "c", "messages": [user("hi")],
        "thinking": {"type": "enabled", "budget_tokens": 5000}}),
    );
    assert_eq!(out["reasoning"], json!({"max_tokens": 5000}));
    assert!(out.get("reasoning_effort").is_none());
}

#[test]
fn deepseek_tool_turns_carry_their_reasoning_content_back() {
    let request = json!({"model": "c", "messages": [
        user("go"),
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should list.", "signature": "ccproxy:reasoning"},
            {"type": "tool_use", "id": "a", "name": "Bash", "input": {"command": "ls"}}
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "done"}]}
    ]});
    let out = body_for("deepseek", request.clone());
    assert_eq!(out["messages"][1]["reasoning_content"], "I should list.");
    assert!(out["messages"][3].get("reasoning_content").is_none());
    assert!(body(request)["messages"][1]
        .get("reasoning_content")
        .is_none());
}

#[test]
fn output_config_format_becomes_response_format() {
    let schema = json!({"type": "object", "properties": {"title": {"type": "string"}}});
    let out = body(json!({"model": "c", "messages": [user("hi")],
        "output_config": {"effort": "high", "format": {"type": "json_schema", "schema": schema}}}));
    assert_eq!(
        out["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "response", "schema": schema}})
    );
}

#[test]
fn anthropic_only_fields_never_reach_the_upstream() {
    let out = body_for(
        "groq",
        json!({"model": "c", "messages": [user("hi")],
        "context_management": {"edits": []}, "service_tier": "auto", "container": "x",
        "cache_control": {"type": "ephemeral"}, "inference_geo": "us", "metadata": {"user_id": "u"},
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}),
    );
    let keys: Vec<&str> = out
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["messages", "model", "reasoning_effort", "user"]);
}

#[test]
fn claude_codes_first_turn_request_translates_cleanly() {
    let fixture = include_str!("../../../tests/fixtures/claude-code-2.1.331-first-turn.json");
    let request: anthropic::MessagesRequest =
        serde_json::from_str(fixture).expect("fixture parses");
    let groq = Target {
        model: "moonshotai/kimi-k2-instruct",
        quirks: crate::config::catalog::quirks("groq"),
        max_output_tokens: Some(16384),
        session: None,
    };
    let (out, _) = super::request(&request, &groq).expect("translates");
    let out = serde_json::to_value(out).expect("json");
    assert_eq!(out["max_completion_tokens"], 16384);
    assert_eq!(out["stream"], true);
    assert_eq!(out["reasoning_effort"], "medium");
    let tools = out["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 11, "the deferred placeholder is not sent");
    assert!(tools
        .iter()
        .all(|t| t["function"]["name"] != "DeferredToolPlaceholder"));
    let roles = roles(&out);
    assert_eq!(roles, ["system", "user", "system"]);
    let text = out.to_string();
    for anthropic_only in [
        "cache_control",
        "context_management",
        "output_config",
        "defer_loading",
        "\"thinking\"",
    ] {
        assert!(!text.contains(anthropic_only), "{anthropic_only} leaked");
    }
}
