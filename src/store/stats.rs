//! `hookscope stats` from the store: SQL aggregates, the latencies among them as counts per
//! millisecond value for the percentiles. `check` probes and their answers are left
//! out: they are deliberately bad deliveries and would drown the real numbers.

use rusqlite::params;

use super::{Store, StoreError};
use crate::signature::Status;
use crate::stats::{Latency, StoreStats};

impl Store {
    /// The numbers for captures received, and attempts made, at or after `since_ms`.
    pub fn stats(&self, since_ms: Option<i64>) -> Result<StoreStats, StoreError> {
        let since = since_ms.unwrap_or(i64::MIN);
        let mut out = StoreStats::default();
        let verdicts: Vec<(String, u64)> = self.counts(
            "SELECT verdict, count(*) FROM captures
             WHERE received_at_ms >= ?1 AND source <> 'check' GROUP BY verdict",
            since,
        )?;
        for (verdict, n) in verdicts {
            if let Some(status) = Status::parse(&verdict) {
                out.verdicts.add_n(status, n);
            }
            out.deliveries += n;
        }
        out.events = self.counts(
            "SELECT event_type, count(*) AS n FROM captures
             WHERE received_at_ms >= ?1 AND source <> 'check'
             GROUP BY event_type ORDER BY n DESC, event_type",
            since,
        )?;
        let answers: Vec<(Option<i64>, u64)> = self.counts(
            "SELECT status, count(*) FROM attempts
             WHERE at_ms >= ?1 AND kind <> 'check' GROUP BY status",
            since,
        )?;
        for (status, n) in answers {
            out.answers
                .add_n(status.and_then(|s| u16::try_from(s).ok()), n);
        }
        // Only answered attempts: a refused connection's time says nothing about the app.
        let latencies: Vec<(i64, u64)> = self.counts(
            "SELECT latency_ms, count(*) FROM attempts
             WHERE at_ms >= ?1 AND kind <> 'check'
               AND status IS NOT NULL AND latency_ms IS NOT NULL GROUP BY latency_ms",
            since,
        )?;
        let each = latencies.into_iter().flat_map(|(ms, n)| {
            std::iter::repeat_n(ms.max(0) as u64, usize::try_from(n).unwrap_or(usize::MAX))
        });
        out.latency = Latency::of(each.collect());
        Ok(out)
    }

    /// Rows of `(key, count)` from `sql`, which takes the start time as `?1`.
    fn counts<K: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        since: i64,
    ) -> Result<Vec<(K, u64)>, StoreError> {
        let read = || -> rusqlite::Result<Vec<(K, u64)>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map(params![since], |r| {
                Ok((r.get::<_, K>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }
}
