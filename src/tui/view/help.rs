//! The `?` overlay, generated from the keymap so it can never disagree with it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::app::App;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let rows = app.keymap.help();
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line<'_>> = rows
        .into_iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<key_width$}  "), t.key()),
                Span::raw(what),
            ])
        })
        .collect();
    // The spacer goes first when the screen is short, so the closing hint stays visible.
    if lines.len() + 4 <= area.height as usize {
        lines.push(Line::default());
    }
    // The database's path, when there is room (listen also prints it at start).
    if let Some(db) = app
        .setup
        .db_path
        .as_ref()
        .filter(|_| lines.len() + 4 <= area.height as usize)
    {
        lines.push(Line::from(vec![
            Span::styled(" database  ", t.dim()),
            Span::raw(db.clone()),
        ]));
    }
    lines.push(Line::from(Span::styled(
        " In the detail, moves scroll the text. Esc or ? closes this help.",
        t.dim(),
    )));
    let text_width = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = (text_width + 3).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(Block::bordered().title(" keys "))
        .render(popup, buf);
}
