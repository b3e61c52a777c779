//! Request statistics in memory, and the one request log line.
//!
//! The request path builds one [`RequestRecord`] per `/v1/messages` request and hands it
//! to [`Stats::record`], which logs it (one structured line at info: never a body or a key)
//! and adds it to the figures under one short, uncontended lock: counters, a few additions
//! and a histogram increment; no allocation once a series exists. Everything is bounded:
//! at most [`MAX_SERIES`] (route, provider, model) series, each with fixed-size histograms
//! over a five-minute window, and the last [`RECENT`] requests.
//!
//! Readers (`/stats`, `/status`, `/health`, `/metrics`) aggregate on demand; this module
//! owns no HTTP and knows nothing of how the figures are shown.

mod figures;
mod process;
pub mod window;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use figures::{Figures, Snapshot, Timeline, Windowed};
pub use process::Process;
use window::{Buckets, Window, SLICE};

use crate::config::{Billed, Price, Prices, Target};
use crate::dispatch::{KeyId, Tally};
use crate::error::ProxyError;
use crate::wire::anthropic::{StreamEvent, Usage};

/// Distinct (route, provider, model) series kept; later ones share one "other" series, so
/// clients naming endless `provider,model` strings cannot grow memory.
pub const MAX_SERIES: usize = 64;
/// Requests kept for the recent-requests list.
pub const RECENT: usize = 200;
/// The provider, route or model of a request that failed before it was routed.
pub const NONE: &str = "none";
const OTHER: &str = "other";

/// What one request did, as the request path learnt it. Never holds a body or a key.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: String,
    pub started: Instant,
    pub stream: bool,
    /// The routing rule that chose the target, once routed.
    pub rule: Option<&'static str>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The HTTP status the client got (a stream that fails later keeps its 200).
    pub status: u16,
    /// The error code the client got, if it failed (in the body or as a stream's last
    /// event).
    pub code: Option<&'static str>,
    /// The error type beside that code (`invalid_request_error`, `rate_limit_error`, ...).
    pub error_type: Option<&'static str>,
    /// From sending upstream to its response headers (of the attempt that answered).
    pub upstream_latency: Option<Duration>,
    /// From receiving the request to the first streamed event sent back.
    pub time_to_first_token: Option<Duration>,
    /// Input tokens, cache reads excluded (as Anthropic counts them).
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache (not in `input_tokens`).
    pub cache_read_tokens: u64,
    /// Upstream attempts made (0 when it failed before any was sent).
    pub attempts: u32,
    /// Targets tried after the first.
    pub fallbacks: u32,
    /// The pool key that served (a fingerprint, never the key), for its token counts.
    pub key: Option<KeyId>,
}

impl RequestRecord {
    pub fn new(id: String, started: Instant) -> Self {
        Self {
            id,
            started,
            stream: false,
            rule: None,
            provider: None,
            model: None,
            status: 200,
            code: None,
            error_type: None,
            upstream_latency: None,
            time_to_first_token: None,
            input_tokens: 0,
            output_tokens: 0,
            cache_read_tokens: 0,
            attempts: 0,
            fallbacks: 0,
            key: None,
        }
    }

    /// The target the request is (so far) going to.
    pub fn served_by(&mut self, target: &Target) {
        self.provider = Some(target.provider.clone());
        self.model = Some(target.model.clone());
    }

    /// What the dispatch did: attempts, fallbacks, the last target tried, upstream latency.
    pub fn dispatched(&mut self, tally: &Tally) {
        self.attempts = tally.attempts;
        self.fallbacks = tally.fallbacks;
        self.upstream_latency = tally.upstream_latency;
        self.key = tally.key;
        if let Some(target) = &tally.target {
            self.served_by(target);
        }
    }

    /// What the request cost in dollars, when its model is priced (cache reads at the
    /// cached price).
    pub fn cost(&self, prices: &Prices) -> Option<f64> {
        let billed = Billed {
            input: self.input_tokens,
            cache_read: self.cache_read_tokens,
            output: self.output_tokens,
        };
        self.price(prices).map(|price| price.cost(billed))
    }

    /// What its cache reads saved in dollars, against the input price, when its model is
    /// priced (nothing without a cached-input price).
    pub fn saved(&self, prices: &Prices) -> Option<f64> {
        self.price(prices)
            .map(|price| price.saved(self.cache_read_tokens))
    }

    fn price(&self, prices: &Prices) -> Option<Price> {
        prices.get(self.provider.as_deref()?, self.model.as_deref()?)
    }

    /// The request failed with `error` before an answer began.
    pub fn failed(&mut self, error: &ProxyError) {
        self.status = error.status().as_u16();
        self.ended_by(error);
    }

    /// `error` ended the request: before its answer began, or inside its stream (which
    /// keeps its 200).
    pub fn ended_by(&mut self, error: &ProxyError) {
        self.code = Some(error.code());
        self.error_type = Some(error.error_type());
    }

    /// The usage an answer reports (a whole message, `message_start` or `message_delta`):
    /// an input count of 0 is one not said; output counts only grow.
    pub fn usage(&mut self, usage: &Usage) {
        self.tokens(usage.input_tokens, usage.output_tokens);
        self.cached(usage.cache_read_input_tokens);
    }

    /// Notes what a streamed event tells: the tokens so far, and the time of the first
    /// content (the time to first token).
    pub fn observe(&mut self, event: &StreamEvent) {
        let usage = match event {
            StreamEvent::MessageStart { message } => &message.usage,
            StreamEvent::MessageDelta { usage, .. } => usage,
            StreamEvent::ContentBlockDelta { .. } => return self.first_token(),
            _ => return,
        };
        self.usage(usage);
    }

    /// Notes the cache reads a usage reports, when it says.
    pub fn cached(&mut self, cache_read: Option<u64>) {
        if let Some(tokens) = cache_read {
            self.cache_read_tokens = tokens;
        }
    }

    /// Notes the token counts a stream event reports so far (an input count of 0 is one
    /// not said; output counts only grow).
    pub fn tokens(&mut self, input: u64, output: u64) {
        if input > 0 {
            self.input_tokens = input;
        }
        self.output_tokens = self.output_tokens.max(output);
    }

    /// Notes the first content sent back, unless noted already (the time to first token).
    pub fn first_token(&mut self) {
        if self.time_to_first_token.is_none() {
            self.time_to_first_token = Some(self.started.elapsed());
        }
    }

    /// An error status, or an error that ended a stream after its 200.
    fn is_failure(&self) -> bool {
        self.status >= 400 || self.code.is_some()
    }
}

/// One entry of the recent-requests list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recent {
    pub id: String,
    /// When it finished, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub rule: Cow<'static, str>,
    pub provider: String,
    pub model: String,
    pub stream: bool,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Cow<'static, str>>,
    /// The error's type beside its code (a request refused before it was routed has only
    /// these to say what happened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<Cow<'static, str>>,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub attempts: u32,
    pub fallbacks: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// What its cache reads saved, when its model has a cached-input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<f64>,
}

/// What a request cost, and what its cache reads saved, in dollars (when priced).
#[derive(Debug, Clone, Copy, Default)]
struct Money {
    cost: Option<f64>,
    saved: Option<f64>,
}

/// A request's outcome as counted: status and error code (`""` for success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    pub code: &'static str,
    pub count: u64,
}

/// All-time totals of one series.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub requests: u64,
    pub failures: u64,
    pub outcomes: Vec<Outcome>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost: f64,
    /// What cache reads saved against the input price.
    pub saved: f64,
    /// Upstream attempts beyond the first.
    pub retries: u64,
    pub fallbacks: u64,
    pub latency: Buckets,
    pub ttft: Buckets,
}

impl Totals {
    fn add(&mut self, record: &RequestRecord, total: Duration, money: Money) {
        self.requests += 1;
        self.failures += u64::from(record.is_failure());
        let code = record.code.unwrap_or("");
        match self
            .outcomes
            .iter_mut()
            .find(|o| o.status == record.status && o.code == code)
        {
            Some(outcome) => outcome.count += 1,
            None => self.outcomes.push(Outcome {
                status: record.status,
                code,
                count: 1,
            }),
        }
        self.input_tokens = self.input_tokens.saturating_add(record.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(record.output_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(record.cache_read_tokens);
        self.cost += money.cost.unwrap_or(0.0);
        self.saved += money.saved.unwrap_or(0.0);
        self.retries += u64::from(record.attempts.saturating_sub(1));
        self.fallbacks = self.fallbacks.saturating_add(u64::from(record.fallbacks));
        self.latency.record(total);
        if let Some(ttft) = record.time_to_first_token {
            self.ttft.record(ttft);
        }
    }

    fn merge(&mut self, other: &Totals) {
        self.requests += other.requests;
        self.failures += other.failures;
        for theirs in &other.outcomes {
            match self
                .outcomes
                .iter_mut()
                .find(|o| o.status == theirs.status && o.code == theirs.code)
            {
                Some(mine) => mine.count += theirs.count,
                None => self.outcomes.push(*theirs),
            }
        }
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(other.cache_read_tokens);
        self.cost += other.cost;
        self.saved += other.saved;
        self.retries += other.retries;
        self.fallbacks += other.fallbacks;
        self.latency.merge(&other.latency);
        self.ttft.merge(&other.ttft);
    }
}

/// The all-time totals of one (route, provider, model).
#[derive(Debug, Clone)]
pub struct SeriesTotals {
    pub route: &'static str,
    pub provider: String,
    pub model: String,
    pub totals: Totals,
}

/// The figures of one (route, provider, model).
#[derive(Debug, Clone)]
struct Series {
    pub route: &'static str,
    pub provider: String,
    pub model: String,
    pub totals: Totals,
    pub window: Window,
}

#[derive(Debug, Default)]
struct Inner {
    series: Vec<Series>,
    recent: VecDeque<Recent>,
}

impl Inner {
    fn series_mut(&mut self, route: &'static str, provider: &str, model: &str) -> &mut Series {
        let key = match self.find(route, provider, model) {
            Some(i) => return &mut self.series[i],
            None if self.series.len() >= MAX_SERIES => (OTHER, OTHER, OTHER),
            None => (route, provider, model),
        };
        let (route, provider, model) = key;
        let i = self.find(route, provider, model).unwrap_or_else(|| {
            self.series.push(Series {
                route,
                provider: provider.to_string(),
                model: model.to_string(),
                totals: Totals::default(),
                window: Window::default(),
            });
            self.series.len() - 1
        });
        &mut self.series[i]
    }

    fn find(&self, route: &str, provider: &str, model: &str) -> Option<usize> {
        self.series
            .iter()
            .position(|s| s.route == route && s.provider == provider && s.model == model)
    }

    fn add(&mut self, record: RequestRecord, total: Duration, money: Money, slice: u64) {
        let route = record.rule.unwrap_or(NONE);
        let provider = record.provider.as_deref().unwrap_or(NONE);
        let model = record.model.as_deref().unwrap_or(NONE);
        let series = self.series_mut(route, provider, model);
        series.totals.add(&record, total, money);
        let now = series.window.slice_mut(slice);
        now.requests += 1;
        now.failures += u64::from(record.is_failure());
        now.latency.record(total);
        if let Some(ttft) = record.time_to_first_token {
            now.ttft.record(ttft);
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            at_ms: unix_ms(SystemTime::now()),
            rule: Cow::Borrowed(route),
            stream: record.stream,
            status: record.status,
            code: record.code.map(Cow::Borrowed),
            error_type: record.error_type.map(Cow::Borrowed),
            latency_ms: millis(total),
            ttft_ms: record.time_to_first_token.map(millis),
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            cache_read_input_tokens: record.cache_read_tokens,
            attempts: record.attempts,
            fallbacks: record.fallbacks,
            cost: money.cost,
            saved: money.saved,
            id: record.id,
            provider: record.provider.unwrap_or_else(|| NONE.to_string()),
            model: record.model.unwrap_or_else(|| NONE.to_string()),
        });
    }
}

/// The statistics of this process; one per server.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    started_at: SystemTime,
    in_flight: Arc<AtomicU64>,
    inner: Mutex<Inner>,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            started_at: SystemTime::now(),
            in_flight: Arc::default(),
            inner: Mutex::default(),
        }
    }
}

/// Counts a request as in flight until dropped (it may travel with a streamed body).
#[derive(Debug)]
pub struct InFlight(Arc<AtomicU64>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// Marks one request in flight until the returned guard is dropped.
    pub fn enter(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.in_flight.clone())
    }

    /// Logs the request's one line and adds it to the figures. `prices` turn its tokens
    /// into a cost when its model is priced.
    pub fn record(&self, record: RequestRecord, prices: &Prices) {
        let total = record.started.elapsed();
        let money = Money {
            cost: record.cost(prices),
            saved: record.saved(prices),
        };
        log(&record, total);
        let slice = self.slice_now();
        self.lock().add(record, total, money, slice);
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// When the process started serving, in seconds since the Unix epoch.
    pub fn started_at(&self) -> f64 {
        self.started_at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The aggregated figures over all time and the recent window.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.slice_now();
        figures::snapshot(&self.lock().series, now)
    }

    /// Latency and failures per provider and per route, slice by slice over the window.
    pub fn timeline(&self) -> Timeline {
        let now = self.slice_now();
        let started_ms = unix_ms(self.started_at);
        figures::timeline(&self.lock().series, now, started_ms)
    }

    /// The most recent requests, newest first.
    pub fn recent(&self) -> Vec<Recent> {
        self.lock().recent.iter().rev().cloned().collect()
    }

    /// Every series' all-time totals, for the Prometheus exposition.
    pub fn totals(&self) -> Vec<SeriesTotals> {
        self.lock()
            .series
            .iter()
            .map(|s| SeriesTotals {
                route: s.route,
                provider: s.provider.clone(),
                model: s.model.clone(),
                totals: s.totals.clone(),
            })
            .collect()
    }

    fn slice_now(&self) -> u64 {
        (self.started.elapsed().as_millis() / SLICE.as_millis()) as u64
    }

    /// The figures stay usable even if a thread panicked while holding the lock: every
    /// update leaves them consistent enough to read.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The one request log line: ids, routing, outcome and timings, never a body or a key.
fn log(record: &RequestRecord, total: Duration) {
    tracing::info!(
        request_id = %record.id,
        rule = record.rule.unwrap_or(NONE),
        provider = record.provider.as_deref().unwrap_or(NONE),
        model = record.model.as_deref().unwrap_or(NONE),
        stream = record.stream,
        status = record.status,
        code = record.code,
        upstream_ms = record.upstream_latency.map(millis),
        ttft_ms = record.time_to_first_token.map(millis),
        total_ms = millis(total),
        input_tokens = record.input_tokens,
        output_tokens = record.output_tokens,
        cache_read_tokens = record.cache_read_tokens,
        attempts = record.attempts,
        fallbacks = record.fallbacks,
        "request"
    );
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, millis)
}

#[cfg(test)]
mod tests;
