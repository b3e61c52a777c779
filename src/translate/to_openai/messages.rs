//! Anthropic `system` and `messages` → OpenAI messages (docs/translation.md, "Messages").
//!
//! One Anthropic message may become several OpenAI messages: the `tool_result` blocks of a
//! user message become `role: "tool"` messages placed first (right after the assistant
//! message with the `tool_calls`), and the rest of that user message (text, images, and
//! images that were inside the tool results, which tool messages cannot carry) follows as
//! one user message. Empty text is dropped, empty messages are dropped, and consecutive
//! messages of the same role are merged, as the Anthropic API itself does.

use crate::translate::cache_affinity::without_billing_line;
use crate::translate::names::{nine_alphanumeric_id, tool_id, upstream_name};
use crate::translate::quirks::Quirks;
use crate::translate::TranslateError;
use crate::wire::anthropic::{
    self, ContentBlock, MediaSource, MessageContent, Role, SystemPrompt, ToolResultContent,
};
use crate::wire::openai::{self, ChatMessage, Content, Part};

pub(super) fn messages(
    request: &anthropic::MessagesRequest,
    quirks: &Quirks,
) -> Result<Vec<ChatMessage>, TranslateError> {
    let mut out = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_ref().map(system_text) {
        push_text(&mut out, openai::Role::System, system);
    }
    for (index, message) in request.messages.iter().enumerate() {
        let blocks = match &message.content {
            MessageContent::Text(text) => vec![ContentBlock::Text {
                text: text.clone(),
                cache_control: None,
            }],
            MessageContent::Blocks(blocks) => blocks.clone(),
        };
        match message.role {
            // Claude Code's per-turn guidance: a system message at that position.
            Role::System => push_text(&mut out, openai::Role::System, joined_text(&blocks)),
            Role::Assistant => assistant(&mut out, &blocks, quirks),
            Role::User => user(&mut out, &blocks, quirks, index)?,
        }
    }
    if quirks.assistant_between_tool_and_user {
        separate_tool_from_user(&mut out);
    }
    Ok(out)
}

/// Mistral refuses `user` right after `tool` ("Unexpected role 'user' after role 'tool'"):
/// a short assistant turn goes between them.
fn separate_tool_from_user(out: &mut Vec<ChatMessage>) {
    let mut index = 1;
    while index < out.len() {
        if out[index - 1].role == openai::Role::Tool && out[index].role == openai::Role::User {
            let bridge = Content::Text("(tool results received)".to_string());
            out.insert(index, ChatMessage::new(openai::Role::Assistant, bridge));
        }
        index += 1;
    }
}

/// The id of a tool call as this provider wants it.
fn call_id(id: &str, quirks: &Quirks) -> String {
    if quirks.nine_character_tool_ids {
        nine_alphanumeric_id(id)
    } else {
        tool_id(id)
    }
}

/// `system` as one string: blocks joined by a blank line, since several compatible servers
/// reject array content in system messages.
/// The system prompt as one text, without Claude Code's volatile billing line
/// ([`without_billing_line`]).
pub(crate) fn system_text(system: &SystemPrompt) -> String {
    match system {
        SystemPrompt::Text(text) => without_billing_line(text).to_string(),
        SystemPrompt::Blocks(blocks) => blocks
            .iter()
            .map(|b| without_billing_line(&b.text))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

pub(crate) fn joined_text(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text, .. } if !text.is_empty() => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn push_text(out: &mut Vec<ChatMessage>, role: openai::Role, text: String) {
    if !text.is_empty() {
        push(out, ChatMessage::new(role, Content::Text(text)));
    }
}

/// Appends a message, merging it into the previous one when both have the same role
/// (tool messages excepted: each answers its own call).
fn push(out: &mut Vec<ChatMessage>, message: ChatMessage) {
    let Some(last) = out.last_mut() else {
        out.push(message);
        return;
    };
    if last.role != message.role || message.role == openai::Role::Tool {
        out.push(message);
        return;
    }
    last.content = match (last.content.take(), message.content) {
        (Some(Content::Text(a)), Some(Content::Text(b))) => {
            Some(Content::Text(format!("{a}\n\n{b}")))
        }
        (Some(a), Some(b)) => Some(Content::Parts([parts(a), parts(b)].concat())),
        (a, b) => a.or(b),
    };
    last.tool_calls.extend(message.tool_calls);
    if let Some(reasoning) = message.reasoning_content {
        last.reasoning_content
            .get_or_insert_with(String::new)
            .push_str(&reasoning);
    }
}

fn parts(content: Content) -> Vec<Part> {
    match content {
        Content::Text(text) => vec![Part::Text { text }],
        Content::Parts(parts) => parts,
    }
}

/// Text only → one string; anything else → parts.
fn content(parts: Vec<Part>) -> Option<Content> {
    if parts.is_empty() {
        return None;
    }
    if parts.iter().all(|p| matches!(p, Part::Text { .. })) {
        let texts: Vec<String> = parts
            .into_iter()
            .filter_map(|p| match p {
                Part::Text { text } => Some(text),
                _ => None,
            })
            .collect();
        return Some(Content::Text(texts.join("\n")));
    }
    Some(Content::Parts(parts))
}

fn assistant(out: &mut Vec<ChatMessage>, blocks: &[ContentBlock], quirks: &Quirks) {
    let mut text = Vec::new();
    let mut thinking = String::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text { text: t, .. } if !t.is_empty() => text.push(t.as_str()),
            ContentBlock::Thinking { thinking: t, .. } => thinking.push_str(t),
            ContentBlock::ToolUse { id, name, input } => tool_calls.push(openai::ToolCall {
                id: call_id(id, quirks),
                kind: "function".to_string(),
                function: openai::FunctionCall {
                    name: upstream_name(name),
                    arguments: arguments_text(input),
                },
            }),
            // Redacted thinking, server tool history, unknown blocks: nothing the upstream
            // can read.
            _ => {}
        }
    }
    if text.is_empty() && tool_calls.is_empty() {
        return;
    }
    // DeepSeek thinking mode: a tool-call turn without its reasoning_content is a 400
    // (api-docs.deepseek.com/guides/thinking_mode); the key is sent even when empty.
    let reasoning_content =
        (quirks.replay_reasoning_content && !tool_calls.is_empty()).then_some(thinking);
    push(
        out,
        ChatMessage {
            role: openai::Role::Assistant,
            content: (!text.is_empty()).then(|| Content::Text(text.join("\n"))),
            tool_calls,
            tool_call_id: None,
            reasoning_content,
        },
    );
}

/// A `tool_use` input as the arguments string of a call (`{}` for a missing input).
pub(crate) fn arguments_text(input: &serde_json::Value) -> String {
    if input.is_null() {
        "{}".to_string()
    } else {
        input.to_string()
    }
}

fn user(
    out: &mut Vec<ChatMessage>,
    blocks: &[ContentBlock],
    quirks: &Quirks,
    index: usize,
) -> Result<(), TranslateError> {
    let mut rest = Vec::new();
    let mut moved_images = Vec::new();
    for (position, block) in blocks.iter().enumerate() {
        let field = || format!("messages[{index}].content[{position}]");
        match block {
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
                ..
            } => {
                let text = tool_result_text(
                    content.as_ref(),
                    *is_error,
                    &mut moved_images,
                    quirks,
                    &field,
                )?;
                let mut message = ChatMessage::new(openai::Role::Tool, Content::Text(text));
                message.tool_call_id = Some(call_id(tool_use_id, quirks));
                push(out, message);
            }
            other => rest.extend(user_parts(other, quirks, &field)?),
        }
    }
    rest.extend(moved_images);
    if let Some(content) = content(rest) {
        push(out, ChatMessage::new(openai::Role::User, content));
    }
    Ok(())
}

/// A `tool_result`'s content as the tool message's string (docs/translation.md, "Tools").
fn tool_result_text(
    content: Option<&ToolResultContent>,
    is_error: bool,
    moved_images: &mut Vec<Part>,
    quirks: &Quirks,
    field: &dyn Fn() -> String,
) -> Result<String, TranslateError> {
    let text = crate::translate::tool_result_text(content, |block, texts| {
        for part in user_parts(block, quirks, field)? {
            match part {
                Part::Text { text } => texts.push(text),
                image => {
                    texts.push("[image attached below]".to_string());
                    moved_images.push(image);
                }
            }
        }
        Ok(())
    })?;
    // Some providers reject an empty tool message; say so instead.
    let text = if text.trim().is_empty() {
        "(no output)".to_string()
    } else {
        text
    };
    Ok(if is_error {
        format!("Error: {text}")
    } else {
        text
    })
}

/// A user content block as OpenAI parts (none for blocks with nothing to send).
pub(crate) fn user_parts(
    block: &ContentBlock,
    quirks: &Quirks,
    field: &dyn Fn() -> String,
) -> Result<Vec<Part>, TranslateError> {
    Ok(match block {
        ContentBlock::Text { text, .. } if !text.is_empty() => {
            vec![Part::Text { text: text.clone() }]
        }
        ContentBlock::Image { source } => vec![image(source, field)?],
        ContentBlock::Document {
            source,
            title,
            context,
        } => document(source, title.as_deref(), context.as_deref(), quirks, field)?,
        ContentBlock::SearchResult {
            source,
            title,
            content,
        } => vec![Part::Text {
            text: format!("{title} ({source}):\n{}", joined_text(content)),
        }],
        _ => Vec::new(),
    })
}

fn image(source: &MediaSource, field: &dyn Fn() -> String) -> Result<Part, TranslateError> {
    let url = match source {
        MediaSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        MediaSource::Url { url } => url.clone(),
        _ => {
            return Err(TranslateError::Unsupported {
                field: field(),
                reason: "an image source must be base64 or url".into(),
            })
        }
    };
    Ok(Part::ImageUrl {
        image_url: openai::ImageUrl { url },
    })
}

/// Documents (docs/translation.md): text and content documents become text; a base64 PDF
/// becomes a `file` part for providers that read PDFs; anything else is refused with a 400
/// rather than silently dropped.
fn document(
    source: &MediaSource,
    title: Option<&str>,
    context: Option<&str>,
    quirks: &Quirks,
    field: &dyn Fn() -> String,
) -> Result<Vec<Part>, TranslateError> {
    let heading: String = [title, context]
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .map(|t| format!("{t}\n"))
        .collect();
    let unsupported = |reason: &str| TranslateError::Unsupported {
        field: field(),
        reason: reason.to_string(),
    };
    match source {
        MediaSource::Text { data, .. } => Ok(vec![Part::Text {
            text: format!("{heading}{data}"),
        }]),
        MediaSource::Content { content } => {
            let mut parts = vec![Part::Text { text: heading }];
            if let ToolResultContent::Text(text) = content {
                parts.push(Part::Text { text: text.clone() });
            }
            if let ToolResultContent::Blocks(blocks) = content {
                for block in blocks {
                    parts.extend(user_parts(block, quirks, field)?);
                }
            }
            parts.retain(|p| !matches!(p, Part::Text { text } if text.is_empty()));
            Ok(parts)
        }
        MediaSource::Base64 { media_type, data } if media_type == "application/pdf" => {
            if !quirks.pdf_files {
                return Err(unsupported(
                    "this provider cannot read PDF documents; send the document's text as a \
                     text document instead",
                ));
            }
            Ok(vec![Part::File {
                file: openai::FileData {
                    filename: title.unwrap_or("document.pdf").to_string(),
                    file_data: format!("data:application/pdf;base64,{data}"),
                },
            }])
        }
        MediaSource::Url { .. } => Err(unsupported(
            "ccproxy does not fetch document URLs; send the document as base64 or text",
        )),
        _ => Err(unsupported("unsupported document source")),
    }
}
