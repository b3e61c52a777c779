//! Reading a value written two ways: as a plain string, or in a longer form (an object, or
//! a list). In the config file, a model entry (a model id, or an object with its limits) and
//! a route's targets (`"provider,model"`, or a list of them); in a Messages request, the
//! `system` prompt, a message's `content` and a `tool_result`'s `content` (a string, or a
//! list of blocks). A value of any other shape is refused with what the type expects, so
//! the reader gets one precise message (serde's `untagged` would only say that nothing
//! matched). Unlike `untagged`, the longer form is read straight from the input, without
//! first copying the whole value into an intermediate tree (what made a long conversation's
//! request costly to parse).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// Which JSON shape the longer form takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Long {
    Object,
    List,
}

/// A value written as a plain string or in its longer form [`StringOr::Long`].
pub(crate) trait StringOr: Sized {
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
pub(crate) fn deserialize<'de, T: StringOr, D: Deserializer<'de>>(
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
