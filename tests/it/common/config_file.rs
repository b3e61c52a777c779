//! A config file in a private temp folder, loaded the way `ccproxy serve --config` would.

use std::path::PathBuf;

use ccproxy::config::{self, Config, Env, Overrides};
use serde_json::Value;

/// A config file in a private temp folder, removed on drop.
pub struct ConfigFile {
    dir: PathBuf,
    pub path: PathBuf,
}

impl ConfigFile {
    pub fn new(value: &Value) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ccproxy-config-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("config.json");
        std::fs::write(&path, value.to_string()).expect("write config");
        Self { dir, path }
    }

    /// Replaces the file's content (as an editor would).
    pub fn write(&self, value: &Value) {
        std::fs::write(&self.path, value.to_string()).expect("write config");
    }

    pub fn load(&self) -> Config {
        let overrides = Overrides {
            config_path: Some(self.path.clone()),
            ..Overrides::default()
        };
        config::load(&overrides, &Env::default()).expect("valid config")
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
