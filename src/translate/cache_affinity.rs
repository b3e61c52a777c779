//! What keeps a provider's prompt cache warm across a Claude Code session on translated
//! routes (docs/translation.md, "Prompt caching"): the cache key derived from the session
//! ([`cache_key`]), and the removal of Claude Code's per-request billing line from the
//! system prompt ([`without_billing_line`]).

use super::names::fnv1a;
use crate::wire::anthropic::MessagesRequest;

/// How Claude Code's attribution line begins; Claude Code itself recognises the line by this
/// prefix. Its values (`cc_version`, a per-request hash) change between requests.
pub const BILLING_PREFIX: &str = "x-anthropic-billing-header:";

/// Session ids longer than this are not Claude Code's and are not used.
const MAX_SESSION_LEN: usize = 128;

/// The `prompt_cache_key` of a request: a hash of its session (`header`, Claude Code's
/// `X-Claude-Code-Session-Id`, else the `session_id` inside `metadata.user_id`), so that the
/// requests of one session share a cache bucket, different sessions do not, and the id
/// itself never leaves the machine. `None` when the request names no session.
pub fn cache_key(header: Option<&str>, request: &MessagesRequest) -> Option<String> {
    let session = match header.filter(|id| usable(id)) {
        Some(id) => id.to_string(),
        None => session_of_user_id(request.metadata.as_ref()?.user_id.as_deref()?)?,
    };
    Some(format!("ccproxy-{:016x}", fnv1a(session.as_bytes())))
}

fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_SESSION_LEN
}

/// The session inside `metadata.user_id`: current Claude Code sends a JSON string with a
/// `session_id` member; earlier versions sent `user_<hash>_account_<uuid>_session_<uuid>`.
fn session_of_user_id(user_id: &str) -> Option<String> {
    let session = match serde_json::from_str::<serde_json::Value>(user_id) {
        Ok(value) => value.get("session_id")?.as_str()?.to_string(),
        Err(_) => user_id.rsplit_once("_session_")?.1.to_string(),
    };
    usable(&session).then_some(session)
}

/// `text` without a leading billing line (the whole text when it is only that line).
pub fn without_billing_line(text: &str) -> &str {
    if !text.starts_with(BILLING_PREFIX) {
        return text;
    }
    text.split_once('\n')
        .map_or("", |(_, rest)| rest.trim_start_matches('\n'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(user_id: &str) -> MessagesRequest {
        serde_json::from_value(json!({"model": "m", "max_tokens": 1, "messages": [],
                                      "metadata": {"user_id": user_id}}))
        .expect("request")
    }

    #[test]
    fn the_key_follows_the_session_and_hides_it() {
        let json_id = r#"{"device_id":"d","account_uuid":"","session_id":"5e55-a"}"#;
        let key = cache_key(None, &request(json_id)).expect("a key");
        assert!(key.starts_with("ccproxy-") && !key.contains("5e55"));
        assert_eq!(
            cache_key(Some("5e55-a"), &request("other")),
            Some(key.clone())
        );
        let legacy = "user_abc_account__session_5e55-a";
        assert_eq!(cache_key(None, &request(legacy)), Some(key.clone()));
        let other = r#"{"device_id":"d","session_id":"5e55-b"}"#;
        assert_ne!(cache_key(None, &request(other)), Some(key));
        assert_eq!(cache_key(None, &request("plain-user")), None);
    }

    #[test]
    fn the_billing_line_goes_and_the_rest_stays() {
        let line = "x-anthropic-billing-header: cc_version=2.1.331.abc; cc_entrypoint=cli; cch=1;";
        assert_eq!(without_billing_line(line), "");
        assert_eq!(
            without_billing_line(&format!("{line}\nYou are Claude Code.")),
            "You are Claude Code."
        );
        assert_eq!(
            without_billing_line("You are x-anthropic-billing-header:"),
            "You are x-anthropic-billing-header:"
        );
    }
}
