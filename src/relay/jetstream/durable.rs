//! Whether the NATS servers keep what they acknowledged: the start-up check of the JetStream
//! log.
//!
//! With three replicas a `PubAck` comes only once a quorum (two of three servers) has the
//! message, so one server losing its unsynced writes loses nothing; JetStream refuses three
//! replicas on fewer than three servers, and the stream's replica count is checked after it is
//! created or updated. With one replica the only copy must be fsynced before the ack:
//! `sync_interval: always` (the default fsyncs every two minutes, and the Jepsen analysis of
//! nats-server showed acknowledged writes lost on power loss). A client cannot read that
//! setting over its NATS connection (only the system account can), so it is read from the
//! server's monitoring endpoint (`/varz`, the server's `http_port`); a single-replica log whose
//! servers cannot be read this way is refused, not trusted.

use std::time::Duration;

use crate::relay::log::LogError;

/// Longest wait for a monitoring endpoint.
const MONITOR_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest `/varz` answer read.
const MAX_VARZ: usize = 1024 * 1024;

/// The setting to change when a single replica is not fsynced.
pub(crate) const SYNC_FIX: &str = "set 'sync_interval: always' in the server's jetstream block and restart it, or run three servers with three replicas";

/// What `/varz` says about fsync: `Ok` when JetStream syncs every write; otherwise what was
/// found, in words. Pure.
pub(crate) fn judge_varz(varz: &serde_json::Value) -> Result<(), String> {
    let Some(config) = varz.get("jetstream").and_then(|j| j.get("config")) else {
        return Err("JetStream is not enabled on it".into());
    };
    if config.get("sync_always").and_then(|v| v.as_bool()) == Some(true) {
        return Ok(());
    }
    let every = config
        .get("sync_interval")
        .and_then(|v| v.as_u64())
        .map(|ns| {
            format!(
                "every {}",
                humantime::format_duration(Duration::from_nanos(ns))
            )
        })
        .unwrap_or_else(|| "on its default interval".into());
    Err(format!(
        "it fsyncs JetStream writes {every}, not before each acknowledgement"
    ))
}

/// Reads `/varz` from each monitoring URL (`http://HOST:PORT`) and judges it; the first server
/// that cannot keep the promise, or cannot be read, is the error.
pub(crate) async fn check_sync_always(monitors: &[String]) -> Result<(), LogError> {
    if monitors.is_empty() {
        return Err(LogError::NotDurable {
            server: "the NATS servers".into(),
            problem: "with one replica the relay must confirm that every write is fsynced before it is acknowledged, and no monitoring address was given to read that from".into(),
            fix: "give each server's monitoring address (its http_port), or run three servers with three replicas".into(),
        });
    }
    for url in monitors {
        let varz = fetch_varz(url).await?;
        judge_varz(&varz).map_err(|problem| LogError::NotDurable {
            server: format!("the NATS server at {url}"),
            problem,
            fix: SYNC_FIX.into(),
        })?;
    }
    Ok(())
}

async fn fetch_varz(base: &str) -> Result<serde_json::Value, LogError> {
    use http_body_util::{BodyExt, Empty, Limited};
    let unreadable = |why: String| {
        LogError::Other(format!(
            "cannot read the NATS monitoring endpoint '{base}/varz': {why}"
        ))
    };
    let uri: http::Uri = format!("{}/varz", base.trim_end_matches('/'))
        .parse()
        .map_err(|e| unreadable(format!("not a URL ({e})")))?;
    if uri.scheme_str() != Some("http") {
        return Err(unreadable("give it as http://HOST:PORT".into()));
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<bytes::Bytes>>();
    let answer = tokio::time::timeout(MONITOR_TIMEOUT, client.get(uri))
        .await
        .map_err(|_| unreadable(format!("no answer within {} s", MONITOR_TIMEOUT.as_secs())))?
        .map_err(|e| unreadable(e.to_string()))?;
    if !answer.status().is_success() {
        return Err(unreadable(format!("it answered {}", answer.status())));
    }
    let body = tokio::time::timeout(
        MONITOR_TIMEOUT,
        Limited::new(answer.into_body(), MAX_VARZ).collect(),
    )
    .await
    .map_err(|_| unreadable("its answer stalled".into()))?
    .map_err(|e| unreadable(e.to_string()))?
    .to_bytes();
    serde_json::from_slice(&body).map_err(|e| unreadable(format!("not JSON ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_sync_always_keeps_a_single_replica() {
        let always = json!({"jetstream": {"config": {"sync_interval": 120_000_000_000u64, "sync_always": true}}});
        assert_eq!(judge_varz(&always), Ok(()));
        let default = json!({"jetstream": {"config": {"sync_interval": 120_000_000_000u64}}});
        let e = judge_varz(&default).unwrap_err();
        assert!(e.contains("every 2m"), "{e}");
        let off = json!({"jetstream": {"config": {"sync_always": false}}});
        assert!(judge_varz(&off).unwrap_err().contains("default interval"));
        assert!(judge_varz(&json!({"server_id": "x"}))
            .unwrap_err()
            .contains("not enabled"));
    }
}
