//! What differs between OpenAI-compatible providers: the [`Quirks`] flags the translator
//! reads (it never matches on a provider name). Each built-in provider's values live in its
//! catalog row (`config::catalog`), with the documentation that says so; the model families
//! that differ from the rest of their provider are adjusted here ([`Quirks::for_model`]). A
//! provider that is not built in (any `<NAME>_BASE_URL`) gets [`Quirks::generic`]: the plain
//! OpenAI wire format, nothing a strict server could reject beyond it.

/// Which request field carries the output-token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

/// How a provider is told to reason (docs/translation.md, "Thinking and effort").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reasoning {
    /// Not at all: `thinking` and `output_config.effort` are dropped.
    Unsupported,
    /// `reasoning_effort`, up to the given ceiling.
    Effort(Effort),
    /// DeepSeek: `thinking: {"type": "enabled"|"disabled"}` plus `reasoning_effort`
    /// `low|high|max`.
    DeepSeek,
    /// OpenRouter: `reasoning: {"effort": ...}` or `{"max_tokens": N}`.
    OpenRouter,
}

/// Reasoning effort levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effort {
    Low,
    Medium,
    High,
    XHigh,
    Max,
}

impl Effort {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "low" | "minimal" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "xhigh" => Self::XHigh,
            "max" => Self::Max,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::XHigh => "xhigh",
            Self::Max => "max",
        }
    }
}

/// The per-provider switches of the Anthropic → OpenAI translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    pub max_tokens_field: MaxTokensField,
    /// Send `stream_options: {"include_usage": true}` with `stream: true`.
    pub stream_usage: bool,
    /// Accepts `user` (from `metadata.user_id`).
    pub user: bool,
    /// Accepts `parallel_tool_calls`.
    pub parallel_tool_calls: bool,
    /// Accepts `top_k` as an extension.
    pub top_k: bool,
    /// The most `stop` sequences accepted.
    pub max_stop_sequences: Option<usize>,
    /// Accepts PDF documents as `{"type": "file"}` content parts.
    pub pdf_files: bool,
    pub reasoning: Reasoning,
    /// Assistant turns that called tools must carry their `reasoning_content` back.
    pub replay_reasoning_content: bool,
    /// Tool-call ids must be exactly 9 letters or digits.
    pub nine_character_tool_ids: bool,
    /// A user message may not directly follow a tool message.
    pub assistant_between_tool_and_user: bool,
    /// Accepts `temperature`, `top_p` and `stop` (reasoning models may not).
    pub sampling: bool,
}

impl Quirks {
    /// A server we know nothing about: the plain OpenAI wire format.
    pub const fn generic() -> Self {
        Self {
            max_tokens_field: MaxTokensField::MaxTokens,
            stream_usage: true,
            user: false,
            parallel_tool_calls: true,
            top_k: false,
            max_stop_sequences: None,
            pdf_files: false,
            reasoning: Reasoning::Unsupported,
            replay_reasoning_content: false,
            nine_character_tool_ids: false,
            assistant_between_tool_and_user: false,
            sampling: true,
        }
    }

    /// These quirks (the provider's, from its catalog row) adjusted for the model families
    /// that differ from the rest of the provider.
    pub fn for_model(mut self, provider: &str, model: &str) -> Self {
        match provider {
            // openai-python completion_create_params.py: o-series and gpt-5+ reasoning
            // models take only the default temperature/top_p, and no `stop`.
            "openai" if openai_reasoning_model(model) => self.sampling = false,
            // docs.x.ai via @ai-sdk/xai 4.0.8: non-reasoning Grok models reject
            // `reasoning_effort`.
            "xai" if model.contains("non-reasoning") => self.reasoning = Reasoning::Unsupported,
            _ => {}
        }
        self
    }
}

/// `o1`, `o3-mini`, `o4-mini`, `gpt-5.6-terra`, `gpt-6-sol`, ...
pub fn openai_reasoning_model(model: &str) -> bool {
    let mut chars = model.chars();
    let o_series = chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit());
    let gpt_major = model
        .strip_prefix("gpt-")
        .and_then(|rest| rest.split(['.', '-']).next())
        .and_then(|major| major.parse::<u32>().ok());
    o_series || gpt_major.is_some_and(|major| major >= 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::catalog;

    fn target(provider: &str, model: &str) -> Quirks {
        catalog::quirks(provider).for_model(provider, model)
    }

    #[test]
    fn unknown_providers_get_the_plain_openai_format() {
        assert_eq!(catalog::quirks("my-lab"), Quirks::generic());
    }

    #[test]
    fn openai_and_groq_want_max_completion_tokens() {
        for name in ["openai", "groq", "xai"] {
            assert_eq!(
                catalog::quirks(name).max_tokens_field,
                MaxTokensField::MaxCompletionTokens,
                "{name}"
            );
        }
        for name in ["mistral", "ollama", "deepseek", "openrouter"] {
            assert_eq!(
                catalog::quirks(name).max_tokens_field,
                MaxTokensField::MaxTokens,
                "{name}"
            );
        }
    }

    #[test]
    fn openai_reasoning_models_take_no_sampling_parameters() {
        for model in ["o3", "o4-mini", "gpt-5.6-terra", "gpt-6-sol"] {
            assert!(!target("openai", model).sampling, "{model}");
        }
        for model in ["gpt-4.1", "gpt-4o-mini", "omni-lab"] {
            assert!(target("openai", model).sampling, "{model}");
        }
    }

    #[test]
    fn non_reasoning_grok_models_get_no_reasoning_effort() {
        let quirks = target("xai", "grok-4.20-non-reasoning");
        assert_eq!(quirks.reasoning, Reasoning::Unsupported);
    }

    #[test]
    fn mistral_gets_no_fields_outside_its_schema() {
        let mistral = catalog::quirks("mistral");
        assert!(!mistral.stream_usage && !mistral.user && !mistral.top_k);
    }
}
