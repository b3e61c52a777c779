//! The config file's `retry`, `timeouts` and `circuit_breaker` sections; absent keys keep
//! the defaults of [`Resilience`].

use std::time::Duration;

use super::super::raw::RawConfig;
use super::super::resilience::{Resilience, MAX_ATTEMPTS_LIMIT};
use super::Reader;

impl Reader<'_> {
    pub(super) fn resilience(&mut self, raw: &RawConfig) -> Resilience {
        let mut settings = Resilience::default();
        self.sink.at("retry");
        if let Some(retry) = &raw.retry {
            self.sink.enter("retry");
            let r = &mut settings.retry;
            if let Some(n) = self.whole("retry.max_attempts", retry.max_attempts, 1) {
                if n > MAX_ATTEMPTS_LIMIT {
                    let message = format!("at most {MAX_ATTEMPTS_LIMIT}");
                    self.problem("retry.max_attempts", message);
                } else {
                    r.max_attempts = n as u32;
                }
            }
            let wait = self.millis("retry.max_retry_wait_ms", retry.max_retry_wait_ms, 0);
            r.max_retry_wait = wait.unwrap_or(r.max_retry_wait);
            let base = self.millis("retry.base_delay_ms", retry.base_delay_ms, 0);
            r.base_delay = base.unwrap_or(r.base_delay);
            let total = self.millis("retry.total_ms", retry.total_ms, 1);
            r.total = total.unwrap_or(r.total);
            let cooldown = self.millis("retry.key_cooldown_ms", retry.key_cooldown_ms, 1);
            r.key_cooldown = cooldown.unwrap_or(r.key_cooldown);
        }
        self.sink.at("timeouts");
        if let Some(timeouts) = &raw.timeouts {
            self.sink.enter("timeouts");
            let t = &mut settings.timeouts;
            let fields = [
                (&mut t.connect, "connect_ms", timeouts.connect_ms),
                (&mut t.response, "response_ms", timeouts.response_ms),
                (
                    &mut t.stream_idle,
                    "stream_idle_ms",
                    timeouts.stream_idle_ms,
                ),
                (&mut t.total, "total_ms", timeouts.total_ms),
                (
                    &mut t.client_body,
                    "client_body_ms",
                    timeouts.client_body_ms,
                ),
                (
                    &mut t.client_header,
                    "client_header_ms",
                    timeouts.client_header_ms,
                ),
                (
                    &mut t.shutdown_grace,
                    "shutdown_grace_ms",
                    timeouts.shutdown_grace_ms,
                ),
            ];
            for (setting, key, value) in fields {
                if let Some(duration) = self.millis(&format!("timeouts.{key}"), value, 1) {
                    *setting = duration;
                }
            }
        }
        self.sink.at("circuit_breaker");
        if let Some(breaker) = &raw.circuit_breaker {
            self.sink.enter("circuit_breaker");
            let b = &mut settings.breaker;
            let threshold = breaker.failure_threshold;
            let threshold = self.whole("circuit_breaker.failure_threshold", threshold, 1);
            b.failure_threshold =
                threshold.map_or(b.failure_threshold, |n| n.min(u32::MAX.into()) as u32);
            let cooldown = self.millis("circuit_breaker.cooldown_ms", breaker.cooldown_ms, 1);
            b.cooldown = cooldown.unwrap_or(b.cooldown);
            let rate = self.fraction("circuit_breaker.failure_rate", breaker.failure_rate);
            b.failure_rate = rate.unwrap_or(b.failure_rate);
            let min = self.whole("circuit_breaker.min_requests", breaker.min_requests, 1);
            b.min_requests = min.map_or(b.min_requests, |n| n.min(u32::MAX.into()) as u32);
            let window = self.millis("circuit_breaker.window_ms", breaker.window_ms, 1);
            b.window = window.unwrap_or(b.window);
        }
        settings
    }

    fn millis(&mut self, path: &str, value: Option<u64>, min: u64) -> Option<Duration> {
        self.whole(path, value, min).map(Duration::from_millis)
    }

    /// A number from 0 to 1.
    fn fraction(&mut self, path: &str, value: Option<f64>) -> Option<f64> {
        self.sink.at(path);
        match value? {
            n if (0.0..=1.0).contains(&n) => Some(n),
            _ => {
                self.problem(path, "expected a number from 0 to 1");
                None
            }
        }
    }
}
