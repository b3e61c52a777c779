//! What each Claude Code session's last request was routed to, so `ccproxy statusline`
//! can show it. Claude Code names its session in the `X-Claude-Code-Session-Id` header
//! (docs/claude-code-offline.md). The map is bounded: the oldest session is forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;

use super::AppState;
use crate::config::Target;
use crate::report::{SessionReport, SessionRequest};
use crate::router::Rule;

/// The header Claude Code sends with every request of a session.
pub const SESSION_HEADER: &str = "x-claude-code-session-id";
/// How many sessions are remembered; more than anyone runs at once.
const CAPACITY: usize = 256;
/// Session ids longer than this are not remembered (they are not Claude Code's UUIDs).
const MAX_ID_LEN: usize = 128;

/// The last request of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LastRequest {
    rule: &'static str,
    provider: String,
    model: String,
    at: Duration,
    requests: u64,
}

#[derive(Debug, Default)]
struct Inner {
    last: HashMap<String, LastRequest>,
    order: VecDeque<String>,
}

/// The bounded map from session id to its last request.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<Inner>);

impl Sessions {
    /// Remembers where a request of the session named in `headers` went (if it names one).
    pub fn record(&self, headers: &HeaderMap, target: &Target, rule: Rule) {
        let Some(id) = headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN)
        else {
            return;
        };
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let Ok(mut inner) = self.0.lock() else {
            return;
        };
        let requests = inner.last.get(id).map_or(0, |last| last.requests) + 1;
        let entry = LastRequest {
            rule: rule.as_str(),
            provider: target.provider.clone(),
            model: target.model.clone(),
            at,
            requests,
        };
        if inner.last.insert(id.to_string(), entry).is_none() {
            inner.order.push_back(id.to_string());
            if inner.order.len() > CAPACITY {
                if let Some(oldest) = inner.order.pop_front() {
                    inner.last.remove(&oldest);
                }
            }
        }
    }

    fn get(&self, id: &str) -> Option<LastRequest> {
        self.0.lock().ok()?.last.get(id).cloned()
    }
}

/// `GET /status/session/{id}`: the session's last request, or `"last_request": null`.
pub async fn last_request(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Json<SessionReport> {
    let last_request = state.sessions.get(&id).map(|last| SessionRequest {
        route: last.rule.to_string(),
        provider: last.provider,
        model: last.model,
        at_unix_seconds: last.at.as_secs(),
        requests: last.requests,
    });
    Json(SessionReport {
        session_id: id,
        last_request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn session(id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SESSION_HEADER, HeaderValue::from_str(id).expect("header"));
        headers
    }

    fn target(model: &str) -> Target {
        Target {
            provider: "groq".into(),
            model: model.into(),
        }
    }

    #[test]
    fn remembers_the_last_request_per_session() {
        let sessions = Sessions::default();
        sessions.record(&session("a"), &target("m1"), Rule::Default);
        sessions.record(&session("a"), &target("m2"), Rule::Explicit);
        sessions.record(&HeaderMap::new(), &target("m3"), Rule::Default);
        let last = sessions.get("a").expect("session a");
        assert_eq!(
            (last.model.as_str(), last.rule, last.requests),
            ("m2", "explicit", 2)
        );
        assert!(sessions.get("b").is_none());
    }

    #[test]
    fn forgets_the_oldest_session_beyond_capacity() {
        let sessions = Sessions::default();
        for i in 0..=CAPACITY {
            sessions.record(&session(&format!("s{i}")), &target("m"), Rule::Default);
        }
        assert!(sessions.get("s0").is_none());
        assert!(sessions.get(&format!("s{CAPACITY}")).is_some());
    }
}
