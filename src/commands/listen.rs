//! `listen`: turn the flags into session settings, bind the port (its errors name the flags),
//! and run the session.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::ListenArgs;
use crate::config::{self, db_path, secrets_or_dev, usage};
use crate::intake::{EventFilter, ForwardConfig, IntakeConfig};
use crate::listener::ListenConfig;
use crate::session::{self, Output, Settings};

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
