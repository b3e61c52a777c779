//! A test that cannot run because an optional client is missing must not pass silently:
//! its notice has to reach `cargo test`'s own output, past the harness's capture.

use std::process::Command;

#[test]
fn a_skipped_test_says_so_in_cargo_test_output() {
    // This very test binary, asked to run the browser test with no Chromium to be found
    // and with captured output (the default): the skip notice is still printed.
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "ui_browser::dashboard_shows_the_requests_in_a_real_browser",
            "--exact",
        ])
        .env("PATH", "/nonexistent")
        .env_remove("CHROMIUM")
        .env_remove("CCPROXY_REQUIRE_CLIENTS")
        .output()
        .expect("run the test binary");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains(
            "SKIPPED ui_browser::dashboard_shows_the_requests_in_a_real_browser: Chromium \
             (`apt-get install chromium`"
        ),
        "{shown}"
    );
}
