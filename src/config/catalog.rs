//! The built-in provider catalog: for each known provider its kind, default base URL,
//! default model and key variable. Environment-only mode and file entries without a
//! `base_url` or `type` take their values from here.

use super::{Env, ProviderKind};

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
/// set and `PROVIDER` is not. Each entry cites the documentation its values were checked
/// against (details, dates and evidence grades in docs/providers.md).
pub const CATALOG: &[CatalogEntry] = &[
    // console.groq.com/docs/openai (base URL, key); console.groq.com/docs/models (GPT-OSS
    // 120B is a featured production model). Groq retired `moonshotai/kimi-k2-instruct`
    // (docs/providers-research.md, "groq"); Kimi K2 stays reachable through moonshot, openrouter,
    // together and fireworks.
    CatalogEntry {
        name: "groq",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.groq.com/openai/v1",
        default_model: "openai/gpt-oss-120b",
        key_required: true,
    },
    // developers.openai.com/api/docs/models: gpt-5.6-terra, 1.05M context, 128K output.
    CatalogEntry {
        name: "openai",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.openai.com/v1",
        default_model: "gpt-5.6-terra",
        key_required: true,
    },
    // OpenAI's Responses API, same key as `openai` (SHARED_KEYS). gpt-5.3-codex: the newest
    // Codex model, served on /v1/responses only ("This model is only supported in
    // v1/responses", OpenAI's error for Codex models on /chat/completions; openai-cookbook
    // gpt-5-codex_prompting_guide: "only supported with the Responses API").
    CatalogEntry {
        name: "openai-responses",
        kind: ProviderKind::Responses,
        base_url: "https://api.openai.com/v1",
        default_model: "gpt-5.3-codex",
        key_required: true,
    },
    // openrouter.ai/docs (API reference, models): OpenAI-compatible under /api/v1.
    CatalogEntry {
        name: "openrouter",
        kind: ProviderKind::OpenAi,
        base_url: "https://openrouter.ai/api/v1",
        default_model: "moonshotai/kimi-k2.6",
        key_required: true,
    },
    // api-docs.deepseek.com (pricing, thinking_mode): no /v1 in the base URL;
    // deepseek-chat and deepseek-reasoner were retired 2026-07-24.
    CatalogEntry {
        name: "deepseek",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.deepseek.com",
        default_model: "deepseek-v4-pro",
        key_required: true,
    },
    // docs.mistral.ai (client-python models): mistral-medium-latest → mistral-medium-2508.
    CatalogEntry {
        name: "mistral",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.mistral.ai/v1",
        default_model: "mistral-medium-latest",
        key_required: true,
    },
    // docs.x.ai (migration guide: grok-4-0709 and grok-3 retired 2026-05-15); grok-4.3.
    CatalogEntry {
        name: "xai",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.x.ai/v1",
        default_model: "grok-4.3",
        key_required: true,
    },
    // ai.google.dev/api/generate-content and /gemini-api/docs/models: native
    // generateContent; gemini-3.8-flash, 1,048,576 in / 65,536 out; 2.5 shut down 2026-06-17.
    CatalogEntry {
        name: "gemini",
        kind: ProviderKind::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        default_model: "gemini-3.8-flash",
        key_required: true,
    },
    // platform.claude.com/docs/en/api/messages and /docs/en/about-claude/models: pass-through.
    CatalogEntry {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com",
        default_model: "claude-sonnet-5-5",
        key_required: true,
    },
    // inference-docs.cerebras.ai/resources/openai: OpenAI-compatible; gpt-oss-120b.
    CatalogEntry {
        name: "cerebras",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.cerebras.ai/v1",
        default_model: "gpt-oss-120b",
        key_required: true,
    },
    // docs.together.ai/docs/openai-api-compatibility: api.together.ai/v1 (the legacy
    // api.together.xyz still answers).
    CatalogEntry {
        name: "together",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.together.ai/v1",
        default_model: "moonshotai/Kimi-K2.6",
        key_required: true,
    },
    // docs.fireworks.ai (OpenAI compatibility): /inference/v1; model ids are account paths.
    CatalogEntry {
        name: "fireworks",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.fireworks.ai/inference/v1",
        default_model: "accounts/fireworks/models/kimi-k2p6",
        key_required: true,
    },
    // platform.moonshot.ai/docs (API reference): api.moonshot.ai/v1 (China: .cn).
    CatalogEntry {
        name: "moonshot",
        kind: ProviderKind::OpenAi,
        base_url: "https://api.moonshot.ai/v1",
        default_model: "kimi-k2.6",
        key_required: true,
    },
    // github ollama/ollama docs/api/openai-compatibility.mdx: /v1, key ignored. No model
    // is built into Ollama; this is a suggestion to `ollama pull`.
    CatalogEntry {
        name: "ollama",
        kind: ProviderKind::OpenAi,
        base_url: "http://localhost:11434/v1",
        default_model: "gpt-oss:20b",
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

/// Built-in providers that use another provider's key variable.
const SHARED_KEYS: &[(&str, &str)] = &[("openai-responses", "OPENAI_API_KEY")];

/// The variable holding a provider's key: `<NAME>_API_KEY`, or the shared one.
pub fn key_var(name: &str) -> String {
    match SHARED_KEYS.iter().find(|(shared, _)| *shared == name) {
        Some((_, var)) => (*var).to_string(),
        None => format!("{}_API_KEY", env_prefix(name)),
    }
}

/// The built-in providers with a key in `env`, in catalog order.
pub fn keyed(env: &Env) -> Vec<&'static CatalogEntry> {
    CATALOG
        .iter()
        .filter(|entry| env.get(&key_var(entry.name)).is_some())
        .collect()
}

/// How the environment-only configuration chose its default provider, when that is worth
/// a warning: `PROVIDER` is unset and several built-in providers have a key, so the first
/// of them in catalog order is the default.
pub fn implicit_default(env: &Env) -> Option<String> {
    if env.get("PROVIDER").is_some() {
        return None;
    }
    let mut keyed = keyed(env);
    // Providers sharing one key count once: that key alone chooses nothing.
    let mut vars = Vec::new();
    keyed.retain(|entry| {
        let var = key_var(entry.name);
        let first = !vars.contains(&var);
        vars.push(var);
        first
    });
    let [first, _, ..] = keyed.as_slice() else {
        return None;
    };
    let names: Vec<&str> = keyed.iter().map(|entry| entry.name).collect();
    Some(format!(
        "PROVIDER is not set and several providers have a key ({}): the default is '{}', \
         the first of them in catalog order; set PROVIDER to choose",
        names.join(", "),
        first.name
    ))
}

/// The most output tokens a known model accepts (docs/providers-research.md, models.dev and
/// the providers' model pages): a request's `max_tokens` above it is clamped rather than
/// refused upstream (docs/translation.md, "Providers and their quirks"). Models not listed are sent as asked.
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
    ("gpt-5.3-codex", 128_000),
    ("deepseek-chat", 8_192),
    ("deepseek-v4-pro", 384_000),
    ("grok-4.3", 30_000),
    ("gemini-2.5-flash", 65_536),
    ("gemini-3.8-flash", 65_536),
    ("gemini-3.5-flash", 65_536),
    ("gemini-3.1-flash-lite", 65_536),
    ("claude-sonnet-5-5", 128_000),
    ("claude-haiku-5-5", 128_000),
    ("gpt-oss-120b", 40_960),
    ("moonshotai/Kimi-K2.6", 131_000),
    ("accounts/fireworks/models/gpt-oss-20b", 32_768),
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
    fn groq_defaults_to_a_model_groq_serves() {
        let groq = lookup("groq").expect("groq is built in");
        assert_eq!(groq.default_model, "openai/gpt-oss-120b");
        assert_eq!(groq.kind, ProviderKind::OpenAi);
    }

    #[test]
    fn several_keys_without_provider_name_the_catalog_order_choice() {
        let env = |pairs: &[(&'static str, &'static str)]| Env::from_pairs(pairs.iter().copied());
        let several = env(&[("OPENAI_API_KEY", "k"), ("GROQ_API_KEY", "k")]);
        let note = implicit_default(&several).expect("a note");
        assert!(note.contains("(groq, openai)"), "{note}");
        assert!(note.contains("the default is 'groq'"), "{note}");
        assert_eq!(implicit_default(&env(&[("OPENAI_API_KEY", "k")])), None);
        let chosen = env(&[
            ("PROVIDER", "openai"),
            ("OPENAI_API_KEY", "k"),
            ("GROQ_API_KEY", "k"),
        ]);
        assert_eq!(implicit_default(&chosen), None);
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
