//! Anthropic Messages request → OpenAI Chat Completions request (docs/translation.md;
//! https://platform.openai.com/docs/api-reference/chat/create). Builds the upstream body field by field from what the client sent, so nothing
//! Anthropic-only (`cache_control`, `context_management`, `metadata`, `thinking`,
//! `output_config`, `service_tier`, betas) can leak through; the target's [`Quirks`] decide
//! the provider-specific spelling (`cache_control` breakpoints only where the target takes
//! them, [`cache_marks`]). Messages and blocks are in [`messages`].

mod cache_marks;
pub(crate) mod messages;
pub(crate) mod tools;

use serde_json::json;

use super::cache_affinity::cache_key;
use super::from_openai::Context;
use super::names::ToolNames;
use super::quirks::{Effort, MaxTokensField, Quirks, Reasoning};
use super::text_calls::{Formats, TextCalls};
use super::TranslateError;
use crate::wire::anthropic::{self, Thinking};
use crate::wire::openai;

/// Where the request goes: the upstream model and what that provider accepts.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub model: &'a str,
    pub quirks: Quirks,
    /// The model's output-token limit, when known.
    pub max_output_tokens: Option<u64>,
    /// The client's session id (Claude Code's `X-Claude-Code-Session-Id`), when it sent one.
    pub session: Option<&'a str>,
}

/// Translates a request; also returns what the response translation needs to know.
pub fn request(
    request: &anthropic::MessagesRequest,
    target: &Target<'_>,
) -> Result<(openai::ChatRequest, Context), TranslateError> {
    let quirks = target.quirks;
    let mut names = ToolNames::default();
    let tools = tools::tools(request, &mut names);
    let mut body = openai::ChatRequest {
        model: target.model.to_string(),
        messages: messages::messages(request, &quirks)?,
        temperature: request.temperature.filter(|_| quirks.sampling),
        top_p: request.top_p.filter(|_| quirks.sampling),
        top_k: request.top_k.filter(|_| quirks.top_k),
        stop: stop_sequences(&request.stop_sequences, &quirks),
        stream: request.stream,
        stream_options: (request.stream && quirks.stream_usage).then_some(openai::StreamOptions {
            include_usage: true,
        }),
        user: user(request, &quirks),
        prompt_cache_key: cache_key(target.session, request).filter(|_| quirks.prompt_cache_key),
        response_format: response_format(request),
        ..Default::default()
    };
    if quirks.cache_control {
        cache_marks::mark(request, &mut body.messages);
    }
    let max_tokens = request.max_tokens.map(|asked| {
        let raised = quirks.min_output_tokens.map_or(asked, |min| asked.max(min));
        target
            .max_output_tokens
            .map_or(raised, |cap| raised.min(cap))
    });
    match quirks.max_tokens_field {
        MaxTokensField::MaxTokens => body.max_tokens = max_tokens,
        MaxTokensField::MaxCompletionTokens => body.max_completion_tokens = max_tokens,
    }
    let mut single_tool_call = false;
    if !tools.is_empty() {
        let (choice, parallel) = tools::tool_choice(
            request.tool_choice.as_ref(),
            |name| json!({"type": "function", "function": {"name": name}}),
        );
        single_tool_call = parallel == Some(false);
        body.tool_choice = choice;
        body.parallel_tool_calls = parallel.filter(|_| quirks.parallel_tool_calls);
        body.tools = tools;
    }
    reasoning(request, &quirks, &mut body);
    let text_formats = match body.tool_choice {
        Some(serde_json::Value::String(ref choice)) if choice == "none" => Formats::NONE,
        _ => quirks.text_tool_calls,
    };
    let context = Context {
        names,
        stop_sequences: request.stop_sequences.clone(),
        model: target.model.to_string(),
        text_calls: TextCalls::offered(text_formats, &body.tools),
        single_tool_call,
        cut_to: request
            .max_tokens
            .filter(|asked| max_tokens.is_some_and(|sent| sent > *asked)),
    };
    Ok((body, context))
}

/// `stop_sequences` → `stop`, cut to what the provider accepts.
fn stop_sequences(stop: &[String], quirks: &Quirks) -> Vec<String> {
    if !quirks.sampling {
        return Vec::new();
    }
    let limit = quirks.max_stop_sequences.unwrap_or(stop.len());
    stop.iter().take(limit).cloned().collect()
}

/// `metadata.user_id` → `user` where accepted. Claude Code sends a JSON string longer than
/// OpenAI's 64-character limit: a longer id is replaced by a stable hash.
fn user(request: &anthropic::MessagesRequest, quirks: &Quirks) -> Option<String> {
    let id = request.metadata.as_ref()?.user_id.as_deref()?;
    if !quirks.user {
        return None;
    }
    super::end_user_id(id)
}

/// `output_config.format` (`json_schema`) → `response_format` (README, "The title side task"): Claude Code asks for
/// structured output in side tasks and expects JSON back.
fn response_format(request: &anthropic::MessagesRequest) -> Option<serde_json::Value> {
    let format = request.output_config.as_ref()?.format.as_ref()?;
    if format.get("type")?.as_str()? != "json_schema" {
        return None;
    }
    let schema = format.get("schema").cloned().unwrap_or_else(|| json!({}));
    Some(json!({"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}))
}

/// What the client asked for: no thinking, thinking (with an effort or a budget), or
/// nothing in particular.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    Unspecified,
    Off,
    On {
        effort: Option<Effort>,
        budget: Option<u64>,
    },
}

pub(crate) fn wanted(request: &anthropic::MessagesRequest) -> Wanted {
    let effort = request
        .output_config
        .as_ref()
        .and_then(|c| c.effort.as_deref())
        .and_then(Effort::parse);
    match request.thinking {
        Some(Thinking::Disabled) => Wanted::Off,
        Some(Thinking::Enabled { budget_tokens }) => Wanted::On {
            effort: effort.or(Some(budget_effort(budget_tokens))),
            budget: Some(budget_tokens),
        },
        Some(Thinking::Adaptive) => Wanted::On {
            effort,
            budget: None,
        },
        _ if effort.is_some() => Wanted::On {
            effort,
            budget: None,
        },
        _ => Wanted::Unspecified,
    }
}

/// A thinking budget as an effort level. Agent clients send budgets in the tens of
/// thousands, so the buckets are wide (docs/translation.md): below 4096 low, below 16384
/// medium, else high.
fn budget_effort(budget: u64) -> Effort {
    match budget {
        0..4096 => Effort::Low,
        4096..16384 => Effort::Medium,
        _ => Effort::High,
    }
}

/// `thinking` / `output_config.effort` → the provider's reasoning control (docs/translation.md, "Thinking and effort").
fn reasoning(
    request: &anthropic::MessagesRequest,
    quirks: &Quirks,
    body: &mut openai::ChatRequest,
) {
    let wanted = wanted(request);
    if quirks.reasoning_format {
        body.reasoning_format = Some(if wanted == Wanted::Off {
            "hidden"
        } else {
            "parsed"
        });
    }
    match (quirks.reasoning, wanted) {
        (Reasoning::Unsupported, _) | (_, Wanted::Unspecified) => {}
        (Reasoning::Effort(ceiling), Wanted::On { effort, .. }) => {
            body.reasoning_effort = effort.map(|e| e.min(ceiling).as_str());
        }
        // A model that always thinks gets its lowest effort rather than an off switch.
        (Reasoning::Effort(_), Wanted::Off) => {
            body.reasoning_effort = quirks.lowest_effort.map(Effort::as_str);
        }
        (Reasoning::LowHighMax, Wanted::On { effort, .. }) => {
            body.reasoning_effort = effort.map(Effort::low_high_max);
        }
        (Reasoning::LowHighMax, Wanted::Off) => {
            body.reasoning_effort = quirks.lowest_effort.map(Effort::low_high_max);
        }
        // api-docs.deepseek.com/guides/thinking_mode: effort is low|high|max.
        (Reasoning::DeepSeek, Wanted::On { effort, .. }) => {
            body.thinking = Some(json!({"type": "enabled"}));
            body.reasoning_effort = effort.map(Effort::low_high_max);
        }
        (Reasoning::DeepSeek, Wanted::Off) => match quirks.lowest_effort {
            Some(lowest) => body.reasoning_effort = Some(lowest.low_high_max()),
            None => body.thinking = Some(json!({"type": "disabled"})),
        },
        // openrouter.ai/docs/use-cases/reasoning-tokens: effort xor max_tokens.
        (Reasoning::OpenRouter, Wanted::On { effort, budget }) => {
            body.reasoning = Some(match (budget, effort) {
                (Some(budget), _) => json!({"max_tokens": budget}),
                (None, Some(effort)) => json!({"effort": effort.min(Effort::XHigh).as_str()}),
                (None, None) => json!({"enabled": true}),
            });
        }
        (Reasoning::OpenRouter, Wanted::Off) => {
            body.reasoning = quirks
                .lowest_effort
                .map(|lowest| json!({"effort": lowest.as_str()}));
        }
    }
}

#[cfg(test)]
mod quirk_tests;
#[cfg(test)]
mod tests;
