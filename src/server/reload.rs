//! Applying configuration changes to the running server: admin edits (validated, written
//! back, then swapped in), and the config file re-read when it changes (polled every
//! second: one `stat`, robust to editors that replace the file) or on SIGHUP. An invalid
//! new file is refused with every problem logged; the running configuration stays.

use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;

use super::AppState;
use crate::config::live::{Edit, Reload};
use crate::config::{Config, ConfigSource};
use crate::error::ProxyError;
use crate::report::ReloadOutcome;

const POLL: Duration = Duration::from_secs(1);

impl AppState {
    /// Applies an admin edit: validated like the file, written back to it (when the
    /// configuration came from one), then in force for every new request.
    pub fn edit_config(&self, edit: Edit) -> Result<Arc<Config>, ProxyError> {
        let mut document = self.document.lock().unwrap_or_else(PoisonError::into_inner);
        let running = self.config();
        let current = document.as_ref().ok_or_else(|| ProxyError::Internal {
            message: "the configuration file could not be read at start-up".into(),
        })?;
        let (next_document, next) = current
            .edit(&running, edit)
            .map_err(super::admin::refused)?;
        match &running.source {
            ConfigSource::File(path) => {
                next_document
                    .write(path)
                    .map_err(|e| ProxyError::Internal {
                        message: format!("cannot write {}: {e}", path.display()),
                    })?;
                tracing::info!(
                    "configuration changed through the admin API; saved to {}",
                    path.display()
                );
            }
            ConfigSource::Environment => tracing::info!(
                "configuration changed through the admin API (in memory only: it came from \
                 the environment, so there is no file to save it to)"
            ),
        }
        *document = Some(next_document);
        let next = Arc::new(next);
        self.replace_config(next.clone());
        Ok(next)
    }

    /// Re-reads the config file; applies it when valid and different, else logs why not.
    pub fn reload_config(&self, why: &str) {
        let mut document = self.document.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(current) = document.as_ref() else {
            return;
        };
        let outcome = match current.reload(&self.config()) {
            Reload::Unchanged => {
                let mut log = self.reloads.lock().unwrap_or_else(PoisonError::into_inner);
                if log.last == Some(ReloadOutcome::Refused) {
                    // The refused file was repaired back to what runs: say so.
                    tracing::info!("{why}: the file is valid again (same as the running one)");
                    log.changes += 1;
                    log.last = Some(ReloadOutcome::Unchanged);
                    log.problems.clear();
                } else {
                    tracing::debug!("{why}: configuration unchanged");
                }
                return;
            }
            Reload::Applied(next_document, next) => {
                *document = Some(next_document);
                self.replace_config(Arc::new(*next));
                tracing::info!("{why}: configuration reloaded");
                (ReloadOutcome::Applied, Vec::new())
            }
            Reload::Refused(error) => {
                tracing::error!(
                    "{why}: {error}\n  the running configuration stays in force until the file is fixed"
                );
                let problems = error.problems.iter().map(ToString::to_string).collect();
                (ReloadOutcome::Refused, problems)
            }
        };
        let mut log = self.reloads.lock().unwrap_or_else(PoisonError::into_inner);
        log.changes += 1;
        (log.last, log.problems) = (Some(outcome.0), outcome.1);
    }
}

/// Watches the config file (when there is one) until aborted.
pub fn watch(state: Arc<AppState>) -> Option<JoinHandle<()>> {
    let ConfigSource::File(path) = &state.config().source else {
        return None;
    };
    let path = path.clone();
    // Installed before the task starts, so a SIGHUP right after start-up cannot kill us.
    let mut hangup = Hangup::new();
    Some(tokio::spawn(async move {
        let mut seen = stamp(&path);
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let signalled = tokio::select! {
                _ = tick.tick() => false,
                () = hangup.recv() => true,
            };
            let now = stamp(&path);
            if signalled {
                seen = now;
                state.reload_config("SIGHUP");
            } else if now != seen {
                seen = now;
                state.reload_config(&format!("{} changed", path.display()));
            }
        }
    }))
}

/// What tells a changed file apart: modification time and length.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// SIGHUP, where there is such a thing.
struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    fn new() -> Self {
        #[cfg(unix)]
        {
            let kind = tokio::signal::unix::SignalKind::hangup();
            Self {
                signal: tokio::signal::unix::signal(kind).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal {
            if signal.recv().await.is_some() {
                return;
            }
            self.signal = None;
        }
        std::future::pending::<()>().await;
    }
}
