//! Optional model prices (the config file's `prices`), used only to add up what requests
//! cost and what prompt caching saved. Read as strictly as the rest of the file: every key
//! is a configured `"provider,model"`, every price a number ≥ 0, unknown fields are
//! problems.
//!
//! ```json
//! "prices": {"openai,gpt-5.6-terra": {"input_per_mtok": 1.25, "output_per_mtok": 10.0,
//!                                    "cached_input_per_mtok": 0.125}}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::raw::{RawPrice, Sink};
use super::{ProviderConfig, Target};

/// What a million input, output and cache-read input tokens cost (in the file's shape).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
    /// Input read from the provider's prompt cache; when not given, cache reads cost as
    /// much as other input (and save nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_per_mtok: Option<f64>,
}

/// The tokens a request is billed for, as Anthropic's `usage` counts them: `input` excludes
/// the `cache_read` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Billed {
    pub input: u64,
    pub cache_read: u64,
    pub output: u64,
}

impl Price {
    /// What the tokens cost in dollars: cache reads at the cached price.
    pub fn cost(&self, tokens: Billed) -> f64 {
        (tokens.input as f64 * self.input_per_mtok
            + tokens.cache_read as f64 * self.cache_read_per_mtok()
            + tokens.output as f64 * self.output_per_mtok)
            / 1_000_000.0
    }

    /// What reading `cache_read` tokens from the cache saved in dollars, against sending
    /// them as plain input: `cache_read × (input − cached)` per token.
    pub fn saved(&self, cache_read: u64) -> f64 {
        cache_read as f64 * (self.input_per_mtok - self.cache_read_per_mtok()) / 1_000_000.0
    }

    fn cache_read_per_mtok(&self) -> f64 {
        self.cached_input_per_mtok.unwrap_or(self.input_per_mtok)
    }
}

/// The configured prices, by target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prices(Vec<(Target, Price)>);

impl Prices {
    pub fn get(&self, provider: &str, model: &str) -> Option<Price> {
        self.0
            .iter()
            .find(|(target, _)| target.provider == provider && target.model == model)
            .map(|(_, price)| *price)
    }

    /// In the config file's shape: each price by its `"provider,model"`.
    pub fn shown(&self) -> BTreeMap<String, Price> {
        let entries = self
            .0
            .iter()
            .map(|(target, price)| (target.to_string(), *price));
        entries.collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the `prices` entries, adding a problem (with its JSON path) for each fault.
pub(super) fn read(
    entries: Option<&BTreeMap<String, Option<RawPrice>>>,
    providers: &[ProviderConfig],
    sink: &mut Sink,
) -> Prices {
    let mut prices = Vec::new();
    for (key, raw) in entries.into_iter().flatten() {
        let path = format!("prices.{key}");
        sink.at(&path);
        let Some(target) = Target::parse(key) else {
            sink.problem(path, "the key must be \"provider,model\"");
            continue;
        };
        if providers.iter().all(|p| p.name != target.provider) {
            let message = format!("provider '{}' is not configured", target.provider);
            sink.problem(path, message);
            continue;
        }
        let Some(raw) = raw else {
            sink.problem(
                path,
                "expected {\"input_per_mtok\": .., \"output_per_mtok\": ..}",
            );
            continue;
        };
        if let Some(price) = price(&path, raw, sink) {
            prices.push((target, price));
        }
    }
    Prices(prices)
}

fn price(path: &str, raw: &RawPrice, sink: &mut Sink) -> Option<Price> {
    sink.enter(path);
    let mut amount = |key: &str, value: Option<f64>, required: bool| {
        let at = format!("{path}.{key}");
        sink.at(&at);
        match value {
            Some(n) if n >= 0.0 && n.is_finite() => Some(Some(n)),
            Some(_) => {
                sink.problem(at, "expected a price per million tokens (a number ≥ 0)");
                None
            }
            None if required && !sink.is_refused(&at) => {
                sink.problem(at, "required");
                None
            }
            None => (!required).then_some(None),
        }
    };
    let input = amount("input_per_mtok", raw.input_per_mtok, true);
    let output = amount("output_per_mtok", raw.output_per_mtok, true);
    let cached = amount("cached_input_per_mtok", raw.cached_input_per_mtok, false);
    Some(Price {
        input_per_mtok: input??,
        output_per_mtok: output??,
        cached_input_per_mtok: cached?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads `value` as the file's `prices`: the prices, and every problem.
    fn read_json(value: &serde_json::Value) -> (Prices, Vec<crate::config::Problem>) {
        type Entries = BTreeMap<String, Option<RawPrice>>;
        let (raw, mut sink) = crate::config::raw::parse::<Entries>(value.clone(), "prices");
        let prices = read(Some(&raw), &groq(), &mut sink);
        (prices, sink.finish())
    }

    fn groq() -> Vec<ProviderConfig> {
        let env = crate::config::Env::from_pairs([("GROQ_API_KEY", "gsk")]);
        crate::config::load(&crate::config::Overrides::default(), &env)
            .expect("config")
            .providers
    }

    #[test]
    fn reads_prices_and_computes_cost() {
        let value = json!({"groq,kimi": {"input_per_mtok": 1.0, "output_per_mtok": 3.0}});
        let (prices, problems) = read_json(&value);
        assert!(problems.is_empty(), "{problems:?}");
        let price = prices.get("groq", "kimi").expect("priced");
        let tokens = Billed {
            input: 1_000_000,
            cache_read: 0,
            output: 500_000,
        };
        assert!((price.cost(tokens) - 2.5).abs() < 1e-12);
        assert_eq!(prices.get("groq", "other"), None);
        let shown = serde_json::to_value(prices.shown()).expect("JSON");
        assert_eq!(shown, value, "shown in the file's shape");
    }

    #[test]
    fn cache_reads_cost_the_cached_price_and_save_the_difference() {
        let value = json!({"groq,kimi": {"input_per_mtok": 1.0, "output_per_mtok": 3.0,
                                         "cached_input_per_mtok": 0.25}});
        let (prices, problems) = read_json(&value);
        assert!(problems.is_empty(), "{problems:?}");
        let price = prices.get("groq", "kimi").expect("priced");
        let tokens = Billed {
            input: 200_000,
            cache_read: 800_000,
            output: 100_000,
        };
        // 0.2 M input at 1.0, 0.8 M cache reads at 0.25, 0.1 M output at 3.0.
        assert!((price.cost(tokens) - (0.2 + 0.2 + 0.3)).abs() < 1e-12);
        assert!((price.saved(800_000) - 0.6).abs() < 1e-12);
        let shown = serde_json::to_value(prices.shown()).expect("JSON");
        assert_eq!(shown, value, "shown in the file's shape");
        // Without a cached price, cache reads cost as much as input and save nothing.
        let plain = Price {
            cached_input_per_mtok: None,
            ..price
        };
        assert!((plain.cost(tokens) - (1.0 + 0.3)).abs() < 1e-12);
        assert_eq!(plain.saved(800_000), 0.0);
    }

    #[test]
    fn every_fault_is_named_by_path() {
        let value = json!({
            "nope": {},
            "openai,gpt": {"input_per_mtok": 1, "output_per_mtok": 1},
            "groq,kimi": {"input_per_mtok": -1, "outptu_per_mtok": 2, "cached_input_per_mtok": "x"}
        });
        let (prices, problems) = read_json(&value);
        assert!(prices.is_empty());
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "prices.groq,kimi.outptu_per_mtok",
                "prices.groq,kimi.input_per_mtok",
                "prices.groq,kimi.output_per_mtok",
                "prices.groq,kimi.cached_input_per_mtok",
                "prices.nope",
                "prices.openai,gpt",
            ]
        );
    }
}
