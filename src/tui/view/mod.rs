//! Drawing. Everything here only reads [`App`]; nothing in the state imports it. The screen's
//! bands come from [`crate::tui::screen`], which `update` also reads to know how many rows a
//! page holds.

mod compare;
mod detail_pane;
mod header;
mod help;
mod list;
mod popup;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::App;
use super::screen::areas;
pub use super::screen::{detail_rows, list_rows};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = areas(area);
        header::render(self, a.header, buf);
        match (&self.compare, &self.detail) {
            (Some(c), _) => compare::render(self, c, a.main, buf),
            (None, Some(d)) => detail_pane::render(self, d, a.main, buf),
            (None, None) => list::render(self, a.main, buf),
        }
        render_status(self, a.status, buf);
        render_footer(self, a.footer, buf);
        if let Some(p) = &self.popup {
            popup::render(self, p, area, buf);
        }
        if self.help {
            help::render(self, area, buf);
        }
    }
}

fn render_status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let line = if let Some(prompt) = &app.filter.prompt {
        Line::from(vec![
            Span::styled("/", t.accent()),
            Span::raw(prompt.clone()),
            Span::styled("█", t.dim()),
            Span::styled(
                "   Enter applies · Esc cancels · matches path, event, verdict, body",
                t.dim(),
            ),
        ])
    } else if app.window.searching() {
        Line::from(vec![
            Span::styled("searching for ", t.dim()),
            Span::styled(format!("'{}'", app.filter.applied), t.accent()),
            Span::styled("…  (keys still work, Esc clears the filter)", t.dim()),
        ])
    } else if let Some(n) = &app.notice {
        let style = if n.error { t.error() } else { t.ok() };
        Line::from(Span::styled(n.text.clone(), style))
    } else if !app.filter.applied.is_empty() {
        Line::from(vec![
            Span::styled("filter ", t.dim()),
            Span::styled(format!("'{}'", app.filter.applied), t.accent()),
            Span::styled("  (Esc clears, / edits)", t.dim()),
        ])
    } else {
        Line::default()
    };
    Paragraph::new(line).render(area, buf);
}

fn render_footer(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let mut spans = Vec::new();
    for (keys, label) in app.keymap.footer() {
        spans.push(Span::styled(keys, t.key()));
        spans.push(Span::styled(format!(" {label}  "), t.dim()));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}
