//! OpenAI Responses answers → Anthropic (docs/translation.md, "Responses API"): the
//! non-streamed response here, the stream state machine in [`stream`].
//!
//! - `output` items → blocks in order: `reasoning` → `thinking` (its summary texts), a
//!   `message` → `text` (`output_text` and `refusal` parts), `function_call` → `tool_use`
//!   (id from `call_id`, valid for both sides; arguments repaired as on the chat route);
//!   built-in tool items are not ours to show and are skipped.
//! - `status` / `incomplete_details.reason` → `stop_reason`: `max_output_tokens` →
//!   `max_tokens`, `content_filter` or a refusal → `refusal`, a function call → `tool_use`,
//!   else `end_turn`; a failed response is an upstream error with its code's status.
//! - usage: `input_tokens` includes `input_tokens_details.cached_tokens`, Anthropic's does
//!   not, so the cached ones move to `cache_read_input_tokens`; `output_tokens` already
//!   counts the reasoning tokens.
//!
//! Reasoning across turns: with `store: false` a reasoning item is only usable again with
//! its `encrypted_content`. Its id and encrypted content travel in the thinking block's
//! signature, `ccproxy:responses:<id>:<encrypted content>` ([`reasoning_signature`]); the
//! `ccproxy:` prefix keeps the Anthropic pass-through and the other translators from taking
//! it for theirs, and [`reasoning_of`] reads it back for the next request.

mod stream;

pub use stream::StreamTranslator;

use super::names::{tool_id, ToolNames};
use super::passthrough::PROXY_SIGNATURE_PREFIX;
use super::{arguments, TranslateError, THINKING_SIGNATURE};
use crate::wire::anthropic::{self, ResponseBlock, Role, StopReason};
use crate::wire::responses::{self, ErrorObject, OutputContent, OutputItem, SummaryText};

const SIGNATURE_PREFIX: &str = "ccproxy:responses:";

/// What reading an answer needs from its request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Upstream tool names that differ from the client's.
    pub names: ToolNames,
    /// The model the request was sent to (reported when the answer names none).
    pub model: String,
    /// The client's `max_tokens`, when the upstream was sent more: the answer is cut back
    /// to it ([`crate::translate::cut`]).
    pub cut_to: Option<u64>,
}

/// The thinking signature for a reasoning item: ours with its id and encrypted content, or
/// the plain synthesized signature when there is nothing to carry.
pub fn reasoning_signature(id: &str, encrypted_content: Option<&str>) -> String {
    debug_assert!(SIGNATURE_PREFIX.starts_with(PROXY_SIGNATURE_PREFIX));
    match encrypted_content.filter(|e| !e.is_empty()) {
        Some(encrypted) if !id.is_empty() && !id.contains(':') => {
            format!("{SIGNATURE_PREFIX}{id}:{encrypted}")
        }
        _ => THINKING_SIGNATURE.to_string(),
    }
}

/// The reasoning item (id, encrypted content) a thinking signature of ours carries; `None`
/// for any other signature.
pub fn reasoning_of(signature: &str) -> Option<(String, String)> {
    let (id, encrypted) = signature.strip_prefix(SIGNATURE_PREFIX)?.split_once(':')?;
    (!id.is_empty() && !encrypted.is_empty()).then(|| (id.to_string(), encrypted.to_string()))
}

/// Translates a non-streamed response.
pub fn response(
    response: responses::Response,
    context: &Context,
) -> Result<anthropic::MessageResponse, TranslateError> {
    if response.status.as_deref() == Some("failed") {
        return Err(failure(response.error.as_ref()));
    }
    let mut content: Vec<ResponseBlock> = Vec::new();
    let mut refused = false;
    let mut has_tools = false;
    for item in response.output.iter() {
        match item {
            OutputItem::Reasoning {
                id,
                summary,
                encrypted_content,
            } => {
                let thinking = summary_text(summary);
                let signature = reasoning_signature(id, encrypted_content.as_deref());
                if !thinking.is_empty() || signature != THINKING_SIGNATURE {
                    content.push(ResponseBlock::Thinking {
                        thinking,
                        signature,
                    });
                }
            }
            OutputItem::Message { content: parts } => {
                for part in parts {
                    let text = match part {
                        OutputContent::OutputText { text } => text,
                        OutputContent::Refusal { refusal } => {
                            refused = true;
                            refusal
                        }
                        OutputContent::Other => continue,
                    };
                    push_text(&mut content, text);
                }
            }
            OutputItem::FunctionCall {
                call_id,
                name,
                arguments,
            } => {
                has_tools = true;
                let name = context.names.client_name(name);
                let input =
                    arguments::repair(arguments).map_err(|reason| TranslateError::Arguments {
                        tool: name.clone(),
                        reason,
                    })?;
                content.push(ResponseBlock::ToolUse {
                    id: tool_id(call_id),
                    name,
                    input,
                });
            }
            OutputItem::Other => {}
        }
    }
    let mut message = anthropic::MessageResponse {
        id: super::message_id(),
        kind: "message".to_string(),
        role: Role::Assistant,
        content,
        model: response
            .model
            .clone()
            .unwrap_or_else(|| context.model.clone()),
        stop_reason: stop_reason(&response, has_tools, refused),
        stop_sequence: None,
        usage: usage(response.usage.as_ref()),
    };
    if let Some(limit) = context.cut_to {
        super::cut::message(&mut message, limit);
    }
    Ok(message)
}

fn push_text(content: &mut Vec<ResponseBlock>, text: &str) {
    if text.is_empty() {
        return;
    }
    match content.last_mut() {
        Some(ResponseBlock::Text { text: last }) => last.push_str(text),
        _ => content.push(ResponseBlock::Text {
            text: text.to_string(),
        }),
    }
}

/// A reasoning summary's parts, one paragraph each.
fn summary_text(summary: &[SummaryText]) -> String {
    let texts: Vec<&str> = summary
        .iter()
        .map(|part| part.text.as_str())
        .filter(|text| !text.is_empty())
        .collect();
    texts.join("\n\n")
}

/// `status` / `incomplete_details` → `stop_reason`.
fn stop_reason(response: &responses::Response, has_tools: bool, refused: bool) -> StopReason {
    let incomplete = response
        .incomplete_details
        .as_ref()
        .and_then(|details| details.reason.as_deref());
    match incomplete {
        Some("max_output_tokens") => StopReason::MaxTokens,
        Some("content_filter") => StopReason::Refusal,
        _ if refused => StopReason::Refusal,
        _ if has_tools => StopReason::ToolUse,
        _ => StopReason::EndTurn,
    }
}

/// Responses usage → Anthropic usage.
fn usage(usage: Option<&responses::ResponseUsage>) -> anthropic::Usage {
    let Some(usage) = usage else {
        return anthropic::Usage::default();
    };
    let cached = usage
        .input_tokens_details
        .as_ref()
        .map_or(0, |details| details.cached_tokens);
    anthropic::Usage {
        input_tokens: usage.input_tokens.saturating_sub(cached),
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: None,
        cache_read_input_tokens: (cached > 0).then_some(cached),
    }
}

/// A failed response's `error`, or an `error` event, as an upstream failure with the HTTP
/// status its code stands for (so a rate limit before any content is a real 429).
fn failure(error: Option<&ErrorObject>) -> TranslateError {
    let code = error.and_then(|e| e.code.as_deref()).unwrap_or_default();
    let message = error
        .and_then(|e| e.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| match code {
            "" => "the response failed".to_string(),
            code => format!("the response failed ({code})"),
        });
    let status = match code {
        "rate_limit_exceeded" | "insufficient_quota" => Some(429),
        "server_error" => Some(500),
        "server_is_overloaded" | "service_unavailable" => Some(503),
        "vector_store_timeout" => Some(504),
        "context_length_exceeded" | "invalid_prompt" => Some(400),
        code if code.starts_with("invalid_") || code.contains("image") => Some(400),
        _ => None,
    };
    TranslateError::Upstream { message, status }
}

#[cfg(test)]
mod tests;
