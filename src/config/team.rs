//! The team settings: whether developer keys are required (`team.enabled`), and where team
//! state lives (`store`: a Redis URL, or the embedded file). See README "Team".

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The environment variable that names the Redis store (wins over the file's `redis_url`).
pub const REDIS_URL_VAR: &str = "CCPROXY_REDIS_URL";
/// The embedded store's file under `~/.ccproxy`.
pub const STORE_FILE: &str = "team.redb";

/// The `team` and `store` sections of the config file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamSettings {
    /// Developer keys are required even before the first key exists.
    pub enabled: bool,
    pub store: StoreSettings,
}

/// Where team state lives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreSettings {
    /// `redis://` or `rediss://` (TLS); may carry a password, so it is a secret.
    pub redis_url: Option<Secret>,
    /// The embedded store's file (default `~/.ccproxy/team.redb`; `None` without a home).
    pub path: Option<PathBuf>,
    pub on_error: OnError,
}

/// What requests get while the store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Refuse with 503 `store_unavailable`.
    #[default]
    Closed,
    /// Serve keys seen recently without limits; refuse the others.
    Open,
}

impl OnError {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "closed" => Some(Self::Closed),
            "open" => Some(Self::Open),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
        }
    }
}

/// Checks a Redis URL: `redis://`, `rediss://` or `unix://`. `shown` names the value.
pub(crate) fn check_redis_url(text: &str, shown: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("{shown} is not a valid URL ({e})"))?;
    match url.scheme() {
        "redis" | "rediss" | "unix" => Ok(()),
        _ => Err(format!(
            "{shown} must start with redis://, rediss:// (TLS) or unix://"
        )),
    }
}
