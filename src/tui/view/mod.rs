//! Drawing. Everything here only reads [`App`]; nothing in the state imports it. The screen's
//! bands come from [`crate::tui::screen`], which `update` also reads to know how many rows a
//! page holds.

pub mod detail;
mod header;
mod help;
mod list;

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
        match &self.detail {
            Some(d) => detail::render(self, d, a.main, buf),
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

/// Bytes as text for one terminal line: valid UTF-8 kept, everything else and control
/// characters shown as `\xNN` / `\n`, so header values print exactly and safely.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, 0),
            Err(e) => {
                let (ok, tail) = rest.split_at(e.valid_up_to());
                let bad = e.error_len().unwrap_or(tail.len());
                // `valid_up_to` guarantees the prefix is UTF-8.
                (std::str::from_utf8(ok).unwrap_or_default(), bad)
            }
        };
        for c in valid.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        let tail = &rest[valid.len()..];
        for b in &tail[..bad] {
            out.push_str(&format!("\\x{b:02x}"));
        }
        rest = &tail[bad..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_text_and_shows_bytes() {
        assert_eq!(escape_bytes(b"plain"), "plain");
        assert_eq!(escape_bytes(b"a\xff\x00b\n"), "a\\xff\\u{0}b\\n");
        assert_eq!(escape_bytes("ünï".as_bytes()), "ünï");
        assert_eq!(escape_bytes(b"\xe2\x82"), "\\xe2\\x82");
        assert_eq!(escape_bytes(b"\x1b[31m"), "\\u{1b}[31m");
    }
}
