//! The scanner on each format, and its invariance under every split of the text.

use serde_json::{json, Value};

use super::*;

fn offered(formats: Formats) -> TextCalls {
    let tools = [
        (
            "Bash",
            json!({"type": "object", "properties": {
            "command": {"type": "string"}, "timeout": {"type": "number"}}}),
        ),
        (
            "Write",
            json!({"type": "object", "properties": {
            "file_path": {"type": "string"}, "content": {"type": "string"}}}),
        ),
    ]
    .into_iter()
    .map(|(name, parameters)| openai::Tool {
        kind: "function",
        function: openai::FunctionDef {
            name: name.into(),
            description: None,
            parameters: (&parameters).into(),
        },
    })
    .collect::<Vec<_>>();
    TextCalls::offered(formats, &tools)
}

fn all() -> TextCalls {
    offered(
        Formats::HERMES
            .with(Formats::GLM)
            .with(Formats::QWEN_XML)
            .with(Formats::DSML)
            .with(Formats::KIMI),
    )
}

/// The pieces of `chunks`, with neighbouring text (and thinking) merged.
fn scan(calls: &TextCalls, chunks: &[&str]) -> Vec<Piece> {
    let mut scanner = Scanner::new(calls.clone());
    let mut pieces = Vec::new();
    for chunk in chunks {
        pieces.extend(scanner.push(chunk));
    }
    pieces.extend(scanner.finish());
    merged(pieces)
}

fn merged(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for piece in pieces {
        match (out.last_mut(), piece) {
            (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
            (Some(Piece::Thinking(a)), Piece::Thinking(b)) => a.push_str(&b),
            (_, piece) => out.push(piece),
        }
    }
    out
}

fn text(t: &str) -> Piece {
    Piece::Text(t.into())
}

fn call(name: &str, input: Value) -> Piece {
    let Value::Object(input) = input else {
        panic!("input is an object")
    };
    Piece::Call(TextCall {
        name: name.into(),
        input,
    })
}

/// `expected` for the whole text, for the text cut in two at every character boundary, and
/// one character at a time; texts up to 150 bytes also cut in three at every pair.
fn check_every_split(calls: &TextCalls, whole: &str, expected: &[Piece]) {
    assert_eq!(scan(calls, &[whole]), expected, "whole text");
    let singles: Vec<&str> = whole
        .char_indices()
        .map(|(i, c)| &whole[i..i + c.len_utf8()])
        .collect();
    assert_eq!(scan(calls, &singles), expected, "one character at a time");
    let cuts: Vec<usize> = (0..=whole.len())
        .filter(|&i| whole.is_char_boundary(i))
        .collect();
    for (n, &i) in cuts.iter().enumerate() {
        assert_eq!(
            scan(calls, &[&whole[..i], &whole[i..]]),
            expected,
            "split at {i}"
        );
        if whole.len() > 150 {
            continue;
        }
        for &j in &cuts[n..] {
            let chunks = [&whole[..i], &whole[i..j], &whole[j..]];
            assert_eq!(scan(calls, &chunks), expected, "split at {i} and {j}");
        }
    }
}

#[test]
fn hermes_calls_become_calls_with_the_text_around_kept() {
    let whole = "Let me look.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls -la\"}}\n</tool_call>\nDone.";
    check_every_split(
        &offered(Formats::HERMES),
        whole,
        &[
            text("Let me look.\n"),
            call("Bash", json!({"command": "ls -la"})),
            text("\nDone."),
        ],
    );
}

#[test]
fn hermes_single_quotes_and_string_arguments_are_read() {
    let whole = "<tool_call>{'arguments': {'command': 'pwd'}, 'name': 'Bash'}</tool_call><tool_call>{\"name\": \"Bash\", \"parameters\": \"{\\\"command\\\": \\\"id\\\"}\"}</tool_call>";
    assert_eq!(
        scan(&offered(Formats::HERMES), &[whole]),
        [
            call("Bash", json!({"command": "pwd"})),
            call("Bash", json!({"command": "id"}))
        ]
    );
}

#[test]
fn glm_calls_take_string_parameters_as_written() {
    let whole = "Checking<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>echo 42</arg_value>\n<arg_key>timeout</arg_key>\n<arg_value>30</arg_value>\n</tool_call>";
    check_every_split(
        &offered(Formats::GLM),
        whole,
        &[
            text("Checking"),
            call("Bash", json!({"command": "echo 42", "timeout": 30})),
        ],
    );
    let write = "<tool_call>Write<arg_key>file_path</arg_key><arg_value>a.json</arg_value><arg_key>content</arg_key><arg_value>{\"a\": 1}</arg_value></tool_call>";
    assert_eq!(
        scan(&offered(Formats::GLM), &[write]),
        [call(
            "Write",
            json!({"file_path": "a.json", "content": "{\"a\": 1}"})
        )]
    );
}

#[test]
fn qwen_coder_xml_calls_are_read() {
    let whole = "<tool_call>\n<function=Bash>\n<parameter=command>\nls\n  -la\n</parameter>\n<parameter=timeout>\n5\n</parameter>\n</function>\n</tool_call>";
    check_every_split(
        &offered(Formats::QWEN_XML),
        whole,
        &[call("Bash", json!({"command": "ls\n  -la", "timeout": 5}))],
    );
}

#[test]
fn dsml_blocks_carry_one_or_more_calls() {
    let whole = "On it.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"Bash\">\n<｜DSML｜parameter name=\"command\" string=\"true\">echo ok</｜DSML｜parameter>\n<｜DSML｜parameter name=\"timeout\" string=\"false\">10</｜DSML｜parameter>\n</｜DSML｜invoke>\n<｜DSML｜invoke name=\"Bash\">\n<｜DSML｜parameter name=\"command\" string=\"true\">true</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>";
    check_every_split(
        &offered(Formats::DSML),
        whole,
        &[
            text("On it.\n\n"),
            call("Bash", json!({"command": "echo ok", "timeout": 10})),
            call("Bash", json!({"command": "true"})),
        ],
    );
    let v4 = "<｜DSML｜tool_calls><｜DSML｜invoke name=\"Bash\"><｜DSML｜parameter name=\"command\" string=\"true\">ls</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜tool_calls>";
    assert_eq!(
        scan(&offered(Formats::DSML), &[v4]),
        [call("Bash", json!({"command": "ls"}))]
    );
}

#[test]
fn kimi_sections_carry_one_or_more_calls() {
    let whole = "<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{\"command\": \"ls\"}<|tool_call_end|><|tool_call_begin|>functions.Bash:1<|tool_call_argument_begin|>{\"command\": \"pwd\"}<|tool_call_end|><|tool_calls_section_end|>";
    check_every_split(
        &offered(Formats::KIMI),
        whole,
        &[
            call("Bash", json!({"command": "ls"})),
            call("Bash", json!({"command": "pwd"})),
        ],
    );
}

#[test]
fn think_at_the_start_becomes_thinking() {
    let whole = "\n<think>\nThe user wants a listing.\n</think>\n\nSure.<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call>";
    check_every_split(
        &all(),
        whole,
        &[
            Piece::Thinking("\nThe user wants a listing.\n".into()),
            text("Sure."),
            call("Bash", json!({"command": "ls"})),
        ],
    );
}

#[test]
fn think_elsewhere_or_unclosed_is_handled() {
    let none = TextCalls::default();
    assert_eq!(
        scan(&none, &["Answer: <think>x</think>"]),
        [text("Answer: <think>x</think>")]
    );
    assert_eq!(
        scan(&none, &["<think>cut short"]),
        [Piece::Thinking("cut short".into())]
    );
    assert_eq!(scan(&none, &["<thi"]), [text("<thi")]);
    assert_eq!(scan(&none, &["  "]), [text("  ")]);
}

#[test]
fn calls_inside_a_code_fence_stay_text() {
    let whole = "Example:\n```xml\n<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>\n```\nand ~~~\n<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>";
    check_every_split(
        &all(),
        whole,
        &[
            text("Example:\n```xml\n<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>\n```\nand ~~~\n"),
            call("Bash", json!({})),
        ],
    );
}

#[test]
fn unknown_tools_unreadable_blocks_and_disabled_formats_stay_text() {
    for (calls, whole) in [
        (
            offered(Formats::HERMES),
            "<tool_call>{\"name\": \"Rm\", \"arguments\": {}}</tool_call>",
        ),
        (offered(Formats::HERMES), "<tool_call>not json</tool_call>"),
        (
            offered(Formats::HERMES),
            "<tool_call>Bash<arg_key>command</arg_key><arg_value>ls</arg_value></tool_call>",
        ),
        (
            offered(Formats::GLM),
            "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>",
        ),
        (
            offered(Formats::HERMES),
            "<｜DSML｜function_calls><｜DSML｜invoke name=\"Bash\"></｜DSML｜invoke></｜DSML｜function_calls>",
        ),
        (
            TextCalls::offered(Formats::HERMES, &[]),
            "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>",
        ),
        (offered(Formats::HERMES), "a < b and <tool_c"),
    ] {
        assert_eq!(scan(&calls, &[whole]), [text(whole)], "{whole}");
    }
}

#[test]
fn an_unclosed_block_is_read_at_the_end_when_complete() {
    assert_eq!(
        scan(
            &offered(Formats::HERMES),
            &["<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}"]
        ),
        [call("Bash", json!({"command": "ls"}))]
    );
}

#[test]
fn partial_suffix_finds_the_held_marker_start() {
    assert_eq!(partial_suffix("abc</th", THINK_CLOSE), 4);
    assert_eq!(partial_suffix("abc", THINK_CLOSE), 0);
    assert_eq!(partial_suffix("<", THINK_CLOSE), 1);
}
