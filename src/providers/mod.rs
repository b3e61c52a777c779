//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! behind the [`kind::Kind`] seam (URLs, auth, requests, model lists, token counting; how
//! to add a kind is in `kind`'s doc), and the mapping of upstream failures to
//! [`ProxyError`]. Translation itself lives in `translate`; this module only moves bytes.
//!
//! The seam every caller uses: [`send`] returns an [`Upstream`] once the provider has
//! answered 2xx with its headers (any failure before that is a [`ProxyError`], so retries
//! and fallbacks can wrap it); the body is then read as a translated message or stream, or
//! relayed as it is, as the kind's [`Upstream`] variant allows.

pub mod anthropic;
mod deadline;
mod errors;
mod gemini;
pub mod kind;
mod models;
mod openai;
mod ratelimit;
mod reader;
mod responses;
mod upstream;

pub use models::ModelCatalog;
pub use upstream::{Relayed, Upstream};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};

use crate::config::{ProviderConfig, Timeouts};
use crate::error::ProxyError;
use crate::wire;
pub use deadline::Cutoff;
use deadline::Deadlines;

/// The pooled HTTP client (keep-alive, TCP_NODELAY; honours HTTPS_PROXY and NO_PROXY) and
/// the timeouts every exchange with a provider runs under.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeouts: Timeouts,
    /// This process's mark on forwarded requests (the loop guard, see [`anthropic`]).
    hop_id: Arc<str>,
    /// Where this server listens, once known: a provider there would be ourselves.
    own_address: Option<SocketAddr>,
    urls: Arc<UrlCache>,
    /// The end of the server's shutdown grace period (see [`Cutoff`]).
    cutoff: Cutoff,
}

/// Why the HTTP client could not be made; the server does not start without one.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Left alone, reqwest would ignore the variable and connect directly.
    #[error(
        "{0} is not a valid proxy URL (expected http://host:port, https://host:port or \
         socks5://host:port)"
    )]
    InvalidProxy(&'static str),
    #[error("cannot set up the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// The proxy variables reqwest reads, each pair in the order it looks them up.
const PROXY_VARIABLES: [[&str; 2]; 3] = [
    ["ALL_PROXY", "all_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["HTTPS_PROXY", "https_proxy"],
];

/// Refuses a proxy variable reqwest would silently skip: not a URI, no host, or a scheme
/// other than http, https and socks.
fn check_proxy_variables(read: impl Fn(&str) -> Option<String>) -> Result<(), ClientError> {
    for pair in PROXY_VARIABLES {
        let Some((name, value)) = pair
            .iter()
            .find_map(|name| read(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        else {
            continue;
        };
        let valid = value.parse::<axum::http::Uri>().is_ok_and(|uri| {
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
    }
    Ok(())
}

impl HttpClient {
    pub fn new(timeouts: Timeouts) -> Result<Self, ClientError> {
        check_proxy_variables(|name| std::env::var(name).ok())?;
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .tcp_nodelay(true)
            // A provider API does not redirect; following one would also send the body
            // (and, to the same host, the key) somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("ccproxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Build)?;
        Ok(Self {
            client,
            timeouts,
            hop_id: crate::translate::random_id("hop_").into(),
            own_address: None,
            urls: Arc::default(),
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

    /// The value this process puts in [`anthropic::HOP_HEADER`].
    pub fn hop_id(&self) -> &str {
        &self.hop_id
    }

    pub fn own_address(&self) -> Option<SocketAddr> {
        self.own_address
    }

    pub(crate) fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// A POST to `url`, parsed once per distinct URL (see [`UrlCache`]).
    pub(crate) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        match self.urls.parsed(url) {
            Some(parsed) => self.client.post(parsed),
            // reqwest reports the unparsable URL when the request is sent.
            None => self.client.post(url),
        }
    }
}

/// Upstream URLs already parsed. Parsing a URL (host normalisation, percent-encoding) cost
/// about a tenth of a small request's instructions (bench/callgrind.sh), and a proxy calls
/// the same few URLs all day. Bounded: past [`UrlCache::CAPACITY`] entries it starts over.
#[derive(Debug, Default)]
struct UrlCache(std::sync::RwLock<std::collections::HashMap<String, reqwest::Url>>);

impl UrlCache {
    const CAPACITY: usize = 256;

    fn parsed(&self, text: &str) -> Option<reqwest::Url> {
        if let Some(url) = self.0.read().ok()?.get(text) {
            return Some(url.clone());
        }
        let url = reqwest::Url::parse(text).ok()?;
        if let Ok(mut urls) = self.0.write() {
            if urls.len() >= Self::CAPACITY {
                urls.clear();
            }
            urls.insert(text.to_string(), url.clone());
        }
        Some(url)
    }
}

/// A provider's body as it arrives: chunks, then the end; or an error (a stall longer than
/// the idle timeout, a broken connection) as the last item.
pub type BodyStream = BoxStream<'static, Result<Bytes, ProxyError>>;

/// The largest answer read whole (a message, translated or relayed): far above any real one;
/// above it the answer is refused (`invalid_upstream_response`) rather than held in memory.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;
/// The most of an error body or a model list that is read.
pub const MAX_SMALL_BODY_BYTES: usize = 1 << 20;

/// Reads all of `body`; more than [`MAX_ANSWER_BYTES`] is an `invalid_upstream_response`.
pub async fn read_answer(
    provider: &ProviderConfig,
    mut body: BodyStream,
) -> Result<Vec<u8>, ProxyError> {
    let mut whole = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if whole.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large(provider, MAX_ANSWER_BYTES));
        }
        whole.extend_from_slice(&chunk);
    }
    Ok(whole)
}

fn too_large(provider: &ProviderConfig, limit: usize) -> ProxyError {
    errors::unreadable(
        provider,
        &format!("the body is larger than the {} MiB limit", limit >> 20),
    )
}

/// A 2xx body read as `T`; a body that is not is an `invalid_upstream_response`.
fn read_json<T: serde::de::DeserializeOwned>(
    provider: &ProviderConfig,
    bytes: &[u8],
) -> Result<T, ProxyError> {
    serde_json::from_slice(bytes).map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))
}

/// The first `limit` bytes of `response`'s body, and whether that was all of it.
async fn read_prefix(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// A client's request as the providers need it: parsed (routing and the translators read
/// it) and as received (the Anthropic pass-through forwards these bytes and headers).
#[derive(Debug, Clone)]
pub struct Inbound {
    pub request: wire::anthropic::MessagesRequest,
    pub body: Bytes,
    pub headers: HeaderMap,
    /// The query string of the client's URL (Claude Code sends `?beta=true`).
    pub query: Option<String>,
}

impl Inbound {
    /// The session Claude Code names in `X-Claude-Code-Session-Id`, when it names one.
    pub fn session(&self) -> Option<&str> {
        self.headers
            .get(crate::server::SESSION_HEADER)
            .and_then(|value| value.to_str().ok())
    }
}

/// A streamed answer as Anthropic events; an `Err` ends it (nothing follows).
pub type EventStream = BoxStream<'static, Result<wire::anthropic::StreamEvent, ProxyError>>;

/// Sends `request` to `provider` for `model`; returns once the provider answered 2xx.
/// Connecting and waiting for the response headers run under the client's timeouts; the
/// body is then read under the same exchange's deadlines (see [`deadline`]).
pub async fn send(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<Upstream, ProxyError> {
    let prepared = kind::of(provider.kind).prepare(http, provider, model, inbound)?;
    let deadlines = Deadlines::from_now(http.timeouts, http.cutoff.clone());
    let response = exchange(http, provider, model, prepared.request, &deadlines).await?;
    Ok(Upstream::new(
        provider,
        model,
        response,
        deadlines,
        prepared.reading,
    ))
}

/// Sends and waits for the response headers within the answer deadline; a non-2xx answer
/// is read (within the same deadline) and mapped to a [`ProxyError`].
async fn exchange(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    builder: reqwest::RequestBuilder,
    deadlines: &Deadlines,
) -> Result<reqwest::Response, ProxyError> {
    let connect = http.timeouts.connect;
    let attempt = async {
        let answer = builder
            .send()
            .await
            .map_err(|e| errors::from_transport(provider, connect, &e))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(answer);
        }
        let headers = answer.headers().clone();
        // The status decides the error; the body only adds the provider's words, and a
        // cut one still maps (its message is then not quoted).
        let (bytes, _complete) = read_prefix(answer, MAX_SMALL_BODY_BYTES)
            .await
            .unwrap_or_default();
        Err(errors::from_status(
            provider, model, status, &headers, &bytes,
        ))
    };
    tokio::select! {
        answer = tokio::time::timeout_at(deadlines.answer_by(), attempt) => {
            answer.map_err(|_| deadlines.expired(provider, false))?
        }
        () = deadlines.cutoff.reached() => Err(ProxyError::ShuttingDown),
    }
}

/// The input tokens of a request as the provider itself counts them, for the kinds that
/// have a counting endpoint (Anthropic `count_tokens`, Gemini `countTokens`); `None` for
/// the others (and a provider without its key), which are counted locally.
pub async fn count_tokens(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<Option<u64>, ProxyError> {
    if provider.key_required && provider.key().is_none() {
        return Ok(None);
    }
    let counter = kind::of(provider.kind).count_tokens(http, provider, model, inbound)?;
    let Some(counter) = counter else {
        return Ok(None);
    };
    let deadlines = Deadlines::from_now(http.timeouts, http.cutoff.clone());
    let response = exchange(http, provider, model, counter.request, &deadlines).await?;
    let read = read_prefix(response, MAX_SMALL_BODY_BYTES);
    let (body, complete) = tokio::time::timeout_at(deadlines.answer_by(), read)
        .await
        .map_err(|_| deadlines.expired(provider, false))?
        .map_err(|e| errors::broken_body(provider, &e))?;
    if !complete {
        return Err(too_large(provider, MAX_SMALL_BODY_BYTES));
    }
    (counter.read)(provider, &body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<(), String> {
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
        assert_eq!(check(&usual), Ok(()));
        assert_eq!(check(&[("HTTPS_PROXY", "")]), Ok(()));
    }
}
