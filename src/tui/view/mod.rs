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
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, Notice};
use super::editor;
use super::fit;
use super::keymap::{Action, Key};
use super::screen::areas;
#[cfg(test)]
pub(crate) use super::screen::{detail_rows, list_rows};
use super::stack::{Overlay, PendingEdit, Prompt, Screen};

/// The screen, then the overlays oldest first: the newest is drawn on top, as it takes the keys.
impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = areas(area);
        header::render(self, a.header, buf);
        match self.stack.screen() {
            Screen::List => list::render(self, a.main, buf),
            Screen::Detail(d) => detail_pane::render(self, d, a.main, buf),
            Screen::Compare { compare, .. } => compare::render(self, compare, a.main, buf),
        }
        render_status(self, a.status, buf);
        render_footer(self, a.footer, buf);
        for overlay in self.stack.overlays() {
            match overlay {
                Overlay::Help => help::render(self, area, buf),
                Overlay::Popup(p) => popup::render(self, p, area, buf),
                // These two speak in the status line.
                Overlay::Prompt(_) | Overlay::PendingEdit(_) => {}
            }
        }
    }
}

/// The status line is the topmost overlay's that has one, else the screen's.
fn render_status(app: &App, area: Rect, buf: &mut Buffer) {
    let line = app
        .stack
        .overlays()
        .iter()
        .rev()
        .find_map(|overlay| match overlay {
            Overlay::PendingEdit(p) => Some(pending_edit_line(app, p, area.width)),
            Overlay::Prompt(p) => Some(prompt_line(app, p, area.width)),
            Overlay::Help | Overlay::Popup(_) => None,
        })
        .unwrap_or_else(|| screen_status_line(app, area.width));
    Paragraph::new(line).render(area, buf);
}

/// What the prompt says after the cursor, the longest that fits: no word is cut.
const PROMPT_HINTS: [&str; 5] = [
    "words, \"a phrase\", event: badge: status: path: since: a.b=value, -negates · Enter applies · Esc cancels",
    "words, \"a phrase\", event: badge: status: a.b=value, -negates · Enter applies · Esc cancels",
    "words, event: badge: status: · Enter applies · Esc cancels",
    "Enter applies · Esc cancels",
    "Enter applies",
];

/// The filter being typed: the offending token of a bad query marked in place, the reason
/// after the cursor; else the end of the query (where the cursor is) and what the language
/// offers, as much as fits.
fn prompt_line<'a>(app: &App, p: &'a Prompt, width: u16) -> Line<'a> {
    let t = app.theme;
    let text = &p.text;
    let width = usize::from(width);
    let mut spans = vec![Span::styled("/", t.accent())];
    match &p.error {
        Some(e) => {
            let start = floor_boundary(text, e.start);
            let end = floor_boundary(text, e.end).max(start);
            spans.push(Span::raw(&text[..start]));
            spans.push(Span::styled(
                &text[start..end],
                t.error().add_modifier(Modifier::UNDERLINED),
            ));
            spans.push(Span::raw(&text[end..]));
            spans.push(Span::styled("█", t.dim()));
            let room = width.saturating_sub(Line::from(spans.clone()).width());
            let why = fit::truncate_words(&format!("   {}", e.message), room);
            spans.push(Span::styled(why, t.error()));
        }
        None => {
            // "/" and the cursor take two columns.
            let typed = fit::truncate_start(text, width.saturating_sub(2));
            let room = width.saturating_sub(2 + typed.chars().count());
            spans.push(Span::raw(typed));
            spans.push(Span::styled("█", t.dim()));
            if let Some(hint) = PROMPT_HINTS.iter().find(|h| h.chars().count() + 3 <= room) {
                spans.push(Span::styled(format!("   {hint}"), t.dim()));
            }
        }
    }
    Line::from(spans)
}

/// Under no overlay that speaks: a search in progress, else the notice, else the filter.
fn screen_status_line(app: &App, width: u16) -> Line<'_> {
    let t = app.theme;
    if app.window.searching() {
        Line::from(vec![
            Span::styled("searching for ", t.dim()),
            Span::styled(format!("'{}'", app.filter.applied), t.accent()),
            Span::styled("…  (keys still work, Esc clears the filter)", t.dim()),
        ])
    } else if let Some(n) = &app.notice {
        notice_line(app, n, usize::from(width))
    } else if !app.filter.applied.is_empty() {
        let mut spans = vec![
            Span::styled("filter ", t.dim()),
            Span::styled(format!("'{}'", app.filter.applied), t.accent()),
            Span::styled("  (Esc clears, / edits)", t.dim()),
        ];
        if let Some(n) = app.window.left_out() {
            spans.push(Span::styled(
                format!("  words not searched in the {n} newest captures (read-only store)"),
                t.warn(),
            ));
        }
        Line::from(spans)
    } else {
        Line::default()
    }
}

/// A notice, or as much of it as fits cut between words, with the key that shows it whole.
fn notice_line(app: &App, n: &Notice, width: usize) -> Line<'static> {
    let t = app.theme;
    let style = if n.error { t.error() } else { t.ok() };
    if n.text.chars().count() <= width {
        return Line::from(Span::styled(n.text.clone(), style));
    }
    let key = app
        .keymap
        .keys_for(Action::LastNotice)
        .first()
        .map(Key::label);
    let more = key.map(|k| format!(" ({k} shows all)")).unwrap_or_default();
    // The words first on a narrow screen: the key's hint only with room for a few of them.
    let more = if width >= more.chars().count() + 20 {
        more
    } else {
        String::new()
    };
    let room = width - more.chars().count();
    Line::from(vec![
        Span::styled(fit::truncate_words(&n.text, room), style),
        Span::styled(more, t.dim()),
    ])
}

/// The question after an edit: what each key sends, the least needed parts left out first.
fn pending_edit_line<'a>(app: &App, p: &'a PendingEdit, width: u16) -> Line<'a> {
    let t = app.theme;
    let c = &p.confirm;
    let bytes = editor::byte_count(c.edited.len());
    let mut items = Vec::new();
    match &c.json_error {
        Some(why) => {
            let warning = format!("#{} is no longer valid JSON", p.id);
            items.push((0, vec![Span::styled(warning, t.warn())]));
            items.push((3, vec![Span::styled(format!("({why})"), t.warn())]));
            items.push((1, key_item(app, "y", format!("send anyway ({bytes})"))));
        }
        None => {
            items.push((
                0,
                vec![Span::styled(format!("send edited #{}?", p.id), t.accent())],
            ));
            items.push((1, key_item(app, "y", format!("as saved ({bytes})"))));
            if let Some(compact) = &c.compacted {
                let bytes = editor::byte_count(compact.len());
                items.push((2, key_item(app, "c", format!("compacted ({bytes})"))));
            }
        }
    }
    items.push((1, key_item(app, "n", "cancel".into())));
    fitted_line(items, width, "  ")
}

fn key_item<'a>(app: &App, key: &'a str, what: String) -> Vec<Span<'a>> {
    let t = app.theme;
    vec![
        Span::styled(key, t.key()),
        Span::styled(format!(" {what}"), t.dim()),
    ]
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
    let items = app
        .keymap
        .footer()
        .into_iter()
        .map(|(keys, label, rank)| {
            let spans = vec![
                Span::styled(keys, t.key()),
                Span::styled(format!(" {label}"), t.dim()),
            ];
            (rank, spans)
        })
        .collect();
    Paragraph::new(fitted_line(items, area.width, "  ")).render(area, buf);
}

/// Whole items joined by `gap`; when they do not all fit, the least important (highest rank)
/// are left out, so no word is ever cut.
fn fitted_line<'a>(items: Vec<(u8, Vec<Span<'a>>)>, width: u16, gap: &'a str) -> Line<'a> {
    fitted_items(items.into_iter().map(Item::whole).collect(), width, gap)
}

/// One item of a fitted line: its spans and rank, and for one that may be shortened (a URL),
/// its last span is cut from the middle as [`fit::item_widths`] says.
struct Item<'a> {
    rank: u8,
    spans: Vec<Span<'a>>,
    cut: Option<fit::Cut>,
}

impl<'a> Item<'a> {
    /// An item shown whole or not at all: `(rank, spans)`.
    fn whole((rank, spans): (u8, Vec<Span<'a>>)) -> Item<'a> {
        Item {
            rank,
            spans,
            cut: None,
        }
    }
}

/// The items that fit joined by `gap`, the least important left out whole, a shortened item
/// cut from the middle: no word is cut elsewhere.
fn fitted_items<'a>(items: Vec<Item<'a>>, width: u16, gap: &'a str) -> Line<'a> {
    let sizes: Vec<fit::Item> = items
        .iter()
        .map(|i| fit::Item {
            width: i.spans.iter().map(Span::width).sum(),
            rank: i.rank,
            cut: i.cut,
        })
        .collect();
    let widths = fit::item_widths(&sizes, usize::from(width), gap.chars().count());
    let mut line = Vec::new();
    for ((item, size), shown) in items.into_iter().zip(&sizes).zip(widths) {
        let Some(shown) = shown else {
            continue;
        };
        if !line.is_empty() {
            line.push(Span::raw(gap));
        }
        line.extend(shortened(item.spans, size.width - shown));
    }
    Line::from(line)
}

/// `spans` less `by` columns, taken from the middle of the last span.
fn shortened(mut spans: Vec<Span<'_>>, by: usize) -> Vec<Span<'_>> {
    if by > 0 {
        if let Some(last) = spans.last_mut() {
            let keep = last.width().saturating_sub(by);
            last.content = fit::truncate_middle(&last.content, keep).into();
        }
    }
    spans
}
