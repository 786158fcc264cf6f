//! `listen`: turn the flags into session settings, bind the port (its errors name the flags),
//! and run the session.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::ListenArgs;
use crate::config::{self, db_path, secrets_or_dev, usage};
use crate::intake::{EventFilter, ForwardConfig, IntakeConfig};
use crate::listener::ListenConfig;
use crate::relay::client::{consumer_name, ClientConfig, ReadToken, RelayUrl};
use crate::session::{self, Output, Settings};

/// Largest body the relay client accepts in one event, whatever the local --max-body: the
/// relay decided what to accept, and refusing it here would stall the stream for good.
const RELAY_MAX_BODY: usize = 256 * 1024 * 1024;
/// First reconnect delay, doubling up to [`RELAY_BACKOFF_MAX`]; `HOOKSCOPE_RELAY_BACKOFF_MS`
/// overrides it (tests).
const RELAY_BACKOFF: Duration = Duration::from_millis(500);
const RELAY_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// `--relay`, `--relay-token`, `--ca-cert` as a relay client's settings.
fn relay_client(
    args: &crate::cli::RelayClientArgs,
    ca_cert: Option<&std::path::Path>,
    db: &std::path::Path,
) -> anyhow::Result<Option<ClientConfig>> {
    let Some(url) = &args.relay else {
        return Ok(None);
    };
    let url = RelayUrl::parse(url).map_err(|e| usage(format!("--relay: {e}")))?;
    let token = args.relay_token.as_deref().ok_or_else(|| {
        usage("--relay needs the channel's read token: pass --relay-token TOKEN or set HOOKSCOPE_RELAY_TOKEN ('hookscope relay channel add' printed it)")
    })?;
    let token = ReadToken::new(token).map_err(|e| usage(format!("--relay-token: {e}")))?;
    let tls = crate::tls::client_config(ca_cert).map_err(|e| usage(format!("--ca-cert: {e}")))?;
    let backoff = std::env::var("HOOKSCOPE_RELAY_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(RELAY_BACKOFF);
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    Ok(Some(ClientConfig {
        url,
        token,
        consumer: consumer_name(db, host.trim()),
        tls,
        backoff_initial: backoff,
        backoff_max: RELAY_BACKOFF_MAX.max(backoff),
        max_body: RELAY_MAX_BODY,
    }))
}

pub fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    let forward = match &args.forward_to {
        Some(url) => Some(ForwardConfig {
            target: config::target("--forward-to", url)?,
            respond: args.respond,
            concurrency: args.forward_concurrency,
            events: EventFilter::only(args.events.iter().cloned()),
            forwarder: config::forwarder(
                Duration::from_secs(args.forward_timeout),
                args.ca_cert.as_deref(),
            )?,
        }),
        None => None,
    };
    let host: IpAddr = args.host.parse().map_err(|_| {
        usage(format!(
            "--host '{}' is not an IP address; use 127.0.0.1 (default), ::1 or 0.0.0.0",
            args.host
        ))
    })?;
    let db = db_path(args.db.db.as_deref())?;
    let listen = ListenConfig {
        max_body: args.max_body,
        read_timeout: Duration::from_secs(args.read_timeout),
        intake: IntakeConfig {
            secrets: secrets.list,
            tolerance_s: args.tolerance.tolerance,
            forward,
        },
    };
    let output = if args.draws_tui() {
        Output::Tui
    } else {
        Output::Headless { json: args.json }
    };
    let relay = relay_client(&args.relay, args.ca_cert.as_deref(), &db)?;
    let retention = args
        .retention
        .as_deref()
        .map(|t| config::duration("--retention", t))
        .transpose()?;
    let settings = Settings {
        db,
        retention,
        dev_secret: secrets.dev_secret,
        durability: args.durability,
        listen,
        output,
        relay,
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let addr = SocketAddr::new(host, args.port);
        let socket = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                usage(format!(
                    "port {} on {host} is already in use: stop the program using it, or pass --port with another port (--port 0 picks a free one)",
                    args.port
                ))
            } else {
                usage(format!("cannot listen on {addr}: {e}"))
            }
        })?;
        session::run(socket, settings).await?;
        Ok(ExitCode::SUCCESS)
    })
}
