use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::config::load;
use crate::config::show::ProviderView;

/// A private folder in the temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "ccproxy-live-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const KEY: &str = "sk-live-test-key-0123456789abcdef";

fn document_json() -> Value {
    json!({
        "providers": [
            {"name": "lab", "type": "openai", "base_url": "http://127.0.0.1:9/v1",
             "api_key": KEY, "models": ["m1", "m2"]}
        ],
        "routes": {"default": "lab,m1", "think": ["lab,m2"]}
    })
}

fn running(dir: &TempDir, value: &Value) -> (PathBuf, Config, Document) {
    let path = dir.0.join("config.json");
    std::fs::write(&path, value.to_string()).expect("write config");
    let overrides = Overrides {
        config_path: Some(path.clone()),
        ..Overrides::default()
    };
    let config = load(&overrides, &Env::default()).expect("valid config");
    let document = Document::of(&config).expect("document");
    (path, config, document)
}

fn extra(name: &str) -> Value {
    json!({"name": name, "type": "openai", "base_url": "http://127.0.0.1:9/x", "models": ["x1"]})
}

#[test]
fn adding_a_provider_validates_it_like_the_file() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let (_, next) = document
        .edit(&config, Edit::Add(extra("other")))
        .expect("valid edit");
    assert_eq!(next.provider_names(), vec!["lab", "other"]);
    let mut bad = extra("broken");
    bad["base_url"] = json!("ftp://nowhere");
    bad["modles"] = json!([]);
    let error = document.edit(&config, Edit::Add(bad)).expect_err("invalid");
    let EditError::Invalid(error) = error else {
        panic!("expected an invalid configuration, got {error:?}");
    };
    let problems: Vec<String> = error.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("providers[1].modles: unknown field (did you mean 'models'?)")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("providers[1].base_url")),
        "{problems:?}"
    );
}

#[test]
fn adding_an_existing_name_is_a_conflict() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let error = document
        .edit(&config, Edit::Add(extra("lab")))
        .expect_err("exists");
    assert!(matches!(error, EditError::ProviderExists { name } if name == "lab"));
}

#[test]
fn replacing_with_the_masked_key_keeps_the_key() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let mut shown = serde_json::to_value(ProviderView::of(&config.providers[0])).expect("JSON");
    assert_eq!(shown["api_key"], json!(crate::secret::mask(KEY)));
    shown["models"] = json!(["m3"]);
    shown
        .as_object_mut()
        .expect("object")
        .remove("api_key_source");
    let mut routes_fixed = document.clone();
    routes_fixed.0.routes =
        Some(serde_json::from_value(json!({"default": "lab,m3"})).expect("routes"));
    let (doc, next) = routes_fixed
        .edit(&config, Edit::Replace("lab".into(), shown))
        .expect("valid edit");
    let provider = next.provider("lab").expect("lab");
    assert_eq!(provider.api_key.as_ref().map(|k| k.expose()), Some(KEY));
    assert_eq!(provider.models, vec![crate::config::ModelEntry::id("m3")]);
    assert_eq!(doc.providers()[0]["api_key"], json!(KEY));
}

#[test]
fn replacing_under_another_name_is_refused() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let error = document
        .edit(&config, Edit::Replace("lab".into(), extra("renamed")))
        .expect_err("rename");
    assert!(matches!(error, EditError::Field { field, .. } if field == "name"));
}

#[test]
fn deleting_a_provider_takes_it_out_of_the_routes() {
    let dir = TempDir::new();
    let mut value = document_json();
    value["providers"]
        .as_array_mut()
        .expect("list")
        .push(extra("other"));
    value["routes"]["think"] = json!(["other,x1", "lab,m2"]);
    value["routes"]["image"] = json!("other,x1");
    let (_, config, document) = running(&dir, &value);
    let (doc, next) = document
        .edit(&config, Edit::Delete("other".into()))
        .expect("valid edit");
    assert_eq!(next.provider_names(), vec!["lab"]);
    assert_eq!(
        serde_json::to_value(&doc.0.routes).expect("JSON"),
        json!({"default": "lab,m1", "think": ["lab,m2"]})
    );
    let error = document
        .edit(&config, Edit::Delete("ghost".into()))
        .expect_err("missing");
    assert!(matches!(error, EditError::NoSuchProvider { name, .. } if name == "ghost"));
}

#[test]
fn toggling_flips_enabled() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let (doc, off) = document
        .edit(&config, Edit::Toggle("lab".into()))
        .expect("toggle");
    assert!(!off.providers[0].enabled);
    let (_, on) = doc.edit(&off, Edit::Toggle("lab".into())).expect("toggle");
    assert!(on.providers[0].enabled);
}

#[test]
fn writes_atomically_with_mode_0600() {
    let dir = TempDir::new();
    let (path, config, document) = running(&dir, &document_json());
    let (doc, _) = document
        .edit(&config, Edit::Add(extra("other")))
        .expect("edit");
    doc.write(&path).expect("write");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    assert_eq!(written, serde_json::to_value(&doc.0).expect("JSON"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers = std::fs::read_dir(&dir.0).expect("list").count();
    assert_eq!(leftovers, 1, "no temporary file left behind");
}

#[test]
fn reload_applies_a_valid_file_and_refuses_a_broken_one() {
    let dir = TempDir::new();
    let (path, config, document) = running(&dir, &document_json());
    assert!(matches!(document.reload(&config), Reload::Unchanged));
    let mut changed = document_json();
    changed["routes"]["default"] = json!("lab,m2");
    std::fs::write(&path, changed.to_string()).expect("write");
    let Reload::Applied(_, next) = document.reload(&config) else {
        panic!("expected the new file to apply");
    };
    assert_eq!(next.routes.default[0].model, "m2");
    changed["routes"]["default"] = json!("ghost,m2");
    std::fs::write(&path, changed.to_string()).expect("write");
    let Reload::Refused(error) = document.reload(&config) else {
        panic!("expected the broken file to be refused");
    };
    assert_eq!(error.problems[0].path, "routes.default");
    std::fs::write(&path, "{ not json").expect("write");
    assert!(matches!(document.reload(&config), Reload::Refused(_)));
}

#[test]
fn an_environment_configuration_round_trips_through_its_document() {
    let env = Env::from_pairs([
        ("PROVIDER", "lab"),
        ("LAB_BASE_URL", "http://127.0.0.1:9/v1"),
        ("LAB_MODEL", "qwen"),
        ("LAB_API_KEY", KEY),
    ]);
    let config = load(&Overrides::default(), &env).expect("env config");
    let document = Document::of(&config).expect("document");
    assert_eq!(document.providers()[0]["api_key"], json!("${LAB_API_KEY}"));
    let (_, next) = document
        .edit(&config, Edit::Toggle("lab".into()))
        .expect("toggle");
    let provider = next.provider("lab").expect("lab");
    assert!(!provider.enabled);
    assert_eq!(provider.api_key.as_ref().map(|k| k.expose()), Some(KEY));
    assert_eq!(next.routes, config.routes);
}

#[test]
fn admin_bodies_may_not_reference_variables() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    for (field, value) in [
        ("base_url", json!("${OPENAI_API_KEY}")),
        ("base_url", json!("https://evil.example/${HOME}")),
        ("api_key", json!("${ANY_VAR}")),
        ("models", json!(["${HOME}"])),
    ] {
        let mut provider = extra("other");
        provider[field] = value.clone();
        let added = document.edit(&config, Edit::Add(provider.clone()));
        let replaced = document.edit(
            &config,
            Edit::Replace("lab".into(), {
                provider["name"] = json!("lab");
                provider
            }),
        );
        for error in [added, replaced].map(|r| r.expect_err("refused")) {
            assert!(matches!(error, EditError::Field { .. }), "{value}");
            assert!(error
                .to_string()
                .starts_with(&format!("invalid field `{field}`")));
        }
    }
}

#[test]
fn problems_never_show_the_value_of_a_variable() {
    let secret = "not-a-url-but-a-secret-0123456789";
    let env = Env::from_pairs([("SOME_TOKEN", secret)]);
    let value = json!({"providers": [
        {"name": "${SOME_TOKEN}", "type": "${SOME_TOKEN}", "base_url": "${SOME_TOKEN}"},
        {"name": "lab", "type": "openai", "base_url": "ftp://${SOME_TOKEN}"}
    ]});
    let (raw, sink) = raw::parse::<RawConfig>(value, "");
    let error = file::from_raw(&raw, sink, ConfigSource::Environment, &env).expect_err("invalid");
    let problems: Vec<String> = error.problems.iter().map(ToString::to_string).collect();
    assert!(problems.iter().all(|p| !p.contains(secret)), "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the value of ${SOME_TOKEN} is not a valid URL")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("'ftp://${SOME_TOKEN}' (with its variables expanded) must start")),
        "{problems:?}"
    );
}

#[test]
fn moving_a_provider_to_another_host_needs_its_key_again() {
    let dir = TempDir::new();
    let (_, config, document) = running(&dir, &document_json());
    let lab = |base_url: &str| json!({"name": "lab", "type": "openai", "base_url": base_url, "models": ["m1", "m2"]});
    let error = document
        .edit(
            &config,
            Edit::Replace("lab".into(), lab("https://elsewhere.example/v1")),
        )
        .expect_err("key required");
    assert!(matches!(error, EditError::Field { .. }));
    assert!(error.to_string().starts_with("invalid field `api_key`"));
    let mut with_key = lab("https://elsewhere.example/v1");
    with_key["api_key"] = json!("sk-new-key-for-elsewhere-0123456789");
    let (_, moved) = document
        .edit(&config, Edit::Replace("lab".into(), with_key))
        .expect("new key given");
    let provider = moved.provider("lab").expect("lab");
    assert_eq!(
        provider.api_key.as_ref().map(|k| k.expose()),
        Some("sk-new-key-for-elsewhere-0123456789")
    );
    let (_, same_host) = document
        .edit(
            &config,
            Edit::Replace("lab".into(), lab("http://127.0.0.1:9/v2")),
        )
        .expect("same host keeps the key");
    let provider = same_host.provider("lab").expect("lab");
    assert_eq!(provider.api_key.as_ref().map(|k| k.expose()), Some(KEY));
}

#[test]
fn a_redacted_base_url_sent_back_keeps_the_written_one() {
    let dir = TempDir::new();
    let mut value = document_json();
    value["providers"][0]["base_url"] = json!("http://user:pw@127.0.0.1:9/v1?token=abc");
    let (_, config, document) = running(&dir, &value);
    let mut shown = serde_json::to_value(ProviderView::of(&config.providers[0])).expect("JSON");
    assert_eq!(shown["base_url"], json!("http://127.0.0.1:9/v1?token=…"));
    let object = shown.as_object_mut().expect("object");
    object.remove("api_key_source");
    let (doc, next) = document
        .edit(&config, Edit::Replace("lab".into(), shown))
        .expect("valid edit");
    let written = "http://user:pw@127.0.0.1:9/v1?token=abc";
    assert_eq!(doc.providers()[0]["base_url"], json!(written));
    assert_eq!(
        next.provider("lab").map(|p| p.base_url.as_str()),
        Some(written)
    );
    assert_eq!(
        next.provider("lab")
            .and_then(|p| p.api_key.as_ref())
            .map(|k| k.expose()),
        Some(KEY)
    );
}

#[test]
fn a_provider_added_without_a_key_stays_keyless_after_a_restart() {
    let dir = TempDir::new();
    let (path, config, document) = running(&dir, &document_json());
    let (next, _) = document
        .edit(&config, Edit::Add(extra("github")))
        .expect("added");
    next.write(&path).expect("written");
    // The next start reads the file with GITHUB_API_KEY set: the written `""` keeps it out.
    let overrides = Overrides {
        config_path: Some(path),
        ..Overrides::default()
    };
    let env = Env::from_pairs([("GITHUB_API_KEY", "ghp_environmentKey0123456789")]);
    let restarted = load(&overrides, &env).expect("valid config");
    let github = restarted.provider("github").expect("github");
    assert_eq!(github.api_key, None);
    assert!(
        !github.key_required,
        "a keyless custom provider needs no key"
    );
}

#[test]
fn an_edit_writes_references_back_as_written_and_models_with_their_limits() {
    let dir = TempDir::new();
    let mut value = document_json();
    value["providers"][0]["api_key"] = json!("${LIVE_TEST_UNSET_KEY}");
    value["providers"][0]["models"] = json!([{"id": "m1", "context_window": 32768}, "m2"]);
    let (path, config, document) = running(&dir, &value);
    let (doc, _) = document
        .edit(&config, Edit::Toggle("lab".into()))
        .expect("toggle");
    doc.write(&path).expect("write");
    let written = std::fs::read_to_string(&path).expect("read");
    let written: Value = serde_json::from_str(&written).expect("JSON");
    assert_eq!(written["providers"][0]["api_key"], "${LIVE_TEST_UNSET_KEY}");
    assert_eq!(
        written["providers"][0]["models"],
        json!([{"id": "m1", "context_window": 32768}, "m2"])
    );
    assert_eq!(written["providers"][0]["enabled"], false);
}
