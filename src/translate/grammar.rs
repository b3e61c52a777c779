//! A test helper: checks a translated stream against Anthropic's event grammar. Shared by
//! the stream state machines' tests.

use serde_json::{json, Value};

/// Anthropic's event order (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
/// message_start first; blocks 0,1,2… started in order, one open at a time,
/// each stopped; thinking starts with signature "" and gets its signature_delta right
/// before its stop; tool_use starts with input {} and its partial_json concatenates to an
/// object; text blocks are never empty; message_delta then message_stop last.
pub fn check_grammar(events: &[Value]) {
    assert_eq!(events[0]["type"], "message_start");
    assert_eq!(events[0]["message"]["content"], json!([]));
    assert!(events[0]["message"]["usage"]["input_tokens"].is_u64());
    assert!(events[0]["message"]["usage"]["output_tokens"].is_u64());
    let n = events.len();
    assert_eq!(events[n - 1]["type"], "message_stop");
    assert_eq!(events[n - 2]["type"], "message_delta");
    assert!(events[n - 2]["usage"]["output_tokens"].is_u64());
    let mut next = 0;
    let mut open: Option<(u64, Value, String)> = None;
    for (position, event) in events[1..n - 2].iter().enumerate() {
        match event["type"].as_str() {
            Some("content_block_start") => {
                assert!(
                    open.is_none(),
                    "block opened while another is open: {event}"
                );
                assert_eq!(event["index"], next);
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
                    _ => {}
                }
                open = Some((next, block, String::new()));
                next += 1;
            }
            Some("content_block_delta") => {
                let (index, block, text) = open.as_mut().expect("delta outside a block");
                assert_eq!(event["index"], *index);
                let delta = &event["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => text.push_str(delta["text"].as_str().expect("text")),
                    Some("thinking_delta") => {
                        text.push_str(delta["thinking"].as_str().expect("thinking"))
                    }
                    Some("input_json_delta") => {
                        text.push_str(delta["partial_json"].as_str().expect("json"))
                    }
                    Some("signature_delta") => {
                        assert_eq!(block["type"], "thinking");
                        assert_eq!(
                            events[position + 2]["type"],
                            "content_block_stop",
                            "signature right before stop"
                        );
                    }
                    other => panic!("unexpected delta {other:?}"),
                }
            }
            Some("content_block_stop") => {
                let (index, block, text) = open.take().expect("stop without a block");
                assert_eq!(event["index"], index);
                match block["type"].as_str() {
                    Some("text") => assert!(!text.is_empty(), "empty text block"),
                    Some("tool_use") if !text.is_empty() => {
                        let input: Value = serde_json::from_str(&text).expect("tool input is JSON");
                        assert!(input.is_object(), "tool input is an object: {text}");
                    }
                    _ => {}
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(open.is_none(), "a block was left open");
}
