//! Team mode with the real `ccproxy` binary: `ccproxy keys create|list|revoke` against the
//! running proxy, and a replica killed with `kill -9` in the middle of a stream, whose
//! reservation must expire instead of blocking the key for good.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;

use crate::cli_support::{kill, Home};
use crate::common::redis::RedisServer;
use crate::common::team::{create_key, send_as, team_config, TestStore};
use crate::common::{client, hello, MockUpstream, Proxy, Reply};

/// A home whose `ccproxy` reads `file` and is started in the background.
fn started(file: &crate::common::ConfigFile) -> Home {
    let mut home = Home::new();
    home.set("CCPROXY_CONFIG", Some(&file.path.display().to_string()));
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{}", started.all());
    home
}

#[tokio::test]
async fn keys_commands_create_list_and_revoke_through_the_running_proxy() {
    let upstream = MockUpstream::start().await;
    upstream.push(Reply::completion("hi"));
    let file = team_config(&upstream, &TestStore::Embedded, "closed");
    let home = started(&file);

    let created = home.run(&["keys", "create", "alice", "--group", "ml", "--rpm", "5"]);
    assert_eq!(created.code, Some(0), "{}", created.all());
    let key = created
        .stdout
        .split_whitespace()
        .find(|word| word.starts_with("ccp_"))
        .expect("the key is printed once")
        .to_string();
    let listed = home.run(&["keys", "list"]);
    assert_eq!(listed.code, Some(0), "{}", listed.all());
    assert!(
        listed.stdout.contains("alice") && listed.stdout.contains("ml"),
        "{}",
        listed.stdout
    );
    assert!(
        !listed.all().contains(&key[4..]),
        "never the key again: {}",
        listed.all()
    );

    let answer = client()
        .post(format!("{}/v1/messages", home.url()))
        .header("x-api-key", &key)
        .json(&hello())
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 200);

    let revoked = home.run(&["keys", "revoke", "alice"]);
    assert_eq!(revoked.code, Some(0), "{}", revoked.all());
    let again = home.run(&["keys", "revoke", "alice"]);
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("no developer key named 'alice'"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn a_replica_killed_mid_stream_leaves_no_stuck_reservation() {
    let redis = RedisServer::start().await;
    let upstream = MockUpstream::start().await;
    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "model": "mock-model",
                       "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null}]});
    upstream.push(Reply::Sse {
        chunks: vec![format!("data: {chunk}\n\n").into_bytes(); 200],
        pause: Duration::from_millis(300),
    });
    upstream.push(Reply::completion("after"));
    let file = team_config(&upstream, &TestStore::Redis(redis.url()), "closed");
    let home = started(&file);
    let survivor = Proxy::start(file.load()).await;
    // Each request reserves about 100 tokens (its input, estimated, plus max_tokens 64).
    let key = create_key(&survivor, json!({"name": "ivan", "tpm": 150})).await;

    let mut streamed = hello();
    streamed["stream"] = json!(true);
    let response = client()
        .post(format!("{}/v1/messages", home.url()))
        .header("x-api-key", &key)
        .json(&streamed)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    assert!(
        body.next().await.is_some_and(|chunk| chunk.is_ok()),
        "the stream began"
    );
    kill(home.pid().expect("the replica's PID"), "KILL");

    let (status, _, _, refused) = send_as(&survivor, &key).await;
    assert_eq!(
        status, 429,
        "the dead replica's reservation still counts: {refused}"
    );
    assert!(refused["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("tokens")));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (status, _, _, body) = send_as(&survivor, &key).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 429, "{body}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reservation is stuck"
        );
    }
}
