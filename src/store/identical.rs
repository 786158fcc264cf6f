//! Finding captures already stored, so importing the same HAR or fixtures twice adds nothing.

use rusqlite::params;
use std::collections::HashMap;

use super::{encode_headers, Store, StoreError};
use crate::capture::{Capture, CaptureId};

impl Store {
    /// For each capture, the id of a stored one identical to it (same arrival time, method,
    /// path, query, headers in order and body bytes), if any. One query for the whole batch,
    /// selecting by arrival time, then a byte comparison.
    pub fn identical_ids(
        &self,
        captures: &[&Capture],
    ) -> Result<Vec<Option<CaptureId>>, StoreError> {
        let times: Vec<i64> = captures.iter().map(|c| c.received_at_ms).collect();
        let times = serde_json::Value::from(times).to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, received_at_ms, method, path, query, headers, body FROM captures
                 WHERE received_at_ms IN (SELECT value FROM json_each(?1)) ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![times], |r| {
                Ok((
                    r.get::<_, i64>(1)?,
                    Candidate {
                        id: r.get(0)?,
                        method: r.get(2)?,
                        path: r.get(3)?,
                        query: r.get(4)?,
                        headers: r.get(5)?,
                        body: r.get(6)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut by_time: HashMap<i64, Vec<Candidate>> = HashMap::new();
        for row in rows {
            let (at, candidate) = row.map_err(|e| self.err(e))?;
            by_time.entry(at).or_default().push(candidate);
        }
        Ok(captures
            .iter()
            .map(|c| {
                let headers = encode_headers(&c.headers);
                by_time
                    .get(&c.received_at_ms)?
                    .iter()
                    .find(|s| {
                        s.method == c.method
                            && s.path == c.path
                            && s.query == c.query
                            && s.headers == headers
                            && s.body == c.body
                    })
                    .map(|s| s.id)
            })
            .collect())
    }
}

/// A stored capture received at a time some imported capture was received.
struct Candidate {
    id: CaptureId,
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<u8>,
    body: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use crate::capture::Capture;
    use crate::store::{OpenMode, Store};

    fn capture(at: i64, body: &[u8]) -> Capture {
        let headers = vec![
            (b"A".to_vec(), b"1".to_vec()),
            (b"B".to_vec(), b"2".to_vec()),
        ];
        let mut c = Capture::new(at, "POST", "/h", headers, body.to_vec());
        c.query = Some("x=1".into());
        c
    }

    #[test]
    fn only_a_capture_identical_in_every_part_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db"), OpenMode::Create).unwrap();
        let stored = capture(1_000, b"{}");
        let id = store.insert_capture(&stored).unwrap();
        store.insert_capture(&capture(2_000, b"other")).unwrap();

        let later = capture(1_001, b"{}");
        let other_body = capture(1_000, b"{ }");
        let mut other_query = capture(1_000, b"{}");
        other_query.query = None;
        let mut other_method = capture(1_000, b"{}");
        other_method.method = "PUT".into();
        let mut other_order = capture(1_000, b"{}");
        other_order.headers.reverse();
        let mut other_path = capture(1_000, b"{}");
        other_path.path = "/h2".into();
        let found = store
            .identical_ids(&[
                &stored,
                &later,
                &other_body,
                &other_query,
                &other_method,
                &other_order,
                &other_path,
            ])
            .unwrap();
        assert_eq!(found, vec![Some(id), None, None, None, None, None, None]);
        assert_eq!(store.identical_ids(&[]).unwrap(), Vec::new());
    }
}
