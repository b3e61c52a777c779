//! OpenAI Chat Completions response → Anthropic message (protocols.md §7.4).

use crate::wire::anthropic::{self, ResponseBlock, Role, StopReason};
use crate::wire::openai;

/// Why a completion could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("the completion has no choices")]
    NoChoices,
}

/// Translates a completion; `served_model` is reported when the upstream names none.
pub fn response(
    completion: openai::ChatResponse,
    served_model: &str,
) -> Result<anthropic::MessageResponse, TranslateError> {
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or(TranslateError::NoChoices)?;
    let content = choice
        .message
        .content
        .filter(|text| !text.is_empty())
        .map(|text| vec![ResponseBlock::Text { text }])
        .unwrap_or_default();
    Ok(anthropic::MessageResponse {
        id: super::message_id(),
        kind: "message".to_string(),
        role: Role::Assistant,
        content,
        model: completion.model.unwrap_or_else(|| served_model.to_string()),
        stop_reason: stop_reason(choice.finish_reason.as_deref()),
        stop_sequence: None,
        usage: usage(completion.usage.unwrap_or_default()),
    })
}

fn stop_reason(finish_reason: Option<&str>) -> StopReason {
    match finish_reason {
        Some("length") => StopReason::MaxTokens,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("content_filter") => StopReason::Refusal,
        _ => StopReason::EndTurn,
    }
}

/// OpenAI's `prompt_tokens` includes cached tokens; Anthropic's `input_tokens` does not.
fn usage(usage: openai::CompletionUsage) -> anthropic::Usage {
    let cached = usage.prompt_tokens_details.map_or(0, |d| d.cached_tokens);
    anthropic::Usage {
        input_tokens: usage.prompt_tokens.saturating_sub(cached),
        output_tokens: usage.completion_tokens,
        cache_creation_input_tokens: None,
        cache_read_input_tokens: (cached > 0).then_some(cached),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_completion_becomes_a_message() {
        let completion: openai::ChatResponse = serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "kimi",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
                      "prompt_tokens_details": {"cached_tokens": 2}}
        }))
        .expect("valid completion");
        let message = response(completion, "fallback").expect("translates");
        let value = serde_json::to_value(&message).expect("serialises");
        assert!(message.id.starts_with("msg_"));
        assert_eq!(value["type"], "message");
        assert_eq!(value["role"], "assistant");
        assert_eq!(value["content"], json!([{"type": "text", "text": "Hello"}]));
        assert_eq!(value["model"], "kimi");
        assert_eq!(value["stop_reason"], "end_turn");
        assert_eq!(value["stop_sequence"], json!(null));
        assert_eq!(
            value["usage"],
            json!({"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 2})
        );
    }

    #[test]
    fn finish_reasons_map_to_stop_reasons() {
        assert_eq!(stop_reason(Some("length")), StopReason::MaxTokens);
        assert_eq!(stop_reason(Some("tool_calls")), StopReason::ToolUse);
        assert_eq!(stop_reason(Some("content_filter")), StopReason::Refusal);
        assert_eq!(stop_reason(None), StopReason::EndTurn);
    }

    #[test]
    fn no_choices_is_an_error() {
        let completion: openai::ChatResponse =
            serde_json::from_value(json!({"choices": []})).expect("valid");
        assert_eq!(response(completion, "m"), Err(TranslateError::NoChoices));
    }
}
