//! `ccproxy serve`: load the configuration, start the server in the foreground, stop
//! gracefully on SIGINT/SIGTERM.

use crate::cli::ServerArgs;
use crate::commands::{complain, exit};
use crate::config::{self, ConfigSource, Env};
use crate::server;

pub fn run(args: &ServerArgs) -> u8 {
    let env = Env::from_process();
    let config = match config::load(&super::overrides(args), &env) {
        Ok(config) => config,
        Err(error) => {
            complain(&format!("ccproxy: {error}"));
            return exit::FAILURE;
        }
    };
    crate::logging::init(&config.log);
    server::raise_descriptor_limit();
    if config.source == ConfigSource::Environment {
        if let Some(note) = config::catalog::implicit_default(&env) {
            tracing::warn!("{note}");
        }
    }
    if let Some(note) = config::provider_choice::note(&config, &env) {
        tracing::warn!("{note}");
    }
    for hint in config::key_hints::misspelt_keys(&config, &env) {
        tracing::warn!("{hint}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            complain(&format!("ccproxy: cannot start the async runtime: {error}"));
            return exit::FAILURE;
        }
    };
    let serve = async {
        let shutdown = server::shutdown_signal()?;
        server::run(config, shutdown).await
    };
    match runtime.block_on(serve) {
        Ok(()) => exit::SUCCESS,
        Err(error) => {
            complain(&format!("ccproxy: {error}"));
            exit::FAILURE
        }
    }
}
