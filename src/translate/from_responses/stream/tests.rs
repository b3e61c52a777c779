//! The Responses stream state machine. Every stream is checked against Anthropic's event
//! grammar; the SSE path is also fed split at every byte.

use serde_json::{json, Value};

use super::*;
use crate::sse;
use crate::translate::grammar::check_grammar;
use crate::translate::names::ToolNames;

fn context() -> Context {
    Context {
        names: ToolNames::default(),
        model: "gpt-5.3-codex".into(),
        cut_to: None,
    }
}

fn values(events: &[StreamEvent]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let value = serde_json::to_value(e).expect("serialises");
            assert_eq!(value["type"], e.name());
            value
        })
        .collect()
}

/// Runs the events, then EOF; the result as JSON, checked against the grammar.
fn run(events: &[Value]) -> Result<Vec<Value>, TranslateError> {
    let mut translator = StreamTranslator::new(context());
    let mut out = Vec::new();
    for event in events {
        out.extend(translator.on_data(&event.to_string())?);
    }
    out.extend(translator.on_eof()?);
    let out = values(&out);
    check_grammar(&out);
    Ok(out)
}

fn created() -> Value {
    json!({"type": "response.created", "sequence_number": 0,
           "response": {"id": "resp_1", "status": "in_progress", "output": [], "usage": null}})
}

fn added(index: usize, item: Value) -> Value {
    json!({"type": "response.output_item.added", "output_index": index, "item": item,
           "sequence_number": 1})
}

fn done(index: usize, item: Value) -> Value {
    json!({"type": "response.output_item.done", "output_index": index, "item": item,
           "sequence_number": 9})
}

fn text_delta(index: usize, delta: &str) -> Value {
    json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": index,
           "content_index": 0, "delta": delta, "sequence_number": 3})
}

fn summary_delta(index: usize, part: usize, delta: &str) -> Value {
    json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1",
           "output_index": index, "summary_index": part, "delta": delta, "sequence_number": 2})
}

fn args_delta(index: usize, delta: &str) -> Value {
    json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1",
           "output_index": index, "delta": delta, "sequence_number": 4})
}

fn completed(status: &str, extra: Value) -> Value {
    let mut response = json!({
        "id": "resp_1", "status": status, "output": [],
        "usage": {"input_tokens": 50, "input_tokens_details": {"cached_tokens": 10},
                  "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 3}}
    });
    if let (Value::Object(fields), Value::Object(more)) = (&mut response, extra) {
        fields.extend(more);
    }
    let kind = if status == "completed" {
        "response.completed"
    } else {
        "response.incomplete"
    };
    json!({"type": kind, "response": response, "sequence_number": 10})
}

fn message_item() -> Value {
    json!({"type": "message", "id": "msg_1", "role": "assistant", "content": []})
}

fn reasoning_item(summary: Value, encrypted: Option<&str>) -> Value {
    json!({"type": "reasoning", "id": "rs_1", "summary": summary, "encrypted_content": encrypted})
}

fn call_item(arguments: &str) -> Value {
    json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "Bash",
           "arguments": arguments, "status": "in_progress"})
}

/// A reasoning item with a two-part summary, a message, and a tool call.
fn tool_turn() -> Vec<Value> {
    vec![
        created(),
        json!({"type": "response.in_progress", "response": {"status": "in_progress"}}),
        added(0, reasoning_item(json!([]), None)),
        summary_delta(0, 0, "Look"),
        summary_delta(0, 0, " first."),
        summary_delta(0, 1, "Then act."),
        done(
            0,
            reasoning_item(
                json!([{"type": "summary_text", "text": "Look first."},
                       {"type": "summary_text", "text": "Then act."}]),
                Some("gAAAA-enc"),
            ),
        ),
        added(1, message_item()),
        text_delta(1, "Listing"),
        text_delta(1, " files."),
        done(1, message_item()),
        added(2, call_item("")),
        args_delta(2, "{\"comm"),
        args_delta(2, "and\": \"ls\"}"),
        json!({"type": "response.function_call_arguments.done", "output_index": 2,
               "arguments": "{\"command\": \"ls\"}"}),
        done(2, call_item("{\"command\": \"ls\"}")),
        completed("completed", json!({})),
    ]
}

fn blocks(events: &[Value]) -> Vec<Value> {
    let mut blocks: Vec<Value> = Vec::new();
    for event in events {
        match event["type"].as_str() {
            Some("content_block_start") => blocks.push(event["content_block"].clone()),
            Some("content_block_delta") => {
                let block = blocks.last_mut().expect("a block");
                let delta = &event["delta"];
                let (key, piece) = match delta["type"].as_str() {
                    Some("text_delta") => ("text", &delta["text"]),
                    Some("thinking_delta") => ("thinking", &delta["thinking"]),
                    Some("signature_delta") => ("signature", &delta["signature"]),
                    _ => ("partial", &delta["partial_json"]),
                };
                let sum = format!(
                    "{}{}",
                    block[key].as_str().unwrap_or_default(),
                    piece.as_str().expect("text")
                );
                block[key] = json!(sum);
            }
            _ => {}
        }
    }
    for block in &mut blocks {
        if let Some(partial) = block.get("partial").and_then(Value::as_str) {
            block["input"] = serde_json::from_str(partial).expect("json");
            block.as_object_mut().expect("object").remove("partial");
        }
    }
    blocks
}

#[test]
fn a_tool_turn_becomes_one_block_per_item_in_order() {
    let events = run(&tool_turn()).expect("translates");
    assert_eq!(
        blocks(&events),
        vec![
            json!({"type": "thinking", "thinking": "Look first.\n\nThen act.",
                   "signature": "ccproxy:responses:rs_1:gAAAA-enc"}),
            json!({"type": "text", "text": "Listing files."}),
            json!({"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}),
        ]
    );
    let last = &events[events.len() - 2];
    assert_eq!(last["delta"]["stop_reason"], "tool_use");
    assert_eq!(
        last["usage"],
        json!({"input_tokens": 40, "output_tokens": 7, "cache_read_input_tokens": 10})
    );
}

#[test]
fn the_sse_path_gives_the_same_events_however_the_bytes_are_split() {
    let body: String = tool_turn()
        .iter()
        .map(|e| {
            format!(
                "event: {}\ndata: {e}\n\n",
                e["type"].as_str().expect("type")
            )
        })
        .collect();
    let whole = run(&tool_turn()).expect("translates");
    let strip_ids = |mut events: Vec<Value>| {
        events[0]["message"]["id"] = json!("msg");
        events
    };
    let whole = strip_ids(whole);
    for split in 0..=body.len() {
        let mut decoder = sse::Decoder::new();
        let mut translator = StreamTranslator::new(context());
        let mut out = Vec::new();
        for piece in [&body.as_bytes()[..split], &body.as_bytes()[split..]] {
            for event in decoder.push(piece).expect("lines fit") {
                out.extend(translator.on_data(&event.data).expect("translates"));
            }
        }
        out.extend(translator.on_eof().expect("complete"));
        assert_eq!(strip_ids(values(&out)), whole, "split at {split}");
    }
}

#[test]
fn reasoning_with_no_summary_still_carries_its_encrypted_content() {
    let events = run(&[
        created(),
        added(0, reasoning_item(json!([]), None)),
        done(0, reasoning_item(json!([]), Some("enc"))),
        added(1, message_item()),
        text_delta(1, "Hi"),
        done(1, message_item()),
        completed("completed", json!({})),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        vec![
            json!({"type": "thinking", "thinking": "", "signature": "ccproxy:responses:rs_1:enc"}),
            json!({"type": "text", "text": "Hi"}),
        ]
    );
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "end_turn");
}

#[test]
fn items_without_deltas_take_their_content_from_done() {
    let full_message = json!({"type": "message", "content": [
        {"type": "output_text", "text": "whole"}]});
    let events = run(&[
        done(0, full_message),
        done(1, call_item("{\"a\": 1}")),
        completed("completed", json!({})),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events),
        vec![
            json!({"type": "text", "text": "whole"}),
            json!({"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"a": 1}}),
        ]
    );
}

#[test]
fn broken_arguments_are_repaired_as_they_stream() {
    let events = run(&[
        added(0, call_item("")),
        args_delta(0, "{'command': 'ls',"),
        args_delta(0, " 'x': [1, 2"),
        done(0, call_item("ignored")),
        completed("completed", json!({})),
    ])
    .expect("translates");
    assert_eq!(
        blocks(&events)[0]["input"],
        json!({"command": "ls", "x": [1, 2]})
    );
}

#[test]
fn incomplete_responses_stop_for_max_tokens_or_refusal() {
    for (reason, stop) in [
        ("max_output_tokens", "max_tokens"),
        ("content_filter", "refusal"),
    ] {
        let events = run(&[
            added(0, message_item()),
            text_delta(0, "cut"),
            completed(
                "incomplete",
                json!({"incomplete_details": {"reason": reason}}),
            ),
        ])
        .expect("translates");
        assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], stop);
    }
    let refused = run(&[
        added(0, message_item()),
        json!({"type": "response.refusal.delta", "output_index": 0, "content_index": 0,
               "delta": "No."}),
        completed("completed", json!({})),
    ])
    .expect("translates");
    assert_eq!(
        refused[refused.len() - 2]["delta"]["stop_reason"],
        "refusal"
    );
}

#[test]
fn a_failure_before_any_item_is_the_first_result() {
    let mut translator = StreamTranslator::new(context());
    assert_eq!(translator.on_data(&created().to_string()), Ok(Vec::new()));
    let failed = json!({"type": "response.failed", "response": {"status": "failed",
        "error": {"code": "rate_limit_exceeded", "message": "Rate limit reached"}}});
    assert_eq!(
        translator.on_data(&failed.to_string()),
        Err(TranslateError::Upstream {
            message: "Rate limit reached".into(),
            status: Some(429)
        })
    );
    let mut translator = StreamTranslator::new(context());
    let error = json!({"type": "error", "code": "server_error", "message": "boom",
                       "param": null, "sequence_number": 1});
    assert_eq!(
        translator.on_data(&error.to_string()),
        Err(TranslateError::Upstream {
            message: "boom".into(),
            status: Some(500)
        })
    );
}

#[test]
fn a_failure_after_content_comes_after_the_events_already_sent() {
    let mut translator = StreamTranslator::new(context());
    let mut sent = Vec::new();
    for event in [
        created(),
        added(0, message_item()),
        text_delta(0, "partial"),
    ] {
        sent.extend(translator.on_data(&event.to_string()).expect("ok"));
    }
    let sent = values(&sent);
    assert_eq!(sent[0]["type"], "message_start");
    assert_eq!(sent[2]["delta"]["text"], "partial");
    let failed = json!({"type": "response.failed", "response": {"status": "failed",
        "error": {"code": "server_error", "message": "The model crashed"}}});
    assert!(matches!(
        translator.on_data(&failed.to_string()),
        Err(TranslateError::Upstream {
            status: Some(500),
            ..
        })
    ));
}

#[test]
fn a_stream_without_a_terminal_event_is_truncated() {
    let mut translator = StreamTranslator::new(context());
    for event in [created(), added(0, message_item()), text_delta(0, "x")] {
        translator.on_data(&event.to_string()).expect("ok");
    }
    assert_eq!(translator.on_eof(), Err(TranslateError::Truncated));
    assert!(matches!(
        StreamTranslator::new(context()).on_data("{not json"),
        Err(TranslateError::BadChunk(_))
    ));
}

#[test]
fn unknown_events_and_built_in_tool_items_add_nothing() {
    let events = run(&[
        created(),
        json!({"type": "response.content_part.added", "output_index": 0}),
        added(
            0,
            json!({"type": "web_search_call", "id": "ws_1", "status": "in_progress"}),
        ),
        json!({"type": "response.web_search_call.searching", "output_index": 0}),
        done(
            0,
            json!({"type": "web_search_call", "id": "ws_1", "status": "completed"}),
        ),
        added(1, message_item()),
        text_delta(1, ""),
        text_delta(1, "ok"),
        completed("completed", json!({})),
    ])
    .expect("translates");
    assert_eq!(blocks(&events), vec![json!({"type": "text", "text": "ok"})]);
}
