//! OpenAI Responses API types (`POST /responses`; field names from the API reference at
//! platform.openai.com/docs/api-reference/responses and openai-python
//! `types/responses/`): the request we send, the response and the stream events we read.
//! Readers tolerate unknown fields; output items, content parts and events we do not
//! translate are read as `Other`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /responses` body. `store` is always `false`: ccproxy keeps no state upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Request {
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub input: Vec<InputItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    pub store: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<&'static str>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_identifier: Option<String>,
}

/// `reasoning`: `effort` (`none` … `xhigh`) and `summary` (`auto`, `concise`, `detailed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasoningConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<&'static str>,
}

/// `text`: the output format (`{"type": "json_schema", "name", "schema", "strict"}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextConfig {
    pub format: Value,
}

/// A function tool. `strict` is always written: an omitted `strict` means strict mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: super::RawJson,
    pub strict: bool,
}

/// One `input` item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    Message {
        role: InputRole,
        content: MessageContent,
    },
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    FunctionCallOutput {
        call_id: String,
        output: CallOutput,
    },
    /// A reasoning item given back (with its encrypted content, since nothing is stored).
    Reasoning {
        id: String,
        summary: Vec<SummaryText>,
        encrypted_content: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    User,
    Assistant,
    Developer,
}

/// A message's content: a string (assistant and developer turns) or parts (user turns).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<InputPart>),
}

/// A `function_call_output`'s `output`: a string, or parts when it carries images.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CallOutput {
    Text(String),
    Parts(Vec<InputPart>),
}

/// A content part of an input message (`input_text`, `input_image`, `input_file`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum InputPart {
    #[serde(rename = "input_text")]
    Text { text: String },
    #[serde(rename = "input_image")]
    Image {
        image_url: String,
        detail: &'static str,
    },
    #[serde(rename = "input_file")]
    File { filename: String, file_data: String },
}

/// A reasoning summary part (`{"type": "summary_text", "text"}`), in and out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryText {
    #[serde(rename = "type", default = "summary_text")]
    pub kind: String,
    #[serde(default)]
    pub text: String,
}

fn summary_text() -> String {
    "summary_text".to_string()
}

impl SummaryText {
    pub fn new(text: String) -> Self {
        Self {
            kind: summary_text(),
            text,
        }
    }
}

/// The response object (non-streamed, and inside the lifecycle events).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub model: Option<String>,
    /// `completed`, `incomplete`, `failed`, `in_progress`, ...
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub output: Vec<OutputItem>,
    #[serde(default)]
    pub usage: Option<ResponseUsage>,
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
    #[serde(default)]
    pub error: Option<ErrorObject>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens` or `content_filter`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The `error` of a failed response, and the body of an `error` stream event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorObject {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// One `output` item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Message {
        #[serde(default)]
        content: Vec<OutputContent>,
    },
    FunctionCall {
        #[serde(default)]
        call_id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        arguments: String,
    },
    Reasoning {
        #[serde(default)]
        id: String,
        #[serde(default)]
        summary: Vec<SummaryText>,
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    /// Built-in tool calls and items newer than this reader.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputContent {
    OutputText {
        #[serde(default)]
        text: String,
    },
    Refusal {
        #[serde(default)]
        refusal: String,
    },
    #[serde(other)]
    Other,
}

/// `usage`: `input_tokens` includes the cached ones; `output_tokens` includes reasoning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ResponseUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct InputTokensDetails {
    #[serde(default)]
    pub cached_tokens: u64,
}

/// One streamed event (the SSE `data:` payload; its `type` equals the `event:` name).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum StreamEvent {
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        output_index: usize,
        item: OutputItem,
    },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        output_index: usize,
        item: OutputItem,
    },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta { output_index: usize, delta: String },
    #[serde(rename = "response.refusal.delta")]
    RefusalDelta { output_index: usize, delta: String },
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta { output_index: usize, delta: String },
    #[serde(rename = "response.function_call_arguments.done")]
    ArgumentsDone {
        output_index: usize,
        #[serde(default)]
        arguments: String,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    SummaryDelta {
        output_index: usize,
        #[serde(default)]
        summary_index: usize,
        delta: String,
    },
    #[serde(rename = "response.completed")]
    Completed { response: Response },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Response },
    #[serde(rename = "response.failed")]
    Failed { response: Response },
    #[serde(rename = "error")]
    Error {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    /// `response.created`, `response.in_progress`, `*.done` duplicates, part events, ...
    #[serde(other)]
    Other,
}

/// `POST /responses/input_tokens` body: the fields of a request that make up its input
/// (openai-python `types/responses/input_token_count_params.py`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputTokensRequest<'a> {
    pub model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<&'a str>,
    pub input: &'a [InputItem],
    #[serde(skip_serializing_if = "<[Tool]>::is_empty")]
    pub tools: &'a [Tool],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<&'a ReasoningConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a TextConfig>,
}

impl<'a> From<&'a Request> for InputTokensRequest<'a> {
    fn from(request: &'a Request) -> Self {
        Self {
            model: &request.model,
            instructions: request.instructions.as_deref(),
            input: &request.input,
            tools: &request.tools,
            tool_choice: request.tool_choice.as_ref(),
            parallel_tool_calls: request.parallel_tool_calls,
            reasoning: request.reasoning.as_ref(),
            text: request.text.as_ref(),
        }
    }
}

/// `POST /responses/input_tokens` answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InputTokens {
    pub input_tokens: u64,
}
