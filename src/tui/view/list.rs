//! The capture list: one row per capture in the window, newest at the top.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::capture::{is_success, Answered, AttemptBrief, CaptureSummary};
use crate::text::human_size;
use crate::tui::app::App;
use crate::tui::fit::{column_widths, truncate_end, truncate_middle, Column};

/// Space between columns.
const GAP: u16 = 1;
/// The widest a column grows to fit its longest value; longer values are cut.
const EVENT_MAX: u16 = 32;
const APP_MAX: u16 = 16;
const METHOD_MAX: u16 = 8;
/// The path asks for this much before the columns after it are given room; it shrinks to
/// `PATH_MIN` (cut from the middle) before it is dropped, and grows to its longest value
/// with width left over.
const PATH_WANT_MAX: u16 = 40;
const PATH_MIN: u16 = 12;

/// The list's columns in display order (the order of `hookscope list`), each with its rank:
/// at a narrow width the highest ranks go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Time,
    Sig,
    Method,
    Path,
    Event,
    /// Which delivery of its event a capture is (`2/3`): shown only while a capture on screen
    /// is one of several.
    Try,
    Size,
    App,
}

impl Col {
    const ALL: [Col; 9] = [
        Col::Id,
        Col::Time,
        Col::Sig,
        Col::Method,
        Col::Path,
        Col::Event,
        Col::Try,
        Col::Size,
        Col::App,
    ];

    fn title(self) -> &'static str {
        match self {
            Col::Id => "ID",
            Col::Time => "TIME",
            Col::Sig => "SIG",
            Col::Method => "METHOD",
            Col::Path => "PATH",
            Col::Event => "EVENT",
            Col::Try => "TRY",
            Col::Size => "SIZE",
            Col::App => "APP",
        }
    }

    /// Badge, id, time, event, the app's answer, path; then size and method.
    fn rank(self) -> u8 {
        match self {
            Col::Sig => 0,
            Col::Id => 1,
            Col::Time => 2,
            Col::Event => 3,
            Col::App => 4,
            Col::Path => 5,
            Col::Size => 6,
            Col::Method => 7,
            Col::Try => 8,
        }
    }
}

/// One row's text per column, before fitting.
struct RowText {
    id: String,
    time: String,
    method: String,
    path: String,
    event: String,
    tried: String,
    size: String,
    app: String,
}

impl RowText {
    fn new(app: &App, s: &CaptureSummary) -> RowText {
        let mut size = human_size(s.body_size);
        if s.truncated {
            // The stored body is cut short; the detail says by how much.
            size.push('+');
        }
        RowText {
            id: s.id.to_string(),
            time: app.zone.hms(s.received_at_ms),
            method: s.method.clone(),
            path: s.sourced_path(),
            event: s.event_type.clone().unwrap_or_else(|| "-".into()),
            tried: match s.delivery {
                Some((n, of)) if of > 1 => format!("{n}/{of}"),
                _ => String::new(),
            },
            size,
            app: match s.answered {
                // Answered by choice, never forwarded: what the sender got.
                Some(Answered::Chosen { status, .. }) if s.latest_attempt.is_none() => {
                    format!("{status} chosen")
                }
                _ => attempt_text(s.latest_attempt.as_ref()),
            },
        }
    }

    fn get(&self, col: Col) -> &str {
        match col {
            Col::Id => &self.id,
            Col::Time => &self.time,
            // The widest badge with its scheme, so the column keeps its width whatever is on
            // screen.
            Col::Sig => "STALE dataspike",
            Col::Method => &self.method,
            Col::Path => &self.path,
            Col::Event => &self.event,
            Col::Try => &self.tried,
            Col::Size => &self.size,
            Col::App => &self.app,
        }
    }
}

/// The columns drawn: all but TRY while no capture on screen is one of several deliveries.
fn cols(rows: &[RowText]) -> Vec<Col> {
    let tried = rows.iter().any(|r| !r.tried.is_empty());
    Col::ALL
        .into_iter()
        .filter(|c| *c != Col::Try || tried)
        .collect()
}

/// How each column asks for room, from the rows on screen.
fn columns(cols: &[Col], rows: &[RowText]) -> Vec<Column> {
    cols.iter()
        .map(|&col| {
            let longest = rows
                .iter()
                .map(|r| r.get(col).chars().count())
                .chain([col.title().len()])
                .max()
                .unwrap_or(0);
            let longest = u16::try_from(longest).unwrap_or(u16::MAX);
            match col {
                Col::Path => {
                    let want = longest.min(PATH_WANT_MAX);
                    Column {
                        rank: col.rank(),
                        want,
                        min: want.min(PATH_MIN),
                        max: longest,
                    }
                }
                Col::Event => Column::fixed(col.rank(), longest.min(EVENT_MAX)),
                Col::App => Column::fixed(col.rank(), longest.min(APP_MAX)),
                Col::Method => Column::fixed(col.rank(), longest.min(METHOD_MAX)),
                _ => Column::fixed(col.rank(), longest),
            }
        })
        .collect()
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let summaries = app.window.visible();
    if summaries.is_empty() {
        render_empty(app, area, buf);
        return;
    }
    let texts: Vec<RowText> = summaries.iter().map(|s| RowText::new(app, s)).collect();
    let cols = cols(&texts);
    let widths = column_widths(&columns(&cols, &texts), area.width, GAP);
    let shown: Vec<(Col, u16)> = cols
        .iter()
        .zip(&widths)
        .filter_map(|(c, w)| w.map(|w| (*c, w)))
        .collect();
    let header = Row::new(shown.iter().map(|(c, _)| c.title())).style(t.title());
    let body = summaries
        .iter()
        .zip(&texts)
        .enumerate()
        .map(|(i, (s, text))| {
            let row = Row::new(shown.iter().map(|&(col, w)| cell(app, s, text, col, w)));
            if i == app.window.cursor() {
                row.style(t.selected())
            } else if app.mark == Some(s.id) {
                // The capture `m` marked for compare.
                row.style(t.accent())
            } else {
                row
            }
        });
    Table::new(body, shown.iter().map(|&(_, w)| Constraint::Length(w)))
        .header(header)
        .column_spacing(GAP)
        .render(area, buf);
}

fn cell<'a>(app: &App, s: &CaptureSummary, text: &RowText, col: Col, width: u16) -> Cell<'a> {
    let t = app.theme;
    let width = usize::from(width);
    match col {
        Col::Sig => {
            let status = s.verdict.status();
            Cell::from(Span::styled(s.verdict.badge(), t.badge(status)))
        }
        Col::Id | Col::Size => Cell::from(Line::from(text.get(col).to_string()).right_aligned()),
        Col::Path => Cell::from(truncate_middle(&text.path, width)),
        Col::App if s.latest_attempt.is_none() && text.app.ends_with(" chosen") => Cell::from(
            Span::styled(truncate_end(&text.app, width), app.theme.warn()),
        ),
        Col::App => attempt_cell(
            app,
            s.latest_attempt.as_ref(),
            truncate_end(&text.app, width),
        ),
        _ => Cell::from(truncate_end(text.get(col), width)),
    }
}

/// The app's latest answer: `200 12ms`, `error 12ms`, or `-`.
fn attempt_text(a: Option<&AttemptBrief>) -> String {
    let Some(a) = a else {
        return "-".into();
    };
    let latency = a.latency_ms.map(|l| format!(" {l}ms")).unwrap_or_default();
    match a.status {
        Some(s) => format!("{s}{latency}"),
        None => format!("error{latency}"),
    }
}

fn attempt_cell<'a>(app: &App, a: Option<&AttemptBrief>, text: String) -> Cell<'a> {
    let t = app.theme;
    let style = match a.map(|a| a.status) {
        None => t.dim(),
        Some(Some(s)) if is_success(s) => t.ok(),
        Some(_) => t.error(),
    };
    Cell::from(Span::styled(text, style))
}

fn render_empty(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let lines = if app.window.searching() {
        vec![Line::from(format!(
            "Searching for '{}'…",
            app.filter.applied
        ))]
    } else if !app.filter.applied.is_empty() {
        vec![
            Line::from(format!("No capture matches '{}'.", app.filter.applied)),
            Line::from(Span::styled("Esc clears the filter, / edits it.", t.dim())),
        ]
    } else {
        let target = app
            .setup
            .listen_url
            .as_deref()
            .map(|u| format!("Send a webhook to {u} and it shows up here."))
            .unwrap_or_else(|| "The store is empty.".into());
        vec![
            Line::from("No captures yet."),
            Line::from(Span::styled(target, t.dim())),
        ]
    };
    let top = area.height / 3;
    let area = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    Paragraph::new(lines)
        .centered()
        .wrap(Wrap { trim: true })
        .render(area, buf);
}
