//! The HTTP client between ccproxy and the providers: one pool of keep-alive connections
//! for the process (hyper-util's pooled client over [`connect::Connector`]), the
//! [`Outbound`] request a provider kind builds, and the failures of sending it
//! ([`TransportError`]). It does what ccproxy needs and nothing more: no redirects (a
//! provider API does not redirect, and following one would carry the body and key somewhere
//! nobody configured), no cookies, no decompression, no retries (ours are in `retry`).

mod connect;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{ACCEPT, CONTENT_TYPE, PROXY_AUTHORIZATION, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::deadline::Cutoff;
use crate::config::Timeouts;
use connect::{ConnectTimedOut, Connector, Proxies};

/// A provider's answer, its body not read yet.
pub type Response = axum::http::Response<hyper::body::Incoming>;

/// The pooled HTTP client (keep-alive, TCP_NODELAY; honours the proxy variables) and the
/// timeouts every exchange with a provider runs under.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    proxies: Proxies,
    timeouts: Timeouts,
    /// This process's mark on forwarded requests (the loop guard, see `providers::anthropic`).
    hop_id: Arc<str>,
    /// Where this server listens, once known: a provider there would be ourselves.
    own_address: Option<SocketAddr>,
    /// The end of the server's shutdown grace period (see [`Cutoff`]).
    pub(super) cutoff: Cutoff,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeouts", &self.timeouts)
            .field("own_address", &self.own_address)
            .finish_non_exhaustive()
    }
}

/// Why the HTTP client could not be made; the server does not start without one.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Left alone, the variable would be ignored and the provider reached directly.
    #[error(
        "{0} is not a valid proxy URL (expected http://host:port, https://host:port or \
         socks5://host:port)"
    )]
    InvalidProxy(&'static str),
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// The proxy variables, each pair in the order they are looked up.
const PROXY_VARIABLES: [[&str; 2]; 3] = [
    ["ALL_PROXY", "all_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["HTTPS_PROXY", "https_proxy"],
];

/// Refuses a proxy variable that would be silently skipped: not a URI, no host, or a
/// scheme other than http, https and socks. True when any is set.
fn check_proxy_variables(read: impl Fn(&str) -> Option<String>) -> Result<bool, ClientError> {
    let mut any = false;
    for pair in PROXY_VARIABLES {
        let Some((name, value)) = pair
            .iter()
            .find_map(|name| read(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        else {
            continue;
        };
        let valid = value.parse::<Uri>().is_ok_and(|uri| {
            let scheme_ok = uri.scheme_str().is_none_or(|scheme| {
                matches!(
                    scheme,
                    "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h"
                )
            });
            scheme_ok && uri.authority().is_some()
        });
        if !valid {
            return Err(ClientError::InvalidProxy(name));
        }
        any = true;
    }
    Ok(any)
}

impl HttpClient {
    pub fn new(timeouts: Timeouts) -> Result<Self, ClientError> {
        let proxies = Proxies::from_env(check_proxy_variables(|name| std::env::var(name).ok())?);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(Connector::new(proxies.clone(), timeouts.connect)?);
        Ok(Self {
            client,
            proxies,
            timeouts,
            hop_id: crate::translate::random_id("hop_").into(),
            own_address: None,
            cutoff: Cutoff::default(),
        })
    }

    /// The same client, knowing that this server listens on `address`.
    pub fn serving(mut self, address: SocketAddr) -> Self {
        self.own_address = Some(address);
        self
    }

    /// The same client, its exchanges ended when `cutoff` is reached.
    pub fn until(mut self, cutoff: Cutoff) -> Self {
        self.cutoff = cutoff;
        self
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The value this process puts in `providers::anthropic::HOP_HEADER`.
    pub fn hop_id(&self) -> &str {
        &self.hop_id
    }

    pub fn own_address(&self) -> Option<SocketAddr> {
        self.own_address
    }

    /// A POST to `url`.
    pub fn post(&self, url: &str) -> Outbound {
        Outbound::new(Method::POST, url)
    }

    /// A GET of `url`.
    pub fn get(&self, url: &str) -> Outbound {
        Outbound::new(Method::GET, url)
    }

    /// Sends `outbound`; the answer once its headers are in (any status).
    pub async fn send(&self, outbound: Outbound) -> Result<Response, TransportError> {
        let url = outbound.url?;
        let mut request = Request::new(Full::new(outbound.body?));
        *request.method_mut() = outbound.method;
        let headers = request.headers_mut();
        *headers = outbound.headers;
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        if let Some(auth) = self.proxies.authorization(&url) {
            headers.insert(PROXY_AUTHORIZATION, auth);
        }
        *request.uri_mut() = url;
        self.client
            .request(request)
            .await
            .map_err(TransportError::from)
    }
}

const USER_AGENT_VALUE: &str = concat!("ccproxy/", env!("CARGO_PKG_VERSION"));

/// A request to a provider, as a provider kind builds it (see `providers::kind`).
#[derive(Debug)]
pub struct Outbound {
    method: Method,
    url: Result<Uri, TransportError>,
    headers: HeaderMap,
    /// The bytes to send, or why the body could not be written.
    body: Result<Bytes, TransportError>,
}

impl Outbound {
    fn new(method: Method, url: &str) -> Self {
        Self {
            method,
            url: parse_url(url),
            headers: HeaderMap::new(),
            body: Ok(Bytes::new()),
        }
    }

    /// Adds `headers` to the request's.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        if self.headers.is_empty() {
            self.headers = headers;
        } else {
            self.headers.extend(headers);
        }
        self
    }

    /// `body` as the request's bytes.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Ok(body.into());
        self
    }

    /// `value` as a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|error| TransportError::Body(error.to_string()));
        self
    }
}

/// `text` as a request URI. A URL the strict parser refuses (a space or a non-ASCII
/// character in a model name, say) is read by the WHATWG parser, which percent-encodes it.
fn parse_url(text: &str) -> Result<Uri, TransportError> {
    if let Ok(uri) = text.parse::<Uri>() {
        if uri.scheme().is_some() && uri.authority().is_some() {
            return Ok(uri);
        }
    }
    url::Url::parse(text)
        .ok()
        .and_then(|url| url.as_str().parse::<Uri>().ok())
        .filter(|uri| uri.authority().is_some())
        .ok_or_else(|| TransportError::InvalidUrl(crate::secret::redact_url(text)))
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{0} is not a URL ccproxy can send to")]
    InvalidUrl(String),
    #[error("the request body could not be written ({0})")]
    Body(String),
    #[error(transparent)]
    Request(#[from] hyper_util::client::legacy::Error),
}

impl TransportError {
    /// The connection could not be made (DNS, refused, TLS, proxy, timeout).
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Request(error) if error.is_connect())
    }

    /// The connection was not made within the connect timeout.
    pub fn is_connect_timeout(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(error) = cause {
            if error.is::<ConnectTimedOut>() {
                return true;
            }
            cause = error.source();
        }
        false
    }
}

/// The first `limit` bytes of `response`'s body, and whether that was all of it.
pub async fn read_prefix(
    response: Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), hyper::Error> {
    let mut body = response.into_body();
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame?.into_data() else {
            continue;
        };
        let room = limit - read.len();
        if chunk.len() > room {
            read.extend_from_slice(&chunk[..room]);
            return Ok((read, false));
        }
        read.extend_from_slice(&chunk);
    }
    Ok((read, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<bool, String> {
        let read = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        check_proxy_variables(read).map_err(|e| e.to_string())
    }

    #[test]
    fn a_malformed_proxy_variable_is_named() {
        let error = check(&[("HTTPS_PROXY", "http://exa mple:80")]).expect_err("malformed");
        assert!(
            error.starts_with("HTTPS_PROXY is not a valid proxy URL"),
            "{error}"
        );
        let error = check(&[("all_proxy", "ftp://proxy:21")]).expect_err("bad scheme");
        assert!(error.starts_with("all_proxy is not"), "{error}");
    }

    #[test]
    fn usual_proxy_variables_pass() {
        let usual = [
            ("HTTPS_PROXY", "http://user:pass@proxy.corp:3128"),
            ("HTTP_PROXY", "proxy.corp:3128"),
            ("ALL_PROXY", "socks5h://127.0.0.1:1080"),
            ("NO_PROXY", "localhost"),
        ];
        assert_eq!(check(&usual), Ok(true));
        assert_eq!(check(&[("HTTPS_PROXY", "")]), Ok(false));
        assert_eq!(check(&[("NO_PROXY", "localhost")]), Ok(false));
    }

    #[test]
    fn urls_the_strict_parser_refuses_are_percent_encoded() {
        let uri = parse_url("https://host.example/v1/models/my model:generate").expect("a URL");
        assert_eq!(uri.path(), "/v1/models/my%20model:generate");
        assert!(matches!(
            parse_url("not a url"),
            Err(TransportError::InvalidUrl(_))
        ));
    }
}
