//! The real binary, as a new user runs it: no config at all, a port already taken,
//! graceful stop on SIGTERM.

use crate::cli_support;

use std::process::{Child, Command, Stdio};

use cli_support::{stderr_lines, wait_for_address, wait_for_line, Home};
use std::time::{Duration, Instant};

#[tokio::test]
async fn starts_with_no_config_and_explains_what_to_set() {
    let mut home = Home::new();
    home.set("GROQ_API_KEY", None);
    let mut child = home
        .command(&["serve", "--port", "0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ccproxy");
    let lines = stderr_lines(&mut child);
    let mut seen = Vec::new();
    let addr = wait_for_address(&lines, &mut seen);
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/v1/messages"))
        .json(
            &serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
                                   "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "missing_api_key");
    let suggestion = body["error"]["details"]["suggestion"]
        .as_str()
        .unwrap_or_default();
    assert!(suggestion.contains("GROQ_API_KEY"), "{suggestion}");

    let advice = wait_for_line(&lines, &mut seen, "no API key for provider 'groq'");
    assert!(advice.contains("GROQ_API_KEY"), "{advice}");
    // The banner's commands reach this very proxy when copied as printed (it listens on
    // a port other than the default, so they name it).
    let banner = seen.join("\n");
    let port = addr.rsplit(':').next().expect("port");
    assert!(
        banner.contains(&format!("`CCPROXY_PORT={port} ccproxy code`")),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "`eval \"$(ccproxy env --port {port})\"` then `claude`"
        )),
        "{banner}"
    );
    let exports = home.run(&["env", "--port", port]).stdout;
    assert!(
        exports.contains(&format!("ANTHROPIC_BASE_URL='http://{addr}'")),
        "{exports}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_with_timeout(&mut child, Duration::from_secs(10));
    assert_eq!(
        exit.and_then(|s| s.code()),
        Some(0),
        "graceful stop exits 0"
    );
}

#[test]
fn several_keys_without_provider_warn_which_became_the_default() {
    let mut home = Home::new();
    home.set("OPENAI_API_KEY", Some("sk-test-0000000000000000"));
    let mut child = cli_support::Guard(
        home.command(&["serve", "--port", "0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn ccproxy"),
    );
    let lines = stderr_lines(&mut child.0);
    let mut seen = Vec::new();
    let warning = wait_for_line(&lines, &mut seen, "PROVIDER is not set");
    assert!(warning.contains("(groq, openai)"), "{warning}");
    assert!(warning.contains("the default is 'groq'"), "{warning}");
    let banner = wait_for_line(&lines, &mut seen, "listening on http://");
    assert!(banner.contains("default route: groq,"), "{banner}");
}

#[test]
fn port_in_use_exits_non_zero_with_advice() {
    let home = Home::new();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", home.port)).expect("bind");
    let port = home.port.to_string();
    let started = Instant::now();
    let output = home.command(&["serve"]).output().expect("run ccproxy");
    assert!(!output.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "should fail at once"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("port {port}")), "{stderr}");
    assert!(stderr.contains("ccproxy status"), "{stderr}");
    assert!(stderr.contains(&format!("lsof -i :{port}")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn invalid_config_lists_every_problem_and_exits_non_zero() {
    let home = Home::new();
    let file = home.path("bad.json");
    std::fs::write(
        &file,
        r#"{"prot": 1, "providers": [{"name": "groq", "bsae_url": "x"}]}"#,
    )
    .expect("write config");
    let output = home
        .command(&["serve", "--config"])
        .arg(&file)
        .output()
        .expect("run ccproxy");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("prot: unknown field"), "{stderr}");
    assert!(
        stderr.contains("providers[0].bsae_url: unknown field (did you mean 'base_url'?)"),
        "{stderr}"
    );
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}
