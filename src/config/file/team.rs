//! The config file's `team` and `store` sections, read as strictly as the rest.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::super::team::{check_redis_url, OnError, TeamSettings};
use super::{shown, Reader};
use crate::secret::Secret;

pub(super) const TEAM_KEYS: &[&str] = &["enabled"];
pub(super) const STORE_KEYS: &[&str] = &["redis_url", "path", "on_error"];

impl Reader<'_> {
    pub(super) fn team(&mut self, top: &Map<String, Value>) -> TeamSettings {
        let mut settings = TeamSettings::default();
        if let Some(team) = self.section(top, "team", TEAM_KEYS) {
            settings.enabled = self.boolean("team", team, "enabled").unwrap_or(false);
        }
        let Some(store) = self.section(top, "store", STORE_KEYS) else {
            return settings;
        };
        if let Some(url) = self.string("store", store, "redis_url") {
            let redacted = crate::secret::redact_url(&url);
            match check_redis_url(&url, &shown(store, "redis_url", &redacted)) {
                Ok(()) => settings.store.redis_url = Some(Secret::new(url)),
                Err(problem) => self.problem("store.redis_url", problem),
            }
        }
        if let Some(path) = self.string("store", store, "path") {
            settings.store.path = Some(PathBuf::from(path));
        }
        if let Some(mode) = self.string("store", store, "on_error") {
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
