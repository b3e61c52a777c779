//! Serde types for each API we speak, and nothing else: no logic, no I/O. Readers are
//! tolerant (unknown fields are ignored, unknown block types kept as opaque values);
//! writers emit exactly the documented shape.

pub mod anthropic;
pub(crate) mod gemini;
pub(crate) mod openai;
mod raw_json;
pub(crate) mod responses;

pub use raw_json::RawJson;
