//! The figures readers see: series added up per provider, per route and per model, with
//! percentiles over the recent window ([`Snapshot`]), and slice-by-slice latency for the
//! dashboard's plot ([`Timeline`]). Pure functions of the series and the time.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::window::{Slice, SLICE, SLICES};
use super::{Series, Totals};

/// Everything added up, as `/stats`, `/status` and `/health` serve it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// How far back the `recent` figures (percentiles, error rates) look.
    pub window_seconds: u64,
    pub totals: Figures,
    pub providers: BTreeMap<String, Figures>,
    pub routes: BTreeMap<String, Figures>,
    /// By `"provider,model"`.
    pub models: BTreeMap<String, Figures>,
}

/// The figures of a group of requests: all-time totals, and the recent window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    /// Failures by error code.
    pub errors: BTreeMap<Cow<'static, str>, u64>,
    /// Input tokens, cache reads excluded.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the providers' prompt caches.
    pub cache_read_input_tokens: u64,
    /// From the configured prices; 0 when no model used is priced.
    pub cost: f64,
    /// What cache reads saved against the input price (models with a
    /// `cached_input_per_mtok` price only); 0 when none.
    pub cache_savings: f64,
    pub retries: u64,
    pub fallbacks: u64,
    pub recent: Windowed,
}

/// Figures over the recent window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Windowed {
    pub requests: u64,
    pub failures: u64,
    pub error_rate: f64,
    pub latency_ms: Percentiles,
    pub ttft_ms: Percentiles,
}

/// Absent when the window holds no sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
}

/// Per provider and per route, one [`Point`] per slice of the window, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub slice_seconds: u64,
    /// When each slice began, in milliseconds since the Unix epoch.
    pub starts_ms: Vec<u64>,
    pub providers: BTreeMap<String, Vec<Point>>,
    pub routes: BTreeMap<String, Vec<Point>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub requests: u64,
    pub failures: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Totals and window of a group, before percentiles are read off.
#[derive(Default)]
struct Group {
    totals: Totals,
    window: Slice,
}

impl Group {
    fn add(&mut self, series: &Series, now: u64) {
        self.totals.merge(&series.totals);
        series.window.merged(now, &mut self.window);
    }

    fn figures(&self) -> Figures {
        let totals = &self.totals;
        let errors = totals.outcomes.iter().filter(|o| !o.code.is_empty()).fold(
            BTreeMap::new(),
            |mut errors, o| {
                *errors.entry(Cow::Borrowed(o.code)).or_insert(0) += o.count;
                errors
            },
        );
        let window = &self.window;
        Figures {
            requests: totals.requests,
            successes: totals.requests - totals.failures,
            failures: totals.failures,
            errors,
            input_tokens: totals.input_tokens,
            output_tokens: totals.output_tokens,
            cache_read_input_tokens: totals.cache_read_tokens,
            cost: totals.cost,
            cache_savings: totals.saved,
            retries: totals.retries,
            fallbacks: totals.fallbacks,
            recent: Windowed {
                requests: window.requests,
                failures: window.failures,
                error_rate: ratio(window.failures, window.requests),
                latency_ms: percentiles(&window.latency),
                ttft_ms: percentiles(&window.ttft),
            },
        }
    }
}

fn percentiles(histogram: &super::window::Histogram) -> Percentiles {
    Percentiles {
        p50: histogram.quantile(0.50),
        p95: histogram.quantile(0.95),
        p99: histogram.quantile(0.99),
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub(super) fn snapshot(series: &[Series], now: u64) -> Snapshot {
    let mut totals = Group::default();
    let mut providers: BTreeMap<String, Group> = BTreeMap::new();
    let mut routes: BTreeMap<String, Group> = BTreeMap::new();
    let mut models: BTreeMap<String, Group> = BTreeMap::new();
    for s in series {
        totals.add(s, now);
        group(&mut providers, &s.provider).add(s, now);
        group(&mut routes, s.route).add(s, now);
        group(&mut models, &format!("{},{}", s.provider, s.model)).add(s, now);
    }
    let figures = |groups: BTreeMap<String, Group>| {
        groups
            .into_iter()
            .map(|(name, group)| (name, group.figures()))
            .collect()
    };
    Snapshot {
        window_seconds: SLICE.as_secs() * SLICES as u64,
        totals: totals.figures(),
        providers: figures(providers),
        routes: figures(routes),
        models: figures(models),
    }
}

fn group<'m, T: Default>(groups: &'m mut BTreeMap<String, T>, name: &str) -> &'m mut T {
    groups.entry(name.to_string()).or_default()
}

pub(super) fn timeline(series: &[Series], now: u64, started_ms: u64) -> Timeline {
    let first = (now + 1).saturating_sub(SLICES as u64);
    let numbers: Vec<u64> = (first..=now).collect();
    let mut providers: BTreeMap<String, Vec<Slice>> = BTreeMap::new();
    let mut routes: BTreeMap<String, Vec<Slice>> = BTreeMap::new();
    for s in series {
        for (name, groups) in [
            (s.provider.as_str(), &mut providers),
            (s.route, &mut routes),
        ] {
            let slices = group(groups, name);
            slices.resize_with(numbers.len(), Slice::default);
            for (slot, &number) in slices.iter_mut().zip(&numbers) {
                if let Some(slice) = s.window.slice(number, now) {
                    slot.merge(slice);
                }
            }
        }
    }
    let points = |groups: BTreeMap<String, Vec<Slice>>| {
        groups
            .into_iter()
            .map(|(name, slices)| (name, slices.iter().map(point).collect()))
            .collect()
    };
    let slice_ms = SLICE.as_millis() as u64;
    Timeline {
        slice_seconds: SLICE.as_secs(),
        starts_ms: numbers.iter().map(|n| started_ms + n * slice_ms).collect(),
        providers: points(providers),
        routes: points(routes),
    }
}

fn point(slice: &Slice) -> Point {
    Point {
        requests: slice.requests,
        failures: slice.failures,
        p50_ms: slice.latency.quantile(0.50),
        p95_ms: slice.latency.quantile(0.95),
    }
}
