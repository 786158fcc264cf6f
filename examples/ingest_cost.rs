//! What the full-text index costs each stored capture: inserts the same Dataspike sample
//! deliveries (fresh ids each, `sample::build`) in batches of `--batch` (listen's group commit
//! averaged about 10 deliveries per commit in BENCHMARKS.md) into fresh stores, alternately
//! as shipped (FTS triggers on) and with the FTS insert trigger dropped, and prints the time per
//! capture of each round and the median.
//!
//! ```text
//! cargo run --release --example ingest_cost -- [--captures 20000] [--batch 10] [--rounds 3]
//! ```

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hookscope::capture::{Capture, EventInfo};
use hookscope::signature::Verdict;
use hookscope::store::{OpenMode, Store};

fn main() -> anyhow::Result<()> {
    let mut captures = 20_000usize;
    let mut batch = 10usize;
    let mut rounds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> anyhow::Result<usize> {
            args.next()
                .with_context(|| format!("{name} needs a number"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--captures" => captures = num("--captures")?,
            "--batch" => batch = num("--batch")?.max(1),
            "--rounds" => rounds = num("--rounds")?.max(1),
            other => bail!("unknown argument '{other}'"),
        }
    }
    let events = ["AML_SCREENING", "DOCVER", "TRANSACTION_MONITORING"];
    let now = hookscope::capture::now_ms();
    let bodies: Vec<Vec<u8>> = (0..captures)
        .map(|i| hookscope::sample::build(events[i % events.len()], None, now + i as i64, &[]))
        .collect::<Result<_, _>>()?;
    let mean = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len().max(1);
    println!(
        "{captures} captures (bodies {mean} B on average), batches of {batch}, {rounds} rounds"
    );
    let mut with = Vec::new();
    let mut without = Vec::new();
    for _ in 0..rounds {
        with.push(fill(&bodies, batch, true)?);
        without.push(fill(&bodies, batch, false)?);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / captures as f64;
    for (name, runs) in [("with FTS", &mut with), ("without FTS", &mut without)] {
        let each: Vec<String> = runs
            .iter()
            .map(|(d, _)| format!("{:.1}", per(*d)))
            .collect();
        let size = runs[0].1;
        runs.sort();
        println!(
            "{name:<12} µs/capture: {} (median {:.1}); database {:.1} MiB ({} B/capture)",
            each.join(", "),
            per(runs[runs.len() / 2].0),
            size as f64 / (1024.0 * 1024.0),
            size / captures.max(1) as u64
        );
    }
    Ok(())
}

/// Time to insert everything, and the database's size in bytes afterwards.
fn fill(bodies: &[Vec<u8>], batch: usize, fts: bool) -> anyhow::Result<(Duration, u64)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ingest.db");
    drop(Store::open(&path, OpenMode::Create)?);
    let conn = rusqlite::Connection::open(&path)?;
    if !fts {
        conn.execute_batch("DROP TRIGGER captures_fts_insert")?;
    }
    // Experiments: FTS_CONFIG="automerge=0,crisismerge=64" sets FTS5 options first.
    for kv in std::env::var("FTS_CONFIG")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        let (k, v) = kv.split_once('=').context("FTS_CONFIG is key=value,...")?;
        conn.execute(
            "INSERT INTO captures_fts (captures_fts, rank) VALUES (?1, ?2)",
            rusqlite::params![k, v.parse::<i64>()?],
        )?;
    }
    drop(conn);
    let mut store = Store::open(&path, OpenMode::Existing)?;
    store.tune_for_writing()?;
    let captures: Vec<Capture> = bodies
        .iter()
        .map(|body| Capture {
            event: EventInfo::inspect(body),
            verdict: Verdict::Unsigned,
            ..Capture::new(
                0,
                "POST",
                "/webhooks/dataspike",
                hookscope::sample::delivery_headers(),
                body.clone(),
            )
        })
        .collect();
    let t = Instant::now();
    for chunk in captures.chunks(batch) {
        let refs: Vec<&Capture> = chunk.iter().collect();
        store.insert_captures(&refs)?;
    }
    let took = t.elapsed();
    drop(store);
    let conn = rusqlite::Connection::open(&path)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let size: u64 = conn.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get(0),
    )?;
    Ok((took, size))
}
