//! Live forwarding with a bound: at most `concurrency` requests in flight to the app, the rest
//! waiting in arrival order. A slot is held while the app is asked, not while the attempt is
//! stored, so the store's commit never keeps the app idle. Nothing is dropped: every capture
//! is committed before it is queued, so the queue (in memory) only holds the work of passing
//! it on. At shutdown the queue drains
//! for [`DRAIN_DEADLINE`]; whatever is still waiting then is stored as a failed attempt ("not
//! sent"), which `hookscope replay --failed` picks up.

use http::Uri;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use super::{Recorded, Recorder, Shipment};
use crate::capture::{now_ms, Attempt};
use crate::report::Report;
use crate::store::Writer;

/// Default `--forward-concurrency`: requests in flight to the app at once.
pub const DEFAULT_FORWARD_CONCURRENCY: usize = 8;
/// How long queued forwards may still go out after the listener stopped.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);
/// The queue length is reported at most this often while it is not empty.
const REPORT_EVERY: Duration = Duration::from_millis(250);

struct Job {
    target: Uri,
    shipment: Shipment,
}

/// The forwarding queue of one session (one target). Dropping it starts the drain.
pub struct ForwardQueue {
    jobs: mpsc::UnboundedSender<Job>,
    limit: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    recorder: Arc<Recorder>,
    // Dropped with the queue: tells the dispatcher the drain deadline has begun.
    _closing: oneshot::Sender<()>,
}

impl ForwardQueue {
    /// Starts the dispatcher on the current runtime. Unsent work is recorded through `writer`.
    pub fn start(recorder: Recorder, concurrency: usize, writer: Writer) -> ForwardQueue {
        let (jobs, rx) = mpsc::unbounded_channel();
        let (closing, closed) = oneshot::channel();
        let limit = Arc::new(Semaphore::new(concurrency.max(1)));
        let waiting = Arc::new(AtomicUsize::new(0));
        let recorder = Arc::new(recorder);
        tokio::spawn(dispatch(Dispatch {
            rx,
            closed: Some(closed),
            limit: limit.clone(),
            waiting: waiting.clone(),
            recorder: recorder.clone(),
            writer,
        }));
        ForwardQueue {
            jobs,
            limit,
            waiting,
            recorder,
            _closing: closing,
        }
    }

    /// Queues a forward whose outcome nobody waits for (`--respond ack`).
    pub fn push(&self, target: Uri, shipment: Shipment) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = self.jobs.send(Job { target, shipment }) {
            // Only when the dispatcher is gone (a shutting-down runtime): say so, lose nothing.
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::error!(
                "forward of capture {} not queued; a replay of the failed deliveries sends it",
                e.0.shipment.capture_id
            );
        }
    }

    /// Forwards within the same limit and waits for the outcome (`--respond app`).
    pub async fn send(&self, target: &Uri, shipment: Shipment) -> Recorded {
        let permit = self.limit.clone().acquire_owned().await.ok();
        self.recorder.record_holding(target, shipment, permit).await
    }
}

struct Dispatch {
    rx: mpsc::UnboundedReceiver<Job>,
    closed: Option<oneshot::Receiver<()>>,
    limit: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    recorder: Arc<Recorder>,
    writer: Writer,
}

/// Starts queued forwards in arrival order as permits free up, until the queue is closed and
/// empty, or the drain deadline passes.
async fn dispatch(mut d: Dispatch) {
    let closed = d.closed.take();
    let deadline = async move {
        if let Some(closed) = closed {
            let _ = closed.await;
        }
        tokio::time::sleep(DRAIN_DEADLINE).await;
    };
    tokio::pin!(deadline);
    let mut reported: Option<Instant> = None;
    let mut shown = 0;
    loop {
        let job = tokio::select! {
            job = d.rx.recv() => job,
            _ = &mut deadline => None,
        };
        let Some(job) = job else { break };
        let permit = match d.limit.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                report_queue(&d, &mut reported, &mut shown, false);
                tokio::select! {
                    p = d.limit.clone().acquire_owned() => p.ok(),
                    _ = &mut deadline => None,
                }
            }
        };
        let Some(permit) = permit else {
            abandon(&d, job).await;
            break;
        };
        d.waiting.fetch_sub(1, Ordering::SeqCst);
        start(&d, job, permit);
        report_queue(&d, &mut reported, &mut shown, true);
    }
    // Past the deadline: what still waits is recorded as not sent.
    d.rx.close();
    while let Ok(job) = d.rx.try_recv() {
        abandon(&d, job).await;
    }
}

fn start(d: &Dispatch, job: Job, permit: OwnedSemaphorePermit) {
    let recorder = d.recorder.clone();
    tokio::spawn(async move {
        let id = job.shipment.capture_id;
        let r = recorder
            .record_holding(&job.target, job.shipment, permit)
            .await;
        if let Err(e) = &r.stored {
            tracing::error!("attempt of capture {id} not stored: {e}");
        }
    });
}

/// Reports the queue length: throttled while it grows, and once more when it is empty again.
fn report_queue(d: &Dispatch, last: &mut Option<Instant>, shown: &mut usize, started: bool) {
    let Some(reports) = &d.recorder.reports else {
        return;
    };
    let waiting = d.waiting.load(Ordering::SeqCst);
    let due = last.is_none_or(|t| t.elapsed() >= REPORT_EVERY);
    let send = match (started, waiting) {
        (true, 0) => *shown > 0,
        (_, n) => due && n != *shown,
    };
    if send {
        let _ = reports.send(Report::ForwardQueue { waiting });
        *last = Some(Instant::now());
        *shown = waiting;
    }
}

/// Stores a queued forward that was never sent as a failed attempt, so `replay --failed` has it.
async fn abandon(d: &Dispatch, job: Job) {
    d.waiting.fetch_sub(1, Ordering::SeqCst);
    let attempt = Attempt {
        capture_id: job.shipment.capture_id,
        kind: job.shipment.kind,
        at_ms: now_ms(),
        target: job.target.to_string(),
        resigned: false,
        sent_body: None,
        sent_headers: None,
        status: None,
        response_headers: Vec::new(),
        response_body: Vec::new(),
        response_truncated: false,
        latency_ms: None,
        error: Some(format!(
            "not sent: still queued {} s after hookscope stopped; a replay of the failed deliveries sends it",
            DRAIN_DEADLINE.as_secs()
        )),
    };
    let attempt = Arc::new(attempt);
    if let Some(reports) = &d.recorder.reports {
        let _ = reports.send(Report::Attempted {
            capture_id: attempt.capture_id,
            attempt: attempt.brief(),
            replay: false,
        });
    }
    if let Err(e) = d.writer.record_attempt(attempt).await {
        tracing::error!(
            "capture {} was never forwarded and that was not stored: {e}",
            job.shipment.capture_id
        );
    }
}
