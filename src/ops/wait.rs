//! Waiting for a delivery: block until a capture matching a query is stored, by any process
//! writing that store, for a test that must not go on before it arrives. The surface gives
//! [`Settings`] and words the typed [`Outcome`] itself.
//!
//! What counts: captures committed after the start, told by their ids (captures are appended
//! with growing ids), and with a window (`Settings::since`) also those received within it
//! before the start. Captures have no AUTOINCREMENT, so once the newest are deleted (`purge`)
//! their ids are given out again: when the row the wait last saw is gone or another one, ids
//! no longer tell new from old, and from then on a capture counts when it was received since
//! the start (or the window) instead.
//!
//! Not a busy loop: between rounds it reads only `PRAGMA data_version` (which changes when
//! another connection commits), every [`FIRST_PAUSE`] after a change and backing off to
//! [`MAX_PAUSE`] while nothing happens; a round runs only after a commit, and asks only for
//! captures after the last id it saw (keyset, on an index).

use std::time::{Duration, Instant};

use crate::capture::{now_ms, CaptureId};
use crate::query::{Also, Query, TermKind};
use crate::store::{ListQuery, Newest, Store, StoreError, StoredCapture};

/// The pause after a commit was seen: how soon the next one is noticed while things happen.
pub const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The longest pause, reached by doubling while nothing is committed: the most it takes to
/// notice a commit after a quiet spell.
pub const MAX_PAUSE: Duration = Duration::from_millis(500);

/// What to wait for, checked by the surface that asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub query: Query,
    /// How long to wait in all before giving up.
    pub timeout: Duration,
    /// Also count captures received this long before the start (already stored).
    pub since: Option<Duration>,
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The first matching capture seen.
    Found(Box<StoredCapture>),
    /// None arrived within the timeout.
    TimedOut,
}

/// Blocks until a capture matching `s.query` counts (see the module's opening), or the
/// timeout passes. A word query indexes what the store's writer has not indexed yet first
/// (`Store::list`), so a capture is found as soon as it is committed. `started` is called
/// once the starting point is taken: whatever is committed after it counts.
pub fn wait(store: &Store, s: &Settings, started: impl FnOnce()) -> Result<Outcome, StoreError> {
    let deadline = Instant::now() + s.timeout;
    let mut watch = Watch::start(store, s, now_ms())?;
    started();
    if let Some(found) = watch.first_round(store)? {
        return Ok(Outcome::Found(Box::new(found)));
    }
    let mut pause = FIRST_PAUSE;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(Outcome::TimedOut);
        }
        std::thread::sleep(pause.min(deadline - now));
        if watch.changed(store)? {
            if let Some(found) = watch.round(store)? {
                return Ok(Outcome::Found(Box::new(found)));
            }
            pause = FIRST_PAUSE;
        } else {
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}

/// A wait's position in the store: what it has looked at, and what counts.
#[derive(Debug)]
pub struct Watch {
    query: Query,
    /// `query` with "received at or after `floor`" added.
    since_floor: Option<Query>,
    /// The start in Unix ms, less the window.
    floor_ms: i64,
    /// The newest capture id at the start; `None` once ids were given out again.
    start: Option<CaptureId>,
    /// The newest capture looked at, and when it was received (to notice it deleted).
    mark: Newest,
    /// `data_version` as of the last round.
    version: i64,
    /// Whether the query reads the app's latest answer, which a new attempt can change for a
    /// capture already looked at.
    reads_answers: bool,
}

impl Watch {
    /// Where the store stands at `now_ms`: everything up to its newest capture is old.
    pub fn start(store: &Store, s: &Settings, now_ms: i64) -> Result<Watch, StoreError> {
        let version = store.data_version()?;
        let mark = store.newest()?;
        let window = s
            .since
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2));
        let floor_ms = now_ms.saturating_sub(window);
        Ok(Watch {
            since_floor: s
                .since
                .map(|_| s.query.clone().and(TermKind::Since(floor_ms))),
            query: s.query.clone(),
            floor_ms,
            start: Some(mark.capture),
            mark,
            version,
            reads_answers: reads_answers(&s.query),
        })
    }

    /// The first look: the window before the start (the newest match in it), then whatever
    /// was committed since [`Watch::start`].
    pub fn first_round(&mut self, store: &Store) -> Result<Option<StoredCapture>, StoreError> {
        if let (Some(q), Some(start)) = (&self.since_floor, self.start) {
            let rows = store.list(&ListQuery {
                query: q.clone(),
                before: Some(start.saturating_add(1)),
                limit: Some(1),
                ..ListQuery::default()
            })?;
            if let Some(found) = self.read(store, rows.first().map(|r| r.id))? {
                return Ok(Some(found));
            }
        }
        self.round(store)
    }

    /// Whether another connection committed since the last round.
    pub fn changed(&mut self, store: &Store) -> Result<bool, StoreError> {
        Ok(store.data_version()? != self.version)
    }

    /// One look at what was committed since the last: new captures after the mark (the
    /// oldest match first), then, for a query on the app's answers, captures already looked
    /// at that got a new attempt.
    pub fn round(&mut self, store: &Store) -> Result<Option<StoredCapture>, StoreError> {
        self.version = store.data_version()?;
        if self.ids_given_out_again(store)? {
            self.start = None;
            self.since_floor = Some(self.query.clone().and(TermKind::Since(self.floor_ms)));
            self.mark = Newest::default();
        }
        // Read before the query: whatever commits in between is looked at again next round.
        let newest = store.newest()?;
        let new = match (&self.since_floor, self.start) {
            (Some(q), None) => q,
            _ => &self.query,
        };
        let rows = store.list(&ListQuery {
            query: new.clone(),
            after: Some(self.mark.capture),
            ascending: true,
            limit: Some(1),
            ..ListQuery::default()
        })?;
        if let Some(found) = self.read(store, rows.first().map(|r| r.id))? {
            return Ok(Some(found));
        }
        if self.reads_answers {
            for id in store.answered_after(self.mark.attempt)? {
                if let Some(found) = self.recheck(store, id)? {
                    return Ok(Some(found));
                }
            }
        }
        self.mark = newest;
        Ok(None)
    }

    /// Whether the row last looked at is gone or is another one: the newest ids were deleted
    /// and may have come back for new captures.
    fn ids_given_out_again(&self, store: &Store) -> Result<bool, StoreError> {
        if self.mark.capture == 0 {
            return Ok(false);
        }
        Ok(store.received_at(self.mark.capture)? != self.mark.capture_received_at_ms)
    }

    /// Capture `id`, looked at before, if it counts and matches now.
    fn recheck(&self, store: &Store, id: CaptureId) -> Result<Option<StoredCapture>, StoreError> {
        let query = match (self.start, &self.since_floor) {
            (Some(start), _) if id > start => &self.query,
            (_, Some(q)) => q,
            _ => return Ok(None),
        };
        let rows = store.list(&ListQuery {
            query: query.clone(),
            after: Some(id - 1),
            before: Some(id.saturating_add(1)),
            limit: Some(1),
            ..ListQuery::default()
        })?;
        self.read(store, rows.first().map(|r| r.id))
    }

    fn read(
        &self,
        store: &Store,
        id: Option<CaptureId>,
    ) -> Result<Option<StoredCapture>, StoreError> {
        match id {
            Some(id) => store.get(id),
            None => Ok(None),
        }
    }
}

/// Whether a query depends on the app's latest answer (`status:`, or a bare status code).
fn reads_answers(q: &Query) -> bool {
    q.terms.iter().any(|t| {
        matches!(
            t.kind,
            TermKind::Status(_)
                | TermKind::Text {
                    also: Some(Also::Status(_)),
                    ..
                }
        )
    })
}

#[cfg(test)]
mod tests;
