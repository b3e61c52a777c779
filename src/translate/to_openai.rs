//! Anthropic Messages request → OpenAI Chat Completions request (protocols.md §7.1–§7.2).

use crate::wire::anthropic::{self, ContentBlock, MessageContent, Role, SystemPrompt};
use crate::wire::openai;

/// Translates a request for `model` (the route's model, not the client's).
pub fn request(request: &anthropic::MessagesRequest, model: &str) -> openai::ChatRequest {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = system_text(request.system.as_ref()) {
        messages.push(openai::ChatMessage {
            role: "system",
            content: system,
        });
    }
    for message in &request.messages {
        let text = content_text(&message.content);
        if text.is_empty() {
            continue;
        }
        messages.push(openai::ChatMessage {
            role: role(message.role),
            content: text,
        });
    }
    openai::ChatRequest {
        model: model.to_string(),
        messages,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        stop: request.stop_sequences.clone(),
        stream: false,
    }
}

fn role(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    }
}

/// `system` as one string: blocks are joined with a blank line, since several compatible
/// servers reject array content for system messages (§7.1).
fn system_text(system: Option<&SystemPrompt>) -> Option<String> {
    let text = match system? {
        SystemPrompt::Text(text) => text.clone(),
        SystemPrompt::Blocks(blocks) => blocks
            .iter()
            .map(|b| b.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    (!text.is_empty()).then_some(text)
}

fn content_text(content: &MessageContent) -> String {
    match content {
        MessageContent::Text(text) => text.clone(),
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text { text } if !text.is_empty() => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> anthropic::MessagesRequest {
        serde_json::from_value(value).expect("valid request")
    }

    #[test]
    fn system_blocks_become_one_system_message() {
        let request = parse(json!({
            "model": "claude", "max_tokens": 10,
            "system": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
            "messages": [{"role": "user", "content": "hi"}]
        }));
        let out = serde_json::to_value(super::request(&request, "kimi")).expect("serialises");
        assert_eq!(
            out,
            json!({"model": "kimi", "max_tokens": 10, "messages": [
                {"role": "system", "content": "A\n\nB"},
                {"role": "user", "content": "hi"}
            ]})
        );
    }

    #[test]
    fn empty_text_blocks_are_dropped() {
        let request = parse(json!({
            "model": "claude",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": ""}]},
                {"role": "user", "content": [{"type": "text", "text": "real"}]}
            ]
        }));
        let out = super::request(&request, "m");
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.messages[0].content, "real");
    }
}
