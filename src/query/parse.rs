//! Text to [`Query`]: split into terms at spaces outside quotes, then read each term. Every
//! error carries the byte range of the part that is wrong.

use super::{
    Also, DeliveryMatch, JsonValue, PathStep, Query, QueryError, StatusMatch, Term, TermKind,
    FIELDS,
};
use crate::capture::Source;
use crate::signature::{Scheme, Status};

/// Parses `input`; relative times (`since:2h`) count back from `now_ms`.
pub fn parse(input: &str, now_ms: i64) -> Result<Query, QueryError> {
    let mut terms = Vec::new();
    for token in split(input)? {
        terms.push(term(input, &token, now_ms)?);
    }
    Ok(Query { terms })
}

/// One term's place in the input: `[-]body`.
struct Token {
    end: usize,
    negated: bool,
    /// Where the body starts (after a `-`).
    body: usize,
}

fn err(start: usize, end: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        start,
        end,
        message: message.into(),
    }
}

fn split(input: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        let mut body = start;
        if c == '-' {
            let rest = &input[start + 1..];
            let next_is_text = rest.chars().next().is_some_and(|n| !n.is_whitespace());
            // `--` alone is the unverified badge, not a negation.
            let badge =
                rest.starts_with('-') && rest[1..].chars().next().is_none_or(char::is_whitespace);
            if next_is_text && !badge {
                negated = true;
                body = start + 1;
            }
        }
        let mut quote: Option<usize> = None;
        let mut end = input.len();
        while let Some(&(i, c)) = chars.peek() {
            if quote.is_none() && c.is_whitespace() {
                end = i;
                break;
            }
            chars.next();
            match (quote, c) {
                (None, '"') => quote = Some(i),
                (Some(_), '\\') => {
                    chars.next();
                }
                (Some(_), '"') => quote = None,
                _ => {}
            }
        }
        if let Some(q) = quote {
            return Err(err(
                q,
                input.len(),
                "unclosed quote: end the phrase with '\"'",
            ));
        }
        tokens.push(Token { end, negated, body });
    }
    Ok(tokens)
}

/// The text of a quoted string starting at `s[0] == '"'`, and the bytes it took.
fn unquote(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1),
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => out.push(e),
                Some((_, e)) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    (out, s.len())
}

fn term(input: &str, t: &Token, now_ms: i64) -> Result<Term, QueryError> {
    let body = &input[t.body..t.end];
    let kind = if body.starts_with('"') {
        let (text, used) = unquote(body);
        let rest = &body[used..];
        let prefix = match rest {
            "" => false,
            "*" => true,
            _ => {
                return Err(err(
                    t.body + used,
                    t.end,
                    "text right after a closing quote: put a space before it",
                ))
            }
        };
        text_term(&text, prefix, None, t)?
    } else {
        match separator(body) {
            Some((at, Sep::Colon)) => {
                let name = &body[..at];
                let lower = name.to_ascii_lowercase();
                if FIELDS.contains(&lower.as_str()) {
                    let vstart = t.body + at + 1;
                    let (value, _quoted) = value_of(input, vstart, t.end)?;
                    field(&lower, &value, vstart, t.end, now_ms)?
                } else if is_identifier(name) {
                    return Err(err(
                        t.body,
                        t.body + at,
                        format!(
                            "unknown field '{name}': fields are {}; to search for the text, put it in quotes",
                            FIELDS.join(", ")
                        ),
                    ));
                } else {
                    word(body, t)?
                }
            }
            Some((at, sep)) if is_json_path(&body[..at]) => {
                let width = if sep == Sep::NotEqual { 2 } else { 1 };
                let vstart = t.body + at + width;
                let (value, quoted) = value_of(input, vstart, t.end)?;
                if value.is_empty() && !quoted {
                    return Err(err(
                        t.body,
                        t.end,
                        "a JSON field needs a value, e.g. payload.status=verified (\"\" for an empty string)",
                    ));
                }
                TermKind::Json {
                    path: json_path(&body[..at]),
                    equal: sep == Sep::Equal,
                    value: json_value(value, quoted),
                }
            }
            Some((0, _)) => {
                return Err(err(
                    t.body,
                    t.end,
                    "'=' needs a JSON field before it, e.g. payload.status=verified",
                ))
            }
            _ => word(body, t)?,
        }
    };
    Ok(Term {
        negated: t.negated,
        kind,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Colon,
    Equal,
    NotEqual,
}

/// The first `:`, `=` or `!=` before any quote.
fn separator(body: &str) -> Option<(usize, Sep)> {
    for (i, c) in body.char_indices() {
        match c {
            '"' => return None,
            ':' => return Some((i, Sep::Colon)),
            '=' => return Some((i, Sep::Equal)),
            '!' if body[i + 1..].starts_with('=') => return Some((i, Sep::NotEqual)),
            _ => {}
        }
    }
    None
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `payload.risk_score.type`, `items.0.id`: dot-separated keys (letters, digits, `_`, `-`)
/// starting with a letter or `_`.
fn is_json_path(s: &str) -> bool {
    let mut steps = s.split('.');
    steps
        .next()
        .is_some_and(|first| first.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        && s.split('.').all(|step| {
            !step.is_empty()
                && step
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

fn json_path(s: &str) -> Vec<PathStep> {
    s.split('.')
        .map(|step| match step.parse::<u32>() {
            Ok(i) if !step.starts_with('+') => PathStep::Index(i),
            _ => PathStep::Key(step.to_string()),
        })
        .collect()
}

fn json_value(value: String, quoted: bool) -> JsonValue {
    if quoted {
        return JsonValue::Text(value);
    }
    match value.as_str() {
        "true" => JsonValue::Bool(true),
        "false" => JsonValue::Bool(false),
        "null" => JsonValue::Null,
        _ => match value.parse::<f64>() {
            Ok(n)
                if n.is_finite() && value.starts_with(|c: char| c == '-' || c.is_ascii_digit()) =>
            {
                JsonValue::Number {
                    value: n,
                    text: value,
                }
            }
            _ => JsonValue::Text(value),
        },
    }
}

/// A field's value from `start` to `end`: quoted (unquoted here) or as typed.
fn value_of(input: &str, start: usize, end: usize) -> Result<(String, bool), QueryError> {
    let raw = &input[start..end];
    if raw.starts_with('"') {
        let (text, used) = unquote(raw);
        if used != raw.len() {
            return Err(err(
                start + used,
                end,
                "text right after a closing quote: put a space before it",
            ));
        }
        Ok((text, true))
    } else {
        Ok((raw.to_string(), false))
    }
}

fn word(body: &str, t: &Token) -> Result<TermKind, QueryError> {
    if body == "--" {
        return Ok(TermKind::Text {
            text: body.into(),
            prefix: false,
            also: Some(Also::Verdict(vec![Status::Unverified])),
        });
    }
    let (text, prefix) = match body.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (body, false),
    };
    let also = if prefix { None } else { also(text) };
    text_term(text, prefix, also, t)
}

/// What else a bare word means: a verdict word or an HTTP status code.
fn also(word: &str) -> Option<Also> {
    if let Some(statuses) = verdict_word(word) {
        return Some(Also::Verdict(statuses));
    }
    match word.parse::<u16>() {
        Ok(code) if word.len() == 3 && (100..=599).contains(&code) => Some(Also::Status(code)),
        _ => None,
    }
}

fn text_term(
    text: &str,
    prefix: bool,
    also: Option<Also>,
    t: &Token,
) -> Result<TermKind, QueryError> {
    if also.is_none() && super::words(text).is_empty() {
        return Err(err(
            t.body,
            t.end,
            format!(
                "'{text}' has no letters or digits to search for: words match letters and digits of the body"
            ),
        ));
    }
    Ok(TermKind::Text {
        text: text.to_string(),
        prefix,
        also,
    })
}

/// Badge words and verdict words, any case: PASS = valid, FAIL = invalid or unsigned,
/// STALE = stale, `--` = unverified.
pub fn verdict_word(word: &str) -> Option<Vec<Status>> {
    let is = |w: &str| w.eq_ignore_ascii_case(word);
    let statuses: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| is(s.as_str()) || is(s.badge()))
        .collect();
    (!statuses.is_empty()).then_some(statuses)
}

fn field(
    name: &str,
    value: &str,
    start: usize,
    end: usize,
    now_ms: i64,
) -> Result<TermKind, QueryError> {
    let bad = |message: String| err(start, end, message);
    if value.is_empty() {
        let example = match name {
            "event" => "event:DOCVER",
            "badge" | "verdict" => "badge:FAIL",
            "status" => "status:5xx",
            "path" => "path:/dataspike",
            "since" => "since:2h",
            "before" => "before:2026-11-30",
            "scheme" => "scheme:dataspike",
            "delivery" => "delivery:failed",
            _ => "source:live",
        };
        return Err(bad(format!("{name}: needs a value, e.g. {example}")));
    }
    Ok(match name {
        "event" => TermKind::Event(value.to_string()),
        "badge" | "verdict" => TermKind::Verdict(verdict_word(value).ok_or_else(|| {
            bad(format!(
                "'{value}' is not a verdict: use PASS, FAIL, STALE or -- (the badges), or valid, invalid, unsigned, stale, unverified"
            ))
        })?),
        "status" => TermKind::Status(status(value).map_err(|m| bad(m.into()))?),
        "delivery" => TermKind::Delivery(match value.to_ascii_lowercase().as_str() {
            "failed" | "fail" => DeliveryMatch::Failed,
            "ok" | "delivered" => DeliveryMatch::Ok,
            _ => DeliveryMatch::Status(status(value).map_err(|_| {
                bad(format!(
                    "'{value}' is not a delivery outcome: use failed, ok, a code (500), a class (5xx) or none"
                ))
            })?),
        }),
        "path" => {
            if !value.starts_with('/') {
                return Err(bad(format!(
                    "path must start with '/': it is a prefix of the request path, e.g. path:/{value}"
                )));
            }
            TermKind::Path(value.to_string())
        }
        "since" | "before" => {
            let ms = time(value, now_ms).ok_or_else(|| {
                bad(format!(
                    "'{value}' is not a time: use a duration back from now (30m, 2h, 7d) or a date in UTC (2026-11-30, 2026-11-30T14:00:00Z)"
                ))
            })?;
            if name == "since" {
                TermKind::Since(ms)
            } else {
                TermKind::Before(ms)
            }
        }
        "scheme" => TermKind::Scheme(
            Scheme::ALL
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(value))
                .ok_or_else(|| {
                    let known: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
                    bad(format!(
                        "unknown scheme '{value}': hookscope knows {}",
                        known.join(", ")
                    ))
                })?,
        ),
        _ => TermKind::Source(
            Source::ALL
                .into_iter()
                .find(|s| s.as_str().eq_ignore_ascii_case(value))
                .ok_or_else(|| {
                    let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
                    bad(format!(
                        "'{value}' is not a source: use {}",
                        known.join(", ")
                    ))
                })?,
        ),
    })
}

fn status(value: &str) -> Result<StatusMatch, &'static str> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(StatusMatch::None);
    }
    let b = value.as_bytes();
    if b.len() == 3 && b[1..].eq_ignore_ascii_case(b"xx") {
        return match b[0] {
            c @ b'1'..=b'5' => Ok(StatusMatch::Class(u16::from(c - b'0'))),
            _ => Err("status class must be 1xx-5xx, e.g. status:5xx"),
        };
    }
    match value.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(StatusMatch::Code(code)),
        Ok(_) => Err("status code must be 100-599, e.g. status:401"),
        Err(_) => Err("status must be a code (401), a class (5xx) or none"),
    }
}

/// A duration back from now (`2h`) or a UTC date or date-time, as Unix ms.
fn time(value: &str, now_ms: i64) -> Option<i64> {
    if let Ok(d) = humantime::parse_duration(value) {
        let ms = i64::try_from(d.as_millis()).ok()?;
        return Some(now_ms.saturating_sub(ms));
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0)?.and_utc();
        return Some(midnight.timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.timestamp_millis())
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|t| t.and_utc().timestamp_millis())
        })
}
