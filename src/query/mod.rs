//! The query language of `list --query`, `export --query`, `replay --query` and the TUI's `/`:
//! text in, a [`Query`] out. Pure: no SQL, no I/O; the store decides how to run a query
//! (`store::search`), the TUI how to highlight it.
//!
//! ```text
//! docver "rare path" -sandbox event:DOCVER badge:FAIL status:5xx path:/dataspike since:2h
//! payload.risk_score.type=High payload.status!=verified -source:imported delivery:failed
//! ```
//!
//! Terms are separated by spaces and all must hold (AND); `-` before a term negates it.
//! A bare word matches whole words (letters and digits) of the body or the path, any case;
//! `word*` matches a word prefix; `"two words"` a phrase. A bare word that is also a verdict
//! (`FAIL`, `pass`, `invalid`, `--`) or an HTTP status code (`401`) matches that verdict or the
//! app's latest answer too (either is enough); in quotes it is only text.

mod parse;

pub use parse::parse;

use crate::capture::Source;
use crate::signature::{Scheme, Status};

/// Every term must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// The terms, in the order typed.
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
/// One term of a query, maybe negated (`-word`, `!event:X`).
pub struct Term {
    pub(crate) negated: bool,
    /// What the term matches.
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq)]
/// What one term matches.
pub enum TermKind {
    /// Words of the body or path: the text as typed (the store tokenizes it), whether the
    /// last word is a prefix, and what else a bare word may mean.
    Text {
        /// The text as typed.
        text: String,
        /// Whether the last word matches as a prefix (it is still being typed).
        prefix: bool,
        /// What else a bare word means (`pass`, `404`); `None`: only text.
        also: Option<Also>,
    },
    /// `event:` the event type (any case), or the event a delivery belongs to: its key
    /// (`redelivery::event_key`) exactly, or its beginning when the text ends with `*` or `…`.
    Event(String),
    /// `badge:` / `verdict:` any of these verdicts.
    Verdict(Vec<Status>),
    /// `status:` the app's latest answer.
    Status(StatusMatch),
    /// `path:` a prefix of the request path, exact case.
    Path(String),
    /// `since:` received at or after this Unix time (ms).
    Since(i64),
    /// `before:` received before this Unix time (ms).
    Before(i64),
    /// `scheme:` the signature scheme.
    Scheme(Scheme),
    /// `source:` how the capture got into the store.
    Source(Source),
    /// `delivery:` what Dataspike's history says of its own delivery (captures pulled by
    /// `hookscope dataspike history`): failed, ok, or the code the endpoint answered it.
    Delivery(DeliveryMatch),
    /// `a.b.0.c=value` / `!=`: a member of the JSON body.
    Json {
        /// Keys and indexes from the body's root.
        path: Vec<PathStep>,
        /// `=` (true) or `!=` (false).
        equal: bool,
        /// The value compared with.
        value: JsonValue,
    },
}

/// What `delivery:` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMatch {
    /// `delivery:failed`: Dataspike's delivery failed.
    Failed,
    /// `delivery:ok`: it succeeded.
    Ok,
    /// `delivery:500`, `delivery:5xx`, `delivery:none`: the code the endpoint answered Dataspike.
    Status(StatusMatch),
}

/// What a bare word means besides text.
#[derive(Debug, Clone, PartialEq)]
pub enum Also {
    /// The verdicts the word names (`pass`, `fail`).
    Verdict(Vec<Status>),
    /// The status code the word is (`404`).
    Status(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// Which of the app's answers `status:` accepts.
pub enum StatusMatch {
    /// Exactly this code.
    Code(u16),
    /// `5xx`: the hundreds digit.
    Class(u16),
    /// No answer: never forwarded, or the latest attempt got none.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// One step of a JSON member's path.
pub enum PathStep {
    /// An object member.
    Key(String),
    /// An array element, 0-based.
    Index(u32),
}

#[derive(Debug, Clone, PartialEq)]
/// The right-hand side of a JSON member term.
pub enum JsonValue {
    /// Compared as text, any case.
    Text(String),
    /// Unquoted number: equal to the JSON number, or to a string of that text.
    Number {
        /// The number.
        value: f64,
        /// The number as typed, to compare with strings.
        text: String,
    },
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A query that does not parse: what is wrong and where (byte offsets into the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Byte offset where the bad part starts.
    pub start: usize,
    /// Byte offset just past the bad part.
    pub end: usize,
    pub(crate) message: String,
}

impl QueryError {
    /// The message, the query and a caret line under the offending token:
    ///
    /// ```text
    /// status class must be 1xx-5xx, e.g. status:5xx
    ///   badge:FAIL status:6xx
    ///                     ^^^
    /// ```
    pub fn render(&self, input: &str) -> String {
        let before = input.get(..self.start).map_or(0, |s| s.chars().count());
        let width = input
            .get(self.start..self.end)
            .map_or(1, |s| s.chars().count())
            .max(1);
        format!(
            "{}\n  {}\n  {}{}",
            self.message,
            input,
            " ".repeat(before),
            "^".repeat(width)
        )
    }
}

impl Query {
    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Adds a term that must hold as well (the `--verdict`/`--event` flags).
    pub(crate) fn and(mut self, kind: TermKind) -> Query {
        self.terms.push(Term {
            negated: false,
            kind,
        });
        self
    }

    /// The words to highlight in a body: the positive text terms and JSON values compared
    /// for equality, lower-cased, with whether each is a prefix.
    pub fn highlights(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for t in self.terms.iter().filter(|t| !t.negated) {
            let (text, prefix) = match &t.kind {
                TermKind::Text { text, prefix, .. } => (text.as_str(), *prefix),
                TermKind::Json {
                    equal: true,
                    value: JsonValue::Text(text),
                    ..
                } => (text.as_str(), false),
                TermKind::Event(text) => (text.as_str(), false),
                _ => continue,
            };
            let words = words(text);
            let last = words.len().saturating_sub(1);
            for (i, w) in words.into_iter().enumerate() {
                out.push((w, prefix && i == last));
            }
        }
        out
    }
}

/// The words of a text as the search index sees them: runs of letters and digits, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every field name, as the errors list them.
pub(crate) const FIELDS: &[&str] = &[
    "event", "badge", "verdict", "status", "path", "since", "before", "scheme", "source",
    "delivery",
];

/// Where each match of `words` (from [`Query::highlights`]) sits in `line`: byte ranges of
/// whole words, case-insensitive, a prefix where asked.
pub(crate) fn find_words(line: &str, words: &[(String, bool)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let chars = line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')));
    for (i, c) in chars {
        match (start, c.is_alphanumeric()) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let word = line[s..i].to_lowercase();
                if words
                    .iter()
                    .any(|(w, prefix)| *w == word || (*prefix && word.starts_with(w.as_str())))
                {
                    out.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
