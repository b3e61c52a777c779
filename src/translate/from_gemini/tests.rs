use serde_json::json;

use super::*;

fn read(body: serde_json::Value) -> Result<anthropic::MessageResponse, TranslateError> {
    response(
        serde_json::from_value(body).expect("a Gemini response"),
        "gemini-x",
    )
}

#[test]
fn a_signature_survives_the_trip_through_a_tool_id() {
    for signature in ["CiQB+/9a", "CiQB+/9a0w==", "abc+def/ghi=", "x"] {
        let id = tool_use_id(Some(signature));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{id}"
        );
        let back = signature_of(&id).expect("carried");
        assert_eq!(back.trim_end_matches('='), signature.trim_end_matches('='));
        assert_eq!(back.len() % 4, 0);
    }
    assert_eq!(signature_of(&tool_use_id(None)), None);
    assert_eq!(signature_of("toolu_01A09q90qw90lq917835lq9"), None);
    assert_eq!(signature_of("call_abc_gts_xyz"), None);
}

#[test]
fn thinking_signatures_are_tagged_for_the_pass_through() {
    let signature = thinking_signature(Some("c2ln"));
    assert!(signature.starts_with(PROXY_SIGNATURE_PREFIX));
    assert_eq!(thinking_signature_of(&signature).as_deref(), Some("c2ln"));
    assert_eq!(thinking_signature(None), THINKING_SIGNATURE);
    assert_eq!(thinking_signature_of(THINKING_SIGNATURE), None);
}

#[test]
fn finish_reasons_map_to_stop_reasons() {
    let text = |finish: &str| json!({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": finish}]});
    let stop = |finish: &str| read(text(finish)).map(|m| m.stop_reason);
    assert_eq!(stop("STOP"), Ok(StopReason::EndTurn));
    assert_eq!(stop("MAX_TOKENS"), Ok(StopReason::MaxTokens));
    assert_eq!(stop("SAFETY"), Ok(StopReason::Refusal));
    assert_eq!(stop("OTHER"), Ok(StopReason::EndTurn));
    assert!(matches!(
        stop("MALFORMED_FUNCTION_CALL"),
        Err(TranslateError::Upstream { .. })
    ));
    let blocked = read(json!({"promptFeedback": {"blockReason": "SAFETY"}})).expect("read");
    assert_eq!(blocked.stop_reason, StopReason::Refusal);
    assert!(blocked.content.is_empty());
}

#[test]
fn text_parts_merge_and_arguments_are_objects() {
    let message = read(json!({"candidates": [{"content": {"parts": [
        {"text": "a"}, {"text": "b"}, {"text": ""},
        {"functionCall": {"name": "f"}},
        {"functionCall": {"name": "g", "args": [1]}}]}, "finishReason": "STOP"}]}))
    .expect("read");
    assert_eq!(
        message.content[0],
        ResponseBlock::Text { text: "ab".into() }
    );
    let ResponseBlock::ToolUse { input, .. } = &message.content[1] else {
        panic!("a tool_use");
    };
    assert_eq!(input, &json!({}));
    let ResponseBlock::ToolUse { input, .. } = &message.content[2] else {
        panic!("a tool_use");
    };
    assert_eq!(input, &json!({"value": [1]}));
    assert_eq!(message.stop_reason, StopReason::ToolUse);
    assert_eq!(message.model, "gemini-x");
}

#[test]
fn an_error_inside_a_200_is_an_upstream_failure_with_its_status() {
    let error =
        read(json!({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}));
    assert_eq!(
        error,
        Err(TranslateError::Upstream {
            message: "overloaded".into(),
            status: Some(503)
        })
    );
}
