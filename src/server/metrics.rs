//! `GET /metrics`: the statistics in Prometheus' text exposition format (version 0.0.4),
//! written by hand: the format is a few line shapes, and a client crate would bring its own
//! registry and locking to duplicate what `stats` already keeps.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::report::{BreakerState, KeyCondition};
use crate::stats::window::Buckets;
use crate::stats::{Process, SeriesTotals, Totals};
use crate::team::KeyUsage;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Developer keys shown as labels at most; the rest are summed under `key="other"`.
const MAX_KEY_LABELS: usize = 100;

pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let keys = match state.team.active() {
        true => state.team.keys().await.ok(),
        false => None,
    };
    let mut text = render(&state);
    team(&mut text, &state, keys.unwrap_or_default());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

/// The team store's health and the usage per developer key (the busiest
/// [`MAX_KEY_LABELS`] by name, the rest as `other`).
fn team(text: &mut String, state: &AppState, mut keys: Vec<KeyUsage>) {
    let mut out = Exposition::default();
    let health = state.team.health();
    out.single(
        "ccproxy_store_up",
        "gauge",
        "1 when the team store answers (or none is used), 0 during an outage.",
        if health.is_down() { 0.0 } else { 1.0 },
    );
    out.single(
        "ccproxy_store_outages_total",
        "counter",
        "Times the team store became unavailable.",
        health.outages() as f64,
    );
    out.single(
        "ccproxy_store_errors_total",
        "counter",
        "Team store calls that failed or missed their deadline.",
        health.failures() as f64,
    );
    keys.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
    let mut rows: Vec<(String, [f64; 5])> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let values = [
            key.requests as f64,
            key.input_tokens as f64,
            key.output_tokens as f64,
            key.cache_read_input_tokens as f64,
            key.cost_usd,
        ];
        if i < MAX_KEY_LABELS {
            rows.push((key.name.clone(), values));
        } else if let Some((_, other)) = rows.iter_mut().find(|(name, _)| name == "other") {
            other.iter_mut().zip(values).for_each(|(sum, v)| *sum += v);
        } else {
            rows.push(("other".into(), values));
        }
    }
    for (index, (metric, help)) in [
        (
            "ccproxy_key_requests_total",
            "Messages requests per developer key.",
        ),
        (
            "ccproxy_key_input_tokens_total",
            "Input tokens per developer key.",
        ),
        (
            "ccproxy_key_output_tokens_total",
            "Output tokens per developer key.",
        ),
        (
            "ccproxy_key_cache_read_tokens_total",
            "Input tokens read from the providers' prompt caches per developer key.",
        ),
        (
            "ccproxy_key_cost_dollars_total",
            "Cost in dollars per developer key (priced models).",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        if rows.is_empty() {
            break;
        }
        out.family(metric, "counter", help);
        for (name, values) in &rows {
            out.sample(metric, &[("key", name)], values[index]);
        }
    }
    text.push_str(&out.text);
}

fn render(state: &AppState) -> String {
    let stats = &state.stats;
    let series = stats.totals();
    let mut out = Exposition::default();
    out.family("ccproxy_build_info", "gauge", "The running version.");
    out.sample(
        "ccproxy_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    out.single(
        "ccproxy_uptime_seconds",
        "gauge",
        "Seconds since start.",
        stats.uptime().as_secs_f64(),
    );
    out.single(
        "ccproxy_in_flight_requests",
        "gauge",
        "Messages requests being served now.",
        stats.in_flight() as f64,
    );

    out.family(
        "ccproxy_requests_total",
        "counter",
        "Messages requests by route, provider, model, status and error code.",
    );
    for row in &series {
        for outcome in &row.totals.outcomes {
            let status = outcome.status.to_string();
            let labels = row.labels(&[("status", status.as_str()), ("code", outcome.code)]);
            out.sample("ccproxy_requests_total", &labels, outcome.count as f64);
        }
    }
    out.histograms(
        "ccproxy_request_duration_seconds",
        "Time from request to complete response.",
        &series,
        |t| &t.latency,
    );
    out.histograms(
        "ccproxy_time_to_first_token_seconds",
        "Time from request to the first streamed event.",
        &series,
        |t| &t.ttft,
    );

    out.family(
        "ccproxy_tokens_total",
        "counter",
        "Tokens by direction, as the providers reported them (cache_read: input tokens read \
         from the provider's prompt cache, not counted in input).",
    );
    for row in &series {
        for (direction, count) in [
            ("input", row.totals.input_tokens),
            ("output", row.totals.output_tokens),
            ("cache_read", row.totals.cache_read_tokens),
        ] {
            let labels = row.labels(&[("direction", direction)]);
            out.sample("ccproxy_tokens_total", &labels, count as f64);
        }
    }
    out.per_series(
        "ccproxy_cost_total",
        "Cost from the configured prices per million tokens.",
        &series,
        |t| t.cost,
    );
    out.per_series(
        "ccproxy_cache_savings_total",
        "What cache reads saved against the input price, from the configured cached-input prices.",
        &series,
        |t| t.saved,
    );
    out.per_series(
        "ccproxy_retries_total",
        "Upstream attempts beyond the first.",
        &series,
        |t| t.retries as f64,
    );
    out.per_series(
        "ccproxy_fallbacks_total",
        "Requests served or failed by a fallback target.",
        &series,
        |t| t.fallbacks as f64,
    );

    out.family(
        "ccproxy_circuit_state",
        "gauge",
        "1 for each provider's circuit breaker state (closed, open, half_open).",
    );
    for provider in state.config().provider_names() {
        let current = state.dispatcher.breaker_status(&provider).state;
        for (circuit, name) in [
            (BreakerState::Closed, "closed"),
            (BreakerState::Open, "open"),
            (BreakerState::HalfOpen, "half_open"),
        ] {
            let value = if circuit == current { 1.0 } else { 0.0 };
            out.sample(
                "ccproxy_circuit_state",
                &[("provider", &provider), ("state", name)],
                value,
            );
        }
    }

    out.family(
        "ccproxy_key_state",
        "gauge",
        "1 for each pool key's state (active, cooling, invalid); the key is masked.",
    );
    let config = state.config();
    for provider in config.providers.iter().filter(|p| !p.more_keys.is_empty()) {
        for key in state.dispatcher.key_status(provider) {
            for kind in KeyCondition::ALL {
                let value = if kind == key.state { 1.0 } else { 0.0 };
                let labels = [
                    ("provider", provider.name.as_str()),
                    ("key", key.key.as_str()),
                    ("state", kind.as_str()),
                ];
                out.sample("ccproxy_key_state", &labels, value);
            }
        }
    }

    let process = Process::read();
    if let Some(rss) = process.rss_bytes {
        out.single(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            rss as f64,
        );
    }
    if let Some(cpu) = process.cpu_seconds {
        out.single(
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time in seconds.",
            cpu,
        );
    }
    if let Some(fds) = process.open_fds {
        out.single(
            "process_open_fds",
            "gauge",
            "Open file descriptors (sockets included).",
            fds as f64,
        );
    }
    out.single(
        "process_start_time_seconds",
        "gauge",
        "Start time since the Unix epoch in seconds.",
        stats.started_at(),
    );
    out.text
}

/// A text exposition under construction.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    fn per_series(
        &mut self,
        name: &str,
        help: &str,
        series: &[SeriesTotals],
        value: impl Fn(&Totals) -> f64,
    ) {
        self.family(name, "counter", help);
        for row in series {
            self.sample(name, &row.labels(&[]), value(&row.totals));
        }
    }

    fn histograms(
        &mut self,
        name: &str,
        help: &str,
        series: &[SeriesTotals],
        buckets: impl Fn(&Totals) -> &Buckets,
    ) {
        self.family(name, "histogram", help);
        let (bucket, sum, count) = (
            format!("{name}_bucket"),
            format!("{name}_sum"),
            format!("{name}_count"),
        );
        for row in series {
            let histogram = buckets(&row.totals);
            for (bound, cumulative) in histogram.cumulative() {
                let le = bound.map_or_else(|| "+Inf".to_string(), |b| b.to_string());
                self.sample(&bucket, &row.labels(&[("le", &le)]), cumulative as f64);
            }
            let labels = row.labels(&[]);
            self.sample(&sum, &labels, histogram.sum_seconds);
            self.sample(&count, &labels, histogram.count as f64);
        }
    }
}

impl SeriesTotals {
    /// The series' route, provider and model labels, then `more`.
    fn labels<'a>(&'a self, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut labels = vec![
            ("route", self.route),
            ("provider", &self.provider),
            ("model", &self.model),
        ];
        labels.extend_from_slice(more);
        labels
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return value.into();
    }
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_escape_label_values() {
        let mut out = Exposition::default();
        out.sample("m", &[("model", "a\"b\\c\nd"), ("x", "y")], 2.5);
        out.sample("n", &[], 3.0);
        assert_eq!(out.text, "m{model=\"a\\\"b\\\\c\\nd\",x=\"y\"} 2.5\nn 3\n");
    }

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let mut totals = Totals::default();
        totals.latency.record(std::time::Duration::from_millis(30));
        totals.latency.record(std::time::Duration::from_secs(2));
        let rows = vec![SeriesTotals {
            route: "default",
            provider: "groq".to_string(),
            model: "kimi".to_string(),
            totals,
        }];
        let mut out = Exposition::default();
        out.histograms("d", "help", &rows, |t| &t.latency);
        let lines: Vec<&str> = out.text.lines().collect();
        assert_eq!(lines[0], "# HELP d help");
        assert_eq!(lines[1], "# TYPE d histogram");
        assert!(lines.contains(
            &"d_bucket{route=\"default\",provider=\"groq\",model=\"kimi\",le=\"0.025\"} 0"
        ));
        assert!(lines.contains(
            &"d_bucket{route=\"default\",provider=\"groq\",model=\"kimi\",le=\"0.05\"} 1"
        ));
        assert!(lines.contains(
            &"d_bucket{route=\"default\",provider=\"groq\",model=\"kimi\",le=\"2.5\"} 2"
        ));
        assert!(lines.contains(
            &"d_bucket{route=\"default\",provider=\"groq\",model=\"kimi\",le=\"+Inf\"} 2"
        ));
        assert!(lines.contains(&"d_count{route=\"default\",provider=\"groq\",model=\"kimi\"} 2"));
    }
}
