//! OpenAI Chat Completions answers → Anthropic (https://platform.openai.com/docs/api-reference/chat/object): the non-streaming
//! response here, the streaming state machine in [`stream`]. Content comes out in
//! Anthropic's order (thinking, text, tool_use), tool ids valid for Anthropic, tool names
//! mapped back to the client's, tool inputs always objects ([`crate::translate::arguments`]).
//! Reasoning and tool calls the model wrote into its text are read by
//! [`crate::translate::text_calls`].

mod stream;

pub use stream::StreamTranslator;

use serde_json::Value;

use super::names::{tool_id, ToolNames};
use super::text_calls::{Piece, Scanner, TextCalls};
use super::{arguments, TranslateError, THINKING_SIGNATURE};
use crate::wire::anthropic::{self, ResponseBlock, Role, StopReason};
use crate::wire::openai;

/// What the response translation needs from the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Upstream tool names that differ from the client's.
    pub names: ToolNames,
    /// The request's `stop_sequences`, to recognise which one ended the answer.
    pub stop_sequences: Vec<String>,
    /// The model the request was sent to (reported when the upstream names none).
    pub model: String,
    /// Which tool calls written as text become calls (none when no tools were offered).
    pub text_calls: TextCalls,
    /// The client asked for at most one tool call (`disable_parallel_tool_use`): any
    /// further call is dropped, as Anthropic would not have made it.
    pub single_tool_call: bool,
    /// The client's `max_tokens`, when the upstream was sent more: the answer is cut back
    /// to it ([`crate::translate::cut`]).
    pub cut_to: Option<u64>,
}

/// Translates a non-streaming completion.
pub fn response(
    completion: openai::ChatResponse,
    context: &Context,
) -> Result<anthropic::MessageResponse, TranslateError> {
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or(TranslateError::NoChoices)?;
    let mut message = choice.message;
    let reasoning = message.take_reasoning();
    let (chunk_thinking, text) = message
        .content
        .map(openai::TextContent::split)
        .unwrap_or_default();
    let mut thinking = if reasoning.is_empty() {
        chunk_thinking
    } else {
        reasoning
    };
    let mut scanner = Scanner::new(context.text_calls.clone());
    let mut pieces = scanner.push(&text);
    pieces.extend(scanner.finish());
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Thinking(more) => thinking.push_str(&more),
            Piece::Text(text) => texts.push(ResponseBlock::Text { text }),
            Piece::Call(call) => calls.push(ResponseBlock::ToolUse {
                id: super::random_id("toolu_"),
                name: context.names.client_name(&call.name),
                input: Value::Object(call.input),
            }),
        }
    }
    let mut content = Vec::new();
    if !thinking.is_empty() {
        content.push(ResponseBlock::Thinking {
            thinking,
            signature: THINKING_SIGNATURE.to_string(),
        });
    }
    content.extend(texts);
    let refusal = message.refusal.filter(|r| !r.is_empty());
    if let Some(text) = refusal.clone() {
        content.push(ResponseBlock::Text { text });
    }
    for call in message.tool_calls {
        let name = context.names.client_name(&call.function.name);
        let input = arguments::repair(&call.function.arguments).map_err(|reason| {
            TranslateError::Arguments {
                tool: name.clone(),
                reason,
            }
        })?;
        calls.push(ResponseBlock::ToolUse {
            id: tool_id(&call.id),
            name,
            input,
        });
    }
    if context.single_tool_call {
        calls.truncate(1);
    }
    let has_tools = !calls.is_empty();
    content.extend(calls);
    let (mut stop_reason, stop_sequence) = stop_reason(
        choice.finish_reason.as_deref(),
        has_tools,
        choice.stop_reason.as_ref(),
        context,
    )?;
    if refusal.is_some() {
        stop_reason = StopReason::Refusal;
    }
    let mut message = anthropic::MessageResponse {
        id: super::message_id(),
        kind: "message".to_string(),
        role: Role::Assistant,
        content,
        model: completion.model.unwrap_or_else(|| context.model.clone()),
        stop_reason,
        stop_sequence,
        usage: usage(&completion.usage.unwrap_or_default()),
    };
    if let Some(limit) = context.cut_to {
        super::cut::message(&mut message, limit);
    }
    Ok(message)
}

/// `finish_reason` → `stop_reason`. `stop` with tool calls is `tool_use` (several
/// servers say `stop` after tool calls); `stop` that vLLM says was one of the request's
/// stop sequences is `stop_sequence`; `error` is an upstream failure.
fn stop_reason(
    finish_reason: Option<&str>,
    has_tools: bool,
    matched: Option<&Value>,
    context: &Context,
) -> Result<(StopReason, Option<String>), TranslateError> {
    let matched = matched
        .and_then(Value::as_str)
        .filter(|s| context.stop_sequences.iter().any(|stop| stop == s));
    Ok(match finish_reason {
        Some("length") => (StopReason::MaxTokens, None),
        Some("tool_calls" | "function_call") => (StopReason::ToolUse, None),
        Some("content_filter") => (StopReason::Refusal, None),
        Some("error" | "insufficient_system_resource") => {
            return Err(TranslateError::Upstream {
                message: format!(
                    "the provider stopped with finish_reason '{}'",
                    finish_reason.unwrap_or_default()
                ),
                status: None,
            })
        }
        _ if has_tools => (StopReason::ToolUse, None),
        _ => match matched {
            Some(stop) => (StopReason::StopSequence, Some(stop.to_string())),
            None => (StopReason::EndTurn, None),
        },
    })
}

/// OpenAI usage → Anthropic usage: `prompt_tokens` includes cached and cache-written
/// tokens, Anthropic's `input_tokens` does not. Cache hits are read from DeepSeek's
/// `prompt_cache_hit_tokens`, Moonshot's `cached_tokens`, else OpenAI's (and OpenRouter's)
/// `prompt_tokens_details.cached_tokens`; OpenRouter's writes from `cache_write_tokens`.
fn usage(usage: &openai::CompletionUsage) -> anthropic::Usage {
    let details = usage.prompt_tokens_details.clone().unwrap_or_default();
    let cached = usage
        .prompt_cache_hit_tokens
        .or(usage.cached_tokens)
        .unwrap_or(details.cached_tokens);
    let written = details.cache_write_tokens;
    anthropic::Usage {
        input_tokens: usage
            .prompt_tokens
            .saturating_sub(cached.saturating_add(written)),
        output_tokens: usage.completion_tokens,
        cache_creation_input_tokens: (written > 0).then_some(written),
        cache_read_input_tokens: (cached > 0).then_some(cached),
    }
}

/// An `{"error": ...}` object inside a 200 answer.
fn upstream_error(error: &Value) -> TranslateError {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("the provider reported an error")
        .to_string();
    let status = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    TranslateError::Upstream { message, status }
}

#[cfg(test)]
mod tests;
