//! The bodies of call blocks, one reader per format (sources in docs/translation.md). Each
//! reader returns `None` for anything it cannot read completely; the caller then keeps the
//! block as text.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Formats, Kind, TextCall, TextCalls};
use crate::translate::arguments;

/// The calls in a block's `body`, when every one names an offered tool.
pub(super) fn parse(kind: Kind, body: &str, offered: &TextCalls) -> Option<Vec<TextCall>> {
    let formats = offered.formats;
    let trimmed = body.trim();
    let calls = match kind {
        Kind::ToolCall if trimmed.starts_with('{') && formats.contains(Formats::HERMES) => {
            vec![hermes(trimmed)?]
        }
        Kind::ToolCall if trimmed.starts_with("<function=") => {
            if !formats.contains(Formats::QWEN_XML) {
                return None;
            }
            vec![qwen_xml(trimmed, offered)?]
        }
        Kind::ToolCall if formats.contains(Formats::GLM) => vec![glm(trimmed, offered)?],
        Kind::ToolCall => return None,
        Kind::Dsml => dsml(trimmed, offered)?,
        Kind::Kimi => kimi(trimmed)?,
    };
    let known = |call: &TextCall| offered.tools.contains_key(&call.name);
    (!calls.is_empty() && calls.iter().all(known)).then_some(calls)
}

/// `{"name": "Bash", "arguments": {...}}` (`parameters` also accepted; arguments may be a
/// JSON string). Single quotes and the like are repaired.
fn hermes(body: &str) -> Option<TextCall> {
    let Value::Object(mut call) = arguments::repair(body).ok()? else {
        return None;
    };
    let Some(Value::String(name)) = call.remove("name") else {
        return None;
    };
    let arguments = call
        .remove("arguments")
        .or_else(|| call.remove("parameters"));
    let input = match arguments {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(input)) => input,
        Some(Value::String(text)) => match arguments::repair(&text).ok()? {
            Value::Object(input) => input,
            _ => return None,
        },
        Some(_) => return None,
    };
    Some(TextCall { name, input })
}

/// `NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>...` (GLM-4.5, 4.6, 4.7).
fn glm(body: &str, offered: &TextCalls) -> Option<TextCall> {
    let name_end = body.find('<').unwrap_or(body.len());
    let name = body[..name_end].trim();
    let strings = offered.string_params(name)?;
    let mut rest = &body[name_end..];
    let mut input = Map::new();
    while !rest.trim().is_empty() {
        let after = rest.trim_start().strip_prefix("<arg_key>")?;
        let (key, after) = after.split_once("</arg_key>")?;
        let after = after.trim_start().strip_prefix("<arg_value>")?;
        let (raw, after) = after.split_once("</arg_value>")?;
        input.insert(
            key.trim().to_string(),
            value(&strings, key.trim(), raw, None),
        );
        rest = after;
    }
    Some(TextCall {
        name: name.to_string(),
        input,
    })
}

/// `<function=NAME>\n<parameter=K>\nV\n</parameter>\n</function>` (Qwen3-Coder).
fn qwen_xml(body: &str, offered: &TextCalls) -> Option<TextCall> {
    let rest = body.strip_prefix("<function=")?;
    let (name, rest) = rest.split_once('>')?;
    let name = name.trim();
    let strings = offered.string_params(name)?;
    let mut rest = rest.trim_start();
    let mut input = Map::new();
    while let Some(after) = rest.strip_prefix("<parameter=") {
        let (key, after) = after.split_once('>')?;
        let (raw, after) = after.split_once("</parameter>")?;
        let raw = raw.strip_prefix('\n').unwrap_or(raw);
        let raw = raw.strip_suffix('\n').unwrap_or(raw);
        input.insert(
            key.trim().to_string(),
            value(&strings, key.trim(), raw, None),
        );
        rest = after.trim_start();
    }
    if rest.strip_prefix("</function>")?.trim().is_empty() {
        Some(TextCall {
            name: name.to_string(),
            input,
        })
    } else {
        None
    }
}

const DSML_INVOKE: &str = "<｜DSML｜invoke name=\"";
const DSML_INVOKE_END: &str = "</｜DSML｜invoke>";
const DSML_PARAMETER: &str = "<｜DSML｜parameter name=\"";
const DSML_PARAMETER_END: &str = "</｜DSML｜parameter>";

/// `<｜DSML｜invoke name="N">` + `<｜DSML｜parameter name="K" string="true|false">V</…>`…
/// `</｜DSML｜invoke>`, one or more (DeepSeek V3.2 and later). `string="true"` is the text
/// as written, `"false"` JSON.
fn dsml(body: &str, offered: &TextCalls) -> Option<Vec<TextCall>> {
    calls_in(body, |rest| {
        let after = rest.strip_prefix(DSML_INVOKE)?;
        let (name, after) = after.split_once("\">")?;
        let strings = offered.string_params(name)?;
        let (params, after) = after.split_once(DSML_INVOKE_END)?;
        let mut params = params.trim_start();
        let mut input = Map::new();
        while let Some(param) = params.strip_prefix(DSML_PARAMETER) {
            let (key, param) = param.split_once('"')?;
            let (attributes, param) = param.split_once('>')?;
            let (raw, param) = param.split_once(DSML_PARAMETER_END)?;
            let string = if attributes.contains("string=\"true\"") {
                Some(true)
            } else if attributes.contains("string=\"false\"") {
                Some(false)
            } else {
                None
            };
            input.insert(key.to_string(), value(&strings, key, raw, string));
            params = param.trim_start();
        }
        if !params.is_empty() {
            return None;
        }
        let call = TextCall {
            name: name.to_string(),
            input,
        };
        Some((call, after))
    })
}

/// `<|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{JSON}<|tool_call_end|>`,
/// one or more (Kimi K2).
fn kimi(body: &str) -> Option<Vec<TextCall>> {
    calls_in(body, |rest| {
        let after = rest.strip_prefix("<|tool_call_begin|>")?;
        let (id, after) = after.split_once("<|tool_call_argument_begin|>")?;
        let (json, after) = after.split_once("<|tool_call_end|>")?;
        let id = id.trim();
        let id = id.strip_prefix("functions.").unwrap_or(id);
        let name = id.rsplit_once(':').map_or(id, |(name, _)| name);
        let Value::Object(input) = arguments::repair(json).ok()? else {
            return None;
        };
        let call = TextCall {
            name: name.to_string(),
            input,
        };
        Some((call, after))
    })
}

/// The calls of a body that holds one or more, whitespace between: `one` reads the call at
/// the start of what is left and returns it with the rest.
fn calls_in<'a>(
    body: &'a str,
    mut one: impl FnMut(&'a str) -> Option<(TextCall, &'a str)>,
) -> Option<Vec<TextCall>> {
    let mut calls = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (call, after) = one(rest)?;
        calls.push(call);
        rest = after.trim_start();
    }
    Some(calls)
}

/// A parameter value written as text: as is when it is a string (the format says so, or the
/// tool's schema), else JSON when it reads as JSON, else the text.
fn value(strings: &HashSet<String>, key: &str, raw: &str, string: Option<bool>) -> Value {
    if !string.unwrap_or_else(|| strings.contains(key)) {
        if let Ok(value) = serde_json::from_str::<Value>(raw.trim()) {
            return value;
        }
    }
    Value::String(raw.to_string())
}
