use super::*;

fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ccproxy-store-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    dir.join("team.redb")
}

fn key(name: &str) -> KeyRecord {
    KeyRecord {
        name: name.into(),
        group: None,
        rpm: Some(2),
        tpm: Some(100),
        hash: format!("hash-{name}"),
        hint: "ccp_…".into(),
        created_at: 0,
    }
}

fn reserve<'a>(key: &'a KeyRecord, id: &'a str, tokens: u64, caps: &'a [Cap]) -> Reserve<'a> {
    Reserve {
        key: &key.name,
        rpm: key.rpm,
        tpm: key.tpm,
        tokens,
        id,
        caps,
    }
}

#[test]
fn the_window_counts_requests_and_tokens_and_settling_rewrites_the_estimate() {
    let store = Embedded::open(&temp_file("window")).expect("open");
    let alice = key("alice");
    assert_eq!(
        store.reserve(&reserve(&alice, "a", 90, &[])),
        Admission::Admitted
    );
    let refused = store.reserve(&reserve(&alice, "b", 20, &[]));
    assert!(
        matches!(
            refused,
            Admission::Tokens {
                limit: 100,
                remaining: 10,
                ..
            }
        ),
        "{refused:?}"
    );
    let settle = Settle {
        key: "alice",
        id: "a",
        reserved: 90,
        used: 30,
        usage: Usage::default(),
        counters: &[],
    };
    store.settle(&settle);
    assert_eq!(
        store.reserve(&reserve(&alice, "b", 20, &[])),
        Admission::Admitted
    );
    let third = store.reserve(&reserve(&alice, "c", 1, &[]));
    assert!(matches!(third, Admission::Requests { limit: 2, retry_ms } if retry_ms <= WINDOW_MS));
}

#[test]
fn keys_limits_and_counters_survive_a_restart() {
    let path = temp_file("restart");
    let cap = [Cap {
        counter: "spend:user:alice:d1".into(),
        micros: 500,
    }];
    {
        let store = Embedded::open(&path).expect("open");
        assert_eq!(store.create_key(&key("alice")), Ok(true));
        assert_eq!(store.create_key(&key("alice")), Ok(false));
        let settle = Settle {
            key: "alice",
            id: "x",
            reserved: 0,
            used: 0,
            usage: Usage {
                requests: 1,
                input_tokens: 5,
                output_tokens: 7,
                cache_read_tokens: 11,
                cost_micros: 600,
            },
            counters: &[("spend:user:alice:d1".into(), 3600)],
        };
        store.settle(&settle);
        store.flush();
    }
    let store = Embedded::open(&path).expect("reopen");
    assert_eq!(
        store.key_by_hash("hash-alice").map(|k| k.name),
        Some("alice".into())
    );
    let usage = store.usage(&["alice".into()])[0];
    assert_eq!((usage.output_tokens, usage.cache_read_tokens), (7, 11));
    let alice = key("alice");
    assert_eq!(
        store.reserve(&reserve(&alice, "y", 1, &cap)),
        Admission::Spend { cap: 0, spent: 600 }
    );
    assert_eq!(store.revoke_key("alice"), Ok(true));
    assert_eq!(store.key_by_hash("hash-alice"), None);
}
