//! Whether the team store answers: down after a failed call, up again when the tick's ping
//! succeeds. One warn line per outage; counters for `/metrics`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::config::OnError;
use crate::error::ProxyError;
use crate::store::StoreError;

#[derive(Debug, Default)]
pub struct Health {
    down: AtomicBool,
    outages: AtomicU64,
    failures: AtomicU64,
    /// Why the store is down (no secret: the errors never hold the URL's password).
    reason: Mutex<String>,
}

impl Health {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Outages since start.
    pub fn outages(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }

    /// Failed store calls since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub(super) fn failed(&self, error: &StoreError, policy: OnError) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.reason.lock().unwrap_or_else(|e| e.into_inner()) = error.to_string();
        if !self.down.swap(true, Ordering::Relaxed) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            let serving = match policy {
                OnError::Closed => "requests are refused (store_unavailable)",
                OnError::Open => "keys seen recently are served without limits",
            };
            tracing::warn!("the team store is unavailable ({error}): {serving} until it is back");
        }
    }

    pub(super) fn recovered(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("the team store is back: limits apply again");
        }
    }

    /// The refusal while the store is down.
    pub fn unavailable(&self) -> ProxyError {
        let reason = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        ProxyError::StoreUnavailable {
            reason: if reason.is_empty() {
                "it is not open yet".into()
            } else {
                reason.clone()
            },
        }
    }
}
