//! The compare screen: the rows [`crate::tui::compare`] laid out, sliced to the screen. Side by
//! side from [`SIDE_BY_SIDE_MIN_WIDTH`] columns on, unified below; lines are cut, not wrapped,
//! so both halves stay aligned.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::compare::{Row, Tone};
use crate::tui::stack::Compare;
use crate::tui::theme::Theme;

pub fn render(app: &App, c: &Compare, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let Some(data) = &c.data else {
        Paragraph::new(Span::styled("comparing…", t.dim())).render(area, buf);
        return;
    };
    let rows = data.rows(app.size.0);
    let start = c.scroll.min(rows.len());
    let end = (start + area.height as usize).min(rows.len());
    let width = area.width as usize;
    // Two halves and a 3-column gutter; the left half takes the odd column.
    let half = width.saturating_sub(3) / 2;
    let lines: Vec<Line<'_>> = rows[start..end]
        .iter()
        .map(|row| match row {
            Row::Full(tone, text) => Line::from(Span::styled(cut(text, width), style(t, *tone))),
            Row::Pair(left, right) => {
                let left_text = left.as_ref().map_or(String::new(), |(_, s)| cut(s, half));
                let pad = half.saturating_sub(left_text.chars().count());
                Line::from(vec![
                    Span::styled(
                        left_text,
                        left.as_ref()
                            .map_or(Style::default(), |(tone, _)| style(t, *tone)),
                    ),
                    Span::raw(" ".repeat(pad)),
                    Span::styled(" │ ", t.dim()),
                    Span::styled(
                        right.as_ref().map_or(String::new(), |(_, s)| cut(s, half)),
                        right
                            .as_ref()
                            .map_or(Style::default(), |(tone, _)| style(t, *tone)),
                    ),
                ])
            }
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}

fn style(t: Theme, tone: Tone) -> Style {
    match tone {
        Tone::Heading => t.title(),
        Tone::Plain => Style::default(),
        Tone::Removed => t.error(),
        Tone::Added => t.ok(),
        Tone::Changed => t.warn(),
        Tone::Dim => t.dim(),
    }
}

/// At most `width` characters; a cut line ends in `…`.
fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
