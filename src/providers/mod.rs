//! HTTP to the providers: one pooled client for the process, one module per provider kind
//! (URL, headers, auth, sending), and the mapping of upstream failures to [`ProxyError`].
//! Translation itself lives in `translate`; this module only moves bytes.
//!
//! The seam every caller uses: [`send`] returns an [`Upstream`] once the provider has
//! answered 2xx with its headers (any failure before that is a [`ProxyError`], so retries
//! and fallbacks can wrap it); the body is then read as one message or as a stream.

pub mod anthropic;
mod errors;
mod gemini;
mod models;
mod openai;
mod ratelimit;
mod reader;
mod responses;

pub use models::ModelCatalog;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::config::{ProviderConfig, ProviderKind, Timeouts};
use crate::error::{ProxyError, TimeoutPhase};
use crate::translate::from_openai;
use crate::wire;

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
        })
    }

    /// The same client, knowing that this server listens on `address`.
    pub fn serving(mut self, address: SocketAddr) -> Self {
        self.own_address = Some(address);
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

/// A 2xx body read as `T`; anything else is an `invalid_upstream_response`.
fn read_json<T: serde::de::DeserializeOwned>(
    provider: &ProviderConfig,
    bytes: &[u8],
) -> Result<T, ProxyError> {
    serde_json::from_slice(bytes).map_err(|e| errors::not_protocol(provider, bytes, &e.to_string()))
}

/// `builder` with the provider's key (if it has one for its host) as a bearer token.
fn bearer(builder: reqwest::RequestBuilder, provider: &ProviderConfig) -> reqwest::RequestBuilder {
    match provider.key() {
        Some(key) => builder.bearer_auth(key.expose()),
        None => builder,
    }
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

/// A provider's successful (2xx) answer whose body has not been read yet.
#[derive(Debug)]
pub struct Upstream {
    pub provider: ProviderConfig,
    pub model: String,
    response: reqwest::Response,
    idle_timeout: Duration,
    /// What reading the answer needs from the request.
    reading: Reading,
}

/// What reading an answer needs from its request, per provider kind.
#[derive(Debug, Clone)]
enum Reading {
    /// Tool names, stop sequences.
    OpenAi(from_openai::Context),
    /// Nothing: the answer is relayed as it is.
    Relay,
    /// The model the request was sent to.
    Gemini(String),
    /// Tool names, as for Chat Completions.
    Responses(from_openai::Context),
}

/// A streamed answer as Anthropic events; an `Err` ends it (nothing follows).
pub type EventStream = BoxStream<'static, Result<wire::anthropic::StreamEvent, ProxyError>>;

/// Sends `request` to `provider` for `model`; returns once the provider answered 2xx.
/// Connecting and waiting for the response headers run under the client's timeouts.
pub async fn send(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<Upstream, ProxyError> {
    let (builder, reading) = match kind_for(provider, model) {
        ProviderKind::Responses => {
            let (builder, context) = responses::request(http, provider, model, inbound)?;
            (builder, Reading::Responses(context))
        }
        ProviderKind::OpenAi => {
            let (builder, context) = openai::request(http, provider, model, &inbound.request)?;
            (builder, Reading::OpenAi(context))
        }
        ProviderKind::Anthropic => (
            anthropic::request(http, provider, model, inbound)?,
            Reading::Relay,
        ),
        ProviderKind::Gemini => (
            gemini::request(http, provider, model, &inbound.request)?,
            Reading::Gemini(model.to_string()),
        ),
    };
    let response = exchange(http, provider, model, builder).await?;
    Ok(Upstream {
        provider: provider.clone(),
        model: model.to_string(),
        response,
        idle_timeout: http.timeouts.stream_idle,
        reading,
    })
}

/// The protocol `provider` speaks for `model`: its kind, except that the built-in `openai`
/// provider sends the models OpenAI serves only on the Responses API there.
fn kind_for(provider: &ProviderConfig, model: &str) -> ProviderKind {
    match provider.kind {
        ProviderKind::OpenAi if provider.name == "openai" && responses::responses_only(model) => {
            ProviderKind::Responses
        }
        kind => kind,
    }
}

/// Sends and waits for the response headers within the response timeout; a non-2xx answer
/// is read (within the same timeout) and mapped to a [`ProxyError`].
async fn exchange(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    builder: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProxyError> {
    let Timeouts {
        connect, response, ..
    } = http.timeouts;
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
    tokio::time::timeout(response, attempt)
        .await
        .map_err(|_| errors::timeout(provider, TimeoutPhase::Response, response))?
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
    let builder = match provider.kind {
        ProviderKind::Anthropic => anthropic::count_tokens_request(http, provider, model, inbound)?,
        ProviderKind::Gemini => {
            gemini::count_tokens_request(http, provider, model, &inbound.request)?
        }
        ProviderKind::OpenAi | ProviderKind::Responses => return Ok(None),
    };
    let response = exchange(http, provider, model, builder).await?;
    let read = read_prefix(response, MAX_SMALL_BODY_BYTES);
    let (body, complete) = tokio::time::timeout(http.timeouts.response, read)
        .await
        .map_err(|_| errors::timeout(provider, TimeoutPhase::Response, http.timeouts.response))?
        .map_err(|e| errors::broken_body(provider, &e))?;
    if !complete {
        return Err(too_large(provider, MAX_SMALL_BODY_BYTES));
    }
    let count = match provider.kind {
        ProviderKind::Anthropic => anthropic::read_count(provider, &body)?,
        ProviderKind::Gemini => gemini::read_count(provider, &body)?,
        ProviderKind::OpenAi | ProviderKind::Responses => return Ok(None),
    };
    Ok(Some(count))
}

impl Upstream {
    /// True for the Anthropic pass-through, whose answer is relayed as it is
    /// ([`Upstream::into_relay`]) instead of being read and translated.
    pub fn passes_through(&self) -> bool {
        matches!(self.reading, Reading::Relay)
    }

    /// The answer as the provider wrote it: the headers to pass back to the client
    /// ([`anthropic::relayed_header`]) and the body (under the idle timeout).
    pub fn into_relay(self) -> (HeaderMap, BodyStream) {
        let mut headers = HeaderMap::new();
        for (name, value) in self.response.headers() {
            if anthropic::relayed_header(name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        (headers, self.bytes_stream())
    }

    /// The body as a stream of chunks, each awaited at most the idle timeout
    /// (`timeouts.stream_idle_ms`): a stall ends the stream with a `provider_timeout`
    /// error, a dropped connection with `incomplete_upstream_response`. Nothing follows an
    /// error. Dropping the stream closes the upstream connection.
    pub fn bytes_stream(self) -> BodyStream {
        let Self {
            provider,
            response,
            idle_timeout,
            ..
        } = self;
        let chunks = response.bytes_stream();
        stream::unfold(Some((chunks, provider)), move |state| async move {
            let (mut chunks, provider) = state?;
            match tokio::time::timeout(idle_timeout, chunks.next()).await {
                Ok(None) => None,
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some((chunks, provider)))),
                Ok(Some(Err(error))) => Some((Err(errors::broken_body(&provider, &error)), None)),
                Err(_) => {
                    let error = errors::timeout(&provider, TimeoutPhase::StreamIdle, idle_timeout);
                    Some((Err(error), None))
                }
            }
        })
        .boxed()
    }

    /// Reads the whole body (under the idle timeout, at most [`MAX_ANSWER_BYTES`]) as one
    /// Anthropic message.
    pub async fn into_message(self) -> Result<wire::anthropic::MessageResponse, ProxyError> {
        let (provider, reading) = (self.provider.clone(), self.reading.clone());
        let body = read_answer(&provider, self.bytes_stream()).await?;
        match reading {
            Reading::OpenAi(context) => openai::read_message(&provider, &context, &body),
            Reading::Gemini(model) => gemini::read_message(&provider, &model, &body),
            Reading::Responses(context) => responses::read_message(&provider, &context, &body),
            Reading::Relay => Err(not_translated(&provider)),
        }
    }

    /// Reads the body as a stream of Anthropic events, translated as the bytes arrive
    /// (each read under the idle timeout, as [`Upstream::bytes_stream`]).
    pub fn into_events(self) -> EventStream {
        let (provider, reading) = (self.provider.clone(), self.reading.clone());
        match reading {
            Reading::OpenAi(context) => openai::events(provider, context, self.bytes_stream()),
            Reading::Gemini(model) => gemini::events(provider, model, self.bytes_stream()),
            Reading::Responses(context) => {
                responses::events(provider, context, self.bytes_stream())
            }
            Reading::Relay => stream::iter([Err(not_translated(&provider))]).boxed(),
        }
    }
}

/// A relayed answer read as a translated one: a caller's mistake (see
/// [`Upstream::passes_through`]).
fn not_translated(provider: &ProviderConfig) -> ProxyError {
    ProxyError::Internal {
        message: format!(
            "the answer of provider '{}' is relayed, not read",
            provider.name
        ),
    }
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
