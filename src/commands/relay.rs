//! `relay`: serve the relay, and `relay channel add|list|remove|rotate-token` on its database.
//! Flags become a `RelayConfig` here; nothing below knows a flag's name. A token is printed
//! only by `add` and `rotate-token`, once.

use anyhow::Context;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::capture::now_ms;
use crate::cli::{ChannelCommand, RelayArgs, RelayCommand, RelayDbArgs, RelayServeArgs};
use crate::config::usage;
use crate::relay::limit::Rate;
use crate::relay::server::{self, RelayConfig, RelayParts};
use crate::relay::store::{spawn_relay_writer, RelayStore};
use crate::sqlite::{Durability, OpenMode, StoreError};

/// File name of the relay's default database inside the platform data directory.
pub const DEFAULT_RELAY_DB_FILE: &str = "hookscope-relay.db";

pub fn run(args: RelayArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        None => serve(args.serve),
        Some(RelayCommand::Channel(c)) => channel(c),
    }
}

fn relay_db(args: &RelayDbArgs) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.db {
        return Ok(p.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "hookscope").ok_or_else(|| {
        usage("cannot find a data directory for the relay database (is HOME set?): pass --db PATH")
    })?;
    Ok(dirs.data_dir().join(DEFAULT_RELAY_DB_FILE))
}

fn serve(args: RelayServeArgs) -> anyhow::Result<ExitCode> {
    let host: IpAddr = args.host.parse().map_err(|_| {
        usage(format!(
            "--host '{}' is not an IP address; use 127.0.0.1 (default, behind a reverse proxy) or 0.0.0.0 (with --tls-cert)",
            args.host
        ))
    })?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(crate::tls::server_config(c, k).map_err(|e| {
            // The error names the file; the flag that gave it is this layer's to say.
            let about_key = matches!(e, crate::tls::TlsError::Key { .. })
                || (e.path() == Some(k.as_path()) && c != k);
            let flag = if about_key { "--tls-key" } else { "--tls-cert" };
            usage(format!("{flag}: {e}"))
        })?),
        _ => None,
    };
    let db = relay_db(&args.db)?;
    let cfg = RelayConfig {
        max_body: args.max_body,
        read_timeout: Duration::from_secs(args.read_timeout),
        heartbeat: Duration::from_millis(args.heartbeat_ms),
        retention: args.retention,
        ip_rate: Rate::per_second(args.ip_rate),
        channel_rate: Rate::per_second(args.channel_rate),
        max_connections: args.max_connections,
        tls,
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let socket = super::bind(host, args.port).await?;
        let local = socket.local_addr().context("cannot read the bound address")?;
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{local}");
        let store = RelayStore::open(&db, OpenMode::Create)?;
        store.set_durability(args.durability)?;
        let (commit_tx, commits) = tokio::sync::watch::channel(0u64);
        let (writer, _writer_thread) = spawn_relay_writer(store, move || {
            commit_tx.send_modify(|g| *g = g.wrapping_add(1));
        })
        .context("cannot start the relay's database writer thread")?;
        if !host.is_loopback() && cfg.tls.is_none() {
            eprintln!(
                "warning: the relay listens on {host} without TLS. Read tokens and Dataspike deliveries (personal data) would cross the network in clear text. Pass --tls-cert and --tls-key, or bind 127.0.0.1 behind Caddy or nginx (see README)."
            );
        }
        if args.json {
            println!("{}", serde_json::json!({"event": "listening", "url": url}));
        } else {
            println!(
                "hookscope relay listening on {url}\n  database:  {} (durability {})\n  senders post to {url}/c/CHANNEL/...; 'hookscope relay channel add' creates one\n  Ctrl-C stops",
                db.display(),
                match args.durability {
                    Durability::Full => "full: fsync before every answer",
                    Durability::Normal => "normal: survives a crash of the relay, not of the machine",
                }
            );
        }
        server::serve(
            socket,
            RelayParts {
                cfg,
                db: db.clone(),
                writer,
                commits,
            },
            crate::session::shutdown_signal(),
        )
        .await;
        // Every answered delivery was committed before its answer: nothing to flush.
        if !args.json {
            eprintln!("relay stopped; every acknowledged delivery is in '{}'", db.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn channel(cmd: ChannelCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ChannelCommand::Add(a) => {
            let db = relay_db(&a.db)?;
            let secrets: Vec<String> = a
                .secrets
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            crate::signature::parse_secrets(&secrets, "--secret").map_err(usage)?;
            let store = RelayStore::open(&db, OpenMode::Create)?;
            let (id, token) = store.add_checked_channel(
                a.label.as_deref(),
                &secrets,
                a.reject_invalid,
                now_ms(),
            )?;
            let path = format!("/c/{id}");
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"channel": id, "path": path, "token": token.reveal(), "label": a.label})
                );
            } else {
                // The token is shown once, on a line of its own; the laptop's lines read it
                // from a prompt, so it never lands in the shell's history.
                println!(
                    "channel  {id}\nwebhook  https://YOUR-RELAY-HOST{path}   (paste into Dataspike; any path may follow)\ntoken    {}   (shown once: the relay keeps only its hash)\n\non your laptop (paste the token at the prompt; it stays out of your shell history):\n  read -rs HOOKSCOPE_RELAY_TOKEN && export HOOKSCOPE_RELAY_TOKEN\n  hookscope listen --relay https://YOUR-RELAY-HOST{path} --secret whsec_...",
                    token.reveal()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ChannelCommand::List(a) => {
            let db = relay_db(&a.db)?;
            let store = open_relay(&db)?;
            let channels = store.list_channels()?;
            for c in &channels {
                if a.json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "channel": c.id, "label": c.label, "created_at_ms": c.created_at_ms,
                            "last_seq": c.last_seq, "pruned_upto": c.pruned_upto,
                            "stored": c.stored, "stored_bytes": c.stored_bytes,
                            "consumers": c.consumers.iter().map(|(n, s, t)| serde_json::json!({"consumer": n, "acked": s, "seen_at_ms": t})).collect::<Vec<_>>(),
                        })
                    );
                } else {
                    let consumers = c
                        .consumers
                        .iter()
                        .map(|(n, s, _)| format!("{n}@{s}"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    println!(
                        "{}  {:<12}  last #{}  holds {} ({} bytes)  subscribers: {}",
                        c.id,
                        c.label.as_deref().unwrap_or("-"),
                        c.last_seq,
                        c.stored,
                        c.stored_bytes,
                        if consumers.is_empty() {
                            "none yet".into()
                        } else {
                            consumers
                        }
                    );
                }
            }
            if channels.is_empty() && !a.json {
                eprintln!("no channels yet: 'hookscope relay channel add' creates one");
            }
            Ok(ExitCode::SUCCESS)
        }
        ChannelCommand::Remove(a) => {
            let (db, store) = open_existing(&a.db)?;
            if !store.remove_channel(&a.id)? {
                return Err(no_channel(&a.id, &db));
            }
            if a.json {
                println!("{}", serde_json::json!({"removed": a.id}));
            } else {
                println!("removed channel {} and every delivery it held", a.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        ChannelCommand::RotateToken(a) => {
            let (db, store) = open_existing(&a.db)?;
            let Some(token) = store.rotate_token(&a.id)? else {
                return Err(no_channel(&a.id, &db));
            };
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"channel": a.id, "token": token.reveal()})
                );
            } else {
                println!(
                    "new token for channel {}: {}   (shown once; the old one no longer works)",
                    a.id,
                    token.reveal()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_existing(args: &RelayDbArgs) -> anyhow::Result<(PathBuf, RelayStore)> {
    let db = relay_db(args)?;
    let store = open_relay(&db)?;
    Ok((db, store))
}

/// The relay's store, which must exist: a missing one is told as the relay's, not the laptop's.
fn open_relay(db: &Path) -> anyhow::Result<RelayStore> {
    RelayStore::open(db, OpenMode::Existing).map_err(|e| match e {
        StoreError::Missing { .. } => {
            anyhow::anyhow!(super::hint::with(e, Some(crate::hint::Hint::RelayDb)))
        }
        e => e.into(),
    })
}

fn no_channel(id: &str, db: &Path) -> anyhow::Error {
    usage(format!(
        "no channel '{id}' in '{}': 'hookscope relay channel list' shows the ids",
        db.display()
    ))
}
