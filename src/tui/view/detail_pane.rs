//! The open detail: the tab bar, and the slice of the tab's laid-out text that is on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Widget, Wrap};

use crate::tui::app::{App, Tab};
use crate::tui::fit::truncate_middle;
use crate::tui::stack::Detail;

pub fn render(app: &App, d: &Detail, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let [tabs_area, text_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let selected = Tab::ALL.iter().position(|x| *x == d.tab).unwrap_or(0);
    let [tabs_left, tabs_right] =
        Layout::horizontal([Constraint::Length(44), Constraint::Min(0)]).areas(tabs_area);
    let mut title = format!(" #{}", d.id);
    if let Some(data) = &d.data {
        let c = &data.capture.capture;
        title.push_str(&format!(" {} ", c.method));
        // A long path keeps both ends, as in the list.
        let room = usize::from(tabs_right.width).saturating_sub(title.chars().count());
        title.push_str(&truncate_middle(&c.path_and_query(), room));
    }
    Tabs::new(Tab::ALL.map(Tab::title))
        .select(selected)
        .highlight_style(t.selected())
        .render(tabs_left, buf);
    Paragraph::new(Line::from(Span::styled(title, t.dim()))).render(tabs_right, buf);

    let lines = d.lines();
    if d.data.is_none() {
        Paragraph::new("loading…").render(text_area, buf);
        return;
    }
    let start = d.scroll().min(lines.len());
    let end = (start + text_area.height as usize).min(lines.len());
    Paragraph::new(lines[start..end].to_vec())
        .wrap(Wrap { trim: false })
        .render(text_area, buf);
}
