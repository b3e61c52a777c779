//! The per-provider circuit breaker: after `failure_threshold` consecutive failures a
//! provider is skipped for `cooldown`; then one trial request goes through (half-open): its
//! success closes the circuit, its failure opens it for another cool-down.
//!
//! Lock-light: one mutex over small per-provider records, held for a few field updates and
//! never across an `await`. Time is tokio's, so tests can pause it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::BreakerSettings;
use crate::report::{BreakerReport, BreakerState};

/// What a caller is told while a half-open trial is in flight: come back shortly.
const TRIAL_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Circuit {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

/// The breakers of every provider, shared by all requests.
#[derive(Debug, Default)]
pub struct Breakers {
    circuits: Mutex<HashMap<String, Circuit>>,
}

/// Leave to send one request. Say how it went with [`Permit::succeeded`] or
/// [`Permit::failed`]; dropped without a verdict (the client went away), it frees the trial.
#[derive(Debug)]
pub struct Permit<'a> {
    breakers: &'a Breakers,
    provider: String,
    trial: bool,
}

impl Breakers {
    /// A permit, or how long the provider stays skipped.
    pub fn admit(&self, provider: &str) -> Result<Permit<'_>, Duration> {
        let now = Instant::now();
        let trial = self.with(provider, |circuit| match circuit.open_until {
            None => Ok(false),
            Some(until) if now < until => Err(until - now),
            Some(_) if circuit.trial_in_flight => Err(TRIAL_WAIT),
            Some(_) => {
                circuit.trial_in_flight = true;
                Ok(true)
            }
        })?;
        Ok(Permit {
            breakers: self,
            provider: provider.to_string(),
            trial,
        })
    }

    /// The state for `/status`: `closed`, `open` (with the remaining cool-down) or
    /// `half_open`, and the consecutive failures.
    pub fn status(&self, provider: &str) -> BreakerReport {
        let now = Instant::now();
        self.with(provider, |circuit| {
            let (state, retry_after_ms) = match circuit.open_until {
                None => (BreakerState::Closed, None),
                Some(until) if now < until => {
                    let millis = u64::try_from((until - now).as_millis()).unwrap_or(u64::MAX);
                    (BreakerState::Open, Some(millis))
                }
                Some(_) => (BreakerState::HalfOpen, None),
            };
            BreakerReport {
                state,
                consecutive_failures: circuit.consecutive_failures,
                retry_after_ms,
            }
        })
    }

    fn with<T>(&self, provider: &str, change: impl FnOnce(&mut Circuit) -> T) -> T {
        let mut circuits = self
            .circuits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(circuit) = circuits.get_mut(provider) {
            return change(circuit);
        }
        change(circuits.entry(provider.to_string()).or_default())
    }
}

impl Permit<'_> {
    /// The provider answered: the circuit closes and the failure count restarts.
    pub fn succeeded(mut self) {
        self.breakers
            .with(&self.provider, |circuit| *circuit = Circuit::default());
        self.trial = false;
    }

    /// The provider failed: one more consecutive failure; the circuit opens at the
    /// threshold, or at once when this was the half-open trial.
    pub fn failed(mut self, settings: BreakerSettings) {
        let trial = self.trial;
        self.breakers.with(&self.provider, |circuit| {
            circuit.consecutive_failures = circuit.consecutive_failures.saturating_add(1);
            circuit.trial_in_flight = false;
            if trial || circuit.consecutive_failures >= settings.failure_threshold {
                circuit.open_until = Some(Instant::now() + settings.cooldown);
            }
        });
        self.trial = false;
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial {
            self.breakers
                .with(&self.provider, |circuit| circuit.trial_in_flight = false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: BreakerSettings = BreakerSettings {
        failure_threshold: 3,
        cooldown: Duration::from_secs(30),
    };

    fn fail(breakers: &Breakers, times: usize) {
        for _ in 0..times {
            breakers.admit("groq").expect("admitted").failed(SETTINGS);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_and_reports_the_remaining_cooldown() {
        let breakers = Breakers::default();
        fail(&breakers, 2);
        assert_eq!(breakers.status("groq").state, BreakerState::Closed);
        fail(&breakers, 1);
        assert_eq!(breakers.admit("groq").err(), Some(Duration::from_secs(30)));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(breakers.admit("groq").err(), Some(Duration::from_secs(20)));
        assert_eq!(
            breakers.status("groq"),
            BreakerReport {
                state: BreakerState::Open,
                consecutive_failures: 3,
                retry_after_ms: Some(20_000),
            }
        );
        assert!(breakers.admit("other").is_ok(), "per provider");
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let breakers = Breakers::default();
        fail(&breakers, 2);
        breakers.admit("groq").expect("admitted").succeeded();
        fail(&breakers, 2);
        assert!(
            breakers.admit("groq").is_ok(),
            "2 + 2 are not 4 consecutive"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_lets_one_trial_through_which_closes_or_reopens() {
        let breakers = Breakers::default();
        fail(&breakers, 3);
        tokio::time::advance(SETTINGS.cooldown).await;
        assert_eq!(breakers.status("groq").state, BreakerState::HalfOpen);
        let trial = breakers.admit("groq").expect("the trial");
        assert_eq!(
            breakers.admit("groq").err(),
            Some(TRIAL_WAIT),
            "one trial only"
        );
        trial.failed(SETTINGS);
        assert_eq!(breakers.admit("groq").err(), Some(SETTINGS.cooldown));

        tokio::time::advance(SETTINGS.cooldown).await;
        breakers.admit("groq").expect("the trial").succeeded();
        assert_eq!(
            breakers.status("groq"),
            BreakerReport {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                retry_after_ms: None,
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_trial_frees_the_half_open_slot() {
        let breakers = Breakers::default();
        fail(&breakers, 3);
        tokio::time::advance(SETTINGS.cooldown).await;
        drop(breakers.admit("groq").expect("the trial"));
        assert!(breakers.admit("groq").is_ok(), "a new trial may go");
    }
}
