//! Redeliveries from the store: an event's deliveries by their key (`captures_by_event_key`,
//! schema 9), as a [`Schedule`] with what each sender was told; the events that were
//! delivered more than once; an event named by its key's beginning.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::capture::Answered;
use crate::redelivery::{told, Delivery, Place, Schedule};

/// What an event's key names, when looked up by its beginning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventMatch {
    /// One key: this one.
    One(String),
    /// No stored delivery has a key that begins so.
    None,
    /// Several keys begin so (the first few, for the message).
    Several(Vec<String>),
}

impl Store {
    /// The deliveries of the event `key` (live or relayed), oldest first; `None` when none is
    /// stored.
    pub(crate) fn schedule(&self, key: &str) -> Result<Option<Schedule>, StoreError> {
        let read = || -> rusqlite::Result<Option<Schedule>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT c.id, c.received_at_ms, c.answer_by, c.answer_status, c.answer_delay_ms,
                        c.rejected_status, c.scheme, c.path,
                        (SELECT json_array(a.status, a.error) FROM attempts a
                          WHERE a.capture_id = c.id AND a.kind = 'forward'
                          ORDER BY a.id LIMIT 1)
                 FROM captures c
                 WHERE c.event_key = ?1 AND c.source IN ('live', 'relay')
                 ORDER BY c.id",
            )?;
            let mut scheme = None;
            let mut path = None;
            let rows = stmt.query_map(params![key], |r| {
                let answered = Answered::from_stored(
                    r.get::<_, Option<String>>(2)?.as_deref(),
                    r.get(3)?,
                    r.get(4)?,
                );
                let forward = r.get::<_, Option<String>>(8)?.map(|j| forward_status(&j));
                Ok((
                    Delivery {
                        capture_id: r.get(0)?,
                        received_at_ms: r.get(1)?,
                        told: told(answered, r.get(5)?, forward),
                    },
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?;
            let mut deliveries = Vec::new();
            for row in rows {
                let (d, s, p) = row?;
                if deliveries.is_empty() {
                    scheme = s;
                    path = Some(p);
                }
                deliveries.push(d);
            }
            Ok(path.map(|path| Schedule {
                key: key.to_string(),
                scheme,
                path,
                deliveries,
            }))
        };
        read().map_err(|e| self.err(e))
    }

    /// Where capture `id` (whose event key is `key`) sits among its event's deliveries.
    pub(crate) fn place(&self, id: i64, key: Option<&str>) -> Result<Option<Place>, StoreError> {
        let Some(key) = key else {
            return Ok(None);
        };
        Ok(self.schedule(key)?.and_then(|s| s.place_of(id)))
    }

    /// The keys of the newest `limit` events delivered more than once, newest last (by their
    /// last delivery).
    pub(crate) fn redelivered_events(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let read = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(
                "SELECT event_key FROM (
                   SELECT event_key, max(id) AS last FROM captures
                    WHERE event_key IS NOT NULL AND source IN ('live', 'relay')
                    GROUP BY event_key HAVING count(*) > 1
                    ORDER BY last DESC LIMIT ?1)
                 ORDER BY last",
            )?;
            let rows =
                stmt.query_map(params![limit.min(i64::MAX as usize) as i64], |r| r.get(0))?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }

    /// The event whose key is `text`, or begins with it (a key shortened as `show` prints it,
    /// its `…` left out).
    pub(crate) fn find_event(&self, text: &str) -> Result<EventMatch, StoreError> {
        let text = text.trim().trim_end_matches('…');
        let read = || -> rusqlite::Result<EventMatch> {
            let exact: Option<String> = self
                .conn
                .query_row(
                    "SELECT event_key FROM captures WHERE event_key = ?1 LIMIT 1",
                    params![text],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(k) = exact {
                return Ok(EventMatch::One(k));
            }
            if text.is_empty() {
                return Ok(EventMatch::None);
            }
            // Keys from `text` up to the next string with that beginning: a range on the index.
            let mut stmt = self.conn.prepare(
                "SELECT DISTINCT event_key FROM captures
                  WHERE event_key >= ?1 AND substr(event_key, 1, length(?1)) = ?1
                  ORDER BY event_key LIMIT 6",
            )?;
            let keys = stmt
                .query_map(params![text], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(match keys.len() {
                0 => EventMatch::None,
                1 => EventMatch::One(keys.into_iter().next().unwrap_or_default()),
                _ => EventMatch::Several(keys),
            })
        };
        read().map_err(|e| self.err(e))
    }
}

/// The status the sender of a forwarded delivery got, from its forward attempt as stored
/// (`[status, error]`): the app's, else the gateway status the intake gave.
fn forward_status(json: &str) -> Option<u16> {
    let (status, error): (Option<u16>, Option<String>) = serde_json::from_str(json).ok()?;
    status.or_else(|| error.map(|e| crate::intake::gateway_status_of(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;
    use crate::store::OpenMode;

    fn delivery(at: i64, key: Option<&str>, answered: Option<Answered>) -> Capture {
        let mut c = Capture::new(at, "POST", "/hook", Vec::new(), b"{}".to_vec());
        c.event_key = key.map(str::to_string);
        c.answered = answered;
        c
    }

    #[test]
    fn an_events_deliveries_come_back_in_order_with_their_answers() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), OpenMode::Create).unwrap();
        let chosen = Some(Answered::Chosen {
            status: 503,
            delay_ms: 0,
        });
        let a = store
            .insert_capture(&delivery(1_000, Some("evt_a"), chosen))
            .unwrap();
        store
            .insert_capture(&delivery(1_500, Some("evt_b"), chosen))
            .unwrap();
        let b = store
            .insert_capture(&delivery(3_000, Some("evt_a"), chosen))
            .unwrap();
        let c = store
            .insert_capture(&delivery(7_000, Some("evt_a"), Some(Answered::Ack)))
            .unwrap();
        store.insert_capture(&delivery(8_000, None, None)).unwrap();
        let s = store.schedule("evt_a").unwrap().unwrap();
        let ids: Vec<i64> = s.deliveries.iter().map(|d| d.capture_id).collect();
        assert_eq!(ids, [a, b, c]);
        assert_eq!(s.gaps_ms(), [2_000, 4_000]);
        let statuses: Vec<Option<u16>> = s
            .deliveries
            .iter()
            .map(|d| d.told.and_then(|t| t.status))
            .collect();
        assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
        assert_eq!(store.schedule("evt_c").unwrap(), None);
        assert_eq!(store.redelivered_events(10).unwrap(), ["evt_a"]);
        assert_eq!(
            store.find_event("evt_a").unwrap(),
            EventMatch::One("evt_a".into())
        );
        assert_eq!(
            store.find_event("evt_b…").unwrap(),
            EventMatch::One("evt_b".into())
        );
        assert!(
            matches!(store.find_event("evt_").unwrap(), EventMatch::Several(k) if k.len() == 2)
        );
        assert_eq!(store.find_event("zzz").unwrap(), EventMatch::None);
        assert_eq!(store.find_event("").unwrap(), EventMatch::None);
    }
}
