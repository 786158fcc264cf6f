//! Colours and text styles. A [`Theme`] is a setting the state carries (`NO_COLOR`); only the
//! views turn it into styles.

use ratatui::style::{Color, Modifier, Style};

use crate::signature::Status;

/// Whether colours are used (`NO_COLOR` turns them off; badges stay readable as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether to draw in colour.
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value (no-color.org).
    pub(crate) fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Badge colours: green pass, red fail, yellow stale, grey unverified.
    pub(crate) fn badge(self, status: Status) -> Style {
        let color = match status {
            Status::Valid => Color::Green,
            Status::Invalid | Status::Unsigned => Color::Red,
            Status::Stale => Color::Yellow,
            Status::Unverified => Color::DarkGray,
        };
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    pub(crate) fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub(crate) fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }

    pub(crate) fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub(crate) fn error(self) -> Style {
        self.fg(Color::Red)
    }

    pub(crate) fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub(crate) fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub(crate) fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A word the filter found: reversed yellow, and reversed alone without colour.
    pub(crate) fn matched(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// The selected row: reversed, so it shows without colour too.
    pub(crate) fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}
