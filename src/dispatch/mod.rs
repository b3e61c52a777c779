//! Sending a request to its route: the targets in order (the first, then the fallbacks),
//! retries of transient failures with exponential backoff and full jitter, the per-provider
//! circuit breaker, and the enrichment of the final error (`available_models`). Built on the
//! [`providers::send`] seam, so it serves streaming and non-streaming requests alike: it
//! returns once a provider has answered 2xx, before anything is sent to the client.
//!
//! Dropping the returned future (the client went away) drops the in-flight provider
//! request, which closes its connection: nobody pays for tokens nobody reads.

mod breaker;
mod policy;

use std::time::{Duration, Instant};

use crate::config::{Config, ProviderConfig, Target};
use crate::error::ProxyError;
use crate::providers::{self, HttpClient, Inbound, ModelCatalog, Upstream};
use crate::report::BreakerReport;

pub use breaker::Breakers;
use policy::{Next, Verdict};

/// What one dispatch did, for the statistics and the request log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Requests sent upstream, retries included.
    pub attempts: u32,
    /// Targets moved on to after the first.
    pub fallbacks: u32,
    /// The last target tried: the one that answered, or the last that failed.
    pub target: Option<Target>,
    /// From sending the answering attempt to its response headers.
    pub upstream_latency: Option<Duration>,
}

/// What every request shares: the HTTP client, the breakers, the model lists.
#[derive(Debug)]
pub struct Dispatcher {
    http: HttpClient,
    breakers: Breakers,
    models: ModelCatalog,
}

impl Dispatcher {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            breakers: Breakers::default(),
            models: ModelCatalog::default(),
        }
    }

    /// The circuit breaker of `provider`, as `/status` shows it.
    pub fn breaker_status(&self, provider: &str) -> BreakerReport {
        self.breakers.status(provider)
    }

    /// Sends `request` to the first target that answers 2xx. A target without its key or
    /// with an open circuit is skipped; a transient failure is retried, then falls back to
    /// the next target (at once for 429, 503 and connection failures); any other failure
    /// is final. `tally` learns the attempts, fallbacks and target, whatever the outcome.
    pub async fn send(
        &self,
        config: &Config,
        targets: &[Target],
        request: &Inbound,
        tally: &mut Tally,
    ) -> Result<Upstream, ProxyError> {
        let mut outcome = Outcome::default();
        // Targets an attempt was actually sent to: skipped ones are no fallbacks.
        let mut tried: u32 = 0;
        for (index, target) in targets.iter().enumerate() {
            let last = index + 1 == targets.len();
            tally.target = Some(target.clone());
            let Some(provider) = config.provider(&target.provider) else {
                outcome.skipped(ProxyError::Misconfigured {
                    setting: "routes".into(),
                    problem: format!(
                        "a route names provider '{}', which is not configured",
                        target.provider
                    ),
                });
                continue;
            };
            if provider.key_required && provider.key().is_none() {
                outcome.skipped(ProxyError::MissingApiKey {
                    provider: provider.name.clone(),
                    env_var: provider.key_var.clone(),
                    suggest_provider_choice: config.unconfigured,
                });
                continue;
            }
            let attempts_before = tally.attempts;
            let result = self
                .on_target(config, provider, &target.model, request, last, tally)
                .await;
            if tally.attempts > attempts_before {
                tried += 1;
                tally.fallbacks = tried - 1;
            }
            match result {
                Ok(upstream) => return Ok(upstream),
                Err(Tried::Final(error)) => return Err(self.enrich(config, error).await),
                Err(Tried::CircuitOpen(error)) => outcome.open(error),
                Err(Tried::Failed(error)) => {
                    if !last {
                        tracing::warn!(
                            "falling back from {target} to the next target after: {error}"
                        );
                    }
                    outcome.failed(error);
                }
            }
        }
        Err(self.enrich(config, outcome.into_error()).await)
    }

    /// The attempts on one target.
    async fn on_target(
        &self,
        config: &Config,
        provider: &ProviderConfig,
        model: &str,
        request: &Inbound,
        last: bool,
        tally: &mut Tally,
    ) -> Result<Upstream, Tried> {
        let settings = config.resilience;
        let mut attempt = 1;
        let mut previous: Option<ProxyError> = None;
        loop {
            let permit = match self.breakers.admit(&provider.name) {
                Ok(permit) => permit,
                Err(remaining) => {
                    return Err(match previous {
                        // Opened by this target's own failures: report what failed.
                        Some(error) => Tried::Failed(error),
                        None => Tried::CircuitOpen(circuit_open(provider, remaining)),
                    });
                }
            };
            tally.attempts += 1;
            let sent = Instant::now();
            let error = match providers::send(&self.http, provider, model, request).await {
                Ok(upstream) => {
                    tally.upstream_latency = Some(sent.elapsed());
                    permit.succeeded();
                    return Ok(upstream);
                }
                Err(error) => error,
            };
            match policy::verdict(&error) {
                Verdict::ProviderFailed => permit.failed(settings.breaker),
                Verdict::ProviderAnswered => permit.succeeded(),
                Verdict::NotAttempted => drop(permit),
            }
            match policy::next(&error, attempt, &settings.retry, last) {
                Next::Retry(wait) => {
                    tracing::info!(
                        "retrying provider '{}' (attempt {} of {}) in {wait:?} after: {error}",
                        provider.name,
                        attempt + 1,
                        settings.retry.max_attempts
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    previous = Some(error);
                }
                Next::FallBack => return Err(Tried::Failed(error)),
                Next::Stop => return Err(Tried::Final(error)),
            }
        }
    }

    /// Fills `available_models` of a `model_not_found` from the provider's model list.
    async fn enrich(&self, config: &Config, error: ProxyError) -> ProxyError {
        match error {
            ProxyError::ModelNotFound {
                provider,
                model,
                available,
            } if available.is_empty() => {
                let available = match config.provider(&provider) {
                    Some(config) => self.models.available(&self.http, config).await,
                    None => available,
                };
                ProxyError::ModelNotFound {
                    provider,
                    model,
                    available,
                }
            }
            other => other,
        }
    }
}

/// How a target ended without an answer.
enum Tried {
    /// Never sent: its circuit is open.
    CircuitOpen(ProxyError),
    /// Failed transiently after its retries: the next target may do better.
    Failed(ProxyError),
    /// Failed in a way another target would not fix (or should not hide): answer now.
    Final(ProxyError),
}

/// The error to answer when no target served: the last failure of a target that was
/// tried, else (nothing was sent) an open circuit, else the first skipped target's error.
#[derive(Default)]
struct Outcome {
    failed: Option<ProxyError>,
    open: Option<ProxyError>,
    skipped: Option<ProxyError>,
}

impl Outcome {
    fn failed(&mut self, error: ProxyError) {
        self.failed = Some(error);
    }

    /// An open circuit: the one that closes soonest is the wait worth reporting.
    fn open(&mut self, error: ProxyError) {
        let sooner = match &self.open {
            Some(open) => error.retry_wait() < open.retry_wait(),
            None => true,
        };
        if sooner {
            self.open = Some(error);
        }
    }

    /// A target that could not be sent to (no key, unknown provider).
    fn skipped(&mut self, error: ProxyError) {
        if self.skipped.is_none() {
            self.skipped = Some(error);
        }
    }

    fn into_error(self) -> ProxyError {
        self.failed
            .or(self.open)
            .or(self.skipped)
            .unwrap_or_else(|| ProxyError::Misconfigured {
                setting: "routes".into(),
                problem: "the route has no target".into(),
            })
    }
}

fn circuit_open(provider: &ProviderConfig, remaining: Duration) -> ProxyError {
    ProxyError::ProviderUnavailable {
        provider: provider.name.clone(),
        reason: "it failed repeatedly, so ccproxy skips it for a cool-down (circuit open)"
            .to_string(),
        retry_after: Some(remaining),
    }
}
