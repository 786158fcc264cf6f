//! Captures pulled from Dataspike's webhook history and their delivery facts (schema 9,
//! `dataspike_deliveries`): stored in one transaction, each at most once per API, webhook and
//! history entry. Pulling again adds only what is new and brings the facts of the ones already
//! stored up to date (Dataspike may have tried again since).

use rusqlite::{params, Connection, OptionalExtension};

use super::{capture_rows, in_transaction, Store, StoreError};
use crate::capture::{Capture, CaptureId, DataspikeDelivery};

/// What pulling a history did to the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulled {
    /// New captures, in the order given.
    pub added: Vec<CaptureId>,
    /// Already stored, their facts changed since and updated.
    pub updated: Vec<CaptureId>,
    /// Already stored as they are.
    pub unchanged: usize,
}

/// The facts row of capture `id`, if it has one.
pub(super) fn delivery(
    conn: &Connection,
    id: CaptureId,
) -> rusqlite::Result<Option<DataspikeDelivery>> {
    conn.prepare_cached(
        "SELECT api, entry_id, webhook_id, attempts, response_code, last_attempt_at, failed, facts
         FROM dataspike_deliveries WHERE capture_id = ?1",
    )?
    .query_row([id], |r| {
        let webhook: String = r.get(2)?;
        Ok(DataspikeDelivery {
            api: r.get(0)?,
            entry_id: r.get(1)?,
            webhook_id: (!webhook.is_empty()).then_some(webhook),
            attempts: r.get(3)?,
            response_code: r.get(4)?,
            last_attempt_at: r.get(5)?,
            failed: r.get(6)?,
            facts: r.get(7)?,
        })
    })
    .optional()
}

impl Store {
    /// Stores captures pulled from Dataspike's history (each with its `dataspike` facts), in
    /// one transaction: one already stored (same API, webhook and entry) is not stored again;
    /// its facts are updated when they changed.
    pub fn store_pulled(&mut self, captures: &[Capture]) -> Result<Pulled, StoreError> {
        in_transaction(&self.conn, "BEGIN IMMEDIATE", |conn| {
            let mut pulled = Pulled::default();
            for c in captures {
                let Some(d) = &c.dataspike else { continue };
                let webhook = d.webhook_id.clone().unwrap_or_default();
                let existing: Option<(CaptureId, String)> = conn
                    .prepare_cached(
                        "SELECT capture_id, facts FROM dataspike_deliveries
                         WHERE api = ?1 AND webhook_id = ?2 AND entry_id = ?3",
                    )?
                    .query_row(params![d.api, webhook, d.entry_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                match existing {
                    Some((_, facts, ..)) if facts == d.facts => pulled.unchanged += 1,
                    Some((id, _)) => {
                        conn.prepare_cached(
                            "UPDATE dataspike_deliveries SET attempts = ?2, response_code = ?3,
                               last_attempt_at = ?4, failed = ?5, facts = ?6
                             WHERE capture_id = ?1",
                        )?
                        .execute(params![
                            id,
                            d.attempts,
                            d.response_code,
                            d.last_attempt_at,
                            d.failed,
                            d.facts
                        ])?;
                        pulled.updated.push(id);
                    }
                    None => {
                        let id = capture_rows(conn, &[c])?[0];
                        conn.prepare_cached(
                            "INSERT INTO dataspike_deliveries (capture_id, api, entry_id,
                               webhook_id, attempts, response_code, last_attempt_at, failed, facts)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        )?
                        .execute(params![
                            id,
                            d.api,
                            d.entry_id,
                            webhook,
                            d.attempts,
                            d.response_code,
                            d.last_attempt_at,
                            d.failed,
                            d.facts
                        ])?;
                        pulled.added.push(id);
                    }
                }
            }
            Ok(pulled)
        })
        .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Source;
    use crate::store::OpenMode;

    fn pulled(entry: &str, attempts: i64, failed: bool) -> Capture {
        let body =
            format!(r#"{{"id":"{entry}","webhook_id":"w1","event_type":"DOCVER","payload":{{}}}}"#);
        let mut c = Capture::new(
            1_700_000_000_000,
            "POST",
            "/",
            Vec::new(),
            body.into_bytes(),
        );
        c.source = Source::Dataspike;
        c.dataspike = Some(DataspikeDelivery {
            api: "https://sandboxapi.dataspike.io".into(),
            entry_id: entry.into(),
            webhook_id: Some("w1".into()),
            attempts: Some(attempts),
            response_code: Some(if failed { 500 } else { 200 }),
            last_attempt_at: Some("2024-01-01T00:00:00Z".into()),
            failed: Some(failed),
            facts: format!(r#"{{"attempts":{attempts}}}"#),
        });
        c
    }

    #[test]
    fn pulling_twice_stores_nothing_twice_and_updates_facts() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db"), OpenMode::Create).unwrap();
        let first = store
            .store_pulled(&[pulled("e1", 1, true), pulled("e2", 1, false)])
            .unwrap();
        assert_eq!(first.added.len(), 2);
        let again = store
            .store_pulled(&[pulled("e1", 3, true), pulled("e2", 1, false)])
            .unwrap();
        assert_eq!(
            (again.added.len(), again.updated.len(), again.unchanged),
            (0, 1, 1)
        );
        assert_eq!(store.count(&Default::default()).unwrap(), 2);
        let got = store.get(first.added[0]).unwrap().unwrap().capture;
        assert_eq!(got.source, Source::Dataspike);
        let d = got.dataspike.unwrap();
        assert_eq!(
            (d.attempts, d.failed, d.response_code),
            (Some(3), Some(true), Some(500))
        );
        // Deleting the capture deletes its facts.
        store.purge_before(i64::MAX).unwrap();
        let n: i64 = store
            .conn
            .query_row("SELECT count(*) FROM dataspike_deliveries", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 0);
    }
}
