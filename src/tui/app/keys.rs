//! What a key does, decided by what is in front ([`Stack::front`]): the question after an edit
//! and the filter prompt take keys as answers and text; everything else goes through the
//! keymap to the [`Action`] handler of the one layer in front. Back closes that layer.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{send_edited, App, Filter};
use crate::capture::CaptureId;
use crate::forward::Signing;
use crate::tui::clipboard::{CopyRequest, CopyWhat};
use crate::tui::detail_text::Tab;
use crate::tui::keymap::Action;
use crate::tui::stack::{Compare, Layer, Overlay, Popup, Prompt, Reflow};
use crate::tui::Command;

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    match app.stack.front() {
        Layer::PendingEdit => on_pending_edit_key(app, key),
        Layer::Prompt => {
            on_prompt_key(app, key);
            None
        }
        _ => {
            let action = app.keymap.action(&key)?;
            on_action(app, action)
        }
    }
}

/// Typing a filter: keys are text, except the ones that end or cancel it.
fn on_prompt_key(app: &mut App, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let Some(prompt) = app.stack.prompt_mut() else {
        return;
    };
    match key.code {
        KeyCode::Char('c') if ctrl => app.running = false,
        KeyCode::Char('u') if ctrl => prompt.text.clear(),
        KeyCode::Char(c) if !ctrl => prompt.text.push(c),
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Enter => {
            let text = prompt.text.trim().to_string();
            apply_filter(app, text);
            return;
        }
        KeyCode::Esc => {
            back(app);
            return;
        }
        _ => return,
    }
    prompt.error = None;
}

/// `y`/Enter sends the text as saved, `c` compacted (when it still parses), `n`/Esc cancels.
fn on_pending_edit_key(app: &mut App, key: KeyEvent) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => app.running = false,
        KeyCode::Char('y') | KeyCode::Enter if !ctrl => {
            let p = app.stack.take_pending_edit()?;
            let note = p.confirm.edited_note();
            return Some(send_edited(p.id, p.confirm.edited, note));
        }
        KeyCode::Char('c') => {
            let p = app.stack.pending_edit()?;
            let (id, (body, note)) = (p.id, p.confirm.compacted_body()?);
            app.stack.close(Layer::PendingEdit);
            return Some(send_edited(id, body, note));
        }
        KeyCode::Char('n') | KeyCode::Esc if !ctrl => back(app),
        _ => {}
    }
    None
}

/// Quit and Back mean the same everywhere; every other action is the front layer's.
fn on_action(app: &mut App, action: Action) -> Option<Command> {
    match (action, app.stack.front()) {
        (Action::Quit, _) => app.running = false,
        (Action::Back, _) => back(app),
        (Action::Help, Layer::Help) => {
            app.stack.close(Layer::Help);
        }
        // Nothing acts behind the help.
        (_, Layer::Help) => {}
        (_, Layer::Popup) => on_popup_action(app, action),
        (_, Layer::Compare) => on_compare_action(app, action),
        (_, Layer::Detail) => return on_detail_action(app, action),
        (_, Layer::List) => return on_list_action(app, action),
        // Their keys are text and answers (`on_key`); they never become actions.
        (_, Layer::Prompt | Layer::PendingEdit) => {}
    }
    None
}

/// Esc: closes what is in front (the question after an edit is answered "no"); on the bare
/// list, clears the filter.
fn back(app: &mut App) {
    match app.stack.front() {
        Layer::PendingEdit => {
            if let Some(p) = app.stack.take_pending_edit() {
                app.say(format!("edit of #{} cancelled, not sent", p.id), false);
            }
        }
        front @ (Layer::Prompt | Layer::Help | Layer::Popup) => {
            app.stack.close(front);
        }
        Layer::Compare | Layer::Detail => app.stack.close_screen(),
        Layer::List => {
            if !app.filter.applied.is_empty() {
                app.filter = Filter::default();
                app.window.top();
            }
        }
    }
}

/// In the popup: moves scroll its rows; nothing else acts behind it.
fn on_popup_action(app: &mut App, action: Action) {
    // The popup leaves a row above and below, and has a border on each of those sides; it is
    // as wide as the screen.
    let page = usize::from(app.size.1.saturating_sub(4)).max(1);
    let width = app.size.0;
    if let Some(p) = app.stack.popup_mut() {
        if let Some(to) = scrolled(action, p.scroll, page, p.rows(width).len()) {
            p.scroll = to;
        }
    }
}

/// In the compare screen: moves scroll it, `d` closes it, `?` opens the help over it.
fn on_compare_action(app: &mut App, action: Action) {
    let page = app.detail_height().max(1);
    let width = app.size.0;
    let Some(c) = app.stack.compare_mut() else {
        return;
    };
    let rows = c.data.as_ref().map_or(0, |d| d.rows(width).len());
    if let Some(to) = scrolled(action, c.scroll, page, rows) {
        c.scroll = to;
        return;
    }
    match action {
        Action::Compare => app.stack.close_screen(),
        Action::Help => app.stack.open(Overlay::Help),
        Action::LastNotice => show_last_notice(app),
        _ => {}
    }
}

/// In the list: moves move the selection, Enter opens the detail.
fn on_list_action(app: &mut App, action: Action) -> Option<Command> {
    match action {
        Action::Up => app.window.up(),
        Action::Down => app.window.down(),
        Action::PageUp => app.window.page_up(),
        Action::PageDown => app.window.page_down(),
        Action::Top => app.window.top(),
        Action::Bottom => {
            app.window.bottom();
            app.follow = false;
        }
        Action::Open => {
            if let Some(id) = app.window.selected().map(|r| r.id) {
                // Reading one capture closely: new arrivals must not move it away.
                app.follow = false;
                app.stack.open_detail(id);
            }
        }
        Action::PrevTab => {}
        _ => return on_capture_action(app, action),
    }
    if matches!(
        action,
        Action::Up | Action::Down | Action::PageUp | Action::PageDown
    ) {
        unfollow_when_away(app);
    }
    None
}

/// In the detail: moves scroll the tab's text, Enter/Tab and Shift-Tab change the tab.
fn on_detail_action(app: &mut App, action: Action) -> Option<Command> {
    let page = app.detail_height().max(1);
    let d = app.stack.detail_mut()?;
    match action {
        Action::Open => d.tab = d.tab.next(),
        Action::PrevTab => d.tab = d.tab.prev(),
        _ => match scrolled(action, d.scroll(), page, d.lines().len()) {
            Some(to) => d.scroll_to(to),
            None => return on_capture_action(app, action),
        },
    }
    None
}

/// The actions alike in the list and the detail: on the capture keys act on
/// ([`App::target`]), or on the whole view.
fn on_capture_action(app: &mut App, action: Action) -> Option<Command> {
    match action {
        Action::Replay | Action::ReplayExact => {
            // Whether `r` re-signs is decided where the capture's scheme is known
            // (`ops::replay::decide`), the same rule as `hookscope replay`; its one notice
            // comes back with the outcome.
            let id = target_or_say(app)?;
            let signing = match action {
                Action::Replay => Signing::Default,
                _ => Signing::AsIs,
            };
            return Some(Command::Replay {
                id,
                signing,
                body: None,
            });
        }
        Action::EditReplay => app.edit_request = Some(target_or_say(app)?),
        Action::Export => {
            let id = target_or_say(app)?;
            app.say(format!("exporting #{id}…"), false);
            return Some(Command::Export { id });
        }
        Action::Mark => {
            let id = target_or_say(app)?;
            toggle_mark(app, id);
        }
        Action::Compare => {
            let id = target_or_say(app)?;
            open_compare(app, id);
        }
        Action::CopyCurl | Action::CopyBody => {
            let id = target_or_say(app)?;
            let what = match action {
                Action::CopyCurl => CopyWhat::Curl,
                _ => CopyWhat::Body,
            };
            app.copy_request = Some(CopyRequest { id, what });
        }
        Action::SameEvent => {
            let id = target_or_say(app)?;
            match target_event_key(app) {
                Some(key) => {
                    // Back to the list, filtered: the detail was one of the deliveries.
                    app.stack.close_detail();
                    apply_filter(app, format!("event:{}", quoted_term(&key)));
                }
                None => app.say(
                    format!("#{id} carries no event id from its sender, so its redeliveries cannot be told apart"),
                    true,
                ),
            }
        }
        Action::Filter => app.stack.open(Overlay::Prompt(Prompt {
            text: app.filter.applied.clone(),
            error: None,
        })),
        Action::NextMatch => jump_to_match(app, true),
        Action::PrevMatch => jump_to_match(app, false),
        Action::Follow => toggle_follow(app),
        Action::Help => app.stack.open(Overlay::Help),
        Action::LastNotice => show_last_notice(app),
        // Moves are the list's and the detail's; Back and Quit are everyone's.
        _ => {}
    }
    None
}

fn toggle_mark(app: &mut App, id: CaptureId) {
    if app.mark == Some(id) {
        app.mark = None;
        app.say(format!("#{id} unmarked"), false);
    } else {
        app.mark = Some(id);
        app.say(
            format!("marked #{id}: select another capture and press d to compare"),
            false,
        );
    }
}

/// The mark against `id`; without a mark (or on it), `id` against its latest edited replay.
fn open_compare(app: &mut App, id: CaptureId) {
    let (left, right) = match app.mark {
        Some(m) if m != id => (m, Some(id)),
        _ => (id, None),
    };
    app.stack.open_compare(Compare::new(left, right));
}

/// The last notice whole, in the popup (wrapped, to read or select): the status line cuts
/// one too long for it, and notices age out.
fn show_last_notice(app: &mut App) {
    let Some(text) = app.last_notice.clone() else {
        app.say("no notice yet".into(), false);
        // Not a notice worth keeping: `!` again still has nothing to show.
        app.last_notice = None;
        return;
    };
    app.stack.open(Overlay::Popup(Popup {
        title: " last notice · Esc closes ".into(),
        lines: text.lines().map(str::to_string).collect(),
        scroll: 0,
        reflow: Reflow::Words,
    }));
}

/// Following again shows the newest capture: the list, at the top.
fn toggle_follow(app: &mut App) {
    app.follow = !app.follow;
    if app.follow {
        app.stack.close_detail();
        app.window.top();
    }
}

/// Applies the prompt's query, or keeps the prompt open with the error marked.
fn apply_filter(app: &mut App, text: String) {
    match crate::query::parse(&text, (app.clock)()) {
        Ok(query) => {
            app.filter = Filter {
                applied: text,
                query,
            };
            app.stack.close(Layer::Prompt);
            app.window.top();
            if let Some(d) = app.stack.detail_mut() {
                // The body's highlights follow the filter.
                d.stale = true;
            }
        }
        Err(e) => {
            if let Some(p) = app.stack.prompt_mut() {
                p.error = Some(e);
            }
        }
    }
}

/// `n`/`N`: scrolls the body tab to the next (previous) line holding a match, round the end.
fn jump_to_match(app: &mut App, forward: bool) {
    let Some(d) = app.stack.detail_mut() else {
        app.say(
            "n/N move between the filter's matches in a body: open a capture (Enter)".into(),
            false,
        );
        return;
    };
    let Some(matches) = d.data.as_ref().map(|data| data.matches.clone()) else {
        return;
    };
    if matches.is_empty() {
        let why = if app.filter.query.highlights().is_empty() {
            "no words to find: filter with / first (e.g. /docver)"
        } else {
            "no word of the filter in this body"
        };
        app.say(why.into(), false);
        return;
    }
    let body = Tab::Body.index();
    let here = d.scroll[body];
    let on_body = d.tab == Tab::Body;
    let next = if forward {
        matches
            .iter()
            .position(|&m| m > here || (!on_body && m == here))
            .unwrap_or(0)
    } else {
        matches
            .iter()
            .rposition(|&m| m < here || (!on_body && m == here))
            .unwrap_or(matches.len() - 1)
    };
    d.tab = Tab::Body;
    d.scroll[body] = matches[next];
    app.say(
        format!(
            "match {} of {} (line {})",
            next + 1,
            matches.len(),
            matches[next] + 1
        ),
        false,
    );
}

/// Where a scroll movement takes `scroll` over `rows` lines shown `page` at a time; `None`
/// when `action` is not a movement.
fn scrolled(action: Action, scroll: usize, page: usize, rows: usize) -> Option<usize> {
    let to = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll + 1,
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll + page,
        Action::Top => 0,
        Action::Bottom => rows.saturating_sub(page),
        _ => return None,
    };
    Some(to.min(rows.saturating_sub(1)))
}

/// Leaving the newest row is "scrolling away": following would yank the view back.
fn unfollow_when_away(app: &mut App) {
    if !app.window.at_top() {
        app.follow = false;
    }
}

/// The event key of the capture keys act on: the open detail's, else the selected row's.
fn target_event_key(app: &App) -> Option<String> {
    match app.stack.detail() {
        Some(d) => d.data.as_ref()?.capture.capture.event_key.clone(),
        None => app.window.selected()?.event_key.clone(),
    }
}

/// A key as a query value: as it is when it has no space or quote, else in quotes.
fn quoted_term(key: &str) -> String {
    if key.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("\"{}\"", key.replace('"', ""))
    } else {
        key.to_string()
    }
}

fn target_or_say(app: &mut App) -> Option<CaptureId> {
    let id = app.target();
    if id.is_none() {
        app.say("no capture selected".into(), true);
    }
    id
}
