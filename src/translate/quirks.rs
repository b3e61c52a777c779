//! What differs between OpenAI-compatible providers, in one place: each built-in provider's
//! [`Quirks`], with the documentation that says so (see docs/providers-research.md for the
//! sources and dates). The translator reads these flags; it never matches on a provider name
//! anywhere else. A provider that is not built in (any `<NAME>_BASE_URL`) gets
//! [`Quirks::generic`]: the plain OpenAI wire format, nothing a strict server could reject
//! beyond it.

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

    /// The quirks of a provider's model: the provider's, adjusted for model families that
    /// differ from the rest of the provider.
    pub fn for_target(provider: &str, model: &str) -> Self {
        let mut quirks = Self::for_provider(provider);
        match provider {
            // openai-python completion_create_params.py: o-series and gpt-5+ reasoning
            // models take only the default temperature/top_p, and no `stop`.
            "openai" if openai_reasoning_model(model) => quirks.sampling = false,
            // docs.x.ai via @ai-sdk/xai 4.0.8: non-reasoning Grok models reject
            // `reasoning_effort`.
            "xai" if model.contains("non-reasoning") => quirks.reasoning = Reasoning::Unsupported,
            _ => {}
        }
        quirks
    }

    /// The quirks of a provider by its configured name.
    pub fn for_provider(name: &str) -> Self {
        let generic = Self::generic();
        match name {
            // console.groq.com/docs/openai, groq-python completion_create_params.py:
            // `max_completion_tokens` (max_tokens deprecated), include_usage accepted, up to
            // 4 stop sequences, `user` and `parallel_tool_calls` accepted; gpt-oss
            // `reasoning_effort` low|medium|high; output in `reasoning`.
            "groq" => Self {
                max_tokens_field: MaxTokensField::MaxCompletionTokens,
                user: true,
                max_stop_sequences: Some(4),
                reasoning: Reasoning::Effort(Effort::High),
                ..generic
            },
            // openai-python src/openai/types/chat/completion_create_params.py and
            // src/openai/types/shared/reasoning_effort.py:
            // gpt-5 / o-series reject `max_tokens` ("Use 'max_completion_tokens'"); stop ≤ 4;
            // `reasoning_effort` up to max; `file` parts take base64 PDFs.
            "openai" => Self {
                max_tokens_field: MaxTokensField::MaxCompletionTokens,
                user: true,
                max_stop_sequences: Some(4),
                pdf_files: true,
                reasoning: Reasoning::Effort(Effort::Max),
                ..generic
            },
            // openrouter.ai/docs/use-cases/usage-accounting: usage is always in the last
            // chunk (include_usage is a no-op); reasoning-tokens doc: `reasoning: {effort |
            // max_tokens}`; unsupported parameters are ignored, `top_k` passes through;
            // PDFs via `file` parts (openrouter.ai/docs/features/multimodal/pdfs).
            "openrouter" => Self {
                stream_usage: false,
                user: true,
                top_k: true,
                pdf_files: true,
                reasoning: Reasoning::OpenRouter,
                ..generic
            },
            // api-docs.deepseek.com/guides/thinking_mode: `max_tokens`, thinking on/off via
            // `thinking.type`, effort low|high|max, `reasoning_content` must be replayed on
            // tool-call turns (400 otherwise); up to 16 stop sequences.
            "deepseek" => Self {
                parallel_tool_calls: false,
                max_stop_sequences: Some(16),
                reasoning: Reasoning::DeepSeek,
                replay_reasoning_content: true,
                ..generic
            },
            // mistralai/client-python models: strict schema (422 `extra_forbidden`) — only
            // `max_tokens`, no `stream_options`, no `user`; `reasoning_effort` up to xhigh.
            // Tool-call ids must match ^[a-zA-Z0-9]{9}$ (error 3280) and a user message
            // right after a tool message is refused (error 3230), per the reports collected
            // in docs/providers-research.md ("mistral").
            "mistral" => Self {
                stream_usage: false,
                reasoning: Reasoning::Effort(Effort::XHigh),
                nine_character_tool_ids: true,
                assistant_between_tool_and_user: true,
                ..generic
            },
            // docs.x.ai (via docs/providers-research.md, "xai"): `max_completion_tokens`; grok-4.x
            // `reasoning_effort` none|low|medium|high.
            "xai" => Self {
                max_tokens_field: MaxTokensField::MaxCompletionTokens,
                reasoning: Reasoning::Effort(Effort::High),
                ..generic
            },
            // ollama docs/api/openai-compatibility.mdx, openai/openai.go: `max_tokens` only
            // (the other is silently ignored), include_usage supported, `user` unsupported,
            // `reasoning_effort` none|low|medium|high|max.
            "ollama" => Self {
                reasoning: Reasoning::Effort(Effort::Max),
                ..generic
            },
            _ => generic,
        }
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

    #[test]
    fn unknown_providers_get_the_plain_openai_format() {
        assert_eq!(Quirks::for_provider("my-lab"), Quirks::generic());
    }

    #[test]
    fn openai_and_groq_want_max_completion_tokens() {
        for name in ["openai", "groq", "xai"] {
            assert_eq!(
                Quirks::for_provider(name).max_tokens_field,
                MaxTokensField::MaxCompletionTokens,
                "{name}"
            );
        }
        for name in ["mistral", "ollama", "deepseek", "openrouter"] {
            assert_eq!(
                Quirks::for_provider(name).max_tokens_field,
                MaxTokensField::MaxTokens,
                "{name}"
            );
        }
    }

    #[test]
    fn openai_reasoning_models_take_no_sampling_parameters() {
        for model in ["o3", "o4-mini", "gpt-5.6-terra", "gpt-6-sol"] {
            assert!(!Quirks::for_target("openai", model).sampling, "{model}");
        }
        for model in ["gpt-4.1", "gpt-4o-mini", "omni-lab"] {
            assert!(Quirks::for_target("openai", model).sampling, "{model}");
        }
    }

    #[test]
    fn non_reasoning_grok_models_get_no_reasoning_effort() {
        let quirks = Quirks::for_target("xai", "grok-4.20-non-reasoning");
        assert_eq!(quirks.reasoning, Reasoning::Unsupported);
    }

    #[test]
    fn mistral_gets_no_fields_outside_its_schema() {
        let mistral = Quirks::for_provider("mistral");
        assert!(!mistral.stream_usage && !mistral.user && !mistral.top_k);
    }
}
