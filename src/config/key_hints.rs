//! Start-up hints for a provider key set under a wrong name: `GROQ_KEY` or `OPENAI_APIKEY`
//! while ccproxy reads `GROQ_API_KEY` and `OPENAI_API_KEY`. A did-you-mean per variable
//! that looks like a key of a provider whose key variable is unset.

use super::{catalog, Config, Env};

/// Variables of other programs that look like a provider key but are not meant as one
/// (Claude Code's token for the proxy itself).
const NOT_KEYS: &[&str] = &["ANTHROPIC_AUTH_TOKEN"];

/// One line per misspelt key variable: what is set, and the name ccproxy reads.
pub fn misspelt_keys(config: &Config, env: &Env) -> Vec<String> {
    let mut providers: Vec<&str> = catalog::names();
    for provider in &config.providers {
        if !providers.contains(&provider.name.as_str()) {
            providers.push(&provider.name);
        }
    }
    let mut hints = Vec::new();
    for name in providers {
        let key_var = catalog::key_var(name);
        if env.get(&key_var).is_some() {
            continue;
        }
        let prefix = format!("{}_", catalog::env_prefix(name));
        let mut found: Vec<&str> = env
            .names()
            .filter(|set| {
                let upper = set.to_ascii_uppercase();
                upper != key_var
                    && !NOT_KEYS.contains(&upper.as_str())
                    && upper.starts_with(&prefix)
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
        ]);
        let config =
            crate::config::load(&crate::config::Overrides::default(), &env).expect("valid");
        let hints = misspelt_keys(&config, &env);
        assert_eq!(hints.len(), 2, "{hints:?}");
        assert!(hints[0].starts_with("GROQ_KEY is set"), "{hints:?}");
        assert!(
            hints[0].ends_with("did you mean GROQ_API_KEY?"),
            "{hints:?}"
        );
        assert!(hints[1].starts_with("OPENAI_APIKEY is set"), "{hints:?}");
    }
}
