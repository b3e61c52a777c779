//! The accept loop and the client connections: HTTP/1.1 served by hyper, with a deadline for
//! each request head (`timeouts.client_header_ms`), a cap on the connections served at once
//! (`max_connections`, lowered to fit the descriptor limit), and graceful shutdown. It owns
//! sockets and their limits only; what a request means is the axum application's business.
//!
//! At the cap, new connections are not accepted: they wait in the kernel's listen queue
//! and are served as soon as a connection closes (the head deadline makes sure that slow or
//! idle clients do), so the proxy never runs out of descriptors and still answers health
//! checks and new requests. One line is logged when the cap is reached, not one per wait.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use crate::config::Config;
use crate::error::ProxyError;

/// Descriptors kept for everything but client connections (the log, the config file, the
/// team store) before the rest is shared between clients and their upstream connections.
const RESERVED_DESCRIPTORS: u64 = 64;
/// How long a refusal written straight to a socket may take.
const WRITE_DEADLINE: Duration = Duration::from_secs(1);
/// The pause after a failed `accept` (out of descriptors, say), so it is not retried in a
/// busy loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The limits of client connections.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub header: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, the cap lowered to what the descriptor limit allows (each
    /// client connection may need an upstream one too).
    pub fn of(config: &Config) -> Self {
        let configured = config.max_connections;
        let mut max_connections = configured;
        if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
            let fits = usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS) / 2)
                .unwrap_or(usize::MAX)
                .max(1);
            if fits < configured {
                tracing::warn!(
                    "serving at most {fits} client connections at once: max_connections is \
                     {configured}, but the descriptor limit is {limit} (raise it with `ulimit -n`)"
                );
                max_connections = fits;
            }
        }
        Self {
            header: config.resilience.timeouts.client_header,
            max_connections,
        }
    }
}

/// Raises this process's soft limit of open descriptors to the hard limit, and logs the
/// limit in force. Called once at start-up, before the server binds.
pub fn raise_descriptor_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    let show = |value: Option<u64>| value.map_or("unlimited".to_string(), |n| n.to_string());
    if limit.current == limit.maximum {
        tracing::info!("open file descriptor limit: {}", show(limit.current));
        return;
    }
    let raised = rustix::process::Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => tracing::info!(
            "open file descriptor limit: raised from {} to the hard limit {}",
            show(limit.current),
            show(limit.maximum)
        ),
        Err(error) => tracing::warn!(
            "open file descriptor limit: {} (raising it to the hard limit {} failed: {error})",
            show(limit.current),
            show(limit.maximum)
        ),
    }
}

/// Serves `app` on `listener` until `stop` turns true; then accepts nothing more, lets each
/// connection finish the exchange in progress, and returns once every one has closed.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut alarm = CapAlarm::new(limits.max_connections);
    loop {
        alarm.check(slots.available_permits(), Instant::now());
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let client = Client {
                    peer,
                    app: app.clone(),
                    limits,
                    stop: stop.clone(),
                    _slot: slot,
                };
                tokio::spawn(client.serve(tcp));
            }
            Err(error) => {
                tracing::warn!("cannot accept a connection: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(listener);
    // Every connection holds a slot until it closes.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// Says that the cap is reached, at most once per [`CAP_NOTE_INTERVAL`] however often the
/// connections come and go at the cap.
struct CapAlarm {
    max: usize,
    last: Option<Instant>,
}

/// How often at most the cap is noted in the log.
const CAP_NOTE_INTERVAL: Duration = Duration::from_secs(60);

impl CapAlarm {
    fn new(max: usize) -> Self {
        Self { max, last: None }
    }

    /// Notes the cap when no slot is `free`; true when it logged.
    fn check(&mut self, free: usize, now: Instant) -> bool {
        let quiet = self
            .last
            .is_some_and(|last| now.duration_since(last) < CAP_NOTE_INTERVAL);
        if free > 0 || quiet {
            return false;
        }
        self.last = Some(now);
        tracing::warn!(
            "connection cap reached: {} client connections are open (max_connections); \
             new connections wait until one closes",
            self.max
        );
        true
    }
}

/// One accepted client connection.
struct Client {
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
    /// Its place under the cap, given back when the connection closes.
    _slot: OwnedSemaphorePermit,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl Client {
    async fn serve(mut self, tcp: TcpStream) {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
        let (peer, app) = (self.peer, self.app.clone());
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let answer: Answer = Box::pin(app.clone().call(request));
            answer
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header);
        let mut connection = builder.serve_connection(TokioIo::new(tcp), service);
        let mut stopping = false;
        let result = loop {
            tokio::select! {
                result = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => {
                    break result;
                }
                _ = self.stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    Pin::new(&mut connection).graceful_shutdown();
                }
            }
        };
        match result {
            Ok(()) => {}
            Err(error) if error.is_timeout() => {
                let parts = connection.into_parts();
                // Bytes of a request head arrived: the client waits for an answer. A kept-alive
                // connection that stayed idle is closed without one, as it may be about to
                // send a request that the answer would seem to belong to.
                if !parts.read_buf.is_empty() {
                    let refusal = ProxyError::HeadTimeout {
                        after: self.limits.header,
                    };
                    tracing::debug!(peer = %peer, "{refusal}");
                    let mut tcp = parts.io.into_inner();
                    let write = async {
                        tcp.write_all(&refusal.to_http1()).await?;
                        tcp.shutdown().await
                    };
                    let _ = tokio::time::timeout(WRITE_DEADLINE, write).await;
                }
            }
            Err(error) => tracing::debug!(peer = %peer, "client connection ended: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_noted_once_a_minute_however_often_it_is_reached() {
        let mut alarm = CapAlarm::new(8);
        let start = Instant::now();
        assert!(!alarm.check(1, start), "below the cap");
        assert!(alarm.check(0, start));
        for (free, after) in [(1, 1), (0, 2), (3, 3), (0, 59)] {
            let now = start + Duration::from_secs(after);
            assert!(!alarm.check(free, now), "at {after}s");
        }
        assert!(alarm.check(0, start + Duration::from_secs(61)));
    }
}
