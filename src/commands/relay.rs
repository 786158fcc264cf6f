//! `relay`: serve the relay, and `relay channel add|list|remove|rotate-token` on its log (the
//! SQLite file, or NATS JetStream with `--store nats://...`). Flags become a `RelayConfig`, a
//! `DeliveryLog` and the certificate source here; nothing below knows a flag's name. A token is
//! printed only by `add` and `rotate-token`, once.

use anyhow::Context;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::capture::now_ms;
use crate::cli::{ChannelCommand, RelayArgs, RelayCommand, RelayDbArgs, RelayServeArgs};
use crate::config::usage;
use crate::relay::acme::{self, AcmeConfig};
use crate::relay::admin::Admin;
use crate::relay::certs::{self, CertEvent, CertSlot, FileWatch, Trigger};
use crate::relay::jetstream::{JetStreamLog, JetStreamSettings};
use crate::relay::limit::Rate;
use crate::relay::log::{ChannelSpec, DeliveryLog, LogError};
use crate::relay::server::{self, RelayConfig, RelayParts};
use crate::relay::spec::StoreSpec;
use crate::relay::sqlite_log::SqliteLog;
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

/// Where the log is: the SQLite file, or the NATS servers.
enum Where {
    Sqlite(PathBuf),
    Nats(JetStreamSettings),
}

impl Where {
    fn of(
        args: &RelayDbArgs,
        retention: Duration,
        channel_max_bytes: usize,
    ) -> anyhow::Result<Where> {
        let spec = match &args.store {
            Some(text) => Some(StoreSpec::parse(text).map_err(|e| usage(format!("--store: {e}")))?),
            None => None,
        };
        match spec {
            Some(StoreSpec::Sqlite(p)) => Ok(Where::Sqlite(p)),
            Some(StoreSpec::Nats(servers)) => Ok(Where::Nats(JetStreamSettings {
                servers,
                creds: args.nats_creds.clone(),
                replicas: if args.replicas == "3" { 3 } else { 1 },
                retention,
                channel_max_bytes: i64::try_from(channel_max_bytes).unwrap_or(i64::MAX),
            })),
            None => Ok(Where::Sqlite(relay_db(args)?)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Where::Sqlite(db) => format!("'{}'", db.display()),
            Where::Nats(s) => format!(
                "NATS JetStream at {} ({} {})",
                s.servers.join(","),
                s.replicas,
                if s.replicas == 1 {
                    "replica"
                } else {
                    "replicas"
                }
            ),
        }
    }
}

/// Opens the JetStream log; its failures in the command line's words.
async fn open_nats(settings: &JetStreamSettings, serving: bool) -> anyhow::Result<JetStreamLog> {
    JetStreamLog::open(settings.clone(), serving)
        .await
        .map_err(|e| {
            let more = match &e {
                LogError::Nats(t) if t.contains("replicas") || t.contains("insufficient") => {
                    "; --replicas 3 needs a cluster of at least three NATS servers with JetStream"
                }
                _ => "",
            };
            match e {
                e @ LogError::Credentials { .. } => usage(format!("--nats-creds: {e}")),
                e => usage(format!("--store: {e}{more}")),
            }
        })
}

/// The refusal of a log that cannot keep the promise, with the flags that fix it.
fn not_durable(e: LogError) -> anyhow::Error {
    match e {
        e @ LogError::NotDurable { .. } => usage(format!(
            "refusing to start: {e}. (One replica: pass --nats-monitor http://HOST:PORT for every NATS server so the relay can read that setting; three: --replicas 3.)"
        )),
        e => usage(format!("--store: {e}")),
    }
}

fn serve(args: RelayServeArgs) -> anyhow::Result<ExitCode> {
    let host: IpAddr = args.host.parse().map_err(|_| {
        usage(format!(
            "--host '{}' is not an IP address; use 127.0.0.1 (default, behind a reverse proxy) or 0.0.0.0 (with --tls-cert)",
            args.host
        ))
    })?;
    let place = Where::of(&args.db, args.retention, args.channel_max_bytes)?;
    // What the relay keeps besides deliveries (the ACME state, the admin token's hash) lives
    // beside its database; with the log on NATS, beside where the database would be.
    let anchor = match &place {
        Where::Sqlite(db) => db.clone(),
        Where::Nats(_) => relay_db(&args.db)?,
    };
    let certs = Arc::new(CertSlot::default());
    let source = cert_source(&args, &anchor, &certs)?;
    let tls = match &source {
        CertSource::None => None,
        CertSource::Files(_) => Some(certs::server_config(certs.clone(), false)?),
        CertSource::Acme(_) => Some(certs::server_config(certs.clone(), true)?),
    };
    let (admin, admin_token) = admin_api(&args, &anchor)?;
    let trusted_proxies = args
        .trust_proxy
        .as_deref()
        .map(crate::relay::proxy_addr::TrustedProxies::parse)
        .transpose()
        .map_err(|e| usage(format!("--trust-proxy: {e}")))?;
    let mut cfg = RelayConfig {
        max_body: args.max_body,
        read_timeout: Duration::from_secs(args.read_timeout),
        heartbeat: Duration::from_millis(args.heartbeat_ms),
        retention: args.retention,
        ip_rate: Rate::per_second(args.ip_rate),
        channel_rate: Rate::per_second(args.channel_rate),
        max_connections: args.max_connections,
        certs: tls.is_some().then(|| certs.clone()),
        tls,
        admin,
        trusted_proxies,
        proxy_protocol: args.proxy_protocol,
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let socket = super::bind(host, args.port).await?;
        let local = socket.local_addr().context("cannot read the bound address")?;
        let url = match &source {
            // The name the certificate is for, not the address bound.
            CertSource::Acme(a) => match (a.domains.first(), local.port()) {
                (Some(d), 443) => format!("https://{d}"),
                (Some(d), port) => format!("https://{d}:{port}"),
                (None, _) => format!("https://{local}"),
            },
            CertSource::Files(_) => format!("https://{local}"),
            CertSource::None => format!("http://{local}"),
        };
        let (log, kept): (Arc<dyn DeliveryLog>, String) = match &place {
            Where::Sqlite(db) => {
                let store = RelayStore::open(db, OpenMode::Create)?;
                store.set_durability(args.durability)?;
                let (commit_tx, commits) = tokio::sync::watch::channel(0u64);
                let (writer, _writer_thread) = spawn_relay_writer(store, move || {
                    commit_tx.send_modify(|g| *g = g.wrapping_add(1));
                })
                .context("cannot start the relay's database writer thread")?;
                let durability = match args.durability {
                    Durability::Full => "full: fsync before every answer",
                    Durability::Normal => "normal: survives a crash of the relay, not of the machine",
                };
                (
                    Arc::new(SqliteLog::new(db.clone(), writer, commits)),
                    format!("database:  {} (durability {durability})", db.display()),
                )
            }
            Where::Nats(settings) => {
                let log = open_nats(settings, true).await?;
                log.check(&args.nats_monitor).await.map_err(not_durable)?;
                let fits = log.max_body();
                if cfg.max_body > fits {
                    eprintln!(
                        "note: --max-body lowered from {} to {}: the NATS servers take messages of at most {} (max_payload). Raise max_payload in their configuration (NATS advises at most 8 MiB) to take larger deliveries.",
                        crate::text::human_size(cfg.max_body as u64),
                        crate::text::human_size(fits as u64),
                        crate::text::human_size(log.max_payload() as u64),
                    );
                    cfg.max_body = fits;
                }
                let kept = format!(
                    "store:     {} (answered after the PubAck: {})",
                    place.describe(),
                    if settings.replicas == 1 {
                        "one server, fsync before every ack"
                    } else {
                        "a quorum of servers holds it"
                    }
                );
                (Arc::new(log), kept)
            }
        };
        if host.is_loopback() && matches!(source, CertSource::Acme(_)) {
            eprintln!(
                "note: the relay listens on {host} only, so the ACME CA can reach it only through something on this host that forwards port 443 to {local} (a TCP proxy); to be reached directly, pass --host 0.0.0.0 --port 443"
            );
        }
        if !host.is_loopback() && cfg.tls.is_none() {
            eprintln!(
                "warning: the relay listens on {host} without TLS. Read tokens and Dataspike deliveries (personal data) would cross the network in clear text. Pass --tls-cert and --tls-key, or bind 127.0.0.1 behind Caddy or nginx (see README)."
            );
        }
        // Before the listening line: SIGHUP reloads from the moment it is printed.
        let (cert_tx, cert_rx) = tokio::sync::mpsc::unbounded_channel();
        let cert_task = start_certificates(source, &certs, args.tls_poll_ms, host, args.acme_http_port, cert_tx).await?;
        if args.json {
            println!("{}", serde_json::json!({"event": "listening", "url": url}));
        } else {
            println!(
                "hookscope relay listening on {url}\n  {kept}\n  senders post to {url}/c/CHANNEL/...; 'hookscope relay channel add' creates one\n  Ctrl-C stops",
            );
        }
        if let Some(token) = &admin_token {
            if args.json {
                println!("{}", serde_json::json!({"event": "admin_token", "token": token.reveal()}));
            } else {
                println!(
                    "admin token {}   (shown once: the relay keeps only its hash in '{}')\n  on your laptop: read -rs HOOKSCOPE_RELAY_ADMIN_TOKEN && export HOOKSCOPE_RELAY_ADMIN_TOKEN\n                  hookscope channel add --relay {url}",
                    token.reveal(),
                    admin_hash_file(&args, &anchor).display()
                );
            }
        }
        // Printed after the listening line, which stays the first.
        let printer = tokio::spawn(print_cert_events(cert_rx, args.json));
        server::serve(socket, RelayParts { cfg, log }, crate::session::shutdown_signal()).await;
        for t in cert_task {
            t.abort();
        }
        printer.abort();
        // Every answered delivery was durable before its answer: nothing to flush.
        if !args.json {
            eprintln!("relay stopped; every acknowledged delivery is in {}", place.describe());
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The log the channel commands work on. `create`: an SQLite file may be made (by `add`).
async fn admin_log(
    args: &RelayDbArgs,
    create: bool,
) -> anyhow::Result<(Where, Arc<dyn DeliveryLog>)> {
    let place = Where::of(args, server::DEFAULT_RETENTION, 0)?;
    let log: Arc<dyn DeliveryLog> = match &place {
        Where::Sqlite(db) => {
            let store = if create {
                RelayStore::open(db, OpenMode::Create)?
            } else {
                open_relay(db)?
            };
            let (writer, _thread) = spawn_relay_writer(store, || {})
                .context("cannot start the relay's database writer thread")?;
            let (_tx, commits) = tokio::sync::watch::channel(0u64);
            Arc::new(SqliteLog::new(db.clone(), writer, commits))
        }
        Where::Nats(settings) => Arc::new(open_nats(settings, false).await?),
    };
    Ok((place, log))
}

fn channel(cmd: ChannelCommand) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(channel_async(cmd))
}

async fn channel_async(cmd: ChannelCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ChannelCommand::Add(a) => {
            let secrets: Vec<String> = a
                .secrets
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            crate::signature::parse_secrets(&secrets, "--secret").map_err(usage)?;
            let (_, log) = admin_log(&a.db, true).await?;
            let spec = ChannelSpec {
                label: a.label.clone(),
                secrets,
                reject_invalid: a.reject_invalid,
            };
            let new = log.add_channel(spec, now_ms()).await?;
            let (id, token) = (new.id, new.token);
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
            let (_, log) = admin_log(&a.db, false).await?;
            let channels = log.list_channels().await?;
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
            let (place, log) = admin_log(&a.db, false).await?;
            if !log.remove_channel(&a.id).await? {
                return Err(no_channel(&a.id, &place));
            }
            if a.json {
                println!("{}", serde_json::json!({"removed": a.id}));
            } else {
                println!("removed channel {} and every delivery it held", a.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        ChannelCommand::RotateToken(a) => {
            let (place, log) = admin_log(&a.db, false).await?;
            let Some(token) = log.rotate_token(&a.id).await? else {
                return Err(no_channel(&a.id, &place));
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

/// The relay's store, which must exist: a missing one is told as the relay's, not the laptop's.
fn open_relay(db: &Path) -> anyhow::Result<RelayStore> {
    RelayStore::open(db, OpenMode::Existing).map_err(|e| match e {
        StoreError::Missing { .. } => {
            anyhow::anyhow!(super::hint::with(e, Some(crate::hint::Hint::RelayDb)))
        }
        e => e.into(),
    })
}

fn no_channel(id: &str, place: &Where) -> anyhow::Error {
    usage(format!(
        "no channel '{id}' in {}: 'hookscope relay channel list' shows the ids",
        place.describe()
    ))
}

/// Where the relay's certificate comes from.
enum CertSource {
    /// Plain HTTP.
    None,
    /// `--tls-cert`/`--tls-key`, already loaded into the slot, watched for changes.
    Files(FileWatch),
    /// `--acme`.
    Acme(AcmeConfig),
}

/// Checks the TLS flags and loads a file pair (errors naming the flag at fault).
fn cert_source(
    args: &RelayServeArgs,
    db: &Path,
    slot: &Arc<CertSlot>,
) -> anyhow::Result<CertSource> {
    if let (Some(c), Some(k)) = (&args.tls_cert, &args.tls_key) {
        let watch = FileWatch::start(slot.clone(), c, k).map_err(|e| {
            // The error names the file; the flag that gave it is this layer's to say.
            let about_key = matches!(e, crate::tls::TlsError::Key { .. })
                || (e.path() == Some(k.as_path()) && c != k);
            let flag = if about_key { "--tls-key" } else { "--tls-cert" };
            usage(format!("{flag}: {e}"))
        })?;
        return Ok(CertSource::Files(watch));
    }
    if args.acme.is_empty() {
        return Ok(CertSource::None);
    }
    let mut domains = Vec::new();
    for d in &args.acme {
        let d = acme::check_domain(d).map_err(|e| usage(format!("--acme: {e}")))?;
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let email = args.acme_email.clone().unwrap_or_default();
    let email = email.trim();
    if !email.contains('@') || email.contains(char::is_whitespace) || email.contains(',') {
        return Err(usage(format!(
            "--acme-email '{email}' is not an email address; the CA sends expiry warnings there"
        )));
    }
    let directory = args
        .acme_directory
        .clone()
        .unwrap_or_else(|| acme::LETS_ENCRYPT.to_string());
    match directory.parse::<http::Uri>() {
        Ok(u) if u.scheme_str() == Some("https") && u.host().is_some() => {}
        _ => {
            return Err(usage(format!(
            "--acme-directory '{directory}' must be an https:// URL of an ACME directory, like {}",
            acme::LETS_ENCRYPT
        )))
        }
    }
    let tls = crate::tls::client_config(args.acme_ca_cert.as_deref())
        .map_err(|e| usage(format!("--acme-ca-cert: {e}")))?;
    let state_dir =
        given_state_dir(args).unwrap_or_else(|| db.parent().unwrap_or(Path::new(".")).join("acme"));
    let egress = crate::egress::Egress::from_env().map_err(usage)?;
    Ok(CertSource::Acme(AcmeConfig {
        domains,
        email: email.to_string(),
        directory,
        tls,
        egress,
        state_dir,
        renew_after: args.acme_renew_after,
        retry_first: Duration::from_secs(args.acme_retry_s.max(1)),
        challenge: args.acme_challenge.into(),
    }))
}

/// Starts what keeps the certificate current: the file watch, or the ACME task (and port 80
/// for HTTP-01 when it can be bound). Returns the tasks to stop at shutdown.
async fn start_certificates(
    source: CertSource,
    slot: &Arc<CertSlot>,
    poll_ms: u64,
    host: IpAddr,
    http_port: u16,
    events: tokio::sync::mpsc::UnboundedSender<CertEvent>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    Ok(match source {
        CertSource::None => Vec::new(),
        CertSource::Files(watch) => {
            vec![watch.spawn(Duration::from_millis(poll_ms), events)]
        }
        CertSource::Acme(cfg) => {
            let mut tasks = Vec::new();
            let mut http01 = None;
            if http_port != 0 {
                match tokio::net::TcpListener::bind((host, http_port)).await {
                    Ok(l) => {
                        let answers = acme::Http01::default();
                        tasks.push(tokio::spawn(acme::serve_http01(l, answers.clone())));
                        http01 = Some(answers);
                    }
                    Err(e) if cfg.challenge == acme::Challenge::Http01 => {
                        return Err(usage(format!(
                            "--acme-challenge http-01 answers on port {http_port}, which cannot be bound ({e}): free it, give the relay CAP_NET_BIND_SERVICE, or use tls-alpn-01"
                        )))
                    }
                    Err(e) => eprintln!(
                        "note: HTTP-01 is off: cannot bind port {http_port} ({e}); the TLS-ALPN-01 challenge on the relay's own port is used"
                    ),
                }
            } else if cfg.challenge == acme::Challenge::Http01 {
                return Err(usage("--acme-challenge http-01 needs a port to answer on"));
            }
            tasks.push(tokio::spawn(acme::run(cfg, slot.clone(), http01, events)));
            tasks
        }
    })
}

/// Says what the certificate machinery did: NDJSON `{"event":"certificate",...}` on stdout
/// with `--json`, else a line on stderr.
async fn print_cert_events(mut rx: tokio::sync::mpsc::UnboundedReceiver<CertEvent>, json: bool) {
    while let Some(ev) = rx.recv().await {
        if json {
            println!("{}", cert_event_json(&ev));
        } else {
            eprintln!("{}", cert_event_text(&ev));
        }
    }
}

fn cert_event_json(ev: &CertEvent) -> serde_json::Value {
    use serde_json::json;
    let validity = |v: &certs::Validity| json!({"not_after": v.not_after_text(), "not_after_unix": v.not_after_s});
    match ev {
        CertEvent::Reloaded {
            validity: v,
            trigger,
        } => {
            json!({"event": "certificate", "state": "reloaded", "certificate": validity(v), "trigger": match trigger { Trigger::Signal => "sighup", Trigger::Changed => "files_changed" }})
        }
        CertEvent::KeptOld { reason } => {
            json!({"event": "certificate", "state": "kept_old", "reason": reason})
        }
        CertEvent::Obtaining { domains } => {
            json!({"event": "certificate", "state": "obtaining", "domains": domains})
        }
        CertEvent::Obtained { validity: v } => {
            json!({"event": "certificate", "state": "obtained", "certificate": validity(v)})
        }
        CertEvent::Reused {
            validity: v,
            renew_at_s,
        } => {
            json!({"event": "certificate", "state": "reused", "certificate": validity(v), "renew_at": certs::utc_text(*renew_at_s)})
        }
        CertEvent::Renewing { validity: v } => {
            json!({"event": "certificate", "state": "renewing", "certificate": validity(v)})
        }
        CertEvent::Failed {
            reason,
            check,
            retry_in,
            still_serving,
        } => {
            json!({"event": "certificate", "state": "failed", "reason": reason, "check": check, "retry_in_s": retry_in.as_secs_f64(), "still_serving": still_serving})
        }
    }
}

fn cert_event_text(ev: &CertEvent) -> String {
    match ev {
        CertEvent::Reloaded { validity, trigger } => format!(
            "certificate reloaded ({}): expires {}",
            match trigger {
                Trigger::Signal => "SIGHUP",
                Trigger::Changed => "the files changed",
            },
            validity.not_after_text()
        ),
        CertEvent::KeptOld { reason } => format!(
            "warning: the new certificate files cannot be used, the old certificate still serves: {reason}"
        ),
        CertEvent::Obtaining { domains } => {
            format!("certificate: obtaining one for {} over ACME", domains.join(", "))
        }
        CertEvent::Obtained { validity } => format!(
            "certificate: obtained, expires {}",
            validity.not_after_text()
        ),
        CertEvent::Reused { validity, renew_at_s } => format!(
            "certificate: using the stored one (expires {}, renewed from {})",
            validity.not_after_text(),
            certs::utc_text(*renew_at_s)
        ),
        CertEvent::Renewing { validity } => format!(
            "certificate: renewing (the current one expires {} and serves meanwhile)",
            validity.not_after_text()
        ),
        CertEvent::Failed { reason, check, retry_in, still_serving } => format!(
            "warning: certificate {} failed: {reason}. Check {check}. Trying again in {}{}",
            if *still_serving { "renewal" } else { "order" },
            humantime::format_duration(Duration::from_secs(retry_in.as_secs().max(1))),
            if *still_serving { "; the current certificate still serves" } else { "; HTTPS is not served until then" }
        ),
    }
}

/// Where a generated admin token's hash is kept: beside the database.
/// `--state-dir` (or systemd's `$STATE_DIRECTORY`), when given.
fn given_state_dir(args: &RelayServeArgs) -> Option<PathBuf> {
    // systemd may give several folders, colon-separated: the first is ours.
    let d = args.state_dir.as_ref()?;
    Some(PathBuf::from(
        d.to_string_lossy().split(':').next().unwrap_or_default(),
    ))
}

/// Where a generated admin token's hash is kept: in the state folder when one is given, else
/// beside the relay's database (or where it would be, with the log on NATS).
fn admin_hash_file(args: &RelayServeArgs, db: &Path) -> PathBuf {
    if let Some(dir) = given_state_dir(args) {
        return dir.join("admin-token.sha256");
    }
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".admin-token.sha256");
    db.with_file_name(name)
}

/// The remote channel API: off, from `--admin-token-file`, or generated (`--admin-api`; the new
/// token to show once).
fn admin_api(
    args: &RelayServeArgs,
    db: &Path,
) -> anyhow::Result<(Option<Arc<Admin>>, Option<crate::relay::channel::Token>)> {
    if let Some(f) = &args.admin_token_file {
        let a = Admin::from_file(f).map_err(|e| usage(format!("--admin-token-file: {e}")))?;
        return Ok((Some(Arc::new(a)), None));
    }
    if !args.admin_api {
        return Ok((None, None));
    }
    let (a, token) = Admin::generated(&admin_hash_file(args, db))?;
    Ok((Some(Arc::new(a)), token))
}
