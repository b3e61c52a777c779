//! The background server through the real binary: start → status → stop, starting twice,
//! stale PID files, a port held by another program, stopping when nothing runs, and the
//! LSB exit codes of `status`, and the key pools it lists.

use crate::cli_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::{is_alive, wait_gone, Guard, Home, GROQ_KEY};

#[test]
fn start_status_stop() {
    let home = Home::new();
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    let pid = home.pid().expect("PID file written");
    assert!(
        started.stdout.contains(&format!("started (PID {pid})")),
        "{started:?}"
    );
    assert!(started.stdout.contains(&home.url()), "{started:?}");
    assert!(is_alive(pid));

    let status = home.run(&["status"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status.stdout.contains(&format!("running (PID {pid})")),
        "{status:?}"
    );
    assert!(status.stdout.contains("groq"), "{status:?}");
    assert!(
        status.stdout.contains("gsk_…3f9a"),
        "key shown masked: {status:?}"
    );
    assert!(!status.all().contains(GROQ_KEY), "key leaked: {status:?}");

    let json = home.run(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    assert_eq!(value["pid"], pid);
    assert_eq!(value["port"], home.port);

    let stopped = home.run(&["stop"]);
    assert_eq!(stopped.code, Some(0), "{stopped:?}");
    assert!(
        stopped
            .stdout
            .contains(&format!("stopped (PID {pid}, graceful)")),
        "{stopped:?}"
    );
    assert!(wait_gone(pid), "server still running after stop");
    assert!(!home.pid_file().exists(), "PID file removed");
    assert_eq!(home.run(&["status"]).code, Some(3));
}

#[test]
fn start_twice_keeps_one_server() {
    let home = Home::new();
    assert_eq!(home.run(&["start"]).code, Some(0));
    let pid = home.pid().expect("PID file");
    let again = home.run(&["start"]);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again
            .stdout
            .contains(&format!("already running (PID {pid})")),
        "{again:?}"
    );
    assert_eq!(home.pid(), Some(pid));
}

#[test]
fn restart_replaces_the_server() {
    let home = Home::new();
    assert_eq!(home.run(&["start"]).code, Some(0));
    let first = home.pid().expect("PID file");
    let restarted = home.run(&["restart"]);
    assert_eq!(restarted.code, Some(0), "{restarted:?}");
    let second = home.pid().expect("PID file after restart");
    assert_ne!(first, second);
    assert!(wait_gone(first));
    assert!(is_alive(second));
}

#[test]
fn a_stale_pid_file_of_a_dead_process_does_not_block_start() {
    let home = Home::new();
    let mut finished = Command::new("true").spawn().expect("spawn true");
    let dead = finished.id();
    finished.wait().expect("wait");
    std::fs::create_dir_all(home.path(".ccproxy")).expect("dir");
    std::fs::write(home.pid_file(), format!("{dead}\n{}\n", home.url())).expect("pid file");

    assert_eq!(home.run(&["status"]).code, Some(3));
    std::fs::write(home.pid_file(), format!("{dead}\n{}\n", home.url())).expect("pid file");
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(started.stdout.contains("stale PID file"), "{started:?}");
    assert_ne!(home.pid(), Some(dead));
}

#[test]
fn a_pid_reused_by_another_program_is_neither_obeyed_nor_killed() {
    let home = Home::new();
    let sleeper = Guard(
        Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep"),
    );
    let other = sleeper.0.id();
    std::fs::create_dir_all(home.path(".ccproxy")).expect("dir");
    std::fs::write(home.pid_file(), format!("{other}\n{}\n", home.url())).expect("pid file");

    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(started.stdout.contains("another program"), "{started:?}");
    let pid = home.pid().expect("new PID file");
    assert_ne!(pid, other);
    assert_eq!(home.run(&["stop"]).code, Some(0));
    assert!(is_alive(other), "the other program must not be signalled");
}

#[test]
fn a_port_held_by_another_program_fails_clearly() {
    let home = Home::new();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", home.port)).expect("bind");
    let begun = Instant::now();
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(1), "{started:?}");
    assert!(begun.elapsed() < Duration::from_secs(10));
    assert!(started.stderr.contains("another program"), "{started:?}");
    assert!(
        started.stderr.contains(&format!("lsof -i :{}", home.port)),
        "{started:?}"
    );
    assert!(!home.pid_file().exists());
    assert_eq!(home.run(&["status"]).code, Some(3));
}

#[test]
fn a_server_that_cannot_listen_is_reported_with_its_log() {
    let mut home = Home::new();
    // A documentation address (RFC 5737) that no interface has: the bind fails.
    home.set("CCPROXY_HOST", Some("192.0.2.1"))
        .set("CCPROXY_API_KEY", Some("proxy-key-for-this-test"));
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(1), "{started:?}");
    assert!(started.stderr.contains("did not start"), "{started:?}");
    assert!(started.stderr.contains("last lines of"), "{started:?}");
    assert!(
        started.stderr.contains("cannot listen on 192.0.2.1"),
        "{started:?}"
    );
    assert!(!home.pid_file().exists());
}

#[test]
fn stop_when_not_running_says_so() {
    let home = Home::new();
    let stopped = home.run(&["stop"]);
    assert_eq!(stopped.code, Some(0), "{stopped:?}");
    assert!(stopped.stdout.contains("not running"), "{stopped:?}");
}

#[test]
fn start_with_an_invalid_config_starts_nothing() {
    let home = Home::new();
    std::fs::create_dir_all(home.path(".ccproxy")).expect("dir");
    std::fs::write(home.path(".ccproxy/config.json"), r#"{"prot": 1}"#).expect("config");
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(1), "{started:?}");
    assert!(
        started.stderr.contains("prot: unknown field"),
        "{started:?}"
    );
    assert!(!home.pid_file().exists());
    // status still answers, with a warning about the config
    let status = home.run(&["status"]);
    assert_eq!(status.code, Some(3), "{status:?}");
    assert!(status.stderr.contains("prot"), "{status:?}");
}

#[test]
fn status_sees_a_foreground_server_too() {
    let home = Home::new();
    let server = Guard(
        home.command(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status = home.run(&["status"]);
        if status.code == Some(0) || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status.stdout.contains(&format!("PID {}", server.0.id())),
        "{status:?}"
    );
    assert!(
        status.stdout.contains("not started by `ccproxy start`"),
        "{status:?}"
    );
    let started = home.run(&["start"]);
    assert!(started.stdout.contains("already running"), "{started:?}");
}

#[test]
fn status_lists_a_key_pool_masked() {
    let mut home = Home::new();
    home.set("GROQ_API_KEY", None).set(
        "GROQ_API_KEYS",
        Some("gsk_pool_key_number_one_aaaa,gsk_pool_key_number_two_bbbb"),
    );
    let started = home.run(&["start"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    let status = home.run(&["status"]);
    let stopped = home.run(&["stop"]);
    assert_eq!(stopped.code, Some(0), "{stopped:?}");
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status.stdout.contains(
            "keys       groq: gsk_…aaaa active (0 requests), gsk_…bbbb active (0 requests)"
        ),
        "{status:?}"
    );
    assert!(
        !status.all().contains("gsk_pool_key"),
        "key leaked: {status:?}"
    );
}
