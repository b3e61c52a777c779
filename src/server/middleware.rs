//! Middleware: a request id on every response, and authentication (the proxy key when one
//! is configured, otherwise loopback clients only). The client's own key is never passed on.
//! The figures (`/status`, `/stats`, `/metrics`, detailed `/health`) are also shown to
//! loopback clients without the key: whoever is on this machine may watch it.
//!
//! A web page in a local browser is a loopback client too, so wherever loopback alone lets
//! a request in, it must not look like a page's: an `Origin` other than this server's own
//! (the dashboard at `/ui` is same-origin) or a `Host` that is not a loopback name (what
//! DNS rebinding sends) is refused. Programs (Claude Code, the SDKs, curl) send neither.
//! Admin API writes must also be `application/json`, which no page can send unasked.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING};
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

/// The one middleware (a single layer: each layer costs every request a boxed future):
/// gives the request its id, lets it in or refuses it ([`authenticate`]), and stamps the
/// id on whatever answer comes back, refusals included.
pub async fn admit(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = RequestId::generate();
    let value = HeaderValue::from_str(&id.0);
    request.extensions_mut().insert(id);
    let mut response = authenticate(&state, request, next).await;
    if let Ok(value) = value {
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
/// Code sends to the base URL (docs/claude-code-offline.md).
fn is_public(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && matches!(path, "/" | "/health" | "/api/hello" | "/ui")
}

/// Paths that show the figures: to loopback clients, or to holders of the key.
fn is_figures(path: &str) -> bool {
    matches!(path, "/status" | "/stats" | "/metrics")
}

/// May this request see the figures? Loopback clients may (unless it looks like a web
/// page's); others need the proxy key (and without one configured, get the same refusal as
/// any remote client).
pub(super) fn may_see_figures(
    config: &Config,
    port: u16,
    request: &Request,
) -> Result<(), ProxyError> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
    if check_loopback(peer).is_ok() {
        return check_not_a_page(request.headers(), port);
    }
    match &config.api_key {
        Some(key) => check_key(request.headers(), key.expose()),
        None => Err(ProxyError::RemoteClientForbidden),
    }
}

/// The paths that need a developer key in team mode (from any peer: the key is the
/// credential).
fn is_metered(path: &str) -> bool {
    matches!(
        path,
        "/v1/messages" | "/v1/messages/count_tokens" | "/v1/models"
    )
}

async fn authenticate(state: &AppState, mut request: Request, next: Next) -> Response {
    if is_public(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    if let Some(error) = looped(state, request.headers()) {
        return error.into_response();
    }
    if state.team.active() && is_metered(request.uri().path()) {
        return match state.team.authenticate(request.headers()).await {
            Ok(developer) => {
                request.extensions_mut().insert(developer);
                next.run(request).await
            }
            Err(error) => error.into_response(),
        };
    }
    let config = state.config();
    let port = state.local_addr.port();
    let verdict = match &config.api_key {
        _ if is_figures(request.uri().path()) => may_see_figures(&config, port, &request),
        Some(key) => check_key(request.headers(), key.expose()),
        None => check_loopback(request.extensions().get::<ConnectInfo<SocketAddr>>())
            .and_then(|()| check_not_a_page(request.headers(), port)),
    };
    match verdict.and_then(|()| check_admin_write(&request)) {
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
            base_url_var: "ANTHROPIC_BASE_URL".into(),
        })
}

fn check_key(headers: &HeaderMap, expected: &str) -> Result<(), ProxyError> {
    let Some(presented) = crate::team::keys::presented(headers) else {
        return Err(ProxyError::ProxyAuth {
            reason: "No API key provided: this ccproxy requires its key (CCPROXY_API_KEY) as \
                     x-api-key or Authorization: Bearer",
        });
    };
    if bool::from(presented.trim().as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ProxyError::ProxyAuth {
            reason: "Invalid API key provided: send this ccproxy's own key (CCPROXY_API_KEY), \
                     not a provider's",
        })
    }
}

fn check_loopback(peer: Option<&ConnectInfo<SocketAddr>>) -> Result<(), ProxyError> {
    match peer {
        Some(ConnectInfo(addr)) if addr.ip().is_loopback() => Ok(()),
        _ => Err(ProxyError::RemoteClientForbidden),
    }
}

/// Refuses what a web page would send: an `Origin` that is not this server's own, or a
/// `Host` that is not a loopback name. Requests with neither header pass (HTTP/1.0 tools).
fn check_not_a_page(headers: &HeaderMap, port: u16) -> Result<(), ProxyError> {
    if let Some(origin) = headers.get(ORIGIN) {
        if !origin
            .to_str()
            .is_ok_and(|origin| is_own_origin(origin, port))
        {
            return Err(ProxyError::CrossOriginForbidden {
                reason: "requests from web pages (an Origin header other than this \
                         ccproxy's own) are refused: without an api_key, this ccproxy trusts \
                         only programs on this machine",
            });
        }
    }
    if let Some(host) = headers.get(HOST) {
        if !host.to_str().is_ok_and(is_loopback_host) {
            return Err(ProxyError::CrossOriginForbidden {
                reason: "the Host header is not a loopback name (127.0.0.1, localhost or \
                         [::1]), as when a web page reaches this ccproxy by DNS rebinding: \
                         refused, since without an api_key only programs on this machine \
                         are trusted",
            });
        }
    }
    Ok(())
}

/// The origins of this server's own pages (the dashboard).
fn is_own_origin(origin: &str, port: u16) -> bool {
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|host| origin.eq_ignore_ascii_case(&format!("http://{host}:{port}")))
}

/// `localhost` or a loopback address, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(inside, _)| inside),
        None => host.split_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Admin API writes with a body (`POST`/`PUT`/`PATCH` under `/providers`, `/keys` and
/// `/v1/organizations`) must say
/// `content-type: application/json`: a web page can only send that after the browser's
/// CORS preflight, which this server never grants. A write without a body (the toggle)
/// needs no type.
fn check_admin_write(request: &Request) -> Result<(), ProxyError> {
    let path = request.uri().path();
    let admin = ["/providers", "/keys", "/v1/organizations"]
        .iter()
        .any(|root| path == *root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/')));
    let write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    let headers = request.headers();
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    if !admin || !write || !has_body {
        return Ok(());
    }
    let json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if json {
        Ok(())
    } else {
        Err(ProxyError::InvalidField {
            field: "content-type".into(),
            reason: "admin API changes must be sent as content-type: application/json".into(),
        })
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
        assert!(may_see_figures(&keyed, 3456, &request_from(local, None)).is_ok());
        assert!(may_see_figures(&keyed, 3456, &request_from(remote, Some("secret-key"))).is_ok());
        let refused = may_see_figures(&keyed, 3456, &request_from(remote, Some("nope")));
        assert_eq!(refused.map_err(|e| e.code()), Err("invalid_api_key"));
        assert_eq!(
            may_see_figures(&open, 3456, &request_from(remote, None)),
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

    #[test]
    fn pages_are_refused_but_programs_and_the_dashboard_are_not() {
        let port = 3456;
        let allowed = [
            headers(&[]),
            headers(&[("host", "127.0.0.1:3456")]),
            headers(&[("host", "localhost:3456")]),
            headers(&[("host", "[::1]:3456")]),
            headers(&[("host", "LOCALHOST")]),
            headers(&[
                ("host", "127.0.0.1:3456"),
                ("origin", "http://127.0.0.1:3456"),
            ]),
            headers(&[
                ("host", "localhost:3456"),
                ("origin", "http://localhost:3456"),
            ]),
            headers(&[("origin", "http://[::1]:3456")]),
        ];
        for headers in &allowed {
            assert_eq!(check_not_a_page(headers, port), Ok(()), "{headers:?}");
        }
        let refused = [
            headers(&[
                ("host", "127.0.0.1:3456"),
                ("origin", "https://evil.example"),
            ]),
            headers(&[
                ("host", "127.0.0.1:3456"),
                ("origin", "http://127.0.0.1:9999"),
            ]),
            headers(&[("host", "127.0.0.1:3456"), ("origin", "null")]),
            headers(&[("host", "evil.example:3456")]),
            headers(&[("host", "127.0.0.1.evil.example")]),
            headers(&[("host", "[::2]:3456")]),
        ];
        for headers in &refused {
            let error = check_not_a_page(headers, port).map_err(|e| e.code());
            assert_eq!(error, Err("cross_origin_forbidden"), "{headers:?}");
        }
    }

    #[test]
    fn admin_writes_must_be_json() {
        let request = |method: Method, path: &str, content_type: Option<&str>| {
            let mut request = Request::new(axum::body::Body::empty());
            *request.method_mut() = method;
            *request.uri_mut() = path.parse().expect("uri");
            let length = HeaderValue::from_static("2");
            request.headers_mut().insert(CONTENT_LENGTH, length);
            if let Some(value) = content_type {
                let value = HeaderValue::from_str(value).expect("valid header");
                request.headers_mut().insert(CONTENT_TYPE, value);
            }
            request
        };
        let json = Some("application/json; charset=utf-8");
        assert!(check_admin_write(&request(Method::POST, "/providers", json)).is_ok());
        assert!(check_admin_write(&request(Method::GET, "/providers", None)).is_ok());
        assert!(check_admin_write(&request(Method::DELETE, "/providers/x", None)).is_ok());
        assert!(check_admin_write(&request(Method::POST, "/v1/messages", None)).is_ok());
        let mut toggle = request(Method::PATCH, "/providers/x/toggle", None);
        toggle.headers_mut().remove(CONTENT_LENGTH);
        assert!(check_admin_write(&toggle).is_ok());
        for (method, path, content_type) in [
            (Method::POST, "/providers", Some("text/plain")),
            (Method::PUT, "/providers/x", None),
            (
                Method::PATCH,
                "/providers/x/toggle",
                Some("application/x-www-form-urlencoded"),
            ),
        ] {
            let error = check_admin_write(&request(method, path, content_type));
            assert_eq!(error.map_err(|e| e.code()), Err("invalid_field"));
        }
    }
}
