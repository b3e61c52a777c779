//! The Anthropic pass-through body (docs/providers.md, "Anthropic pass-through"): the client's bytes go upstream as they
//! are, unless routing or a foreign history requires a change. Pure; never re-serialises what
//! it does not change.
//!
//! How a change is made: the body is read as its top-level members, each kept as raw JSON
//! text ([`RawValue`]). A different target model replaces only the `model` member; a history
//! that went through another provider has only its `messages` member parsed, cleaned and
//! written again. Every other member (system prompt, tools, metadata, fields newer than this
//! code) keeps its exact bytes. Top-level members may come out in another order, which JSON
//! objects do not care about.
//!
//! Routing may edit the system texts (it removes a sub-agent tag); then the texts of the
//! `system` member and of role-`system` messages are taken from the parsed request, the rest
//! of those members (cache_control, block types) staying as the client wrote it.
//!
//! Cleaning: thinking blocks with an empty signature or one we made
//! ([`PROXY_SIGNATURE_PREFIX`]) are dropped, since Anthropic rejects signatures it did not
//! issue; tool ids outside `^[a-zA-Z0-9_-]+$` are mapped character by character (the same way
//! in `tool_use.id` and `tool_result.tool_use_id`, so pairs stay paired); blank text blocks
//! are dropped; a message left with no content is dropped (Anthropic merges the consecutive
//! turns that may leave).

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::Value;

use super::names;
use crate::wire::anthropic::{ContentBlock, MessageContent, MessagesRequest, Role, SystemPrompt};

/// Every thinking signature ccproxy writes starts with this; no Anthropic signature does.
pub const PROXY_SIGNATURE_PREFIX: &str = "ccproxy:";

/// The body to forward for `model`: `None` when the client's bytes can go unchanged.
/// `texts_edited` says that routing changed system texts in `request`.
pub fn body(
    raw: &[u8],
    request: &MessagesRequest,
    model: &str,
    texts_edited: bool,
) -> Result<Option<Vec<u8>>, serde_json::Error> {
    let new_model = request.model != model;
    let clean = needs_cleaning(request);
    if !new_model && !clean && !texts_edited {
        return Ok(None);
    }
    // Owned keys: a key written with escapes (`"a\u0062"`) cannot borrow from `raw`.
    let mut members: BTreeMap<String, &RawValue> = serde_json::from_slice(raw)?;
    let model_json = serde_json::value::to_raw_value(model)?;
    if new_model {
        members.insert("model".into(), &model_json);
    }
    let (system_json, messages_json);
    if texts_edited {
        if let (Some(system), Some(parsed)) = (members.get("system"), &request.system) {
            let mut system: Value = serde_json::from_str(system.get())?;
            copy_system_texts(&mut system, parsed);
            system_json = serde_json::value::to_raw_value(&system)?;
            members.insert("system".into(), &system_json);
        }
    }
    if clean || texts_edited {
        if let Some(messages) = members.get("messages") {
            let mut messages: Value = serde_json::from_str(messages.get())?;
            if texts_edited {
                copy_message_texts(&mut messages, request);
            }
            if clean {
                clean_messages(&mut messages);
            }
            messages_json = serde_json::value::to_raw_value(&messages)?;
            members.insert("messages".into(), &messages_json);
        }
    }
    serde_json::to_vec(&members).map(Some)
}

/// The `system` texts of `parsed` written into the client's `system` (same blocks, same
/// order: the parsed list keeps every block).
fn copy_system_texts(system: &mut Value, parsed: &SystemPrompt) {
    match (system, parsed) {
        (Value::String(text), SystemPrompt::Text(new)) => new.clone_into(text),
        (Value::Array(blocks), SystemPrompt::Blocks(new)) => {
            for (block, new) in blocks.iter_mut().zip(new) {
                if block.get("text").is_some() {
                    block["text"] = Value::String(new.text.clone());
                }
            }
        }
        _ => {}
    }
}

/// The texts of role-`system` messages of `request` written into the client's messages.
fn copy_message_texts(messages: &mut Value, request: &MessagesRequest) {
    let Some(list) = messages.as_array_mut() else {
        return;
    };
    for (message, parsed) in list.iter_mut().zip(&request.messages) {
        if parsed.role != Role::System {
            continue;
        }
        match (message.get_mut("content"), &parsed.content) {
            (Some(content @ Value::String(_)), MessageContent::Text(text)) => {
                *content = Value::String(text.clone());
            }
            (Some(Value::Array(blocks)), MessageContent::Blocks(new)) => {
                for (block, new) in blocks.iter_mut().zip(new) {
                    if let ContentBlock::Text { text, .. } = new {
                        block["text"] = Value::String(text.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether anything in the history needs [`clean_messages`]; a scan of the parsed request,
/// so the common case (a history Anthropic wrote) costs no JSON work at all.
fn needs_cleaning(request: &MessagesRequest) -> bool {
    request.messages.iter().any(|message| {
        let MessageContent::Blocks(blocks) = &message.content else {
            return false;
        };
        blocks.iter().any(|block| match block {
            ContentBlock::Thinking { signature, .. } => foreign_signature(signature),
            ContentBlock::Text { text, .. } => text.trim().is_empty(),
            ContentBlock::ToolUse { id, .. } => !names::is_legal(id),
            ContentBlock::ToolResult { tool_use_id, .. } => !names::is_legal(tool_use_id),
            _ => false,
        })
    })
}

fn foreign_signature(signature: &str) -> bool {
    signature.is_empty() || signature.starts_with(PROXY_SIGNATURE_PREFIX)
}

fn clean_messages(messages: &mut Value) {
    let Some(list) = messages.as_array_mut() else {
        return;
    };
    for message in list.iter_mut() {
        if let Some(blocks) = message.get_mut("content").and_then(Value::as_array_mut) {
            blocks.retain_mut(keep_block);
        }
    }
    list.retain(|message| {
        message
            .get("content")
            .and_then(Value::as_array)
            .is_none_or(|blocks| !blocks.is_empty())
    });
}

/// Cleans one block; false drops it.
fn keep_block(block: &mut Value) -> bool {
    let text = |key: &str, block: &Value| {
        block
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match block.get("type").and_then(Value::as_str) {
        Some("thinking") => !foreign_signature(&text("signature", block)),
        Some("text") => !text("text", block).trim().is_empty(),
        Some("tool_use") => {
            let id = names::tool_id(&text("id", block));
            block["id"] = Value::String(id);
            true
        }
        Some("tool_result") => {
            let id = names::tool_id(&text("tool_use_id", block));
            block["tool_use_id"] = Value::String(id);
            true
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(body: &Value) -> MessagesRequest {
        serde_json::from_value(body.clone()).expect("a Messages request")
    }

    fn rewrite(body: &Value, model: &str) -> Option<Value> {
        let raw = serde_json::to_vec(body).expect("json");
        body_of(&raw, body, model)
    }

    fn body_of(raw: &[u8], body: &Value, model: &str) -> Option<Value> {
        let out = super::body(raw, &parsed(body), model, false).expect("rewritable");
        out.map(|bytes| serde_json::from_slice(&bytes).expect("JSON out"))
    }

    #[test]
    fn an_anthropic_history_for_the_same_model_is_not_touched() {
        let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": "EqQBCkYIBxgCKkA"},
                {"type": "tool_use", "id": "toolu_01A", "name": "Bash", "input": {}}]}]});
        assert_eq!(rewrite(&body, "claude-sonnet-4-5"), None);
    }

    #[test]
    fn a_new_model_replaces_only_the_model_member_and_keeps_the_other_bytes() {
        // Odd spacing and key order inside members must survive byte for byte.
        let raw = br#"{"model":"claude-x","system":[{"text":"S",  "type":"text","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}],"future_field":{"b":1,"a":2}}"#;
        let body: Value = serde_json::from_slice(raw).expect("json");
        let out = super::body(raw, &parsed(&body), "claude-opus-4-1", false)
            .expect("rewritable")
            .expect("rewritten");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(
            r#""system":[{"text":"S",  "type":"text","cache_control":{"type":"ephemeral"}}]"#
        ));
        assert!(text.contains(r#""future_field":{"b":1,"a":2}"#));
        let mut expected = body;
        expected["model"] = json!("claude-opus-4-1");
        assert_eq!(
            serde_json::from_str::<Value>(&text).expect("json"),
            expected
        );
    }

    #[test]
    fn foreign_thinking_blank_text_and_illegal_ids_are_cleaned() {
        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "go"}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "from deepseek", "signature": "ccproxy:reasoning"},
                {"type": "thinking", "thinking": "unsigned", "signature": ""},
                {"type": "thinking", "thinking": "real", "signature": "EqQB"},
                {"type": "text", "text": "  "},
                {"type": "tool_use", "id": "functions.Bash:0", "name": "Bash", "input": {"c": 1}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "functions.Bash:0", "content": "ok"}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "only", "signature": "ccproxy:gemini:abc"}]}]});
        let out = rewrite(&body, "m").expect("cleaned");
        assert_eq!(
            out["messages"],
            json!([
                {"role": "user", "content": [{"type": "text", "text": "go"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "real", "signature": "EqQB"},
                    {"type": "tool_use", "id": "functions_Bash_0", "name": "Bash", "input": {"c": 1}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "functions_Bash_0", "content": "ok"}]}])
        );
        assert_eq!(out["model"], "m");
    }

    #[test]
    fn texts_edited_by_routing_replace_the_clients_and_keep_cache_control() {
        let body = json!({"model": "m", "system": [
                {"type": "text", "text": "A <TAG>x</TAG> B", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "hi"},
                         {"role": "system", "content": "<TAG>y</TAG> guidance"}]});
        let raw = serde_json::to_vec(&body).expect("json");
        let mut request = parsed(&body);
        if let Some(SystemPrompt::Blocks(blocks)) = &mut request.system {
            blocks[0].text = "A  B".into();
        }
        request.messages[1].content = MessageContent::Text(" guidance".into());
        let out = super::body(&raw, &request, "m", true)
            .expect("rewritable")
            .expect("rewritten");
        let out: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            out["system"],
            json!([{"type": "text", "text": "A  B", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(out["messages"][1]["content"], " guidance");
        assert_eq!(out["messages"][0], body["messages"][0]);
    }

    #[test]
    fn a_top_level_key_written_with_escapes_is_kept() {
        let raw =
            br#"{"model":"claude-x","messages":[{"role":"user","content":"hi"}],"x\u0041\"y":1}"#;
        let body: Value = serde_json::from_slice(raw).expect("json");
        let out = super::body(raw, &parsed(&body), "claude-opus-4-1", false)
            .expect("rewritable")
            .expect("rewritten");
        let out: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            out,
            json!({"model": "claude-opus-4-1", "messages": [{"role": "user", "content": "hi"}],
                   "xA\"y": 1})
        );
    }
}
