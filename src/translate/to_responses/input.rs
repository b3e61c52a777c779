//! Anthropic `messages` → Responses `input` items (docs/translation.md, "Responses API").
//!
//! Each Anthropic message becomes items in its own block order:
//! - user text, images and documents → one `message` (role `user`) of `input_*` parts,
//!   after the `function_call_output` items of the message's `tool_result` blocks (images in
//!   a tool result stay inside its output, which takes parts);
//! - assistant text → `message` (role `assistant`, a string); `tool_use` → `function_call`
//!   with the block's id as `call_id`, so the result's `tool_use_id` pairs with it; a
//!   `thinking` block that carries one of our reasoning signatures → the `reasoning` item it
//!   came from (id, summary, encrypted content), in its place; any other thinking (another
//!   provider's, Anthropic's, an empty signature) is dropped;
//! - role-`system` messages (Claude Code's per-turn guidance) → a `developer` message in place.

use crate::translate::from_responses::reasoning_of;
use crate::translate::names::upstream_name;
use crate::translate::quirks::Quirks;
use crate::translate::to_openai::messages::{arguments_text, joined_text, user_parts};
use crate::translate::TranslateError;
use crate::wire::anthropic::{self, ContentBlock, MessageContent, Role, ToolResultContent};
use crate::wire::openai::Part;
use crate::wire::responses::{
    CallOutput, InputItem, InputPart, InputRole, MessageContent as Content, SummaryText,
};

/// The Chat Completions part builders are reused with the switches the Responses API
/// meets: it reads base64 PDFs as `input_file`.
const PARTS: Quirks = Quirks {
    pdf_files: true,
    ..Quirks::generic()
};

pub(super) fn input(
    request: &anthropic::MessagesRequest,
) -> Result<Vec<InputItem>, TranslateError> {
    let mut out = Vec::with_capacity(request.messages.len());
    for (index, message) in request.messages.iter().enumerate() {
        let owned;
        let blocks: &[ContentBlock] = match &message.content {
            MessageContent::Text(text) => {
                owned = [ContentBlock::Text {
                    text: text.clone(),
                    cache_control: None,
                }];
                &owned
            }
            MessageContent::Blocks(blocks) => blocks,
        };
        match message.role {
            Role::System => {
                let text = joined_text(blocks);
                if !text.is_empty() {
                    out.push(message_item(InputRole::Developer, Content::Text(text)));
                }
            }
            Role::Assistant => assistant(&mut out, blocks),
            Role::User => user(&mut out, blocks, index)?,
        }
    }
    Ok(out)
}

fn message_item(role: InputRole, content: Content) -> InputItem {
    InputItem::Message { role, content }
}

fn assistant(out: &mut Vec<InputItem>, blocks: &[ContentBlock]) {
    let mut text: Vec<&str> = Vec::new();
    let flush = |out: &mut Vec<InputItem>, text: &mut Vec<&str>| {
        if !text.is_empty() {
            let joined = text.join("\n");
            text.clear();
            out.push(message_item(InputRole::Assistant, Content::Text(joined)));
        }
    };
    for block in blocks {
        match block {
            ContentBlock::Text { text: t, .. } if !t.is_empty() => text.push(t),
            ContentBlock::Thinking {
                thinking,
                signature,
            } => {
                let Some((id, encrypted_content)) = reasoning_of(signature) else {
                    continue;
                };
                flush(out, &mut text);
                let summary = if thinking.is_empty() {
                    Vec::new()
                } else {
                    vec![SummaryText::new(thinking.clone())]
                };
                out.push(InputItem::Reasoning {
                    id,
                    summary,
                    encrypted_content,
                });
            }
            ContentBlock::ToolUse { id, name, input } => {
                flush(out, &mut text);
                out.push(InputItem::FunctionCall {
                    call_id: id.clone(),
                    name: upstream_name(name),
                    arguments: arguments_text(input),
                });
            }
            // Redacted thinking, server tool history, unknown blocks: nothing to give back.
            _ => {}
        }
    }
    flush(out, &mut text);
}

fn user(
    out: &mut Vec<InputItem>,
    blocks: &[ContentBlock],
    index: usize,
) -> Result<(), TranslateError> {
    let mut parts = Vec::new();
    for (position, block) in blocks.iter().enumerate() {
        let field = || format!("messages[{index}].content[{position}]");
        match block {
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
                ..
            } => out.push(InputItem::FunctionCallOutput {
                call_id: tool_use_id.clone(),
                output: tool_output(content.as_ref(), *is_error, &field)?,
            }),
            other => parts.extend(user_parts(other, &PARTS, &field)?.into_iter().map(part)),
        }
    }
    if !parts.is_empty() {
        out.push(message_item(InputRole::User, Content::Parts(parts)));
    }
    Ok(())
}

/// A `tool_result`'s content as a `function_call_output`: its text (prefixed `Error: ` for
/// an error, `(no output)` when empty), with any images after it as parts.
fn tool_output(
    content: Option<&ToolResultContent>,
    is_error: bool,
    field: &dyn Fn() -> String,
) -> Result<CallOutput, TranslateError> {
    let mut media = Vec::new();
    let text = crate::translate::tool_result_text(content, |block, texts| {
        for piece in user_parts(block, &PARTS, field)? {
            match piece {
                Part::Text { text } => texts.push(text),
                other => media.push(part(other)),
            }
        }
        Ok(())
    })?;
    let text = if text.trim().is_empty() && media.is_empty() {
        "(no output)".to_string()
    } else {
        text
    };
    let text = if is_error {
        format!("Error: {text}")
    } else {
        text
    };
    if media.is_empty() {
        return Ok(CallOutput::Text(text));
    }
    let mut parts = Vec::with_capacity(media.len() + 1);
    if !text.is_empty() {
        parts.push(InputPart::Text { text });
    }
    parts.extend(media);
    Ok(CallOutput::Parts(parts))
}

fn part(part: Part) -> InputPart {
    match part {
        Part::Text { text } | Part::CachedText { text, .. } => InputPart::Text { text },
        Part::ImageUrl { image_url } => InputPart::Image {
            image_url: image_url.url,
            detail: "auto",
        },
        Part::File { file } => InputPart::File {
            filename: file.filename,
            file_data: file.file_data,
        },
    }
}
