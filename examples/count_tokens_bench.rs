//! What token counting costs: `cargo run --release --example count_tokens_bench`.
//!
//! Builds a ~50 KB request shaped like Claude Code's first turn (a long system prompt,
//! a dozen tools with JSON schemas, a few turns with tool calls and results), then times
//! routing with and without a `long_context` route, the byte bound, the exact count, and
//! the one-off tokenizer load (time and memory).

use std::io::Write;
use std::time::{Duration, Instant};

use ccproxy::config::{self, Env, Overrides, Target};
use ccproxy::wire::anthropic::MessagesRequest;
use ccproxy::{router, tokens};
use serde_json::{json, Value};

const WORDS: &[&str] = &[
    "the",
    "agent",
    "reads",
    "files",
    "before",
    "editing",
    "them",
    "and",
    "runs",
    "tests",
    "after",
    "each",
    "change;",
    "prefer",
    "small",
    "diffs,",
    "explain",
    "why,",
    "never",
    "guess",
    "paths.",
    "Use",
    "`rg`",
    "to",
    "search",
    "fn",
    "parse(input: &str)",
    "->",
    "Result<Value>",
    "{",
    "}",
    "configuration",
    "permissions",
    "repository",
    "0x1f",
    "42",
];

fn prose(seed: u64, bytes: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        text.push_str(WORDS[rng.usize(..WORDS.len())]);
        text.push(if rng.u8(..12) == 0 { '\n' } else { ' ' });
    }
    text
}

fn claude_code_request() -> Value {
    let tools: Vec<Value> = (0..12)
        .map(|i| {
            json!({"name": format!("Tool{i}"), "description": prose(i, 1400),
                "input_schema": {"type": "object", "required": ["path"], "properties": {
                    "path": {"type": "string", "description": prose(100 + i, 200)},
                    "limit": {"type": "integer", "minimum": 1},
                    "mode": {"type": "string", "enum": ["read", "write", "append"]}}}})
        })
        .collect();
    json!({
        "model": "claude-opus-5-5", "max_tokens": 128000, "stream": true,
        "system": [{"type": "text", "text": "You are Claude Code."},
                   {"type": "text", "text": prose(1, 12_000), "cache_control": {"type": "ephemeral"}}],
        "thinking": {"type": "adaptive"},
        "tools": tools,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": prose(2, 2_000)}]},
            {"role": "system", "content": prose(3, 1_500)},
            {"role": "assistant", "content": [
                {"type": "text", "text": prose(4, 600)},
                {"type": "tool_use", "id": "toolu_1", "name": "Tool1", "input": {"path": "src/main.rs"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": prose(5, 9_000)}]}
        ]
    })
}

/// Mean time of `f` over enough runs to take about half a second.
fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < Duration::from_millis(500) {
        std::hint::black_box(f());
        runs += 1;
    }
    start.elapsed() / runs
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

#[expect(
    clippy::disallowed_methods,
    reason = "a command-line benchmark: its report is its output"
)]
fn main() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let body = claude_code_request();
    let bytes = serde_json::to_vec(&body).map_err(std::io::Error::other)?;
    let request: MessagesRequest = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    let small: MessagesRequest = serde_json::from_value(json!({"model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "Say hi"}]}))
    .map_err(std::io::Error::other)?;
    let env = Env::from_pairs([("PROVIDER", "groq"), ("GROQ_API_KEY", "gsk_bench")]);
    let mut config = config::load(&Overrides::default(), &env).map_err(std::io::Error::other)?;
    writeln!(
        out,
        "request: {} bytes, {} tools",
        bytes.len(),
        request.tools.len()
    )?;
    writeln!(
        out,
        "parse the body (for scale):           {:>10.2?}",
        time(|| { serde_json::from_slice::<MessagesRequest>(&bytes).map(|r| r.messages.len()) })
    )?;

    let route = |config: &config::Config, request: &MessagesRequest| {
        let mut request = request.clone();
        router::route(config, &mut request, None).map(|d| d.rule)
    };
    let clone = time(|| request.clone());
    writeln!(out, "(clone of the request, included below: {clone:.2?})")?;
    writeln!(
        out,
        "route, no long_context route, 50 KB:  {:>10.2?}",
        time(|| route(&config, &request))
    )?;
    writeln!(
        out,
        "route, no long_context route, small:  {:>10.2?}",
        time(|| route(&config, &small))
    )?;
    config.routes.long_context = vec![Target {
        provider: "groq".into(),
        model: "long".into(),
    }];
    writeln!(
        out,
        "route, long_context at 60000, 50 KB:  {:>10.2?}  (byte bound decides)",
        time(|| route(&config, &request))
    )?;
    writeln!(
        out,
        "route, long_context at 60000, small:  {:>10.2?}",
        time(|| route(&config, &small))
    )?;

    let before = rss_kib();
    let start = Instant::now();
    let exact = tokens::count(&request);
    let load = start.elapsed();
    writeln!(
        out,
        "first exact count (loads o200k):      {load:>10.2?}  (+{} MiB resident)",
        (rss_kib() - before) / 1024
    )?;
    writeln!(
        out,
        "exact count, 50 KB:                   {:>10.2?}  ({exact} tokens)",
        time(|| tokens::count(&request))
    )?;
    writeln!(
        out,
        "exact count, small:                   {:>10.2?}",
        time(|| tokens::count(&small))
    )?;
    let near = exact + exact / 10;
    writeln!(
        out,
        "measure near the threshold ({near}): {:>10.2?}  (tokenises)",
        time(|| tokens::measure(&request, near, Some(tokens::count(&request))))
    )?;
    writeln!(
        out,
        "measure far below (60000):            {:>10.2?}  (byte bound only)",
        time(|| tokens::measure(&request, 60_000, None))
    )?;
    Ok(())
}
