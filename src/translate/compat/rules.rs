//! The rules of each [`Profile`], applied to a pass-through body already prepared for the
//! target (model set, foreign history cleaned). `anthropic` changes nothing; every other
//! profile gets the generic rules, then its own.
//!
//! Generic: the top-level fields only Anthropic serves (`context_management`, `speed`,
//! `container`, `mcp_servers`) are removed; tools lose their deferred-loading marker
//! (`defer_loading`); `tool_reference` blocks (tool search results) become text naming the
//! tool; of `anthropic-beta` only the profile's own betas go on (none so far).
//! On top: `kimi` keeps at most [`KIMI_MAX_TOOLS`] tools; `glm` never sends
//! `thinking: {"type": "disabled"}`; `deepseek` never sends a `tool_choice` naming a server
//! tool; `minimax` sends images and documents as a text note; `qwen` sends no `thinking` to
//! its Coder models; for the models that always think (`kimi` K3, `deepseek`'s reasoner),
//! `thinking: {"type": "disabled"}` becomes `output_config.effort: "low"`.

use serde_json::{Map, Value};

use super::Profile;

/// The most tools Kimi's API takes in one request.
pub const KIMI_MAX_TOOLS: usize = 128;

/// Top-level request fields only Anthropic serves.
const ANTHROPIC_ONLY_FIELDS: [&str; 4] =
    ["context_management", "speed", "container", "mcp_servers"];

/// The body to send to a host of `profile`: `None` when `body` can go as it is.
pub fn apply(profile: Profile, body: &[u8]) -> Result<Option<Vec<u8>>, serde_json::Error> {
    if profile == Profile::Anthropic {
        return Ok(None);
    }
    let mut request: Map<String, Value> = serde_json::from_slice(body)?;
    let mut changed = generic(&mut request);
    changed |= match profile {
        Profile::Kimi => {
            cap_tools(&mut request, KIMI_MAX_TOOLS)
                | lowest_effort_when_thinking_is_off(&mut request, "kimi-k3")
        }
        Profile::Glm => no_disabled_thinking(&mut request),
        Profile::DeepSeek => {
            no_server_tool_choice(&mut request)
                | lowest_effort_when_thinking_is_off(&mut request, "reasoner")
        }
        Profile::MiniMax => media_as_text(&mut request),
        Profile::Qwen => no_thinking_for_coder(&mut request),
        Profile::Generic | Profile::OpenRouter | Profile::Anthropic => false,
    };
    if !changed {
        return Ok(None);
    }
    serde_json::to_vec(&request).map(Some)
}

/// The `anthropic-beta` value to send to a host of `profile`, from the client's: `None`
/// when no beta is left.
pub fn betas(profile: Profile, client: &str) -> Option<String> {
    let kept: Vec<&str> = client
        .split(',')
        .map(str::trim)
        .filter(|beta| !beta.is_empty() && allowed_beta(profile, beta))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

/// Anthropic takes every beta; the other hosts document none they accept.
fn allowed_beta(profile: Profile, _beta: &str) -> bool {
    profile == Profile::Anthropic
}

fn generic(request: &mut Map<String, Value>) -> bool {
    let mut changed = false;
    for field in ANTHROPIC_ONLY_FIELDS {
        changed |= request.remove(field).is_some();
    }
    if let Some(Value::Array(tools)) = request.get_mut("tools") {
        for tool in tools.iter_mut().filter_map(Value::as_object_mut) {
            changed |= tool.remove("defer_loading").is_some();
        }
    }
    changed | for_each_block(request, &mut tool_reference_as_text)
}

/// Calls `edit` on every content block of every message, and on the blocks inside
/// `tool_result` contents; true if any call changed its block.
fn for_each_block(
    request: &mut Map<String, Value>,
    edit: &mut dyn FnMut(&mut Map<String, Value>) -> bool,
) -> bool {
    let Some(Value::Array(messages)) = request.get_mut("messages") else {
        return false;
    };
    let mut changed = false;
    for message in messages.iter_mut() {
        let Some(Value::Array(blocks)) = message.get_mut("content") else {
            continue;
        };
        for block in blocks.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Array(inner)) = block.get_mut("content") {
                for inner in inner.iter_mut().filter_map(Value::as_object_mut) {
                    changed |= edit(inner);
                }
            }
            changed |= edit(block);
        }
    }
    changed
}

/// A block as text: `{"type": "text", "text": text}`.
fn make_text(block: &mut Map<String, Value>, text: String) {
    block.clear();
    block.insert("type".into(), Value::from("text"));
    block.insert("text".into(), Value::from(text));
}

fn block_type(block: &Map<String, Value>) -> &str {
    block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn tool_reference_as_text(block: &mut Map<String, Value>) -> bool {
    if block_type(block) != "tool_reference" {
        return false;
    }
    let name = block
        .get("tool_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    make_text(block, format!("Tool available: {name}"));
    true
}

fn cap_tools(request: &mut Map<String, Value>, cap: usize) -> bool {
    match request.get_mut("tools") {
        Some(Value::Array(tools)) if tools.len() > cap => {
            tools.truncate(cap);
            true
        }
        _ => false,
    }
}

fn thinking_disabled(request: &Map<String, Value>) -> bool {
    request
        .get("thinking")
        .and_then(|thinking| thinking.get("type"))
        .and_then(Value::as_str)
        == Some("disabled")
}

fn no_disabled_thinking(request: &mut Map<String, Value>) -> bool {
    thinking_disabled(request) && request.remove("thinking").is_some()
}

/// A model of `family` always thinks and refuses `thinking: disabled`: it is removed and
/// `output_config.effort` set to `low`, the lowest effort the host takes.
fn lowest_effort_when_thinking_is_off(request: &mut Map<String, Value>, family: &str) -> bool {
    let of_family = request
        .get("model")
        .and_then(Value::as_str)
        .is_some_and(|model| model.to_ascii_lowercase().contains(family));
    if !of_family || !no_disabled_thinking(request) {
        return false;
    }
    let config = request
        .entry("output_config")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(config) = config.as_object_mut() {
        config.insert("effort".into(), Value::from("low"));
    }
    true
}

/// A `tool_choice` of type `tool` whose tool is a server tool (one with a `type` other
/// than `custom`) is removed: the host then chooses (`auto`).
fn no_server_tool_choice(request: &mut Map<String, Value>) -> bool {
    let Some(name) = request
        .get("tool_choice")
        .filter(|choice| choice.get("type").and_then(Value::as_str) == Some("tool"))
        .and_then(|choice| choice.get("name"))
        .and_then(Value::as_str)
    else {
        return false;
    };
    let server_tool = request
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|tool| tool.get("name").and_then(Value::as_str) == Some(name))
        .any(|tool| {
            tool.get("type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind != "custom")
        });
    server_tool && request.remove("tool_choice").is_some()
}

fn media_as_text(request: &mut Map<String, Value>) -> bool {
    for_each_block(request, &mut |block| {
        let what = match block_type(block) {
            "image" => "an image",
            "document" => "a document",
            _ => return false,
        };
        make_text(
            block,
            format!("[{what} was left out: this model reads text only]"),
        );
        true
    })
}

fn no_thinking_for_coder(request: &mut Map<String, Value>) -> bool {
    let coder = request
        .get("model")
        .and_then(Value::as_str)
        .is_some_and(|model| model.contains("coder"));
    coder && request.remove("thinking").is_some()
}
