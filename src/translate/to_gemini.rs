//! Anthropic Messages request → Gemini `generateContent` request (https://ai.google.dev/api/generate-content). Built
//! field by field, so nothing Anthropic-only (`cache_control`, `metadata`,
//! `context_management`, server tools) reaches Gemini.
//!
//! - `system` and role-`system` messages: `systemInstruction` and user text respectively
//!   (Gemini has no system turn mid-conversation).
//! - Turns: `user`/`model`, consecutive turns of one role merged, empty ones dropped.
//! - `tool_use` → `functionCall` with the thought signature carried in the tool id
//!   ([`super::from_gemini::signature_of`]); the first call of a model turn that has none
//!   gets the documented `skip_thought_signature_validator` sentinel, so Gemini 3 accepts
//!   histories written by other providers.
//! - `tool_result` → `functionResponse` named after its `tool_use` (looked up in the
//!   history), with an object `response`: `{"output": text}` or `{"error": text}`; its images
//!   follow as `inlineData` parts.
//! - `thinking` signed by Gemini → a thought part with its signature; other thinking is
//!   dropped (another provider's reasoning means nothing to Gemini).
//! - Tool schemas cleaned by [`super::gemini_schema`].

use std::collections::HashMap;

use serde_json::{json, Value};

use super::cache_affinity::without_billing_line;
use super::from_gemini::{signature_of, thinking_signature_of};
use super::gemini_schema;
use super::TranslateError;
use crate::wire::anthropic::{
    self, ContentBlock, MediaSource, MessageContent, Role, SystemPrompt, Thinking, ToolChoice,
    ToolResultContent,
};
use crate::wire::gemini::{
    self, Blob, Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration,
    FunctionResponse, GenerationConfig, Part, ThinkingConfig, ToolConfig,
};

/// Accepted by Gemini in place of a thought signature it did not issue (docs/providers.md, "Gemini thought signatures").
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// Gemini takes at most five stop sequences.
const MAX_STOP_SEQUENCES: usize = 5;

/// Translates a request for `model`; `max_output_tokens` is the model's limit when known.
pub fn request(
    request: &anthropic::MessagesRequest,
    max_output_tokens: Option<u64>,
) -> Result<gemini::Request, TranslateError> {
    let names = tool_names(request);
    let mut contents = Vec::new();
    for (index, message) in request.messages.iter().enumerate() {
        let field = |block: usize| format!("messages.{index}.content.{block}");
        let (role, parts) = match message.role {
            Role::Assistant => ("model", model_parts(&message.content)),
            Role::User | Role::System => ("user", user_parts(&message.content, &names, &field)?),
        };
        push(&mut contents, role, parts);
    }
    let tools = declarations(request);
    Ok(gemini::Request {
        contents,
        system_instruction: request.system.as_ref().and_then(system),
        tool_config: (!tools.is_empty())
            .then(|| tool_config(request.tool_choice.as_ref()))
            .flatten(),
        tools: if tools.is_empty() {
            Vec::new()
        } else {
            vec![gemini::Tool {
                function_declarations: tools,
            }]
        },
        generation_config: Some(generation_config(request, max_output_tokens)),
    })
}

/// Tool ids → tool names, from every `tool_use` in the history.
fn tool_names(request: &anthropic::MessagesRequest) -> HashMap<&str, &str> {
    let mut names = HashMap::new();
    for message in &request.messages {
        if let MessageContent::Blocks(blocks) = &message.content {
            for block in blocks {
                if let ContentBlock::ToolUse { id, name, .. } = block {
                    names.insert(id.as_str(), name.as_str());
                }
            }
        }
    }
    names
}

fn system(system: &SystemPrompt) -> Option<Content> {
    let parts: Vec<Part> = match system {
        SystemPrompt::Text(text) => vec![text_part(without_billing_line(text))],
        SystemPrompt::Blocks(blocks) => blocks
            .iter()
            .map(|b| text_part(without_billing_line(&b.text)))
            .collect(),
    };
    let parts: Vec<Part> = parts
        .into_iter()
        .filter(|p| p.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
        .collect();
    (!parts.is_empty()).then_some(Content { role: None, parts })
}

fn text_part(text: &str) -> Part {
    Part {
        text: Some(text.to_string()),
        ..Part::default()
    }
}

/// Appends a turn, merging it into the previous one of the same role.
fn push(contents: &mut Vec<Content>, role: &str, parts: Vec<Part>) {
    if parts.is_empty() {
        return;
    }
    match contents.last_mut() {
        Some(last) if last.role.as_deref() == Some(role) => last.parts.extend(parts),
        _ => contents.push(Content {
            role: Some(role.to_string()),
            parts,
        }),
    }
}

fn model_parts(content: &MessageContent) -> Vec<Part> {
    let blocks = match content {
        MessageContent::Text(text) => return non_empty_text(text).into_iter().collect(),
        MessageContent::Blocks(blocks) => blocks,
    };
    let mut parts = Vec::new();
    let mut first_call = true;
    for block in blocks {
        match block {
            ContentBlock::Text { text, .. } => parts.extend(non_empty_text(text)),
            ContentBlock::Thinking {
                thinking,
                signature,
            } => {
                if let Some(signature) = thinking_signature_of(signature) {
                    parts.push(Part {
                        text: Some(thinking.clone()),
                        thought: true,
                        thought_signature: Some(signature),
                        ..Part::default()
                    });
                }
            }
            ContentBlock::ToolUse { id, name, input } => {
                let signature =
                    signature_of(id).or_else(|| first_call.then(|| SKIP_SIGNATURE.to_string()));
                first_call = false;
                parts.push(Part {
                    function_call: Some(FunctionCall {
                        name: name.clone(),
                        args: Some(object(input)),
                    }),
                    thought_signature: signature,
                    ..Part::default()
                });
            }
            _ => {}
        }
    }
    parts
}

fn non_empty_text(text: &str) -> Option<Part> {
    (!text.trim().is_empty()).then(|| text_part(text))
}

/// Tool input as an object (Gemini's `args` is a Struct).
fn object(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        Value::Null => json!({}),
        other => json!({"value": other}),
    }
}

fn user_parts(
    content: &MessageContent,
    names: &HashMap<&str, &str>,
    field: &dyn Fn(usize) -> String,
) -> Result<Vec<Part>, TranslateError> {
    let blocks = match content {
        MessageContent::Text(text) => return Ok(non_empty_text(text).into_iter().collect()),
        MessageContent::Blocks(blocks) => blocks,
    };
    // Function responses first: they answer the previous model turn's calls.
    let mut responses = Vec::new();
    let mut others = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        match block {
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
                ..
            } => {
                let name = names.get(tool_use_id.as_str()).copied().unwrap_or("tool");
                let (text, images) = tool_result(content.as_ref(), &|| field(index))?;
                let key = if *is_error { "error" } else { "output" };
                responses.push(Part {
                    function_response: Some(FunctionResponse {
                        name: name.to_string(),
                        response: json!({ key: text }),
                    }),
                    ..Part::default()
                });
                others.extend(images);
            }
            other => others.extend(media_part(other, &|| field(index))?),
        }
    }
    responses.extend(others);
    Ok(responses)
}

/// A tool result's text and its images.
fn tool_result(
    content: Option<&ToolResultContent>,
    field: &dyn Fn() -> String,
) -> Result<(String, Vec<Part>), TranslateError> {
    let mut images = Vec::new();
    let text = super::tool_result_text(content, |block, _| {
        images.extend(media_part(block, field)?);
        Ok(())
    })?;
    Ok((text, images))
}

/// A user block other than a tool result, as a part (none for what Gemini cannot take).
fn media_part(
    block: &ContentBlock,
    field: &dyn Fn() -> String,
) -> Result<Option<Part>, TranslateError> {
    Ok(match block {
        ContentBlock::Text { text, .. } => non_empty_text(text),
        ContentBlock::Image { source } | ContentBlock::Document { source, .. } => {
            Some(media(source, field)?)
        }
        ContentBlock::SearchResult { source, title, .. } => {
            Some(text_part(&format!("{title} ({source})")))
        }
        _ => None,
    })
}

fn media(source: &MediaSource, field: &dyn Fn() -> String) -> Result<Part, TranslateError> {
    Ok(match source {
        MediaSource::Base64 { media_type, data } => Part {
            inline_data: Some(Blob {
                mime_type: media_type.clone(),
                data: data.clone(),
            }),
            ..Part::default()
        },
        // Gemini fetches Files-API and Cloud Storage URIs itself (translation does no I/O).
        MediaSource::Url { url } => Part {
            file_data: Some(FileData {
                mime_type: None,
                file_uri: url.clone(),
            }),
            ..Part::default()
        },
        MediaSource::Text { data, .. } => text_part(data),
        MediaSource::Content { content } => text_part(&tool_result(Some(content), field)?.0),
        MediaSource::Other => {
            return Err(TranslateError::Unsupported {
                field: format!("{}.source", field()),
                reason: "this media source type cannot be sent to Gemini".into(),
            })
        }
    })
}

/// Custom tools as function declarations; Anthropic-defined tools (web search, bash, ...)
/// have no Gemini equivalent here and are left out.
fn declarations(request: &anthropic::MessagesRequest) -> Vec<FunctionDeclaration> {
    request
        .tools
        .iter()
        .filter(|tool| tool.kind.as_deref().is_none_or(|kind| kind == "custom"))
        .map(|tool| FunctionDeclaration {
            name: tool.name.clone(),
            description: tool.description.clone().unwrap_or_default(),
            parameters: tool
                .input_schema
                .as_ref()
                .and_then(|schema| gemini_schema::parameters(&schema.value())),
        })
        .collect()
}

fn tool_config(choice: Option<&ToolChoice>) -> Option<ToolConfig> {
    let (mode, allowed) = match choice? {
        ToolChoice::Auto { .. } => ("AUTO", Vec::new()),
        ToolChoice::Any { .. } => ("ANY", Vec::new()),
        ToolChoice::Tool { name, .. } => ("ANY", vec![name.clone()]),
        ToolChoice::None => ("NONE", Vec::new()),
    };
    Some(ToolConfig {
        function_calling_config: FunctionCallingConfig {
            mode,
            allowed_function_names: allowed,
        },
    })
}

fn generation_config(
    request: &anthropic::MessagesRequest,
    max_output_tokens: Option<u64>,
) -> GenerationConfig {
    let format = request
        .output_config
        .as_ref()
        .and_then(|c| c.format.as_ref())
        .filter(|f| f.get("type").and_then(Value::as_str) == Some("json_schema"));
    GenerationConfig {
        max_output_tokens: request
            .max_tokens
            .map(|asked| max_output_tokens.map_or(asked, |cap| asked.min(cap))),
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: request.top_k,
        stop_sequences: request
            .stop_sequences
            .iter()
            .take(MAX_STOP_SEQUENCES)
            .cloned()
            .collect(),
        response_mime_type: format.map(|_| "application/json"),
        response_json_schema: format.and_then(|f| f.get("schema").cloned()),
        thinking_config: thinking(request.thinking.as_ref()),
    }
}

/// An explicit budget is sent as asked; adaptive thinking lets the model decide. Thoughts
/// are asked for in both cases so they come back as thinking blocks. Without a request for
/// thinking the model's default applies (some Gemini models cannot turn it off).
fn thinking(thinking: Option<&Thinking>) -> Option<ThinkingConfig> {
    match thinking? {
        Thinking::Enabled { budget_tokens } => Some(ThinkingConfig {
            thinking_budget: Some(*budget_tokens),
            include_thoughts: true,
        }),
        Thinking::Adaptive => Some(ThinkingConfig {
            thinking_budget: None,
            include_thoughts: true,
        }),
        Thinking::Disabled | Thinking::Other => None,
    }
}

#[cfg(test)]
mod tests;
