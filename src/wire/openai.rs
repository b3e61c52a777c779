//! OpenAI Chat Completions types (https://platform.openai.com/docs/api-reference/chat): the request we send, and the response
//! and stream chunks we read from OpenAI-compatible providers. Readers accept `null` wherever
//! a provider may send it, and the extensions of compatible servers (`reasoning_content`,
//! `reasoning`, vLLM's `stop_reason`, Groq's `x_groq.usage`, DeepSeek's cache counters).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `POST /chat/completions` body. Absent fields are not written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// An extension some servers accept (OpenRouter, Ollama); OpenAI has no `top_k`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The prompt-cache affinity key, where the provider documents one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<&'static str>,
    /// DeepSeek's thinking switch: `{"type": "enabled" | "disabled"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
    /// OpenRouter's reasoning control: `{"effort": ...}` or `{"max_tokens": N}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// Groq: where the reasoning goes (`parsed`: the `reasoning` field; `hidden`: nowhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_format: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

/// One message. `content` is always written: `null` for an assistant message that
/// only calls tools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: Option<Content>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// DeepSeek thinking mode: replayed on assistant turns that called tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
}

impl ChatMessage {
    pub fn new(role: Role, content: Content) -> Self {
        Self {
            role,
            content: Some(content),
            tool_calls: Vec::new(),
            tool_call_id: None,
            reasoning_content: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// A message's content: a string, or parts when there is more than text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    /// A text part with a prompt-cache breakpoint (OpenRouter's Anthropic-style
    /// `cache_control`, https://openrouter.ai/docs/features/prompt-caching).
    #[serde(rename = "text")]
    CachedText {
        text: String,
        cache_control: crate::wire::anthropic::CacheControl,
    },
    ImageUrl {
        image_url: ImageUrl,
    },
    File {
        file: FileData,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileData {
    pub filename: String,
    pub file_data: String,
}

/// A tool definition: `{"type": "function", "function": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionDef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: super::RawJson,
}

/// A tool call, in a request (assistant history) or a non-streaming response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// A JSON text, as the model wrote it (possibly malformed).
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
}

fn function_kind() -> String {
    "function".to_string()
}

/// A non-streaming completion.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub message: ResponseMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// vLLM: the stop string that ended the completion (non-standard).
    #[serde(default)]
    pub stop_reason: Option<Value>,
}

/// What the assistant produced: a whole message (with [`ToolCall`]s) or one stream delta
/// (with [`ToolCallDelta`]s); both carry the same fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Output<T> {
    #[serde(default)]
    pub content: Option<TextContent>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    /// OpenRouter: the reasoning as typed parts (text, summary, encrypted).
    #[serde(default, deserialize_with = "null_default")]
    pub reasoning_details: Vec<ReasoningDetail>,
    #[serde(default, deserialize_with = "null_default")]
    pub tool_calls: Vec<T>,
    #[serde(default)]
    pub refusal: Option<String>,
}

impl<T> Output<T> {
    /// The reasoning carried by this output: `reasoning_content`, else `reasoning`, else the
    /// readable `reasoning_details` (OpenRouter sends `reasoning` and `reasoning_details`
    /// with the same text; the details count only when nothing else came).
    pub fn take_reasoning(&mut self) -> String {
        let plain = [self.reasoning_content.take(), self.reasoning.take()]
            .into_iter()
            .flatten()
            .find(|text| !text.is_empty());
        let details = std::mem::take(&mut self.reasoning_details);
        plain.unwrap_or_else(|| {
            details
                .into_iter()
                .filter_map(ReasoningDetail::text)
                .collect()
        })
    }
}

/// One of OpenRouter's `reasoning_details` (openrouter.ai/docs, "Reasoning Tokens"):
/// `reasoning.text` carries `text`, `reasoning.summary` a `summary`, `reasoning.encrypted`
/// only opaque `data` (not readable, dropped).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReasoningDetail {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

impl ReasoningDetail {
    fn text(self) -> Option<String> {
        match self.kind.as_str() {
            "reasoning.text" => self.text,
            "reasoning.summary" => self.summary,
            _ => None,
        }
    }
}

pub type ResponseMessage = Output<ToolCall>;
pub type Delta = Output<ToolCallDelta>;

/// Response text: a string, or (Mistral) a list of chunks where `thinking` chunks carry
/// the reasoning.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TextContent {
    Text(String),
    Chunks(Vec<ContentChunk>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContentChunk {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thinking: Option<Vec<ContentChunk>>,
}

impl TextContent {
    /// `(thinking, text)` carried by this content.
    pub fn split(self) -> (String, String) {
        match self {
            Self::Text(text) => (String::new(), text),
            Self::Chunks(chunks) => {
                let (mut thinking, mut text) = (String::new(), String::new());
                for chunk in chunks {
                    match chunk.kind.as_str() {
                        "thinking" => chunk
                            .thinking
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c.text)
                            .for_each(|t| thinking.push_str(&t)),
                        _ => text.push_str(chunk.text.as_deref().unwrap_or_default()),
                    }
                }
                (thinking, text)
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CompletionUsage {
    #[serde(default, deserialize_with = "null_default")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub completion_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// DeepSeek reports cache hits here instead of `prompt_tokens_details`.
    #[serde(default)]
    pub prompt_cache_hit_tokens: Option<u64>,
    /// Moonshot (Kimi) reports cache hits here, at the top of `usage`.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_default")]
    pub cached_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub cache_write_tokens: u64,
}

/// One streamed chunk. A chunk with `error` is a failure inside a 200 stream.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
    #[serde(default)]
    pub error: Option<Value>,
    /// Groq puts the usage of the stream here on the last chunk.
    #[serde(default)]
    pub x_groq: Option<GroqExtra>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroqExtra {
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// vLLM: the stop string that ended the completion (non-standard).
    #[serde(default)]
    pub stop_reason: Option<Value>,
    /// Moonshot (Kimi): the usage of a stream, in its last choice rather than the chunk.
    #[serde(default)]
    pub usage: Option<CompletionUsage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolCallDelta {
    #[serde(default)]
    pub index: Option<usize>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<FunctionDelta>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionDelta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

/// Reads `null` as the type's default (providers send `"tool_calls": null` and the like).
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
