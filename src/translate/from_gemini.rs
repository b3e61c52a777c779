//! Gemini answers → Anthropic (https://ai.google.dev/api/generate-content; docs/providers.md, "Gemini thought signatures"): the non-streaming response here,
//! the streaming state machine in [`stream`].
//!
//! - Parts → blocks in order: thought parts → `thinking`, text → `text`, `functionCall` →
//!   `tool_use` with a fresh unique id (Gemini's Developer API gives calls no id).
//! - `finishReason` → `stop_reason`; `STOP` with a function call is `tool_use`;
//!   safety-type reasons are `refusal`; a malformed function call is an upstream failure.
//! - `usageMetadata` → usage: prompt minus cached is `input_tokens`, cached is
//!   `cache_read_input_tokens`, candidates plus thoughts is `output_tokens`.
//!
//! Thought signatures (docs/providers.md, "Gemini thought signatures"): Claude-style clients
//! send back only standard Anthropic fields, so a signature travels inside them. A function
//! call's signature is put in its `tool_use` id — `toolu_<random>_gts_<signature in base64url>`,
//! which stays within `^[a-zA-Z0-9_-]+$` — and read back by [`signature_of`]. A thought
//! part's signature becomes the thinking block's `signature`, tagged
//! `ccproxy:gemini:<signature>` so that the Anthropic pass-through knows to drop it.

mod stream;

pub use stream::StreamTranslator;

use serde_json::Value;

use super::passthrough::PROXY_SIGNATURE_PREFIX;
use super::{TranslateError, THINKING_SIGNATURE};
use crate::wire::anthropic::{self, ResponseBlock, Role, StopReason, Usage};
use crate::wire::gemini;

/// Between the random part of a tool id and the signature it carries.
const ID_SIGNATURE_MARK: &str = "_gts_";
const THINKING_SIGNATURE_PREFIX: &str = "ccproxy:gemini:";

/// A fresh `tool_use` id, carrying `signature` when the call had one.
pub fn tool_use_id(signature: Option<&str>) -> String {
    let mut id = super::random_id("toolu_");
    if let Some(signature) = signature.filter(|s| !s.is_empty()) {
        id.push_str(ID_SIGNATURE_MARK);
        id.extend(signature.chars().filter_map(|c| match c {
            '+' => Some('-'),
            '/' => Some('_'),
            '=' => None,
            c => Some(c),
        }));
    }
    id
}

/// The thought signature a `tool_use` id carries (standard base64, as Gemini sent it).
pub fn signature_of(id: &str) -> Option<String> {
    let random = id.strip_prefix("toolu_")?;
    let (_, encoded) = random.split_once(ID_SIGNATURE_MARK)?;
    if encoded.is_empty() {
        return None;
    }
    let mut signature: String = encoded
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while signature.len() % 4 != 0 {
        signature.push('=');
    }
    Some(signature)
}

/// A thinking block's `signature` for a Gemini thought part.
fn thinking_signature(signature: Option<&str>) -> String {
    match signature.filter(|s| !s.is_empty()) {
        Some(signature) => format!("{THINKING_SIGNATURE_PREFIX}{signature}"),
        None => THINKING_SIGNATURE.to_string(),
    }
}

/// The Gemini signature of a thinking block that came from Gemini.
pub fn thinking_signature_of(signature: &str) -> Option<String> {
    debug_assert!(THINKING_SIGNATURE_PREFIX.starts_with(PROXY_SIGNATURE_PREFIX));
    signature
        .strip_prefix(THINKING_SIGNATURE_PREFIX)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Translates a non-streaming response; `model` is reported when Gemini names none.
pub fn response(
    response: gemini::Response,
    model: &str,
) -> Result<anthropic::MessageResponse, TranslateError> {
    if let Some(error) = &response.error {
        return Err(upstream_error(error));
    }
    let candidate = response.candidates.into_iter().next().unwrap_or_default();
    let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
    let mut content: Vec<ResponseBlock> = Vec::new();
    for part in parts {
        let block = block(part);
        match (content.last_mut(), block) {
            (Some(ResponseBlock::Text { text }), Some(ResponseBlock::Text { text: more })) => {
                text.push_str(&more);
            }
            (_, Some(block)) => content.push(block),
            (_, None) => {}
        }
    }
    let has_calls = content
        .iter()
        .any(|b| matches!(b, ResponseBlock::ToolUse { .. }));
    let blocked = response
        .prompt_feedback
        .and_then(|f| f.block_reason)
        .is_some();
    let stop_reason = stop_reason(candidate.finish_reason.as_deref(), has_calls, blocked)?;
    Ok(anthropic::MessageResponse {
        id: super::message_id(),
        kind: "message".to_string(),
        role: Role::Assistant,
        content,
        model: response.model_version.unwrap_or_else(|| model.to_string()),
        stop_reason,
        stop_sequence: None,
        usage: usage(response.usage_metadata.as_ref()),
    })
}

/// One part as a block (none for an empty or unknown part).
fn block(part: gemini::Part) -> Option<ResponseBlock> {
    if let Some(call) = part.function_call {
        return Some(ResponseBlock::ToolUse {
            id: tool_use_id(part.thought_signature.as_deref()),
            name: call.name,
            input: arguments(call.args),
        });
    }
    let text = part.text.filter(|t| !t.is_empty())?;
    Some(if part.thought {
        ResponseBlock::Thinking {
            thinking: text,
            signature: thinking_signature(part.thought_signature.as_deref()),
        }
    } else {
        ResponseBlock::Text { text }
    })
}

/// Function-call arguments as a JSON object.
fn arguments(args: Option<Value>) -> Value {
    match args {
        Some(Value::Object(map)) => Value::Object(map),
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(other) => serde_json::json!({"value": other}),
    }
}

/// `finishReason` → `stop_reason`. `blocked`: the prompt itself was refused.
fn stop_reason(
    finish_reason: Option<&str>,
    has_calls: bool,
    blocked: bool,
) -> Result<StopReason, TranslateError> {
    Ok(match finish_reason {
        Some("MAX_TOKENS") => StopReason::MaxTokens,
        Some(
            "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT"
            | "LANGUAGE",
        ) => StopReason::Refusal,
        Some(
            reason @ ("MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" | "TOO_MANY_TOOL_CALLS"),
        ) => {
            return Err(TranslateError::Upstream {
                message: format!("Gemini stopped with finishReason {reason}"),
                status: None,
            })
        }
        _ if has_calls => StopReason::ToolUse,
        None if blocked => StopReason::Refusal,
        _ => StopReason::EndTurn,
    })
}

/// `usageMetadata` → usage.
fn usage(metadata: Option<&gemini::UsageMetadata>) -> Usage {
    let Some(m) = metadata else {
        return Usage::default();
    };
    Usage {
        input_tokens: m
            .prompt_token_count
            .saturating_sub(m.cached_content_token_count),
        output_tokens: m
            .candidates_token_count
            .saturating_add(m.thoughts_token_count),
        cache_creation_input_tokens: None,
        cache_read_input_tokens: (m.cached_content_token_count > 0)
            .then_some(m.cached_content_token_count),
    }
}

/// An error object inside a 200 answer (`{"code", "message", "status"}`).
fn upstream_error(error: &Value) -> TranslateError {
    TranslateError::Upstream {
        message: error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("Gemini reported an error")
            .to_string(),
        status: error
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok()),
    }
}

#[cfg(test)]
mod tests;
