//! The HTTP server: the axum application (routes and middleware), binding with a clear
//! error when the port is taken, and graceful shutdown. Handlers live in the submodules and
//! stay thin: they parse, call the router, providers and translators, and answer.

mod admin;
mod body;
mod count_tokens;
mod health;
mod info;
mod keys;
mod listen;
mod messages;
mod metrics;
mod middleware;
mod models;
mod relay;
mod reload;
mod routing;
mod sessions;

pub use listen::raise_descriptor_limit;
pub(crate) use sessions::SESSION_HEADER;
mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::extract::Request;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::config::live::Document;
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::error::ProxyError;
use crate::providers;
use crate::report::ReloadReport;
use crate::secret::{Holding, Secret};
use crate::stats::Stats;
use crate::team::Team;

/// What every handler shares.
pub struct AppState {
    config: ArcSwap<Config>,
    pub http: providers::HttpClient,
    /// Sends requests to their route's targets: retries, fallbacks, circuit breakers.
    pub dispatcher: Dispatcher,
    pub started: Instant,
    pub local_addr: SocketAddr,
    pub stats: Stats,
    /// The document behind the configuration, which admin edits and reloads start from
    /// (`None` when the config file could not be read again at start-up). Its lock also
    /// serialises configuration changes.
    document: Mutex<Option<Document>>,
    /// The outcome of the latest re-read of the config file, shown in `GET /status` so
    /// that whoever edited the file can see whether it was taken.
    reloads: Mutex<ReloadReport>,
    /// The last request of each Claude Code session (for `ccproxy statusline`).
    pub sessions: sessions::Sessions,
    /// Developer keys and their limits (team mode).
    pub team: Arc<Team>,
    /// The keys of the configuration, which every upstream text relayed is scrubbed of.
    secrets: Holding,
    /// Reaches the providers' [`providers::Cutoff`]: every exchange still running ends.
    cutoff: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// Fails only when the HTTP client to the providers cannot be made.
    pub fn new(config: Config, local_addr: SocketAddr) -> Result<Self, providers::ClientError> {
        let document = Document::of(&config)
            .map_err(|error| {
                tracing::warn!("the admin API cannot change the configuration: {error}")
            })
            .ok();
        // The connect timeout is a property of the pooled client: it is fixed at start-up.
        let (cutoff, reached) = providers::Cutoff::new();
        let http = providers::HttpClient::new(config.resilience.timeouts)?
            .serving(local_addr)
            .until(reached);
        Ok(Self {
            cutoff,
            secrets: Holding::new(secrets(&config)),
            document: Mutex::new(document),
            reloads: Mutex::new({
                let mut report = ReloadReport::default();
                report.applied_now();
                report
            }),
            team: Arc::new(Team::new(&config.team)),
            config: ArcSwap::from_pointee(config),
            dispatcher: Dispatcher::new(http.clone()),
            http,
            started: Instant::now(),
            local_addr,
            stats: Stats::default(),
            sessions: sessions::Sessions::default(),
        })
    }

    /// Ends every exchange with a provider still running (the shutdown grace period is
    /// over): each request answers `overloaded_error`, a stream as its last event.
    fn cut_off(&self) {
        self.cutoff.send_replace(true);
    }

    /// The configuration in force now (cheap; a request keeps the one it started with).
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// What the latest re-reads of the config file did, for `GET /status`.
    pub fn reload_status(&self) -> ReloadReport {
        self.reloads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Puts a new configuration in force for every request that starts after this.
    pub fn replace_config(&self, config: Arc<Config>) {
        let before = self.config.swap(config.clone());
        self.reloads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .applied_now();
        // Requests started before the change still hold the old keys.
        self.secrets.hold(secrets(&config).chain(secrets(&before)));
    }
}

/// Every key a configuration holds: the providers' and the proxy's.
fn secrets(config: &Config) -> impl Iterator<Item = &Secret> {
    let providers = config.providers.iter().filter_map(|p| p.api_key.as_ref());
    providers.chain(config.api_key.as_ref())
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "port {port} on {host} is already in use. Is ccproxy already running? Check with \
         `ccproxy status` or `lsof -i :{port}`, or pick another port with --port or CCPROXY_PORT."
    )]
    PortInUse { host: String, port: u16 },
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("cannot start: {0}")]
    HttpClient(#[from] providers::ClientError),
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
    #[error("the server stopped unexpectedly: {0}")]
    Serve(std::io::Error),
}

/// The application: routes, behind one middleware (request ids and authentication).
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(info::root))
        .route("/api/hello", get(info::hello))
        .route("/health", get(health::health))
        .route("/status", get(info::status))
        .route("/stats", get(health::stats))
        .route("/metrics", get(metrics::metrics))
        .route("/ui", get(ui::page))
        .route("/status/session/{id}", get(sessions::last_request))
        .route("/v1/messages", post(messages::create))
        .route("/v1/messages/count_tokens", post(count_tokens::count))
        .route("/v1/models", get(models::list))
        .route("/providers", get(admin::list).post(admin::add))
        .route(
            "/providers/{name}",
            get(admin::show).put(admin::replace).delete(admin::delete),
        )
        .route("/providers/{name}/toggle", patch(admin::toggle))
        .route(
            "/providers/{name}/keys",
            get(admin::pool).post(admin::add_key),
        )
        .route("/providers/{name}/keys/{key}", delete(admin::remove_key))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{name}", get(keys::show).delete(keys::revoke))
        .route(
            "/v1/organizations/spend_limits",
            get(keys::spend_limits).post(keys::set_spend_limit),
        )
        .route(
            "/v1/organizations/spend_limits/{id}",
            axum::routing::delete(keys::delete_spend_limit),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::admit,
        ))
        .with_state(state)
}

async fn not_found(request: Request) -> ProxyError {
    ProxyError::NotFound {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
    }
}

async fn method_not_allowed(request: Request) -> ProxyError {
    ProxyError::MethodNotAllowed {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
    }
}

/// Binds the configured address; a taken port is a [`StartError::PortInUse`].
pub async fn bind(config: &Config) -> Result<TcpListener, StartError> {
    let (host, port) = (config.host.clone(), config.port);
    TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::PortInUse { host, port },
            _ => StartError::Bind { host, port, source },
        })
}

/// Binds and serves until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let listener = bind(&config).await?;
    serve(listener, config, shutdown).await
}

/// How long the requests still running at the end of the grace period have to write their
/// `overloaded_error` and close.
const LAST_WORDS: Duration = Duration::from_secs(2);

/// Serves on a bound listener until `shutdown` completes, then lets in-flight requests
/// finish for up to `timeouts.shutdown_grace_ms`; those still running then end with an
/// `overloaded_error` ("ccproxy is shutting down"), a stream's as its last event.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let local_addr = listener.local_addr().map_err(StartError::Serve)?;
    let limits = listen::Limits::of(&config);
    let state = AppState::new(config, local_addr)?;
    announce(&state.config(), local_addr);
    state.team.start().await;
    let state = Arc::new(state);
    let watcher = reload::watch(state.clone());
    let _ticker = AbortOnDrop(tokio::spawn(tick(state.team.clone())));
    let app = app(state.clone());
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut server = tokio::spawn(listen::serve(listener, app, limits, stopping));
    let _watcher = watcher.map(AbortOnDrop);
    tokio::select! {
        result = &mut server => return result.map_err(|e| StartError::Serve(std::io::Error::other(e))),
        () = shutdown => {}
    }
    tracing::info!("shutting down: no new connections; letting in-flight requests finish");
    stop.send_replace(true);
    let grace = state.config().resilience.timeouts.shutdown_grace;
    if tokio::time::timeout(grace, &mut server).await.is_ok() {
        return Ok(());
    }
    tracing::warn!(
        "requests still running after the grace period of {grace:?}: ending them with \
         `overloaded_error` (ccproxy is shutting down)"
    );
    state.cut_off();
    if tokio::time::timeout(LAST_WORDS, &mut server).await.is_err() {
        tracing::warn!("connections still open {LAST_WORDS:?} later; exiting");
        server.abort();
    }
    Ok(())
}

/// The team store's background work (see [`Team::tick`]).
async fn tick(team: Arc<Team>) {
    let mut interval = tokio::time::interval(crate::team::TICK);
    loop {
        interval.tick().await;
        team.tick().await;
    }
}

/// Stops a background task (the config file watcher, the team tick) however `serve` returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The start-up lines: where we listen, where requests go, and what is missing.
fn announce(config: &Config, addr: SocketAddr) {
    let default_route = config
        .routes
        .default
        .first()
        .map_or_else(|| "(none)".to_string(), ToString::to_string);
    tracing::info!(
        "ccproxy {} listening on http://{addr} (default route: {default_route})",
        env!("CARGO_PKG_VERSION")
    );
    let (code, env) = client_commands(addr);
    tracing::info!("use it from Claude Code: `{code}`, or `{env}` then `claude`");
    for provider in &config.providers {
        if let Some(error) = providers::kind::of(provider.kind).loop_error(provider, addr) {
            tracing::warn!("{error}; requests routed to it will be refused");
        }
        if provider.key_required && provider.key().is_none() {
            let mut hint = format!("set {}", provider.key_var);
            if config.unconfigured {
                let others: Vec<&str> = crate::config::catalog::names()
                    .into_iter()
                    .filter(|name| *name != provider.name)
                    .collect();
                hint.push_str(&format!(
                    ", or choose another provider with PROVIDER={} and its key variable",
                    others.join("|")
                ));
            }
            tracing::warn!(
                "no API key for provider '{}': requests to it will fail until you {hint}",
                provider.name
            );
        }
    }
}

/// The commands that wire Claude Code to the proxy at `addr`, as a user copies them from the
/// banner: `ccproxy code` and `eval "$(ccproxy env)"`, naming the port (and the host) when
/// they are not the defaults the commands would otherwise use.
fn client_commands(addr: SocketAddr) -> (String, String) {
    let mut flags = String::new();
    let mut variables = String::new();
    let host = addr.ip();
    if !host.is_loopback() && !host.is_unspecified() {
        flags.push_str(&format!(" --host {host}"));
        variables.push_str(&format!("CCPROXY_HOST={host} "));
    }
    if addr.port() != crate::config::DEFAULT_PORT {
        flags.push_str(&format!(" --port {}", addr.port()));
        variables.push_str(&format!("CCPROXY_PORT={} ", addr.port()));
    }
    (
        format!("{variables}ccproxy code"),
        format!("eval \"$(ccproxy env{flags})\""),
    )
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when
/// this is called (inside the runtime), not when the future is first polled, so a signal
/// that arrives while the server starts is never lost to the default action.
pub fn shutdown_signal() -> Result<impl Future<Output = ()>, StartError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).map_err(StartError::Signals)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(StartError::Signals)?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
