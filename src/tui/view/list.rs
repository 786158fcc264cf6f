//! The capture list: one row per capture in the window, newest at the top.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::capture::{human_size, is_success, AttemptBrief, CaptureSummary};
use crate::tui::app::App;

const WIDTHS: [Constraint; 7] = [
    Constraint::Length(8),
    Constraint::Length(5),
    Constraint::Length(6),
    Constraint::Fill(2),
    Constraint::Fill(1),
    Constraint::Length(9),
    Constraint::Length(12),
];

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let rows = app.window.visible();
    if rows.is_empty() {
        render_empty(app, area, buf);
        return;
    }
    let header =
        Row::new(["TIME", "SIG", "METHOD", "PATH", "EVENT", "SIZE", "APP"]).style(t.title());
    let body = rows.iter().enumerate().map(|(i, s)| {
        let row = Row::new(cells(app, s));
        if i == app.window.cursor() {
            row.style(t.selected())
        } else if app.mark == Some(s.id) {
            // The capture `m` marked for compare.
            row.style(t.accent())
        } else {
            row
        }
    });
    Table::new(body, WIDTHS)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
}

fn cells<'a>(app: &App, s: &'a CaptureSummary) -> Vec<Cell<'a>> {
    let t = app.theme;
    let status = s.verdict.status();
    let mut size = human_size(s.body_size);
    if s.truncated {
        // The stored body is cut short; the detail says by how much.
        size.push('+');
    }
    let path = match &s.query {
        Some(q) => format!("{}?{q}", s.path),
        None => s.path.clone(),
    };
    vec![
        Cell::from(app.zone.hms(s.received_at_ms)),
        Cell::from(Span::styled(status.badge(), t.badge(status))),
        Cell::from(s.method.as_str()),
        Cell::from(path),
        Cell::from(s.event_type.as_deref().unwrap_or("-")),
        Cell::from(Line::from(size).right_aligned()),
        attempt_cell(app, s.latest_attempt.as_ref()),
    ]
}

fn attempt_cell<'a>(app: &App, a: Option<&AttemptBrief>) -> Cell<'a> {
    let t = app.theme;
    let Some(a) = a else {
        return Cell::from(Span::styled("-", t.dim()));
    };
    let latency = a.latency_ms.map(|l| format!(" {l}ms")).unwrap_or_default();
    match a.status {
        Some(s) if is_success(s) => Cell::from(Span::styled(format!("{s}{latency}"), t.ok())),
        Some(s) => Cell::from(Span::styled(format!("{s}{latency}"), t.error())),
        None => Cell::from(Span::styled(format!("error{latency}"), t.error())),
    }
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
