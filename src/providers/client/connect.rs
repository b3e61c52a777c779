//! How a connection to a provider is made: TCP (TCP_NODELAY), through the proxy the
//! environment names for that host, then TLS when the URL is `https` (rustls, the webpki
//! roots, HTTP/2 offered by ALPN), the whole within the connect timeout.
//!
//! The proxy variables are read as curl reads them (hyper-util's `Matcher`): `HTTPS_PROXY`
//! for `https` URLs, `HTTP_PROXY` for `http` ones, `ALL_PROXY` for both, `NO_PROXY` for the
//! exceptions, each in either case. An `https` provider is reached through an HTTP(S) proxy
//! by a `CONNECT` tunnel (TLS end to end, the proxy sees only the host); an `http` one by
//! sending the request itself to the proxy (absolute-form, [`Connected::proxy`]), the
//! proxy's credentials in `Proxy-Authorization` ([`Proxies::authorization`]). `socks5`,
//! `socks5h`, `socks4` and `socks4a` proxies tunnel either kind (the `h`/`a` forms let the
//! proxy resolve the host name).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{HeaderValue, Uri};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::{SocksV4, SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A TCP stream to the provider or to a proxy, TLS to the proxy included when the proxy's
/// URL is `https`.
type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// The proxies the environment names, when it names any.
#[derive(Clone, Default)]
pub struct Proxies(Option<Arc<Matcher>>);

impl Proxies {
    /// The proxies of this process's environment (`None` when no variable is set, so the
    /// usual case costs nothing per request).
    pub fn from_env(any_set: bool) -> Self {
        Self(any_set.then(|| Arc::new(Matcher::from_env())))
    }

    /// The `Proxy-Authorization` a request to `url` carries: only a plain-`http` URL sent
    /// through an HTTP(S) proxy with credentials (a tunnel sends them on its `CONNECT`).
    pub fn authorization(&self, url: &Uri) -> Option<HeaderValue> {
        if url.scheme_str() != Some("http") {
            return None;
        }
        let proxy = self.0.as_ref()?.intercept(url)?;
        matches!(proxy.uri().scheme_str(), Some("http" | "https"))
            .then(|| proxy.basic_auth().cloned())
            .flatten()
    }
}

/// The connector the pooled client uses (see the module doc).
#[derive(Clone)]
pub struct Connector {
    tls: HttpsConnector<Route>,
    timeout: Duration,
}

/// Why a connection could not be made within the connect timeout.
#[derive(Debug, thiserror::Error)]
#[error("no connection within {0:?}")]
pub struct ConnectTimedOut(pub Duration);

impl Connector {
    pub fn new(proxies: Proxies, timeout: Duration) -> Result<Self, rustls::Error> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let config = tls()?;
        let to_proxy = HttpsConnectorBuilder::new()
            .with_tls_config(config.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp.clone());
        let route = Route {
            tcp,
            to_proxy,
            proxies,
        };
        let tls = HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(route);
        Ok(Self { tls, timeout })
    }
}

/// TLS as rustls does it with the webpki roots (Mozilla's list, built in: the same
/// everywhere, whatever the system has).
fn tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

impl Service<Uri> for Connector {
    type Response = MaybeHttpsStream<Conn>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.tls.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.tls.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            tokio::time::timeout(timeout, connecting)
                .await
                .map_err(|_| Box::new(ConnectTimedOut(timeout)) as BoxError)?
        })
    }
}

/// The connection under TLS to the provider: direct, or through the environment's proxy.
#[derive(Clone)]
struct Route {
    tcp: HttpConnector,
    to_proxy: HttpsConnector<HttpConnector>,
    proxies: Proxies,
}

impl Service<Uri> for Route {
    type Response = Conn;
    type Error = BoxError;
    type Future = Connecting<Conn>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let proxy = self.proxies.0.as_ref().and_then(|m| m.intercept(&dst));
        let Some(proxy) = proxy else {
            let connecting = self.tcp.call(dst);
            return Box::pin(async move { Ok(Conn::tcp(connecting.await?)) });
        };
        let through = proxy.uri().clone();
        let scheme = through.scheme_str().unwrap_or_default();
        if matches!(scheme, "http" | "https") {
            if dst.scheme_str() == Some("https") {
                let mut tunnel = Tunnel::new(through, self.to_proxy.clone());
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                return Box::pin(async move { Ok(Conn::direct(tunnel.call(dst).await?)) });
            }
            let connecting = self.to_proxy.call(through);
            return Box::pin(async move {
                Ok(Conn {
                    io: connecting.await?,
                    forwarding: true,
                })
            });
        }
        // The matcher keeps no other schemes than http, https and these four.
        let resolve_here = matches!(scheme, "socks5" | "socks4");
        if scheme.starts_with("socks5") {
            let mut socks = SocksV5::new(through, self.tcp.clone()).local_dns(resolve_here);
            if let Some((user, pass)) = proxy.raw_auth() {
                socks = socks.with_auth(user.to_string(), pass.to_string());
            }
            return Box::pin(async move { Ok(Conn::tcp(socks.call(dst).await?)) });
        }
        let mut socks = SocksV4::new(through, self.tcp.clone()).local_dns(resolve_here);
        Box::pin(async move { Ok(Conn::tcp(socks.call(dst).await?)) })
    }
}

/// A connection on which requests go to the provider, or, `forwarding`, to an HTTP proxy
/// that forwards them (requests then carry the whole URL).
pub struct Conn {
    io: Stream,
    forwarding: bool,
}

impl Conn {
    fn direct(io: Stream) -> Self {
        Self {
            io,
            forwarding: false,
        }
    }

    fn tcp(io: TokioIo<tokio::net::TcpStream>) -> Self {
        Self::direct(MaybeHttpsStream::Http(io))
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarding)
    }
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
