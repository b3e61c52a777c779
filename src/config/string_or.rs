//! Reading a config value the file may write two ways: as a plain string, or in a longer
//! form (an object, or a list). [`ModelEntry`](super::ModelEntry) (a model id, or an object
//! with its limits) and a route's raw targets (`"provider,model"`, or a list of them) read
//! through here. A value of any other shape is refused with what the type expects, so a
//! user reads one precise message (serde's `untagged` would only say that nothing matched).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// Which JSON shape the longer form takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Long {
    Object,
    List,
}

/// A value written as a plain string or in its longer form [`StringOr::Long`].
pub(super) trait StringOr: Sized {
    /// The longer form, as serde reads it.
    type Long: DeserializeOwned;
    /// Its JSON shape: the other shape is refused.
    const SHAPE: Long;
    /// What the file may write here, for the message about a value of the wrong shape.
    const EXPECTING: &'static str;

    fn from_text(text: &str) -> Self;
    fn from_long(long: Self::Long) -> Self;
}

/// Reads a `T` written either way.
pub(super) fn deserialize<'de, T: StringOr, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_any(Either(PhantomData))
}

struct Either<T>(PhantomData<T>);

impl<'de, T: StringOr> Visitor<'de> for Either<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::from_text(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        if T::SHAPE != Long::Object {
            return Err(de::Error::invalid_type(Unexpected::Map, &self));
        }
        T::Long::deserialize(MapAccessDeserializer::new(map)).map(T::from_long)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        if T::SHAPE != Long::List {
            return Err(de::Error::invalid_type(Unexpected::Seq, &self));
        }
        T::Long::deserialize(SeqAccessDeserializer::new(seq)).map(T::from_long)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::raw::RawTargets;
    use super::super::ModelEntry;

    fn refusal<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        value: serde_json::Value,
    ) -> String {
        serde_json::from_value::<T>(value)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn each_type_reads_its_own_two_forms() {
        let targets: RawTargets = serde_json::from_value(json!(["p,m", null])).expect("list");
        assert_eq!(targets, RawTargets::Many(vec![Some("p,m".into()), None]));
        let one: RawTargets = serde_json::from_value(json!("p,m")).expect("text");
        assert_eq!(one, RawTargets::One("p,m".into()));
        let entry: ModelEntry = serde_json::from_value(json!({"id": " q "})).expect("object");
        assert_eq!(entry, ModelEntry::id("q"));
    }

    #[test]
    fn the_other_long_form_is_refused_with_what_the_type_expects() {
        let targets = "\"provider,model\" or a non-empty list of them";
        assert_eq!(
            refusal::<RawTargets>(json!({"id": "p,m"})),
            format!("invalid type: map, expected {targets}")
        );
        assert_eq!(
            refusal::<RawTargets>(json!(5)),
            format!("invalid type: integer `5`, expected {targets}")
        );
        let entry =
            "a model name, or {\"id\": .., \"context_window\": .., \"max_output_tokens\": ..}";
        assert_eq!(
            refusal::<ModelEntry>(json!(["q", 5])),
            format!("invalid type: sequence, expected {entry}")
        );
        assert_eq!(
            refusal::<ModelEntry>(json!(true)),
            format!("invalid type: boolean `true`, expected {entry}")
        );
    }
}
