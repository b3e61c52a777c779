//! Anthropic Messages request → OpenAI Responses request (docs/translation.md, "Responses
//! API"). Built field by field from what the client sent, so nothing Anthropic-only
//! (`cache_control`, `context_management`, `metadata` beyond the user id, `thinking`,
//! `output_config`, `stop_sequences`, betas) reaches the upstream. `store` is always
//! `false`; a reasoning model is asked for its encrypted reasoning
//! (`include: ["reasoning.encrypted_content"]`), which comes back to the client inside the
//! thinking block's signature and returns here on the next turn ([`input`]).

mod input;
mod strict;

use serde_json::json;

use super::cache_affinity::cache_key;
use super::from_responses::Context;
use super::names::ToolNames;
use super::quirks::{has_xhigh, openai_reasoning_model, Effort, REASONING_MIN_OUTPUT_TOKENS};
use super::to_openai::messages::system_text;
use super::to_openai::{tools, wanted, Wanted};
use super::TranslateError;
use crate::wire::anthropic;
use crate::wire::responses::{self, ReasoningConfig, TextConfig, Tool};

pub use strict::fits_strict_mode;

/// The smallest `max_output_tokens` the Responses API accepts.
const MIN_OUTPUT_TOKENS: u64 = 16;

/// Where the request goes.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub model: &'a str,
    /// The model's output-token limit, when known.
    pub max_output_tokens: Option<u64>,
    /// The client's session id (Claude Code's `X-Claude-Code-Session-Id`), when it sent one.
    pub session: Option<&'a str>,
}

/// Translates a request; also returns what the answer's translation needs.
pub fn request(
    request: &anthropic::MessagesRequest,
    target: &Target<'_>,
) -> Result<(responses::Request, Context), TranslateError> {
    let model = target.model;
    let reasoning_model = openai_reasoning_model(model);
    let mut names = ToolNames::default();
    let tools: Vec<Tool> = tools::tools(request, &mut names)
        .into_iter()
        .map(|tool| Tool {
            kind: "function",
            strict: fits_strict_mode(&tool.function.parameters.value()),
            name: tool.function.name,
            description: tool.function.description,
            parameters: tool.function.parameters,
        })
        .collect();
    let user_id = request
        .metadata
        .as_ref()
        .and_then(|m| m.user_id.as_deref())
        .filter(|id| !id.is_empty());
    // Reasoning models get room to reason (`Quirks::min_output_tokens`), every model the
    // API's minimum; the answer is cut back to what the client asked for.
    let max_output_tokens = request.max_tokens.map(|asked| {
        let raised = match reasoning_model {
            true => asked.max(REASONING_MIN_OUTPUT_TOKENS),
            false => asked,
        };
        let capped = target
            .max_output_tokens
            .map_or(raised, |cap| raised.min(cap));
        capped.max(MIN_OUTPUT_TOKENS)
    });
    let mut body = responses::Request {
        model: model.to_string(),
        instructions: request
            .system
            .as_ref()
            .map(system_text)
            .filter(|s| !s.is_empty()),
        input: input::input(request)?,
        max_output_tokens,
        // Reasoning models take only their default sampling.
        temperature: request.temperature.filter(|_| !reasoning_model),
        top_p: request.top_p.filter(|_| !reasoning_model),
        reasoning: reasoning_model.then(|| reasoning(request, model)).flatten(),
        text: text_format(request),
        store: false,
        include: if reasoning_model {
            vec!["reasoning.encrypted_content"]
        } else {
            Vec::new()
        },
        stream: request.stream,
        prompt_cache_key: cache_key(target.session, request),
        safety_identifier: user_id.and_then(super::end_user_id),
        ..Default::default()
    };
    if !tools.is_empty() {
        let (choice, parallel) = tools::tool_choice(
            request.tool_choice.as_ref(),
            |name| json!({"type": "function", "name": name}),
        );
        body.tool_choice = choice;
        body.parallel_tool_calls = parallel;
        body.tools = tools;
    }
    let context = Context {
        names,
        model: model.to_string(),
        cut_to: request
            .max_tokens
            .filter(|asked| max_output_tokens.is_some_and(|sent| sent > *asked)),
    };
    Ok((body, context))
}

/// `thinking` / `output_config.effort` → `reasoning`; `summary: "auto"` so that thinking
/// comes back as text. Thinking turned off sends nothing (the model's default effort:
/// models before gpt-5.1 do not accept `none`).
fn reasoning(request: &anthropic::MessagesRequest, model: &str) -> Option<ReasoningConfig> {
    let effort = match wanted(request) {
        Wanted::Off => return None,
        Wanted::Unspecified => None,
        Wanted::On { effort, .. } => effort,
    };
    Some(ReasoningConfig {
        effort: effort.map(|effort| effort_name(effort, model)),
        summary: Some("auto"),
    })
}

/// An effort as the model takes it: `max` and `xhigh` are `xhigh` where the model has it
/// ("xhigh is supported for all models after gpt-5.1-codex-max", openai-python
/// `shared/reasoning_effort.py`), else `high`.
fn effort_name(effort: Effort, model: &str) -> &'static str {
    match effort {
        Effort::XHigh | Effort::Max if has_xhigh(model) => "xhigh",
        Effort::XHigh | Effort::Max => "high",
        other => other.as_str(),
    }
}

/// `output_config.format` (`json_schema`) → `text.format`, strict only when the schema
/// meets strict mode's rules.
fn text_format(request: &anthropic::MessagesRequest) -> Option<TextConfig> {
    let format = request.output_config.as_ref()?.format.as_ref()?;
    if format.get("type")?.as_str()? != "json_schema" {
        return None;
    }
    let schema = format.get("schema").cloned().unwrap_or_else(|| json!({}));
    Some(TextConfig {
        format: json!({
            "type": "json_schema",
            "name": "response",
            "strict": fits_strict_mode(&schema),
            "schema": schema,
        }),
    })
}

#[cfg(test)]
mod tests;
