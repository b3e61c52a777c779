//! `GET /ui`: the live dashboard. One self-contained HTML page (inline CSS and script, no
//! CDN, nothing to build) compiled into the binary. It holds no data itself: its script
//! polls `GET /stats`, the same JSON the API serves, and asks for the proxy key only when
//! that answer says one is needed. The page is kept in parts under `ui/` (the markup and
//! styles, then the script in files by job) and joined here at compile time.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = concat!(
    include_str!("ui/index.html"),
    "<script>\n",
    include_str!("ui/format.js"),
    include_str!("ui/tables.js"),
    include_str!("ui/charts.js"),
    include_str!("ui/poll.js"),
    "</script>\n</body>\n</html>\n",
);

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
