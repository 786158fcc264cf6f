//! One thread owns one long-lived connection and runs the jobs sent to it, one at a time: for
//! async callers (replay, the TUI's effects) that read and write now and then and must not block
//! the runtime. It does not batch: the listener's many small writes go to [`super::Writer`].

use std::sync::mpsc;
use tokio::sync::oneshot;

use super::{Store, WriteError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// Cheap handle to the worker thread. When every handle is dropped the thread ends and closes
/// the connection.
#[derive(Clone)]
pub struct StoreWorker {
    tx: mpsc::Sender<Job>,
}

impl StoreWorker {
    /// Moves `store` onto its own thread.
    pub fn spawn(store: Store) -> std::io::Result<StoreWorker> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("hookscope-store".into())
            .spawn(move || {
                let mut store = store;
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                }
            })?;
        Ok(StoreWorker { tx })
    }

    /// Runs `job` on the worker's connection and hands back what it returned.
    pub async fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Box::new(move |store: &mut Store| {
                // The caller may have given up waiting; the job ran regardless.
                let _ = tx.send(job(store));
            }))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }
}

fn stopped() -> WriteError {
    WriteError("the database connection's thread has stopped; see the error above".into())
}
