//! TUI state and the pure `update`: events in, state changes and at most one [`Command`] out.
//! Reading the store happens in [`App::refresh`], called by the loop between updates and
//! drawing, so `update` itself never touches the disk, the network or the terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::text::Line;

use super::clipboard::{Copied, CopyRequest, CopyWhat};
use super::compare::CompareData;
pub use super::detail_text::Tab;
use super::detail_text::{highlight, tab_lines};
use super::editor::{self, Confirm, Decision};
use super::event::Event;
use super::keymap::{Action, Keymap};
use super::screen;
pub use super::theme::Theme;
use super::window::{CaptureSource, Window};
pub use super::zone::Zone;
use super::{Command, EditedBody};
use crate::capture::{now_ms, Attempt, CaptureId};
use crate::conn::ConnState;
use crate::diff::{self, pick_replay, ReplayPick, Side};
use crate::forward::Signing;
use crate::query::{Query, QueryError};
use crate::report::Report;
use crate::signature::Status;
use crate::stats::Totals;
use crate::store::{ListQuery, StoredCapture};

/// How many ticks a notice stays on the status line.
const NOTICE_TICKS: u32 = 8;

/// Fixed facts for the header, known when the TUI starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub listen_url: Option<String>,
    pub forward_target: Option<String>,
    /// `DOCVER only` when only some event types are forwarded (the others are captured).
    pub forward_events: Option<String>,
    /// `/stripe→:4001`, one per route in order, when forwarding by route.
    pub routes: Vec<String>,
    pub secrets_loaded: usize,
    /// The local development secret, when it is the session's one secret: the header labels it
    /// local-only and the detail says when a PASS matched it.
    pub dev_secret: Option<crate::signature::Secret>,
    /// The store's file, shown in the help overlay.
    pub db_path: Option<String>,
}

/// Verdict counts of captures seen since the TUI started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: u64,
    pub fail: u64,
    pub other: u64,
}

impl Tally {
    fn add(&mut self, status: Status) {
        match status {
            Status::Valid => self.pass += 1,
            Status::Invalid | Status::Unsigned => self.fail += 1,
            Status::Stale | Status::Unverified => self.other += 1,
        }
    }
}

/// The loaded capture of an open detail, with each tab's text laid out once per load.
#[derive(Debug, Clone)]
pub struct DetailData {
    pub capture: StoredCapture,
    pub attempts: Vec<Attempt>,
    pub lines: [Vec<Line<'static>>; 4],
    /// Body tab lines holding a word of the filter (highlighted), in order: `n`/`N` go there.
    pub matches: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub id: CaptureId,
    pub tab: Tab,
    /// First shown line of each tab.
    pub scroll: [usize; 4],
    /// `None` until [`App::refresh`] has read the capture.
    pub data: Option<DetailData>,
    stale: bool,
}

impl Detail {
    pub fn lines(&self) -> &[Line<'static>] {
        self.data
            .as_ref()
            .map(|d| d.lines[self.tab.index()].as_slice())
            .unwrap_or(&[])
    }

    pub fn scroll(&self) -> usize {
        self.scroll[self.tab.index()]
    }

    fn scroll_to(&mut self, line: usize) {
        let last = self.lines().len().saturating_sub(1);
        self.scroll[self.tab.index()] = line.min(last);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    ticks_left: u32,
}

/// The compare screen: `left` against `right`, or against what `left`'s latest edited replay
/// sent when `right` is `None`.
#[derive(Debug, Clone)]
pub struct Compare {
    pub left: CaptureId,
    pub right: Option<CaptureId>,
    /// First shown row.
    pub scroll: usize,
    /// `None` until [`App::refresh`] has read both sides.
    pub data: Option<CompareData>,
    stale: bool,
}

/// Text shown over everything, to read or select by hand (what `c` and `C` copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
}

/// The filter, a query (`crate::query`): `applied` selects the rows; `prompt` is being typed
/// after `/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub applied: String,
    /// `applied`, parsed.
    pub query: Query,
    pub prompt: Option<String>,
    /// Why Enter did not apply the prompt; its range marks the offending token.
    pub error: Option<QueryError>,
}

/// An edited JSON body waiting for the user's answer: send it as saved, compacted, or not at
/// all. While it waits, keys answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEdit {
    pub id: CaptureId,
    pub confirm: Confirm,
}

#[derive(Debug, Clone)]
pub struct App {
    pub keymap: Keymap,
    pub setup: Setup,
    /// `None` until the first probe of the forward target reports.
    pub reachable: Option<bool>,
    /// The relay's public URL and what its client is doing, with `listen --relay`.
    pub relay: Option<(String, ConnState)>,
    /// Live forwards waiting for a free slot; shown in the header when not 0.
    pub forward_queue: usize,
    pub tally: Tally,
    /// Verdicts, the app's answers and its latency since start.
    pub totals: Totals,
    pub window: Window,
    pub filter: Filter,
    /// Whether the selection jumps to each new capture.
    pub follow: bool,
    pub detail: Option<Detail>,
    pub help: bool,
    pub notice: Option<Notice>,
    pub zone: Zone,
    pub theme: Theme,
    /// Terminal width and height.
    pub size: (u16, u16),
    pub running: bool,
    /// Unix ms now, for relative times in queries (`since:2h`); tests pin it.
    pub clock: fn() -> i64,
    edit_request: Option<CaptureId>,
    /// The capture `m` marked, for `d`.
    pub mark: Option<CaptureId>,
    pub compare: Option<Compare>,
    pub popup: Option<Popup>,
    copy_request: Option<CopyRequest>,
    pub pending_edit: Option<PendingEdit>,
}

impl App {
    pub fn new(setup: Setup, zone: Zone, theme: Theme) -> App {
        App {
            keymap: Keymap::default(),
            setup,
            reachable: None,
            relay: None,
            forward_queue: 0,
            tally: Tally::default(),
            window: Window::default(),
            filter: Filter::default(),
            follow: true,
            detail: None,
            help: false,
            notice: None,
            zone,
            theme,
            size: (80, 24),
            running: true,
            clock: now_ms,
            edit_request: None,
            totals: Totals::default(),
            mark: None,
            compare: None,
            popup: None,
            copy_request: None,
            pending_edit: None,
        }
    }

    /// The store query of the current filter, without paging.
    pub fn query(&self) -> ListQuery {
        ListQuery {
            query: self.filter.query.clone(),
            ..ListQuery::default()
        }
    }

    /// The capture keys act on: the open detail's, else the selected row's.
    pub fn target(&self) -> Option<CaptureId> {
        match &self.detail {
            Some(d) => Some(d.id),
            None => self.window.selected().map(|r| r.id),
        }
    }

    /// The capture whose body the loop should open in `$EDITOR`, once.
    pub fn take_edit_request(&mut self) -> Option<CaptureId> {
        self.edit_request.take()
    }

    /// What the loop should copy to the clipboard, once.
    pub fn take_copy_request(&mut self) -> Option<CopyRequest> {
        self.copy_request.take()
    }

    /// Whether the next [`App::refresh`] has reading to do.
    pub fn needs_refresh(&self) -> bool {
        self.window.is_stale()
            || self.detail.as_ref().is_some_and(|d| d.stale)
            || self.compare.as_ref().is_some_and(|c| c.stale)
    }

    /// Reads what the state asks for: one screenful of rows, and the open capture when it
    /// changed. Bounded: a few indexed queries, or with a text filter one frame's share of
    /// the scan (see [`Window::load`]); never the whole list at once.
    pub fn refresh(&mut self, src: &dyn CaptureSource) {
        if self.window.is_stale() {
            let query = self.query();
            if let Err(e) = self.window.load(src, &query) {
                self.window_failed(e.to_string());
            }
        }
        self.refresh_compare(src);
        let Some(detail) = self.detail.as_mut().filter(|d| d.stale) else {
            return;
        };
        detail.stale = false;
        let id = detail.id;
        let loaded = src.capture(id).and_then(|c| Ok((c, src.attempts(id)?)));
        match loaded {
            Ok((Some(capture), attempts)) => {
                let mut lines = Tab::ALL.map(|tab| {
                    tab_lines(
                        tab,
                        &capture,
                        &attempts,
                        (self.zone, self.theme),
                        !self.setup.routes.is_empty(),
                        self.setup.dev_secret.as_ref(),
                    )
                });
                let words = self.filter.query.highlights();
                let matches = highlight(&mut lines[Tab::Body.index()], &words, self.theme);
                // A reload (new attempt) may shorten a tab: keep each scroll inside its text.
                for (scroll, tab) in detail.scroll.iter_mut().zip(&lines) {
                    *scroll = (*scroll).min(tab.len().saturating_sub(1));
                }
                detail.data = Some(DetailData {
                    capture,
                    attempts,
                    lines,
                    matches,
                });
            }
            Ok((None, _)) => {
                self.detail = None;
                self.say(format!("capture #{id} is no longer in the store"), true);
            }
            Err(e) => {
                self.detail = None;
                self.say(e.to_string(), true);
            }
        }
    }

    /// Reads both sides of an open comparison and diffs them, once.
    fn refresh_compare(&mut self, src: &dyn CaptureSource) {
        let Some(cmp) = self.compare.as_mut().filter(|c| c.stale) else {
            return;
        };
        cmp.stale = false;
        match load_compare(src, cmp.left, cmp.right) {
            Ok(d) => cmp.data = Some(CompareData::new(d)),
            Err(why) => {
                self.compare = None;
                self.say(why, true);
            }
        }
    }

    fn window_failed(&mut self, message: String) {
        // Keep the rows already shown; the next change retries.
        self.window.abandon_load();
        self.say(message, true);
    }

    fn say(&mut self, text: String, error: bool) {
        self.notice = Some(Notice {
            text,
            error,
            ticks_left: NOTICE_TICKS,
        });
    }

    fn list_height(&self) -> usize {
        screen::list_rows(self.size)
    }

    fn detail_height(&self) -> usize {
        screen::detail_rows(self.size)
    }
}

/// Applies one event. Pure: no I/O; effects come back as a [`Command`] for the caller to run.
pub fn update(app: &mut App, event: Event) -> Option<Command> {
    match event {
        Event::Tick => {
            if let Some(n) = app.notice.as_mut() {
                n.ticks_left = n.ticks_left.saturating_sub(1);
                if n.ticks_left == 0 {
                    app.notice = None;
                }
            }
            None
        }
        Event::Resize(width, height) => {
            app.size = (width, height);
            let rows = app.list_height();
            app.window.set_height(rows);
            None
        }
        Event::Report(report) => {
            on_report(app, report);
            None
        }
        Event::Key(key) => on_key(app, key),
        Event::Copied(copied) => {
            on_copied(app, copied);
            None
        }
        Event::Edited {
            id,
            original,
            edited,
        } => match edited {
            Ok(edited) => on_edited(app, id, &original, &edited),
            Err(why) => {
                app.say(format!("edit of #{id} not replayed: {why}"), true);
                None
            }
        },
    }
}

/// Nothing is sent for an unchanged body; an edited JSON body waits for the user's answer.
fn on_edited(app: &mut App, id: CaptureId, original: &[u8], edited: &[u8]) -> Option<Command> {
    match editor::decide(original, edited) {
        Decision::Unchanged => {
            app.say(format!("#{id} unchanged, not sent"), false);
            None
        }
        Decision::Send { body, note } => Some(send_edited(id, body, note)),
        Decision::NeedsConfirm(confirm) => {
            app.pending_edit = Some(PendingEdit { id, confirm });
            None
        }
    }
}

/// An edited body is always re-signed: its original signature cannot match it.
fn send_edited(id: CaptureId, bytes: Vec<u8>, note: String) -> Command {
    Command::Replay {
        id,
        signing: Signing::Default,
        body: Some(EditedBody { bytes, note }),
    }
}

/// `y`/Enter sends the text as saved, `c` compacted (when it still parses), `n`/Esc cancels.
fn on_pending_edit_key(app: &mut App, key: KeyEvent) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => app.running = false,
        KeyCode::Char('y') | KeyCode::Enter if !ctrl => {
            let p = app.pending_edit.take()?;
            let note = p.confirm.edited_note();
            return Some(send_edited(p.id, p.confirm.edited, note));
        }
        KeyCode::Char('c') => {
            let p = app.pending_edit.as_ref()?;
            let (id, (body, note)) = (p.id, p.confirm.compacted_body()?);
            app.pending_edit = None;
            return Some(send_edited(id, body, note));
        }
        KeyCode::Char('n') | KeyCode::Esc if !ctrl => {
            let p = app.pending_edit.take()?;
            app.say(format!("edit of #{} cancelled, not sent", p.id), false);
        }
        _ => {}
    }
    None
}

fn on_report(app: &mut App, report: Report) {
    match report {
        Report::Listening { url } => app.setup.listen_url = Some(url),
        Report::Captured(summary) => {
            app.tally.add(summary.verdict.status());
            app.totals.on_captured(&summary);
            if app.follow && app.detail.is_none() {
                app.window.top();
            } else {
                app.window.pin();
            }
        }
        // A replay's one notice comes from the effect that made it, with how it was signed.
        Report::Attempted {
            capture_id,
            attempt,
            replay: _,
        } => {
            app.totals.on_attempt(&attempt);
            app.window
                .patch(capture_id, |row| row.latest_attempt = Some(attempt.clone()));
            if let Some(d) = app.detail.as_mut().filter(|d| d.id == capture_id) {
                d.stale = true;
            }
        }
        Report::TargetReachable(up) => app.reachable = Some(up),
        Report::ForwardQueue { waiting } => app.forward_queue = waiting,
        Report::Notice { text, error } => app.say(text, error),
        Report::Relay { url, state } => app.relay = Some((url, state)),
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if app.pending_edit.is_some() {
        return on_pending_edit_key(app, key);
    }
    if let Some(prompt) = app.filter.prompt.as_mut() {
        // Typing a filter: keys are text, except the ones that end or cancel it.
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => app.running = false,
            KeyCode::Char('u') if ctrl => prompt.clear(),
            KeyCode::Char(c) if !ctrl => prompt.push(c),
            KeyCode::Backspace => {
                prompt.pop();
            }
            KeyCode::Enter => {
                let text = prompt.trim().to_string();
                apply_filter(app, text);
                return None;
            }
            KeyCode::Esc => app.filter.prompt = None,
            _ => return None,
        }
        app.filter.error = None;
        return None;
    }
    let action = app.keymap.action(&key)?;
    on_action(app, action)
}

fn on_action(app: &mut App, action: Action) -> Option<Command> {
    if app.help {
        match action {
            Action::Help | Action::Back => app.help = false,
            Action::Quit => app.running = false,
            _ => {}
        }
        return None;
    }
    if app.popup.is_some() {
        on_popup_action(app, action);
        return None;
    }
    if app.compare.is_some() {
        on_compare_action(app, action);
        return None;
    }
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            if let Some(d) = app.detail.as_mut() {
                let page = screen::detail_rows(app.size).max(1);
                let from = d.scroll();
                let to = match action {
                    Action::Up => from.saturating_sub(1),
                    Action::Down => from + 1,
                    Action::PageUp => from.saturating_sub(page),
                    _ => from + page,
                };
                d.scroll_to(to);
            } else {
                match action {
                    Action::Up => app.window.up(),
                    Action::Down => app.window.down(),
                    Action::PageUp => app.window.page_up(),
                    _ => app.window.page_down(),
                }
                unfollow_when_away(app);
            }
        }
        Action::Top => match app.detail.as_mut() {
            Some(d) => d.scroll_to(0),
            None => app.window.top(),
        },
        Action::Bottom => {
            let page = app.detail_height();
            match app.detail.as_mut() {
                Some(d) => d.scroll_to(d.lines().len().saturating_sub(page)),
                None => {
                    app.window.bottom();
                    app.follow = false;
                }
            }
        }
        Action::Open => match app.detail.as_mut() {
            Some(d) => d.tab = d.tab.next(),
            None => {
                if let Some(id) = app.window.selected().map(|r| r.id) {
                    // Reading one capture closely: new arrivals must not move it away.
                    app.follow = false;
                    app.detail = Some(Detail {
                        id,
                        tab: Tab::Overview,
                        scroll: [0; 4],
                        data: None,
                        stale: true,
                    });
                }
            }
        },
        Action::PrevTab => {
            if let Some(d) = app.detail.as_mut() {
                d.tab = d.tab.prev();
            }
        }
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
        Action::EditReplay => {
            app.edit_request = Some(target_or_say(app)?);
        }
        Action::Export => {
            let id = target_or_say(app)?;
            app.say(format!("exporting #{id}…"), false);
            return Some(Command::Export { id });
        }
        Action::Mark => {
            let id = target_or_say(app)?;
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
        Action::Compare => {
            let id = target_or_say(app)?;
            let (left, right) = match app.mark {
                Some(m) if m != id => (m, Some(id)),
                _ => (id, None),
            };
            app.compare = Some(Compare {
                left,
                right,
                scroll: 0,
                data: None,
                stale: true,
            });
        }
        Action::CopyCurl | Action::CopyBody => {
            let id = target_or_say(app)?;
            let what = match action {
                Action::CopyCurl => CopyWhat::Curl,
                _ => CopyWhat::Body,
            };
            app.copy_request = Some(CopyRequest { id, what });
        }
        Action::Filter => app.filter.prompt = Some(app.filter.applied.clone()),
        Action::NextMatch => jump_to_match(app, true),
        Action::PrevMatch => jump_to_match(app, false),
        Action::Follow => {
            app.follow = !app.follow;
            if app.follow {
                app.detail = None;
                app.window.top();
            }
        }
        Action::Help => app.help = !app.help,
        Action::Back => {
            if app.help {
                app.help = false;
            } else if app.detail.is_some() {
                app.detail = None;
            } else if !app.filter.applied.is_empty() {
                app.filter = Filter::default();
                app.window.top();
            }
        }
        Action::Quit => app.running = false,
    }
    None
}

/// Applies the prompt's query, or keeps the prompt open with the error marked.
fn apply_filter(app: &mut App, text: String) {
    match crate::query::parse(&text, (app.clock)()) {
        Ok(query) => {
            app.filter = Filter {
                applied: text,
                query,
                prompt: None,
                error: None,
            };
            app.window.top();
            if let Some(d) = app.detail.as_mut() {
                // The body's highlights follow the filter.
                d.stale = true;
            }
        }
        Err(e) => app.filter.error = Some(e),
    }
}

/// `n`/`N`: scrolls the body tab to the next (previous) line holding a match, round the end.
fn jump_to_match(app: &mut App, forward: bool) {
    let Some(d) = app.detail.as_mut() else {
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

/// Inside the popup: moves scroll it, `Esc` closes it; nothing else acts behind it.
fn on_popup_action(app: &mut App, action: Action) {
    // The popup leaves a row above and below, and has a border on each of those sides.
    let page = usize::from(app.size.1.saturating_sub(4)).max(1);
    let Some(p) = app.popup.as_mut() else {
        return;
    };
    if let Some(to) = scrolled(action, p.scroll, page, p.lines.len()) {
        p.scroll = to;
        return;
    }
    match action {
        Action::Back => app.popup = None,
        Action::Quit => app.running = false,
        _ => {}
    }
}

/// Inside the compare screen: moves scroll it, `Esc` closes it.
fn on_compare_action(app: &mut App, action: Action) {
    let page = app.detail_height().max(1);
    let width = app.size.0;
    let Some(c) = app.compare.as_mut() else {
        return;
    };
    let rows = c.data.as_ref().map_or(0, |d| d.rows(width).len());
    if let Some(to) = scrolled(action, c.scroll, page, rows) {
        c.scroll = to;
        return;
    }
    match action {
        Action::Back | Action::Compare => app.compare = None,
        Action::Help => app.help = true,
        Action::Quit => app.running = false,
        _ => {}
    }
}

fn on_copied(app: &mut App, copied: Copied) {
    app.say(copied.notice, false);
    app.popup = Some(Popup {
        title: copied.title,
        lines: copied.text.lines().map(str::to_string).collect(),
        scroll: 0,
    });
}

/// Both sides of a comparison, diffed; `Err` says what is missing.
fn load_compare(
    src: &dyn CaptureSource,
    left: CaptureId,
    right: Option<CaptureId>,
) -> Result<diff::Diff, String> {
    let get = |id: CaptureId| match src.capture(id) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(format!("capture #{id} is no longer in the store")),
        Err(e) => Err(e.to_string()),
    };
    let l = get(left)?;
    match right {
        Some(right) => {
            let r = get(right)?;
            Ok(diff::compare(
                &format!("#{left}"),
                side(&l),
                &format!("#{right}"),
                side(&r),
            ))
        }
        None => {
            let attempts = src.attempts(left).map_err(|e| e.to_string())?;
            let replay = pick_replay(left, &l.capture.body, &attempts, ReplayPick::LatestEdited)
                .map_err(|why| format!("{why}: mark another capture with m to compare with it"))?;
            Ok(diff::compare_replay(&format!("#{left}"), side(&l), &replay))
        }
    }
}

fn side(c: &StoredCapture) -> Side<'_> {
    Side {
        headers: Some(&c.capture.headers),
        body: &c.capture.body,
    }
}

/// Leaving the newest row is "scrolling away": following would yank the view back.
fn unfollow_when_away(app: &mut App) {
    if !app.window.at_top() {
        app.follow = false;
    }
}

fn target_or_say(app: &mut App) -> Option<CaptureId> {
    let id = app.target();
    if id.is_none() {
        app.say("no capture selected".into(), true);
    }
    id
}
