//! TUI scale check: fills a store with many captures (1,000,000 by default), then measures in
//! a fresh process what the TUI does on it: time to the first frame, the cost of scrolling and
//! paging, opening a detail, queries (through the FTS and status indexes, and the budgeted
//! scans of queries without an index), and peak memory.
//!
//! ```text
//! cargo run --release --example tui_scale -- [--captures N] [--db PATH]
//! ```
//!
//! Without `--db` the store goes to a temp dir and is deleted afterwards. With `--db` an
//! existing file is reused as it is (each run adds one capture), so repeated runs skip the
//! fill.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use hookscope::capture::{Attempt, AttemptKind, Capture, EventInfo, RawRequest, Source};
use hookscope::report::Report;
use hookscope::signature::dataspike::HeaderError;
use hookscope::signature::{Scheme, Verdict};
use hookscope::store::{ListQuery, OpenMode, Store};
use hookscope::tui::app::{update, App, Setup, Theme, Zone};
use hookscope::tui::event::Event;

const DEFAULT_CAPTURES: u64 = 1_000_000;
/// Captures per transaction while filling.
const FILL_BATCH: u64 = 10_000;
/// One capture in this many has a path the filter benchmark looks for.
const RARE_EVERY: u64 = 10_000;
/// The one capture whose body holds the word `zebra`.
const RARE_WORD_AT: u64 = 123_457;
/// One capture in this many has `payload.risk_score.type` High (the others Low).
const HIGH_EVERY: u64 = 1_000;
/// One capture in this many got a 503 from the app (its forward; others got 200).
const FAILED_EVERY: i64 = 10_000;
const SCREEN: (u16, u16) = (160, 50);
const STEPS: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut captures = DEFAULT_CAPTURES;
    let mut db: Option<PathBuf> = None;
    let mut fill_only = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--captures" => {
                captures = args
                    .next()
                    .context("--captures needs a number")?
                    .parse()
                    .context("--captures needs a number")?
            }
            "--db" => db = Some(args.next().context("--db needs a path")?.into()),
            // Internal: the child process that fills, so its memory is not counted.
            "--fill-only" => fill_only = true,
            other => bail!("unknown argument '{other}'"),
        }
    }
    let tmp = tempfile::tempdir()?;
    let path = db.unwrap_or_else(|| tmp.path().join("scale.db"));
    if fill_only {
        return fill(&path, captures);
    }
    if !path.exists() {
        let started = Instant::now();
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(["--fill-only", "--captures", &captures.to_string(), "--db"])
            .arg(&path)
            .status()?;
        if !status.success() {
            bail!("filling the store failed");
        }
        println!(
            "filled {captures} captures in {:.1} s ({} MiB on disk)",
            started.elapsed().as_secs_f64(),
            std::fs::metadata(&path)?.len() / (1024 * 1024)
        );
    }
    let captures = Store::open(&path, OpenMode::Existing)?.count(&ListQuery::default())?;
    measure(&path, captures)
}

fn body(i: u64) -> Vec<u8> {
    format!(
        r#"{{"id":"01827ed4-c928-7a3c-9a30-{i:012}","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"{}","timestamp":"2023-07-18T15:32:13Z","payload":{{"applicant_id":"{i}","status":"verified","risk_score":{{"type":"{}"}},"note":"{}"}}}}"#,
        if i.is_multiple_of(2) { "DOCVER" } else { "AML_SCREENING" },
        if i % HIGH_EVERY == 7 { "High" } else { "Low" },
        if i == RARE_WORD_AT { "zebra crossing" } else { "routine check" }
    )
    .into_bytes()
}

fn fill(path: &Path, n: u64) -> anyhow::Result<()> {
    let mut store = Store::open(path, OpenMode::Create)?;
    let t0 = 1_700_000_000_000i64;
    let mut next = 0u64;
    while next < n {
        let end = (next + FILL_BATCH).min(n);
        let batch: Vec<Capture> = (next..end)
            .map(|i| {
                let body = body(i);
                let verdict = match i % 5 {
                    0 => Verdict::Invalid {
                        scheme: Scheme::Dataspike,
                        reason: HeaderError::NoSecretMatches.into(),
                    },
                    1 => Verdict::Unsigned,
                    2 => Verdict::Stale {
                        scheme: Scheme::Dataspike,
                        secret_index: 0,
                        skew_s: 400,
                        tolerance_s: 300,
                    },
                    _ => Verdict::Valid {
                        scheme: Scheme::Dataspike,
                        secret_index: 0,
                        skew_s: 1,
                    },
                };
                Capture {
                    received_at_ms: t0 + i as i64 * 100,
                    event: EventInfo::inspect(&body),
                    request: RawRequest {
                        method: "POST".into(),
                        path: if i.is_multiple_of(RARE_EVERY) {
                            "/webhooks/rare-path".into()
                        } else {
                            "/webhooks/dataspike".into()
                        },
                        query: None,
                        headers: vec![
                            (b"Host".to_vec(), b"127.0.0.1:8080".to_vec()),
                            (b"Content-Type".to_vec(), b"application/json".to_vec()),
                            (
                                b"X-Webhook-Signature".to_vec(),
                                format!("t={},v1={:064x}", t0 / 1000, i).into_bytes(),
                            ),
                        ],
                        body_size: body.len() as u64,
                        body,
                    },
                    truncated: false,
                    rejected: None,
                    peer: Some("127.0.0.1:50000".into()),
                    source: Source::Live,
                    relay: None,
                    dataspike: None,
                    verdict,
                    diagnostics: None,
                    route: None,
                    event_key: None,
                    answered: None,
                }
            })
            .collect();
        let refs: Vec<&Capture> = batch.iter().collect();
        let ids = store.insert_captures(&refs)?;
        // Every tenth capture was forwarded, so rows show a latest attempt.
        let attempts: Vec<Attempt> = ids
            .iter()
            .step_by(10)
            .map(|&capture_id| Attempt {
                capture_id,
                kind: AttemptKind::Forward,
                at_ms: t0,
                target: "http://127.0.0.1:3000/hook".into(),
                resigned: false,
                sent_body: None,
                sent_headers: None,
                status: Some(if capture_id % FAILED_EVERY == 1 {
                    503
                } else {
                    200
                }),
                response_headers: Vec::new(),
                response_body: b"ok".to_vec(),
                response_truncated: false,
                latency_ms: Some(3),
                error: None,
            })
            .collect();
        let refs: Vec<&Attempt> = attempts.iter().collect();
        store.insert_attempts(&refs)?;
        next = end;
    }
    // As listen's writer does once deliveries pause: the figures are for an indexed store.
    let started = std::time::Instant::now();
    let indexed = store.catch_up_index()?;
    eprintln!(
        "indexed {indexed} captures for search in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

struct Bench {
    app: App,
    store: Store,
    terminal: Terminal<TestBackend>,
}

impl Bench {
    /// One frame as the real loop does it: update, refresh from the store, draw.
    fn frame(&mut self, events: Vec<Event>) -> anyhow::Result<Duration> {
        let t = Instant::now();
        for ev in events {
            update(&mut self.app, ev);
        }
        self.app.refresh(&self.store);
        let app = &self.app;
        self.terminal.draw(|f| f.render_widget(app, f.area()))?;
        if let Some(n) = self.app.notice.as_ref().filter(|n| n.error) {
            bail!("the TUI reported an error: {}", n.text);
        }
        Ok(t.elapsed())
    }

    fn steps(&mut self, label: &str, event: impl Fn() -> Event) -> anyhow::Result<()> {
        let mut times = Vec::with_capacity(STEPS);
        for _ in 0..STEPS {
            times.push(self.frame(vec![event()])?);
        }
        times.sort();
        let total: Duration = times.iter().sum();
        println!(
            "{label:<34} {STEPS} frames: mean {:>7.3} ms, p99 {:>7.3} ms, max {:>7.3} ms",
            ms(total / STEPS as u32),
            ms(times[STEPS * 99 / 100]),
            ms(times[STEPS - 1])
        );
        Ok(())
    }

    /// One key, then frames until the window has finished reading (a filtered scan may take
    /// several frames, each within the scan budget, while keys keep working).
    fn once(&mut self, label: &str, events: Vec<Event>) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut max = self.frame(events)?;
        let mut frames = 1;
        while self.app.needs_refresh() {
            max = max.max(self.frame(Vec::new())?);
            frames += 1;
        }
        if frames == 1 {
            println!("{label:<34} {:>7.3} ms", ms(max));
        } else {
            println!(
                "{label:<34} {:>7.3} ms over {frames} frames, longest frame {:.3} ms",
                ms(started.elapsed()),
                ms(max)
            );
        }
        Ok(())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn measure(path: &Path, captures: u64) -> anyhow::Result<()> {
    println!("captures: {captures}, screen {}x{}", SCREEN.0, SCREEN.1);
    println!("rss before open: {}", rss());
    let t = Instant::now();
    let store = Store::open(path, OpenMode::Existing)?;
    let setup = Setup {
        listen_url: Some("http://127.0.0.1:8080".into()),
        forward_target: Some("http://127.0.0.1:3000/hook".into()),
        forward_events: None,
        routes: Vec::new(),
        secrets_loaded: 1,
        dev_secret: None,
        known: Vec::new(),
        registered: None,
        db_path: None,
        chosen: None,
    };
    let app = App::new(setup, Zone::Local, Theme { color: true });
    let terminal = Terminal::new(TestBackend::new(SCREEN.0, SCREEN.1))?;
    let mut b = Bench {
        app,
        store,
        terminal,
    };
    b.frame(vec![Event::Resize(SCREEN.0, SCREEN.1)])?;
    println!(
        "{:<34} {:>7.3} ms (open store + first page + draw)",
        "time to first frame",
        ms(t.elapsed())
    );
    println!("rss after first frame: {}", rss());
    b.steps("j (one row down)", || key(KeyCode::Char('j')))?;
    b.steps("PgDn", || key(KeyCode::PageDown))?;
    b.steps("k (one row up)", || key(KeyCode::Char('k')))?;
    b.steps("PgUp", || key(KeyCode::PageUp))?;
    b.once("G (jump to oldest)", vec![key(KeyCode::Char('G'))])?;
    b.steps("PgUp from the bottom", || key(KeyCode::PageUp))?;
    b.once("g (jump to newest)", vec![key(KeyCode::Char('g'))])?;
    b.once("Enter (open detail)", vec![key(KeyCode::Enter)])?;
    b.once("Esc (back to list)", vec![key(KeyCode::Esc)])?;
    let filter = |text: &str| -> Vec<Event> {
        let mut evs = vec![key(KeyCode::Esc), key(KeyCode::Char('/'))];
        evs.extend(text.chars().map(|c| key(KeyCode::Char(c))));
        evs.push(key(KeyCode::Enter));
        evs
    };
    let queries: &[(&str, &str)] = &[
        ("aml", "word, half the captures"),
        ("zebra", "word, 1 capture"),
        ("rare-path", "word of the path, 1 in 10,000"),
        ("no-such-text", "word, no match"),
        ("payload.risk_score.type=High", "JSON field, 1 in 1,000"),
        ("status:5xx", "app's status, 1 in 10,000"),
        ("status:503 event:docver", "status and event, 1 in 10,000"),
        ("badge:STALE", "no index, 1 in 5"),
        ("path:/webhooks/rare", "no index, 1 in 10,000"),
        ("payload.applicant_id=77", "no index, 1 capture"),
    ];
    for (q, what) in queries {
        b.once(&format!("filter '{q}' ({what})"), filter(q))?;
        let error = b.app.stack.prompt().and_then(|p| p.error.clone());
        if error.is_some() || b.app.filter.applied != *q {
            bail!("the query '{q}' did not apply: {error:?}");
        }
        b.once("  PgDn within that filter", vec![key(KeyCode::PageDown)])?;
    }
    b.once("clear filter", vec![key(KeyCode::Esc)])?;
    first_pages(&b.store, queries)?;
    b.once("clear filter", vec![key(KeyCode::Esc)])?;
    // A capture arrives from the listener while following: report in, row on screen.
    b.frame(vec![key(KeyCode::Char('f'))])?;
    if !b.app.follow {
        bail!("f did not turn following on");
    }
    let template = b
        .store
        .get(1)?
        .context("the store has no capture 1")?
        .capture;
    let id = Store::open(path, OpenMode::Existing)?.insert_capture(&template)?;
    let summary = b.store.summary(id)?.context("new capture not readable")?;
    b.once(
        "new capture on screen (following)",
        vec![Event::Report(Report::Captured(summary))],
    )?;
    if b.app.window.selected().map(|r| r.id) != Some(id) {
        bail!("the new capture is not selected at the top");
    }
    let t = Instant::now();
    let n = b.store.count(&ListQuery::default())?;
    println!(
        "{:<34} {:>7.3} ms ({n}; the TUI never runs it)",
        "count(*) for comparison",
        ms(t.elapsed())
    );
    let t = Instant::now();
    let n = b.store.count(&ListQuery {
        query: hookscope::query::parse("path:/webhooks/rare", 0)?,
        ..ListQuery::default()
    })?;
    println!(
        "{:<34} {:>7.3} ms ({n}; a whole-table scan)",
        "count(*) with 'path:/webhooks/rare'",
        ms(t.elapsed())
    );
    println!("peak rss (VmHWM): {}", peak_rss());
    Ok(())
}

/// Each query straight from the store: the first page (51 rows, newest first), as `list
/// --query` and the TUI's first frame read it.
fn first_pages(store: &Store, queries: &[(&str, &str)]) -> anyhow::Result<()> {
    for (q, what) in queries {
        let query = ListQuery {
            query: hookscope::query::parse(q, 0)?,
            limit: Some(51),
            ..ListQuery::default()
        };
        let t = Instant::now();
        let rows = store.list(&query)?;
        println!(
            "{:<34} {:>7.3} ms ({} rows; {what})",
            format!("first page '{q}'"),
            ms(t.elapsed()),
            rows.len()
        );
    }
    Ok(())
}

fn status_field(name: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .map(|l| l[name.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "n/a (no /proc)".into())
}

fn rss() -> String {
    status_field("VmRSS:")
}

fn peak_rss() -> String {
    status_field("VmHWM:")
}
