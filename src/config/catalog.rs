//! The built-in provider catalog: one [`CatalogEntry`] row per built-in provider, holding
//! everything ccproxy knows about it (kind, base URL, key variable, default model, the
//! context windows and output limits of its known models, its request quirks and its
//! compatibility profile).
//! Environment-only mode and file entries without a `base_url` or `type` take their values
//! from here.
//!
//! Adding a built-in provider is adding one row to [`CATALOG`] (`catalog/rows.rs`), with a
//! comment citing the documentation each value comes from, and a line in the README's
//! provider table and docs/providers.md.

mod rows;

pub use rows::CATALOG;

use super::{Env, ProviderKind};
use crate::translate::compat::Profile;
use crate::translate::quirks::Quirks;

/// One built-in provider: everything about it in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: &'static str,
    pub kind: ProviderKind,
    pub base_url: &'static str,
    /// The variable holding its key: the provider's usual one, which two built-ins of the
    /// same host share (`deepseek` and `deepseek-anthropic` both read `DEEPSEEK_API_KEY`).
    pub key_var: &'static str,
    pub default_model: &'static str,
    /// Local servers (Ollama) need no key.
    pub key_required: bool,
    /// The models whose limits are known (docs/providers.md, "Model limits", cites a source
    /// for each figure). Models not listed are sent as asked.
    pub models: &'static [KnownModel],
    /// How the OpenAI translation shapes requests for this host (OpenAI-compatible kinds).
    pub quirks: Quirks,
    /// The quirk profile: on an Anthropic-compatible route, what the pass-through removes or
    /// changes before the host sees it (`translate::compat`); it also names the model
    /// family the host serves, for the answer quirks of OpenAI-compatible routes (tool calls
    /// written as text, reasoning in the text) to read.
    pub profile: Profile,
}

/// What the catalog knows of one model's size, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    pub id: &'static str,
    /// Input and output together, as the provider documents it.
    pub context_window: u64,
    /// The most output tokens a request may ask for: a request's `max_tokens` above it is
    /// clamped rather than refused upstream. `None` when no source states it.
    pub max_output: Option<u64>,
}

/// A row of [`CatalogEntry::models`].
pub const fn known(id: &'static str, context_window: u64, max_output: Option<u64>) -> KnownModel {
    KnownModel {
        id,
        context_window,
        max_output,
    }
}

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

/// `<NAME>_API_KEY`, the variable holding a provider's key.
pub fn key_var(name: &str) -> String {
    format!("{}_API_KEY", env_prefix(name))
}

/// The built-in providers with a key in `env`, in catalog order.
pub fn keyed(env: &Env) -> Vec<&'static CatalogEntry> {
    CATALOG
        .iter()
        .filter(|entry| env.get(entry.key_var).is_some())
        .collect()
}

/// How the environment-only configuration chose its default provider, when that is worth
/// a warning: `PROVIDER` is unset and several keys are set (two built-ins sharing one key,
/// `deepseek` and `deepseek-anthropic`, are one choice), so the first built-in provider with
/// a key, in catalog order, is the default.
pub fn implicit_default(env: &Env) -> Option<String> {
    if env.get("PROVIDER").is_some() {
        return None;
    }
    let mut keyed = keyed(env);
    // Built-ins that share one key count once: that key alone chooses nothing.
    let mut vars = Vec::new();
    keyed.retain(|entry| {
        let first = !vars.contains(&entry.key_var);
        vars.push(entry.key_var);
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

/// The profile of a provider: its row's when built in, else `generic`.
pub fn profile(entry: Option<&CatalogEntry>) -> Profile {
    entry.map_or(Profile::Generic, |entry| entry.profile)
}

/// The output-token limit of a known model (the first row that states one).
pub fn max_output_tokens(model: &str) -> Option<u64> {
    CATALOG
        .iter()
        .flat_map(|entry| entry.models)
        .filter(|known| known.id == model)
        .find_map(|known| known.max_output)
}

/// What the catalog knows of `model` as served by `provider`: the provider's own row when
/// it lists the model, else the first row that does (a custom provider serving a built-in
/// model, `lab` serving `openai/gpt-oss-120b`, has that model's limits).
pub fn known_model(provider: &str, model: &str) -> Option<&'static KnownModel> {
    let listed = |entry: &'static CatalogEntry| entry.models.iter().find(|k| k.id == model);
    lookup(provider)
        .and_then(listed)
        .or_else(|| CATALOG.iter().find_map(listed))
}

/// The request quirks of a provider by its configured name: its row's, or the plain OpenAI
/// wire format for a provider that is not built in.
pub fn quirks(name: &str) -> Quirks {
    lookup(name).map_or_else(Quirks::generic, |entry| entry.quirks)
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
        let one_host = env(&[("DEEPSEEK_API_KEY", "k")]);
        assert_eq!(implicit_default(&one_host), None, "one key, two endpoints");
        let chosen = env(&[
            ("PROVIDER", "openai"),
            ("OPENAI_API_KEY", "k"),
            ("GROQ_API_KEY", "k"),
        ]);
        assert_eq!(implicit_default(&chosen), None);
    }

    #[test]
    fn anthropic_compatible_endpoints_share_their_host_key_and_have_a_profile() {
        for (name, key_var, profile) in [
            ("deepseek-anthropic", "DEEPSEEK_API_KEY", Profile::DeepSeek),
            ("moonshot-anthropic", "MOONSHOT_API_KEY", Profile::Kimi),
            ("zhipu-anthropic", "ZHIPU_API_KEY", Profile::Glm),
            ("minimax-anthropic", "MINIMAX_API_KEY", Profile::MiniMax),
            ("qwen-anthropic", "DASHSCOPE_API_KEY", Profile::Qwen),
            (
                "openrouter-anthropic",
                "OPENROUTER_API_KEY",
                Profile::OpenRouter,
            ),
        ] {
            let entry = lookup(name).expect("built in");
            assert_eq!(entry.kind, ProviderKind::Anthropic, "{name}");
            assert_eq!((entry.key_var, entry.profile), (key_var, profile), "{name}");
        }
        assert_eq!(
            lookup("anthropic").map(|e| e.profile),
            Some(Profile::Anthropic)
        );
        let shared = |name: &str| name.ends_with("-anthropic") || name == "openai-responses";
        for entry in CATALOG.iter().filter(|e| !shared(e.name)) {
            assert_eq!(entry.key_var, key_var(entry.name), "{}", entry.name);
        }
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
    fn every_default_model_but_ollamas_has_a_known_window() {
        for entry in CATALOG.iter().filter(|e| e.name != "ollama") {
            let known = known_model(entry.name, entry.default_model);
            assert!(known.is_some(), "{}: {}", entry.name, entry.default_model);
        }
        // Ollama's window is the local server's setting, not the model's.
        assert_eq!(known_model("ollama", "gpt-oss:20b"), None);
        let shared = known_model("lab", "openai/gpt-oss-120b").map(|k| k.context_window);
        assert_eq!(
            shared,
            Some(131_072),
            "a custom provider serving a built-in model"
        );
        assert_eq!(max_output_tokens("kimi-k2.6"), None, "no source states it");
    }

    #[test]
    fn env_prefix_is_upper_snake() {
        assert_eq!(env_prefix("my-llm"), "MY_LLM");
    }
}
