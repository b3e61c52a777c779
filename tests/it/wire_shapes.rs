//! The wire shapes of `GET /status`, the detailed `GET /health` and `GET /stats` are pinned:
//! every key, and the kind of every value, after a success, a failure and an open circuit
//! breaker. The CLI, the dashboard and users' scripts read these documents; a change to
//! them must be deliberate (`CCPROXY_BLESS_SHAPES=1 cargo test --test it wire_shapes`
//! rewrites tests/it/wire_shapes.json, and the diff shows what changed). Each document also
//! reads back as its type in `ccproxy::report` and writes out unchanged.

use crate::common;

use ccproxy::report::{HealthReport, StatsReport, StatusReport};
use common::{client, env_config, get_json, hello, MockUpstream, Proxy, Reply};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

const PINNED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/wire_shapes.json");

/// The shape of a JSON value: objects keep their keys, scalars become their kind, and an
/// array becomes the distinct shapes of its items.
fn shape(value: &Value) -> Value {
    match value {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut shapes: Vec<Value> = Vec::new();
            for item in items.iter().map(shape) {
                if !shapes.contains(&item) {
                    shapes.push(item);
                }
            }
            Value::Array(shapes)
        }
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// `served` read as the report type the CLI reads it as, and written again.
fn round_trip(path: &str, served: &Value) -> Value {
    fn again<T: DeserializeOwned + Serialize>(served: &Value) -> Value {
        let report: T = serde_json::from_value(served.clone()).expect("reads as its report");
        serde_json::to_value(report).expect("JSON")
    }
    match path {
        "/status" => again::<StatusReport>(served),
        "/health" => again::<HealthReport>(served),
        _ => again::<StatsReport>(served),
    }
}

#[tokio::test]
async fn status_health_and_stats_keep_their_shapes() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    upstream.push(Reply::status(500, json!({"error": {"message": "boom"}})));
    let mut config = env_config(&upstream, &[]);
    config.resilience.retry.max_attempts = 1;
    config.resilience.breaker.failure_threshold = 1;
    let proxy = Proxy::start(config).await;
    for expected in [200, 502] {
        let response = client()
            .post(proxy.url("/v1/messages"))
            .json(&hello())
            .send()
            .await
            .expect("POST /v1/messages");
        assert_eq!(response.status(), expected);
    }
    let mut shapes = Map::new();
    for path in ["/status", "/health", "/stats"] {
        let served = get_json(&proxy, path).await;
        assert_eq!(
            round_trip(path, &served),
            served,
            "GET {path} reads back as served"
        );
        shapes.insert(path.to_string(), shape(&served));
    }
    let actual = Value::Object(shapes);
    if std::env::var_os("CCPROXY_BLESS_SHAPES").is_some() {
        let text = serde_json::to_string_pretty(&actual).expect("JSON");
        std::fs::write(PINNED, text + "\n").expect("write the pinned shapes");
        return;
    }
    let pinned: Value =
        serde_json::from_str(&std::fs::read_to_string(PINNED).expect("pinned shapes"))
            .expect("pinned shapes are JSON");
    for path in ["/status", "/health", "/stats"] {
        assert_eq!(
            actual[path], pinned[path],
            "the shape of GET {path} changed"
        );
    }
}
