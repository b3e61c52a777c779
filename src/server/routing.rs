//! Routing on the request path. [`router::route`] is pure and cheap; when its byte bound
//! cannot place the input against the long-context threshold, the exact count it needs is
//! taken here on the blocking pool, so tokenising (150 ms for the first count, then
//! milliseconds per request) never holds an async worker.

use crate::config::Config;
use crate::error::ProxyError;
use crate::router::{self, Decision};
use crate::tokens;
use crate::wire::anthropic::MessagesRequest;

/// [`router::route`], with the exact token count computed first when the router needs it.
pub async fn route(config: &Config, request: &mut MessagesRequest) -> Result<Decision, ProxyError> {
    let exact = if router::needs_exact_count(config, request) {
        // Only requests near the threshold come here; the clone costs far less than the count.
        Some(count(request.clone()).await?)
    } else {
        None
    };
    router::route(config, request, exact)
}

/// The exact local count of `request`'s input tokens, taken on the blocking pool.
pub async fn count(request: MessagesRequest) -> Result<u64, ProxyError> {
    tokio::task::spawn_blocking(move || tokens::count(&request))
        .await
        .map_err(|e| ProxyError::Internal {
            message: format!("token counting failed: {e}"),
        })
}
