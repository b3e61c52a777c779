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
    fn env_prefix_is_upper_snake() {
        assert_eq!(env_prefix("my-llm"), "MY_LLM");
    }
}
