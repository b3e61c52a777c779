//! The client's prompt-cache breakpoints for the upstreams that take them as Anthropic-style
//! `cache_control` on text parts (OpenRouter's Anthropic and Gemini models,
//! https://openrouter.ai/docs/features/prompt-caching; `Quirks::cache_control`). Messages
//! are merged and split on the way to OpenAI's shape, so the breakpoints go where the
//! prefixes they mark end: one on the system message when a system block had one, one on the
//! last message when the client's last message had one (Claude Code marks its system prompt
//! and its latest turn). Anthropic takes at most four; this places at most two.

use crate::wire::anthropic::{self, CacheControl, ContentBlock, MessageContent, SystemPrompt};
use crate::wire::openai::{ChatMessage, Content, Part, Role};

/// Marks `messages` (the translation of `request`) with the client's breakpoints.
pub(super) fn mark(request: &anthropic::MessagesRequest, messages: &mut [ChatMessage]) {
    if let Some(mark) = system_mark(request) {
        if let Some(system) = messages.first_mut().filter(|m| m.role == Role::System) {
            set(system, mark);
        }
    }
    if let Some(mark) = last_turn_mark(request) {
        if let Some(last) = messages.last_mut() {
            set(last, mark);
        }
    }
}

fn system_mark(request: &anthropic::MessagesRequest) -> Option<CacheControl> {
    match request.system.as_ref()? {
        SystemPrompt::Blocks(blocks) => blocks.iter().rev().find_map(|b| b.cache_control.clone()),
        SystemPrompt::Text(_) => None,
    }
}

fn last_turn_mark(request: &anthropic::MessagesRequest) -> Option<CacheControl> {
    let MessageContent::Blocks(blocks) = &request.messages.last()?.content else {
        return None;
    };
    blocks.iter().rev().find_map(|block| match block {
        ContentBlock::Text { cache_control, .. }
        | ContentBlock::ToolResult { cache_control, .. } => cache_control.clone(),
        _ => None,
    })
}

/// Puts `mark` on the message's last text part (its text becomes one such part).
fn set(message: &mut ChatMessage, mark: CacheControl) {
    let mut parts = match message.content.take() {
        Some(Content::Text(text)) => vec![Part::Text { text }],
        Some(Content::Parts(parts)) => parts,
        None => return,
    };
    if let Some(last) = parts
        .iter_mut()
        .rev()
        .find(|part| matches!(part, Part::Text { .. }))
    {
        if let Part::Text { text } = last {
            *last = Part::CachedText {
                text: std::mem::take(text),
                cache_control: mark,
            };
        }
    }
    message.content = Some(Content::Parts(parts));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{parse, user};
    use super::super::{request, Target};
    use crate::config::catalog;

    fn sent(model: &'static str, body: serde_json::Value) -> serde_json::Value {
        let target = Target {
            model,
            quirks: catalog::quirks("openrouter").for_model("openrouter", model),
            max_output_tokens: None,
            session: None,
        };
        let (out, _) = request(&parse(body), &target).expect("translates");
        serde_json::to_value(out).expect("serialises")["messages"].clone()
    }

    fn claude_code_shape() -> serde_json::Value {
        let ephemeral = json!({"type": "ephemeral"});
        json!({"model": "c", "max_tokens": 10,
            "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": ephemeral}],
            "messages": [user("first"), {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "second", "cache_control": ephemeral}]}]})
    }

    #[test]
    fn anthropic_models_on_openrouter_get_the_breakpoints() {
        let messages = sent("anthropic/claude-sonnet-4.5", claude_code_shape());
        let ephemeral = json!({"type": "ephemeral"});
        assert_eq!(
            messages[0]["content"],
            json!([{"type": "text", "text": "You are Claude Code.", "cache_control": ephemeral}])
        );
        assert_eq!(messages[1]["content"], "first");
        assert_eq!(
            messages[3]["content"],
            json!([{"type": "text", "text": "second", "cache_control": ephemeral}])
        );
    }

    #[test]
    fn other_models_get_none() {
        let messages = sent("moonshotai/kimi-k2.6", claude_code_shape());
        assert_eq!(messages[0]["content"], "You are Claude Code.");
        assert_eq!(messages[3]["content"], "second");
    }
}
