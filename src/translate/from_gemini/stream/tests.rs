use serde_json::{json, Value};

use super::*;

fn run(chunks: &[Value]) -> Result<Vec<Value>, TranslateError> {
    let mut translator = StreamTranslator::new("gemini-x");
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(translator.on_data(&chunk.to_string())?);
    }
    events.extend(translator.on_eof()?);
    Ok(events
        .iter()
        .map(|e| serde_json::to_value(e).expect("JSON"))
        .collect())
}

fn part(part: Value) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": [part]}}]})
}

#[test]
fn blocks_open_and_close_in_order_with_sequential_indices() {
    let events = run(&[
        part(json!({"text": "t1", "thought": true})),
        part(json!({"text": "x"})),
        part(json!({"text": "t2", "thought": true})),
        json!({"candidates": [{"finishReason": "STOP"}]}),
    ])
    .expect("events");
    let starts: Vec<(u64, String)> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .map(|e| {
            let index = e["index"].as_u64().expect("index");
            (
                index,
                e["content_block"]["type"]
                    .as_str()
                    .expect("type")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        starts,
        [
            (0, "thinking".into()),
            (1, "text".into()),
            (2, "thinking".into())
        ]
    );
    let stops = events
        .iter()
        .filter(|e| e["type"] == "content_block_stop")
        .count();
    assert_eq!(stops, 3);
    assert_eq!(events.last(), Some(&json!({"type": "message_stop"})));
}

#[test]
fn a_signature_only_part_neither_opens_a_block_nor_is_lost_on_an_open_thought() {
    let events = run(&[
        part(json!({"text": "t", "thought": true})),
        part(json!({"text": "", "thought": true, "thoughtSignature": "c2ln"})),
        part(json!({"text": "", "thoughtSignature": "ignored"})),
        json!({"candidates": [{"finishReason": "STOP"}]}),
    ])
    .expect("events");
    let signature = events
        .iter()
        .find(|e| e["delta"]["type"] == "signature_delta")
        .expect("a signature");
    assert_eq!(signature["delta"]["signature"], "ccproxy:gemini:c2ln");
    let starts = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .count();
    assert_eq!(starts, 1);
}

#[test]
fn an_empty_answer_still_has_a_well_formed_stream() {
    let events = run(&[json!({"candidates": [{"finishReason": "STOP"}],
                              "usageMetadata": {"promptTokenCount": 3}})])
    .expect("events");
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["message_start", "message_delta", "message_stop"]);
    assert_eq!(events[1]["delta"]["stop_reason"], "end_turn");
}

#[test]
fn a_stream_without_a_finish_reason_is_truncated() {
    assert_eq!(
        run(&[part(json!({"text": "x"}))]),
        Err(TranslateError::Truncated)
    );
}
