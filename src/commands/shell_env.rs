//! `ccproxy env`: shell commands that wire `claude` in the current shell to the proxy, for
//! `eval "$(ccproxy env)"` (sh, bash, zsh) or `ccproxy env --shell fish | source`.

use super::instance::Context;
use super::wiring::{client_env, ClientEnv};
use super::{complain, exit, say};
use crate::cli::{EnvArgs, Shell};

/// Wires to the instance `--port` selects, else the running one (see `instance`), at the
/// address it listens on.
pub fn run(args: &EnvArgs) -> u8 {
    let context = match Context::new(&args.server) {
        Ok(context) => context,
        Err(error) => {
            complain(&format!("ccproxy: {error:#}"));
            return exit::FAILURE;
        }
    };
    if let Err(error) = &context.config {
        complain(&format!("ccproxy: {error}"));
        return exit::FAILURE;
    }
    let endpoint = &context.endpoint;
    let config = context.config.as_ref().ok();
    let wired = client_env(&endpoint.url, endpoint.key.as_ref(), &context.env, config);
    say(&render(&wired, args.shell));
    exit::SUCCESS
}

fn render(wired: &ClientEnv, shell: Shell) -> String {
    let mut lines: Vec<String> = wired
        .set
        .iter()
        .map(|(name, value)| match shell {
            Shell::Posix => format!("export {name}={}", quote(value, shell)),
            Shell::Fish => format!("set -gx {name} {}", quote(value, shell)),
        })
        .collect();
    for name in &wired.unset {
        lines.push(match shell {
            Shell::Posix => format!("unset {name}"),
            Shell::Fish => format!("set -e {name}"),
        });
    }
    lines.join("\n")
}

/// Single quotes: literal in POSIX shells; fish also reads `\\` inside them.
fn quote(value: &str, shell: Shell) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        match c {
            '\'' => quoted.push_str("'\\''"),
            '\\' if shell == Shell::Fish => quoted.push_str("\\\\"),
            _ => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wired() -> ClientEnv {
        ClientEnv {
            set: vec![("ANTHROPIC_BASE_URL", "http://127.0.0.1:3456".into())],
            unset: vec!["ANTHROPIC_API_KEY"],
        }
    }

    #[test]
    fn posix_and_fish_lines() {
        assert_eq!(
            render(&wired(), Shell::Posix),
            "export ANTHROPIC_BASE_URL='http://127.0.0.1:3456'\nunset ANTHROPIC_API_KEY"
        );
        assert_eq!(
            render(&wired(), Shell::Fish),
            "set -gx ANTHROPIC_BASE_URL 'http://127.0.0.1:3456'\nset -e ANTHROPIC_API_KEY"
        );
    }

    #[test]
    fn quotes_survive_quoting() {
        assert_eq!(quote("it's", Shell::Posix), "'it'\\''s'");
        assert_eq!(quote("a\\b", Shell::Fish), "'a\\\\b'");
    }
}
