//! `PROVIDER` with a config file: the variable chooses the default route's provider, as it
//! does without a file (the environment overrides the file, flags override both). The
//! provider comes from the file when it is there, else from the built-in catalog; a
//! default route that already starts with that provider is kept as written.

use super::{catalog, env_mode, Config, ConfigSource, Env, Problem, Target};

/// Applies `PROVIDER` to a configuration read from a file.
pub(super) fn apply(config: &mut Config, env: &Env, problems: &mut Vec<Problem>) {
    let ConfigSource::File(path) = &config.source else {
        return;
    };
    let Some(name) = chosen(env) else {
        return;
    };
    if config.routes.default.first().map(|t| t.provider.as_str()) == Some(name.as_str()) {
        return;
    }
    if config.provider(&name).is_none() {
        let Some(entry) = catalog::lookup(&name) else {
            problems.push(Problem::new(
                "PROVIDER",
                format!(
                    "'{name}' is neither a provider of {} nor a built-in one ({})",
                    path.display(),
                    catalog::names().join(", ")
                ),
            ));
            return;
        };
        config
            .providers
            .push(env_mode::from_catalog(entry, env, problems));
    }
    let model = config
        .provider(&name)
        .and_then(|p| p.default_model().map(str::to_string))
        .or_else(|| catalog::lookup(&name).map(|e| e.default_model.to_string()));
    match model {
        Some(model) => {
            config.routes.default = vec![Target {
                provider: name,
                model,
            }]
        }
        None => problems.push(Problem::new(
            "PROVIDER",
            format!("provider '{name}' lists no models: add one to its models in the file"),
        )),
    }
}

/// The start-up line that says what `PROVIDER` did to a file's configuration.
pub fn note(config: &Config, env: &Env) -> Option<String> {
    let ConfigSource::File(path) = &config.source else {
        return None;
    };
    let name = chosen(env)?;
    let default = config.routes.default.first()?;
    Some(format!(
        "PROVIDER={name}: the default route is {default} (the environment overrides \
         routes.default of {}; unset PROVIDER to use the file's)",
        path.display()
    ))
}

fn chosen(env: &Env) -> Option<String> {
    env.get("PROVIDER")
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
}
