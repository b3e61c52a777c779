//! Translation between Anthropic Messages (the hub) and each provider's API: pure,
//! synchronous functions and stream state machines over `wire` types. No I/O, no HTTP
//! client, no configuration lookups: what a translation needs is passed in (the target
//! model and its [`quirks::Quirks`]). Choices the protocols leave open are documented in
//! docs/translation.md.

pub mod arguments;
pub mod cache_affinity;
pub mod compat;
pub mod cut;
pub mod from_gemini;
pub mod from_openai;
pub mod from_responses;
pub mod gemini_schema;
#[cfg(test)]
pub mod grammar;
pub mod names;
pub mod passthrough;
pub mod quirks;
pub mod text_calls;
pub mod to_gemini;
pub mod to_openai;
pub mod to_responses;

use crate::wire::anthropic::{
    BlockDelta, ContentBlock, ResponseBlock, Role, StreamEvent, StreamMessage, ToolResultContent,
    Usage,
};

/// The signature of thinking blocks synthesized from another provider's reasoning. Not an
/// Anthropic signature: a pass-through path can recognise and strip such blocks (docs/providers.md, "Anthropic pass-through").
pub const THINKING_SIGNATURE: &str = "ccproxy:reasoning";

/// Why a translation failed. The provider layer turns each into a `ProxyError`: the client
/// is at fault for [`TranslateError::Unsupported`], the upstream for the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The request uses something the target cannot take (a 400 naming the field).
    #[error("{reason}")]
    Unsupported { field: String, reason: String },
    #[error("the completion has no choices")]
    NoChoices,
    /// Tool-call arguments that could not be repaired into a JSON object.
    #[error("the arguments of tool call '{tool}' could not be read: {reason}")]
    Arguments { tool: String, reason: String },
    /// The upstream reported an error inside its answer (an `error` chunk, or
    /// `finish_reason: "error"`); `status` is its HTTP-like code when it gave one.
    #[error("{message}")]
    Upstream {
        message: String,
        status: Option<u16>,
    },
    /// The stream ended without `[DONE]` and without a finish reason, or had nothing in it
    /// (no content, finish reason or usage).
    #[error("the stream ended before the answer was complete")]
    Truncated,
    #[error("unreadable stream chunk ({0})")]
    BadChunk(String),
}

/// What a `tool_reference` (a deferred tool made available by a tool search) says to a
/// model that has no such block.
pub fn tool_reference_text(tool_name: &str) -> String {
    format!("Tool {tool_name} is now available.")
}

/// The `message_start` event that opens a translated stream: an empty assistant message.
pub fn message_start(id: String, model: String, usage: Usage) -> StreamEvent {
    StreamEvent::MessageStart {
        message: StreamMessage {
            id,
            kind: "message",
            role: Role::Assistant,
            content: [],
            model,
            stop_reason: None,
            stop_sequence: None,
            usage,
        },
    }
}

/// Starts `block` at the next block index of a translated stream; returns its index.
pub fn start_block(
    next_index: &mut usize,
    block: ResponseBlock,
    out: &mut Vec<StreamEvent>,
) -> usize {
    let index = *next_index;
    *next_index += 1;
    out.push(StreamEvent::ContentBlockStart {
        index,
        content_block: block,
    });
    index
}

/// An empty thinking block (its signature comes in a `signature_delta` before it closes) or
/// an empty text block, as a stream opens them.
pub fn empty_block(thinking: bool) -> ResponseBlock {
    if thinking {
        ResponseBlock::Thinking {
            thinking: String::new(),
            signature: String::new(),
        }
    } else {
        ResponseBlock::Text {
            text: String::new(),
        }
    }
}

/// A thinking or text delta.
pub fn text_delta(thinking: bool, text: String) -> BlockDelta {
    if thinking {
        BlockDelta::ThinkingDelta { thinking: text }
    } else {
        BlockDelta::TextDelta { text }
    }
}

/// A tool result's text: its string, or its text blocks and tool references, one per line
/// (empty texts skipped). Each other block goes to `other`, which may add lines (a
/// placeholder) and keeps what it takes elsewhere (images the target carries separately).
pub fn tool_result_text(
    content: Option<&ToolResultContent>,
    mut other: impl FnMut(&ContentBlock, &mut Vec<String>) -> Result<(), TranslateError>,
) -> Result<String, TranslateError> {
    let mut texts = Vec::new();
    match content {
        None => {}
        Some(ToolResultContent::Text(text)) => texts.push(text.clone()),
        Some(ToolResultContent::Blocks(blocks)) => {
            for block in blocks {
                match block {
                    ContentBlock::Text { text, .. } if text.is_empty() => {}
                    ContentBlock::Text { text, .. } => texts.push(text.clone()),
                    ContentBlock::ToolReference { tool_name } => {
                        texts.push(tool_reference_text(tool_name));
                    }
                    other_block => other(other_block, &mut texts)?,
                }
            }
        }
    }
    Ok(texts.join("\n"))
}

/// `metadata.user_id` as OpenAI's end-user identifier (`user`, `safety_identifier`), which
/// takes at most 64 characters: a longer id (Claude Code's is a JSON string) is replaced by
/// `user_` and a stable 64-bit hash of it. `None` for an empty id.
pub fn end_user_id(id: &str) -> Option<String> {
    match id.len() {
        0 => None,
        1..=64 => Some(id.to_string()),
        _ => Some(format!("user_{:016x}", names::fnv1a(id.as_bytes()))),
    }
}

/// A fresh Anthropic-style message id (`msg_` + 24 base62 characters).
pub fn message_id() -> String {
    random_id("msg_")
}

/// `prefix` + 24 random base62 characters.
pub fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    for _ in 0..24 {
        id.push(ALPHABET[fastrand::usize(..ALPHABET.len())] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tool_result_text_joins_texts_and_hands_other_blocks_over() {
        let content: ToolResultContent = serde_json::from_value(json!([
            {"type": "text", "text": "first"},
            {"type": "text", "text": ""},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            {"type": "tool_reference", "tool_name": "Grep"},
        ]))
        .expect("content");
        let mut others = 0;
        let text = tool_result_text(Some(&content), |_, texts| {
            others += 1;
            texts.push("[image]".into());
            Ok(())
        })
        .expect("text");
        assert_eq!(text, "first\n[image]\nTool Grep is now available.");
        assert_eq!(others, 1);
        let plain = ToolResultContent::Text("plain".into());
        assert_eq!(
            tool_result_text(Some(&plain), |_, _| Ok(())).expect("text"),
            "plain"
        );
        assert_eq!(tool_result_text(None, |_, _| Ok(())).expect("text"), "");
    }
}
