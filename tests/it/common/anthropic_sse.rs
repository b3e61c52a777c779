//! A translated stream as a client sees it: the proxy's SSE body read into events, the one
//! check of Anthropic's event grammar every translated stream must pass, and the content
//! blocks a client's accumulator would build from the events.

use ccproxy::sse;
use serde_json::{json, Value};

/// The data of each SSE event in `bytes`; every event's `event:` name equals its `type`.
pub fn events(bytes: &[u8]) -> Vec<Value> {
    let mut decoder = sse::Decoder::new();
    let mut events = decoder.push(bytes).expect("lines within the limit");
    events.extend(decoder.finish());
    events
        .into_iter()
        .map(|event| {
            let data: Value = serde_json::from_str(&event.data).expect("data is JSON");
            let name = event.event.expect("every event has an event: line");
            assert_eq!(data["type"], name.as_str(), "event name equals its type");
            data
        })
        .collect()
}

/// Anthropic's stream grammar: `message_start` first (empty content, numeric usage);
/// blocks started with indices 0, 1, 2, ..., one open at a time, each stopped; thinking
/// blocks start with `signature: ""` and get their `signature_delta` right before the stop;
/// tool_use blocks start with `input: {}`, a legal id, and their `partial_json` concatenates
/// to a JSON object; text blocks are never empty; `ping` anywhere between; then
/// `message_delta` (with a stop reason and output tokens) and `message_stop` last. A stream
/// that failed after its start ends instead with one `error` event (type and message), a
/// block possibly left open, and no `message_delta` or `message_stop`.
pub fn check_grammar(events: &[Value]) {
    assert_eq!(events[0]["type"], "message_start", "{events:?}");
    assert_eq!(events[0]["message"]["content"], json!([]));
    assert!(events[0]["message"]["usage"]["input_tokens"].is_u64());
    let n = events.len();
    let failed = events[n - 1]["type"] == "error";
    let body_end = if failed {
        let error = &events[n - 1]["error"];
        assert!(
            error["type"].is_string() && error["message"].is_string(),
            "{error}"
        );
        n - 1
    } else {
        assert_eq!(events[n - 1]["type"], "message_stop", "{events:?}");
        assert_eq!(events[n - 2]["type"], "message_delta", "{events:?}");
        assert!(events[n - 2]["delta"]["stop_reason"].is_string());
        assert!(events[n - 2]["usage"]["output_tokens"].is_u64());
        n - 2
    };
    let mut next = 0;
    let mut open: Option<(u64, Value, String, bool)> = None;
    for event in &events[1..body_end] {
        match event["type"].as_str() {
            Some("ping") => {}
            Some("content_block_start") => {
                assert!(open.is_none(), "a block opened inside another: {event}");
                assert_eq!(event["index"], next, "{event}");
                let block = event["content_block"].clone();
                match block["type"].as_str() {
                    Some("thinking") => assert_eq!(block["signature"], ""),
                    Some("tool_use") => {
                        assert_eq!(block["input"], json!({}));
                        let id = block["id"].as_str().expect("id");
                        assert!(id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
                    }
                    Some("text") => assert_eq!(block["text"], ""),
                    other => panic!("unexpected block {other:?}"),
                }
                open = Some((next, block, String::new(), false));
                next += 1;
            }
            Some("content_block_delta") => {
                let (index, block, text, signed) = open.as_mut().expect("delta outside a block");
                assert_eq!(event["index"], *index);
                assert!(!*signed, "a delta after the signature");
                let delta = &event["delta"];
                let (field, kind) = match delta["type"].as_str() {
                    Some("text_delta") => ("text", "text"),
                    Some("thinking_delta") => ("thinking", "thinking"),
                    Some("input_json_delta") => ("partial_json", "tool_use"),
                    Some("signature_delta") => ("signature", "thinking"),
                    other => panic!("unexpected delta {other:?}"),
                };
                assert_eq!(block["type"], kind, "{event}");
                let piece = delta[field].as_str().expect("delta text");
                if field == "signature" {
                    *signed = true;
                } else {
                    text.push_str(piece);
                }
            }
            Some("content_block_stop") => {
                let (index, block, text, signed) = open.take().expect("stop without a block");
                assert_eq!(event["index"], index);
                match block["type"].as_str() {
                    Some("text") => assert!(!text.is_empty(), "empty text block"),
                    Some("thinking") => assert!(signed, "thinking closed without a signature"),
                    Some("tool_use") if !text.is_empty() => {
                        let input: Value = serde_json::from_str(&text).expect("input is JSON");
                        assert!(input.is_object(), "tool input is an object: {text}");
                    }
                    _ => {}
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(failed || open.is_none(), "a block was left open");
}

/// The content blocks the events build (text, thinking and signature joined; tool inputs
/// parsed), as an SDK's accumulator would.
pub fn blocks(events: &[Value]) -> Vec<Value> {
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
                let (field, piece) = match delta["type"].as_str() {
                    Some("text_delta") => ("text", &delta["text"]),
                    Some("thinking_delta") => ("thinking", &delta["thinking"]),
                    Some("signature_delta") => ("signature", &delta["signature"]),
                    _ => {
                        json_text[i].push_str(delta["partial_json"].as_str().unwrap_or_default());
                        continue;
                    }
                };
                let joined = format!(
                    "{}{}",
                    blocks[i][field].as_str().unwrap_or_default(),
                    piece.as_str().unwrap_or_default()
                );
                blocks[i][field] = json!(joined);
            }
            _ => {}
        }
    }
    for (block, text) in blocks.iter_mut().zip(json_text) {
        if block["type"] == "tool_use" && !text.is_empty() {
            block["input"] = serde_json::from_str(&text).expect("input is JSON");
        }
    }
    blocks
}

/// The stop reason in the stream's `message_delta`.
pub fn stop_reason(events: &[Value]) -> Value {
    events[events.len() - 2]["delta"]["stop_reason"].clone()
}
