//! What differs between two deliveries (or a capture and what one of its replays sent): header
//! changes, the changed JSON paths of the bodies, and a line diff of the bodies, pretty-printed
//! when both are JSON. Pure: no store, no terminal; the CLI and the TUI lay out the same [`Diff`].
//!
//! Lines are diffed with the `similar` crate (already built for insta): Myers with a deadline, so
//! two 10 MiB bodies cannot stall the UI the way an O(n·m) LCS table would.

use serde_json::{json, Value};
use similar::{ChangeTag, TextDiff};

use crate::headers::{HeaderPair, HopByHop};

/// Lines of unchanged context kept around each change.
pub const CONTEXT_LINES: usize = 3;
/// Longest value shown in a path change line before it is cut with `…`.
const VALUE_PREVIEW_CHARS: usize = 72;
/// Longest time the line diff may take before it settles for a coarser answer.
const LINE_DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(200);

/// One side of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// `None` when the headers were not recorded: a replay stored before hookscope kept the
    /// headers a replay sends (schema 6).
    pub headers: Option<&'a [HeaderPair]>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// What the two sides are, e.g. `#3` and `#7`, or `#3` and `#3 replay 2 (edited)`.
    pub left: String,
    pub right: String,
    pub headers: HeaderDiff,
    pub body: BodyDiff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderDiff {
    Compared {
        changes: Vec<HeaderChange>,
        /// The headers both sides have come in another order.
        reordered: bool,
        /// The capture's hop-by-hop headers (`Host`, `Content-Length`, ...) left out of a
        /// comparison with what a replay sent: no replay copies them, its connection sets its own.
        left_out: Vec<String>,
    },
    /// A replay stored before hookscope kept the headers a replay sends (schema 6): there is
    /// nothing to compare the capture's headers with.
    NotRecorded,
}

/// What the text and the TUI say for [`HeaderDiff::NotRecorded`].
pub const NOT_RECORDED: &str =
    "headers: not compared (this replay was recorded before hookscope kept the headers a replay sends)";

/// A header matched by its name (any case) and which repeat of that name it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderChange {
    Added {
        name: String,
        value: String,
    },
    Removed {
        name: String,
        value: String,
    },
    Changed {
        name: String,
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum BodyDiff {
    /// Byte for byte the same.
    Same,
    /// Both parse as JSON: the changed paths, and the pretty-printed line diff.
    Json {
        paths: Vec<PathChange>,
        lines: Vec<DiffLine>,
    },
    /// Both are text but not both JSON.
    Text { lines: Vec<DiffLine> },
    /// At least one is not text.
    Binary { left: usize, right: usize },
}

/// One changed JSON value, with its path from the body's root (`payload.items[2].name`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathChange {
    pub path: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added(Value),
    Removed(Value),
    Changed(Value, Value),
}

/// One line of a line diff; runs of unchanged lines far from any change are folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
    /// This many unchanged lines not shown.
    Folded(usize),
}

impl Diff {
    /// Nothing differs: headers (when compared) and body bytes.
    pub fn is_empty(&self) -> bool {
        let headers_same = match &self.headers {
            HeaderDiff::Compared {
                changes, reordered, ..
            } => changes.is_empty() && !reordered,
            HeaderDiff::NotRecorded => true,
        };
        headers_same && self.body == BodyDiff::Same
    }
}

/// Compares `left` with `right`.
pub fn compare(left_label: &str, left: Side<'_>, right_label: &str, right: Side<'_>) -> Diff {
    let headers = match (left.headers, right.headers) {
        (Some(l), Some(r)) => compare_headers(l, r),
        _ => HeaderDiff::NotRecorded,
    };
    Diff {
        left: left_label.to_string(),
        right: right_label.to_string(),
        headers,
        body: compare_bodies(left.body, right.body),
    }
}

/// Compares a capture with what one of its replays sent: the capture's headers, hop-by-hop
/// ones left out, against the headers the replay sent (re-signed, edited, `X-Forwarded-Host`
/// added), and the captured body against the sent one.
pub fn compare_replay(captured_label: &str, captured: Side<'_>, replay: &Replay<'_>) -> Diff {
    let headers = match (captured.headers, replay.headers) {
        (Some(c), Some(sent)) => {
            let hop = HopByHop::of(c);
            let (left_out, kept): (Vec<HeaderPair>, Vec<HeaderPair>) =
                c.iter().cloned().partition(|(n, _)| hop.contains(n));
            let mut d = compare_headers(&kept, sent);
            if let HeaderDiff::Compared {
                left_out: names, ..
            } = &mut d
            {
                *names = left_out
                    .iter()
                    .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
                    .collect();
            }
            d
        }
        _ => HeaderDiff::NotRecorded,
    };
    Diff {
        left: captured_label.to_string(),
        right: replay.label.clone(),
        headers,
        body: compare_bodies(captured.body, replay.body),
    }
}

/// Name (lowercased) and which repeat of that name: the key two header lists are matched on.
type HeaderKey = (String, usize);

fn keyed(headers: &[HeaderPair]) -> Vec<(HeaderKey, String, String)> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    headers
        .iter()
        .map(|(name, value)| {
            let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
            let nth = match seen.iter_mut().find(|(n, _)| *n == lower) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    seen.push((lower.clone(), 0));
                    0
                }
            };
            (
                (lower, nth),
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            )
        })
        .collect()
}

pub fn compare_headers(left: &[HeaderPair], right: &[HeaderPair]) -> HeaderDiff {
    let l = keyed(left);
    let r = keyed(right);
    let mut changes = Vec::new();
    for (key, name, value) in &l {
        match r.iter().find(|(k, _, _)| k == key) {
            Some((_, _, to)) if to != value => changes.push(HeaderChange::Changed {
                name: name.clone(),
                from: value.clone(),
                to: to.clone(),
            }),
            Some(_) => {}
            None => changes.push(HeaderChange::Removed {
                name: name.clone(),
                value: value.clone(),
            }),
        }
    }
    for (key, name, value) in &r {
        if !l.iter().any(|(k, _, _)| k == key) {
            changes.push(HeaderChange::Added {
                name: name.clone(),
                value: value.clone(),
            });
        }
    }
    let common_left: Vec<&HeaderKey> = l
        .iter()
        .map(|(k, _, _)| k)
        .filter(|k| r.iter().any(|(rk, _, _)| rk == *k))
        .collect();
    let common_right: Vec<&HeaderKey> = r
        .iter()
        .map(|(k, _, _)| k)
        .filter(|k| l.iter().any(|(lk, _, _)| lk == *k))
        .collect();
    HeaderDiff::Compared {
        changes,
        reordered: common_left != common_right,
        left_out: Vec::new(),
    }
}

pub fn compare_bodies(left: &[u8], right: &[u8]) -> BodyDiff {
    if left == right {
        return BodyDiff::Same;
    }
    let (Some(lt), Some(rt)) = (as_text(left), as_text(right)) else {
        return BodyDiff::Binary {
            left: left.len(),
            right: right.len(),
        };
    };
    match (
        serde_json::from_str::<Value>(lt),
        serde_json::from_str::<Value>(rt),
    ) {
        (Ok(lv), Ok(rv)) => {
            let mut paths = Vec::new();
            json_paths(&lv, &rv, &mut Vec::new(), &mut paths);
            let lp = pretty(&lv);
            let rp = pretty(&rv);
            BodyDiff::Json {
                paths,
                lines: line_diff(&lp, &rp),
            }
        }
        _ => BodyDiff::Text {
            lines: line_diff(lt, rt),
        },
    }
}

/// Text: UTF-8 without NUL (a NUL in a body means bytes, not a document).
fn as_text(body: &[u8]) -> Option<&str> {
    std::str::from_utf8(body).ok().filter(|t| !t.contains('\0'))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

fn json_paths(l: &Value, r: &Value, at: &mut Vec<Segment>, out: &mut Vec<PathChange>) {
    match (l, r) {
        (Value::Object(lo), Value::Object(ro)) => {
            for (k, lv) in lo {
                at.push(Segment::Key(k.clone()));
                match ro.get(k) {
                    Some(rv) => json_paths(lv, rv, at, out),
                    None => out.push(PathChange {
                        path: path_text(at),
                        change: Change::Removed(lv.clone()),
                    }),
                }
                at.pop();
            }
            for (k, rv) in ro {
                if !lo.contains_key(k) {
                    at.push(Segment::Key(k.clone()));
                    out.push(PathChange {
                        path: path_text(at),
                        change: Change::Added(rv.clone()),
                    });
                    at.pop();
                }
            }
        }
        (Value::Array(la), Value::Array(ra)) => {
            for i in 0..la.len().max(ra.len()) {
                at.push(Segment::Index(i));
                match (la.get(i), ra.get(i)) {
                    (Some(lv), Some(rv)) => json_paths(lv, rv, at, out),
                    (Some(lv), None) => out.push(PathChange {
                        path: path_text(at),
                        change: Change::Removed(lv.clone()),
                    }),
                    (None, Some(rv)) => out.push(PathChange {
                        path: path_text(at),
                        change: Change::Added(rv.clone()),
                    }),
                    (None, None) => {}
                }
                at.pop();
            }
        }
        _ if l != r => out.push(PathChange {
            path: path_text(at),
            change: Change::Changed(l.clone(), r.clone()),
        }),
        _ => {}
    }
}

/// `payload.items[2].name`; a key that is not a plain word is quoted: `headers["x.y"]`. The
/// root itself is `.`.
fn path_text(at: &[Segment]) -> String {
    let mut s = String::new();
    for seg in at {
        match seg {
            Segment::Key(k) if is_plain_key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Key(k) => {
                s.push('[');
                s.push_str(&Value::String(k.clone()).to_string());
                s.push(']');
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

fn is_plain_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The line diff of two texts, unchanged runs folded to [`CONTEXT_LINES`] around changes.
pub fn line_diff(left: &str, right: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .timeout(LINE_DIFF_DEADLINE)
        .diff_lines(left, right);
    let all: Vec<DiffLine> = diff
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same(text),
                ChangeTag::Delete => DiffLine::Removed(text),
                ChangeTag::Insert => DiffLine::Added(text),
            }
        })
        .collect();
    fold(all, CONTEXT_LINES)
}

/// Replaces each run of unchanged lines farther than `context` from a change by one
/// [`DiffLine::Folded`].
fn fold(lines: Vec<DiffLine>, context: usize) -> Vec<DiffLine> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, DiffLine::Same(_)))
        .map(|(i, _)| i)
        .collect();
    if changed.is_empty() {
        return Vec::new();
    }
    let near = |i: usize| {
        // `changed` is sorted: the nearest change is at the insertion point or just before it.
        let at = changed.partition_point(|&c| c < i);
        let after = changed.get(at).is_some_and(|&c| c - i <= context);
        let before = at > 0 && i - changed[at - 1] <= context;
        after || before
    };
    let mut out = Vec::new();
    let mut folded = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        if matches!(line, DiffLine::Same(_)) && !near(i) {
            folded.push(line);
            continue;
        }
        flush_folded(&mut folded, &mut out);
        out.push(line);
    }
    flush_folded(&mut folded, &mut out);
    out
}

/// One fold for the run, unless it is a single line: then the line itself takes no more room.
fn flush_folded(run: &mut Vec<DiffLine>, out: &mut Vec<DiffLine>) {
    match run.len() {
        0 => {}
        1 => out.append(run),
        n => {
            out.push(DiffLine::Folded(n));
            run.clear();
        }
    }
}

/// A value for a change line: compact JSON, cut at `VALUE_PREVIEW_CHARS`.
pub fn preview(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= VALUE_PREVIEW_CHARS {
        s
    } else {
        let cut: String = s.chars().take(VALUE_PREVIEW_CHARS).collect();
        format!("{cut}…")
    }
}

impl PathChange {
    /// `payload.status: "pending" -> "verified"`, `+ payload.note: "x"`, `- payload.old: 1`.
    pub fn line(&self) -> String {
        match &self.change {
            Change::Changed(from, to) => {
                format!("{}: {} -> {}", self.path, preview(from), preview(to))
            }
            Change::Added(v) => format!("+ {}: {}", self.path, preview(v)),
            Change::Removed(v) => format!("- {}: {}", self.path, preview(v)),
        }
    }
}

impl HeaderChange {
    /// `~ Name: old -> new`, `+ Name: value`, `- Name: value`.
    pub fn line(&self) -> String {
        match self {
            HeaderChange::Changed { name, from, to } => format!("~ {name}: {from} -> {to}"),
            HeaderChange::Added { name, value } => format!("+ {name}: {value}"),
            HeaderChange::Removed { name, value } => format!("- {name}: {value}"),
        }
    }
}

impl HeaderDiff {
    /// `(Host, Content-Length not compared: hop-by-hop, ...)` when headers were left out.
    pub fn left_out_note(&self) -> Option<String> {
        match self {
            HeaderDiff::Compared { left_out, .. } if !left_out.is_empty() => Some(format!(
                "({} not compared: hop-by-hop, each connection sets its own)",
                left_out.join(", ")
            )),
            _ => None,
        }
    }
}

impl BodyDiff {
    /// One line saying what kind of difference this is.
    pub fn summary(&self) -> String {
        match self {
            BodyDiff::Same => "body: identical bytes".into(),
            BodyDiff::Json { paths, .. } if paths.is_empty() => {
                "body: the same JSON in different bytes (spacing or key order): a signature over one does not match the other".into()
            }
            BodyDiff::Json { paths, .. } => format!(
                "body: JSON, {} changed {}",
                paths.len(),
                if paths.len() == 1 { "path" } else { "paths" }
            ),
            BodyDiff::Text { lines } => {
                let (removed, added) = counts(lines);
                format!("body: text, -{removed} +{added} lines")
            }
            BodyDiff::Binary { left, right } => {
                format!("body: binary, differ ({left} bytes vs {right})")
            }
        }
    }

    pub fn lines(&self) -> &[DiffLine] {
        match self {
            BodyDiff::Json { lines, .. } | BodyDiff::Text { lines } => lines,
            BodyDiff::Same | BodyDiff::Binary { .. } => &[],
        }
    }
}

fn counts(lines: &[DiffLine]) -> (usize, usize) {
    lines.iter().fold((0, 0), |(r, a), l| match l {
        DiffLine::Removed(_) => (r + 1, a),
        DiffLine::Added(_) => (r, a + 1),
        _ => (r, a),
    })
}

/// The diff as plain text for the command line: header changes, changed paths first, then the
/// unified line diff.
pub fn render_text(d: &Diff) -> String {
    let mut s = format!("--- {}\n+++ {}\n", d.left, d.right);
    match &d.headers {
        HeaderDiff::NotRecorded => {
            s.push_str(NOT_RECORDED);
            s.push('\n');
        }
        HeaderDiff::Compared {
            changes, reordered, ..
        } => {
            if changes.is_empty() && !reordered {
                s.push_str("headers: identical\n");
            } else {
                s.push_str("headers:\n");
                for c in changes {
                    s.push_str(&format!("  {}\n", c.line()));
                }
                if *reordered {
                    s.push_str("  (the headers both have come in another order)\n");
                }
            }
        }
    }
    if let Some(note) = d.headers.left_out_note() {
        s.push_str(&format!("  {note}\n"));
    }
    s.push_str(&d.body.summary());
    s.push('\n');
    if let BodyDiff::Json { paths, .. } = &d.body {
        for p in paths {
            s.push_str(&format!("  {}\n", p.line()));
        }
    }
    let lines = d.body.lines();
    if !lines.is_empty() {
        s.push('\n');
        for l in lines {
            s.push_str(&unified_line(l));
            s.push('\n');
        }
    }
    s
}

/// `  same`, `- removed`, `+ added`, `@@ 12 unchanged lines @@`.
pub fn unified_line(l: &DiffLine) -> String {
    match l {
        DiffLine::Same(t) => format!("  {t}"),
        DiffLine::Removed(t) => format!("- {t}"),
        DiffLine::Added(t) => format!("+ {t}"),
        DiffLine::Folded(n) => format!(
            "@@ {n} unchanged {} @@",
            if *n == 1 { "line" } else { "lines" }
        ),
    }
}

/// The diff as JSON: header changes and changed paths, values as JSON.
pub fn to_json(d: &Diff) -> Value {
    let headers = match &d.headers {
        HeaderDiff::NotRecorded => Value::Null,
        HeaderDiff::Compared {
            changes,
            reordered,
            left_out,
        } => json!({
            "changes": changes.iter().map(|c| match c {
                HeaderChange::Added { name, value } =>
                    json!({"change": "added", "name": name, "value": value}),
                HeaderChange::Removed { name, value } =>
                    json!({"change": "removed", "name": name, "value": value}),
                HeaderChange::Changed { name, from, to } =>
                    json!({"change": "changed", "name": name, "from": from, "to": to}),
            }).collect::<Vec<_>>(),
            "reordered": reordered,
            "left_out": left_out,
        }),
    };
    let body = match &d.body {
        BodyDiff::Same => json!({"kind": "same"}),
        BodyDiff::Json { paths, .. } => json!({
            "kind": "json",
            "paths": paths.iter().map(|p| match &p.change {
                Change::Added(v) => json!({"path": p.path, "change": "added", "to": v}),
                Change::Removed(v) => json!({"path": p.path, "change": "removed", "from": v}),
                Change::Changed(from, to) =>
                    json!({"path": p.path, "change": "changed", "from": from, "to": to}),
            }).collect::<Vec<_>>(),
        }),
        BodyDiff::Text { lines } => {
            let (removed, added) = counts(lines);
            json!({"kind": "text", "lines_removed": removed, "lines_added": added})
        }
        BodyDiff::Binary { left, right } => {
            json!({"kind": "binary", "left_bytes": left, "right_bytes": right})
        }
    };
    json!({
        "left": d.left,
        "right": d.right,
        "identical": d.is_empty(),
        "headers": headers,
        "body": body,
    })
}

/// Which replay of a capture to compare it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayPick {
    /// The latest replay that sent an edited body.
    LatestEdited,
    /// The `n`th replay, 1 = the first (attempts as `show` lists them, oldest first).
    Nth(usize),
}

/// A replay of a capture as [`pick_replay`] found it: what it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay<'a> {
    /// `#3 replay 2 (edited body, re-signed)`.
    pub label: String,
    /// The headers it sent; `None` when it was stored before hookscope kept them (schema 6).
    pub headers: Option<&'a [HeaderPair]>,
    /// The body it sent: the capture's own when it was not edited.
    pub body: &'a [u8],
}

/// The replay `pick` names among `attempts`. `Err` says what is missing, in words for people.
pub fn pick_replay<'a>(
    id: crate::capture::CaptureId,
    captured_body: &'a [u8],
    attempts: &'a [crate::capture::Attempt],
    pick: ReplayPick,
) -> Result<Replay<'a>, String> {
    use crate::capture::AttemptKind;
    let replays: Vec<(usize, &crate::capture::Attempt)> = attempts
        .iter()
        .filter(|a| a.kind == AttemptKind::Replay)
        .enumerate()
        .map(|(i, a)| (i + 1, a))
        .collect();
    let found = match pick {
        ReplayPick::LatestEdited => replays
            .iter()
            .rev()
            .find(|(_, a)| a.sent_body.is_some())
            .ok_or_else(|| {
                format!(
                    "capture {id} has no replay with an edited body ({} replays in all)",
                    replays.len()
                )
            })?,
        ReplayPick::Nth(n) => replays.iter().find(|(i, _)| *i == n).ok_or_else(|| {
            format!(
                "capture {id} has {} {}, so there is no replay {n}",
                replays.len(),
                if replays.len() == 1 {
                    "replay"
                } else {
                    "replays"
                }
            )
        })?,
    };
    let (n, a) = found;
    let how = match (a.sent_body.is_some(), a.resigned) {
        (true, _) => "edited body, re-signed",
        (false, true) => "re-signed",
        (false, false) => "as captured",
    };
    Ok(Replay {
        label: format!("#{id} replay {n} ({how})"),
        headers: a.sent_headers.as_deref(),
        body: a.sent_body.as_deref().unwrap_or(captured_body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<HeaderPair> {
        pairs
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    fn paths(l: &str, r: &str) -> Vec<String> {
        match compare_bodies(l.as_bytes(), r.as_bytes()) {
            BodyDiff::Json { paths, .. } => paths.iter().map(PathChange::line).collect(),
            other => panic!("not a JSON diff: {other:?}"),
        }
    }

    #[test]
    fn nested_objects_list_changed_added_and_removed_paths() {
        let l = r#"{"id":"e1","payload":{"status":"pending","risk":{"type":"Low","score":3},"old":true}}"#;
        let r = r#"{"id":"e1","payload":{"status":"verified","risk":{"type":"High","score":3},"note":"x"}}"#;
        assert_eq!(
            paths(l, r),
            vec![
                r#"payload.status: "pending" -> "verified""#,
                r#"payload.risk.type: "Low" -> "High""#,
                "- payload.old: true",
                r#"+ payload.note: "x""#,
            ]
        );
    }

    #[test]
    fn arrays_are_compared_by_index() {
        let l = r#"{"hits":[{"name":"a"},{"name":"b"},3]}"#;
        let r = r#"{"hits":[{"name":"a"},{"name":"c"}],"odd key":[1]}"#;
        assert_eq!(
            paths(l, r),
            vec![
                r#"hits[1].name: "b" -> "c""#,
                "- hits[2]: 3",
                r#"+ ["odd key"]: [1]"#,
            ]
        );
        assert_eq!(paths("[1]", "[1,{\"a\":2}]"), vec![r#"+ [1]: {"a":2}"#]);
    }

    #[test]
    fn a_type_change_and_a_root_scalar_are_one_change_each() {
        assert_eq!(
            paths(r#"{"a":{"b":1}}"#, r#"{"a":[1]}"#),
            vec![r#"a: {"b":1} -> [1]"#]
        );
        assert_eq!(paths("1", "2"), vec![".: 1 -> 2"]);
    }

    #[test]
    fn json_lines_are_pretty_printed_and_folded() {
        let mut l = serde_json::Map::new();
        for i in 0..20 {
            l.insert(format!("k{i:02}"), json!(i));
        }
        let mut r = l.clone();
        r.insert("k10".into(), json!("ten"));
        let d = compare_bodies(
            Value::Object(l).to_string().as_bytes(),
            Value::Object(r).to_string().as_bytes(),
        );
        let lines: Vec<String> = d.lines().iter().map(unified_line).collect();
        assert_eq!(
            lines,
            vec![
                "@@ 8 unchanged lines @@",
                r#"    "k07": 7,"#,
                r#"    "k08": 8,"#,
                r#"    "k09": 9,"#,
                r#"-   "k10": 10,"#,
                r#"+   "k10": "ten","#,
                r#"    "k11": 11,"#,
                r#"    "k12": 12,"#,
                r#"    "k13": 13,"#,
                "@@ 7 unchanged lines @@",
            ]
        );
    }

    #[test]
    fn same_json_in_other_bytes_is_said() {
        let d = compare_bodies(br#"{"a":1,"b":2}"#, b"{\"a\": 1, \"b\": 2}\n");
        assert_eq!(
            d,
            BodyDiff::Json {
                paths: vec![],
                lines: vec![]
            }
        );
        assert!(d.summary().contains("same JSON in different bytes"));
    }

    #[test]
    fn text_bodies_are_diffed_by_line() {
        let d = compare_bodies(b"a=1\nb=2\nc=3\n", b"a=1\nb=20\nc=3\nd=4\n");
        assert_eq!(
            d,
            BodyDiff::Text {
                lines: vec![
                    DiffLine::Same("a=1".into()),
                    DiffLine::Removed("b=2".into()),
                    DiffLine::Added("b=20".into()),
                    DiffLine::Same("c=3".into()),
                    DiffLine::Added("d=4".into()),
                ]
            }
        );
        assert_eq!(d.summary(), "body: text, -1 +2 lines");
    }

    #[test]
    fn binary_bodies_only_say_their_sizes() {
        let d = compare_bodies(&[0, 1, 2, 0xff], b"{}");
        assert_eq!(d, BodyDiff::Binary { left: 4, right: 2 });
        assert_eq!(d.summary(), "body: binary, differ (4 bytes vs 2)");
        assert_eq!(compare_bodies(b"x", b"x"), BodyDiff::Same);
    }

    #[test]
    fn headers_match_by_name_and_repeat_and_notice_order() {
        let l = h(&[
            ("Content-Type", "application/json"),
            ("X-A", "1"),
            ("X-A", "2"),
            ("X-Webhook-Signature", "t=1,v1=aa"),
        ]);
        let r = h(&[
            ("x-webhook-signature", "t=2,v1=bb"),
            ("Content-Type", "application/json"),
            ("X-A", "1"),
            ("X-B", "new"),
        ]);
        assert_eq!(
            compare_headers(&l, &r),
            HeaderDiff::Compared {
                changes: vec![
                    HeaderChange::Removed {
                        name: "X-A".into(),
                        value: "2".into()
                    },
                    HeaderChange::Changed {
                        name: "X-Webhook-Signature".into(),
                        from: "t=1,v1=aa".into(),
                        to: "t=2,v1=bb".into()
                    },
                    HeaderChange::Added {
                        name: "X-B".into(),
                        value: "new".into()
                    },
                ],
                reordered: true,
                left_out: vec![],
            }
        );
        let same = compare_headers(&l, &l);
        assert_eq!(
            same,
            HeaderDiff::Compared {
                changes: vec![],
                reordered: false,
                left_out: vec![],
            }
        );
    }

    #[test]
    fn text_and_json_renderings() {
        let hl = h(&[("X-A", "1")]);
        let hr = h(&[("X-A", "2")]);
        let d = compare(
            "#1",
            Side {
                headers: Some(&hl),
                body: br#"{"payload":{"status":"pending"}}"#,
            },
            "#2",
            Side {
                headers: Some(&hr),
                body: br#"{"payload":{"status":"verified"}}"#,
            },
        );
        let text = render_text(&d);
        assert!(text.starts_with("--- #1\n+++ #2\nheaders:\n  ~ X-A: 1 -> 2\nbody: JSON, 1 changed path\n  payload.status: \"pending\" -> \"verified\"\n"), "{text}");
        assert!(
            text.contains("-     \"status\": \"pending\"\n+     \"status\": \"verified\"\n"),
            "{text}"
        );
        let j = to_json(&d);
        assert_eq!(j["identical"], false);
        assert_eq!(j["headers"]["changes"][0]["change"], "changed");
        assert_eq!(j["body"]["paths"][0]["path"], "payload.status");
        assert_eq!(j["body"]["paths"][0]["from"], "pending");
        assert_eq!(j["body"]["paths"][0]["to"], "verified");
    }

    #[test]
    fn a_replay_is_compared_by_the_headers_it_sent() {
        let captured = h(&[
            ("Host", "hooks.example"),
            ("Content-Length", "1"),
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", "t=1,v1=aa"),
        ]);
        let sent = h(&[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", "t=9,v1=bb"),
            ("X-Forwarded-Host", "hooks.example"),
            ("X-Env", "staging"),
        ]);
        let side = Side {
            headers: Some(&captured),
            body: b"x",
        };
        let replay = Replay {
            label: "#1 replay 1 (re-signed)".into(),
            headers: Some(&sent),
            body: b"x",
        };
        let d = compare_replay("#1", side, &replay);
        assert_eq!(
            d.headers,
            HeaderDiff::Compared {
                changes: vec![
                    HeaderChange::Changed {
                        name: "X-Webhook-Signature".into(),
                        from: "t=1,v1=aa".into(),
                        to: "t=9,v1=bb".into()
                    },
                    HeaderChange::Added {
                        name: "X-Forwarded-Host".into(),
                        value: "hooks.example".into()
                    },
                    HeaderChange::Added {
                        name: "X-Env".into(),
                        value: "staging".into()
                    },
                ],
                reordered: false,
                left_out: vec!["Host".into(), "Content-Length".into()],
            },
            "the connection's own headers are no change"
        );
        assert!(!d.is_empty());
        assert_eq!(
            render_text(&d),
            "--- #1\n+++ #1 replay 1 (re-signed)\nheaders:\n  \
             ~ X-Webhook-Signature: t=1,v1=aa -> t=9,v1=bb\n  \
             + X-Forwarded-Host: hooks.example\n  \
             + X-Env: staging\n  \
             (Host, Content-Length not compared: hop-by-hop, each connection sets its own)\n\
             body: identical bytes\n"
        );
        let j = to_json(&d);
        assert_eq!(j["headers"]["changes"][0]["name"], "X-Webhook-Signature");
        assert_eq!(j["headers"]["changes"][0]["to"], "t=9,v1=bb");
        assert_eq!(j["headers"]["left_out"], json!(["Host", "Content-Length"]));

        // Stored before hookscope kept a replay's headers: only the body is compared.
        let old = Replay {
            headers: None,
            ..replay
        };
        let d = compare_replay("#1", side, &old);
        assert_eq!(d.headers, HeaderDiff::NotRecorded);
        assert!(d.is_empty());
        assert!(render_text(&d).contains(
            "headers: not compared (this replay was recorded before hookscope kept the headers a replay sends)\n"
        ));
        assert_eq!(to_json(&d)["headers"], Value::Null);
    }

    #[test]
    fn replays_are_picked_by_number_or_the_latest_edited() {
        use crate::capture::{Attempt, AttemptKind};
        let sent_headers = h(&[("X-Env", "staging")]);
        let attempt = |kind, sent: Option<&[u8]>| Attempt {
            capture_id: 3,
            kind,
            at_ms: 0,
            target: "http://127.0.0.1:1".into(),
            resigned: sent.is_some(),
            sent_body: sent.map(<[u8]>::to_vec),
            sent_headers: sent.map(|_| sent_headers.clone()),
            status: Some(200),
            response_headers: vec![],
            response_body: vec![],
            response_truncated: false,
            latency_ms: Some(1),
            error: None,
        };
        let attempts = vec![
            attempt(AttemptKind::Forward, None),
            attempt(AttemptKind::Replay, Some(b"first edit")),
            attempt(AttemptKind::Replay, None),
        ];
        assert_eq!(
            pick_replay(3, b"orig", &attempts, ReplayPick::LatestEdited),
            Ok(Replay {
                label: "#3 replay 1 (edited body, re-signed)".to_string(),
                headers: Some(&sent_headers[..]),
                body: &b"first edit"[..]
            })
        );
        assert_eq!(
            pick_replay(3, b"orig", &attempts, ReplayPick::Nth(2)),
            Ok(Replay {
                label: "#3 replay 2 (as captured)".to_string(),
                headers: None,
                body: &b"orig"[..]
            })
        );
        assert_eq!(
            pick_replay(3, b"orig", &attempts, ReplayPick::Nth(3)),
            Err("capture 3 has 2 replays, so there is no replay 3".to_string())
        );
        assert_eq!(
            pick_replay(3, b"orig", &attempts[..1], ReplayPick::LatestEdited),
            Err("capture 3 has no replay with an edited body (0 replays in all)".to_string())
        );
    }
}
