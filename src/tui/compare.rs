//! The compare screen's rows, laid out once per load from a `Diff`: unified for a narrow
//! terminal, side by side for a wide one. State-side and pure like `detail_text`: the view only
//! slices these rows; `update` scrolls by their count.

use crate::diff::{BodyDiff, Diff, DiffLine, HeaderDiff, NOT_RECORDED};

/// From this many columns on, bodies are shown side by side (two halves of ~58 columns each
/// hold a pretty-printed Dataspike body without cutting most lines).
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 120;

/// How a row is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Heading,
    Plain,
    Removed,
    Added,
    Changed,
    Dim,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// One text across the whole width.
    Full(Tone, String),
    /// The left and right halves of a side-by-side body line; `None` leaves a half empty.
    Pair(Option<(Tone, String)>, Option<(Tone, String)>),
}

/// A loaded comparison and both of its layouts.
#[derive(Debug, Clone)]
pub struct CompareData {
    pub diff: Diff,
    pub unified: Vec<Row>,
    pub side_by_side: Vec<Row>,
}

impl CompareData {
    pub fn new(diff: Diff) -> CompareData {
        let head = head_rows(&diff);
        let mut unified = head.clone();
        unified.extend(diff.body.lines().iter().map(unified_row));
        let mut side_by_side = head;
        side_by_side.extend(pair_rows(diff.body.lines()));
        CompareData {
            diff,
            unified,
            side_by_side,
        }
    }

    /// The rows for a terminal `width` columns wide.
    pub fn rows(&self, width: u16) -> &[Row] {
        if width >= SIDE_BY_SIDE_MIN_WIDTH {
            &self.side_by_side
        } else {
            &self.unified
        }
    }
}

/// Header changes, then the changed JSON paths: what the reader wants first.
fn head_rows(d: &Diff) -> Vec<Row> {
    let mut rows = vec![Row::Full(
        Tone::Heading,
        format!("{}  →  {}", d.left, d.right),
    )];
    match &d.headers {
        HeaderDiff::NotRecorded => rows.push(Row::Full(Tone::Dim, NOT_RECORDED.into())),
        HeaderDiff::Compared {
            changes, reordered, ..
        } => {
            if changes.is_empty() && !reordered {
                rows.push(Row::Full(Tone::Dim, "headers: identical".into()));
            } else {
                rows.push(Row::Full(Tone::Heading, "headers".into()));
                for c in changes {
                    let tone = match c {
                        crate::diff::HeaderChange::Added { .. } => Tone::Added,
                        crate::diff::HeaderChange::Removed { .. } => Tone::Removed,
                        crate::diff::HeaderChange::Changed { .. } => Tone::Changed,
                    };
                    rows.push(Row::Full(tone, format!("  {}", c.line())));
                }
                if *reordered {
                    rows.push(Row::Full(
                        Tone::Dim,
                        "  (the headers both have come in another order)".into(),
                    ));
                }
            }
        }
    }
    if let Some(note) = d.headers.left_out_note() {
        rows.push(Row::Full(Tone::Dim, format!("  {note}")));
    }
    let tone = match d.body {
        BodyDiff::Same => Tone::Dim,
        _ => Tone::Heading,
    };
    rows.push(Row::Full(tone, d.body.summary()));
    if let BodyDiff::Json { paths, .. } = &d.body {
        for p in paths {
            let tone = match p.change {
                crate::diff::Change::Added(_) => Tone::Added,
                crate::diff::Change::Removed(_) => Tone::Removed,
                crate::diff::Change::Changed(..) => Tone::Changed,
            };
            rows.push(Row::Full(tone, format!("  {}", p.line())));
        }
    }
    if !d.body.lines().is_empty() {
        rows.push(Row::Full(Tone::Plain, String::new()));
    }
    rows
}

fn unified_row(l: &DiffLine) -> Row {
    let tone = match l {
        DiffLine::Same(_) => Tone::Plain,
        DiffLine::Removed(_) => Tone::Removed,
        DiffLine::Added(_) => Tone::Added,
        DiffLine::Folded(_) => Tone::Dim,
    };
    Row::Full(tone, crate::diff::unified_line(l))
}

/// Unchanged lines on both sides; a run of removed lines beside the run of added lines that
/// follows it; folds across the width.
fn pair_rows(lines: &[DiffLine]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match &lines[i] {
            DiffLine::Same(t) => {
                rows.push(Row::Pair(
                    Some((Tone::Plain, t.clone())),
                    Some((Tone::Plain, t.clone())),
                ));
                i += 1;
            }
            DiffLine::Folded(_) => {
                rows.push(unified_row(&lines[i]));
                i += 1;
            }
            DiffLine::Removed(_) | DiffLine::Added(_) => {
                let mut removed = Vec::new();
                while let Some(DiffLine::Removed(t)) = lines.get(i) {
                    removed.push(t.clone());
                    i += 1;
                }
                let mut added = Vec::new();
                while let Some(DiffLine::Added(t)) = lines.get(i) {
                    added.push(t.clone());
                    i += 1;
                }
                for k in 0..removed.len().max(added.len()) {
                    rows.push(Row::Pair(
                        removed.get(k).map(|t| (Tone::Removed, t.clone())),
                        added.get(k).map(|t| (Tone::Added, t.clone())),
                    ));
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_runs_sit_beside_the_added_runs_after_them() {
        let lines = vec![
            DiffLine::Folded(4),
            DiffLine::Same("a".into()),
            DiffLine::Removed("b".into()),
            DiffLine::Removed("c".into()),
            DiffLine::Added("B".into()),
            DiffLine::Added("x".into()),
            DiffLine::Added("y".into()),
        ];
        let r = |t: &str| Some((Tone::Removed, t.to_string()));
        let a = |t: &str| Some((Tone::Added, t.to_string()));
        assert_eq!(
            pair_rows(&lines),
            vec![
                Row::Full(Tone::Dim, "@@ 4 unchanged lines @@".into()),
                Row::Pair(
                    Some((Tone::Plain, "a".into())),
                    Some((Tone::Plain, "a".into()))
                ),
                Row::Pair(r("b"), a("B")),
                Row::Pair(r("c"), a("x")),
                Row::Pair(None, a("y")),
            ]
        );
    }
}
