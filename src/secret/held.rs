//! The secrets this process holds (every provider key and the proxy key of each running
//! server's configuration), and redacting text by them: whatever a key looks like (short,
//! base64 with `+/=`, `id.secret`), the value itself is never passed on. [`super::scrub`]
//! applies it to every upstream text it cleans; the Anthropic pass-through applies
//! [`Redactor`] to the bytes it relays, however they are split.
//!
//! The registry is process-wide because the sinks are (logs, the statistics, every
//! response): each server registers its configuration's secrets through a [`Holding`],
//! replaces them when its configuration changes, and removes them when it stops.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::{mask, Secret};

/// Held values shorter than this are not redacted: too short to tell from ordinary words.
const MIN_SECRET_CHARS: usize = 6;
/// A part of a key (split at `.`, `:` or `_`) is redacted on its own from this length.
const MIN_PART_CHARS: usize = 8;
/// Below this length a held value is replaced by `…` alone; from it, by its mask.
const MASKED_FROM_CHARS: usize = 20;

/// Every server's secrets, by [`Holding`] id.
static HELD: RwLock<Vec<(u64, Arc<Needles>)>> = RwLock::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What to look for and what to put instead, longest first (so a whole key is replaced
/// before any part of it).
#[derive(Debug, Default)]
struct Needles(Vec<(String, String)>);

impl Needles {
    fn of<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut needles: Vec<(String, String)> = Vec::new();
        let mut add = |value: &str| {
            if value.chars().count() >= MIN_SECRET_CHARS
                && needles.iter().all(|(known, _)| known != value)
            {
                needles.push((value.to_string(), replacement(value)));
            }
        };
        for secret in secrets {
            let value = secret.expose();
            add(value);
            let parts = value.split(['.', ':', '_']);
            for part in parts.filter(|part| part.len() < value.len()) {
                if part.chars().count() >= MIN_PART_CHARS {
                    add(part);
                }
            }
        }
        needles.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Self(needles)
    }
}

fn replacement(value: &str) -> String {
    if value.chars().count() >= MASKED_FROM_CHARS {
        mask(value)
    } else {
        "…".to_string()
    }
}

/// A server's entry in the registry: [`Holding::hold`] replaces its secrets; dropping it
/// removes them.
#[derive(Debug)]
pub struct Holding {
    id: u64,
}

impl Holding {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let holding = Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        };
        holding.hold(secrets);
        holding
    }

    /// The secrets this server holds from now on (its configuration changed).
    pub fn hold<'a>(&self, secrets: impl IntoIterator<Item = &'a Secret>) {
        let needles = Arc::new(Needles::of(secrets));
        let mut held = HELD.write().unwrap_or_else(PoisonError::into_inner);
        match held.iter_mut().find(|(id, _)| *id == self.id) {
            Some(entry) => entry.1 = needles,
            None => held.push((self.id, needles)),
        }
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        let mut held = HELD.write().unwrap_or_else(PoisonError::into_inner);
        held.retain(|(id, _)| *id != self.id);
    }
}

/// Replaces every held secret (and long part of one) in `text`.
pub(super) fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for needles in snapshot() {
        for (value, instead) in &needles.0 {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), instead);
            }
        }
    }
    out
}

fn snapshot() -> Vec<Arc<Needles>> {
    let held = HELD.read().unwrap_or_else(PoisonError::into_inner);
    held.iter().map(|(_, needles)| needles.clone()).collect()
}

/// Redacts held secrets from a byte stream relayed chunk by chunk: a chunk that ends with
/// the start of a secret keeps that tail back until the next chunk shows whether the
/// secret follows ([`Redactor::finish`] gives it at the end).
#[derive(Debug)]
pub struct Redactor {
    needles: Vec<Arc<Needles>>,
    kept: Vec<u8>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// A redactor for the secrets held now.
    pub fn new() -> Self {
        Self {
            needles: snapshot(),
            kept: Vec::new(),
        }
    }

    /// The bytes of `chunk` that can be passed on, redacted.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.kept);
        bytes.extend_from_slice(chunk);
        for (value, instead) in self.needles.iter().flat_map(|n| n.0.iter()) {
            bytes = replace_all(&bytes, value.as_bytes(), instead.as_bytes());
        }
        let keep = self.partial_tail(&bytes);
        self.kept = bytes.split_off(bytes.len() - keep);
        bytes
    }

    /// The bytes kept back at the end of the stream (no secret followed them).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.kept)
    }

    /// The length of the longest tail of `bytes` that is the start of a secret.
    fn partial_tail(&self, bytes: &[u8]) -> usize {
        let needles = self.needles.iter().flat_map(|n| n.0.iter());
        needles
            .map(|(value, _)| {
                let value = value.as_bytes();
                let longest = (value.len() - 1).min(bytes.len());
                (1..=longest)
                    .rev()
                    .find(|&n| bytes.ends_with(&value[..n]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }
}

fn replace_all(bytes: &[u8], needle: &[u8], instead: &[u8]) -> Vec<u8> {
    let Some(first) = find(bytes, needle) else {
        return bytes.to_vec();
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut at = Some(first);
    while let Some(i) = at {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(instead);
        rest = &rest[i + needle.len()..];
        at = find(rest, needle);
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_secrets_and_their_parts_are_redacted_whatever_their_shape() {
        let keys = [
            Secret::new("k3yShort1234a"),
            Secret::new("QUJDREVGR0g+/xyz=="),
            Secret::new("client7.SecretHalfValue"),
        ];
        let _holding = Holding::new(&keys);
        let text = "echo k3yShort1234a and QUJDREVGR0g+/xyz== and SecretHalfValue here";
        let redacted = redact(text);
        for leaked in ["k3yShort1234a", "QUJDREVGR0g+/xyz==", "SecretHalfValue"] {
            assert!(!redacted.contains(leaked), "{redacted}");
        }
        assert!(redacted.starts_with("echo … and"), "{redacted}");
    }

    #[test]
    fn a_secret_split_across_chunks_is_redacted() {
        let key = Secret::new("sk-split-across-chunks-0123456789");
        let _holding = Holding::new([&key]);
        let text = format!("data: {{\"message\":\"bad key {}\"}}\n\n", key.expose());
        for size in [1, 3, 7, 16, text.len()] {
            let mut redactor = Redactor::new();
            let mut out = Vec::new();
            for chunk in text.as_bytes().chunks(size) {
                out.extend(redactor.feed(chunk));
            }
            out.extend(redactor.finish());
            let out = String::from_utf8(out).expect("utf-8");
            assert!(!out.contains(key.expose()), "chunks of {size}: {out}");
            assert!(out.ends_with("sk-…6789\"}\n\n"), "chunks of {size}: {out}");
        }
    }

    #[test]
    fn a_dropped_holding_releases_its_secrets() {
        let key = Secret::new("released-secret-value-0001");
        let holding = Holding::new([&key]);
        assert!(!redact(key.expose()).contains(key.expose()));
        drop(holding);
        assert_eq!(redact(key.expose()), key.expose());
    }
}
