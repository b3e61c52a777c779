//! Background servers on several ports through the real binary: each port is an instance
//! with its own PID file and log; `start --port` wins over the configured port, `--port`
//! selects the instance for `env`, `code`, `status`, `stop`, `restart` and `statusline`,
//! the commands without it use the one running, `restart` keeps the port, and a plain
//! `status` lists every instance.

use crate::cli_support;

use cli_support::{free_port, is_alive, script, wait_gone, Home};

fn exported_url(run: &cli_support::Run) -> String {
    run.stdout
        .lines()
        .find_map(|line| line.strip_prefix("export ANTHROPIC_BASE_URL="))
        .unwrap_or_default()
        .trim_matches('\'')
        .to_string()
}

#[test]
fn an_instance_started_on_another_port_is_the_one_the_commands_talk_to() {
    let home = Home::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let started = home.run(&["start", "--port", &port.to_string()]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(started.stdout.contains(&url), "--port wins: {started:?}");
    let pid = home.pid_on(port).expect("the PID file of that port");
    assert!(home.pid().is_none(), "nothing on the configured port");
    assert!(home.path(&format!(".ccproxy/ccproxy-{port}.log")).exists());

    let env = home.run(&["env"]);
    assert_eq!(exported_url(&env), url, "{env:?}");
    let status = home.run(&["status"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status
            .stdout
            .contains(&format!("running (PID {pid}) on {url}")),
        "{status:?}"
    );

    let claude = home.path("fake-claude");
    let seen = home.path("seen-url");
    script(
        &claude,
        &format!("printf '%s' \"$ANTHROPIC_BASE_URL\" > {}\n", seen.display()),
    );
    let code = home
        .command(&["code", "-p", "hi"])
        .env("CLAUDE_PATH", &claude)
        .status()
        .expect("ccproxy code");
    assert!(code.success());
    assert_eq!(std::fs::read_to_string(&seen).unwrap_or_default(), url);

    let restarted = home.run(&["restart"]);
    assert_eq!(restarted.code, Some(0), "{restarted:?}");
    assert!(
        restarted.stdout.contains(&url),
        "restart keeps the port: {restarted:?}"
    );
    let second = home.pid_on(port).expect("PID file after restart");
    assert_ne!(pid, second);
    assert!(wait_gone(pid));
    assert!(
        home.pid().is_none(),
        "restart did not move to the configured port"
    );

    let stopped = home.run(&["stop", "--port", &port.to_string()]);
    assert_eq!(stopped.code, Some(0), "{stopped:?}");
    assert!(wait_gone(second));
    assert!(!home.pid_file_on(port).exists());
}

#[test]
fn two_instances_are_listed_and_stopped_independently() {
    let home = Home::new();
    let other = free_port();
    assert_eq!(home.run(&["start"]).code, Some(0));
    let started = home.run(&["start", "--port", &other.to_string()]);
    assert_eq!(started.code, Some(0), "{started:?}");
    let (first, second) = (home.pid().expect("PID"), home.pid_on(other).expect("PID"));
    assert_ne!(first, second);

    let status = home.run(&["status"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    for (pid, port) in [(first, home.port), (second, other)] {
        let line = format!("running (PID {pid}) on http://127.0.0.1:{port}");
        assert!(status.stdout.contains(&line), "{line} in {status:?}");
    }
    let only = home.run(&["status", "--port", &other.to_string()]);
    assert!(only.stdout.contains(&format!("PID {second}")), "{only:?}");
    assert!(!only.stdout.contains(&format!("PID {first}")), "{only:?}");

    let env = home.run(&["env", "--port", &other.to_string()]);
    assert_eq!(exported_url(&env), format!("http://127.0.0.1:{other}"));
    let line = home.run(&["statusline", "--port", &other.to_string()]);
    assert!(line.stdout.starts_with("ccproxy ●"), "{line:?}");

    let stopped = home.run(&["stop", "--port", &other.to_string()]);
    assert!(
        stopped.stdout.contains(&format!("PID {second}")),
        "{stopped:?}"
    );
    assert!(wait_gone(second));
    assert!(is_alive(first), "the other instance keeps running");
    let stopped = home.run(&["stop"]);
    assert!(
        stopped.stdout.contains(&format!("PID {first}")),
        "{stopped:?}"
    );
    assert!(wait_gone(first));
    let status = home.run(&["status"]);
    assert_eq!(status.code, Some(3), "{status:?}");
}
