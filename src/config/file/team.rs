//! The config file's `team` and `store` sections, read as strictly as the rest.

use std::path::PathBuf;

use super::super::raw::RawConfig;
use super::super::team::{check_redis_url, OnError, TeamSettings};
use super::{shown, Reader};
use crate::secret::Secret;

impl Reader<'_> {
    pub(super) fn team(&mut self, raw: &RawConfig) -> TeamSettings {
        let mut settings = TeamSettings::default();
        self.sink.at("team");
        if let Some(team) = &raw.team {
            self.sink.enter("team");
            settings.enabled = self.boolean("team.enabled", team.enabled).unwrap_or(false);
        }
        self.sink.at("store");
        let Some(store) = &raw.store else {
            return settings;
        };
        self.sink.enter("store");
        let written = store.redis_url.as_deref();
        if let Some(url) = self.string("store.redis_url", written) {
            let redacted = crate::secret::redact_url(&url);
            match check_redis_url(&url, &shown(written, &redacted)) {
                Ok(()) => settings.store.redis_url = Some(Secret::new(url)),
                Err(problem) => self.problem("store.redis_url", problem),
            }
        }
        if let Some(path) = self.string("store.path", store.path.as_deref()) {
            settings.store.path = Some(PathBuf::from(path));
        }
        if let Some(mode) = self.string("store.on_error", store.on_error.as_deref()) {
            match OnError::parse(&mode) {
                Some(mode) => settings.store.on_error = mode,
                None => self.problem(
                    "store.on_error",
                    format!("'{mode}' is not a store failure policy (closed, open)"),
                ),
            }
        }
        settings
    }
}
