//! Optional model prices (the config file's `prices`), used only to add up what requests
//! cost. Read as strictly as the rest of the file: every key is a configured
//! `"provider,model"`, every price a number ≥ 0, unknown fields are problems.
//!
//! ```json
//! "prices": {"groq,openai/gpt-oss-120b": {"input_per_mtok": 1.0, "output_per_mtok": 3.0}}
//! ```

use serde_json::{json, Value};

use super::{Problem, ProviderConfig, Target};

const PRICE_KEYS: [&str; 2] = ["input_per_mtok", "output_per_mtok"];

/// What a million input and output tokens cost.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Price {
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_mtok + output_tokens as f64 * self.output_per_mtok)
            / 1_000_000.0
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

    /// In the config file's shape.
    pub fn to_json(&self) -> Value {
        let entries = self.0.iter().map(|(target, price)| {
            let price = json!({"input_per_mtok": price.input_per_mtok,
                               "output_per_mtok": price.output_per_mtok});
            (target.to_string(), price)
        });
        Value::Object(entries.collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the `prices` object, adding a problem (with its JSON path) for each fault.
pub(super) fn read(
    value: Option<&Value>,
    providers: &[ProviderConfig],
    problems: &mut Vec<Problem>,
) -> Prices {
    let Some(value) = value else {
        return Prices::default();
    };
    let Value::Object(entries) = value else {
        problems.push(Problem::new(
            "prices",
            "expected an object of \"provider,model\": {\"input_per_mtok\": .., \"output_per_mtok\": ..}",
        ));
        return Prices::default();
    };
    let mut prices = Vec::new();
    for (key, value) in entries {
        let path = format!("prices.{key}");
        let Some(target) = Target::parse(key) else {
            problems.push(Problem::new(path, "the key must be \"provider,model\""));
            continue;
        };
        if providers.iter().all(|p| p.name != target.provider) {
            let message = format!("provider '{}' is not configured", target.provider);
            problems.push(Problem::new(path, message));
            continue;
        }
        if let Some(price) = price(&path, value, problems) {
            prices.push((target, price));
        }
    }
    Prices(prices)
}

fn price(path: &str, value: &Value, problems: &mut Vec<Problem>) -> Option<Price> {
    let Value::Object(fields) = value else {
        problems.push(Problem::new(
            path,
            "expected {\"input_per_mtok\": .., \"output_per_mtok\": ..}",
        ));
        return None;
    };
    for key in fields.keys().filter(|k| !PRICE_KEYS.contains(&k.as_str())) {
        let message = format!("unknown field (known: {})", PRICE_KEYS.join(", "));
        problems.push(Problem::new(format!("{path}.{key}"), message));
    }
    let mut amount = |key: &str| match fields.get(key).map(Value::as_f64) {
        Some(Some(n)) if n >= 0.0 && n.is_finite() => Some(n),
        Some(_) => {
            let message = "expected a price per million tokens (a number ≥ 0)";
            problems.push(Problem::new(format!("{path}.{key}"), message));
            None
        }
        None => {
            problems.push(Problem::new(format!("{path}.{key}"), "required"));
            None
        }
    };
    let input = amount("input_per_mtok");
    let output = amount("output_per_mtok");
    Some(Price {
        input_per_mtok: input?,
        output_per_mtok: output?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn groq() -> Vec<ProviderConfig> {
        let env = crate::config::Env::from_pairs([("GROQ_API_KEY", "gsk")]);
        crate::config::load(&crate::config::Overrides::default(), &env)
            .expect("config")
            .providers
    }

    #[test]
    fn reads_prices_and_computes_cost() {
        let mut problems = Vec::new();
        let value = json!({"groq,kimi": {"input_per_mtok": 1.0, "output_per_mtok": 3.0}});
        let prices = read(Some(&value), &groq(), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let price = prices.get("groq", "kimi").expect("priced");
        assert!((price.cost(1_000_000, 500_000) - 2.5).abs() < 1e-12);
        assert_eq!(prices.get("groq", "other"), None);
        assert_eq!(prices.to_json(), value, "shown in the file's shape");
    }

    #[test]
    fn every_fault_is_named_by_path() {
        let mut problems = Vec::new();
        let value = json!({
            "nope": {},
            "openai,gpt": {"input_per_mtok": 1, "output_per_mtok": 1},
            "groq,kimi": {"input_per_mtok": -1, "outptu_per_mtok": 2}
        });
        let prices = read(Some(&value), &groq(), &mut problems);
        assert!(prices.is_empty());
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "prices.groq,kimi.outptu_per_mtok",
                "prices.groq,kimi.input_per_mtok",
                "prices.groq,kimi.output_per_mtok",
                "prices.nope",
                "prices.openai,gpt",
            ]
        );
    }
}
