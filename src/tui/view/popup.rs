//! The popup that shows what `c`/`C` copied, to select by hand. Borders only above and below,
//! so a mouse selection of several lines picks up no frame characters; long lines are wrapped
//! into rows ([`Popup::rows`]), never cut.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::stack::Popup;

pub fn render(app: &App, p: &Popup, area: Rect, buf: &mut Buffer) {
    let height = area.height.saturating_sub(2).max(1);
    let popup = Rect {
        x: area.x,
        y: area.y + (area.height - height) / 2,
        width: area.width,
        height,
    };
    let inner = height.saturating_sub(2) as usize;
    let rows = p.rows(popup.width);
    let start = p.scroll.min(rows.len());
    let end = (start + inner).min(rows.len());
    let lines: Vec<Line<'_>> = rows
        .into_iter()
        .take(end)
        .skip(start)
        .map(Line::raw)
        .collect();
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::TOP | Borders::BOTTOM)
                .title(Span::styled(p.title.clone(), app.theme.accent())),
        )
        .render(popup, buf);
}
