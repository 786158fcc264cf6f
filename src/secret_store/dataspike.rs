//! A Dataspike webhook's signing secrets in the secret store: the current one (kind
//! `dataspike-webhook`) and, for a while after a rotation, the previous one (kind
//! `dataspike-webhook-previous`, expiring when the `--keep-old` window ends), both keyed by the
//! API base URL (the environment) and the webhook id, with the webhook's URL and event types.
//! Dataspike replaces a secret the moment it rotates it, so deliveries signed just before
//! still carry the old one: the previous secret verifies them until it expires.

use super::{Entry, SecretStore, SecretStoreError, SecretText};

/// Kind of a webhook's current secret.
pub const KIND: &str = "dataspike-webhook";
/// Kind of a webhook's previous secret, kept for a while after a rotation.
pub const KIND_PREVIOUS: &str = "dataspike-webhook-previous";

/// A webhook hookscope registered or rotated, and its secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// The API base URL it was made with (`https://sandboxapi.dataspike.io`).
    pub api: String,
    /// `sandbox`, `production`, or `custom` (another base URL).
    pub environment: String,
    /// Dataspike's id of the webhook.
    pub id: String,
    /// Where Dataspike delivers; empty when hookscope did not register it (a rotation of a
    /// webhook made in the dashboard).
    pub url: String,
    /// The event types it was registered for.
    pub events: Vec<String>,
    /// Whether it was registered enabled.
    pub enabled: bool,
    /// When hookscope stored it (Unix ms).
    pub created_ms: i64,
    /// When hookscope last rotated its secret (Unix ms).
    pub rotated_ms: Option<i64>,
    /// The current secret.
    pub secret: SecretText,
    /// The secret before the last rotation, while it is kept.
    pub previous: Option<Previous>,
}

/// The secret a rotation replaced, kept until `expires_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    /// The replaced secret.
    pub secret: SecretText,
    /// When the rotation replaced it (Unix ms).
    pub rotated_ms: i64,
    /// When it is deleted (Unix ms).
    pub expires_ms: i64,
}

impl Webhook {
    fn entry(&self) -> Entry {
        let mut e = Entry::new(
            KIND,
            &self.api,
            &self.id,
            self.secret.clone(),
            self.created_ms,
        );
        let meta = &mut e.meta;
        meta.insert("environment".into(), self.environment.clone().into());
        meta.insert("url".into(), self.url.clone().into());
        meta.insert("events".into(), self.events.clone().into());
        meta.insert("enabled".into(), self.enabled.into());
        if let Some(r) = self.rotated_ms {
            meta.insert("rotated_ms".into(), r.into());
        }
        e
    }

    fn from_entry(e: Entry, previous: Option<Previous>) -> Webhook {
        Webhook {
            environment: e.meta_str("environment").unwrap_or("custom").to_string(),
            url: e.meta_str("url").unwrap_or_default().to_string(),
            events: e
                .meta
                .get("events")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            enabled: e
                .meta
                .get("enabled")
                .and_then(|v| v.as_bool())
                .unwrap_or(true),
            rotated_ms: e.meta_i64("rotated_ms"),
            created_ms: e.stored_ms,
            api: e.scope,
            id: e.id,
            secret: e.secret,
            previous,
        }
    }
}

/// Stores a webhook just created (its secret shown once), replacing one with its key.
pub fn save(store: &SecretStore, w: &Webhook, now_ms: i64) -> Result<(), SecretStoreError> {
    let entry = w.entry();
    store.change(now_ms, |entries| {
        entries.retain(|e| !(e.kind == KIND && e.scope == w.api && e.id == w.id));
        entries.push(entry);
    })
}

/// Makes `secret` the current one of webhook `id` at `api` and keeps the one it replaces for
/// `keep_old_ms` (none kept when 0): one atomic change. A webhook the store does not know
/// (made in the dashboard) is stored with what is known. Returns the webhook as stored.
pub fn rotate(
    store: &SecretStore,
    api: &str,
    environment: &str,
    id: &str,
    secret: SecretText,
    now_ms: i64,
    keep_old_ms: i64,
) -> Result<Webhook, SecretStoreError> {
    let mut stored = None;
    store.change(now_ms, |entries| {
        let old = entries
            .iter()
            .position(|e| e.kind == KIND && e.scope == api && e.id == id)
            .map(|i| entries.remove(i));
        entries.retain(|e| !(e.kind == KIND_PREVIOUS && e.scope == api && e.id == id));
        let mut w = match old {
            Some(old) => {
                let old_secret = old.secret.clone();
                let mut w = Webhook::from_entry(old, None);
                if keep_old_ms > 0 {
                    let mut prev = Entry::new(KIND_PREVIOUS, api, id, old_secret, now_ms);
                    prev.expires_ms = Some(now_ms.saturating_add(keep_old_ms));
                    prev.meta.insert("rotated_ms".into(), now_ms.into());
                    w.previous = Some(Previous {
                        secret: prev.secret.clone(),
                        rotated_ms: now_ms,
                        expires_ms: now_ms.saturating_add(keep_old_ms),
                    });
                    entries.push(prev);
                }
                w
            }
            None => Webhook {
                api: api.to_string(),
                environment: environment.to_string(),
                id: id.to_string(),
                url: String::new(),
                events: Vec::new(),
                enabled: true,
                created_ms: now_ms,
                rotated_ms: None,
                secret: secret.clone(),
                previous: None,
            },
        };
        w.secret = secret;
        w.rotated_ms = Some(now_ms);
        entries.push(w.entry());
        stored = Some(w);
    })?;
    Ok(stored.expect("the change ran"))
}

/// Every stored webhook with its secrets (a previous one only until it expires), newest
/// change first: the one registered or rotated last leads.
pub fn webhooks(store: &SecretStore, now_ms: i64) -> Result<Vec<Webhook>, SecretStoreError> {
    let all = store.list(None, now_ms)?;
    let mut out: Vec<Webhook> = all
        .iter()
        .filter(|e| e.kind == KIND)
        .map(|e| {
            let previous = all
                .iter()
                .find(|p| p.kind == KIND_PREVIOUS && p.scope == e.scope && p.id == e.id)
                .map(|p| Previous {
                    secret: p.secret.clone(),
                    rotated_ms: p.meta_i64("rotated_ms").unwrap_or(p.stored_ms),
                    expires_ms: p.expires_ms.unwrap_or(i64::MAX),
                });
            Webhook::from_entry(e.clone(), previous)
        })
        .collect();
    out.sort_by_key(|w| std::cmp::Reverse(w.rotated_ms.unwrap_or(w.created_ms)));
    Ok(out)
}

/// The stored webhook `id` at `api`.
pub fn find(
    store: &SecretStore,
    api: &str,
    id: &str,
    now_ms: i64,
) -> Result<Option<Webhook>, SecretStoreError> {
    Ok(webhooks(store, now_ms)?
        .into_iter()
        .find(|w| w.api == api && w.id == id))
}

/// The stored webhook at `api` that delivers to `url`, if hookscope registered one.
pub fn find_by_url(
    store: &SecretStore,
    api: &str,
    url: &str,
    now_ms: i64,
) -> Result<Option<Webhook>, SecretStoreError> {
    Ok(webhooks(store, now_ms)?
        .into_iter()
        .find(|w| w.api == api && w.url == url))
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://sandboxapi.dataspike.io";

    fn hook(id: &str, url: &str, secret: &str, at: i64) -> Webhook {
        Webhook {
            api: API.into(),
            environment: "sandbox".into(),
            id: id.into(),
            url: url.into(),
            events: vec!["DOCVER".into()],
            enabled: true,
            created_ms: at,
            rotated_ms: None,
            secret: SecretText::new(secret),
            previous: None,
        }
    }

    #[test]
    fn a_rotation_keeps_the_old_secret_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::at(dir.path().join("secrets.json"));
        save(&store, &hook("w1", "https://x/h", "whsec_01", 1_000), 1_000).unwrap();
        save(&store, &hook("w2", "https://y/h", "whsec_02", 2_000), 2_000).unwrap();
        let w = rotate(
            &store,
            API,
            "sandbox",
            "w1",
            SecretText::new("whsec_03"),
            5_000,
            100,
        )
        .unwrap();
        assert_eq!(w.secret.expose(), "whsec_03");
        assert_eq!(w.url, "https://x/h", "what was known is kept");
        let p = w.previous.clone().unwrap();
        assert_eq!(
            (p.secret.expose(), p.rotated_ms, p.expires_ms),
            ("whsec_01", 5_000, 5_100)
        );
        let all = webhooks(&store, 5_050).unwrap();
        assert_eq!(all[0].id, "w1", "the one rotated last leads");
        assert_eq!(all[0], w);
        assert_eq!(all[1].id, "w2");
        // After the window the previous secret is gone, from reads and then from the file.
        let later = webhooks(&store, 5_100).unwrap();
        assert!(later[0].previous.is_none());
        assert_eq!(store.purge_expired(5_100).unwrap(), 1);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("whsec_01"), "{text}");
        assert_eq!(
            find_by_url(&store, API, "https://y/h", 6_000)
                .unwrap()
                .unwrap()
                .id,
            "w2"
        );
        assert!(find(&store, "https://api.dataspike.io", "w2", 6_000)
            .unwrap()
            .is_none());
    }

    #[test]
    fn rotating_an_unknown_webhook_stores_it_and_keep_old_zero_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::at(dir.path().join("secrets.json"));
        let w = rotate(
            &store,
            API,
            "sandbox",
            "w9",
            SecretText::new("whsec_aa"),
            10,
            1000,
        )
        .unwrap();
        assert_eq!((w.url.as_str(), w.previous.is_none()), ("", true));
        let w = rotate(
            &store,
            API,
            "sandbox",
            "w9",
            SecretText::new("whsec_bb"),
            20,
            0,
        )
        .unwrap();
        assert!(w.previous.is_none());
        assert_eq!(webhooks(&store, 30).unwrap().len(), 1);
        assert_eq!(store.list(None, 30).unwrap().len(), 1);
    }
}
