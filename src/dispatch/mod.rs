//! Sending a request to its route: the targets in order (the first, then the fallbacks),
//! retries of transient failures with exponential backoff and full jitter, the circuit
//! breaker of each target, the budget of the whole attempt chain (`retry.total_ms`), and the
//! enrichment of the final error (`available_models`). Built on the [`providers::send`]
//! seam, so it serves streaming and non-streaming requests alike: it returns once a
//! provider has answered 2xx, before anything is sent to the client.
//!
//! Dropping the returned future (the client went away) drops the in-flight provider
//! request, which closes its connection: nobody pays for tokens nobody reads.

mod breaker;
mod chain;
mod keys;
mod policy;

use std::time::Duration;

use tokio::time::Instant;

use crate::config::{Config, ProviderConfig, Target};
use crate::error::ProxyError;
use crate::providers::{self, HttpClient, Inbound, ModelCatalog, Upstream};
use crate::report::{BreakerReport, KeyReport};

pub use breaker::Breakers;
use breaker::{Permit, Shut};
use chain::{Chain, Outcome};
pub use keys::KeyId;
use keys::KeyPools;
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
    /// The key of the provider's pool that served, for its token counts.
    pub key: Option<KeyId>,
}

/// What every request shares: the HTTP client, the breakers, the model lists.
#[derive(Debug)]
pub struct Dispatcher {
    http: HttpClient,
    breakers: Breakers,
    keys: KeyPools,
    models: ModelCatalog,
}

impl Dispatcher {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            breakers: Breakers::default(),
            keys: KeyPools::default(),
            models: ModelCatalog::default(),
        }
    }

    /// The circuit breakers of `provider`'s models, as `/status` shows them.
    pub fn breaker_status(&self, provider: &str) -> BreakerReport {
        self.breakers.status(provider)
    }

    /// The keys of `provider`'s pool, masked, as `/status` shows them.
    pub fn key_status(&self, provider: &ProviderConfig) -> Vec<KeyReport> {
        self.keys.status(provider)
    }

    /// Adds an answer's tokens to the figures of the key that served it.
    pub fn count_tokens(&self, key: KeyId, input: u64, output: u64) {
        self.keys.count_tokens(key, input, output);
    }

    /// Sends `request` to the first target that answers 2xx. A target without its key is
    /// skipped, and so is one whose circuit is open while another target remains; a
    /// transient failure is retried, then falls back to the next target (at once for 429,
    /// 503 and connection failures); any other failure is final. When nothing served and
    /// targets were skipped as open, each gets its half-open trial at once (one request
    /// at a time): a route is never shut out without trying. Everything stops when the
    /// chain's budget (`retry.total_ms`) runs out. `tally` learns the attempts, fallbacks
    /// and target, whatever the outcome.
    pub async fn send(
        &self,
        config: &Config,
        targets: &[Target],
        request: &Inbound,
        tally: &mut Tally,
    ) -> Result<Upstream, ProxyError> {
        let mut run = Run {
            config,
            request,
            chain: Chain::new(config.resilience.retry.total),
            session: keys::session_of(request),
            outcome: Outcome::default(),
            tried_targets: 0,
        };
        let mut open = Vec::new();
        for (index, target) in targets.iter().enumerate() {
            let last = index + 1 == targets.len();
            match self.try_target(&mut run, target, false, last, tally).await {
                Step::Done(done) => return self.finish(config, &mut run, *done).await,
                Step::Open => open.push(target),
                Step::Next => {}
            }
        }
        // Nothing served: the targets skipped as open are all that is left.
        let count = open.len();
        for (index, target) in open.into_iter().enumerate() {
            let last = index + 1 == count;
            if let Step::Done(done) = self.try_target(&mut run, target, true, last, tally).await {
                return self.finish(config, &mut run, *done).await;
            }
        }
        let error = std::mem::take(&mut run.outcome).into_error();
        self.finish(config, &mut run, Err(error)).await
    }

    /// One target, if it can be sent to and its breaker admits the request (`only`: the
    /// route has nothing else left, see [`Breakers::admit`]).
    async fn try_target(
        &self,
        run: &mut Run<'_>,
        target: &Target,
        only: bool,
        last: bool,
        tally: &mut Tally,
    ) -> Step {
        let Some(provider) = run.sendable(target, tally) else {
            return Step::Next;
        };
        match self.breakers.admit(&provider.name, &target.model, only) {
            Ok(permit) => match self.visit(run, provider, target, permit, last, tally).await {
                Some(done) => Step::Done(Box::new(done)),
                None => Step::Next,
            },
            Err(shut) => {
                run.outcome
                    .open(circuit_open(provider, &target.model, shut));
                Step::Open
            }
        }
    }

    async fn finish(
        &self,
        config: &Config,
        run: &mut Run<'_>,
        done: Result<Upstream, ProxyError>,
    ) -> Result<Upstream, ProxyError> {
        match done {
            Ok(upstream) => Ok(upstream),
            Err(error) => {
                let error = run.outcome.soonest(error);
                Err(self.enrich(config, error).await)
            }
        }
    }

    /// One target's attempts under `permit`; `Some` when the request is done (served, or a
    /// final error), `None` when the next target should be tried.
    async fn visit(
        &self,
        run: &mut Run<'_>,
        provider: &ProviderConfig,
        target: &Target,
        permit: Permit<'_>,
        last: bool,
        tally: &mut Tally,
    ) -> Option<Result<Upstream, ProxyError>> {
        tally.target = Some(target.clone());
        let attempts_before = tally.attempts;
        let result = self
            .on_target(run, provider, target, permit, last, tally)
            .await;
        if tally.attempts > attempts_before {
            run.tried_targets += 1;
            tally.fallbacks = run.tried_targets - 1;
        }
        match result {
            Ok(upstream) => Some(Ok(upstream)),
            Err(Tried::Final(error)) => Some(Err(error)),
            Err(Tried::Failed(error)) => {
                if !last {
                    tracing::warn!("falling back from {target} to the next target after: {error}");
                }
                run.outcome.failed(error);
                None
            }
        }
    }

    /// The attempts on one target, all under one breaker permit: the request's outcome on
    /// this target is reported once, however many attempts it took.
    async fn on_target(
        &self,
        run: &mut Run<'_>,
        provider: &ProviderConfig,
        target: &Target,
        permit: Permit<'_>,
        last: bool,
        tally: &mut Tally,
    ) -> Result<Upstream, Tried> {
        let settings = run.config.resilience;
        let model = target.model.as_str();
        // A single key has nothing to move to: its refusals go through the policy as they are.
        let pooled = !provider.more_keys.is_empty() && provider.key().is_some();
        let mut attempt = 1;
        // Keys refused (rate, quota, invalid) in this round; a retry starts a new round.
        let mut refused: Vec<KeyId> = Vec::new();
        let mut key_error: Option<ProxyError> = None;
        loop {
            if Instant::now() >= run.chain.deadline() {
                return Err(run.exhausted());
            }
            let chosen = match pooled
                .then(|| self.keys.choose(provider, run.session.as_deref(), &refused))
            {
                None => Ok(None),
                Some(Ok(chosen)) => Ok(Some(chosen)),
                Some(Err(none)) => Err(keys::exhausted(provider, none, key_error.take())),
            };
            let error = match chosen {
                // No key left to try: the pool's answer goes through the policy below.
                Err(error) => error,
                Ok(chosen) => {
                    tally.attempts += 1;
                    let masked = chosen.as_ref().map(|c| c.masked.clone());
                    let keyed = keys::with_key(provider, chosen.as_ref());
                    let sent = Instant::now();
                    let sending = providers::send(&self.http, &keyed, model, run.request);
                    match tokio::time::timeout_at(run.chain.deadline(), sending).await {
                        Ok(Ok(upstream)) => {
                            tally.upstream_latency = Some(sent.elapsed());
                            tally.key = chosen.map(|c| c.id);
                            permit.succeeded();
                            return Ok(upstream);
                        }
                        Ok(Err(error)) => {
                            run.chain.note_error(target, masked, &error);
                            let cooldown = settings.retry.key_cooldown;
                            if let Some(chosen) = chosen
                                .filter(|c| self.keys.set_aside(provider, c, &error, cooldown))
                            {
                                // The same request goes on at once with the next key.
                                refused.push(chosen.id);
                                key_error = Some(error);
                                continue;
                            }
                            error
                        }
                        Err(_) => {
                            // Cut by the budget: no verdict on the provider.
                            let answer = "no answer yet when the budget ran out".to_string();
                            run.chain.note(target, masked, answer);
                            return Err(run.exhausted());
                        }
                    }
                }
            };
            let next = match policy::next(&error, attempt, &settings.retry, last) {
                Next::Retry(wait) if !run.chain.fits(wait) => return Err(run.exhausted()),
                next => next,
            };
            match next {
                Next::Retry(wait) => {
                    tracing::info!(
                        "retrying {target} (attempt {} of {}) in {wait:?} after: {error}",
                        attempt + 1,
                        settings.retry.max_attempts
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    refused.clear();
                }
                Next::FallBack => {
                    judge(permit, &error, settings.breaker);
                    return Err(Tried::Failed(error));
                }
                Next::Stop => {
                    judge(permit, &error, settings.breaker);
                    return Err(Tried::Final(error));
                }
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

/// What trying one target came to.
enum Step {
    /// The request is done: served, or a final error.
    Done(Box<Result<Upstream, ProxyError>>),
    /// Its circuit is open: not tried.
    Open,
    /// Not sendable, or failed: the next target.
    Next,
}

/// How a target ended without an answer.
enum Tried {
    /// Failed transiently after its retries: the next target may do better.
    Failed(ProxyError),
    /// Failed in a way another target would not fix (or should not hide), or the budget
    /// ran out: answer now.
    Final(ProxyError),
}

/// What one request's dispatch carries from target to target.
struct Run<'a> {
    config: &'a Config,
    request: &'a Inbound,
    chain: Chain,
    /// The Claude Code session the request belongs to, which keeps it on one key.
    session: Option<String>,
    outcome: Outcome,
    /// Targets an attempt was actually sent to: skipped ones are no fallbacks.
    tried_targets: u32,
}

impl<'a> Run<'a> {
    /// `target`'s provider when a request can be sent to it; otherwise the reason is
    /// noted and `None` returned.
    fn sendable(&mut self, target: &Target, tally: &mut Tally) -> Option<&'a ProviderConfig> {
        tally.target = Some(target.clone());
        let Some(provider) = self.config.provider(&target.provider) else {
            self.outcome.skipped(ProxyError::Misconfigured {
                setting: "routes".into(),
                problem: format!(
                    "a route names provider '{}', which is not configured",
                    target.provider
                ),
            });
            return None;
        };
        if provider.key_required && provider.key().is_none() {
            self.outcome.skipped(ProxyError::MissingApiKey {
                provider: provider.name.clone(),
                env_var: provider.key_var.clone(),
                suggest_provider_choice: self.config.unconfigured,
            });
            return None;
        }
        Some(provider)
    }

    /// The budget ran out: the chain ends with what it tried.
    fn exhausted(&mut self) -> Tried {
        let chain = std::mem::replace(&mut self.chain, Chain::new(Duration::ZERO));
        Tried::Final(chain.exhausted())
    }
}

/// Reports a request's failure on a target to its breaker, once.
fn judge(permit: Permit<'_>, error: &ProxyError, settings: crate::config::BreakerSettings) {
    match policy::verdict(error) {
        Verdict::ProviderFailed => permit.failed(settings),
        Verdict::ProviderAnswered => permit.succeeded(),
        Verdict::NotAttempted => drop(permit),
    }
}

/// The 503 of a target skipped because its circuit is open, saying when its next trial
/// request may go.
fn circuit_open(provider: &ProviderConfig, model: &str, shut: Shut) -> ProxyError {
    let seconds = shut.next_trial.as_secs_f64().ceil();
    let reason = if shut.trial_in_flight {
        format!(
            "model '{model}' failed repeatedly and a trial request is testing it now (circuit \
             open); the next trial can go in about {seconds} s"
        )
    } else {
        format!(
            "model '{model}' failed repeatedly, so ccproxy skips it for a cool-down (circuit \
             open); the next trial request goes in {seconds} s"
        )
    };
    ProxyError::ProviderUnavailable {
        provider: provider.name.clone(),
        reason,
        retry_after: Some(shut.next_trial),
    }
}
