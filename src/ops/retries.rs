//! `retries`: the schedule each sender followed, event by event: every delivery of one event
//! (linked by its key, `redelivery::event_key`), the gaps between them and what each was
//! answered. Reads the store; returns [`Schedule`]s for the caller to word.

use crate::redelivery::Schedule;
use crate::store::{EventMatch, Store, StoreError};

/// Which events to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Which {
    /// The one event whose key is this text or begins with it.
    Event(String),
    /// The newest events delivered more than once, up to this many.
    Redelivered(usize),
}

/// What `retries` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// The events' schedules, oldest last delivery first.
    Events(Vec<Schedule>),
    /// No stored delivery belongs to an event with that key.
    NoSuchEvent(String),
    /// Several events' keys begin with that text (the first few).
    Ambiguous(String, Vec<String>),
}

/// The schedules `which` names.
pub(crate) fn retries(store: &Store, which: &Which) -> Result<Found, StoreError> {
    let keys = match which {
        Which::Event(text) => match store.find_event(text)? {
            EventMatch::One(key) => vec![key],
            EventMatch::None => return Ok(Found::NoSuchEvent(text.clone())),
            EventMatch::Several(keys) => return Ok(Found::Ambiguous(text.clone(), keys)),
        },
        Which::Redelivered(limit) => store.redelivered_events(*limit)?,
    };
    let mut events = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(s) = store.schedule(&key)? {
            events.push(s);
        }
    }
    Ok(Found::Events(events))
}

/// The schedule of the event capture `id` belongs to; `None` when it has no event key (or is
/// not stored).
pub(crate) fn of_capture(store: &Store, id: i64) -> Result<Option<Schedule>, StoreError> {
    let Some(c) = store.get(id)? else {
        return Ok(None);
    };
    match c.capture.event_key {
        Some(key) => store.schedule(&key),
        None => Ok(None),
    }
}
