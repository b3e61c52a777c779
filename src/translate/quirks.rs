//! What differs between OpenAI-compatible providers: the [`Quirks`] flags the translator
//! reads (it never matches on a provider name). Each built-in provider's values live in its
//! catalog row (`config::catalog`), with the documentation that says so; the model families
//! that differ from the rest of their provider are adjusted here ([`Quirks::for_model`]). A
//! provider that is not built in (any `<NAME>_BASE_URL`) gets [`Quirks::generic`]: the plain
//! OpenAI wire format, nothing a strict server could reject beyond it.

use super::text_calls::Formats;

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
    /// `reasoning_effort` `low|high|max` only (Kimi K3): medium becomes high, xhigh max.
    LowHighMax,
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
    /// The effort on a `low|high|max` scale (DeepSeek, Kimi K3).
    pub fn low_high_max(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium | Self::High => "high",
            Self::XHigh | Self::Max => "max",
        }
    }

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
    /// Accepts `prompt_cache_key` (a hash of the client's session).
    pub prompt_cache_key: bool,
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
    /// Groq: asked for `reasoning_format` (`parsed`, or `hidden` when thinking is off), so
    /// the reasoning comes back in `reasoning` instead of `<think>` in the text.
    pub reasoning_format: bool,
    /// The text formats of tool calls read back as calls (`translate::text_calls`).
    pub text_tool_calls: Formats,
    /// The model always thinks and has no off switch: thinking turned off asks for this
    /// effort (its lowest) instead of an off switch it would refuse.
    pub lowest_effort: Option<Effort>,
    /// The smallest output limit the model is sent: it reasons before it answers and its
    /// reasoning counts against the limit, so a smaller `max_tokens` (Claude Code's one-token
    /// model probe) is raised to this and the answer cut back to what the client asked for.
    pub min_output_tokens: Option<u64>,
    /// Takes the client's prompt-cache breakpoints as `cache_control` on text parts
    /// (OpenRouter's Anthropic and Gemini models).
    pub cache_control: bool,
}

/// What OpenAI tells developers to leave a reasoning model for its reasoning and answer
/// ("reserve at least 25,000 tokens for reasoning and outputs when you start experimenting",
/// platform.openai.com/docs/guides/reasoning, "Allocating space for reasoning"). A cap, not
/// a spend: a probe's "Hi" costs what the model writes.
pub const REASONING_MIN_OUTPUT_TOKENS: u64 = 25_000;

impl Quirks {
    /// A server we know nothing about: the plain OpenAI wire format.
    pub const fn generic() -> Self {
        Self {
            max_tokens_field: MaxTokensField::MaxTokens,
            stream_usage: true,
            user: false,
            prompt_cache_key: false,
            parallel_tool_calls: true,
            top_k: false,
            max_stop_sequences: None,
            pdf_files: false,
            reasoning: Reasoning::Unsupported,
            replay_reasoning_content: false,
            nine_character_tool_ids: false,
            assistant_between_tool_and_user: false,
            sampling: true,
            reasoning_format: false,
            text_tool_calls: Formats::HERMES,
            lowest_effort: None,
            min_output_tokens: None,
            cache_control: false,
        }
    }

    /// These quirks (the provider's, from its catalog row) adjusted for the model families
    /// that differ from the rest of the provider.
    pub fn for_model(mut self, provider: &str, model: &str) -> Self {
        // Families are recognised whatever the case of the name.
        let family = model.to_ascii_lowercase();
        match provider {
            // openai-python completion_create_params.py: o-series and gpt-5+ reasoning
            // models take only the default temperature/top_p, and no `stop`;
            // shared/reasoning_effort.py: efforts up to `xhigh` ("supported for all models
            // after gpt-5.1-codex-max"), `high` before. Other models take no effort at all.
            "openai" if openai_reasoning_model(model) => {
                self.sampling = false;
                let ceiling = if has_xhigh(model) {
                    Effort::XHigh
                } else {
                    Effort::High
                };
                self.reasoning = Reasoning::Effort(ceiling);
                self.min_output_tokens = Some(REASONING_MIN_OUTPUT_TOKENS);
            }
            "openai" => self.reasoning = Reasoning::Unsupported,
            // docs.x.ai via @ai-sdk/xai 4.0.8: non-reasoning Grok models reject
            // `reasoning_effort`.
            "xai" if model.contains("non-reasoning") => self.reasoning = Reasoning::Unsupported,
            // console.groq.com/docs/reasoning: `reasoning_format` parsed|raw|hidden for the
            // Qwen 3 (and DeepSeek R1) models, whose default is `raw` (`<think>` in the
            // text); their `reasoning_effort` is only none|default, so none is sent.
            // gpt-oss takes `include_reasoning` instead and answers in `reasoning` anyway.
            "groq" if groq_think_tag_model(&family) => {
                self.reasoning_format = true;
                self.reasoning = Reasoning::Unsupported;
            }
            // openrouter.ai/docs/features/prompt-caching: Anthropic's and Gemini's models
            // cache only at explicit `cache_control` breakpoints; the others cache by
            // themselves.
            "openrouter" => {
                self.cache_control =
                    model.starts_with("anthropic/") || model.starts_with("google/gemini");
            }
            _ => {}
        }
        self.always_thinking(&family);
        self.text_tool_calls = self.text_tool_calls.with(text_tool_calls(&family));
        self
    }

    /// The families that always think, whoever serves them: thinking turned off asks for
    /// their lowest effort, and their output limit has room for the reasoning. `model`
    /// is lower-cased.
    fn always_thinking(&mut self, model: &str) {
        if model.contains("gpt-oss") {
            // openai/gpt-oss model card and Groq's, Cerebras' reasoning docs:
            // `reasoning_effort` low|medium|high (default medium), no off switch.
            if self.reasoning == Reasoning::Unsupported {
                self.reasoning = Reasoning::Effort(Effort::High);
            }
            self.lowest_effort = Some(Effort::Low);
        } else if model.contains("kimi-k3") {
            // platform.kimi.ai "Use reasoning effort": kimi-k3 always reasons, top-level
            // `reasoning_effort` low|high|max (default max); `thinking` disabled is a 400.
            if self.reasoning == Reasoning::Unsupported {
                self.reasoning = Reasoning::LowHighMax;
            }
            self.lowest_effort = Some(Effort::Low);
        } else if model.contains("deepseek-reasoner") || model.contains("deepseek-r1") {
            // api-docs.deepseek.com/guides/thinking_mode: the reasoner has no non-thinking
            // mode; DeepSeek's lowest effort is `low`.
            self.lowest_effort = Some(Effort::Low);
        } else {
            return;
        }
        self.min_output_tokens = Some(REASONING_MIN_OUTPUT_TOKENS);
    }
}

/// `gpt-5.1-codex-max`, and `gpt-X.Y…` from 5.2 on: the OpenAI models that take `xhigh`.
pub fn has_xhigh(model: &str) -> bool {
    if model.contains("codex-max") {
        return true;
    }
    let Some(number) = model
        .strip_prefix("gpt-")
        .and_then(|rest| rest.split('-').next())
    else {
        return false;
    };
    let mut parts = number.split('.').map(|n| n.parse::<u32>().ok());
    let major = parts.next().flatten();
    let minor = parts.next().flatten().unwrap_or(0);
    major.is_some_and(|major| (major, minor) >= (5, 2))
}

/// Groq models that write `<think>` into the text unless asked otherwise (`model` lower-cased).
fn groq_think_tag_model(model: &str) -> bool {
    model.contains("qwen3") || model.contains("qwen-qwq") || model.contains("deepseek-r1")
}

/// The text tool-call formats read for a model, on top of its provider row's (Hermes for
/// every row: a `<tool_call>` block whose JSON names an offered tool is unambiguous): the
/// native format of the model's family, whoever serves it (docs/translation.md lists the
/// sources). `model` is lower-cased.
fn text_tool_calls(model: &str) -> Formats {
    let mut formats = Formats::HERMES;
    if model.contains("glm") {
        formats = formats.with(Formats::GLM);
    }
    if model.contains("qwen") && model.contains("coder") {
        formats = formats.with(Formats::QWEN_XML);
    }
    if model.contains("deepseek") {
        formats = formats.with(Formats::DSML);
    }
    if model.contains("kimi") {
        formats = formats.with(Formats::KIMI);
    }
    formats
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
    fn model_families_add_their_text_tool_call_format() {
        let formats = |model| target("ollama", model).text_tool_calls;
        assert_eq!(formats("llama3.3"), Formats::HERMES);
        assert!(formats("glm-4.7").contains(Formats::GLM.with(Formats::HERMES)));
        assert!(formats("qwen3-coder:30b").contains(Formats::QWEN_XML));
        assert!(!formats("qwen3:32b").contains(Formats::QWEN_XML));
        assert!(formats("deepseek-v3.2").contains(Formats::DSML));
        assert!(formats("moonshotai/kimi-k2-instruct").contains(Formats::KIMI));
    }

    #[test]
    fn groq_asks_qwen3_for_parsed_reasoning_and_no_effort() {
        let qwen = target("groq", "qwen/qwen3-32b");
        assert!(qwen.reasoning_format);
        assert_eq!(qwen.reasoning, Reasoning::Unsupported);
        let oss = target("groq", "openai/gpt-oss-120b");
        assert!(!oss.reasoning_format);
        assert!(!target("openrouter", "qwen/qwen3-32b").reasoning_format);
    }

    #[test]
    fn openai_efforts_stop_at_what_each_model_takes() {
        let ceiling = |model| target("openai", model).reasoning;
        assert_eq!(ceiling("gpt-5.6-terra"), Reasoning::Effort(Effort::XHigh));
        assert_eq!(
            ceiling("gpt-5.1-codex-max"),
            Reasoning::Effort(Effort::XHigh)
        );
        assert_eq!(ceiling("o3"), Reasoning::Effort(Effort::High));
        assert_eq!(ceiling("gpt-5"), Reasoning::Effort(Effort::High));
        assert_eq!(ceiling("gpt-4.1"), Reasoning::Unsupported);
    }

    #[test]
    fn models_that_always_think_have_a_lowest_effort_and_room_to_reason() {
        for (provider, model) in [
            ("groq", "openai/gpt-oss-120b"),
            ("cerebras", "gpt-oss-120b"),
            ("moonshot", "kimi-k3"),
            ("together", "deepseek-ai/DeepSeek-R1"),
        ] {
            let quirks = target(provider, model);
            assert_eq!(quirks.lowest_effort, Some(Effort::Low), "{model}");
            assert_eq!(quirks.min_output_tokens, Some(REASONING_MIN_OUTPUT_TOKENS));
        }
        assert_eq!(
            target("cerebras", "gpt-oss-120b").reasoning,
            Reasoning::Effort(Effort::High)
        );
        assert_eq!(
            target("moonshot", "kimi-k3").reasoning,
            Reasoning::LowHighMax
        );
        let plain = target("moonshot", "kimi-k2.6");
        assert_eq!((plain.lowest_effort, plain.min_output_tokens), (None, None));
        assert_eq!(
            target("openai", "gpt-5.6-terra").min_output_tokens,
            Some(REASONING_MIN_OUTPUT_TOKENS)
        );
        assert_eq!(target("openai", "gpt-4.1").min_output_tokens, None);
    }

    #[test]
    fn mistral_gets_no_fields_outside_its_schema() {
        let mistral = catalog::quirks("mistral");
        assert!(!mistral.stream_usage && !mistral.user && !mistral.top_k);
    }
}
