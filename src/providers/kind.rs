//! The seam between the rest of ccproxy and the provider kinds: the [`Kind`] trait, which one
//! module per kind implements, and [`of`], the one place a [`ProviderKind`] finds its module.
//! Sending, retries, the model-list cache, `count_tokens` and the server's answer all go
//! through it; nothing else matches on the kind.
//!
//! A kind's module owns everything about its wire protocol: the URLs, how the key is sent
//! ([`Kind::authorize`], the only place a key is written on a request), the request body
//! (translated, or the client's own passed through), how the answer is read
//! ([`Reading`]: translated into Anthropic events, or relayed as it is), the model list and
//! the provider's own token counter.
//!
//! Adding a provider kind:
//! 1. a variant of `config::ProviderKind`, with its config-file name in `as_str` and its
//!    place in `ALL` (the file's `type` then accepts it);
//! 2. a module in `providers/` with a unit struct implementing [`Kind`]: `prepare` builds
//!    the request (URL from `provider.base_url`, headers with [`credentials`], body) and
//!    says how its answer is read, a [`Translation`] for a translated kind; `models_request`
//!    and `model_names` read its model list; `count_tokens` its counter, if it has one;
//! 3. its arm in [`of`].
//!
//! Then built-in providers of that kind are rows in `config::catalog`.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};
use serde_json::Value;

use std::net::SocketAddr;

use crate::config::{ProviderConfig, ProviderKind};
use crate::error::ProxyError;
use crate::wire::anthropic::MessageResponse;

use super::{
    anthropic, gemini, openai, responses, BodyStream, EventStream, HttpClient, Inbound, Outbound,
};

/// What a provider kind knows about its wire protocol (see the module doc).
pub trait Kind: Sync {
    /// Writes `key` (one of `provider`'s) on `headers` the way this kind's API expects it.
    fn authorize(&self, provider: &ProviderConfig, key: &str, headers: &mut HeaderMap);

    /// The request for `model`, and how its answer is read. A request the kind cannot
    /// take is an error (nothing is sent).
    fn prepare(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Prepared, ProxyError>;

    /// The URL and headers (the key included) of the provider's model list.
    fn models_request(&self, provider: &ProviderConfig) -> (String, HeaderMap);

    /// The model names in a model list.
    fn model_names<'a>(&self, body: &'a Value) -> Vec<&'a str>;

    /// Why requests to `provider` would come back to this proxy listening on `own`, for a
    /// kind whose base URL is commonly pointed at ccproxy itself (Anthropic's, through
    /// `ANTHROPIC_BASE_URL`); such requests are refused with this error.
    fn loop_error(&self, _provider: &ProviderConfig, _own: SocketAddr) -> Option<ProxyError> {
        None
    }

    /// The provider's own input-token count of the request, for a kind that has a counter.
    fn count_tokens(
        &self,
        _http: &HttpClient,
        _provider: &ProviderConfig,
        _model: &str,
        _inbound: &Inbound,
    ) -> Result<Option<Counter>, ProxyError> {
        Ok(None)
    }
}

/// The module of `kind`.
pub fn of(kind: ProviderKind) -> &'static dyn Kind {
    match kind {
        ProviderKind::OpenAi => &openai::OpenAi,
        ProviderKind::Anthropic => &anthropic::Anthropic,
        ProviderKind::Gemini => &gemini::Gemini,
        ProviderKind::Responses => &responses::Responses,
    }
}

/// Writes the provider's key (when it has one to send, see [`ProviderConfig::key`]) on
/// `headers` as `kind` sends it.
pub fn credentials(kind: &dyn Kind, provider: &ProviderConfig, headers: &mut HeaderMap) {
    if let Some(key) = provider.key() {
        kind.authorize(provider, key.expose(), headers);
    }
}

/// A header value holding a secret: marked sensitive, so it never shows in debug output.
/// `None` for a key that cannot be a header value (the provider then answers 401).
pub fn secret_value(text: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A request ready to send, and how its answer is read.
pub struct Prepared {
    pub request: Outbound,
    pub reading: Reading,
}

/// How an answer is read.
#[derive(Debug)]
pub enum Reading {
    /// Translated into Anthropic's shape.
    Translated(Box<dyn Translation>),
    /// Relayed to the client as the provider wrote it, with the response headers
    /// `relayed_header` accepts.
    Relayed { relayed_header: fn(&str) -> bool },
}

/// Reads a translated kind's answer; holds what that needs from the request.
pub trait Translation: Send + std::fmt::Debug {
    /// A whole (non-streaming) answer as one Anthropic message.
    fn message(
        self: Box<Self>,
        provider: &ProviderConfig,
        body: &[u8],
    ) -> Result<MessageResponse, ProxyError>;

    /// A streamed answer as Anthropic events, translated as the bytes arrive.
    fn events(self: Box<Self>, provider: Arc<ProviderConfig>, body: BodyStream) -> EventStream;
}

/// A token-counting request and the reader of its answer.
pub struct Counter {
    pub request: Outbound,
    pub read: fn(&ProviderConfig, &[u8]) -> Result<u64, ProxyError>,
}
