//! `listen`: merge the flags over `hookscope.toml` (the flags win, setting by setting), turn
//! them into session settings, bind the port (its errors name the flags), and run the session.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{ListenArgs, DEFAULT_PORT};
use crate::config::{self, db_path, secrets_or_dev, usage};
use crate::config_file::{Listen, RespondItem};
use crate::forward::FORWARD_TIMEOUT;
use crate::intake::{EventFilter, ForwardConfig, IntakeConfig, Respond};
use crate::listener::{Limits, ListenConfig, DEFAULT_HOST, DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT};
use crate::relay::client::{consumer_name, ClientConfig, ReadToken, RelayUrl};
use crate::routes::{Route, RouteTable, Rule};
use crate::session::{self, Output, Settings};
use crate::signature::DEFAULT_TOLERANCE;

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
    proxy: Option<&str>,
    db: &std::path::Path,
) -> anyhow::Result<Option<ClientConfig>> {
    let Some(url) = &args.relay else {
        return Ok(None);
    };
    let url = RelayUrl::parse(url).map_err(|e| usage(format!("--relay: {e}")))?;
    // A token given wins; else the one 'channel add --relay' kept in the secret store.
    let kept = match &args.relay_token {
        Some(_) => None,
        None => super::channel::kept_token(&url.base, &url.channel),
    };
    let token = args.relay_token.as_deref().or(kept.as_deref()).ok_or_else(|| {
        usage("--relay needs the channel's read token: pass --relay-token TOKEN or set HOOKSCOPE_RELAY_TOKEN ('hookscope relay channel add' printed it), or make the channel with 'hookscope channel add --relay URL', which keeps its token here")
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
        egress: config::egress(proxy)?,
        backoff_initial: backoff,
        backoff_max: RELAY_BACKOFF_MAX.max(backoff),
        max_body: RELAY_MAX_BODY,
    }))
}

/// `listen --relay URL --register`: the webhook registered for the relay channel's public URL
/// in the sandbox (made now, or the one made before: never one per run), its secrets added to
/// what the session verifies with (instead of the local development secret), and the line the
/// header and the intro show.
fn register(
    args: &ListenArgs,
    file: Option<&(std::path::PathBuf, crate::config_file::FileConfig)>,
    ca_cert: Option<&std::path::Path>,
    secrets: config::Secrets,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<(config::Secrets, Option<String>)> {
    use crate::dataspike::api::CreateWebhook;
    let Some(relay) = &args.relay.relay else {
        return Ok((secrets, None));
    };
    let url = RelayUrl::parse(relay)
        .map_err(|e| usage(format!("--relay: {e}")))?
        .ingest();
    crate::dataspike::api::check_webhook_url(&url).map_err(|e| {
        usage(format!(
            "--register: the relay channel's URL cannot be a Dataspike webhook: {e}"
        ))
    })?;
    let events = config::dataspike_events("--register-events", &args.relay.register_events)?;
    let api_url = args
        .relay
        .dataspike_api_url
        .clone()
        .or_else(|| file.and_then(|(_, f)| f.dataspike.api_url.clone()));
    let client = config::dataspike_client_for(
        api_url.as_deref(),
        false,
        file,
        Duration::from_secs(30),
        ca_cert,
        args.proxy.as_deref(),
    )?;
    let store = config::secret_store()?;
    let req = CreateWebhook {
        url,
        events,
        enabled: true,
        is_sandbox: true,
    };
    let now = crate::capture::now_ms();
    let done = rt
        .block_on(crate::ops::dataspike::ensure_registered(
            &client, &store, &req, now,
        ))
        .map_err(super::dataspike::failure)?;
    let w = &done.webhook;
    let line = format!(
        "{} → this relay channel",
        super::dataspike::webhook_name(&w.environment, &crate::signature::short_id(&w.id))
    );
    eprintln!(
        "{} {} (its secret {}, not shown)",
        if done.reused { "reusing" } else { "registered" },
        super::dataspike::webhook_name(&w.environment, &w.id),
        if done.reused {
            "loaded from the store"
        } else {
            "stored"
        }
    );
    // Its secrets join the given or stored ones; the local development secret gives way.
    let mut list = match secrets.dev_secret {
        Some(_) => Vec::new(),
        None => secrets.list,
    };
    for s in config::stored_webhook_secrets(std::slice::from_ref(w)) {
        if !list.contains(&s) {
            list.push(s);
        }
    }
    Ok((
        config::Secrets {
            list,
            dev_secret: None,
        },
        Some(line),
    ))
}

/// The flags as file-shaped settings, so [`Listen::over`] can let them win.
fn flags(args: &ListenArgs) -> anyhow::Result<Listen> {
    let (mut respond, mut chosen) = (None, None);
    for item in &args.respond {
        match *item {
            RespondItem::Mode(m) if respond.is_none() => respond = Some(m),
            RespondItem::Chosen(c) if chosen.is_none() => chosen = Some(c),
            _ => {
                return Err(usage(
                    "--respond is given two of a kind: pass at most one of app/ack and one status, e.g. --respond ack --respond 503,times=2",
                ))
            }
        }
    }
    Ok(Listen {
        host: args.host,
        port: args.port,
        db: args.db.db.clone(),
        tolerance: args.tolerance.map(Duration::from_secs),
        max_body: args.max_body,
        read_timeout: args.read_timeout.map(Duration::from_secs),
        forward_timeout: args.forward_timeout.map(Duration::from_secs),
        respond,
        chosen,
        ca_cert: args.ca_cert.clone(),
    })
}

pub fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let file = config::config_file(args.config.path.as_deref())?;
    let (set, file_secrets, file_routes) = match &file {
        Some((path, f)) => {
            let mut from_file = f.listen.clone();
            // Paths in the file are relative to the file.
            from_file.db = from_file.db.map(|d| config::beside_path(path, &d));
            from_file.ca_cert = from_file.ca_cert.map(|d| config::beside_path(path, &d));
            (
                flags(&args)?.over(from_file),
                Some((path.as_path(), f.secrets.as_slice())),
                f.routes.clone(),
            )
        }
        None => (flags(&args)?, None, RouteTable::default()),
    };
    // `--secret`/`HOOKSCOPE_SECRET` replace the file's secrets; with neither, the local
    // development secret.
    let secrets = match (args.secrets.secrets.is_empty(), file_secrets) {
        (true, Some((path, entries))) if !entries.is_empty() => config::Secrets {
            list: config::with_stored(config::file_secrets(path, entries)?),
            dev_secret: None,
        },
        _ => secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?,
    };
    let rt = super::runtime()?;
    // `--register`: the relay channel's URL as a sandbox webhook, made once, its secret loaded.
    let (secrets, registered) = match args.relay.register {
        true => register(&args, file.as_ref(), set.ca_cert.as_deref(), secrets, &rt)?,
        false => (secrets, None),
    };
    let forwarder = config::forwarder(
        set.forward_timeout.unwrap_or(FORWARD_TIMEOUT),
        set.ca_cert.as_deref(),
        args.proxy.as_deref(),
    );
    // `--forward-to` is one catch-all route and replaces the file's routes.
    let mut routes = match &args.forward_to {
        Some(url) => RouteTable::new(vec![Route {
            name: "/".into(),
            rule: Rule::catch_all(EventFilter::only(args.events.iter().cloned())),
            target: config::target("--forward-to", url)?,
            strip_prefix: false,
            headers: Vec::new(),
            respond: None,
            with: (),
        }]),
        None => file_routes,
    };
    routes.add_headers(&args.forward_headers);
    let forward = if routes.is_empty() {
        None
    } else {
        let forwarder = forwarder?;
        Some(ForwardConfig {
            routes: routes.map(|_| forwarder.clone()),
            respond: set.respond.unwrap_or(Respond::App),
            concurrency: args.forward_concurrency,
        })
    };
    let host = set.host.unwrap_or(DEFAULT_HOST);
    let port = set.port.unwrap_or(DEFAULT_PORT);
    let db = db_path(set.db.as_deref())?;
    let listen = ListenConfig {
        limits: Limits {
            max_body: set.max_body.unwrap_or(DEFAULT_MAX_BODY),
            read_timeout: set
                .read_timeout
                .unwrap_or(DEFAULT_READ_TIMEOUT)
                .max(Duration::from_secs(1)),
        },
        intake: IntakeConfig {
            secrets: secrets.list,
            tolerance_s: set.tolerance.unwrap_or(DEFAULT_TOLERANCE).as_secs(),
            forward,
            chosen: set.chosen,
        },
    };
    let output = if args.draws_tui() {
        Output::Tui
    } else {
        Output::Headless { json: args.json }
    };
    let relay = relay_client(
        &args.relay,
        set.ca_cert.as_deref(),
        args.proxy.as_deref(),
        &db,
    )?;
    let retention = args
        .retention
        .as_deref()
        .map(|t| config::duration("--retention", t))
        .transpose()?;
    let redact = config::copy_redaction(args.config.path.as_deref(), args.redact)?;
    let settings = Settings {
        db,
        retention,
        dev_secret: secrets.dev_secret,
        registered,
        durability: args.durability,
        listen,
        output,
        relay,
        words: super::hint::words,
        redact,
    };
    rt.block_on(async move {
        let socket = super::bind(host, port).await?;
        session::run(socket, settings).await?;
        Ok(ExitCode::SUCCESS)
    })
}
