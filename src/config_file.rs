//! `hookscope.toml`: the model of the config file and its parsing. Listener settings use the
//! flags' names (`max-body`, `forward-timeout`), secrets are references (`env:NAME`,
//! `file:PATH` or a path), never values, and `[[route]]` tables map a path prefix (optionally a
//! scheme and event types) to an app.
//!
//! Pure: text in, a checked [`FileConfig`] or a [`ConfigError`] naming the line, column and key
//! out. Reading the file, resolving secret references and the flags winning over the file are
//! `config.rs`'s job; this module knows no flag and no clap.

use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

use crate::chosen::Chosen;
use crate::intake::Respond;

use crate::routes::EventFilter;
use crate::routes::{Route, RouteTable, Rule};
use crate::signature::Scheme;

/// The file looked for in the current directory when no `--config` is given.
pub(crate) const FILE_NAME: &str = "hookscope.toml";

/// A mistake in the file: where, which key, what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based; 0 when the parser gave no position.
    pub line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// Where a secret is: the file holds only this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretRef {
    Env(String),
    File(String),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(n) => write!(f, "env:{n}"),
            SecretRef::File(p) => write!(f, "file:{p}"),
        }
    }
}

/// One `[[secret]]`: a scheme (Dataspike when left out) and where its value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretEntry {
    pub(crate) scheme: Scheme,
    pub(crate) at: SecretRef,
    pub(crate) line: usize,
}

/// Listener settings as the file gives them; `None` is "not in the file". The same shape is
/// filled from the flags, and [`Listen::over`] lets the flags win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Listen {
    pub(crate) host: Option<IpAddr>,
    pub(crate) port: Option<u16>,
    /// As written: relative to the file until the caller places it (`config::beside`).
    pub(crate) db: Option<PathBuf>,
    pub(crate) tolerance: Option<Duration>,
    /// Bytes (the file may write `10MiB`).
    pub(crate) max_body: Option<usize>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) forward_timeout: Option<Duration>,
    pub(crate) respond: Option<Respond>,
    /// A status answered by choice to each event's first deliveries (`respond = "503,times=2"`).
    pub(crate) chosen: Option<Chosen>,
    /// As written, like `db`.
    pub(crate) ca_cert: Option<PathBuf>,
}

impl Listen {
    /// `self` (the command line) wins over `file`, setting by setting.
    pub(crate) fn over(self, file: Listen) -> Listen {
        Listen {
            host: self.host.or(file.host),
            port: self.port.or(file.port),
            db: self.db.or(file.db),
            tolerance: self.tolerance.or(file.tolerance),
            max_body: self.max_body.or(file.max_body),
            read_timeout: self.read_timeout.or(file.read_timeout),
            forward_timeout: self.forward_timeout.or(file.forward_timeout),
            respond: self.respond.or(file.respond),
            chosen: self.chosen.or(file.chosen),
            ca_cert: self.ca_cert.or(file.ca_cert),
        }
    }
}

/// The checked file.
#[derive(Debug, Clone)]
pub struct FileConfig {
    pub(crate) listen: Listen,
    pub(crate) secrets: Vec<SecretEntry>,
    /// In file order: the first that takes a delivery wins.
    pub routes: RouteTable<()>,
    /// `[redact]`: what `--redact` replaces.
    pub(crate) redact: Redact,
    /// Whether the file has a `[redact]` table: then the TUI's copies are redacted too.
    pub(crate) redact_table: bool,
    /// `[dataspike]`: where the API token is, and another API base URL.
    pub(crate) dataspike: DataspikeFile,
}

/// `[dataspike]`: the API token as a reference (`env:NAME`, `file:PATH`), never a value, and
/// the base URL of a private deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DataspikeFile {
    /// Where the token is, and the line that says so.
    pub(crate) token: Option<(SecretRef, usize)>,
    pub(crate) api_url: Option<String>,
}

/// `[redact]`: Dataspike's default fields (unless `defaults = false`) and the user's own JSON
/// paths and header names, each already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redact {
    pub(crate) defaults: bool,
    pub(crate) paths: Vec<String>,
    pub(crate) headers: Vec<String>,
}

impl Default for Redact {
    fn default() -> Redact {
        Redact {
            defaults: true,
            paths: Vec::new(),
            headers: Vec::new(),
        }
    }
}

impl Redact {
    /// The rules these settings make (checked when the file was parsed).
    pub(crate) fn rules(&self) -> Result<crate::redact::Rules, String> {
        crate::redact::Rules::new(self.defaults, &self.paths, &self.headers)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    host: Option<Spanned<String>>,
    port: Option<u16>,
    db: Option<String>,
    tolerance: Option<u64>,
    max_body: Option<Spanned<SizeText>>,
    read_timeout: Option<u64>,
    forward_timeout: Option<u64>,
    respond: Option<Spanned<RespondText>>,
    ca_cert: Option<String>,
    #[serde(default)]
    secret: Vec<RawSecret>,
    #[serde(default)]
    route: Vec<RawRoute>,
    redact: Option<RawRedact>,
    dataspike: Option<RawDataspike>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDataspike {
    token: Option<Spanned<String>>,
    api_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRedact {
    defaults: Option<bool>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    headers: Vec<Spanned<String>>,
}

/// `respond = "ack"`, `respond = "503,times=2"`, or both: `respond = ["ack", "503,times=2"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RespondText {
    One(String),
    Several(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeText {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSecret {
    scheme: Option<Spanned<String>>,
    secret: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRoute {
    name: Option<String>,
    prefix: Spanned<String>,
    scheme: Option<Spanned<String>>,
    #[serde(default)]
    events: Vec<String>,
    to: Spanned<String>,
    #[serde(default, alias = "strip_prefix")]
    strip_prefix: bool,
    /// `["Name: value", ...]` added to every forward on the route.
    #[serde(default)]
    headers: Vec<Spanned<String>>,
    /// `"503,times=2"`: answered by choice instead of forwarding.
    respond: Option<Spanned<String>>,
}

/// Every key the file knows, for suggesting the nearest to an unknown one.
const KNOWN_KEYS: &[&str] = &[
    "host",
    "port",
    "db",
    "tolerance",
    "max-body",
    "read-timeout",
    "forward-timeout",
    "respond",
    "ca-cert",
    "secret",
    "route",
    "scheme",
    "name",
    "prefix",
    "events",
    "to",
    "strip-prefix",
    "headers",
    "redact",
    "defaults",
    "paths",
    "dataspike",
    "token",
    "api-url",
];

/// Parses and checks the text of a config file.
pub fn parse(text: &str) -> Result<FileConfig, ConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| from_toml(text, &e))?;
    let at = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        ConfigError {
            line,
            column,
            message,
        }
    };
    let max_body = match raw.max_body {
        None => None,
        Some(s) => {
            let span = s.span();
            match s.into_inner() {
                SizeText::Bytes(n) => Some(usize::try_from(n).map_err(|_| {
                    at(
                        span,
                        format!("'max-body' {n} is too large for this machine"),
                    )
                })?),
                SizeText::Text(t) if t.trim().is_empty() => {
                    return Err(at(
                        span,
                        "'max-body' is empty; write e.g. max-body = \"10MiB\"".into(),
                    ))
                }
                SizeText::Text(t) => Some(
                    crate::text::parse_size(&t)
                        .map_err(|e| at(span, format!("'max-body': {e}")))?,
                ),
            }
        }
    };
    let host = match raw.host {
        None => None,
        Some(h) => Some(h.get_ref().trim().parse::<IpAddr>().map_err(|_| {
            at(
                h.span(),
                format!(
                    "'host' is '{}', not an IP address; write e.g. host = \"127.0.0.1\"",
                    h.get_ref()
                ),
            )
        })?),
    };
    let (mut respond, mut chosen) = (None, None);
    if let Some(r) = raw.respond {
        let span = r.span();
        let items = match r.into_inner() {
            RespondText::One(t) => vec![t],
            RespondText::Several(ts) => ts,
        };
        for item in items {
            match respond_item(&item).map_err(|m| at(span.clone(), m))? {
                RespondItem::Mode(m) if respond.is_none() => respond = Some(m),
                RespondItem::Chosen(c) if chosen.is_none() => chosen = Some(c),
                _ => {
                    return Err(at(
                        span,
                        "'respond' gives two of a kind; give at most one of \"app\"/\"ack\" and one status, e.g. respond = [\"ack\", \"503,times=2\"]".into(),
                    ))
                }
            }
        }
    }
    let mut secrets = Vec::new();
    for s in raw.secret {
        let scheme = match &s.scheme {
            None => Scheme::default(),
            Some(name) => scheme(name).map_err(|m| at(name.span(), m))?,
        };
        let line = line_column(text, s.secret.span().start).0;
        let reference = secret_ref(s.secret.get_ref()).map_err(|m| at(s.secret.span(), m))?;
        secrets.push(SecretEntry {
            scheme,
            at: reference,
            line,
        });
    }
    let mut routes = Vec::new();
    for r in raw.route {
        let prefix = r.prefix.get_ref().trim();
        if !prefix.starts_with('/') || prefix.contains(['?', '#', ' ']) {
            return Err(at(
                r.prefix.span(),
                format!("route 'prefix' '{prefix}' is not a path; write e.g. prefix = \"/stripe\""),
            ));
        }
        let scheme = match &r.scheme {
            None => None,
            Some(name) => Some(scheme(name).map_err(|m| at(name.span(), m))?),
        };
        let target = crate::forward::parse_target(r.to.get_ref().trim())
            .map_err(|m| at(r.to.span(), format!("route 'to': {m}")))?;
        let rule = Rule::new(prefix, scheme, EventFilter::only(r.events));
        let name = r.name.unwrap_or_else(|| rule.prefix().to_string());
        if routes.iter().any(|x: &Route<()>| x.name == name) {
            return Err(at(
                r.prefix.span(),
                format!("two routes are named '{name}'; give one a different 'name'"),
            ));
        }
        let mut headers = Vec::with_capacity(r.headers.len());
        for h in &r.headers {
            headers.push(
                crate::headers::parse_header_arg(h.get_ref())
                    .map_err(|m| at(h.span(), format!("route 'headers': {m}")))?,
            );
        }
        let respond = match &r.respond {
            None => None,
            Some(t) => Some(Chosen::parse(t.get_ref()).map_err(|m| {
                let also = if matches!(t.get_ref().trim(), "app" | "ack") {
                    "; a route's 'respond' is a status answered by choice, e.g. \"503,times=2\" (\"app\" or \"ack\" is set for the whole file)"
                } else {
                    ""
                };
                at(t.span(), format!("route 'respond': {m}{also}"))
            })?),
        };
        routes.push(Route {
            name,
            rule,
            target,
            strip_prefix: r.strip_prefix,
            headers,
            respond,
            with: (),
        });
    }
    let mut redact = Redact::default();
    let redact_table = raw.redact.is_some();
    if let Some(r) = raw.redact {
        redact.defaults = r.defaults.unwrap_or(true);
        for p in &r.paths {
            crate::redact::Rules::new(false, std::slice::from_ref(p.get_ref()), &[])
                .map_err(|m| at(p.span(), m))?;
            redact.paths.push(p.get_ref().trim().to_string());
        }
        for h in &r.headers {
            crate::redact::Rules::new(false, &[], std::slice::from_ref(h.get_ref()))
                .map_err(|m| at(h.span(), m))?;
            redact.headers.push(h.get_ref().trim().to_string());
        }
    }
    let mut dataspike = DataspikeFile::default();
    if let Some(d) = raw.dataspike {
        if let Some(t) = &d.token {
            let reference = secret_ref(t.get_ref()).map_err(|m| {
                at(
                    t.span(),
                    m.replace("'secret'", "'token'")
                        .replace("secret =", "token ="),
                )
            })?;
            dataspike.token = Some((reference, line_column(text, t.span().start).0));
        }
        dataspike.api_url = d.api_url.map(|u| u.trim().to_string());
    }
    Ok(FileConfig {
        dataspike,
        listen: Listen {
            host,
            port: raw.port,
            db: raw.db.map(PathBuf::from),
            tolerance: raw.tolerance.map(Duration::from_secs),
            max_body,
            read_timeout: raw.read_timeout.map(Duration::from_secs),
            forward_timeout: raw.forward_timeout.map(Duration::from_secs),
            respond,
            chosen,
            ca_cert: raw.ca_cert.map(PathBuf::from),
        },
        secrets,
        routes: RouteTable::new(routes),
        redact,
        redact_table,
    })
}

/// One value of `respond`, in the file or on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RespondItem {
    /// `app` or `ack`: who answers once nothing is chosen.
    Mode(Respond),
    /// `STATUS[,delay=DUR][,times=N]`.
    Chosen(Chosen),
}

/// `app`, `ack`, or a chosen status (`503,delay=2s,times=2`).
pub(crate) fn respond_item(text: &str) -> Result<RespondItem, String> {
    match text.trim() {
        "app" => Ok(RespondItem::Mode(Respond::App)),
        "ack" => Ok(RespondItem::Mode(Respond::Ack)),
        t if t.starts_with(|c: char| c.is_ascii_digit()) => {
            Chosen::parse(t).map(RespondItem::Chosen)
        }
        other => Err(format!(
            "'respond' is '{other}'; use \"app\" (the app answers), \"ack\" (hookscope answers at once) or a status to answer by choice, e.g. \"503,times=2\""
        )),
    }
}

fn scheme(name: &Spanned<String>) -> Result<Scheme, String> {
    let text = name.get_ref().trim().to_ascii_lowercase();
    Scheme::parse(&text).ok_or_else(|| {
        let known: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
        format!(
            "'scheme' '{}' is not a known scheme; use one of: {}",
            name.get_ref(),
            known.join(", ")
        )
    })
}

/// `env:NAME`, `file:PATH` or a path (`/..`, `./..`, `../..`, `~/..`). Anything else is taken
/// for a secret written into the file and refused, without repeating it.
fn secret_ref(text: &str) -> Result<SecretRef, String> {
    let t = text.trim();
    if let Some(name) = t.strip_prefix("env:") {
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if ok {
            Ok(SecretRef::Env(name.to_string()))
        } else {
            Err(
                "'secret' env: needs a variable name, e.g. secret = \"env:STRIPE_WEBHOOK_SECRET\""
                    .into(),
            )
        };
    }
    if let Some(path) = t.strip_prefix("file:") {
        return if path.is_empty() {
            Err("'secret' file: needs a path, e.g. secret = \"file:/run/secrets/stripe\"".into())
        } else {
            Ok(SecretRef::File(path.to_string()))
        };
    }
    if ["/", "./", "../", "~/"].iter().any(|p| t.starts_with(p)) {
        return Ok(SecretRef::File(t.to_string()));
    }
    Err("'secret' looks like a secret written into the file, which is refused (config files get shared and committed); \
         put it in an environment variable and write secret = \"env:NAME\", or in a file and write secret = \"file:/path\""
        .into())
}

/// toml's error, with its byte offset turned into a line and column, and a suggestion for an
/// unknown key.
fn from_toml(text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, column) = e.span().map_or((0, 0), |s| line_column(text, s.start));
    let message = e.message().trim().to_string();
    let message = match unknown_field(&message) {
        Some(key) => {
            let hint = nearest(key)
                .map(|k| format!("did you mean '{k}'? "))
                .unwrap_or_default();
            format!("unknown key '{key}': {hint}remove it or fix its name (README, \"Several apps, one listener\", lists the keys)")
        }
        None => format!("{message}; fix it and run 'hookscope config check'"),
    };
    ConfigError {
        line,
        column,
        message,
    }
}

/// The key in serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// The known key closest to `key` by edit distance, if close enough to be a typo.
fn nearest(key: &str) -> Option<&'static str> {
    let key = key.replace('_', "-");
    KNOWN_KEYS
        .iter()
        .map(|k| (distance(&key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"# two apps behind one listener
port = 8080
tolerance = 600
max-body = "1MiB"
respond = "ack"

[[secret]]
scheme = "stripe"
secret = "env:STRIPE_WEBHOOK_SECRET"

[[secret]]
secret = "file:/run/secrets/dataspike"

[[route]]
prefix = "/stripe"
scheme = "stripe"
to = "http://127.0.0.1:4001"

[[route]]
name = "kyc"
prefix = "/dataspike/"
events = ["DOCVER"]
to = "http://127.0.0.1:4002/hooks"
strip-prefix = true
"#;

    #[test]
    fn a_full_file_parses() {
        let c = parse(FULL).unwrap();
        assert_eq!(c.listen.port, Some(8080));
        assert_eq!(c.listen.tolerance, Some(Duration::from_secs(600)));
        assert_eq!(c.listen.max_body, Some(1024 * 1024));
        assert_eq!(c.listen.respond, Some(Respond::Ack));
        assert_eq!(c.listen.host, None);
        assert_eq!(
            c.secrets,
            vec![
                SecretEntry {
                    scheme: Scheme::Stripe,
                    at: SecretRef::Env("STRIPE_WEBHOOK_SECRET".into()),
                    line: 9
                },
                SecretEntry {
                    scheme: Scheme::Dataspike,
                    at: SecretRef::File("/run/secrets/dataspike".into()),
                    line: 12
                },
            ]
        );
        let names: Vec<&str> = c.routes.routes().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["/stripe", "kyc"]);
        let kyc = &c.routes.routes()[1];
        assert!(kyc.strip_prefix);
        assert_eq!(kyc.rule.prefix(), "/dataspike");
        assert_eq!(c.routes.compact(), ["/stripe→:4001", "/dataspike→:4002"]);
        assert!(parse("").unwrap().routes.is_empty());
    }

    #[test]
    fn respond_takes_a_mode_a_chosen_status_or_both_and_routes_their_own() {
        let c = parse("respond = \"503,times=2\"\n").unwrap();
        assert_eq!(
            (c.listen.respond, c.listen.chosen.map(|c| c.status)),
            (None, Some(503))
        );
        let c = parse(
            "respond = [\"ack\", \"500,delay=1s\"]\n[[route]]\nprefix = \"/a\"\nto = \"http://x:1\"\nrespond = \"429,times=1\"\n",
        )
        .unwrap();
        assert_eq!(c.listen.respond, Some(Respond::Ack));
        assert_eq!(c.listen.chosen.unwrap().delay, Duration::from_secs(1));
        let route = &c.routes.routes()[0];
        assert_eq!(route.respond.unwrap().times, Some(1));
        assert!(crate::output::route_line(route).ends_with("(answers 429,times=1 by choice)"));
    }

    #[test]
    fn errors_name_the_line_the_key_and_what_to_do() {
        let cases: &[(&str, usize, &str)] = &[
            ("port = 8080\nprot = 1\n", 2, "unknown key 'prot': did you mean 'port'?"),
            ("[[route]]\nprefix = \"/a\"\nto = \"http://127.0.0.1:1\"\nstrip_prefx = true\n", 4, "unknown key 'strip_prefx': did you mean 'strip-prefix'?"),
            ("port = \"x\"\n", 1, "fix it and run 'hookscope config check'"),
            ("port = 8080\nport = 1\n", 2, "duplicate key"),
            ("\n\n[[route]]\nprefix = \"/a\"\n", 3, "missing field `to`"),
            ("[[route]]\nprefix = \"a\"\nto = \"http://x:1\"\n", 2, "route 'prefix' 'a' is not a path"),
            ("[[route]]\nprefix = \"/a\"\nto = \"ftp://x\"\n", 3, "route 'to': target URL 'ftp://x'"),
            ("[[route]]\nprefix = \"/a\"\nscheme = \"paypal\"\nto = \"http://x:1\"\n", 3, "'scheme' 'paypal' is not a known scheme"),
            ("respond = \"later\"\n", 1, "use \"app\""),
            ("respond = \"503,times=0\"\n", 1, "times '0'"),
            ("respond = [\"ack\", \"app\"]\n", 1, "two of a kind"),
            ("[[route]]\nprefix = \"/a\"\nto = \"http://x:1\"\nrespond = \"ack\"\n", 4, "a route's 'respond' is a status"),
            ("[[route]]\nprefix = \"/a\"\nto = \"http://x:1\"\nrespond = \"503,delay=x\"\n", 4, "route 'respond': delay 'x'"),
            ("[[secret]]\nsecret = \"env:\"\n", 2, "needs a variable name"),
            ("[[route]]\nprefix = \"/a\"\nto = \"http://x:1\"\n[[route]]\nprefix = \"/a/\"\nto = \"http://x:2\"\n", 5, "two routes are named '/a'"),
        ];
        for (text, line, part) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, *line, "{text}: {e}");
            assert!(e.to_string().contains(part), "{text}: {e}");
            assert!(
                e.to_string().starts_with(&format!("line {line}, column ")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_literal_secret_is_refused_without_repeating_it() {
        let text =
            "port = 1\n[[secret]]\nscheme = \"stripe\"\nsecret = \"whsec_c2VjcmV0LXZhbHVl\"\n";
        let e = parse(text).unwrap_err();
        assert_eq!((e.line, e.column), (4, 10));
        let shown = e.to_string();
        assert!(shown.contains("secret written into the file"), "{shown}");
        assert!(shown.contains("env:NAME"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        for path in ["/etc/s", "./s", "../s", "~/s", "file:s"] {
            let text = format!("[[secret]]\nsecret = \"{path}\"\n");
            assert!(parse(&text).is_ok(), "{path}");
        }
    }

    #[test]
    fn flags_win_over_the_file_setting_by_setting() {
        let file = parse("port = 8080\nhost = \"0.0.0.0\"\ntolerance = 5\n")
            .unwrap()
            .listen;
        let flags = Listen {
            port: Some(9000),
            ..Listen::default()
        };
        let merged = flags.over(file);
        assert_eq!(merged.port, Some(9000));
        assert_eq!(merged.host, Some("0.0.0.0".parse().unwrap()));
        assert_eq!(merged.tolerance, Some(Duration::from_secs(5)));
        assert_eq!(merged.db, None);
    }

    #[test]
    fn routes_match_in_file_order() {
        let c = parse(FULL).unwrap();
        let pick = |p, s, e| c.routes.pick(p, s, e).map(|r| r.name.clone());
        assert_eq!(
            pick("/stripe/x", Some(Scheme::Stripe), None).as_deref(),
            Some("/stripe")
        );
        assert_eq!(pick("/stripe/x", None, None), None);
        assert_eq!(
            pick("/dataspike/x", None, Some("docver")).as_deref(),
            Some("kyc")
        );
        assert_eq!(pick("/dataspike/x", None, Some("AML_SCREENING")), None);
        assert_eq!(pick("/elsewhere", None, None), None);
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
        assert_eq!(line_column("x", 99), (1, 2));
    }

    #[test]
    fn the_redact_table_is_read_and_checked_with_its_line() {
        let file = parse(
            "[redact]\ndefaults = false\npaths = [\"payload.custom.field\"]\nheaders = [\"X-Tenant\"]\n",
        )
        .unwrap();
        assert_eq!(
            file.redact,
            Redact {
                defaults: false,
                paths: vec!["payload.custom.field".into()],
                headers: vec!["X-Tenant".into()],
            }
        );
        assert!(file.redact.rules().is_ok());
        assert!(
            file.redact_table,
            "a table: the TUI's copies are redacted too"
        );
        assert!(parse("[redact]\n").unwrap().redact_table);
        assert!(!parse("port = 1\n").unwrap().redact_table);
        assert_eq!(parse("port = 1\n").unwrap().redact, Redact::default());
        let err = parse("[redact]\npaths = [\"payload..x\"]\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("empty key"), "{err}");
        let err = parse("[redact]\npath = []\n").unwrap_err();
        assert!(err.to_string().contains("paths"), "{err}");
    }
}
