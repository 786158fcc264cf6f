//! Drawing. Everything here only reads [`App`]; nothing in the state imports it. The screen's
//! bands come from [`crate::tui::screen`], which `update` also reads to know how many rows a
//! page holds.

mod detail_pane;
mod header;
mod help;
mod list;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::App;
use super::screen::areas;
pub use super::screen::{detail_rows, list_rows};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = areas(area);
        header::render(self, a.header, buf);
        match &self.detail {
            Some(d) => detail_pane::render(self, d, a.main, buf),
            None => list::render(self, a.main, buf),
        }
        render_status(self, a.status, buf);
        render_footer(self, a.footer, buf);
        if self.help {
            help::render(self, area, buf);
        }
    }
}

fn render_status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let line = if let Some(prompt) = &app.filter.prompt {
        let mut spans = vec![Span::styled("/", t.accent())];
        match &app.filter.error {
            // The offending token marked in place, the reason after the cursor.
            Some(e) => {
                let start = floor_boundary(prompt, e.start);
                let end = floor_boundary(prompt, e.end).max(start);
                spans.push(Span::raw(prompt[..start].to_string()));
                spans.push(Span::styled(
                    prompt[start..end].to_string(),
                    t.error().add_modifier(Modifier::UNDERLINED),
                ));
                spans.push(Span::raw(prompt[end..].to_string()));
                spans.push(Span::styled("█", t.dim()));
                spans.push(Span::styled(format!("   {}", e.message), t.error()));
            }
            None => {
                spans.push(Span::raw(prompt.clone()));
                spans.push(Span::styled("█", t.dim()));
                spans.push(Span::styled(
                    "   words, \"a phrase\", event: badge: status: path: since: a.b=value, -negates · Enter applies · Esc cancels",
                    t.dim(),
                ));
            }
        }
        Line::from(spans)
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

/// `i` moved down to a char boundary of `s` (and into it).
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
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
