//! Log set-up: human text or JSON lines on stderr, at the configured level. Our own
//! modules log at the chosen level; dependencies only at warn and above (they are noisy and
//! could echo request details). Text lines are written by [`text::TextLine`].

mod text;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

#[expect(
    clippy::disallowed_methods,
    reason = "the log is written to stderr, by the logger alone"
)]
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::new(format!("warn,ccproxy={}", settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A second init (tests start many servers in one process) is harmless: keep the first.
    let _ = if settings.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.event_format(text::TextLine).try_init()
    };
}
