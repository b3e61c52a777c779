//! `tools` and `tool_choice` → OpenAI functions (docs/translation.md, "Tools").
//!
//! Deliberate choices (docs/translation.md):
//! - custom tools become functions with only `name`, `description`, `parameters`; the
//!   Anthropic-only keys (`cache_control`, `type: "custom"`, `defer_loading`, `strict`,
//!   `input_examples`, ...) are never copied;
//! - a `defer_loading` tool is sent only once the conversation has referenced it (a
//!   `tool_reference` from a tool search, or an earlier `tool_use`), as Anthropic would have
//!   loaded it then; until then the upstream never sees it;
//! - client-executed Anthropic tools (`bash_*`, `text_editor_*`) get the schema the model
//!   would have had built in; server tools (`web_search_*`, `web_fetch_*`,
//!   `code_execution_*`, `tool_search_*`, ...) cannot run on another provider and are dropped.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::translate::names::{upstream_name, ToolNames};
use crate::wire::anthropic::{self, ContentBlock, MessageContent, ToolChoice, ToolResultContent};
use crate::wire::{openai, RawJson};

pub(crate) fn tools(
    request: &anthropic::MessagesRequest,
    names: &mut ToolNames,
) -> Vec<openai::Tool> {
    let referenced = referenced_tools(request);
    request
        .tools
        .iter()
        .filter_map(|tool| {
            let parameters = parameters(tool)?;
            if tool.defer_loading && !referenced.contains(tool.name.as_str()) {
                return None;
            }
            Some(openai::Tool {
                kind: "function",
                function: openai::FunctionDef {
                    name: names.register(&tool.name),
                    description: tool.description.clone().filter(|d| !d.is_empty()),
                    parameters,
                },
            })
        })
        .collect()
}

/// The JSON schema to send, or `None` for a tool that cannot run upstream: a custom
/// tool's as the client wrote it.
fn parameters(tool: &anthropic::Tool) -> Option<RawJson> {
    let schema = match tool.kind.as_deref() {
        None | Some("custom") => {
            return Some(
                tool.input_schema
                    .clone()
                    .unwrap_or_else(|| RawJson::from(&json!({"type": "object", "properties": {}}))),
            )
        }
        Some(kind) if kind.starts_with("bash_") => json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The shell command to run"},
                "restart": {"type": "boolean", "description": "Restart the shell"}
            }
        }),
        Some(kind) if kind.starts_with("text_editor_") => json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "undo_edit"]},
                "path": {"type": "string"},
                "file_text": {"type": "string"},
                "old_str": {"type": "string"},
                "new_str": {"type": "string"},
                "insert_line": {"type": "integer"},
                "view_range": {"type": "array", "items": {"type": "integer"}}
            },
            "required": ["command", "path"]
        }),
        Some(_) => return None,
    };
    Some(RawJson::from(&schema))
}

/// Tool names the conversation has already used or loaded through a tool search.
fn referenced_tools(request: &anthropic::MessagesRequest) -> HashSet<&str> {
    let mut names = HashSet::new();
    for message in &request.messages {
        let MessageContent::Blocks(blocks) = &message.content else {
            continue;
        };
        for block in blocks {
            match block {
                ContentBlock::ToolUse { name, .. } => {
                    names.insert(name.as_str());
                }
                ContentBlock::ToolResult {
                    content: Some(ToolResultContent::Blocks(inner)),
                    ..
                } => names.extend(inner.iter().filter_map(|b| match b {
                    ContentBlock::ToolReference { tool_name } => Some(tool_name.as_str()),
                    _ => None,
                })),
                _ => {}
            }
        }
    }
    names
}

/// `tool_choice` → (`tool_choice`, `parallel_tool_calls`). Only called with tools.
/// `named` writes the choice of one tool from its upstream name (Chat Completions and the
/// Responses API spell it differently).
pub(crate) fn tool_choice(
    choice: Option<&ToolChoice>,
    named: impl Fn(String) -> Value,
) -> (Option<Value>, Option<bool>) {
    let Some(choice) = choice else {
        return (None, None);
    };
    let (value, disable_parallel) = match choice {
        ToolChoice::Auto {
            disable_parallel_tool_use,
        } => (json!("auto"), *disable_parallel_tool_use),
        ToolChoice::Any {
            disable_parallel_tool_use,
        } => (json!("required"), *disable_parallel_tool_use),
        ToolChoice::Tool {
            name,
            disable_parallel_tool_use,
        } => (named(upstream_name(name)), *disable_parallel_tool_use),
        ToolChoice::None => (json!("none"), false),
    };
    (Some(value), disable_parallel.then_some(false))
}
