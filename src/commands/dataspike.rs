//! `dataspike`: the account commands (`register`, `rotate`, `webhooks`, `history`), each flags
//! → settings (through `config`) → `ops::dataspike` → lines or JSON; and `snippet LANG`, a
//! verifier to paste. The token is read by `config::dataspike_token` and never printed; a
//! secret is printed only with `--print-secret`.

use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

use crate::capture::{now_ms, rfc3339_ms};
use crate::cli::{DataspikeCommand, HistoryArgs, RegisterArgs, RotateArgs, WebhooksArgs};
use crate::config::{self, usage};
use crate::dataspike::api::{Client, CreateWebhook};
use crate::dataspike::snippet::Lang;
use crate::ops::dataspike::{self as ops, Failure, HistoryQuery};
use crate::secret_store::dataspike::Webhook;
use crate::store::{OpenMode, Store};
use crate::text::count;

pub fn run(cmd: DataspikeCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DataspikeCommand::Snippet(args) => {
            let lang: Lang = args.lang.into();
            std::io::stdout().write_all(lang.source().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        DataspikeCommand::Register(args) => register(args),
        DataspikeCommand::Rotate(args) => rotate(args),
        DataspikeCommand::Webhooks(args) => webhooks(args),
        DataspikeCommand::History(args) => history(args),
    }
}

/// A use case's failure for `main`: a URL or a missing webhook id is a usage error (exit 2);
/// the API's own errors keep their type (exit 4 or 5, `main` reads it).
pub(crate) fn failure(f: Failure) -> anyhow::Error {
    match f {
        Failure::Unreachable(msg) => usage(format!("--url: {msg}")),
        Failure::WhichWebhook(msg) => usage(msg),
        Failure::Api(e) => anyhow::Error::new(e),
        other => anyhow::Error::new(other),
    }
}

/// "Dataspike sandbox webhook 01927ed4-…": how a webhook is named in lines.
pub(crate) fn webhook_name(environment: &str, id: &str) -> String {
    format!("Dataspike {environment} webhook {id}")
}

/// Said first by every command that changes something in production.
fn production_first(client: &Client, what: &str) {
    if !client.target().is_sandbox {
        eprintln!(
            "PRODUCTION: {what} in your production Dataspike account ({})",
            client.target().base
        );
    }
}

/// Members of an answer hookscope does not know: said, never guessed at.
fn say_not_understood(members: &[String]) {
    if !members.is_empty() {
        eprintln!(
            "note: Dataspike's answer also had {}, which hookscope does not understand; it kept nothing of {}",
            members
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", "),
            if members.len() == 1 { "it" } else { "them" }
        );
    }
}

fn register(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    // The URL first: a URL Dataspike cannot reach is refused before the token is even read.
    crate::dataspike::api::check_webhook_url(&args.url)
        .map_err(|e| usage(format!("--url: {e}")))?;
    let events = config::dataspike_events("--events", &args.events)?;
    let client = config::dataspike_client(&args.api)?;
    let secrets = config::secret_store()?;
    production_first(&client, "registering a webhook");
    let req = CreateWebhook {
        url: args.url.trim().to_string(),
        events,
        enabled: !args.disabled,
        is_sandbox: client.target().is_sandbox,
    };
    let rt = super::runtime()?;
    let done = rt
        .block_on(ops::register(&client, &secrets, &req, now_ms()))
        .map_err(failure)?;
    say_not_understood(&done.not_understood);
    let w = &done.webhook;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = webhook_json(w, now_ms());
        v["secret_stored"] = true.into();
        v["secret_store"] = secrets.path().display().to_string().into();
        if args.print_secret {
            v["secret"] = w.secret.expose().into();
        }
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "registered {}", webhook_name(&w.environment, &w.id))?;
        writeln!(out, "  url:     {}", w.url)?;
        writeln!(out, "  events:  {}", w.events.join(", "))?;
        writeln!(
            out,
            "  enabled: {}",
            if w.enabled {
                "yes"
            } else {
                "no (enable it in the dashboard)"
            }
        )?;
        if args.print_secret {
            writeln!(
                out,
                "  secret:  {}  (shown this once, for your app's config; also stored)",
                w.secret.expose()
            )?;
        } else {
            writeln!(
                out,
                "  secret:  stored, not shown (in '{}'; listen, tui, replay, send, check and verify use it; --print-secret shows it)",
                secrets.path().display()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn rotate(args: RotateArgs) -> anyhow::Result<ExitCode> {
    let client = config::dataspike_client(&args.api)?;
    let secrets = config::secret_store()?;
    let now = now_ms();
    let id = match &args.id {
        Some(id) => id.trim().to_string(),
        None => ops::only_webhook(&secrets, &client.target().base, now).map_err(|f| match f {
            Failure::WhichWebhook(m) => {
                usage(format!("{m} (hookscope dataspike rotate WEBHOOK_ID)"))
            }
            other => failure(other),
        })?,
    };
    production_first(&client, "rotating a webhook's signing secret");
    let rt = super::runtime()?;
    let done = rt
        .block_on(ops::rotate(&client, &secrets, &id, args.keep_old, now))
        .map_err(failure)?;
    say_not_understood(&done.not_understood);
    let w = &done.webhook;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = webhook_json(w, now);
        v["secret_stored"] = true.into();
        if args.print_secret {
            v["secret"] = w.secret.expose().into();
        }
        writeln!(out, "{v}")?;
    } else {
        writeln!(
            out,
            "rotated the signing secret of {}",
            webhook_name(&w.environment, &w.id)
        )?;
        if args.print_secret {
            writeln!(
                out,
                "  new secret: {}  (shown this once; also stored)",
                w.secret.expose()
            )?;
        } else {
            writeln!(
                out,
                "  new secret: stored, not shown; current from now on (Dataspike switched at once)"
            )?;
        }
        match &w.previous {
            Some(p) => writeln!(
                out,
                "  old secret: still verifies until {} ({} from now), then deleted from the store",
                rfc3339_ms(p.expires_ms),
                humantime::format_duration(args.keep_old)
            )?,
            None if done.known_before => {
                writeln!(out, "  old secret: deleted from the store (--keep-old 0)")?
            }
            None => writeln!(
                out,
                "  old secret: hookscope never had it (the webhook was made elsewhere); deliveries signed before the switch will not verify"
            )?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A stored webhook as JSON: never its secrets.
fn webhook_json(w: &Webhook, now: i64) -> serde_json::Value {
    json!({
        "id": w.id,
        "environment": w.environment,
        "api": w.api,
        "url": w.url,
        "events": w.events,
        "enabled": w.enabled,
        "created_at": rfc3339_ms(w.created_ms),
        "rotated_at": w.rotated_ms.map(rfc3339_ms),
        "previous_secret_until": w.previous.as_ref().filter(|p| p.expires_ms > now).map(|p| rfc3339_ms(p.expires_ms)),
    })
}

fn webhooks(args: WebhooksArgs) -> anyhow::Result<ExitCode> {
    let secrets = config::secret_store()?;
    let now = now_ms();
    let list = ops::webhooks(&secrets, None, now).map_err(failure)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for w in &list {
            writeln!(out, "{}", webhook_json(w, now))?;
        }
    } else if list.is_empty() {
        writeln!(
            out,
            "no webhooks stored in '{}': 'hookscope dataspike register --url URL' makes one",
            secrets.path().display()
        )?;
    } else {
        for w in &list {
            writeln!(out, "{}  {}", w.id, w.environment)?;
            writeln!(
                out,
                "  url:      {}",
                if w.url.is_empty() {
                    "(not registered by hookscope)"
                } else {
                    &w.url
                }
            )?;
            if !w.events.is_empty() {
                writeln!(out, "  events:   {}", w.events.join(", "))?;
            }
            writeln!(out, "  created:  {}", rfc3339_ms(w.created_ms))?;
            if let Some(r) = w.rotated_ms {
                writeln!(out, "  rotated:  {}", rfc3339_ms(r))?;
            }
            match &w.previous {
                Some(p) => writeln!(
                    out,
                    "  secrets:  current and previous (the previous one until {})",
                    rfc3339_ms(p.expires_ms)
                )?,
                None => writeln!(out, "  secrets:  current")?,
            }
            if w.api != crate::dataspike::api::SANDBOX && w.api != crate::dataspike::api::PRODUCTION
            {
                writeln!(out, "  api:      {}", w.api)?;
            }
        }
    }
    out.flush()?;
    // Said after the list, so a script reading stdout gets the list alone.
    eprintln!("note: Dataspike's API documents no list of webhooks, so these are the ones hookscope registered or rotated; the dashboard (API, Webhooks) lists them all");
    Ok(ExitCode::SUCCESS)
}

fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let client = config::dataspike_client(&args.api)?;
    let db = config::db_path(args.db.db.as_deref())?;
    let mut store = Store::open(&db, OpenMode::Create)?;
    let now = now_ms();
    let q = HistoryQuery {
        webhook: args.webhook.clone(),
        since_ms: args
            .since
            .map(|d| now - i64::try_from(d.as_millis()).unwrap_or(i64::MAX).min(now)),
        failed: args.failed,
    };
    let rt = super::runtime()?;
    let done = rt
        .block_on(ops::history(&client, &mut store, &q, now))
        .map_err(failure)?;
    let pulled = &done.pulled;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            json!({
                "api": client.target().base,
                "pages": done.pages,
                "listed": done.listed,
                "left_out": done.left_out,
                "added": pulled.added,
                "updated": pulled.updated,
                "unchanged": pulled.unchanged,
                "not_understood": done.not_understood,
                "stopped": done.stopped,
                "label": crate::capture::DataspikeDelivery::LABEL,
            })
        )?;
    } else {
        writeln!(
            out,
            "pulled {} from Dataspike's {} history ({}): {} new, {} updated, {} already stored{}",
            count(done.listed as u64, "delivery"),
            client.target().env.name(),
            count(done.pages as u64, "page"),
            count(pulled.added.len() as u64, "capture"),
            pulled.updated.len(),
            pulled.unchanged,
            if done.left_out > 0 {
                format!(
                    "; {} left out by --webhook, --since or --failed",
                    done.left_out
                )
            } else {
                String::new()
            }
        )?;
        for id in pulled.added.iter().chain(&pulled.updated) {
            if let Some(c) = store.get(*id)? {
                let cap = &c.capture;
                let facts = cap
                    .dataspike
                    .as_ref()
                    .map(|d| d.summary())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  #{id}  {}  {}  {facts}",
                    cap.event.event_type.as_deref().unwrap_or("-"),
                    cap.event.event_id.as_deref().unwrap_or("-"),
                )?;
            }
        }
    }
    out.flush()?;
    eprintln!(
        "note: {}; replay re-signs them with their webhook's stored secret ('hookscope replay ID --to URL'), and 'source:dataspike delivery:failed' finds what Dataspike saw fail",
        crate::capture::DataspikeDelivery::LABEL
    );
    if !done.not_understood.is_empty() {
        eprintln!(
            "note: delivery fields hookscope does not interpret, kept as Dataspike reported them ('show' lists them): {}",
            done.not_understood.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(why) = &done.stopped {
        eprintln!("warning: {why}");
    }
    Ok(ExitCode::SUCCESS)
}
