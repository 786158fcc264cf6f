//! The worker that runs the effects the terminal UI asks for (replay, export) and reports back,
//! and the probe that tells the UI whether the forward target is up. The UI never waits on the
//! network or the disk; this worker reads through one long-lived connection of its own and
//! stores attempts through [`Recorder`], like every other attempt. It must not draw anything.

use anyhow::Context;
use http::Uri;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::capture::CaptureId;
use crate::forward::{authority, Recorder, Signing};
use crate::ops::replay::{self, Outcome, Settings};
use crate::output::attempt_brief;
use crate::report::{Report, ReportTx};
use crate::signature::Secret;
use crate::store::{StoreWorker, StoredCapture};
use crate::tui::hint::with;
use crate::tui::{Command, EditedBody};

/// Where `x` writes fixtures, relative to the working directory.
pub const FIXTURES_DIR: &str = "fixtures";
/// How often the header's "reachable" mark for the forward target is refreshed.
const PROBE_INTERVAL: Duration = Duration::from_secs(2);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// What the effects worker needs.
pub struct Effects {
    /// The worker's own connection, for reading captures (and, without a listener, storing
    /// attempts).
    pub store: StoreWorker,
    /// Sends replays and stores their attempts (through the listener's writer when listening).
    pub recorder: Recorder,
    /// Base URL replays go to (`--forward-to`, `--to`); else the capture's last target.
    pub target: Option<Uri>,
    /// Secrets for re-signing: each capture takes the first of its own scheme
    /// (`signature::secret_for`).
    pub secrets: Vec<Secret>,
    pub reports: ReportTx,
}

/// Runs each command on its own task, so a slow replay never holds up the next one.
pub async fn run_effects(mut rx: UnboundedReceiver<Command>, fx: Effects) {
    let fx = std::sync::Arc::new(fx);
    while let Some(cmd) = rx.recv().await {
        let fx = fx.clone();
        tokio::spawn(async move {
            let (text, error) = match cmd {
                Command::Replay { id, signing, body } => replay_one(&fx, id, signing, body).await,
                Command::Export { id } => match export_one(&fx, id).await {
                    Ok(text) => (text, false),
                    Err(e) => (format!("export of #{id} failed: {e:#}"), true),
                },
            };
            let _ = fx.reports.send(Report::Notice { text, error });
        });
    }
}

/// The TUI's keys as replay settings: the same [`replay::decide`] rule `hookscope replay` uses.
pub fn replay_settings(
    to: Option<&Uri>,
    secrets: &[Secret],
    signing: Signing,
    body: Option<Vec<u8>>,
) -> Settings {
    Settings {
        signing,
        resign_failed: false,
        body,
        headers: Vec::new(),
        to: to.cloned(),
        secrets: secrets.to_vec(),
    }
}

/// One replay, and its one notice: what was sent, how it was signed, what the app answered.
async fn replay_one(
    fx: &Effects,
    id: CaptureId,
    signing: Signing,
    body: Option<EditedBody>,
) -> (String, bool) {
    let sent = match &body {
        Some(b) => format!(", edited body ({})", b.note),
        None => String::new(),
    };
    let settings = replay_settings(
        fx.target.as_ref(),
        &fx.secrets,
        signing,
        body.map(|b| b.bytes),
    );
    match replay::replay_one(&fx.store, &fx.recorder, id, &settings).await {
        Ok(Outcome::Sent(r)) => {
            let how = match r.attempt.resigned {
                true => "re-signed",
                false => "as captured",
            };
            let mut text = format!(
                "replayed #{id} {how}{sent} {}",
                attempt_brief(&r.attempt.brief())
            );
            if let Some(w) = r.warning {
                text.push_str(&format!("; {}", with(w, w.hint())));
            }
            let note = r.resigned.as_ref().and_then(|s| s.note());
            if let Some(n) = &note {
                text.push_str(&format!("; {n}"));
            }
            (text, !r.succeeded || r.warning.is_some() || note.is_some())
        }
        Ok(Outcome::Skipped { why, .. }) => (
            format!("#{id} not replayed: {}", with(&why, why.hint())),
            true,
        ),
        Err(e) => (format!("replay of #{id} failed: {e}"), true),
    }
}

async fn export_one(fx: &Effects, id: CaptureId) -> anyhow::Result<String> {
    let stored = fx
        .store
        .call(move |store| store.get(id))
        .await??
        .with_context(|| format!("capture {id} is no longer in the store"))?;
    // Writing the files blocks; keep it off the runtime's threads, and off the store's.
    tokio::task::spawn_blocking(move || export_into(Path::new(FIXTURES_DIR), &stored)).await?
}

/// Writes `stored` as a fixture under a name no file in `dir` has yet (an earlier export of
/// the same capture is never overwritten) and says where.
fn export_into(dir: &Path, stored: &StoredCapture) -> anyhow::Result<String> {
    let path = crate::ops::export::fresh_fixture(dir, stored)?;
    Ok(format!("exported #{} to '{}'", stored.id, path.display()))
}

/// Reports whether the forward target accepts TCP connections, whenever that changes.
pub async fn probe_target(target: Uri, reports: ReportTx) {
    let addr = {
        let auth = authority(&target);
        if auth.contains(':') && !auth.ends_with(']') {
            auth
        } else {
            format!("{auth}:80")
        }
    };
    let mut last = None;
    loop {
        let up = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&addr)).await,
            Ok(Ok(_))
        );
        if last != Some(up) {
            if reports.send(Report::TargetReachable(up)).is_err() {
                return;
            }
            last = Some(up);
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;

    #[test]
    fn x_never_overwrites_and_says_where_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        let stored = StoredCapture {
            id: 7,
            capture: Capture::new(
                1_700_000_000_000,
                "POST",
                "/hook",
                Vec::new(),
                b"{}".to_vec(),
            ),
        };
        let first = export_into(&fixtures, &stored).unwrap();
        let second = export_into(&fixtures, &stored).unwrap();
        assert_ne!(first, second, "a second export picks a fresh name");
        for notice in [&first, &second] {
            let path = notice
                .strip_prefix("exported #7 to '")
                .and_then(|p| p.strip_suffix('\''))
                .unwrap_or_else(|| panic!("{notice}"));
            assert!(std::path::Path::new(path).is_file(), "{notice}");
        }
        assert_eq!(std::fs::read_dir(&fixtures).unwrap().count(), 2);
    }
}
