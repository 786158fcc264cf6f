//! TUI state and the pure `update`: events in, state changes and at most one [`Command`] out.
//! Reading the store happens in [`App::refresh`], called by the loop between updates and
//! drawing, so `update` itself never touches the disk, the network or the terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::text::Line;

use super::detail_text::tab_lines;
pub use super::detail_text::Tab;
use super::event::Event;
use super::keymap::{Action, Keymap};
use super::screen;
pub use super::theme::Theme;
use super::window::{CaptureSource, Window};
pub use super::zone::Zone;
use super::Command;
use crate::capture::{Attempt, CaptureId};
use crate::report::Report;
use crate::signature::Status;
use crate::store::{ListQuery, StoredCapture};

/// How many ticks a notice stays on the status line.
const NOTICE_TICKS: u32 = 8;

/// Fixed facts for the header, known when the TUI starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub listen_url: Option<String>,
    pub forward_target: Option<String>,
    pub secrets_loaded: usize,
    /// The one secret is the local development secret (labelled local-only).
    pub dev_secret: bool,
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

/// The text filter: `applied` selects the rows; `prompt` is being typed after `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub applied: String,
    pub prompt: Option<String>,
}

#[derive(Debug, Clone)]
pub struct App {
    pub keymap: Keymap,
    pub setup: Setup,
    /// `None` until the first probe of the forward target reports.
    pub reachable: Option<bool>,
    /// Live forwards waiting for a free slot; shown in the header when not 0.
    pub forward_queue: usize,
    pub tally: Tally,
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
    edit_request: Option<CaptureId>,
}

impl App {
    pub fn new(setup: Setup, zone: Zone, theme: Theme) -> App {
        App {
            keymap: Keymap::default(),
            setup,
            reachable: None,
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
            edit_request: None,
        }
    }

    /// The store query of the current filter, without paging.
    pub fn query(&self) -> ListQuery {
        ListQuery {
            text: Some(self.filter.applied.clone()).filter(|t| !t.is_empty()),
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

    /// Whether the next [`App::refresh`] has reading to do.
    pub fn needs_refresh(&self) -> bool {
        self.window.is_stale() || self.detail.as_ref().is_some_and(|d| d.stale)
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
        let Some(detail) = self.detail.as_mut().filter(|d| d.stale) else {
            return;
        };
        detail.stale = false;
        let id = detail.id;
        let loaded = src.capture(id).and_then(|c| Ok((c, src.attempts(id)?)));
        match loaded {
            Ok((Some(capture), attempts)) => {
                let lines =
                    Tab::ALL.map(|tab| tab_lines(tab, &capture, &attempts, self.zone, self.theme));
                // A reload (new attempt) may shorten a tab: keep each scroll inside its text.
                for (scroll, tab) in detail.scroll.iter_mut().zip(&lines) {
                    *scroll = (*scroll).min(tab.len().saturating_sub(1));
                }
                detail.data = Some(DetailData {
                    capture,
                    attempts,
                    lines,
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
        Event::Edited { id, body } => match body {
            Ok(body) => {
                app.say(format!("replaying edited #{id} (re-signed)…"), false);
                Some(Command::Replay {
                    id,
                    resign: true,
                    body: Some(body),
                })
            }
            Err(why) => {
                app.say(format!("edit of #{id} not replayed: {why}"), true);
                None
            }
        },
    }
}

fn on_report(app: &mut App, report: Report) {
    match report {
        Report::Listening { url } => app.setup.listen_url = Some(url),
        Report::Captured(summary) => {
            app.tally.add(summary.verdict.status());
            if app.follow && app.detail.is_none() {
                app.window.top();
            } else {
                app.window.pin();
            }
        }
        Report::Attempted {
            capture_id,
            attempt,
            replay,
        } => {
            if replay {
                let outcome = match (&attempt.status, &attempt.error) {
                    (Some(s), _) => format!("HTTP {s}"),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "no answer".into(),
                };
                let failed = !attempt.succeeded();
                app.say(format!("replay of #{capture_id}: {outcome}"), failed);
            }
            app.window
                .patch(capture_id, |row| row.latest_attempt = Some(attempt.clone()));
            if let Some(d) = app.detail.as_mut().filter(|d| d.id == capture_id) {
                d.stale = true;
            }
        }
        Report::TargetReachable(up) => app.reachable = Some(up),
        Report::ForwardQueue { waiting } => app.forward_queue = waiting,
        Report::Notice { text, error } => app.say(text, error),
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
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
                app.filter.applied = prompt.trim().to_string();
                app.filter.prompt = None;
                app.window.top();
            }
            KeyCode::Esc => app.filter.prompt = None,
            _ => {}
        }
        return None;
    }
    let action = app.keymap.action(&key)?;
    on_action(app, action)
}

fn on_action(app: &mut App, action: Action) -> Option<Command> {
    if app.help && !matches!(action, Action::Help | Action::Back | Action::Quit) {
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
            let id = target_or_say(app)?;
            let resign = action == Action::Replay && app.setup.secrets_loaded > 0;
            let how = if resign { "re-signed" } else { "byte for byte" };
            app.say(format!("replaying #{id} ({how})…"), false);
            return Some(Command::Replay {
                id,
                resign,
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
        Action::Filter => app.filter.prompt = Some(app.filter.applied.clone()),
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
                app.filter.applied.clear();
                app.window.top();
            }
        }
        Action::Quit => app.running = false,
    }
    None
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
