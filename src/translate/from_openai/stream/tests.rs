//! The streaming state machine (docs/translation.md, "Streaming"). Every stream is also checked
//! against the Anthropic event grammar by [`check_grammar`].

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::translate::grammar::check_grammar;
use crate::translate::names::ToolNames;

fn context() -> Context {
    let mut names = ToolNames::default();
    names.register(&format!("mcp__{}", "x".repeat(70)));
    Context {
        names,
        stop_sequences: vec!["END".into()],
        model: "target".into(),
        ..Context::default()
    }
}

/// Runs `data` payloads (chunks as JSON values, or "[DONE]") and then EOF.
fn run(payloads: &[Value]) -> Result<Vec<Value>, TranslateError> {
    run_with(context(), payloads)
}

/// [`run`] with a given context.
pub(super) fn run_with(context: Context, payloads: &[Value]) -> Result<Vec<Value>, TranslateError> {
    let mut translator = StreamTranslator::new(context);
    let mut events = Vec::new();
    for payload in payloads {
        let data = match payload {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        events.extend(translator.on_data(&data)?);
    }
    events.extend(translator.on_eof()?);
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            let value = serde_json::to_value(e).expect("serialises");
            assert_eq!(value["type"], e.name(), "event name equals its type");
            value
        })
        .collect();
    check_grammar(&events);
    Ok(events)
}

pub(super) fn content(text: &str) -> Value {
    json!({"model": "served", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
}

pub(super) fn finish(reason: &str) -> Value {
    json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
        "prompt_tokens_details": {"cached_tokens": 2}}})
}

pub(super) fn tool(index: usize, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut function = json!({"arguments": args});
    if let Some(name) = name {
        function["name"] = json!(name);
    }
    let mut call = json!({"index": index, "function": function});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]})
}

pub(super) fn done() -> Value {
    json!("[DONE]")
}

/// The assembled blocks of a stream, as the SDK accumulators would build them.
pub(super) fn blocks(events: &[Value]) -> Vec<Value> {
    let mut blocks: Vec<Value> = Vec::new();
    let mut json_text: Vec<String> = Vec::new();
    for event in events {
        match event["type"].as_str() {
            Some("content_block_start") => {
                blocks.push(event["content_block"].clone());
                json_text.push(String::new());
            }
            Some("content_block_delta") => {
                let i = event["index"].as_u64().expect("index") as usize;
                let delta = &event["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        let text = format!(
                            "{}{}",
                            blocks[i]["text"].as_str().unwrap_or_default(),
                            delta["text"].as_str().unwrap_or_default()
                        );
                        blocks[i]["text"] = json!(text);
                    }
                    Some("thinking_delta") => {
                        let text = format!(
                            "{}{}",
                            blocks[i]["thinking"].as_str().unwrap_or_default(),
                            delta["thinking"].as_str().unwrap_or_default()
                        );
                        blocks[i]["thinking"] = json!(text);
                    }
                    Some("signature_delta") => blocks[i]["signature"] = delta["signature"].clone(),
                    Some("input_json_delta") => {
                        json_text[i].push_str(delta["partial_json"].as_str().unwrap_or_default());
                        blocks[i]["input"] =
                            serde_json::from_str(&json_text[i]).unwrap_or(json!("partial"));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn text_stream_follows_the_canonical_event_sequence() {
    let events = run(&[
        json!({"model": "served", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
        content("Hel"),
        content("lo"),
        finish("stop"),
        usage(12, 3),
        done(),
    ])
    .expect("translates");
    let mut start = events[0].clone();
    assert!(start["message"]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("msg_")));
    start["message"]["id"] = json!("msg");
    assert_eq!(
        start,
        json!({"type": "message_start", "message": {"id": "msg", "type": "message", "role": "assistant",
            "content": [], "model": "served", "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "output_tokens": 0}}})
    );
    assert_eq!(
        events[1..],
        [
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                   "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 2}}),
            json!({"type": "message_stop"}),
        ]
    );
}

#[test]
fn reasoning_streams_as_a_thinking_block_before_the_text() {
    let reasoning =
        |field: &str, text: &str| json!({"choices": [{"index": 0, "delta": {field: text}}]});
    let events = run(&[
        reasoning("reasoning_content", "Let me "),
        reasoning("reasoning", "think."),
        content("42"),
        finish("stop"),
        done(),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        [
            json!({"type": "thinking", "thinking": "Let me think.", "signature": THINKING_SIGNATURE}),
            json!({"type": "text", "text": "42"}),
        ]
    );
}

#[test]
fn tool_arguments_stream_as_input_json_deltas_as_they_arrive() {
    let events = run(&[
        content("Checking."),
        tool(0, Some("call_1"), Some("get_weather"), ""),
        tool(0, None, None, "{\"loca"),
        tool(0, None, None, "tion\": \"Par"),
        tool(0, None, None, "is\"}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    let fragments: Vec<&str> = events
        .iter()
        .filter_map(|e| e["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(fragments, ["{\"loca", "tion\": \"Par", "is\"}"]);
    assert_eq!(
        blocks(&events)[1],
        json!({"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"location": "Paris"}})
    );
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "tool_use");
}

#[test]
fn sequential_parallel_calls_become_consecutive_blocks() {
    let events = run(&[
        tool(0, Some("a"), Some("one"), "{\"x\":"),
        tool(0, None, None, "1}"),
        tool(1, Some("b"), Some("two"), "{\"y\":2}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    let blocks = blocks(&events);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["input"], json!({"x": 1}));
    assert_eq!(blocks[1]["input"], json!({"y": 2}));
}

#[test]
fn interleaved_parallel_calls_are_held_back_and_emitted_in_order() {
    let events = run(&[
        tool(0, Some("a"), Some("one"), "{\"x\": "),
        tool(1, Some("b"), Some("two"), "{\"y\": "),
        tool(0, None, None, "1"),
        tool(1, None, None, "2}"),
        tool(0, None, None, "}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        [
            json!({"type": "tool_use", "id": "a", "name": "one", "input": {"x": 1}}),
            json!({"type": "tool_use", "id": "b", "name": "two", "input": {"y": 2}}),
        ]
    );
}

#[test]
fn ids_and_names_repeated_in_every_fragment_are_taken_once() {
    let events = run(&[
        tool(0, Some("a"), Some("Bash"), "{\"command\""),
        tool(0, Some("a"), Some("Bash"), ": \"ls\"}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        [json!({"type": "tool_use", "id": "a", "name": "Bash", "input": {"command": "ls"}})]
    );
}

#[test]
fn a_whole_call_in_one_chunk_with_finish_stop_is_tool_use() {
    let events = run(&[
        tool(
            0,
            Some("functions.Bash:0"),
            Some("Bash"),
            "{\"command\": \"ls\"}",
        ),
        finish("stop"),
        done(),
    ])
    .expect("translates");
    assert_eq!(blocks(&events)[0]["id"], "functions_Bash_0");
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "tool_use");
}

#[test]
fn a_name_arriving_late_delays_the_block_start() {
    let events = run(&[
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"arguments": "{\"k\""}}]}}]}),
        tool(0, None, Some("late"), ": 1}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        [json!({"type": "tool_use", "id": "a", "name": "late", "input": {"k": 1}})]
    );
}

#[test]
fn calls_without_index_fall_back_to_the_id_or_the_last_call() {
    let no_index = |id: Option<&str>, args: &str| {
        let mut call = json!({"function": {"name": "f", "arguments": args}});
        if let Some(id) = id {
            call["id"] = json!(id);
        }
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    };
    let events = run(&[
        no_index(Some("a"), "{\"p\":"),
        no_index(None, "1}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(blocks(&events).len(), 1);
    assert_eq!(blocks(&events)[0]["input"], json!({"p": 1}));
}

#[test]
fn empty_and_missing_arguments_give_an_empty_input() {
    let events = run(&[
        tool(0, Some("a"), Some("noargs"), ""),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(blocks(&events)[0]["input"], json!({}));
}

#[test]
fn malformed_streamed_arguments_are_repaired_on_the_fly() {
    let events = run(&[
        tool(0, Some("a"), Some("f"), "{'path': 'a.txt',"),
        tool(0, None, None, " }"),
        finish("tool_calls"),
        done(),
    ])
    .expect("translates");
    assert_eq!(blocks(&events)[0]["input"], json!({"path": "a.txt"}));
}

#[test]
fn unrepairable_streamed_arguments_are_an_error() {
    let error = run(&[
        tool(0, Some("a"), Some("f"), "{path: x}"),
        finish("tool_calls"),
        done(),
    ])
    .expect_err("error");
    assert!(
        matches!(error, TranslateError::Arguments { .. }),
        "{error:?}"
    );
}

#[test]
fn shortened_tool_names_are_mapped_back_in_the_stream() {
    let long = format!("mcp__{}", "x".repeat(70));
    let short = crate::translate::names::upstream_name(&long);
    let events = run(&[
        tool(0, Some("a"), Some(&short), "{}"),
        finish("tool_calls"),
        done(),
    ])
    .expect("ok");
    assert_eq!(blocks(&events)[0]["name"], long.as_str());
}

#[test]
fn empty_content_never_opens_a_text_block() {
    let events = run(&[content(""), finish("stop"), done()]).expect("translates");
    assert_eq!(events.len(), 3, "{events:?}");
}

#[test]
fn usage_in_the_first_chunk_fills_message_start() {
    let mut first = content("hi");
    first["usage"] = json!({"prompt_tokens": 50, "completion_tokens": 1});
    let events = run(&[first, finish("stop"), done()]).expect("ok");
    assert_eq!(events[0]["message"]["usage"]["input_tokens"], 50);
}

#[test]
fn groq_usage_in_x_groq_is_read() {
    let mut last = finish("stop");
    last["x_groq"] = json!({"usage": {"prompt_tokens": 7, "completion_tokens": 4}});
    let events = run(&[content("hi"), last, done()]).expect("ok");
    assert_eq!(
        events[events.len() - 2]["usage"],
        json!({"input_tokens": 7, "output_tokens": 4})
    );
}

#[test]
fn finish_reasons_map_to_stop_reasons_in_message_delta() {
    let stop = |payloads: &[Value]| {
        run(payloads)
            .expect("ok")
            .iter()
            .rev()
            .nth(1)
            .expect("delta")["delta"]
            .clone()
    };
    assert_eq!(
        stop(&[content("x"), finish("length"), done()])["stop_reason"],
        "max_tokens"
    );
    assert_eq!(
        stop(&[content("x"), finish("content_filter"), done()])["stop_reason"],
        "refusal"
    );
    assert_eq!(stop(&[content("x"), done()])["stop_reason"], "end_turn");
    let mut vllm = finish("stop");
    vllm["choices"][0]["stop_reason"] = json!("END");
    assert_eq!(
        stop(&[content("x"), vllm, done()]),
        json!({"stop_reason": "stop_sequence", "stop_sequence": "END"})
    );
}

#[test]
fn an_error_chunk_fails_the_stream() {
    let error = run(&[
        content("x"),
        json!({"error": {"message": "Overloaded", "code": 503}}),
    ])
    .expect_err("error");
    assert_eq!(
        error,
        TranslateError::Upstream {
            message: "Overloaded".into(),
            status: Some(503)
        }
    );
}

#[test]
fn finish_reason_error_fails_the_stream() {
    let error = run(&[content("x"), finish("error")]).expect_err("error");
    assert!(matches!(error, TranslateError::Upstream { .. }));
}

#[test]
fn eof_without_done_or_finish_reason_is_truncation() {
    let mut translator = StreamTranslator::new(context());
    translator
        .on_data(&content("half").to_string())
        .expect("ok");
    assert_eq!(translator.on_eof(), Err(TranslateError::Truncated));
}

#[test]
fn eof_after_a_finish_reason_without_done_completes() {
    let mut translator = StreamTranslator::new(context());
    translator.on_data(&content("all").to_string()).expect("ok");
    translator.on_data(&finish("stop").to_string()).expect("ok");
    let events = translator.on_eof().expect("completes");
    assert_eq!(events.last().map(StreamEvent::name), Some("message_stop"));
}

#[test]
fn malformed_chunks_are_an_error() {
    let mut translator = StreamTranslator::new(context());
    assert!(matches!(
        translator.on_data("{not json"),
        Err(TranslateError::BadChunk(_))
    ));
}

const ARGUMENTS: &str =
    r#"{"command": "echo 'ccproxy' && ls -la", "description": "List — files 😀", "timeout": 120}"#;

proptest! {
    #[test]
    fn tool_input_is_invariant_under_rechunking(cuts in proptest::collection::vec(0..ARGUMENTS.len(), 0..12)) {
        let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| ARGUMENTS.is_char_boundary(*c)).collect();
        cuts.sort_unstable();
        let mut payloads = vec![tool(0, Some("a"), Some("Bash"), "")];
        let mut last = 0;
        for cut in cuts.into_iter().chain([ARGUMENTS.len()]) {
            payloads.push(tool(0, None, None, &ARGUMENTS[last..cut]));
            last = cut;
        }
        payloads.extend([finish("tool_calls"), done()]);
        let events = run(&payloads).expect("translates");
        let expected: Value = serde_json::from_str(ARGUMENTS).expect("json");
        prop_assert_eq!(&blocks(&events)[0]["input"], &expected);
    }
}
