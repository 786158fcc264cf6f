//! TUI state and the pure `update`: events in, state changes and at most one [`Command`] out.
//! Reading the store happens in [`App::refresh`], called by the loop between updates and
//! drawing, so `update` itself never touches the disk, the network or the terminal.

mod keys;

use super::clipboard::{Copied, CopyRequest};
use super::compare::CompareData;
pub(crate) use super::detail_text::Tab;
use super::detail_text::{highlight, tab_lines};
use super::editor::{self, Decision};
use super::event::Event;
use super::keymap::Keymap;
use super::screen;
use super::stack::{DetailData, Overlay, PendingEdit, Popup, Reflow, Stack};
pub use super::theme::Theme;
use super::window::{CaptureSource, Window};
pub use super::zone::Zone;
use super::{Command, EditedBody};
use crate::capture::{now_ms, CaptureId};
use crate::conn::ConnState;
use crate::diff::{self, pick_replay, ReplayPick, Side};
use crate::forward::Signing;
use crate::query::Query;
use crate::report::Report;
use crate::signature::Status;
use crate::stats::Totals;
use crate::store::{ListQuery, StoredCapture};

/// How many ticks a notice stays on the status line.
const NOTICE_TICKS: u32 = 8;

/// Fixed facts for the header, known when the TUI starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    /// The URL the listener serves at; `None` when only browsing.
    pub listen_url: Option<String>,
    /// Where captures are forwarded; `None`: nowhere.
    pub forward_target: Option<String>,
    /// `DOCVER only` when only some event types are forwarded (the others are captured).
    pub forward_events: Option<String>,
    /// `/stripe→:4001`, one per route in order, when forwarding by route.
    pub routes: Vec<String>,
    /// How many signing secrets were given.
    pub secrets_loaded: usize,
    /// The local development secret, when it is the session's one secret: the header labels it
    /// local-only and the detail says when a PASS matched it.
    pub dev_secret: Option<crate::signature::Secret>,
    /// Every secret the session verifies with, with its origin: the detail says which one a
    /// PASS matched (a stored webhook's current or previous secret).
    pub known: Vec<crate::signature::Secret>,
    /// A Dataspike webhook this session registered or reuses, for the header: "Dataspike
    /// sandbox webhook 01927ed4… → this relay channel".
    pub registered: Option<String>,
    /// The store's file, shown in the help overlay.
    pub db_path: Option<String>,
    /// `503 to each event's first 2 deliveries`: what the listener answers by choice, when it
    /// does (`listen --respond STATUS`).
    pub chosen: Option<String>,
}

/// Verdict counts of captures seen since the TUI started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) pass: u64,
    pub(crate) fail: u64,
    pub(crate) other: u64,
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

/// A line for the status bar, until it ages out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The message.
    pub text: String,
    /// Whether it reports a failure (drawn as one).
    pub error: bool,
    ticks_left: u32,
}

/// The filter, a query (`crate::query`) that selects the rows; the one being typed after `/`
/// is a `Prompt` over the screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// The query as typed and applied.
    pub applied: String,
    /// `applied`, parsed.
    pub(crate) query: Query,
}

#[derive(Debug, Clone)]
/// The TUI's whole state: `update` changes it, the view draws it.
pub struct App {
    pub(crate) keymap: Keymap,
    pub(crate) setup: Setup,
    /// `None` until the first probe of the forward target reports.
    pub(crate) reachable: Option<bool>,
    /// The relay's public URL and what its client is doing, with `listen --relay`.
    pub(crate) relay: Option<(String, ConnState)>,
    /// Live forwards waiting for a free slot; shown in the header when not 0.
    pub(crate) forward_queue: usize,
    pub(crate) tally: Tally,
    /// Verdicts, the app's answers and its latency since start.
    pub(crate) totals: Totals,
    /// The rows in view and the selection.
    pub window: Window,
    /// The applied `/` filter.
    pub filter: Filter,
    /// Whether the selection jumps to each new capture.
    pub follow: bool,
    /// The screen (list, detail or compare) and the overlays over it: what is in front.
    pub stack: Stack,
    /// The notice on the status line, until it ages out.
    pub notice: Option<Notice>,
    /// The last notice's text, kept after it leaves the status line: `!` shows it whole.
    pub(crate) last_notice: Option<String>,
    pub(crate) zone: Zone,
    pub(crate) theme: Theme,
    /// Terminal width and height.
    pub(crate) size: (u16, u16),
    pub(crate) running: bool,
    /// Unix ms now, for relative times in queries (`since:2h`); tests pin it.
    pub(crate) clock: fn() -> i64,
    edit_request: Option<CaptureId>,
    /// The capture `m` marked, for `d`.
    pub(crate) mark: Option<CaptureId>,
    copy_request: Option<CopyRequest>,
}

impl App {
    /// A TUI with nothing loaded yet.
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
            stack: Stack::default(),
            notice: None,
            last_notice: None,
            zone,
            theme,
            size: (80, 24),
            running: true,
            clock: now_ms,
            edit_request: None,
            totals: Totals::default(),
            mark: None,
            copy_request: None,
        }
    }

    /// The store query of the current filter, without paging.
    pub(crate) fn query(&self) -> ListQuery {
        ListQuery {
            query: self.filter.query.clone(),
            ..ListQuery::default()
        }
    }

    /// The capture keys act on: the open detail's, else the selected row's.
    pub(crate) fn target(&self) -> Option<CaptureId> {
        match self.stack.detail() {
            Some(d) => Some(d.id),
            None => self.window.selected().map(|r| r.id),
        }
    }

    /// The capture whose body the loop should open in `$EDITOR`, once.
    pub(crate) fn take_edit_request(&mut self) -> Option<CaptureId> {
        self.edit_request.take()
    }

    /// What the loop should copy to the clipboard, once.
    pub(crate) fn take_copy_request(&mut self) -> Option<CopyRequest> {
        self.copy_request.take()
    }

    /// Whether the next [`App::refresh`] has reading to do.
    pub fn needs_refresh(&self) -> bool {
        self.window.is_stale()
            || self.stack.detail().is_some_and(|d| d.stale)
            || self.stack.compare().is_some_and(|c| c.stale)
    }

    /// Reads what the state asks for: one screenful of rows, and the open capture when it
    /// changed. Bounded: a few indexed queries, or with a text filter one frame's share of
    /// the scan (see `Window::load`); never the whole list at once.
    pub fn refresh(&mut self, src: &dyn CaptureSource) {
        if self.window.is_stale() {
            let query = self.query();
            if let Err(e) = self.window.load(src, &query) {
                self.window_failed(e.to_string());
            }
        }
        self.refresh_compare(src);
        self.refresh_detail(src);
    }

    /// Reads the open capture (also one under a comparison) and lays out its tabs, once.
    fn refresh_detail(&mut self, src: &dyn CaptureSource) {
        let Some(detail) = self.stack.detail_mut().filter(|d| d.stale) else {
            return;
        };
        detail.stale = false;
        let id = detail.id;
        let loaded = src.capture(id).and_then(|c| {
            let key = c.as_ref().and_then(|c| c.capture.event_key.clone());
            Ok((c, src.attempts(id)?, src.place(id, key.as_deref())?))
        });
        match loaded {
            Ok((Some(capture), attempts, place)) => {
                let mut lines = Tab::ALL.map(|tab| {
                    tab_lines(
                        tab,
                        &capture,
                        &attempts,
                        place.as_ref(),
                        (self.zone, self.theme),
                        !self.setup.routes.is_empty(),
                        &self.setup.known,
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
            Ok((None, _, _)) => {
                self.stack.close_detail();
                self.say(format!("capture #{id} is no longer in the store"), true);
            }
            Err(e) => {
                self.stack.close_detail();
                self.say(e.to_string(), true);
            }
        }
    }

    /// Reads both sides of an open comparison and diffs them, once.
    fn refresh_compare(&mut self, src: &dyn CaptureSource) {
        let Some(cmp) = self.stack.compare_mut().filter(|c| c.stale) else {
            return;
        };
        cmp.stale = false;
        match load_compare(src, cmp.left, cmp.right) {
            Ok(d) => cmp.data = Some(CompareData::new(d)),
            Err(why) => {
                self.stack.close_compare();
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
        self.last_notice = Some(text.clone());
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
        Event::Key(key) => keys::on_key(app, key),
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
            app.stack
                .open(Overlay::PendingEdit(PendingEdit { id, confirm }));
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

fn on_report(app: &mut App, report: Report) {
    match report {
        Report::Listening { url } => app.setup.listen_url = Some(url),
        Report::Captured(summary) => {
            app.tally.add(summary.verdict.status());
            app.totals.on_captured(&summary);
            if app.follow && app.stack.detail().is_none() {
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
            if let Some(d) = app.stack.detail_mut().filter(|d| d.id == capture_id) {
                d.stale = true;
            }
        }
        Report::TargetReachable(up) => app.reachable = Some(up),
        Report::ForwardQueue { waiting } => app.forward_queue = waiting,
        Report::Notice { text, error } => app.say(text, error),
        Report::Relay { url, state } => {
            // The header has room for a few words; a refusal's whole reason and its fix go in
            // a notice too, which '!' shows in full.
            if let ConnState::Refused { .. } = &state {
                let (text, _) = crate::conn::state_text(&state, super::hint::words);
                app.say(format!("relay {url}: {text}"), true);
            }
            app.relay = Some((url, state));
        }
    }
}

fn on_copied(app: &mut App, copied: Copied) {
    app.say(copied.notice, false);
    app.stack.open(Overlay::Popup(Popup {
        title: copied.title,
        lines: copied.text.lines().map(str::to_string).collect(),
        scroll: 0,
        reflow: Reflow::Exact,
    }));
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
