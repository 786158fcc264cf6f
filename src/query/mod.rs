//! The query language of `list --query`, `export --query`, `replay --query` and the TUI's `/`:
//! text in, a [`Query`] out. Pure: no SQL, no I/O; the store decides how to run a query
//! (`store::search`), the TUI how to highlight it.
//!
//! ```text
//! docver "rare path" -sandbox event:DOCVER badge:FAIL status:5xx path:/dataspike since:2h
//! payload.risk_score.type=High payload.status!=verified -source:imported
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
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub(crate) negated: bool,
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TermKind {
    /// Words of the body or path: the text as typed (the store tokenizes it), whether the
    /// last word is a prefix, and what else a bare word may mean.
    Text {
        text: String,
        prefix: bool,
        also: Option<Also>,
    },
    /// `event:` the event type, any case.
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
    Scheme(Scheme),
    Source(Source),
    /// `a.b.0.c=value` / `!=`: a member of the JSON body.
    Json {
        path: Vec<PathStep>,
        equal: bool,
        value: JsonValue,
    },
}

/// What a bare word means besides text.
#[derive(Debug, Clone, PartialEq)]
pub enum Also {
    Verdict(Vec<Status>),
    Status(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    Code(u16),
    /// `5xx`: the hundreds digit.
    Class(u16),
    /// No answer: never forwarded, or the latest attempt got none.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// Compared as text, any case.
    Text(String),
    /// Unquoted number: equal to the JSON number, or to a string of that text.
    Number {
        value: f64,
        text: String,
    },
    Bool(bool),
    Null,
}

/// A query that does not parse: what is wrong and where (byte offsets into the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub start: usize,
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
