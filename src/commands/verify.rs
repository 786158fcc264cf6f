//! `verify`: the listener's verifier, offline.

use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::config::{body_file, db_path, secret_needed, secrets_as, usage, with_stored};
use crate::headers::HeaderPair;
use crate::output::verdict_text;
use crate::signature::{verify_capture, Scheme, Verdict};
use crate::store::{OpenMode, Store};

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    // With --scheme named, a bare secret is that scheme's. Without a Dataspike secret given,
    // the ones `hookscope dataspike` stored are tried too.
    let mut secrets = with_stored(secrets_as(
        &args.secrets.secrets,
        args.secrets.allow_short_secret,
        args.scheme.unwrap_or_default(),
    )?);
    // Nothing given or stored: the local development secret, when one exists (what `send`,
    // `replay` and `listen` sign and verify with by default). Read, never made here: a secret
    // made now cannot have signed anything.
    if secrets.is_empty() {
        secrets.extend(
            crate::devsecret::default_path()
                .ok()
                .and_then(|p| crate::devsecret::load(&p).ok().flatten())
                .map(|d| d.with_origin(crate::signature::Origin::Dev)),
        );
    }
    if secrets.is_empty() {
        return Err(secret_needed("verify needs a secret"));
    }
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let tol = args.tolerance.tolerance;
    let check = |headers: &[HeaderPair], body: &[u8], at: i64| match args.scheme {
        Some(s) => s.verify(headers, body, &secrets, at, tol),
        None => verify_capture(headers, body, &secrets, at, tol),
    };
    let (verdict, diag, now) =
        match (args.id, args.headers.as_slice(), &args.body_file) {
            (Some(id), _, _) => {
                let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
                let c = store
                    .get(id)?
                    .ok_or_else(|| super::capture_missing(id, store.path()))?;
                // Judge the timestamp as of arrival, as `listen` would have: a capture does not
                // go stale in the store.
                let at = args
                    .now
                    .unwrap_or(c.capture.received_at_ms.div_euclid(1000));
                let (v, d) = check(&c.capture.headers, &c.capture.body, at);
                (v, d, at)
            }
            (None, texts, Some(file)) if !texts.is_empty() => {
                let headers = header_args(texts, args.scheme.unwrap_or_default())?;
                let body = body_file("--body-file", file)?;
                let (v, d) = check(&headers, &body, now);
                (v, d, now)
            }
            _ => return Err(usage(
                "give a capture id, or --header 'NAME: VALUE' (repeatable) with --body-file FILE",
            )),
        };
    let matched = verdict
        .secret_index()
        .and_then(|i| Some(secrets.get(i)?.origin().label(i, crate::capture::now_ms())));
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            json!({"verdict": verdict.to_json(), "secret": matched, "diagnostics": diag, "now": now})
        )?;
    } else {
        write!(
            out,
            "{}",
            verdict_text(
                &verdict,
                diag.as_ref(),
                Some((now, "check")),
                matched,
                super::hint::words
            )
        )?;
    }
    out.flush()?;
    Ok(if matches!(verdict, Verdict::Valid { .. }) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--header` values as header pairs: `Name: value`, or a bare value, which is the signature
/// header of `scheme` (Dataspike's `X-Webhook-Signature` by default). Signature values never
/// hold `:` before a name would end, so a bare value cannot be mistaken for `Name: value`.
fn header_args(texts: &[String], scheme: Scheme) -> anyhow::Result<Vec<HeaderPair>> {
    texts
        .iter()
        .map(|text| {
            let named = text
                .split_once(':')
                .filter(|(name, _)| http::HeaderName::from_bytes(name.trim().as_bytes()).is_ok());
            let (name, value) = match named {
                Some((name, value)) => (name.trim(), value.trim()),
                None => (scheme.signature_header(), text.trim()),
            };
            if value.is_empty() {
                return Err(usage(format!(
                    "--header '{name}' has no value: write --header '{name}: VALUE'"
                )));
            }
            Ok((name.as_bytes().to_vec(), value.as_bytes().to_vec()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_values_are_the_schemes_signature_header() {
        let h = header_args(
            &[
                "t=1,v1=ab".into(),
                "webhook-id: msg_1".into(),
                " X-Slack-Request-Timestamp :  12 ".into(),
            ],
            Scheme::Dataspike,
        )
        .unwrap();
        assert_eq!(
            h[0],
            (b"X-Webhook-Signature".to_vec(), b"t=1,v1=ab".to_vec())
        );
        assert_eq!(h[1], (b"webhook-id".to_vec(), b"msg_1".to_vec()));
        assert_eq!(
            h[2],
            (b"X-Slack-Request-Timestamp".to_vec(), b"12".to_vec())
        );
        let h = header_args(&["sha256=00".into()], Scheme::Github).unwrap();
        assert_eq!(h[0].0, b"X-Hub-Signature-256");
        assert!(header_args(&["webhook-id:".into()], Scheme::Standard).is_err());
    }
}
