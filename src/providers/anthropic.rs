//! Anthropic Messages, passed through (docs/providers.md, "Anthropic pass-through"):
//! `POST {base_url}/v1/messages` with the client's body (see `translate::passthrough` for
//! the only changes ever made), the client's
//! `anthropic-*` headers, and the provider's key in place of the client's. The answer is
//! relayed as the host wrote it: the JSON body or the SSE bytes as they arrive, with its
//! `request-id` and rate-limit headers. `/v1/messages/count_tokens` counts, `/v1/models`
//! lists the models.
//!
//! Loop guard: a user's shell often has `ANTHROPIC_BASE_URL` pointing at ccproxy (for Claude
//! Code), and environment-only mode would make that the provider's base URL. A base URL that
//! is this very server is refused before anything is sent, and every forwarded request
//! carries [`HOP_HEADER`] with the ids of every ccproxy process it went through, so a loop
//! through any other address (a hostname, another ccproxy) is refused when it comes back.

use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::router;
use crate::translate::compat::{self, Profile};
use crate::translate::passthrough;

use super::kind::{credentials, secret_value, Counter, Kind, Prepared, Reading};
use super::{HttpClient, Inbound, Outbound};

/// The Anthropic Messages kind, passed through.
pub struct Anthropic;

impl Kind for Anthropic {
    /// Claude.ai OAuth access tokens (`sk-ant-oat01-…`) go as `Authorization: Bearer` with
    /// their beta flag (as Claude Code sends them); API keys go as `x-api-key`, except to the
    /// hosts whose profile takes a bearer token.
    fn authorize(&self, provider: &ProviderConfig, key: &str, headers: &mut HeaderMap) {
        if provider.profile.bearer_auth() {
            if let Some(value) = secret_value(&format!("Bearer {key}")) {
                headers.insert(header::AUTHORIZATION, value);
            }
            return;
        }
        if !key.starts_with(OAUTH_PREFIX) {
            if let Some(value) = secret_value(key) {
                headers.insert("x-api-key", value);
            }
            return;
        }
        if let Some(value) = secret_value(&format!("Bearer {key}")) {
            headers.insert(header::AUTHORIZATION, value);
        }
        let has_beta = headers
            .get_all("anthropic-beta")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|flag| flag.trim() == OAUTH_BETA));
        if !has_beta {
            headers.append("anthropic-beta", HeaderValue::from_static(OAUTH_BETA));
        }
    }

    /// The client's body and headers, the provider's key; the answer is relayed.
    fn prepare(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Prepared, ProxyError> {
        Ok(Prepared {
            request: request_to(http, provider, model, inbound, "messages")?,
            reading: Reading::Relayed { relayed_header },
        })
    }

    fn models_request(&self, provider: &ProviderConfig) -> (String, HeaderMap) {
        let mut headers = HeaderMap::new();
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(DEFAULT_VERSION),
        );
        credentials(self, provider, &mut headers);
        (format!("{}/models", api_base(&provider.base_url)), headers)
    }

    fn model_names<'a>(&self, body: &'a Value) -> Vec<&'a str> {
        super::openai::listed_ids(body)
    }

    /// The base URL names this proxy: `ANTHROPIC_BASE_URL`, set for Claude Code, was read
    /// by the `anthropic` provider too.
    fn loop_error(&self, provider: &ProviderConfig, own: SocketAddr) -> Option<ProxyError> {
        loops_back(&provider.base_url, own).then(|| ProxyError::ProxyLoop {
            provider: provider.name.clone(),
            base_url: provider.base_url.clone(),
            base_url_var: provider.base_url_var(),
        })
    }

    /// `POST {base_url}/v1/messages/count_tokens` for the same request.
    fn count_tokens(
        &self,
        http: &HttpClient,
        provider: &ProviderConfig,
        model: &str,
        inbound: &Inbound,
    ) -> Result<Option<Counter>, ProxyError> {
        Ok(Some(Counter {
            request: request_to(http, provider, model, inbound, "messages/count_tokens")?,
            read: read_count,
        }))
    }
}

/// The header that marks a request forwarded by a ccproxy process (its value: the process's
/// hop id).
pub const HOP_HEADER: &str = "x-ccproxy-hop";

/// The client headers Anthropic needs to see (docs/providers.md); everything else (the client's key,
/// hop-by-hop headers, `host`, `content-length`) stays behind.
const FORWARDED: [&str; 3] = [
    "anthropic-version",
    "anthropic-beta",
    "anthropic-user-profile-id",
];

/// Sent when the client gives no `anthropic-version` (the API requires one).
const DEFAULT_VERSION: &str = "2023-06-01";

/// Claude.ai OAuth access tokens start so, and need this beta flag.
const OAUTH_PREFIX: &str = "sk-ant-oat";
const OAUTH_BETA: &str = "oauth-2025-04-20";

/// The headers of the answer that are passed back to the client.
fn relayed_header(name: &str) -> bool {
    matches!(
        name,
        "request-id" | "retry-after" | "anthropic-organization-id"
    ) || name.starts_with("anthropic-ratelimit-")
}

fn request_to(
    http: &HttpClient,
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
    path: &str,
) -> Result<Outbound, ProxyError> {
    if let Some(error) = http
        .own_address()
        .and_then(|own| Anthropic.loop_error(provider, own))
    {
        return Err(error);
    }
    let body =
        prepared_body(provider, model, inbound).map_err(|error| ProxyError::InvalidJson {
            message: format!("request body is not valid JSON: {error}"),
        })?;
    let mut url = format!("{}/{path}", api_base(&provider.base_url));
    if let Some(query) = &inbound.query {
        url.push('?');
        url.push_str(query);
    }
    Ok(http
        .post(&url)
        .headers(headers(provider, &inbound.headers, http.hop_id()))
        .body(body))
}

/// The client's body as the host takes it: prepared for the target (`translate::passthrough`),
/// then fitted to the host's compatibility profile (`translate::compat`). The client's bytes
/// themselves when neither changes anything.
fn prepared_body(
    provider: &ProviderConfig,
    model: &str,
    inbound: &Inbound,
) -> Result<bytes::Bytes, serde_json::Error> {
    let rewritten = passthrough::body(&inbound.body, &inbound.request, model, tagged(inbound))?;
    let prepared = rewritten.as_deref().unwrap_or(&inbound.body);
    Ok(match compat::apply(provider.profile, prepared)? {
        Some(fitted) => fitted.into(),
        None => rewritten.map_or_else(|| inbound.body.clone(), Into::into),
    })
}

/// Whether the client's body has a sub-agent tag, which routing removed from the parsed
/// request's texts. One pass over the bytes, stopping only at `<`.
fn tagged(inbound: &Inbound) -> bool {
    let tag = router::TAG_CLOSE.as_bytes();
    let mut rest = &inbound.body[..];
    while let Some(at) = rest.iter().position(|&b| b == b'<') {
        if rest[at..].starts_with(tag) {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

/// `{base_url}/v1`, accepting a base URL that already ends in `/v1`.
fn api_base(base_url: &str) -> String {
    if base_url.ends_with("/v1") {
        base_url.to_string()
    } else {
        format!("{base_url}/v1")
    }
}

fn headers(provider: &ProviderConfig, client: &HeaderMap, hop: &str) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in FORWARDED {
        for value in client.get_all(name) {
            out.append(HeaderName::from_static(name), value.clone());
        }
    }
    fit_betas(provider.profile, &mut out);
    if !out.contains_key("anthropic-version") {
        out.insert(
            "anthropic-version",
            HeaderValue::from_static(DEFAULT_VERSION),
        );
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // The marks of the ccproxy processes this request already went through, then ours: a
    // loop through several proxies comes back to one that finds its own mark.
    for earlier in client.get_all(HOP_HEADER) {
        out.append(HOP_HEADER, earlier.clone());
    }
    if let Ok(hop) = HeaderValue::from_str(hop) {
        out.append(HOP_HEADER, hop);
    }
    credentials(&Anthropic, provider, &mut out);
    out
}

/// Keeps of the client's `anthropic-beta` flags those the host takes (see
/// `translate::compat::betas`).
fn fit_betas(profile: Profile, headers: &mut HeaderMap) {
    if profile == Profile::Anthropic {
        return;
    }
    let client: Vec<&str> = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let kept = compat::betas(profile, &client.join(","));
    headers.remove("anthropic-beta");
    if let Some(value) = kept.and_then(|kept| HeaderValue::from_str(&kept).ok()) {
        headers.insert("anthropic-beta", value);
    }
}

/// Whether `base_url` names the server listening on `own`: the same port on a loopback,
/// unspecified or identical address, or on `localhost`.
fn loops_back(base_url: &str, own: SocketAddr) -> bool {
    let Ok(url) = url::Url::parse(base_url) else {
        return false;
    };
    if url.port_or_known_default() != Some(own.port()) {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => same_host(ip, own.ip()),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn same_host(target: IpAddr, own: IpAddr) -> bool {
    target == own
        || (target.is_loopback() && (own.is_loopback() || own.is_unspecified()))
        || target.is_unspecified()
}

/// Reads `{"input_tokens": N}`.
fn read_count(provider: &ProviderConfig, body: &[u8]) -> Result<u64, ProxyError> {
    #[derive(serde::Deserialize)]
    struct Count {
        input_tokens: u64,
    }
    super::read_json::<Count>(provider, body).map(|count| count.input_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;
    use crate::secret::Secret;

    fn provider(key: &str) -> ProviderConfig {
        ProviderConfig {
            name: "anthropic".into(),
            kind: ProviderKind::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            api_key: Some(Secret::new(key)),
            more_keys: Vec::new(),
            key_host: Some("https://api.anthropic.com".into()),
            key_var: "ANTHROPIC_API_KEY".into(),
            key_in_file: false,
            key_required: true,
            models: vec![crate::config::ModelEntry::id("claude-sonnet-4-5")],
            enabled: true,
            profile: Profile::Anthropic,
        }
    }

    fn client_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("client-key"));
        headers.insert("authorization", HeaderValue::from_static("Bearer client"));
        headers.insert("connection", HeaderValue::from_static("keep-alive"));
        headers.insert("anthropic-beta", HeaderValue::from_static("a-1,b-2"));
        headers.insert("x-stainless-os", HeaderValue::from_static("Linux"));
        headers
    }

    #[test]
    fn the_client_key_is_replaced_and_only_anthropic_headers_pass() {
        let out = headers(
            &provider("sk-ant-api03-provider"),
            &client_headers(),
            "hop1",
        );
        assert_eq!(out["x-api-key"], "sk-ant-api03-provider");
        assert!(out.get("authorization").is_none());
        assert!(out.get("connection").is_none());
        assert!(out.get("x-stainless-os").is_none());
        assert_eq!(out["anthropic-beta"], "a-1,b-2");
        assert_eq!(out["anthropic-version"], DEFAULT_VERSION);
        assert_eq!(out[HOP_HEADER], "hop1");
    }

    #[test]
    fn an_oauth_token_goes_as_bearer_with_its_beta_flag() {
        let out = headers(&provider("sk-ant-oat01-token"), &client_headers(), "hop1");
        assert_eq!(out["authorization"], "Bearer sk-ant-oat01-token");
        assert!(out.get("x-api-key").is_none());
        let betas: Vec<_> = out.get_all("anthropic-beta").iter().collect();
        assert_eq!(betas, ["a-1,b-2", OAUTH_BETA]);
    }

    #[test]
    fn base_urls_that_are_this_server_loop() {
        let own: SocketAddr = "127.0.0.1:3456".parse().expect("address");
        assert!(loops_back("http://127.0.0.1:3456", own));
        assert!(loops_back("http://localhost:3456/", own));
        assert!(loops_back("http://[::1]:3456", own));
        assert!(!loops_back("http://127.0.0.1:3457", own));
        assert!(!loops_back("https://api.anthropic.com", own));
        let any: SocketAddr = "0.0.0.0:443".parse().expect("address");
        assert!(loops_back("https://127.0.0.1", any));
    }

    #[test]
    fn a_base_url_with_or_without_v1_reaches_the_same_api() {
        assert_eq!(
            api_base("https://api.anthropic.com"),
            "https://api.anthropic.com/v1"
        );
        assert_eq!(api_base("http://h/v1"), "http://h/v1");
    }
}
