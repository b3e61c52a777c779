//! Model quirks in the stream: tool calls and reasoning written into the text (split at
//! every pair of positions), OpenRouter's `reasoning_details`, several calls in one chunk,
//! resent argument snapshots, and `disable_parallel_tool_use`. Every stream also passes
//! the grammar check of [`super::tests::run_with`].

use serde_json::{json, Value};

use super::tests::{blocks, content, done, finish, run_with, tool};
use super::*;
use crate::translate::text_calls::{Formats, TextCalls};

fn bash_tool() -> openai::Tool {
    openai::Tool {
        kind: "function",
        function: openai::FunctionDef {
            name: "Bash".into(),
            description: None,
            parameters: (&json!({"type": "object", "properties": {"command": {"type": "string"}}}))
                .into(),
        },
    }
}

/// A context whose request offered `Bash`, reading the given text formats.
fn offering(formats: Formats) -> Context {
    Context {
        text_calls: TextCalls::offered(formats, &[bash_tool()]),
        model: "target".into(),
        ..Context::default()
    }
}

fn stop_reason_of(events: &[Value]) -> Value {
    events[events.len() - 2]["delta"]["stop_reason"].clone()
}

/// The content `whole` cut into two deltas at every character boundary, and cut into one
/// delta per character, then `finish_reason: "stop"`: each run gives `expected` blocks and
/// `stop`. (The scanner's own tests cut into three at every pair of positions.)
fn check_every_split(context: &Context, whole: &str, expected: &Value, stop: &str) {
    let mut splits: Vec<Vec<&str>> = (0..=whole.len())
        .filter(|&i| whole.is_char_boundary(i))
        .map(|i| vec![&whole[..i], &whole[i..]])
        .collect();
    splits.push(
        whole
            .char_indices()
            .map(|(i, c)| &whole[i..i + c.len_utf8()])
            .collect(),
    );
    for chunks in splits {
        let mut payloads: Vec<Value> = chunks.iter().map(|c| content(c)).collect();
        payloads.extend([finish("stop"), done()]);
        let events = run_with(context.clone(), &payloads).expect("translates");
        let mut got = blocks(&events);
        for block in &mut got {
            if block["type"] == "tool_use" {
                assert!(block["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("toolu_")));
                block["id"] = json!("id");
            }
        }
        assert_eq!(&Value::Array(got), expected, "split {chunks:?}");
        assert_eq!(stop_reason_of(&events), stop, "split {chunks:?}");
    }
}

#[test]
fn a_tool_call_written_as_text_streams_as_tool_use_at_every_split() {
    let whole = "Listing.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>";
    check_every_split(
        &offering(Formats::HERMES),
        whole,
        &json!([
            {"type": "text", "text": "Listing.\n"},
            {"type": "tool_use", "id": "id", "name": "Bash", "input": {"command": "ls"}}
        ]),
        "tool_use",
    );
}

#[test]
fn a_dsml_call_streams_as_tool_use_at_every_split() {
    let whole = "<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"Bash\">\n<｜DSML｜parameter name=\"command\" string=\"true\">pwd</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>";
    check_every_split(
        &offering(Formats::DSML),
        whole,
        &json!([{"type": "tool_use", "id": "id", "name": "Bash", "input": {"command": "pwd"}}]),
        "tool_use",
    );
}

#[test]
fn think_tags_stream_as_a_thinking_block_at_every_split() {
    let whole = "<think>Plan: say hi.</think>\n\nHi there.";
    check_every_split(
        &Context::default(),
        whole,
        &json!([
            {"type": "thinking", "thinking": "Plan: say hi.", "signature": THINKING_SIGNATURE},
            {"type": "text", "text": "Hi there."}
        ]),
        "end_turn",
    );
}

#[test]
fn without_offered_tools_or_inside_a_fence_the_text_stays_text() {
    let whole = "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>";
    check_every_split(
        &Context::default(),
        whole,
        &json!([{"type": "text", "text": whole}]),
        "end_turn",
    );
    let fenced = format!("```\n{whole}\n```");
    check_every_split(
        &offering(Formats::HERMES),
        &fenced,
        &json!([{"type": "text", "text": fenced}]),
        "end_turn",
    );
}

#[test]
fn openrouter_reasoning_details_stream_as_thinking_once() {
    let detail = |text: &str| {
        json!({"choices": [{"index": 0, "delta": {"reasoning_details": [
            {"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}]}}]})
    };
    let both = json!({"choices": [{"index": 0, "delta": {"reasoning": "c.",
        "reasoning_details": [{"type": "reasoning.text", "text": "c.", "index": 0},
                              {"type": "reasoning.encrypted", "data": "opaque", "index": 1}]}}]});
    let events = run_with(
        Context::default(),
        &[
            detail("a "),
            detail("b "),
            both,
            content("Done."),
            finish("stop"),
            done(),
        ],
    )
    .expect("translates");
    assert_eq!(
        blocks(&events),
        [
            json!({"type": "thinking", "thinking": "a b c.", "signature": THINKING_SIGNATURE}),
            json!({"type": "text", "text": "Done."})
        ]
    );
}

#[test]
fn several_calls_in_one_chunk_become_consecutive_blocks() {
    let chunk = json!({"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "a", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\": \"ls\"}"}},
        {"index": 1, "id": "b", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\": \"pwd\"}"}}
    ]}}]});
    let events =
        run_with(Context::default(), &[chunk, finish("tool_calls"), done()]).expect("translates");
    let inputs: Vec<Value> = blocks(&events).iter().map(|b| b["input"].clone()).collect();
    assert_eq!(
        inputs,
        [json!({"command": "ls"}), json!({"command": "pwd"})]
    );
}

const ARGUMENTS: &str = r#"{"command": "grep -n 'x' src/*.rs", "timeout": 30}"#;

#[test]
fn resent_argument_snapshots_give_the_arguments_once_at_every_cut() {
    for cut in (0..=ARGUMENTS.len()).filter(|&c| ARGUMENTS.is_char_boundary(c)) {
        // Snapshots: each fragment is everything so far.
        let payloads = [
            tool(0, Some("a"), Some("Bash"), &ARGUMENTS[..cut]),
            tool(0, None, None, ARGUMENTS),
            tool(0, None, None, ARGUMENTS),
            finish("tool_calls"),
            done(),
        ];
        let events = run_with(Context::default(), &payloads).expect("translates");
        let expected: Value = serde_json::from_str(ARGUMENTS).expect("json");
        assert_eq!(
            blocks(&events)[0]["input"],
            expected,
            "snapshot cut at {cut}"
        );
        // Deltas, then the whole arguments once more at the end.
        let payloads = [
            tool(0, Some("a"), Some("Bash"), &ARGUMENTS[..cut]),
            tool(0, None, None, &ARGUMENTS[cut..]),
            tool(0, None, None, ARGUMENTS),
            finish("tool_calls"),
            done(),
        ];
        let events = run_with(Context::default(), &payloads).expect("translates");
        assert_eq!(blocks(&events)[0]["input"], expected, "delta cut at {cut}");
    }
}

#[test]
fn one_call_only_when_parallel_calls_were_disabled() {
    let single = Context {
        single_tool_call: true,
        ..offering(Formats::HERMES)
    };
    let interleaved = [
        tool(0, Some("a"), Some("Bash"), "{\"command\":"),
        tool(1, Some("b"), Some("Bash"), "{\"command\": \"pwd\"}"),
        tool(0, None, None, " \"ls\"}"),
        content("<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>"),
        finish("tool_calls"),
        done(),
    ];
    let events = run_with(single.clone(), &interleaved).expect("translates");
    assert_eq!(
        blocks(&events),
        [json!({"type": "tool_use", "id": "a", "name": "Bash", "input": {"command": "ls"}})]
    );
    assert_eq!(stop_reason_of(&events), "tool_use");
    let text = "<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call><tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"rm\"}}</tool_call>";
    let events = run_with(
        single,
        &[
            content(text),
            tool(0, Some("c"), Some("Bash"), "{}"),
            finish("stop"),
            done(),
        ],
    )
    .expect("translates");
    let got = blocks(&events);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["input"], json!({"command": "ls"}));
}
