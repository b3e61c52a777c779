//! The built-in provider catalog: for each known provider its kind, default base URL,
//! default model and key variable. Environment-only mode and file entries without a
//! `base_url` or `type` take their values from here.

use super::ProviderKind;

/// One built-in provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: &'static str,
    pub kind: ProviderKind,
    pub base_url: &'static str,
    pub default_model: &'static str,
    /// Local servers (Ollama) need no key.
    pub key_required: bool,
}

/// Catalog order is also the order used to pick a default provider when several keys are
/// set and `PROVIDER` is not.
pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        name: "groq",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.groq.com/openai/v1",
        default_model: "moonshotai/kimi-k2-instruct",
        key_required: true,
    },
    CatalogEntry {
        name: "openai",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.openai.com/v1",
        default_model: "gpt-4.1",
        key_required: true,
    },
    CatalogEntry {
        name: "openrouter",
        kind: ProviderKind::OpenAi,
        base_url: "https://openrouter.ai/api/v1",
        default_model: "moonshotai/kimi-k2",
        key_required: true,
    },
    CatalogEntry {
        name: "deepseek",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.deepseek.com",
        default_model: "deepseek-chat",
        key_required: true,
    },
    CatalogEntry {
        name: "mistral",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.mistral.ai/v1",
        default_model: "mistral-large-latest",
        key_required: true,
    },
    CatalogEntry {
        name: "xai",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.x.ai/v1",
        default_model: "grok-4",
        key_required: true,
    },
    CatalogEntry {
        name: "gemini",
        kind: ProviderKind::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        default_model: "gemini-2.5-flash",
        key_required: true,
    },
    CatalogEntry {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com",
        default_model: "claude-sonnet-4-5",
        key_required: true,
    },
    CatalogEntry {
        name: "ollama",
        kind: ProviderKind::OpenAi,
        base_url: "http://localhost:11434/v1",
        default_model: "llama3.1",
        key_required: false,
    },
];

pub fn lookup(name: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|entry| entry.name == name)
}

pub fn names() -> Vec<&'static str> {
    CATALOG.iter().map(|entry| entry.name).collect()
}

/// The environment variable prefix for a provider name: `groq` → `GROQ`, `my-llm` → `MY_LLM`.
pub fn env_prefix(name: &str) -> String {
    name.to_ascii_uppercase().replace(['-', '.'], "_")
}

/// The most output tokens a known model accepts (docs/providers-research.md, models.dev and
/// the providers' model pages): a request's `max_tokens` above it is clamped rather than
/// refused upstream (protocols.md §7.7 item 18). Models not listed are sent as asked.
const MAX_OUTPUT_TOKENS: &[(&str, u64)] = &[
    ("moonshotai/kimi-k2-instruct", 16_384),
    ("moonshotai/kimi-k2-instruct-0905", 16_384),
    ("openai/gpt-oss-120b", 65_536),
    ("openai/gpt-oss-20b", 65_536),
    ("qwen/qwen3.6-27b", 16_384),
    ("gpt-4.1", 32_768),
    ("gpt-4.1-mini", 32_768),
    ("gpt-5.6-terra", 128_000),
    ("gpt-5.6-luna", 128_000),
    ("deepseek-chat", 8_192),
    ("deepseek-v4-pro", 384_000),
    ("grok-4.3", 30_000),
    ("gemini-2.5-flash", 65_536),
    ("gemini-3.8-flash", 65_536),
];

/// The output-token limit of a known model.
pub fn max_output_tokens(model: &str) -> Option<u64> {
    MAX_OUTPUT_TOKENS
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, limit)| *limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groq_defaults_to_kimi_k2() {
        let groq = lookup("groq").expect("groq is built in");
        assert_eq!(groq.default_model, "moonshotai/kimi-k2-instruct");
        assert_eq!(groq.kind, ProviderKind::OpenAi);
    }

    #[test]
    fn only_local_servers_need_no_key() {
        let keyless: Vec<_> = CATALOG.iter().filter(|e| !e.key_required).collect();
        assert_eq!(keyless.len(), 1);
        assert_eq!(keyless[0].name, "ollama");
    }

    #[test]
    fn default_models_with_known_limits_are_clamped() {
        assert_eq!(
            max_output_tokens("moonshotai/kimi-k2-instruct"),
            Some(16_384)
        );
        assert_eq!(max_output_tokens("gpt-4.1"), Some(32_768));
        assert_eq!(max_output_tokens("some-local-model"), None);
    }

    #[test]
    fn env_prefix_is_upper_snake() {
        assert_eq!(env_prefix("my-llm"), "MY_LLM");
    }
}
