use serde_json::{json, Value};

use super::*;

fn request(value: Value) -> MessagesRequest {
    serde_json::from_value(value).expect("valid request")
}

fn bpe(text: &str) -> u64 {
    tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len() as u64
}

fn user(text: &str) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": text}]})
}

#[test]
fn counts_text_with_the_tokenizer() {
    let text = "The quick brown fox jumps over the lazy dog.";
    assert_eq!(count(&request(user(text))), bpe(text) + PER_MESSAGE);
}

#[test]
fn counts_system_tools_tool_calls_and_results() {
    let schema = json!({"type": "object", "properties": {"command": {"type": "string"}}});
    let input = json!({"command": "ls -la"});
    let counted = count(&request(json!({
        "model": "m",
        "system": [{"type": "text", "text": "You are terse."}],
        "tools": [{"name": "Bash", "description": "Run a command", "input_schema": schema}],
        "messages": [
            {"role": "user", "content": "list files"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "Bash", "input": input}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "a.txt\nb.txt"}]}
        ]
    })));
    let expected = bpe("You are terse.")
        + bpe("list files")
        + bpe("Bash")
        + bpe(&input.to_string())
        + bpe("a.txt\nb.txt")
        + 3 * PER_MESSAGE
        + TOOL_PROMPT_AUTO
        + bpe("Bash")
        + bpe("Run a command")
        + bpe(&schema.to_string());
    assert_eq!(counted, expected);
}

#[test]
fn grows_linearly_with_the_conversation() {
    let turn = |n: usize| {
        let messages: Vec<Value> = (0..n)
            .map(|_| json!({"role": "user", "content": "Refactor the parser module, please."}))
            .collect();
        count(&request(json!({"model": "m", "messages": messages})))
    };
    let one = turn(1);
    assert_eq!(turn(10), 10 * one);
    assert_eq!(turn(100), 100 * one);
}

#[test]
fn thinking_counts_only_in_the_current_turn() {
    let thinking = |text: &str| json!({"type": "thinking", "thinking": text, "signature": "s"});
    let earlier = count(&request(json!({"model": "m", "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [thinking("a long chain of thought")]},
        {"role": "user", "content": "next"}
    ]})));
    assert_eq!(earlier, bpe("q") + bpe("next") + 3 * PER_MESSAGE);
    let current = count(&request(json!({"model": "m", "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [thinking("a long chain of thought")]}
    ]})));
    assert_eq!(
        current,
        bpe("q") + bpe("a long chain of thought") + 2 * PER_MESSAGE
    );
}

#[test]
fn images_cost_their_documented_estimate_even_inside_tool_results() {
    let unreadable = json!({"type": "image", "source": {"type": "base64",
        "media_type": "image/png", "data": "AAAA"}});
    let counted = count(&request(
        json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": [unreadable]}]}]}),
    ));
    assert_eq!(counted, image::FALLBACK_TOKENS + PER_MESSAGE);
}

#[test]
fn forced_tool_choice_adds_the_smaller_tool_prompt() {
    let with = |choice: Value| {
        count(&request(json!({"model": "m", "tool_choice": choice,
            "tools": [{"name": "T", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "x"}]})))
    };
    let auto = with(json!({"type": "auto"}));
    let forced = with(json!({"type": "any"}));
    assert_eq!(auto - forced, TOOL_PROMPT_AUTO - TOOL_PROMPT_FORCED);
}

#[test]
fn small_requests_are_decided_by_the_byte_bound() {
    let (above, size) = measure(&request(user("hello")), 60_000, None).expect("decided");
    assert!(!above);
    assert_eq!(size.basis, Basis::AtMost);
}

#[test]
fn huge_requests_are_decided_without_tokenising() {
    let text = "word ".repeat(200_000);
    let (above, size) = measure(&request(user(&text)), 60_000, None).expect("decided");
    assert!(above);
    assert_eq!(size.basis, Basis::AtLeast);
}

#[test]
fn requests_near_the_threshold_need_the_exact_count() {
    let text = "word ".repeat(20_000);
    let exact = count(&request(user(&text)));
    for threshold in [exact - 1, exact] {
        assert_eq!(measure(&request(user(&text)), threshold, None), None);
        let (above, size) =
            measure(&request(user(&text)), threshold, Some(exact)).expect("decided");
        assert_eq!(
            size,
            Size {
                tokens: exact,
                basis: Basis::Exact
            }
        );
        assert_eq!(above, exact > threshold);
    }
}

#[test]
fn the_byte_bound_is_above_the_exact_count() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer", "maximum": 10}}});
    let req = request(json!({"model": "m", "system": "sys",
        "tools": [{"name": "T", "description": "d", "input_schema": schema}],
        "messages": [{"role": "user", "content": "héllo wörld ✓ 12345"}]}));
    let mut bound = ByteBound::default();
    walk(&req, &mut bound);
    assert!(bound.text_bytes + bound.fixed >= count(&req));
}
