//! The `team` and `store` sections of the config file and `CCPROXY_REDIS_URL`.

use std::path::Path;

use super::{load_env, load_file, paths};
use crate::config::OnError;

#[test]
fn team_and_store_settings_are_read_strictly() {
    let config = load_file(
        r#"{"providers": [{"name": "groq"}], "team": {"enabled": true},
            "store": {"redis_url": "rediss://:s3cret@redis.internal:6380/0", "on_error": "open"}}"#,
        &[("HOME", "/home/dev")],
    )
    .expect("valid");
    assert!(config.team.enabled);
    assert_eq!(config.team.store.on_error, OnError::Open);
    let url = config
        .team
        .store
        .redis_url
        .as_ref()
        .map(|u| u.expose().to_string());
    assert_eq!(
        url.as_deref(),
        Some("rediss://:s3cret@redis.internal:6380/0")
    );
    assert_eq!(
        config.team.store.path.as_deref(),
        Some(Path::new("/home/dev/.ccproxy/team.redb"))
    );
    let shown = serde_json::to_string(&crate::config::show::masked(&config)).expect("JSON");
    assert!(!shown.contains("s3cret"), "{shown}");

    let error = load_file(
        r#"{"providers": [{"name": "groq"}], "team": {"enabled": "yes", "size": 3},
            "store": {"redis_url": "http://user:hunter2@redis:6379", "on_error": "maybe"}}"#,
        &[],
    )
    .expect_err("invalid");
    assert_eq!(
        paths(&error),
        vec![
            "team.size",
            "team.enabled",
            "store.redis_url",
            "store.on_error"
        ]
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");
    let error = load_env(&[("CCPROXY_REDIS_URL", "not a url")]).expect_err("invalid");
    assert_eq!(paths(&error), vec!["CCPROXY_REDIS_URL"]);
    let from_env = load_env(&[("CCPROXY_REDIS_URL", "redis://127.0.0.1:6379")]).expect("valid");
    assert!(from_env.team.store.redis_url.is_some());
}
