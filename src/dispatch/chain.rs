//! One request's attempt chain: its deadline (`retry.total_ms`, counted until an answer
//! starts), the log of what each attempt answered (for the client's error when the budget
//! runs out), and the error to answer when no target served.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::Target;
use crate::error::{ProxyError, TriedAttempt};

/// The most attempts the client's error lists (the chain is bounded well below this).
const MAX_LOGGED: usize = 32;

/// The budget and the log of one request's attempts.
#[derive(Debug)]
pub struct Chain {
    budget: Duration,
    deadline: Instant,
    tried: Vec<TriedAttempt>,
    /// The provider of the last attempt, for the budget error's `details.provider`.
    last_provider: String,
}

impl Chain {
    pub fn new(budget: Duration) -> Self {
        Self {
            budget,
            deadline: Instant::now() + budget,
            tried: Vec::new(),
            last_provider: String::new(),
        }
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether a wait of `wait` from now still ends within the budget.
    pub fn fits(&self, wait: Duration) -> bool {
        Instant::now() + wait < self.deadline
    }

    /// Notes what an attempt on `target` (with `key`, masked) answered.
    pub fn note(&mut self, target: &Target, key: Option<String>, answer: String) {
        self.last_provider.clone_from(&target.provider);
        if self.tried.len() < MAX_LOGGED {
            self.tried.push(TriedAttempt {
                target: target.to_string(),
                key,
                answer,
            });
        }
    }

    /// Notes a failed attempt by its error's status and code.
    pub fn note_error(&mut self, target: &Target, key: Option<String>, error: &ProxyError) {
        let answer = format!("{} {}", error.status().as_u16(), error.code());
        self.note(target, key, answer);
    }

    /// The client's error once the budget stopped the chain.
    pub fn exhausted(self) -> ProxyError {
        ProxyError::RetryBudgetExhausted {
            provider: self.last_provider,
            budget: self.budget,
            tried: self.tried,
        }
    }
}

/// The error to answer when no target served: the last failure of a target that was
/// tried, else (nothing was sent) an open circuit, else the first skipped target's error.
#[derive(Default)]
pub struct Outcome {
    failed: Option<ProxyError>,
    open: Option<ProxyError>,
    skipped: Option<ProxyError>,
    /// The shortest wait of the rate limits met on the way.
    rate_wait: Option<Duration>,
}

impl Outcome {
    pub fn failed(&mut self, error: ProxyError) {
        self.note_rate_limit(&error);
        self.failed = Some(error);
    }

    fn note_rate_limit(&mut self, error: &ProxyError) {
        if let (ProxyError::RateLimited { .. }, Some(wait)) = (error, error.retry_wait()) {
            self.rate_wait = Some(self.rate_wait.map_or(wait, |w| w.min(wait)));
        }
    }

    /// The final error, a rate limit saying when the soonest of the targets' rate limits
    /// ends: that is when the route can serve again.
    pub fn soonest(&mut self, error: ProxyError) -> ProxyError {
        self.note_rate_limit(&error);
        match error {
            ProxyError::RateLimited {
                provider,
                limit,
                remaining,
                ..
            } if self.rate_wait.is_some() => ProxyError::RateLimited {
                provider,
                retry_after: self.rate_wait,
                limit,
                remaining,
            },
            other => other,
        }
    }

    /// An open circuit: the one whose next trial comes soonest is the wait worth reporting.
    pub fn open(&mut self, error: ProxyError) {
        let sooner = match &self.open {
            Some(open) => error.retry_wait() < open.retry_wait(),
            None => true,
        };
        if sooner {
            self.open = Some(error);
        }
    }

    /// A target that could not be sent to (no key, unknown provider).
    pub fn skipped(&mut self, error: ProxyError) {
        if self.skipped.is_none() {
            self.skipped = Some(error);
        }
    }

    pub fn into_error(mut self) -> ProxyError {
        if let Some(failed) = self.failed.take() {
            return self.soonest(failed);
        }
        self.failed
            .or(self.open)
            .or(self.skipped)
            .unwrap_or_else(|| ProxyError::Misconfigured {
                setting: "routes".into(),
                problem: "the route has no target".into(),
            })
    }
}
