//! `hookscope stats` from the store: SQL aggregates, and the latency column read in order for
//! the percentiles (fine up to millions of attempts). `check` probes and their answers are left
//! out: they are deliberately bad deliveries and would drown the real numbers.

use rusqlite::params;

use super::{Store, StoreError};
use crate::signature::Status;
use crate::stats::{Latency, StoreStats};

impl Store {
    /// The numbers for captures received, and attempts made, at or after `since_ms`.
    pub fn stats(&self, since_ms: Option<i64>) -> Result<StoreStats, StoreError> {
        let since = since_ms.unwrap_or(i64::MIN);
        let err = |e| self.err(e);
        let mut out = StoreStats::default();

        let mut stmt = self
            .conn
            .prepare(
                "SELECT verdict, count(*) FROM captures
                 WHERE received_at_ms >= ?1 AND source <> 'check' GROUP BY verdict",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (verdict, n) = row.map_err(err)?;
            if let Some(status) = Status::parse(&verdict) {
                out.verdicts.add_n(status, n.max(0) as u64);
            }
            out.deliveries += n.max(0) as u64;
        }

        let mut stmt = self
            .conn
            .prepare(
                "SELECT event_type, count(*) AS n FROM captures
                 WHERE received_at_ms >= ?1 AND source <> 'check'
                 GROUP BY event_type ORDER BY n DESC, event_type",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (event, n) = row.map_err(err)?;
            out.events.push((event, n.max(0) as u64));
        }

        let mut stmt = self
            .conn
            .prepare(
                "SELECT status, count(*) FROM attempts
                 WHERE at_ms >= ?1 AND kind <> 'check' GROUP BY status",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since], |r| {
                Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (status, n) = row.map_err(err)?;
            let status = status.and_then(|s| u16::try_from(s).ok());
            out.answers.add_n(status, n.max(0) as u64);
        }

        // Only answered attempts: a refused connection's time says nothing about the app.
        let mut stmt = self
            .conn
            .prepare(
                "SELECT latency_ms FROM attempts
                 WHERE at_ms >= ?1 AND kind <> 'check'
                   AND status IS NOT NULL AND latency_ms IS NOT NULL",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since], |r| r.get::<_, i64>(0))
            .map_err(err)?;
        let latencies = rows
            .map(|r| r.map(|ms| ms.max(0) as u64))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        out.latency = Latency::of(latencies);
        Ok(out)
    }
}
