//! Input token counting, offline: tiktoken's `o200k_base` over the system prompt, the
//! messages (text, tool calls, tool results, documents), the tools (names, descriptions,
//! schemas), with images estimated from their dimensions ([`image`]).
//!
//! It must be cheap on the hot path: it runs before routing, on every request. [`measure`] takes a
//! byte bound, which costs a walk over string lengths and no tokenising: a BPE token covers
//! at least one byte, so the bytes are an upper bound on the tokens, and the bytes over
//! [`MAX_BYTES_PER_TOKEN`] a practical lower bound. Only a request whose bounds straddle
//! the threshold needs the exact [`count`], which the server runs on the blocking pool
//! (`server::routing`), never on an async worker. The tokenizer (about 50 MiB resident, 150 ms to build; see
//! `examples/count_tokens_bench.rs`) is loaded on the first exact count, not at start-up,
//! and shared after that.
//!
//! The figures are estimates, like Anthropic's own counter: its tokenizer is not public.

pub(crate) mod image;

use serde_json::Value;
use tiktoken_rs::CoreBPE;

use crate::wire::anthropic::{
    ContentBlock, MediaSource, MessageContent, MessagesRequest, SystemPrompt, ToolChoice,
    ToolResultContent,
};

/// Framing Anthropic adds around each message (role markers).
const PER_MESSAGE: u64 = 3;
/// The system prompt Anthropic adds when tools are present: 346 tokens with `tool_choice`
/// `auto` or `none`, 313 with `any` or `tool` (Claude 4 figures, from the tool-use pricing
/// table: <https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing>).
const TOOL_PROMPT_AUTO: u64 = 346;
const TOOL_PROMPT_FORCED: u64 = 313;
/// A PDF given as base64 or a URL: about this many decoded bytes per token (a rough figure:
/// Anthropic counts each page's text and its image).
const PDF_BYTES_PER_TOKEN: u64 = 6;
/// A document we cannot see (a URL): counted like the largest image.
const UNSEEN_DOCUMENT_TOKENS: u64 = image::FALLBACK_TOKENS;
/// Real text averages 3–5 bytes per token; above this many, [`measure`] would take a
/// request for shorter than it is, so a byte count this far above the threshold is
/// counted as above without tokenising.
pub const MAX_BYTES_PER_TOKEN: u64 = 8;

/// How a size was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// At most this many tokens (the byte bound).
    AtMost,
    /// At least this many tokens (the byte bound over [`MAX_BYTES_PER_TOKEN`]).
    AtLeast,
    /// Tokenised.
    Exact,
}

/// The size of a request's input, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub tokens: u64,
    pub basis: Basis,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.basis {
            Basis::AtMost => write!(f, "at most {}", self.tokens),
            Basis::AtLeast => write!(f, "at least {}", self.tokens),
            Basis::Exact => write!(f, "{}", self.tokens),
        }
    }
}

/// Is the input above `threshold` tokens? The byte bounds decide when they can; otherwise
/// `exact`, the request's [`count`], which the caller computes off the async workers (it
/// tokenises). `None` when the bounds straddle the threshold and `exact` is not given.
pub fn measure(
    request: &MessagesRequest,
    threshold: u64,
    exact: Option<u64>,
) -> Option<(bool, Size)> {
    let mut bound = ByteBound::default();
    walk(request, &mut bound);
    let at_most = bound.text_bytes + bound.fixed;
    if at_most <= threshold {
        return Some((false, size(at_most, Basis::AtMost)));
    }
    let at_least = bound.text_bytes / MAX_BYTES_PER_TOKEN + bound.fixed;
    if at_least > threshold {
        return Some((true, size(at_least, Basis::AtLeast)));
    }
    exact.map(|tokens| (tokens > threshold, size(tokens, Basis::Exact)))
}

/// Bytes of text taken as one token by [`estimate`] (JSON and English run near 4).
pub const ESTIMATE_BYTES_PER_TOKEN: u64 = 4;

/// A cheap estimate of a request's input tokens, without tokenising: its text bytes over
/// [`ESTIMATE_BYTES_PER_TOKEN`], plus what is known exactly (images, framing). For a figure
/// a client sees before the provider's own count arrives (`message_start`).
pub fn estimate(request: &MessagesRequest) -> u64 {
    let mut bound = ByteBound::default();
    walk(request, &mut bound);
    bound.text_bytes / ESTIMATE_BYTES_PER_TOKEN + bound.fixed
}

/// The exact local count of a request's input tokens.
pub fn count(request: &MessagesRequest) -> u64 {
    let mut counter = Counter {
        bpe: tiktoken_rs::o200k_base_singleton(),
        tokens: 0,
    };
    walk(request, &mut counter);
    counter.tokens
}

fn size(tokens: u64, basis: Basis) -> Size {
    Size { tokens, basis }
}

/// What the walk reports: text to tokenise, JSON to serialise and tokenise, and tokens
/// already known (images, framing).
trait Sink {
    fn text(&mut self, text: &str);
    fn json(&mut self, value: &Value);
    fn tokens(&mut self, tokens: u64);
}

struct Counter {
    bpe: &'static CoreBPE,
    tokens: u64,
}

impl Sink for Counter {
    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.tokens += self.bpe.encode_ordinary(text).len() as u64;
        }
    }

    fn json(&mut self, value: &Value) {
        if !value.is_null() {
            self.text(&value.to_string());
        }
    }

    fn tokens(&mut self, tokens: u64) {
        self.tokens += tokens;
    }
}

#[derive(Default)]
struct ByteBound {
    text_bytes: u64,
    fixed: u64,
}

impl Sink for ByteBound {
    fn text(&mut self, text: &str) {
        self.text_bytes += text.len() as u64;
    }

    fn json(&mut self, value: &Value) {
        if !value.is_null() {
            self.text_bytes += json_len(value);
        }
    }

    fn tokens(&mut self, tokens: u64) {
        self.fixed += tokens;
    }
}

/// The length of `value` serialised compactly, without serialising it (numbers are taken
/// at their longest usual form, so this stays an upper bound in practice).
fn json_len(value: &Value) -> u64 {
    match value {
        Value::Null => 4,
        Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => s.len() as u64 + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_len(v) + 1).sum::<u64>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() as u64 + 4 + json_len(v))
                .sum::<u64>()
        }
    }
}

fn walk(request: &MessagesRequest, sink: &mut impl Sink) {
    match &request.system {
        Some(SystemPrompt::Text(text)) => sink.text(text),
        Some(SystemPrompt::Blocks(blocks)) => blocks.iter().for_each(|b| sink.text(&b.text)),
        None => {}
    }
    let last = request.messages.len().saturating_sub(1);
    for (i, message) in request.messages.iter().enumerate() {
        sink.tokens(PER_MESSAGE);
        match &message.content {
            MessageContent::Text(text) => sink.text(text),
            MessageContent::Blocks(blocks) => {
                for block in blocks {
                    content_block(block, i == last, sink);
                }
            }
        }
    }
    if !request.tools.is_empty() {
        sink.tokens(match request.tool_choice {
            Some(ToolChoice::Any { .. } | ToolChoice::Tool { .. }) => TOOL_PROMPT_FORCED,
            _ => TOOL_PROMPT_AUTO,
        });
    }
    for tool in &request.tools {
        sink.text(&tool.name);
        if let Some(description) = &tool.description {
            sink.text(description);
        }
        if let Some(schema) = &tool.input_schema {
            sink.text(schema.text());
        }
    }
}

/// One content block. Thinking counts only in the current (last) turn, as Anthropic's
/// counter ignores earlier turns' thinking; blocks we do not read (server tool history)
/// count nothing.
fn content_block(block: &ContentBlock, current_turn: bool, sink: &mut impl Sink) {
    match block {
        ContentBlock::Text { text, .. } => sink.text(text),
        ContentBlock::Image { source } => sink.tokens(match source {
            MediaSource::Base64 { data, .. } => image::tokens(data),
            _ => image::FALLBACK_TOKENS,
        }),
        ContentBlock::Document {
            source,
            title,
            context,
        } => {
            for text in [title, context].into_iter().flatten() {
                sink.text(text);
            }
            document(source, current_turn, sink);
        }
        ContentBlock::ToolUse { name, input, .. } => {
            sink.text(name);
            sink.json(input);
        }
        ContentBlock::ToolResult { content, .. } => {
            if let Some(content) = content {
                tool_result(content, current_turn, sink);
            }
        }
        ContentBlock::ToolReference { tool_name } => sink.text(tool_name),
        ContentBlock::SearchResult {
            source,
            title,
            content,
        } => {
            sink.text(source);
            sink.text(title);
            for block in content {
                content_block(block, current_turn, sink);
            }
        }
        ContentBlock::Thinking { thinking, .. } if current_turn => sink.text(thinking),
        ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {}
        ContentBlock::Other => {}
    }
}

fn document(source: &MediaSource, current_turn: bool, sink: &mut impl Sink) {
    match source {
        MediaSource::Text { data, .. } => sink.text(data),
        MediaSource::Content { content } => tool_result(content, current_turn, sink),
        MediaSource::Base64 { data, .. } => {
            sink.tokens(data.len() as u64 * 3 / 4 / PDF_BYTES_PER_TOKEN);
        }
        MediaSource::Url { .. } | MediaSource::Other => sink.tokens(UNSEEN_DOCUMENT_TOKENS),
    }
}

fn tool_result(content: &ToolResultContent, current_turn: bool, sink: &mut impl Sink) {
    match content {
        ToolResultContent::Text(text) => sink.text(text),
        ToolResultContent::Blocks(blocks) => {
            for block in blocks {
                content_block(block, current_turn, sink);
            }
        }
    }
}

#[cfg(test)]
mod tests;
