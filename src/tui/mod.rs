//! The terminal UI: a live window over the store with verdict badges, a detail that explains
//! every verdict, and one-key replay and export.
//!
//! Shape (ratatui's event-driven template): [`event`] gathers terminal input and listener
//! reports into one [`event::Event`] stream; [`app::update`] applies each event purely and may
//! return a [`Command`]; [`app::App::refresh`] reads the one screenful the state asks for; the
//! views draw `&App`. Effects (replay, export) leave through the command channel and their
//! results come back as reports, so the UI thread never waits on the network.

pub mod app;
pub(crate) mod clipboard;
pub(crate) mod compare;
pub(crate) mod detail_text;
mod editor;
pub mod event;
/// The fitting arithmetic, shared with `hookscope list`'s table.
pub(crate) use crate::fit;
pub(crate) mod hint;
pub(crate) mod keymap;
pub(crate) mod screen;
pub(crate) mod stack;
mod terminal;
pub(crate) mod theme;
pub(crate) mod view;
pub(crate) mod window;
pub(crate) mod zone;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use anyhow::Context as _;
use tokio::sync::mpsc::UnboundedSender;

use crate::capture::CaptureId;
use crate::forward::Signing;
use crate::report::ReportRx;
use crate::store::{OpenMode, Store};
use app::{update, App, Setup, Zone};
use event::{Event, Events};
use theme::Theme;
use window::CaptureSource;

/// An effect the TUI asks for. The receiver runs it and reports back with
/// [`crate::report::Report::Attempted`] or [`crate::report::Report::Notice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send the capture to the forward target again. `signing`: `r` asks for the default rule
    /// (`ops::replay::decide` re-signs when the capture's own scheme has a secret), `R` for
    /// the original bytes. `body`: send this instead of the stored body (always re-signed).
    Replay {
        /// The capture to send.
        id: CaptureId,
        /// Re-sign or send the original bytes.
        signing: Signing,
        /// An edited body to send instead; `None`: the stored one.
        body: Option<EditedBody>,
    },
    /// Write the capture as a fixture into `./fixtures/` and say where.
    Export {
        /// The capture to export.
        id: CaptureId,
    },
}

/// A body from edit-and-replay, and what it is for the notices (`compacted, 174 bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditedBody {
    pub(crate) bytes: Vec<u8>,
    pub(crate) note: String,
}

/// What the TUI needs from its caller.
pub struct TuiContext {
    /// The store's file.
    pub db_path: PathBuf,
    /// `None` when browsing a store without listening.
    pub listen_url: Option<String>,
    /// Where captures are forwarded; `None`: nowhere.
    pub forward_target: Option<String>,
    /// `DOCVER only`: which event types are forwarded, when not all.
    pub forward_events: Option<String>,
    /// `/stripe→:4001`, one per route in order, when forwarding by route.
    pub routes: Vec<String>,
    /// How many signing secrets were given.
    pub secrets_loaded: usize,
    /// Whether the one secret is the local development secret.
    pub dev_secret: bool,
    /// Sign what `c` copies, so the curl command is accepted now: each capture with the first
    /// secret of its own scheme (`signature::secret_for`).
    pub resign_with: Vec<crate::signature::Secret>,
    /// "Dataspike sandbox webhook 01927ed4… → this relay channel", when `listen --register` made
    /// or reused one.
    pub registered: Option<String>,
    /// What `c`/`C` redact before copying (`--redact`, or a `[redact]` table); `None`: copies
    /// are as captured.
    pub redact: Option<crate::redact::Rules>,
    /// What the listener answers by choice, in words for the header; `None`: nothing.
    pub chosen: Option<String>,
    /// The reports of the running parts.
    pub reports: ReportRx,
    /// Where the TUI sends what the user asks for (replay, export).
    pub commands: UnboundedSender<Command>,
}

/// Runs the TUI until the user quits. Blocking: call it on its own thread, outside the tokio
/// runtime (it polls the report channel without awaiting).
pub fn run(ctx: TuiContext) -> anyhow::Result<()> {
    let store = Store::open(&ctx.db_path, OpenMode::Existing)
        .context("cannot open the store for the TUI")?;
    let setup = Setup {
        listen_url: ctx.listen_url,
        forward_target: ctx.forward_target,
        forward_events: ctx.forward_events,
        routes: ctx.routes,
        secrets_loaded: ctx.secrets_loaded,
        dev_secret: ctx.resign_with.first().cloned().filter(|_| ctx.dev_secret),
        known: ctx.resign_with.clone(),
        registered: ctx.registered,
        db_path: Some(ctx.db_path.display().to_string()),
        chosen: ctx.chosen,
    };
    let copy_to = setup
        .forward_target
        .as_deref()
        .and_then(|t| crate::forward::parse_target(t).ok());
    // One key for the whole session: a value copied twice gets the same fake both times.
    let mut redactor = ctx
        .redact
        .map(|rules| crate::redact::Redactor::new(rules, crate::redact::Salt::random()));
    let mut app = App::new(setup, Zone::Local, Theme::from_env());
    let mut events = Events::new(ctx.reports);
    let mut guard = terminal::TerminalGuard::enter().context("cannot set up the terminal")?;
    let size = guard
        .terminal()
        .size()
        .context("cannot read the terminal size")?;
    update(&mut app, Event::Resize(size.width, size.height));
    let mut redraw = true;
    while app.running {
        if app.needs_refresh() {
            app.refresh(&store);
            redraw = true;
        }
        if redraw {
            guard
                .terminal()
                .draw(|f| f.render_widget(&app, f.area()))
                .context("cannot draw the TUI")?;
        }
        // A search still scanning goes on at once; otherwise wait for something to happen.
        let wait = if app.needs_refresh() {
            std::time::Duration::ZERO
        } else {
            event::INPUT_POLL
        };
        let batch = events
            .next_batch(wait)
            .context("cannot read terminal input")?;
        redraw = !batch.is_empty();
        for ev in batch {
            if let Some(cmd) = update(&mut app, ev) {
                send(&mut app, &ctx.commands, cmd);
            }
        }
        if let Some(id) = app.take_edit_request() {
            let edited = edit_body(&mut guard, &store, id)?;
            if let Some(cmd) = update(&mut app, edited) {
                send(&mut app, &ctx.commands, cmd);
            }
            redraw = true;
        }
        if let Some(req) = app.take_copy_request() {
            let how = CopyHow {
                secrets: &ctx.resign_with,
                to: copy_to.as_ref(),
                now_s: chrono::Utc::now().timestamp(),
                osc52: !clipboard::known_unsupported(|k| std::env::var(k).ok()),
            };
            let copied = copy(
                guard.terminal().backend_mut(),
                &store,
                &how,
                redactor.as_mut(),
                req,
            );
            update(&mut app, copied);
            redraw = true;
        }
    }
    Ok(())
}

/// What a copy needs besides the capture: the secrets to re-sign with (the capture's scheme's first), where the curl should go, the
/// time to sign at, and whether this terminal takes OSC 52 at all.
struct CopyHow<'a> {
    secrets: &'a [crate::signature::Secret],
    to: Option<&'a http::Uri>,
    now_s: i64,
    osc52: bool,
}

/// Builds what `c`/`C` copy and writes it to the clipboard through `out` (the terminal
/// backend), unless it is too large for one escape or the terminal is known to ignore it; the
/// popup shows it anyway.
fn copy(
    out: &mut impl std::io::Write,
    src: &dyn CaptureSource,
    how: &CopyHow<'_>,
    redactor: Option<&mut crate::redact::Redactor>,
    req: clipboard::CopyRequest,
) -> Event {
    let mut stored = match src.capture(req.id) {
        Ok(Some(s)) => s,
        Ok(None) => return notice(format!("capture #{} is no longer in the store", req.id)),
        Err(e) => return notice(e.to_string()),
    };
    // Redacted before anything is built from it, so a re-signed curl signs the fakes.
    let redacted = redactor.map(|r| clipboard::redact(r, &mut stored.capture));
    let (text, mut label) = clipboard::copy_text(
        req.id,
        &stored.capture,
        req.what,
        crate::signature::secret_for(
            crate::signature::Scheme::detect(&stored.capture.headers),
            how.secrets,
        )
        .map(|s| (s, how.now_s)),
        how.to,
    );
    if let Some(counts) = &redacted {
        label.push_str(&clipboard::redaction_note(counts));
    }
    let sent = if text.len() > clipboard::OSC52_MAX_BYTES {
        Err(format!(
            "{} is more than a terminal takes in one clipboard escape",
            crate::text::human_size(text.len() as u64)
        ))
    } else if !how.osc52 {
        Err("this terminal ignores clipboard escapes (OSC 52)".to_string())
    } else {
        clipboard::emit(out, &text).map_err(|e| format!("cannot write to the terminal: {e}"))
    };
    Event::Copied(clipboard::outcome(text, label, sent))
}

fn notice(text: String) -> Event {
    Event::Report(crate::report::Report::Notice { text, error: true })
}

fn send(app: &mut App, commands: &UnboundedSender<Command>, cmd: Command) {
    if commands.send(cmd).is_err() {
        let notice = Event::Report(crate::report::Report::Notice {
            text: "the replay and export worker has stopped; nothing was sent".into(),
            error: true,
        });
        update(app, notice);
    }
}

/// Loads the body, lends the terminal to `$EDITOR` (a JSON body pretty-printed), and turns the
/// outcome into an event; [`app::update`] decides what, if anything, is sent.
fn edit_body(
    guard: &mut terminal::TerminalGuard,
    src: &dyn CaptureSource,
    id: CaptureId,
) -> anyhow::Result<Event> {
    let original = match src.capture(id) {
        Ok(Some(stored)) => stored.capture.request.body,
        Ok(None) => {
            return Ok(edited(
                id,
                Vec::new(),
                Err("the capture is gone from the store".into()),
            ))
        }
        Err(e) => return Ok(edited(id, Vec::new(), Err(e.to_string()))),
    };
    let editor = std::env::var("EDITOR").ok();
    let text = editor::editor_text(&original);
    let result = guard
        .suspend(|| editor::edit(&text, editor.as_deref()))
        .context("cannot take the terminal back after the editor")?;
    Ok(edited(id, original, result))
}

fn edited(id: CaptureId, original: Vec<u8>, edited: Result<Vec<u8>, String>) -> Event {
    Event::Edited {
        id,
        original,
        edited,
    }
}
