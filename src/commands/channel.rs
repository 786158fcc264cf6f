//! `channel add|list|remove|rotate-token --relay URL`: a remote relay's channels through its
//! remote channel API (`relay::remote`). A channel's read token goes into this machine's secret
//! store (kind `relay-channel`, scope the relay's URL, id the channel), where `listen --relay`
//! finds it; it is printed only when asked for (`add --show-token`).

use std::process::ExitCode;

use crate::capture::now_ms;
use crate::cli::{RemoteArgs, RemoteChannelCommand};
use crate::config::usage;
use crate::relay::remote::{AdminToken, Issued, RelayBase, Remote, RemoteError};
use crate::secret_store::{Entry, SecretStore, SecretText};

/// The secret store's kind for a relay channel's read token.
pub(crate) const RELAY_CHANNEL_KIND: &str = "relay-channel";

pub(crate) fn run(cmd: RemoteChannelCommand) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    match cmd {
        RemoteChannelCommand::Add(a) => {
            let (base, remote) = connect(&a.remote)?;
            let label = a.label.as_deref().map(str::trim).filter(|l| !l.is_empty());
            let issued = rt.block_on(remote.add(label)).map_err(refused)?;
            let stored = keep_token(&base, &issued);
            let url = base.channel_url(&issued.channel);
            if a.remote.json {
                let mut v = serde_json::json!({
                    "channel": issued.channel, "url": url, "label": issued.label,
                    "token_stored": stored.as_ref().ok().map(|s| s.path().display().to_string()),
                });
                if a.show_token {
                    v["token"] = issued.token.clone().into();
                }
                println!("{v}");
            } else {
                println!(
                    "channel  {}\nwebhook  {url}/...   (paste into Dataspike; any path may follow)",
                    issued.channel
                );
                if a.show_token {
                    println!("token    {}   (shown once)", issued.token);
                }
                if let Ok(store) = &stored {
                    println!(
                        "\nits read token is kept in '{}'; receive with:\n  hookscope listen --relay {url} --secret whsec_...",
                        store.path().display()
                    );
                }
            }
            if let Err(e) = stored {
                eprintln!("warning: the channel was made but its read token could not be kept here: {e}. Run 'hookscope channel rotate-token {} --relay {}' to get a new one.", issued.channel, base.as_str());
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        RemoteChannelCommand::List(a) => {
            let (base, remote) = connect(&a)?;
            let channels = rt.block_on(remote.list()).map_err(refused)?;
            let here = SecretStore::default_location()
                .and_then(|s| s.list(Some(RELAY_CHANNEL_KIND), now_ms()))
                .unwrap_or_default();
            let kept = |id: &str| here.iter().any(|e| e.scope == base.as_str() && e.id == id);
            for c in &channels {
                let id = c["channel"].as_str().unwrap_or_default();
                if a.json {
                    let mut c = c.clone();
                    c["token_here"] = kept(id).into();
                    println!("{c}");
                } else {
                    let consumers = c["consumers"]
                        .as_array()
                        .map(|v| {
                            v.iter()
                                .map(|s| {
                                    format!(
                                        "{}@{}",
                                        s["consumer"].as_str().unwrap_or("?"),
                                        s["acked"]
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default();
                    println!(
                        "{id}  {:<12}  last #{}  holds {} ({} bytes)  token here: {}  subscribers: {}",
                        c["label"].as_str().unwrap_or("-"),
                        c["last_seq"],
                        c["stored"],
                        c["stored_bytes"],
                        if kept(id) { "yes" } else { "no" },
                        if consumers.is_empty() { "none yet".into() } else { consumers }
                    );
                }
            }
            if channels.is_empty() && !a.json {
                eprintln!(
                    "no channels yet: 'hookscope channel add --relay {}' makes one",
                    base.as_str()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RemoteChannelCommand::Remove(a) => {
            let (base, remote) = connect(&a.remote)?;
            rt.block_on(remote.remove(&a.id)).map_err(refused)?;
            if let Ok(store) = SecretStore::default_location() {
                if let Err(e) = store.remove(RELAY_CHANNEL_KIND, base.as_str(), &a.id, now_ms()) {
                    eprintln!("warning: the channel was removed, but its read token is still in the secret store: {e}");
                }
            }
            if a.remote.json {
                println!("{}", serde_json::json!({"removed": a.id}));
            } else {
                println!("removed channel {} and every delivery it held", a.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        RemoteChannelCommand::RotateToken(a) => {
            let (base, remote) = connect(&a.remote)?;
            let issued = rt.block_on(remote.rotate(&a.id)).map_err(refused)?;
            let stored = keep_token(&base, &issued);
            if a.remote.json {
                println!(
                    "{}",
                    serde_json::json!({"channel": a.id, "token_stored": stored.is_ok()})
                );
            } else if stored.is_ok() {
                println!("new read token for channel {} kept here; the old one no longer works (another machine reading it needs the new one: 'hookscope channel rotate-token' there, or --relay-token)", a.id);
            }
            if let Err(e) = stored {
                eprintln!("warning: the token was replaced but the new one could not be kept here: {e}; the old one no longer works, so rotate again once the secret store is writable");
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The relay's URL and a client for its admin API; a missing token or a bad URL is a usage error.
fn connect(a: &RemoteArgs) -> anyhow::Result<(RelayBase, Remote)> {
    let base = RelayBase::parse(&a.relay).map_err(|e| usage(format!("--relay: {e}")))?;
    let token = a.admin_token.as_deref().ok_or_else(|| {
        usage("the relay's admin token is needed: set HOOKSCOPE_RELAY_ADMIN_TOKEN (read -rs HOOKSCOPE_RELAY_ADMIN_TOKEN && export HOOKSCOPE_RELAY_ADMIN_TOKEN) or pass --admin-token")
    })?;
    let token = AdminToken::new(token).map_err(|e| usage(format!("--admin-token: {e}")))?;
    let tls = crate::tls::client_config(a.ca_cert.as_deref())
        .map_err(|e| usage(format!("--ca-cert: {e}")))?;
    let egress = crate::config::egress(None)?;
    let remote = Remote::new(base.clone(), token, &tls, &egress);
    Ok((base, remote))
}

fn refused(e: RemoteError) -> anyhow::Error {
    let hint = e.hint();
    anyhow::anyhow!(super::hint::with(e, hint))
}

/// Keeps a channel's read token in the secret store.
fn keep_token(base: &RelayBase, issued: &Issued) -> anyhow::Result<SecretStore> {
    let store = SecretStore::default_location()?;
    let mut entry = Entry::new(
        RELAY_CHANNEL_KIND,
        base.as_str(),
        &issued.channel,
        SecretText::new(issued.token.clone()),
        now_ms(),
    );
    if let Some(l) = &issued.label {
        entry.meta.insert("label".into(), l.clone().into());
    }
    store.put(entry, now_ms())?;
    Ok(store)
}

/// The read token kept for this channel, when `channel add` made it here.
pub(crate) fn kept_token(base: &str, channel: &str) -> Option<String> {
    let store = SecretStore::default_location().ok()?;
    let entry = store
        .get(RELAY_CHANNEL_KIND, base, channel, now_ms())
        .ok()??;
    Some(entry.secret.expose().to_string())
}
