//! The one error type of the request path, and the one place where a failure becomes an
//! HTTP status, an error `type`, a `code` and `details` (docs/errors.md), inside Anthropic's
//! envelope (`{"type":"error","error":{...}}`) so the official SDKs classify it.
//!
//! Every variant has one row in the metadata table ([`ProxyError::meta`], `error/meta.rs`):
//! its status, `type` and `code`, who is at fault ([`Fault`]: the client, the provider,
//! ccproxy itself, or its configuration) and what another attempt may do about it
//! ([`Recovery`]). The retry policy and the circuit breaker read those fields; nothing
//! matches on codes. Upstream failures say what kind they are ([`UpstreamFailure`],
//! [`TimeoutPhase`]) where they are built, and the kind carries the decision.
//!
//! This module knows nothing of the configuration: what an error needs to say about a
//! setting is given to it when it is built.

mod details;
mod meta;

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

pub use meta::{Fault, Meta, Recovery};

/// Every way a request can fail. Variants carry what the message and details need.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProxyError {
    #[error("{message}")]
    InvalidJson { message: String },
    #[error("missing required field `{field}`")]
    MissingField { field: String },
    #[error("invalid field `{field}`: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("request body is larger than the limit of {limit} bytes")]
    RequestTooLarge { limit: usize },
    /// The client stopped sending its request body.
    #[error("the request body stalled: nothing arrived for {}", show_duration(*after))]
    RequestTimeout { after: Duration },
    /// The client did not finish its request line and headers in time
    /// (`timeouts.client_header_ms`).
    #[error(
        "the request head (request line and headers) did not arrive within {}",
        show_duration(*after)
    )]
    HeadTimeout { after: Duration },
    #[error("no route for {method} {path}")]
    NotFound { method: String, path: String },
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("{reason}")]
    ProxyAuth { reason: &'static str },
    #[error("this ccproxy has no api_key configured, so it serves only clients on this machine")]
    RemoteClientForbidden,
    /// A request that looks like it comes from a web page (a foreign `Origin`, or a `Host`
    /// that is not a loopback name) while loopback alone is what lets it in.
    #[error("{reason}")]
    CrossOriginForbidden { reason: &'static str },
    #[error("unknown provider '{provider}' in model '{model}'")]
    UnknownProvider {
        provider: String,
        model: String,
        available: Vec<String>,
    },
    #[error("API key not configured for provider '{provider}': set {env_var} and restart ccproxy")]
    MissingApiKey {
        provider: String,
        env_var: String,
        /// True when nothing was configured at all: the suggestion then also says how to
        /// pick another provider.
        suggest_provider_choice: bool,
    },
    #[error("Invalid API key for provider '{provider}': check {key_hint}")]
    InvalidApiKey {
        provider: String,
        /// Where the key comes from, e.g. "your GROQ_API_KEY environment variable".
        key_hint: String,
    },
    #[error("The API key for provider '{provider}' lacks permission: {message}")]
    PermissionDenied { provider: String, message: String },
    #[error("Rate limit exceeded for provider '{provider}'")]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
        limit: Option<u64>,
        remaining: Option<u64>,
    },
    #[error(
        "Model '{model}' not found at provider '{provider}': set {}_MODEL (or the route in \
         the config file) to a model it serves",
        crate::config::catalog::env_prefix(provider)
    )]
    ModelNotFound {
        provider: String,
        model: String,
        available: Vec<String>,
    },
    #[error("Provider '{provider}' is temporarily unavailable: {reason}")]
    ProviderUnavailable {
        provider: String,
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("Provider '{provider}' returned an error: {message}")]
    ProviderFailed {
        provider: String,
        failure: UpstreamFailure,
        message: String,
    },
    #[error(
        "Provider '{provider}' timed out: no answer within {} while {}; raise {} if it is \
         just slow",
        show_duration(*after),
        phase.describe(),
        phase.setting()
    )]
    ProviderTimeout {
        provider: String,
        phase: TimeoutPhase,
        after: Duration,
    },
    /// The request's whole attempt chain (retries, key switches, fallbacks) ran out of its
    /// budget, `retry.total_ms`, before any answer started.
    #[error(
        "no answer within the retry budget of {} (retry.total_ms); tried: {}",
        show_duration(*budget),
        show_tried(tried)
    )]
    RetryBudgetExhausted {
        /// The provider of the last attempt.
        provider: String,
        budget: Duration,
        tried: Vec<TriedAttempt>,
    },
    #[error("Provider '{provider}' rejected the request: {message}")]
    ProviderRejected { provider: String, message: String },
    #[error("no provider named '{name}' is configured")]
    ProviderNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error("a provider named '{name}' already exists")]
    ProviderExists { name: String },
    #[error("the configuration change is invalid: {}", problems.join("; "))]
    InvalidConfig { problems: Vec<String> },
    /// The provider's context window overflowed, in Anthropic's words (docs/errors.md,
    /// `prompt_too_long`) so that Claude-style clients react (compact the conversation).
    #[error("prompt is too long: {detail}")]
    PromptTooLong { provider: String, detail: String },
    /// A provider's base URL leads back to this proxy (the loop guard, docs/errors.md).
    #[error(
        "provider '{provider}' points back at this ccproxy ({base_url}): the request would \
         loop; {}",
        loop_advice(provider, base_url_var)
    )]
    ProxyLoop {
        provider: String,
        base_url: String,
        /// The environment variable that sets the provider's base URL (`ANTHROPIC_BASE_URL`).
        base_url_var: String,
    },
    /// The running configuration cannot serve the request; `setting` names what to fix.
    #[error("ccproxy is misconfigured: {problem}")]
    Misconfigured {
        /// The setting to fix, as written in the config file (`routes.default`).
        setting: String,
        problem: String,
    },
    #[error("internal error: {message}")]
    Internal { message: String },
    /// The server was told to stop (SIGTERM, SIGINT) and its grace period ended while this
    /// request was still running: the client should retry elsewhere or later.
    #[error("ccproxy is shutting down")]
    ShuttingDown,
    /// Team mode: the developer key is missing, unknown or revoked.
    #[error("{reason}")]
    DeveloperKey { reason: &'static str },
    /// A developer key's own limit, requests or tokens per minute, across all replicas.
    #[error("Rate limit exceeded for key '{key}': at most {limit} {unit} per minute")]
    KeyRateLimited {
        key: String,
        unit: &'static str,
        limit: u64,
        remaining: u64,
        retry_after: Duration,
    },
    /// A spend limit (of the key, its group or the organization) is used up for its period.
    #[error(
        "Spend limit exceeded: the {period} limit of {scope} is {}, and {} has been spent; \
         it resets in {}",
        show_cents(*limit_cents),
        show_cents(*spent_cents),
        show_wait(*retry_after)
    )]
    SpendLimitExceeded {
        scope: String,
        period: &'static str,
        limit_cents: u64,
        spent_cents: u64,
        retry_after: Duration,
    },
    /// The team store (Redis or the embedded file) cannot be reached.
    #[error("the team store is unavailable, so requests are refused until it is back: {reason}")]
    StoreUnavailable { reason: String },
    #[error("no developer key named '{name}'")]
    KeyNotFound { name: String },
    #[error("a developer key named '{name}' already exists")]
    KeyExists { name: String },
    #[error("no spend limit with id '{id}'")]
    SpendLimitNotFound { id: String },
}

/// How a provider failed after it was reached: the `code` of a [`ProxyError::ProviderFailed`]
/// and what another attempt may do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// It answered with a server error (500, 502, ...) or an error inside its stream.
    ServerError,
    /// It said it timed out itself (408, 504).
    TimedOut,
    /// Its answer is not what the protocol promises (HTML, broken JSON, too large).
    Unreadable,
    /// Its answer broke off before it was complete.
    Incomplete,
}

impl UpstreamFailure {
    /// The `error.code` of this failure.
    pub fn code(self) -> &'static str {
        match self {
            Self::ServerError => "upstream_error",
            Self::TimedOut => "upstream_timeout",
            Self::Unreadable => "invalid_upstream_response",
            Self::Incomplete => "incomplete_upstream_response",
        }
    }

    /// The `error.type` of every such failure.
    pub fn error_type(self) -> &'static str {
        meta::PROVIDER_ERROR
    }

    /// A server error or the provider's own timeout may pass on retry; a body it could
    /// not write properly is answered at once (a retry would cost the same tokens again).
    pub fn recovery(self) -> Recovery {
        match self {
            Self::ServerError | Self::TimedOut => Recovery::Retry,
            Self::Unreadable | Self::Incomplete => Recovery::Final,
        }
    }
}

/// One attempt of a request's chain, as the client is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriedAttempt {
    /// `provider,model`.
    pub target: String,
    /// The key it was sent with, masked (`gsk_…3f9a`); `None` for a provider without keys.
    pub key: Option<String>,
    /// What it answered: `502 upstream_error`, or that the budget cut it.
    pub answer: String,
}

impl TriedAttempt {
    pub(crate) fn to_json(&self) -> Value {
        json!({"target": self.target, "key": self.key, "answer": self.answer})
    }
}

impl std::fmt::Display for TriedAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{} with key {}: {}", self.target, key, self.answer),
            None => write!(f, "{}: {}", self.target, self.answer),
        }
    }
}

fn show_tried(tried: &[TriedAttempt]) -> String {
    if tried.is_empty() {
        return "nothing".to_string();
    }
    let shown: Vec<String> = tried.iter().map(ToString::to_string).collect();
    shown.join("; ")
}

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the answer: a whole message, or the first event of a stream.
    Response,
    /// Waiting for the next chunk of the body.
    StreamIdle,
    /// The whole exchange, streams included.
    Total,
}

impl TimeoutPhase {
    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "connecting",
            Self::Response => "waiting for the answer",
            Self::StreamIdle => "waiting for the next chunk of the response",
            Self::Total => "keeping the request open (the limit for a whole request)",
        }
    }

    /// The setting that changes this timeout.
    pub fn setting(self) -> &'static str {
        match self {
            Self::Connect => "timeouts.connect_ms in the config file",
            Self::Response => {
                "timeouts.response_ms in the config file (or CCPROXY_UPSTREAM_TIMEOUT_MS)"
            }
            Self::StreamIdle => "timeouts.stream_idle_ms in the config file",
            Self::Total => "timeouts.total_ms in the config file",
        }
    }

    /// A connection that could not be made is tried elsewhere at once; a response that
    /// took too long already cost the whole wait, so the next target gets the request
    /// without a retry here.
    pub fn recovery(self) -> Recovery {
        match self {
            Self::Connect => Recovery::Switch,
            Self::Response | Self::StreamIdle | Self::Total => Recovery::NextTarget,
        }
    }
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        self.meta().status
    }

    /// The `error.type` field.
    pub fn error_type(&self) -> &'static str {
        self.meta().error_type
    }

    /// The `error.code` field.
    pub fn code(&self) -> &'static str {
        self.meta().code
    }

    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        self.meta().fault
    }

    /// What another attempt may do about this error.
    pub fn recovery(&self) -> Recovery {
        self.meta().recovery
    }

    /// How long the provider asked us to wait, when known (429 and 503).
    pub fn retry_wait(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. }
            | Self::ProviderUnavailable { retry_after, .. } => *retry_after,
            Self::KeyRateLimited { retry_after, .. }
            | Self::SpendLimitExceeded { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whole seconds the client should wait (rounded up), when known.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_wait().map(|wait| {
            let seconds = wait.as_secs();
            if wait.subsec_nanos() > 0 {
                seconds + 1
            } else {
                seconds
            }
        })
    }

    /// Errors that retrying cannot fix tell the SDKs so (`x-should-retry: false`, which
    /// the official SDKs obey): the client's own mistakes, refusals of the provider key,
    /// and what only a configuration change fixes.
    fn should_retry(&self) -> Option<bool> {
        let meta = self.meta();
        let refused = meta.status.is_client_error() && meta.status != StatusCode::TOO_MANY_REQUESTS;
        let spent = matches!(self, Self::SpendLimitExceeded { .. });
        (refused || spent || meta.fault == Fault::Configuration).then_some(false)
    }

    /// The error body: Anthropic's envelope around ccproxy's error object (docs/errors.md).
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.error_type()));
        error.insert("message".into(), json!(self.to_string()));
        error.insert("code".into(), json!(self.code()));
        if let Some(details) = self.details() {
            error.insert("details".into(), details);
        }
        json!({"type": "error", "error": error})
    }
}

impl ProxyError {
    /// The whole HTTP/1.1 answer as bytes, ending the connection: for the few refusals
    /// written straight to a socket because no request reached the application (see
    /// `server::listen`). Same status, headers and body as [`IntoResponse`] gives.
    pub fn to_http1(&self) -> Vec<u8> {
        let status = self.status();
        let body = self.body().to_string();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        );
        if let Some(retry) = self.should_retry() {
            head.push_str(&format!("x-should-retry: {}\r\n", bool_str(retry)));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        head.into_bytes()
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), status = status.as_u16(), "{self}");
        } else {
            tracing::debug!(code = self.code(), status = status.as_u16(), "{self}");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(retry) = self.should_retry() {
            headers.insert("x-should-retry", HeaderValue::from_static(bool_str(retry)));
        }
        if let Some(seconds) = self.retry_after() {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

/// What breaks a loop: Claude Code's `ANTHROPIC_BASE_URL`, exported in the shell that
/// starts ccproxy, is also the `anthropic` provider's address.
fn loop_advice(provider: &str, base_url_var: &str) -> String {
    if provider == "anthropic" {
        "unset ANTHROPIC_BASE_URL in the shell that starts ccproxy (it is Claude Code's \
         variable) and restart ccproxy"
            .to_string()
    } else {
        format!(
            "set {base_url_var} (or base_url in the config file) to the provider's real \
             address; ANTHROPIC_BASE_URL is for Claude Code only"
        )
    }
}

/// `2h 5m`, `3m 20s` or `40s`: how long until a limit resets.
fn show_wait(wait: Duration) -> String {
    let seconds = wait.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// `$1.50` from 150 cents.
fn show_cents(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// `300s`, `1.5s` or `50ms`.
fn show_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis >= 1000 && millis % 100 == 0 {
        format!("{}s", duration.as_secs_f64())
    } else {
        format!("{millis}ms")
    }
}

fn bool_str(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

#[cfg(test)]
mod tests;
