//! [`RawJson`]: a JSON value ccproxy passes on without reading it, kept as its text. A tool's
//! schema is the large opaque part of a coding agent's request (tens of kilobytes on every
//! turn); held as text it is neither built into a tree of maps when the request is read,
//! nor copied, nor written out again piece by piece when the translated request is. The
//! text is shared (`Arc`): the translated request and the text-call context each hold the
//! schema of every tool, and a clone is a count, not a copy of tens of kilobytes.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// A JSON value as its (valid, compact or not) text.
#[derive(Debug, Clone)]
pub struct RawJson(Arc<RawValue>);

impl Default for RawJson {
    /// `null`.
    fn default() -> Self {
        Self(Box::<RawValue>::default().into())
    }
}

impl RawJson {
    /// The value's text, as the client wrote it.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The value read as a tree, for the few places that look inside (Gemini's schema
    /// cleaning, the Responses strict-mode check).
    pub fn value(&self) -> Value {
        serde_json::from_str(self.text()).unwrap_or_default()
    }

    /// Reads the parts of the value that `T` names (the rest is skipped, not built).
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(self.text()).ok()
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        Self(
            serde_json::value::to_raw_value(value)
                .unwrap_or_default()
                .into(),
        )
    }
}

impl PartialEq for RawJson {
    /// The same text (two spellings of one value differ).
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Eq for RawJson {}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(|text| Self(text.into()))
    }
}
