//! `GET /ui`: the live dashboard. One self-contained HTML page (inline CSS and script, no
//! CDN, nothing to build) compiled into the binary. It holds no data itself: its script
//! polls `GET /stats`, the same JSON the API serves, and asks for the proxy key only when
//! that answer says one is needed.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("ui/index.html");

/// The page may load nothing from elsewhere and talk only to this proxy.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        PAGE,
    )
}
