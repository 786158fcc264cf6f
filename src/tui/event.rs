//! One event enum for everything the TUI reacts to, and the pump that gathers them a frame at
//! a time: all waiting terminal input and all waiting reports, so a burst of ten thousand
//! captures costs one redraw.

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::{self as term, KeyEvent};
use tokio::sync::mpsc::error::TryRecvError;

use super::clipboard::Copied;
use crate::capture::CaptureId;
use crate::report::{Report, ReportRx};

/// Longest wait for terminal input before reports are looked at again. A capture reported
/// while idle shows within this plus one frame, well inside the 100 ms the UI promises.
pub(crate) const INPUT_POLL: Duration = Duration::from_millis(30);
/// How often [`Event::Tick`] fires (ages notices out).
pub(crate) const TICK: Duration = Duration::from_secs(1);
/// Most reports taken in one frame, so a flood cannot starve key handling.
const MAX_REPORTS_PER_FRAME: usize = 50_000;

// Most events are reports, so boxing the big variant would only add an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
/// What the TUI loop reacts to.
pub enum Event {
    /// Time passed (notices age, the window refreshes).
    Tick,
    /// A key press.
    Key(KeyEvent),
    /// The terminal is now this many columns and rows.
    Resize(u16, u16),
    /// A report from the running parts.
    Report(Report),
    /// `$EDITOR` closed: the stored body it started from, and the text as saved or why there
    /// is none.
    Edited {
        /// The capture edited.
        id: CaptureId,
        /// The stored body the editor started from.
        original: Vec<u8>,
        /// The saved text, or why there is none.
        edited: Result<Vec<u8>, String>,
    },
    /// The loop has copied (or tried to copy) text to the clipboard.
    Copied(Copied),
}

pub(crate) struct Events {
    reports: ReportRx,
    /// False once every sender is gone (browsing a store without a listener).
    reports_open: bool,
    next_tick: Instant,
}

impl Events {
    pub(crate) fn new(reports: ReportRx) -> Events {
        Events {
            reports,
            reports_open: true,
            next_tick: Instant::now() + TICK,
        }
    }

    /// Waits up to `wait` (at most [`INPUT_POLL`]) for input, then returns everything
    /// waiting. Empty means nothing happened and nothing needs redrawing.
    pub(crate) fn next_batch(&mut self, wait: Duration) -> io::Result<Vec<Event>> {
        let mut batch = Vec::new();
        if term::poll(wait.min(INPUT_POLL))? {
            // Take every input already queued, without waiting again.
            loop {
                match term::read()? {
                    term::Event::Key(k) => batch.push(Event::Key(k)),
                    term::Event::Resize(w, h) => batch.push(Event::Resize(w, h)),
                    _ => {}
                }
                if !term::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        self.drain_reports(&mut batch);
        let now = Instant::now();
        if now >= self.next_tick {
            self.next_tick = now + TICK;
            batch.push(Event::Tick);
        }
        Ok(batch)
    }

    fn drain_reports(&mut self, batch: &mut Vec<Event>) {
        for _ in 0..MAX_REPORTS_PER_FRAME {
            if !self.reports_open {
                return;
            }
            match self.reports.try_recv() {
                Ok(r) => batch.push(Event::Report(r)),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => self.reports_open = false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_every_waiting_report_and_notices_the_end() {
        let (tx, rx) = crate::report::channel();
        let mut events = Events::new(rx);
        for open in [true, false] {
            tx.send(Report::TargetReachable(open)).unwrap();
        }
        let mut batch = Vec::new();
        events.drain_reports(&mut batch);
        assert_eq!(
            batch,
            vec![
                Event::Report(Report::TargetReachable(true)),
                Event::Report(Report::TargetReachable(false))
            ]
        );
        drop(tx);
        batch.clear();
        events.drain_reports(&mut batch);
        assert!(batch.is_empty());
        assert!(!events.reports_open, "a closed channel is not polled again");
    }
}
