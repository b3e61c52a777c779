//! Reading JSON into the raw types while listing every problem, not just the first: serde
//! stops at the first error, so each error is noted with its JSON path, the value at fault
//! is set aside (an unknown key removed, a value of the wrong type made `null`, which reads
//! as absent), and the document is read again, until it reads. The did-you-mean of an
//! unknown key comes from the key list serde's own error names, so no list of keys is
//! written out anywhere.
//!
//! [`Sink`] then collects the validator's problems and puts each noted one in its place:
//! an unknown key when the validator enters its object, any other when it reads the field,
//! so problems come in the order a reader of the file meets them. A field whose value was
//! set aside gets no second problem (it reads as absent, but it is not "required").

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::super::Problem;

/// A problem found while reading the JSON, before validation.
#[derive(Debug)]
struct Noted {
    problem: Problem,
    /// The path of the object holding an unknown key; `None` for other problems.
    unknown_in: Option<String>,
}

/// Reads `value` (found at `base`, `""` for the whole file) as a `T`; every problem is in
/// the returned sink. A value that cannot be read at all gives `T::default()`.
pub(in crate::config) fn parse<T: DeserializeOwned + Default>(
    mut value: Value,
    base: &str,
) -> (T, Sink) {
    let mut sink = Sink::default();
    let mut last: Option<String> = None;
    loop {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(raw) => return (raw, sink),
            Err(error) => error,
        };
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        let at = error.path().to_string();
        let repeated = last.as_ref() == Some(&at);
        let unknown = match repeated {
            true => false,
            false => sink.note(base, &segments, error.inner()),
        };
        if !set_aside(&mut value, &segments, repeated || unknown) {
            return (T::default(), sink);
        }
        last = Some(at);
    }
}

/// Sets aside the value at `segments`: `null` in its place, or (`remove`, or an unknown
/// key) the key removed. False when there is nothing left to set aside (the root).
fn set_aside(value: &mut Value, segments: &[Segment], remove: bool) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = value;
    for segment in parents {
        let next = match (segment, node) {
            (Segment::Map { key }, Value::Object(map)) => map.get_mut(key),
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        let Some(next) = next else {
            return false;
        };
        node = next;
    }
    match (last, node) {
        (Segment::Map { key }, Value::Object(map)) => match map.get_mut(key) {
            Some(slot) if !remove && !slot.is_null() => *slot = Value::Null,
            Some(_) => {
                map.remove(key);
            }
            // An unknown key (serde names it in the path) that is already gone.
            None => return false,
        },
        (Segment::Seq { index }, Value::Array(items)) if !remove => match items.get_mut(*index) {
            Some(slot) => *slot = Value::Null,
            None => return false,
        },
        (Segment::Seq { index }, Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
        }
        _ => return false,
    }
    true
}

/// The problems of one document, in order: those noted while reading it, placed as the
/// validator reaches them, and the validator's own.
#[derive(Debug, Default)]
pub(in crate::config) struct Sink {
    noted: Vec<Noted>,
    /// Paths whose value was set aside: no further problem is reported there or below.
    refused: Vec<String>,
    problems: Vec<Problem>,
}

impl Sink {
    /// Notes the error at `segments`; true when it is an unknown key.
    fn note(&mut self, base: &str, segments: &[Segment], error: &serde_json::Error) -> bool {
        let path = path_of(base, segments);
        let text = error.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text);
        let noted = match text.strip_prefix("unknown field `") {
            Some(rest) => Noted {
                problem: Problem::new(&path, unknown_field(rest)),
                unknown_in: Some(path_of(base, &segments[..segments.len().saturating_sub(1)])),
            },
            None => {
                self.refused.push(path.clone());
                let shown = if path.is_empty() { "(file)" } else { &path };
                Noted {
                    problem: Problem::new(shown, friendly(text)),
                    unknown_in: None,
                }
            }
        };
        let unknown = noted.unknown_in.is_some();
        self.noted.push(noted);
        unknown
    }

    /// The validator enters the object at `path`: its unknown keys are reported first.
    pub fn enter(&mut self, path: &str) {
        self.take(|noted| noted.unknown_in.as_deref() == Some(path));
    }

    /// The validator reads the value at `path`: what was noted there, now.
    pub fn at(&mut self, path: &str) {
        self.take(|noted| noted.problem.path == path);
    }

    /// The validator reads the value at `path` whole: what was noted there or below, now.
    pub fn within(&mut self, path: &str) {
        self.take(|noted| is_within(&noted.problem.path, path));
    }

    fn take(&mut self, wanted: impl Fn(&Noted) -> bool) {
        let (taken, kept) = std::mem::take(&mut self.noted)
            .into_iter()
            .partition(|noted| wanted(noted));
        self.noted = kept;
        self.problems
            .extend(taken.into_iter().map(|noted: Noted| noted.problem));
    }

    /// A problem the validator found; dropped when the value there was set aside.
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let problem = Problem::new(path, message);
        if !self.is_refused(&problem.path) {
            self.problems.push(problem);
        }
    }

    /// Whether the value at `path` (or one holding it) was set aside.
    pub fn is_refused(&self, path: &str) -> bool {
        self.refused.iter().any(|refused| is_within(path, refused))
    }

    /// Whether there is any problem at all.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty() && self.noted.is_empty()
    }

    /// Every problem: the validator's in order, then any noted one it never reached.
    pub fn finish(mut self) -> Vec<Problem> {
        self.take(|_| true);
        self.problems
    }
}

/// Whether `path` is `outer` or lies inside it (`providers[0].name` in `providers[0]`).
fn is_within(path: &str, outer: &str) -> bool {
    outer.is_empty()
        || path
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// `providers[2].base_url` under `base`.
fn path_of(base: &str, segments: &[Segment]) -> String {
    let mut path = base.to_string();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } if path.is_empty() => path.push_str(key),
            Segment::Map { key } => {
                path.push('.');
                path.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    path
}

/// "unknown field (did you mean 'base_url'?)", from serde's "unknown field `bsae_url`,
/// expected one of `name`, `type`, …" (after its first backquote).
fn unknown_field(rest: &str) -> String {
    let (key, known) = rest.split_once('`').unwrap_or((rest, ""));
    let known: Vec<&str> = known.split('`').skip(1).step_by(2).collect();
    match closest(key, &known) {
        Some(near) => format!("unknown field (did you mean '{near}'?)"),
        None => format!("unknown field (known: {})", known.join(", ")),
    }
}

/// serde's "invalid type: string \"x\", expected u64" as "expected a whole number".
fn friendly(text: &str) -> String {
    let Some((_, expected)) = text.split_once(", expected ") else {
        return text.to_string();
    };
    let expected = match expected {
        "u64" | "u32" | "u16" | "usize" => "a whole number ≥ 0",
        "f64" => "a number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a map" => "an object",
        struct_name if struct_name.starts_with("struct ") => "an object",
        other => other,
    };
    format!("expected {expected}")
}

/// The known key closest to a misspelt one (edit distance ≤ 2).
pub(in crate::config) fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
