//! Model quirks on OpenAI-compatible routes, through the real server: tool calls and
//! reasoning written into the text, OpenRouter's `reasoning_details`, Groq's
//! `reasoning_format`, several calls in one chunk, resent argument snapshots, and one call
//! only when the client disabled parallel calls. Each quirk streamed (the upstream's bytes
//! split at every position: one byte per write, and for the text tool call also cut in two
//! at each position; every stream grammar-checked) and not streamed.

use crate::common;

use std::time::Duration;

use common::anthropic_sse::{blocks, check_grammar, events, stop_reason};
use common::{client, config_from_env, env_config, MockUpstream, Proxy, Reply, PROVIDER_KEY};
use serde_json::{json, Value};

/// A request that offers `Bash`.
fn request(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 256, "stream": stream,
           "messages": [{"role": "user", "content": "List the files."}],
           "tools": [{"name": "Bash", "description": "Run a command",
                      "input_schema": {"type": "object", "properties": {
                          "command": {"type": "string"}, "timeout": {"type": "number"}},
                          "required": ["command"]}}]})
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn text(content: &str) -> Value {
    chunk(json!({"content": content}), None)
}

fn tool(index: usize, id: Option<&str>, arguments: &str) -> Value {
    let mut call = json!({"index": index, "function": {"arguments": arguments}});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
        call["function"]["name"] = json!("Bash");
    }
    chunk(json!({"tool_calls": [call]}), None)
}

/// The SSE body of an OpenAI stream: each chunk a `data:` event, usage, then `[DONE]`.
fn sse(chunks: &[Value]) -> Vec<u8> {
    let usage =
        json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 7}});
    let mut body = String::new();
    for chunk in chunks.iter().chain([&usage]) {
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    body.into_bytes()
}

fn completion(message: Value, finish: &str) -> Reply {
    Reply::json(
        json!({"id": "c", "object": "chat.completion", "model": "mock-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 7}}),
    )
}

async fn post(client: &reqwest::Client, proxy: &Proxy, body: &Value) -> reqwest::Response {
    client
        .post(proxy.url("/v1/messages"))
        .json(body)
        .send()
        .await
        .expect("POST")
}

async fn message(proxy: &Proxy, body: &Value) -> Value {
    let response = post(&client(), proxy, body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON message")
}

/// Tool ids are fresh for calls read from text: replaced by "id" for comparing.
fn without_ids(mut blocks: Vec<Value>) -> Vec<Value> {
    for block in &mut blocks {
        if block["type"] == "tool_use" {
            let id = block["id"].as_str().expect("id");
            assert!(!id.is_empty());
            block["id"] = json!("id");
        }
    }
    blocks
}

/// How the upstream's bytes are cut into writes.
#[derive(Clone, Copy)]
enum Cuts {
    /// Once per position: two writes, cut there (one request per position).
    EachPosition,
    /// One write per byte, a millisecond apart: every position at once, in one request.
    EveryByte,
}

/// Streams `body` through the proxy cut as `cuts` says; every answer passes the grammar
/// check and gives the same blocks and stop reason, which are returned.
async fn every_split(
    proxy: &Proxy,
    upstream: &MockUpstream,
    request: &Value,
    body: &[u8],
    cuts: Cuts,
) -> (Vec<Value>, Value) {
    let writes: Vec<(Vec<Vec<u8>>, Duration)> = match cuts {
        Cuts::EachPosition => (0..=body.len())
            .map(|cut| {
                (
                    vec![body[..cut].to_vec(), body[cut..].to_vec()],
                    Duration::ZERO,
                )
            })
            .collect(),
        Cuts::EveryByte => vec![(
            body.iter().map(|b| vec![*b]).collect(),
            Duration::from_millis(1),
        )],
    };
    let client = client();
    let mut first: Option<(Vec<Value>, Value)> = None;
    for (chunks, pause) in writes {
        upstream.push(Reply::Sse { chunks, pause });
        let response = post(&client, proxy, request).await;
        assert_eq!(response.status(), 200);
        let events = events(&response.bytes().await.expect("body"));
        check_grammar(&events);
        let got = (without_ids(blocks(&events)), stop_reason(&events));
        match &first {
            None => first = Some(got),
            Some(first) => assert_eq!(&got, first),
        }
    }
    first.expect("at least one run")
}

async fn mock() -> (MockUpstream, Proxy) {
    let upstream = MockUpstream::start().await;
    let proxy = Proxy::start(env_config(&upstream, &[])).await;
    (upstream, proxy)
}

const CALL: &str =
    "<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls -la\"}}\n</tool_call>";

#[tokio::test]
async fn a_tool_call_written_as_text_becomes_tool_use_streamed() {
    let (upstream, proxy) = mock().await;
    let (head, tail) = CALL.split_at(17);
    let body = sse(&[
        text("Listing.\n"),
        text(head),
        text(tail),
        chunk(json!({}), Some("stop")),
    ]);
    let (blocks, stop) =
        every_split(&proxy, &upstream, &request(true), &body, Cuts::EachPosition).await;
    assert_eq!(
        every_split(&proxy, &upstream, &request(true), &body, Cuts::EveryByte).await,
        (blocks.clone(), stop.clone())
    );
    assert_eq!(
        blocks,
        [
            json!({"type": "text", "text": "Listing.\n"}),
            json!({"type": "tool_use", "id": "id", "name": "Bash", "input": {"command": "ls -la"}})
        ]
    );
    assert_eq!(stop, "tool_use");
}

#[tokio::test]
async fn a_tool_call_written_as_text_becomes_tool_use_not_streamed() {
    let (upstream, proxy) = mock().await;
    upstream.push(completion(
        json!({"role": "assistant", "content": format!("Listing.\n{CALL}")}),
        "stop",
    ));
    let out = message(&proxy, &request(false)).await;
    assert_eq!(
        without_ids(out["content"].as_array().expect("content").clone()),
        [
            json!({"type": "text", "text": "Listing.\n"}),
            json!({"type": "tool_use", "id": "id", "name": "Bash", "input": {"command": "ls -la"}})
        ]
    );
    assert_eq!(out["stop_reason"], "tool_use");
    // Without tools in the request, and inside a fence, the same text stays text.
    let mut plain = request(false);
    plain.as_object_mut().expect("object").remove("tools");
    let fenced = format!("```\n{CALL}\n```");
    for (body, content) in [(plain, CALL.to_string()), (request(false), fenced)] {
        upstream.push(completion(json!({"content": content}), "stop"));
        let out = message(&proxy, &body).await;
        assert_eq!(out["content"], json!([{"type": "text", "text": content}]));
        assert_eq!(out["stop_reason"], "end_turn");
    }
}

#[tokio::test]
async fn think_tags_become_thinking_streamed_and_not() {
    let (upstream, proxy) = mock().await;
    let body = sse(&[
        text("<think>Just"),
        text(" greet.</th"),
        text("ink>\n\nHello!"),
        chunk(json!({}), Some("stop")),
    ]);
    let (blocks, stop) =
        every_split(&proxy, &upstream, &request(true), &body, Cuts::EveryByte).await;
    let expected = [
        json!({"type": "thinking", "thinking": "Just greet.", "signature": "ccproxy:reasoning"}),
        json!({"type": "text", "text": "Hello!"}),
    ];
    assert_eq!(blocks, expected);
    assert_eq!(stop, "end_turn");
    upstream.push(completion(
        json!({"content": "<think>Just greet.</think>\n\nHello!"}),
        "stop",
    ));
    let out = message(&proxy, &request(false)).await;
    assert_eq!(out["content"], json!(expected));
}

#[tokio::test]
async fn openrouter_reasoning_details_become_thinking_streamed_and_not() {
    let (upstream, proxy) = mock().await;
    let detail = |text: &str| {
        chunk(
            json!({"reasoning_details": [{"type": "reasoning.text", "text": text, "index": 0}]}),
            None,
        )
    };
    let body = sse(&[
        detail("Two and "),
        detail("two."),
        text("4"),
        chunk(json!({}), Some("stop")),
    ]);
    let (blocks, _) = every_split(&proxy, &upstream, &request(true), &body, Cuts::EveryByte).await;
    assert_eq!(blocks[0]["thinking"], "Two and two.");
    assert_eq!(blocks[1]["text"], "4");
    upstream.push(completion(
        json!({"content": "4", "reasoning_details": [
            {"type": "reasoning.summary", "summary": "Added.", "index": 0},
            {"type": "reasoning.encrypted", "data": "b3BhcXVl", "index": 1}]}),
        "stop",
    ));
    let out = message(&proxy, &request(false)).await;
    assert_eq!(out["content"][0]["thinking"], "Added.");
    assert_eq!(out["content"][1]["text"], "4");
}

#[tokio::test]
async fn groq_is_asked_for_parsed_reasoning_and_its_reasoning_read_back() {
    let upstream = MockUpstream::start().await;
    let base_url = upstream.base_url();
    let proxy = Proxy::start(config_from_env(&[
        ("PROVIDER", "groq"),
        ("GROQ_BASE_URL", base_url.as_str()),
        ("GROQ_API_KEY", PROVIDER_KEY),
        ("GROQ_MODEL", "qwen/qwen3-32b"),
    ]))
    .await;
    let reasoning = |text: &str| chunk(json!({"reasoning": text}), None);
    let body = sse(&[
        reasoning("Say "),
        reasoning("hi."),
        text("Hi"),
        chunk(json!({}), Some("stop")),
    ]);
    let (blocks, _) = every_split(&proxy, &upstream, &request(true), &body, Cuts::EveryByte).await;
    assert_eq!(blocks[0]["thinking"], "Say hi.");
    upstream.push(completion(
        json!({"content": "Hi", "reasoning": "Say hi."}),
        "stop",
    ));
    let out = message(&proxy, &request(false)).await;
    assert_eq!(out["content"][0]["thinking"], "Say hi.");
    for sent in upstream.requests() {
        let sent = sent.json();
        assert_eq!(sent["reasoning_format"], "parsed");
        assert!(sent.get("reasoning_effort").is_none(), "{sent}");
    }
}

#[tokio::test]
async fn several_calls_in_one_chunk_and_resent_snapshots_give_the_intended_inputs() {
    let (upstream, proxy) = mock().await;
    let both = chunk(
        json!({"tool_calls": [
            {"index": 0, "id": "a", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\": \"ls\"}"}},
            {"index": 1, "id": "b", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\""}}
        ]}),
        None,
    );
    // The second call's arguments arrive as snapshots: everything so far, each time.
    let body = sse(&[
        both,
        tool(1, None, "{\"command\": \"pw"),
        tool(1, None, "{\"command\": \"pwd\"}"),
        tool(1, None, "{\"command\": \"pwd\"}"),
        chunk(json!({}), Some("tool_calls")),
    ]);
    let (blocks, stop) =
        every_split(&proxy, &upstream, &request(true), &body, Cuts::EveryByte).await;
    let inputs: Vec<&Value> = blocks.iter().map(|b| &b["input"]).collect();
    assert_eq!(
        inputs,
        [&json!({"command": "ls"}), &json!({"command": "pwd"})]
    );
    assert_eq!(stop, "tool_use");
}

#[tokio::test]
async fn only_the_first_call_passes_when_parallel_calls_are_disabled() {
    let (upstream, proxy) = mock().await;
    let mut single = request(true);
    single["tool_choice"] = json!({"type": "auto", "disable_parallel_tool_use": true});
    let body = sse(&[
        tool(0, Some("a"), "{\"command\": \"ls\"}"),
        tool(1, Some("b"), "{\"command\": \"rm -rf x\"}"),
        chunk(json!({}), Some("tool_calls")),
    ]);
    let (blocks, stop) = every_split(&proxy, &upstream, &single, &body, Cuts::EveryByte).await;
    assert_eq!(
        blocks,
        [json!({"type": "tool_use", "id": "id", "name": "Bash", "input": {"command": "ls"}})]
    );
    assert_eq!(stop, "tool_use");
    single["stream"] = json!(false);
    upstream.push(completion(
        json!({"content": format!("{CALL}{CALL}")}),
        "stop",
    ));
    let out = message(&proxy, &single).await;
    assert_eq!(out["content"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(
        upstream.requests().last().expect("sent").json()["parallel_tool_calls"],
        false
    );
}
