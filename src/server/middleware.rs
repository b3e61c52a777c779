//! Middleware: a request id on every response, and authentication (the proxy key when one
//! is configured, otherwise loopback clients only). The client's own key is never passed on.
//! The figures (`/status`, `/stats`, `/metrics`, detailed `/health`) are also shown to
//! loopback clients without the key: whoever is on this machine may watch it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::config::Config;
use crate::error::ProxyError;
use crate::providers;

/// The id of one request, as sent back in `request-id` and `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    fn generate() -> Self {
        Self(crate::translate::random_id("req_"))
    }
}

pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = RequestId::generate();
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        // Anthropic's own request id, when the pass-through relays one, is the id that
        // matters to its support; ours stays in `x-request-id`.
        if !response.headers().contains_key("request-id") {
            response.headers_mut().insert("request-id", value.clone());
        }
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Paths anyone may reach: the basic info, the basic health check (the handler decides
/// whether to add the figures), the dashboard page (it holds no data) and the probes Claude
/// Code sends to the base URL (protocols.md §11).
fn is_public(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && matches!(path, "/" | "/health" | "/api/hello" | "/ui")
}

/// Paths that show the figures: to loopback clients, or to holders of the key.
fn is_figures(path: &str) -> bool {
    matches!(path, "/status" | "/stats" | "/metrics")
}

/// May this request see the figures? Loopback clients may; others need the proxy key (and
/// without one configured, get the same refusal as any remote client).
pub(super) fn may_see_figures(config: &Config, request: &Request) -> Result<(), ProxyError> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
    if check_loopback(peer).is_ok() {
        return Ok(());
    }
    match &config.api_key {
        Some(key) => check_key(request.headers(), key.expose()),
        None => Err(ProxyError::RemoteClientForbidden),
    }
}

pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if is_public(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    if let Some(error) = looped(&state, request.headers()) {
        return error.into_response();
    }
    let config = state.config();
    let verdict = match &config.api_key {
        _ if is_figures(request.uri().path()) => may_see_figures(&config, &request),
        Some(key) => check_key(request.headers(), key.expose()),
        None => check_loopback(request.extensions().get::<ConnectInfo<SocketAddr>>()),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// A request this very process forwarded (it carries our hop id): a provider's base URL
/// leads back here. Refused before it can be forwarded again.
fn looped(state: &AppState, headers: &HeaderMap) -> Option<ProxyError> {
    let own = state.http.hop_id().as_bytes();
    let mut hops = headers.get_all(providers::anthropic::HOP_HEADER).iter();
    hops.any(|hop| hop.as_bytes() == own)
        .then(|| ProxyError::ProxyLoop {
            provider: "anthropic".into(),
            base_url: format!("http://{}", state.local_addr),
        })
}

fn check_key(headers: &HeaderMap, expected: &str) -> Result<(), ProxyError> {
    let presented = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
        });
    let Some(presented) = presented else {
        return Err(ProxyError::ProxyAuth {
            reason: "No API key provided: this ccproxy requires its key",
        });
    };
    if bool::from(presented.trim().as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ProxyError::ProxyAuth {
            reason: "Invalid API key provided",
        })
    }
}

fn check_loopback(peer: Option<&ConnectInfo<SocketAddr>>) -> Result<(), ProxyError> {
    match peer {
        Some(ConnectInfo(addr)) if addr.ip().is_loopback() => Ok(()),
        _ => Err(ProxyError::RemoteClientForbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("valid header"));
        }
        map
    }

    #[test]
    fn key_accepted_as_x_api_key_or_bearer() {
        assert!(check_key(&headers(&[("x-api-key", "secret-key")]), "secret-key").is_ok());
        let bearer = headers(&[("authorization", "Bearer secret-key")]);
        assert!(check_key(&bearer, "secret-key").is_ok());
    }

    #[test]
    fn wrong_or_missing_key_is_refused() {
        let wrong = check_key(&headers(&[("x-api-key", "nope")]), "secret-key");
        assert_eq!(wrong.map_err(|e| e.code()), Err("invalid_api_key"));
        assert!(check_key(&HeaderMap::new(), "secret-key").is_err());
    }

    fn request_from(peer: [u8; 4], key: Option<&str>) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 5000))));
        if let Some(key) = key {
            let value = HeaderValue::from_str(key).expect("valid header");
            request.headers_mut().insert("x-api-key", value);
        }
        request
    }

    #[test]
    fn figures_are_for_loopback_or_the_key() {
        let env = crate::config::Env::from_pairs([("CCPROXY_API_KEY", "secret-key")]);
        let keyed =
            crate::config::load(&crate::config::Overrides::default(), &env).expect("config");
        let open = crate::config::load(
            &crate::config::Overrides::default(),
            &crate::config::Env::from_pairs([]),
        )
        .expect("config");
        let local = [127, 0, 0, 1];
        let remote = [192, 0, 2, 7];
        assert!(may_see_figures(&keyed, &request_from(local, None)).is_ok());
        assert!(may_see_figures(&keyed, &request_from(remote, Some("secret-key"))).is_ok());
        let refused = may_see_figures(&keyed, &request_from(remote, Some("nope")));
        assert_eq!(refused.map_err(|e| e.code()), Err("invalid_api_key"));
        assert_eq!(
            may_see_figures(&open, &request_from(remote, None)),
            Err(ProxyError::RemoteClientForbidden)
        );
        assert!(is_figures("/metrics") && !is_figures("/v1/messages"));
    }

    #[test]
    fn only_loopback_peers_without_a_key() {
        let local = ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000)));
        let remote = ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 5000)));
        assert!(check_loopback(Some(&local)).is_ok());
        assert_eq!(
            check_loopback(Some(&remote)),
            Err(ProxyError::RemoteClientForbidden)
        );
        assert!(check_loopback(None).is_err());
    }
}
