//! How ccproxy absorbs provider failures: retries, the circuit breaker and the timeouts,
//! with their defaults. The file's `retry`, `timeouts` and `circuit_breaker` sections are
//! read (strictly) in `file/resilience.rs`; `CCPROXY_UPSTREAM_TIMEOUT_MS` overrides the response timeout.

use std::time::Duration;

use super::raw::{RawBreaker, RawRetry, RawTimeouts};

/// Retries of transient failures, before anything has been sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Attempts per target, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The longest wait ccproxy sits out itself: a provider asking for a longer one
    /// (`retry-after`) is answered to the client at once with `retry_after`.
    pub max_retry_wait: Duration,
    /// The first backoff step; step n waits a random time up to `base_delay · 2ⁿ`.
    pub base_delay: Duration,
    /// The budget of a request's whole attempt chain (retries, key switches, fallbacks),
    /// counted until an answer starts: when it runs out, the attempt in flight is dropped
    /// and the client is told what was tried. A stream that has started is not cut.
    pub total: Duration,
    /// How long a key refused for its rate or quota is set aside when the provider's
    /// headers do not say.
    pub key_cooldown: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(2),
            base_delay: Duration::from_millis(500),
            total: Duration::from_secs(60),
            key_cooldown: Duration::from_secs(60),
        }
    }
}

/// How long ccproxy waits on a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection (DNS, TCP, TLS).
    pub connect: Duration,
    /// From sending the request to the whole answer (a message), or to the first event of
    /// a stream: an upstream that trickles its answer cannot hold a request past it.
    pub response: Duration,
    /// Between two chunks of a response body that carry data (a stalled stream); SSE
    /// comments do not count.
    pub stream_idle: Duration,
    /// The whole exchange with the provider, streams included: pings and comments alone
    /// cannot keep a request open past it. Below the 50 minutes `ccproxy code` gives
    /// Claude Code (`API_TIMEOUT_MS`), so the proxy answers first.
    pub total: Duration,
    /// A client's request body: a body that sends nothing for this long is a 408.
    pub client_body: Duration,
    /// A client's request head (the request line and headers), counted from the moment the
    /// server starts reading it: a head still incomplete then is a 408 and the connection
    /// is closed. Also how long an idle kept-alive connection stays open.
    pub client_header: Duration,
    /// After SIGTERM or SIGINT: how long requests in flight may still run. Streams still
    /// running then end with an `overloaded_error` event.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(300),
            stream_idle: Duration::from_secs(120),
            total: Duration::from_secs(45 * 60),
            client_body: Duration::from_secs(10),
            client_header: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The circuit breaker of each target (provider and model). It counts requests, not
/// attempts: a request that succeeds after retries is one success.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerSettings {
    /// Consecutive failed requests that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit skips the target before one trial request.
    pub cooldown: Duration,
    /// The share of failed requests within `window` that opens the circuit (0 turns this
    /// trip off), once at least `min_requests` were seen there.
    pub failure_rate: f64,
    pub min_requests: u32,
    pub window: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cooldown: Duration::from_secs(30),
            failure_rate: 0.5,
            min_requests: 10,
            window: Duration::from_secs(30),
        }
    }
}

/// Everything above, as one part of [`super::Config`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resilience {
    pub retry: RetrySettings,
    pub timeouts: Timeouts,
    pub breaker: BreakerSettings,
}

impl Resilience {
    /// The `retry` section in the file's shape (for `ccproxy config show` and `/status`).
    pub fn retry_shown(&self) -> RawRetry {
        let retry = &self.retry;
        RawRetry {
            max_attempts: Some(retry.max_attempts.into()),
            max_retry_wait_ms: Some(ms(retry.max_retry_wait)),
            base_delay_ms: Some(ms(retry.base_delay)),
            total_ms: Some(ms(retry.total)),
            key_cooldown_ms: Some(ms(retry.key_cooldown)),
        }
    }

    /// The `timeouts` section in the file's shape.
    pub fn timeouts_shown(&self) -> RawTimeouts {
        let timeouts = &self.timeouts;
        RawTimeouts {
            connect_ms: Some(ms(timeouts.connect)),
            response_ms: Some(ms(timeouts.response)),
            stream_idle_ms: Some(ms(timeouts.stream_idle)),
            total_ms: Some(ms(timeouts.total)),
            client_body_ms: Some(ms(timeouts.client_body)),
            client_header_ms: Some(ms(timeouts.client_header)),
            shutdown_grace_ms: Some(ms(timeouts.shutdown_grace)),
        }
    }

    /// The `circuit_breaker` section in the file's shape.
    pub fn breaker_shown(&self) -> RawBreaker {
        let breaker = &self.breaker;
        RawBreaker {
            failure_threshold: Some(breaker.failure_threshold.into()),
            cooldown_ms: Some(ms(breaker.cooldown)),
            failure_rate: Some(breaker.failure_rate),
            min_requests: Some(breaker.min_requests.into()),
            window_ms: Some(ms(breaker.window)),
        }
    }
}

/// A duration in whole milliseconds, as the file writes it.
fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The environment variable that overrides `timeouts.response_ms`.
pub const RESPONSE_TIMEOUT_VAR: &str = "CCPROXY_UPSTREAM_TIMEOUT_MS";

/// Upper bound of `retry.max_attempts`: more would hammer a failing provider.
pub(super) const MAX_ATTEMPTS_LIMIT: u64 = 10;
