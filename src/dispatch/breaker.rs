//! The circuit breaker of each target (provider and model, so one failing model does not
//! take its provider's other models offline). It counts requests, not attempts: the caller
//! holds one [`Permit`] for all its attempts on a target and reports the request's outcome
//! once. The circuit opens after `failure_threshold` consecutive failed requests, or when
//! the failed share of the requests within `window` reaches `failure_rate` (with at least
//! `min_requests` seen); an open target is skipped for `cooldown`, then one trial request
//! goes through (half-open): its success closes the circuit, its failure reopens it.
//!
//! A target the route cannot do without (every other one is open or has failed) is never
//! shut out blind: [`Breakers::admit`] with `only` lets one trial through at once, whatever
//! is left of the cool-down.
//!
//! Lock-light: one mutex over small per-target records, held for a few field updates and
//! never across an `await`. Time is tokio's, so tests can pause it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::BreakerSettings;
use crate::report::{BreakerReport, BreakerState, CircuitReport};

/// What a caller is told while a half-open trial is in flight: come back shortly.
pub const TRIAL_WAIT: Duration = Duration::from_secs(1);
/// The most outcomes kept per target for the failure rate (the oldest go first).
const MAX_SAMPLES: usize = 1024;

#[derive(Debug, Default)]
struct Circuit {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
    /// When each recent request ended, and whether it failed.
    outcomes: VecDeque<(Instant, bool)>,
}

impl Circuit {
    /// Forgets outcomes older than `window`; returns (requests, failures) within it.
    fn recent(&mut self, now: Instant, window: Duration) -> (usize, usize) {
        while let Some((at, _)) = self.outcomes.front() {
            if now.saturating_duration_since(*at) <= window {
                break;
            }
            self.outcomes.pop_front();
        }
        let failures = self.outcomes.iter().filter(|(_, failed)| *failed).count();
        (self.outcomes.len(), failures)
    }

    fn record(&mut self, now: Instant, failed: bool) {
        if self.outcomes.len() >= MAX_SAMPLES {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back((now, failed));
    }

    fn state(&self, now: Instant) -> BreakerState {
        match self.open_until {
            None => BreakerState::Closed,
            Some(until) if now < until => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }
}

/// Why a target was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shut {
    /// When the next trial request may go (from now).
    pub next_trial: Duration,
    /// A trial request is testing the target right now.
    pub trial_in_flight: bool,
}

/// The breakers of every target, shared by all requests.
#[derive(Debug, Default)]
pub struct Breakers {
    circuits: Mutex<HashMap<(String, String), Circuit>>,
}

/// Leave to send one request to a target, however many attempts it takes. Say how the
/// request went with [`Permit::succeeded`] or [`Permit::failed`]; dropped without a verdict
/// (the client went away, nothing was sent), it frees the trial and counts nothing.
#[derive(Debug)]
pub struct Permit<'a> {
    breakers: &'a Breakers,
    key: (String, String),
    trial: bool,
}

impl Breakers {
    /// A permit for `provider`'s `model`, or when its next trial may go. With `only` (the
    /// route has nothing else left) an open circuit admits its one trial at once.
    pub fn admit(&self, provider: &str, model: &str, only: bool) -> Result<Permit<'_>, Shut> {
        let now = Instant::now();
        let key = (provider.to_string(), model.to_string());
        let trial = self.with(&key, |circuit| match circuit.open_until {
            None => Ok(false),
            Some(_) if circuit.trial_in_flight => Err(Shut {
                next_trial: TRIAL_WAIT,
                trial_in_flight: true,
            }),
            Some(until) if now < until && !only => Err(Shut {
                next_trial: until - now,
                trial_in_flight: false,
            }),
            Some(_) => {
                circuit.trial_in_flight = true;
                Ok(true)
            }
        })?;
        Ok(Permit {
            breakers: self,
            key,
            trial,
        })
    }

    /// The circuits of `provider` for `/status`: `state` is its worst model's (`open`,
    /// `half_open` or `closed`), `models` each model's own state, consecutive failures,
    /// and the remaining cool-down of an open one.
    pub fn status(&self, provider: &str) -> BreakerReport {
        let now = Instant::now();
        let circuits = self
            .circuits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let models: BTreeMap<String, CircuitReport> = circuits
            .iter()
            .filter(|((name, _), _)| name == provider)
            .map(|((_, model), circuit)| {
                let shown = CircuitReport {
                    state: circuit.state(now),
                    consecutive_failures: circuit.consecutive_failures,
                    retry_after_ms: circuit
                        .open_until
                        .filter(|until| now < *until)
                        .map(|until| millis(until - now)),
                };
                (model.clone(), shown)
            })
            .collect();
        let state = models
            .values()
            .map(|circuit| circuit.state)
            .max()
            .unwrap_or(BreakerState::Closed);
        BreakerReport { state, models }
    }

    fn with<T>(&self, key: &(String, String), change: impl FnOnce(&mut Circuit) -> T) -> T {
        let mut circuits = self
            .circuits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(circuit) = circuits.get_mut(key) {
            return change(circuit);
        }
        change(circuits.entry(key.clone()).or_default())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Permit<'_> {
    /// The request was served (or refused for its own sake: the target is healthy): the
    /// circuit closes and the consecutive count restarts.
    pub fn succeeded(mut self) {
        let now = Instant::now();
        self.breakers.with(&self.key, |circuit| {
            circuit.consecutive_failures = 0;
            circuit.open_until = None;
            circuit.trial_in_flight = false;
            circuit.record(now, false);
        });
        self.trial = false;
    }

    /// The request failed on this target (after its retries): the circuit opens at the
    /// consecutive threshold, at the failure rate, or at once when this was the trial.
    pub fn failed(mut self, settings: BreakerSettings) {
        let (trial, now) = (self.trial, Instant::now());
        self.breakers.with(&self.key, |circuit| {
            circuit.consecutive_failures = circuit.consecutive_failures.saturating_add(1);
            circuit.trial_in_flight = false;
            circuit.record(now, true);
            let (requests, failures) = circuit.recent(now, settings.window);
            let rate_tripped = settings.failure_rate > 0.0
                && requests >= settings.min_requests as usize
                && failures as f64 >= settings.failure_rate * requests as f64;
            if trial || rate_tripped || circuit.consecutive_failures >= settings.failure_threshold {
                circuit.open_until = Some(now + settings.cooldown);
                // A fresh window after the cool-down: the old failures are what opened it.
                circuit.outcomes.clear();
            }
        });
        self.trial = false;
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial {
            self.breakers
                .with(&self.key, |circuit| circuit.trial_in_flight = false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: BreakerSettings = BreakerSettings {
        failure_threshold: 3,
        cooldown: Duration::from_secs(30),
        failure_rate: 0.0,
        min_requests: 10,
        window: Duration::from_secs(30),
    };

    fn fail(breakers: &Breakers, times: usize, settings: BreakerSettings) {
        for _ in 0..times {
            let permit = breakers.admit("groq", "m", false).expect("admitted");
            permit.failed(settings);
        }
    }

    fn shut(wait: Duration) -> Shut {
        Shut {
            next_trial: wait,
            trial_in_flight: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failed_requests_and_reports_the_remaining_cooldown() {
        let breakers = Breakers::default();
        fail(&breakers, 2, SETTINGS);
        assert_eq!(breakers.status("groq").state, BreakerState::Closed);
        fail(&breakers, 1, SETTINGS);
        let open = breakers.admit("groq", "m", false).err();
        assert_eq!(open, Some(shut(Duration::from_secs(30))));
        tokio::time::advance(Duration::from_secs(10)).await;
        let open = breakers.admit("groq", "m", false).err();
        assert_eq!(open, Some(shut(Duration::from_secs(20))));
        let open = CircuitReport {
            state: BreakerState::Open,
            consecutive_failures: 3,
            retry_after_ms: Some(20_000),
        };
        assert_eq!(
            breakers.status("groq"),
            BreakerReport {
                state: BreakerState::Open,
                models: BTreeMap::from([("m".to_string(), open)]),
            }
        );
        assert!(breakers.admit("other", "m", false).is_ok(), "per provider");
        assert!(breakers.admit("groq", "m2", false).is_ok(), "per model");
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let breakers = Breakers::default();
        fail(&breakers, 2, SETTINGS);
        breakers
            .admit("groq", "m", false)
            .expect("admitted")
            .succeeded();
        fail(&breakers, 2, SETTINGS);
        assert!(
            breakers.admit("groq", "m", false).is_ok(),
            "2 + 2 are not 4 consecutive"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_failure_rate_opens_it_once_enough_requests_were_seen() {
        let settings = BreakerSettings {
            failure_threshold: 100,
            failure_rate: 0.5,
            min_requests: 6,
            ..SETTINGS
        };
        let breakers = Breakers::default();
        for _ in 0..2 {
            breakers
                .admit("groq", "m", false)
                .expect("closed")
                .succeeded();
            fail(&breakers, 1, settings);
        }
        breakers
            .admit("groq", "m", false)
            .expect("closed")
            .succeeded();
        assert!(
            breakers.admit("groq", "m", false).is_ok(),
            "5 seen: too few"
        );
        fail(&breakers, 1, settings);
        assert!(breakers.admit("groq", "m", false).is_err(), "3 of 6 failed");

        // Outside the window, old failures no longer count.
        let breakers = Breakers::default();
        fail(&breakers, 3, settings);
        tokio::time::advance(settings.window + Duration::from_secs(1)).await;
        for _ in 0..3 {
            breakers
                .admit("groq", "m", false)
                .expect("closed")
                .succeeded();
        }
        fail(&breakers, 2, settings);
        assert!(breakers.admit("groq", "m", false).is_ok(), "2 of 5 recent");
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_lets_one_trial_through_which_closes_or_reopens() {
        let breakers = Breakers::default();
        fail(&breakers, 3, SETTINGS);
        tokio::time::advance(SETTINGS.cooldown).await;
        assert_eq!(breakers.status("groq").state, BreakerState::HalfOpen);
        let trial = breakers.admit("groq", "m", false).expect("the trial");
        let busy = breakers
            .admit("groq", "m", true)
            .expect_err("one trial only");
        assert!(busy.trial_in_flight);
        assert_eq!(busy.next_trial, TRIAL_WAIT);
        trial.failed(SETTINGS);
        let open = breakers.admit("groq", "m", false).err();
        assert_eq!(open, Some(shut(SETTINGS.cooldown)));

        tokio::time::advance(SETTINGS.cooldown).await;
        breakers
            .admit("groq", "m", false)
            .expect("the trial")
            .succeeded();
        assert_eq!(
            breakers.status("groq").models.get("m"),
            Some(&CircuitReport {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                retry_after_ms: None,
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_target_the_route_cannot_do_without_gets_its_trial_at_once() {
        let breakers = Breakers::default();
        fail(&breakers, 3, SETTINGS);
        assert!(breakers.admit("groq", "m", false).is_err());
        let trial = breakers.admit("groq", "m", true).expect("trial while open");
        assert!(breakers.admit("groq", "m", true).is_err(), "one at a time");
        trial.succeeded();
        assert_eq!(breakers.status("groq").state, BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_trial_frees_the_half_open_slot() {
        let breakers = Breakers::default();
        fail(&breakers, 3, SETTINGS);
        tokio::time::advance(SETTINGS.cooldown).await;
        drop(breakers.admit("groq", "m", false).expect("the trial"));
        assert!(
            breakers.admit("groq", "m", false).is_ok(),
            "a new trial may go"
        );
    }
}
