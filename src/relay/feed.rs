//! `listen --relay`: the relay client's deliveries go through the same `Intake` as the
//! listener's, one at a time in sequence order, so the local store's highest relay sequence is
//! always a safe place to resume from. It reads that position at start, skips a delivery the
//! store already holds (exactly once per relay channel + sequence), tells the client `Ok` only
//! after the intake committed, and turns the client's states and gaps into reports. It does
//! not answer anyone: the relay answered the sender when it stored the delivery.

use std::net::SocketAddr;
use std::path::Path;
use tokio::sync::mpsc;

use super::client::{self, ClientConfig, ClientError, ClientEvent};
use super::protocol::Delivery;
#[cfg(test)]
use crate::capture::RawRequest;
use crate::capture::{now_ms, RelayOrigin, Source};
use crate::intake::{Intake, Received};
use crate::report::{Report, ReportTx};
use crate::store::{OpenMode, Store};

/// Events buffered between the client and the intake.
const QUEUE: usize = 64;

/// Runs until the client is refused (Err) or the task is dropped.
pub async fn feed(
    cfg: ClientConfig,
    db: &Path,
    intake: Intake,
    reports: ReportTx,
) -> Result<(), ClientError> {
    let public = cfg.url.ingest();
    let url = cfg.url.base.clone();
    let channel = cfg.url.channel.clone();
    // A connection of our own: the position and the duplicate check are reads.
    let store = match Store::open(db, OpenMode::Existing) {
        Ok(s) => s,
        Err(e) => {
            let _ = reports.send(Report::Notice {
                text: format!("relay: cannot read the local position: {e}"),
                error: true,
            });
            return Ok(());
        }
    };
    let position = match store.relay_position(&channel) {
        Ok(p) => p,
        Err(e) => {
            let _ = reports.send(Report::Notice {
                text: format!("relay: cannot read the local position: {e}"),
                error: true,
            });
            return Ok(());
        }
    };
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let client = tokio::spawn(client::run(cfg, position, tx));
    while let Some(ev) = rx.recv().await {
        match ev {
            ClientEvent::State(state) => {
                let _ = reports.send(Report::Relay {
                    url: public.clone(),
                    state,
                });
            }
            ClientEvent::Gap(g) => {
                let text = format!(
                    "relay: deliveries #{}..#{} were deleted by the relay's retention before this laptop read them",
                    g.from, g.to
                );
                // The log has it with --json too, where notices are not printed.
                tracing::warn!("{text}");
                let _ = reports.send(Report::Notice { text, error: true });
            }
            ClientEvent::Delivery(d, reply) => {
                let outcome = match tokio::task::block_in_place(|| store.relayed(&channel, d.seq)) {
                    Ok(Some(_)) => Ok(()),
                    Ok(None) => take_in(&intake, &url, &channel, *d).await,
                    Err(e) => Err(e.to_string()),
                };
                let _ = reply.send(outcome);
            }
        }
    }
    match client.await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

/// Commits one delivery through the intake; `Err` when it was not stored.
async fn take_in(intake: &Intake, url: &str, channel: &str, d: Delivery) -> Result<(), String> {
    let answer = intake.receive(received(d, url, channel, now_ms())).await;
    if answer.status == http::StatusCode::SERVICE_UNAVAILABLE {
        return Err(String::from_utf8_lossy(&answer.body).trim().to_string());
    }
    Ok(())
}

/// A relayed delivery as the intake takes it. Pure.
pub fn received(d: Delivery, url: &str, channel: &str, now_ms: i64) -> Received {
    Received {
        request: d.request,
        rejection: d.rejected,
        peer: d.peer.as_deref().and_then(|p| p.parse::<SocketAddr>().ok()),
        received_at_ms: now_ms,
        source: Source::Relay,
        relay: Some(RelayOrigin {
            url: url.to_string(),
            channel: channel.to_string(),
            seq: d.seq,
            received_at_ms: d.received_at_ms,
            verdict: d.relay_verdict,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relayed_delivery_keeps_its_bytes_and_its_origin() {
        let d = Delivery {
            seq: 9,
            received_at_ms: 1_000,
            request: RawRequest {
                method: "POST".into(),
                path: "/hook".into(),
                query: Some("a=1".into()),
                headers: vec![(b"X-A".to_vec(), b"\xff".to_vec())],
                body: b"{ \"a\": 1.0 }".to_vec(),
                body_size: 12,
            },
            rejected: None,
            peer: Some("203.0.113.5:443".into()),
            relay_verdict: None,
        };
        let r = received(d.clone(), "https://relay", "CH", 5_000);
        assert_eq!(r.body, d.body);
        assert_eq!(r.headers, d.headers);
        assert_eq!(r.source, Source::Relay);
        assert_eq!(r.received_at_ms, 5_000);
        let o = r.relay.unwrap();
        assert_eq!(
            (o.seq, o.received_at_ms, o.channel.as_str()),
            (9, 1_000, "CH")
        );
        assert_eq!(r.peer.unwrap().to_string(), "203.0.113.5:443");
    }
}
