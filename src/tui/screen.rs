//! The screen's bands and how many rows each gives the list and the detail text: pure geometry
//! of the terminal size. The views lay out with it; `update` pages with it, so paging moves by
//! what is on screen without the state asking the views.

use ratatui::layout::{Constraint, Layout, Rect};

/// The four bands of the screen.
pub struct Areas {
    pub header: Rect,
    pub main: Rect,
    pub status: Rect,
    pub footer: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [header, main, status, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        main,
        status,
        footer,
    }
}

fn main_height(size: (u16, u16)) -> usize {
    areas(Rect::new(0, 0, size.0, size.1)).main.height as usize
}

/// Capture rows that fit under the list's column titles.
pub fn list_rows(size: (u16, u16)) -> usize {
    main_height(size).saturating_sub(1).max(1)
}

/// Text lines that fit under the detail's tab bar.
pub fn detail_rows(size: (u16, u16)) -> usize {
    main_height(size).saturating_sub(1).max(1)
}
