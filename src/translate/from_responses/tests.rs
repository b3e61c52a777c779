//! Non-streamed Responses answers, and the reasoning signature.

use serde_json::{json, Value};

use super::*;
use crate::translate::names::ToolNames;

fn context() -> Context {
    let mut names = ToolNames::default();
    names.register(&format!("mcp__{}", "x".repeat(70)));
    Context {
        names,
        model: "target".into(),
        cut_to: None,
    }
}

fn translate(body: Value) -> Result<Value, TranslateError> {
    let parsed: responses::Response = serde_json::from_value(body).expect("a response");
    response(parsed, &context()).map(|m| serde_json::to_value(m).expect("serialises"))
}

fn answer(output: Value, status: &str) -> Value {
    json!({
        "id": "resp_1", "object": "response", "model": "gpt-5.3-codex", "status": status,
        "output": output,
        "usage": {"input_tokens": 120, "input_tokens_details": {"cached_tokens": 100},
                  "output_tokens": 40, "output_tokens_details": {"reasoning_tokens": 30},
                  "total_tokens": 160}
    })
}

#[test]
fn output_items_become_blocks_in_order() {
    let out = translate(answer(
        json!([
            {"type": "reasoning", "id": "rs_1", "summary": [
                {"type": "summary_text", "text": "First."},
                {"type": "summary_text", "text": "Second."}
            ], "encrypted_content": "gAAAAB-enc=="},
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "Listing.", "annotations": []}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_abc", "name": "Bash",
             "arguments": "{\"command\":\"ls\"}", "status": "completed"},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"}
        ]),
        "completed",
    ))
    .expect("translates");
    assert_eq!(
        out["content"],
        json!([
            {"type": "thinking", "thinking": "First.\n\nSecond.",
             "signature": "ccproxy:responses:rs_1:gAAAAB-enc=="},
            {"type": "text", "text": "Listing."},
            {"type": "tool_use", "id": "call_abc", "name": "Bash", "input": {"command": "ls"}}
        ])
    );
    assert_eq!(out["stop_reason"], "tool_use");
    assert_eq!(out["model"], "gpt-5.3-codex");
    assert_eq!(
        out["usage"],
        json!({"input_tokens": 20, "output_tokens": 40, "cache_read_input_tokens": 100})
    );
}

#[test]
fn reasoning_without_summary_or_encrypted_content_adds_nothing() {
    let out = translate(answer(
        json!([
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}
        ]),
        "completed",
    ))
    .expect("translates");
    assert_eq!(out["content"], json!([{"type": "text", "text": "Hi"}]));
    assert_eq!(out["stop_reason"], "end_turn");
    let carried = translate(answer(
        json!([{"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "e"}]),
        "completed",
    ))
    .expect("translates");
    assert_eq!(
        carried["content"],
        json!([{"type": "thinking", "thinking": "", "signature": "ccproxy:responses:rs_2:e"}])
    );
}

#[test]
fn incomplete_and_refused_answers_have_their_stop_reasons() {
    let text = json!([{"type": "message", "content": [{"type": "output_text", "text": "cut"}]}]);
    let mut cut = answer(text.clone(), "incomplete");
    cut["incomplete_details"] = json!({"reason": "max_output_tokens"});
    assert_eq!(translate(cut).expect("ok")["stop_reason"], "max_tokens");
    let mut filtered = answer(text, "incomplete");
    filtered["incomplete_details"] = json!({"reason": "content_filter"});
    assert_eq!(translate(filtered).expect("ok")["stop_reason"], "refusal");
    let refused = translate(answer(
        json!([{"type": "message", "content": [{"type": "refusal", "refusal": "I can't help."}]}]),
        "completed",
    ))
    .expect("ok");
    assert_eq!(refused["stop_reason"], "refusal");
    assert_eq!(
        refused["content"],
        json!([{"type": "text", "text": "I can't help."}])
    );
}

#[test]
fn shortened_names_map_back_and_bad_arguments_are_repaired() {
    let long = format!("mcp__{}", "x".repeat(70));
    let upstream = crate::translate::names::upstream_name(&long);
    let out = translate(answer(
        json!([{"type": "function_call", "call_id": "call:1", "name": upstream,
                "arguments": "{'path': 'a',}"}]),
        "completed",
    ))
    .expect("translates");
    assert_eq!(out["content"][0]["name"], long);
    assert_eq!(out["content"][0]["id"], "call_1");
    assert_eq!(out["content"][0]["input"], json!({"path": "a"}));
}

#[test]
fn a_failed_response_is_an_upstream_error_with_its_status() {
    let mut failed = answer(json!([]), "failed");
    failed["error"] = json!({"code": "rate_limit_exceeded", "message": "Slow down"});
    assert_eq!(
        translate(failed),
        Err(TranslateError::Upstream {
            message: "Slow down".into(),
            status: Some(429)
        })
    );
    let mut unknown = answer(json!([]), "failed");
    unknown["error"] = json!({"code": "something_new"});
    assert_eq!(
        translate(unknown),
        Err(TranslateError::Upstream {
            message: "the response failed (something_new)".into(),
            status: None
        })
    );
}

#[test]
fn only_our_signatures_are_read_back() {
    let signature = reasoning_signature("rs_9", Some("abc:def=="));
    assert_eq!(
        reasoning_of(&signature),
        Some(("rs_9".to_string(), "abc:def==".to_string()))
    );
    assert_eq!(reasoning_signature("rs_9", None), THINKING_SIGNATURE);
    assert_eq!(reasoning_signature("", Some("e")), THINKING_SIGNATURE);
    for foreign in [
        THINKING_SIGNATURE,
        "ccproxy:gemini:c2ln",
        "EqQBCkYIBxgCKkA-anthropic",
        "ccproxy:responses:",
        "ccproxy:responses:rs_1:",
        "",
    ] {
        assert_eq!(reasoning_of(foreign), None, "{foreign}");
    }
}
