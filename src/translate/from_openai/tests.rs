//! Non-streaming response translation (docs/translation.md: the response side).

use serde_json::{json, Value};

use super::*;
use crate::translate::text_calls::Formats;

fn translate(completion: Value) -> Result<Value, TranslateError> {
    let context = Context {
        stop_sequences: vec!["STOP".into()],
        model: "target".into(),
        ..Context::default()
    };
    let completion: openai::ChatResponse =
        serde_json::from_value(completion).expect("valid completion");
    response(completion, &context).map(|m| serde_json::to_value(m).expect("serialises"))
}

fn completion(message: Value, finish_reason: &str) -> Value {
    json!({"id": "chatcmpl-1", "model": "served", "choices": [
        {"index": 0, "message": message, "finish_reason": finish_reason}
    ], "usage": {"prompt_tokens": 12, "completion_tokens": 3}})
}

#[test]
fn text_completion_becomes_a_message() {
    let out = translate(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "kimi",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
                  "prompt_tokens_details": {"cached_tokens": 2}}
    }))
    .expect("translates");
    assert!(out["id"].as_str().is_some_and(|id| id.starts_with("msg_")));
    assert_eq!(out["type"], "message");
    assert_eq!(out["role"], "assistant");
    assert_eq!(out["content"], json!([{"type": "text", "text": "Hello"}]));
    assert_eq!(out["model"], "kimi");
    assert_eq!(out["stop_reason"], "end_turn");
    assert_eq!(out["stop_sequence"], Value::Null);
    assert_eq!(
        out["usage"],
        json!({"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 2})
    );
}

#[test]
fn reasoning_comes_first_as_a_thinking_block() {
    for field in ["reasoning_content", "reasoning"] {
        let out = translate(completion(
            json!({"role": "assistant", "content": "42", field: "Let me think."}),
            "stop",
        ))
        .expect("translates");
        assert_eq!(
            out["content"],
            json!([
                {"type": "thinking", "thinking": "Let me think.", "signature": THINKING_SIGNATURE},
                {"type": "text", "text": "42"}
            ])
        );
    }
}

#[test]
fn mistral_thinking_chunks_become_a_thinking_block() {
    let out = translate(completion(
        json!({"role": "assistant", "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
            {"type": "text", "text": "answer"}
        ]}),
        "stop",
    ))
    .expect("translates");
    assert_eq!(out["content"][0]["thinking"], "hmm");
    assert_eq!(out["content"][1]["text"], "answer");
}

#[test]
fn tool_calls_become_tool_use_blocks_after_text() {
    let out = translate(completion(
        json!({"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "functions.get_weather:0", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": ""}}
        ]}),
        "tool_calls",
    ))
    .expect("translates");
    assert_eq!(
        out["content"],
        json!([
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "functions_get_weather_0", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}
        ])
    );
    assert_eq!(out["stop_reason"], "tool_use");
}

#[test]
fn malformed_arguments_are_repaired() {
    let out = translate(completion(
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{'path': 'x', 'n': [1,2,],}"}}
        ]}),
        "tool_calls",
    ))
    .expect("translates");
    assert_eq!(
        out["content"][0]["input"],
        json!({"path": "x", "n": [1, 2]})
    );
}

#[test]
fn unrepairable_arguments_are_an_error_naming_the_tool() {
    let error = translate(completion(
        json!({"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "Bash", "arguments": "{command: ls}"}}
        ]}),
        "tool_calls",
    ))
    .expect_err("unrepairable");
    assert!(
        matches!(error, TranslateError::Arguments { ref tool, .. } if tool == "Bash"),
        "{error:?}"
    );
}

#[test]
fn stop_with_tool_calls_is_tool_use() {
    let out = translate(completion(
        json!({"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ]}),
        "stop",
    ))
    .expect("translates");
    assert_eq!(out["stop_reason"], "tool_use");
}

#[test]
fn finish_reasons_map_to_stop_reasons() {
    let stop = |reason: &str| {
        translate(completion(json!({"content": "x"}), reason)).expect("ok")["stop_reason"].clone()
    };
    assert_eq!(stop("stop"), "end_turn");
    assert_eq!(stop("length"), "max_tokens");
    assert_eq!(stop("content_filter"), "refusal");
    assert_eq!(stop("something_new"), "end_turn");
}

#[test]
fn a_stop_sequence_named_by_the_server_is_reported() {
    let mut body = completion(json!({"content": "x"}), "stop");
    body["choices"][0]["stop_reason"] = json!("STOP");
    let out = translate(body).expect("translates");
    assert_eq!(out["stop_reason"], "stop_sequence");
    assert_eq!(out["stop_sequence"], "STOP");
}

#[test]
fn refusals_are_text_with_stop_reason_refusal() {
    let out = translate(completion(
        json!({"content": null, "refusal": "I can't help."}),
        "stop",
    ))
    .expect("ok");
    assert_eq!(
        out["content"],
        json!([{"type": "text", "text": "I can't help."}])
    );
    assert_eq!(out["stop_reason"], "refusal");
}

#[test]
fn error_finish_reasons_are_upstream_errors() {
    for reason in ["error", "insufficient_system_resource"] {
        let error = translate(completion(json!({"content": ""}), reason)).expect_err("error");
        assert!(
            matches!(error, TranslateError::Upstream { .. }),
            "{error:?}"
        );
    }
}

#[test]
fn deepseek_cache_hits_count_as_cache_reads() {
    let mut body = completion(json!({"content": "x"}), "stop");
    body["usage"] =
        json!({"prompt_tokens": 100, "completion_tokens": 5, "prompt_cache_hit_tokens": 60});
    let out = translate(body).expect("ok");
    assert_eq!(
        out["usage"],
        json!({"input_tokens": 40, "output_tokens": 5, "cache_read_input_tokens": 60})
    );
}

#[test]
fn huge_cache_counts_do_not_overflow() {
    let mut body = completion(json!({"content": "x"}), "stop");
    body["usage"] = json!({"prompt_tokens": 100, "completion_tokens": 5,
        "prompt_tokens_details": {"cached_tokens": u64::MAX, "cache_write_tokens": u64::MAX}});
    let out = translate(body).expect("ok");
    assert_eq!(
        out["usage"],
        json!({"input_tokens": 0, "output_tokens": 5,
               "cache_creation_input_tokens": u64::MAX, "cache_read_input_tokens": u64::MAX})
    );
}

#[test]
fn null_fields_are_tolerated() {
    let out = translate(
        json!({"model": null, "choices": [{"message": {"content": null, "tool_calls": null,
        "refusal": null}, "finish_reason": null}], "usage": null}),
    )
    .expect("ok");
    assert_eq!(out["content"], json!([]));
    assert_eq!(out["model"], "target");
    assert_eq!(out["usage"], json!({"input_tokens": 0, "output_tokens": 0}));
}

#[test]
fn no_choices_is_an_error() {
    assert_eq!(
        translate(json!({"choices": []})),
        Err(TranslateError::NoChoices)
    );
}

fn offering_bash(formats: Formats) -> Context {
    let tool = openai::Tool {
        kind: "function",
        function: openai::FunctionDef {
            name: "Bash".into(),
            description: None,
            parameters: (&json!({"type": "object", "properties": {"command": {"type": "string"}}}))
                .into(),
        },
    };
    Context {
        text_calls: TextCalls::offered(formats, &[tool]),
        model: "target".into(),
        ..Context::default()
    }
}

fn translate_with(context: &Context, message: Value) -> Value {
    let completion: openai::ChatResponse =
        serde_json::from_value(completion(message, "stop")).expect("valid completion");
    serde_json::to_value(response(completion, context).expect("translates")).expect("serialises")
}

#[test]
fn tool_calls_written_as_text_become_tool_use_blocks() {
    let text = "<think>Need a listing.</think>\nListing.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>";
    let out = translate_with(
        &offering_bash(Formats::HERMES),
        json!({"role": "assistant", "content": text}),
    );
    let content = out["content"].as_array().expect("content");
    assert_eq!(
        content[..2],
        [
            json!({"type": "thinking", "thinking": "Need a listing.", "signature": THINKING_SIGNATURE}),
            json!({"type": "text", "text": "Listing.\n"}),
        ]
    );
    assert_eq!(content[2]["type"], "tool_use");
    assert_eq!(content[2]["name"], "Bash");
    assert_eq!(content[2]["input"], json!({"command": "ls"}));
    assert!(content[2]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("toolu_")));
    assert_eq!(out["stop_reason"], "tool_use");
}

#[test]
fn text_calls_need_offered_tools_and_stay_text_in_a_fence() {
    let call = "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>";
    for (context, text) in [
        (Context::default(), call.to_string()),
        (offering_bash(Formats::HERMES), format!("```\n{call}\n```")),
        (offering_bash(Formats::GLM), call.to_string()),
    ] {
        let out = translate_with(&context, json!({"content": text}));
        assert_eq!(out["content"], json!([{"type": "text", "text": text}]));
        assert_eq!(out["stop_reason"], "end_turn");
    }
}

#[test]
fn openrouter_reasoning_details_become_a_thinking_block() {
    let out = translate_with(
        &Context::default(),
        json!({"content": "42", "reasoning_details": [
            {"type": "reasoning.summary", "summary": "Added.", "index": 0},
            {"type": "reasoning.encrypted", "data": "opaque", "index": 1}
        ]}),
    );
    assert_eq!(out["content"][0]["thinking"], "Added.");
    let both = translate_with(
        &Context::default(),
        json!({"content": "42", "reasoning": "Once.",
               "reasoning_details": [{"type": "reasoning.text", "text": "Once."}]}),
    );
    assert_eq!(both["content"][0]["thinking"], "Once.");
}

#[test]
fn only_the_first_call_passes_when_parallel_calls_were_disabled() {
    let context = Context {
        single_tool_call: true,
        ..offering_bash(Formats::HERMES)
    };
    let out = translate_with(
        &context,
        json!({"content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\": \"ls\"}"}},
            {"id": "b", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\": \"rm\"}"}}
        ]}),
    );
    let content = out["content"].as_array().expect("content");
    assert_eq!(content.len(), 1);
    assert_eq!(content[0]["id"], "a");
    assert_eq!(out["stop_reason"], "tool_use");
}
