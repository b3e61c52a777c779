//! Start-up hints for a provider key set under a wrong name: `GROQ_KEY` or `OPENAI_APIKEY`
//! while ccproxy reads `GROQ_API_KEY` and `OPENAI_API_KEY`. A did-you-mean per variable
//! that looks like a key of a provider whose key variable is unset.

use super::{catalog, Config, Env};

/// Variables of other programs that look like a provider key but are not meant as one
/// (Claude Code's token for the proxy itself).
const NOT_KEYS: &[&str] = &["ANTHROPIC_AUTH_TOKEN"];

/// One line per misspelt key variable: what is set, and the name ccproxy reads.
pub fn misspelt_keys(config: &Config, env: &Env) -> Vec<String> {
    // Each key variable once, with the (first) provider that reads it.
    let mut readers: Vec<(&str, &str)> = Vec::new();
    let known = catalog::CATALOG
        .iter()
        .map(|entry| (entry.key_var, entry.name));
    let configured = config
        .providers
        .iter()
        .map(|provider| (provider.key_var.as_str(), provider.name.as_str()));
    for (key_var, name) in known.chain(configured) {
        if !readers.iter().any(|(var, _)| *var == key_var) {
            readers.push((key_var, name));
        }
    }
    let mut hints = Vec::new();
    for (key_var, name) in &readers {
        let Some(prefix) = key_var.strip_suffix("API_KEY") else {
            continue;
        };
        if env.get(key_var).is_some() {
            continue;
        }
        let mut found: Vec<&str> = env
            .names()
            .filter(|set| {
                let upper = set.to_ascii_uppercase();
                // Another provider's own key variable is no near miss.
                !readers.iter().any(|(var, _)| *var == upper)
                    && !NOT_KEYS.contains(&upper.as_str())
                    && upper.starts_with(prefix)
                    && (upper.contains("KEY") || upper.contains("TOKEN"))
            })
            .collect();
        found.sort_unstable();
        hints.extend(found.into_iter().map(|set| {
            format!(
                "{set} is set, but provider '{name}' reads its key from {key_var}: did you \
                 mean {key_var}?"
            )
        }));
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_a_key_variable_get_a_did_you_mean() {
        let env = Env::from_pairs([
            ("GROQ_KEY", "gsk_x"),
            ("OPENAI_APIKEY", "sk-x"),
            ("MISTRAL_API_KEY", "m"),
            ("MISTRAL_TOKEN", "m"),
            ("GROQ_MODEL", "x"),
            ("ANTHROPIC_AUTH_TOKEN", "ccproxy"),
            ("OPENAI_RESPONSES_API_KEY", "sk-x"),
        ]);
        let config =
            crate::config::load(&crate::config::Overrides::default(), &env).expect("valid");
        let hints = misspelt_keys(&config, &env);
        // OPENAI_RESPONSES_API_KEY is one too: openai-responses shares OPENAI_API_KEY.
        assert_eq!(hints.len(), 3, "{hints:?}");
        assert!(hints[0].starts_with("GROQ_KEY is set"), "{hints:?}");
        assert!(
            hints[0].ends_with("did you mean GROQ_API_KEY?"),
            "{hints:?}"
        );
        assert!(hints[1].starts_with("OPENAI_APIKEY is set"), "{hints:?}");
    }
}
