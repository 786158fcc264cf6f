//! Command-line interface: one subcommand per job, shared flag groups flattened.
// The doc comments here are clap's --help text, written for a terminal, not for rustdoc.
#![allow(rustdoc::invalid_html_tags, rustdoc::bare_urls)]

use clap::builder::{EnumValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use crate::config_file::RespondItem;
use crate::expect::Expect;
#[cfg(test)]
use crate::intake::Respond;
use crate::sign_mode::SignMode;
use crate::signature::{Scheme, Status};
use crate::store::Durability;

/// Default port `listen` binds (chosen to be unlikely to clash with dev servers).
pub(crate) const DEFAULT_PORT: u16 = 9474;

#[derive(Debug, Parser)]
#[command(
    name = "hookscope",
    version,
    about = "Capture, verify, forward, replay and export Dataspike webhooks while you develop",
    long_about = None,
    after_help = "Quick start:\n  hookscope listen --secret whsec_... --forward-to http://127.0.0.1:3000\n  then point Dataspike (or 'hookscope send') at the URL it prints."
)]
/// The `hookscope` command line: one subcommand.
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Receive webhooks, verify their signatures, store them, and optionally forward them
    Listen(ListenArgs),
    /// List stored captures, newest first
    List(ListArgs),
    /// Show everything about one capture
    Show(ShowArgs),
    /// Wait until a capture matching a query is stored, then print it (exit 3 on timeout)
    Wait(WaitArgs),
    /// Check a signature offline, or re-check a stored capture with today's secrets
    Verify(VerifyArgs),
    /// Send stored captures to your app again, as captured or re-signed
    Replay(ReplayArgs),
    /// Write captures as test fixtures, a HAR file or a curl script
    Export(ExportArgs),
    /// Send fixtures or built-in sample events to your app, freshly signed
    Send(SendArgs),
    /// Load fixtures or a HAR file into the store as imported captures
    Import(ImportArgs),
    /// Browse stored captures in the terminal UI, without listening
    Tui(TuiArgs),
    /// Run a public relay that stores every delivery before answering and streams it to
    /// 'listen --relay'; 'relay channel ...' manages its channels
    Relay(RelayArgs),
    /// Manage a remote relay's channels from here (its remote channel API, admin token in
    /// HOOKSCOPE_RELAY_ADMIN_TOKEN); a new channel's read token is kept in this machine's
    /// secret store, so 'listen --relay URL/c/ID' needs no --relay-token
    #[command(subcommand)]
    Channel(RemoteChannelCommand),
    /// Probe your webhook endpoint with good and bad deliveries and grade its answers
    Check(CheckArgs),
    /// Compare two captures, or a capture with what one of its replays sent
    Diff(DiffArgs),
    /// Count deliveries by event type and verdict, the app's answers, and its latency
    Stats(StatsArgs),
    /// The schedule each sender followed when it redelivered an event: attempts, gaps, what
    /// each got (see 'listen --respond 503,times=2'), the final answer
    Retries(RetriesArgs),
    /// Delete stored captures for good (older than a duration, or all), then compact the file
    Purge(PurgeArgs),
    /// Check the config file (hookscope.toml): settings, secret references, routes
    Config(ConfigArgs),
    /// Print a shell completion script to stdout (README: "Install")
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: hookscope's, or one subcommand's
    Man(ManArgs),
    /// Serve the Model Context Protocol over stdio, for coding agents: list, show, wait for,
    /// replay, send, check and compare (README: "For coding agents")
    Mcp(McpArgs),
    /// Your Dataspike account: register webhooks and keep their secrets, rotate them, pull the
    /// webhook history; and a signature verifier to paste into your app
    #[command(subcommand)]
    Dataspike(DataspikeCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DataspikeCommand {
    /// Print a short, correct Dataspike signature verifier for your app, standard library only
    /// (raw body, constant-time compare, tolerance both ways, several secrets while rotating)
    Snippet(SnippetArgs),
    /// Create a webhook in your Dataspike account and keep its signing secret in hookscope's
    /// secret store (shown by Dataspike once; hookscope verifies with it from then on)
    Register(RegisterArgs),
    /// Rotate a webhook's signing secret: the new one becomes current, the old one still
    /// verifies for --keep-old
    Rotate(RotateArgs),
    /// List the webhooks hookscope registered or rotated, and what it keeps of them
    Webhooks(WebhooksArgs),
    /// Pull Dataspike's webhook history into the store as captures (source dataspike), with
    /// Dataspike's own delivery facts; pulling again stores nothing twice
    History(HistoryArgs),
}

/// Which Dataspike API, and how to reach it. The token comes from DATASPIKE_API_TOKEN or the
/// config file, never from a flag.
#[derive(Debug, Args, Clone)]
pub(crate) struct DataspikeApiArgs {
    /// Use the production API (https://api.dataspike.io) instead of the sandbox; every command
    /// that changes something there says so first
    #[arg(long)]
    pub(crate) production: bool,
    /// Another API base URL (a private deployment, a stand-in) [default: the sandbox,
    /// https://sandboxapi.dataspike.io]
    #[arg(long, env = "DATASPIKE_API_URL", value_name = "URL")]
    pub(crate) api_url: Option<String>,
    /// Seconds each API call may take before it is tried again (then given up)
    #[arg(long = "timeout", default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,
    /// Also trust the CA certificate(s) in this PEM file for an https API (a private deployment)
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Reach the API through this HTTP proxy (http://[user:password@]host:port) instead of what
    /// HTTPS_PROXY/HTTP_PROXY say; 'none' goes direct
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// The public https URL Dataspike delivers to: your relay channel's URL (local, private
    /// and http:// URLs are refused before anything is sent)
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// The event types, comma-separated, any case [default: AML_SCREENING, DOCVER,
    /// TRANSACTION_MONITORING, KYT_WALLET_CHECK]
    #[arg(long, value_delimiter = ',', value_name = "TYPE,...")]
    pub(crate) events: Vec<String>,
    /// Create it disabled (Dataspike delivers nothing until it is enabled in the dashboard)
    #[arg(long)]
    pub(crate) disabled: bool,
    /// Print the signing secret once, for your app's own config (it is stored either way)
    #[arg(long)]
    pub(crate) print_secret: bool,
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) api: DataspikeApiArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The webhook's id [default: the one webhook hookscope stored for this API]
    #[arg(value_name = "WEBHOOK_ID")]
    pub(crate) id: Option<String>,
    /// How long the old secret still verifies (deliveries signed before the switch), then it
    /// is deleted from the store; 0 deletes it at once
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) keep_old: std::time::Duration,
    /// Print the new signing secret once, for your app's own config
    #[arg(long)]
    pub(crate) print_secret: bool,
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) api: DataspikeApiArgs,
}

#[derive(Debug, Args)]
pub(crate) struct WebhooksArgs {
    /// Print NDJSON, one webhook per line
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Only this webhook's deliveries
    #[arg(long, value_name = "ID")]
    pub(crate) webhook: Option<String>,
    /// Only deliveries of events this recent (e.g. 2d, 12h)
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) since: Option<std::time::Duration>,
    /// Only deliveries Dataspike says failed
    #[arg(long)]
    pub(crate) failed: bool,
    /// Print JSON: what was pulled and the new capture ids
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) api: DataspikeApiArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SnippetArgs {
    /// The language of your app
    #[arg(value_enum)]
    pub(crate) lang: SnippetLang,
}

/// `dataspike snippet LANG`: the languages a verifier is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SnippetLang {
    /// Python 3
    Python,
    /// Node.js (CommonJS)
    Node,
    /// Go
    Go,
    /// Ruby
    Ruby,
    /// PHP 8
    Php,
}

impl From<SnippetLang> for crate::dataspike::snippet::Lang {
    fn from(l: SnippetLang) -> Self {
        use crate::dataspike::snippet::Lang;
        match l {
            SnippetLang::Python => Lang::Python,
            SnippetLang::Node => Lang::Node,
            SnippetLang::Go => Lang::Go,
            SnippetLang::Ruby => Lang::Ruby,
            SnippetLang::Php => Lang::Php,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// A subcommand, for its own page (e.g. listen); without, hookscope(1)
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Option<String>,
}

/// The completion script for `shell`, generated from these definitions.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hookscope", &mut out);
    out
}

/// The man page of hookscope, or of its subcommand `sub` (named `hookscope-SUB`, as `man`
/// looks it up); `Err` names the subcommands when there is no such one.
pub fn man_page(sub: Option<&str>) -> Result<Vec<u8>, String> {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    // Building names each subcommand as man and its synopsis want: `hookscope-listen`,
    // `hookscope listen`.
    cli.build();
    let page = match sub {
        None => cli,
        Some(name) => match cli.find_subcommand(name) {
            Some(found) => found.clone(),
            None => {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                return Err(format!(
                    "'{name}' is not a hookscope command; one of: {}",
                    names.join(", ")
                ));
            }
        },
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("hookscope {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .expect("writing into a Vec cannot fail");
    Ok(out)
}

impl Cli {
    /// Whether this run draws the terminal UI (then logs must not write to the terminal).
    pub fn draws_tui(&self) -> bool {
        match &self.command {
            Command::Tui(_) => true,
            Command::Listen(a) => a.draws_tui(),
            _ => false,
        }
    }
}

impl ListenArgs {
    /// The UI opens unless headless output was asked for or stdout is not a terminal.
    pub(crate) fn draws_tui(&self) -> bool {
        use std::io::IsTerminal;
        !self.no_tui && !self.json && std::io::stdout().is_terminal()
    }
}

/// Where `hookscope.toml` is.
#[derive(Debug, Args, Clone)]
pub(crate) struct ConfigFileArgs {
    /// Settings, secret references and routes [default: ./hookscope.toml when it exists]
    #[arg(long = "config", env = "HOOKSCOPE_CONFIG", value_name = "PATH")]
    pub(crate) path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    pub(crate) command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate hookscope.toml and print the resolved settings and routes (secrets only as
    /// their references); exit 2 when it is invalid
    Check(ConfigCheckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConfigCheckArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
}

/// Where the database lives.
#[derive(Debug, Args, Clone)]
pub(crate) struct DbArgs {
    /// SQLite database file [default: hookscope.db in the platform data directory]
    #[arg(long, env = "HOOKSCOPE_DB", value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
}

/// Signing secrets.
#[derive(Debug, Args, Clone)]
pub(crate) struct SecretArgs {
    /// Signing secret, 'SCHEME=SECRET' (stripe=whsec_..., standard=whsec_..., github=...,
    /// slack=..., shopify=..., dataspike=whsec_...) or a bare Dataspike 'whsec_<hex>'; repeat
    /// for several providers and for rotation (per scheme, first = current)
    /// [default: the local development secret, where the command uses one]
    #[arg(
        long = "secret",
        env = "HOOKSCOPE_SECRET",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub(crate) secrets: Vec<String>,
    /// Accept a secret shorter than 16 bytes (32 hex digits), which no real Dataspike secret is:
    /// for test secrets only
    #[arg(long)]
    pub(crate) allow_short_secret: bool,
}

/// How long the app may take to answer what hookscope sends it, and whom to trust over https.
#[derive(Debug, Args, Clone)]
pub(crate) struct AppTimeoutArgs {
    /// Seconds the app has to answer each request hookscope sends it
    #[arg(long = "timeout", default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) seconds: u64,
    /// Also trust the CA certificate(s) in this PEM file for https targets (a private CA or a
    /// self-signed endpoint)
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Send through this HTTP proxy (http://[user:password@]host:port) instead of what
    /// HTTPS_PROXY/HTTP_PROXY say; NO_PROXY still exempts. 'none' goes direct, ignoring them
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
}

impl AppTimeoutArgs {
    pub(crate) fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }
}

/// Timestamp tolerance.
#[derive(Debug, Args, Clone)]
pub(crate) struct ToleranceArgs {
    /// Allowed distance between the signed timestamp and now, in seconds (0 disables the check)
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub(crate) tolerance: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    /// Address to bind; anything but loopback exposes captured personal data to the network
    /// [default: 127.0.0.1]
    #[arg(long, value_parser = parse_host)]
    pub(crate) host: Option<std::net::IpAddr>,
    /// Port to bind; 0 picks a free one [default: 9474]
    #[arg(long, short)]
    pub(crate) port: Option<u16>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Allowed distance between the signed timestamp and now, in seconds (0 disables the
    /// check) [default: 300]
    #[arg(long, value_name = "SECONDS")]
    pub(crate) tolerance: Option<u64>,
    /// Largest request body accepted (e.g. 10MiB, 512KiB, 1000000); larger ones get 413 and
    /// are stored truncated [default: 10MiB]
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_body: Option<usize>,
    /// Print one line per delivery instead of opening the terminal UI
    #[arg(long)]
    pub(crate) no_tui: bool,
    /// Print NDJSON instead of human lines (implies --no-tui)
    #[arg(long)]
    pub(crate) json: bool,
    /// Forward every delivery to your app at this URL: the delivery's path is added after
    /// this URL's path, unless the URL already ends with it. One catch-all route: replaces
    /// the routes of hookscope.toml
    #[arg(long, value_name = "URL")]
    pub(crate) forward_to: Option<String>,
    /// Add or replace a header on every live forward, 'Name: value' (after any a route of
    /// hookscope.toml adds); repeatable
    #[arg(long = "forward-header", value_parser = parse_header_arg, value_name = "'NAME: VALUE'")]
    pub(crate) forward_headers: Vec<(String, String)>,
    /// Forward only these event types (comma-separated, any case, e.g. DOCVER,AML_SCREENING);
    /// the others are captured and acknowledged, not forwarded
    #[arg(
        long,
        value_delimiter = ',',
        requires = "forward_to",
        value_name = "TYPE,..."
    )]
    pub(crate) events: Vec<String>,
    /// Who answers the sender when forwarding: 'app' (tunnel) or 'ack' (hookscope, at once)
    /// [default: app]. Or a status hookscope answers by choice instead of forwarding, to see
    /// the sender retry: STATUS[,delay=DURATION][,times=N] answers the first N deliveries of
    /// each event (linked by its id), e.g. 503,times=2; the rest go on as before. Give both by
    /// repeating the flag
    #[arg(long, value_parser = respond_parser(), value_name = "app|ack|STATUS[,delay=D][,times=N]")]
    pub(crate) respond: Vec<RespondItem>,
    /// Delete captures older than this (e.g. 7d, 12h), at start and hourly: Dataspike captures
    /// hold personal data
    #[arg(long, value_name = "DURATION")]
    pub(crate) retention: Option<String>,
    /// Requests in flight to each app at once when forwarding (per route); more wait in
    /// arrival order
    #[arg(long, default_value_t = crate::forward::DEFAULT_FORWARD_CONCURRENCY, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024).map(|n| n as usize))]
    pub(crate) forward_concurrency: usize,
    /// Seconds the app has to answer a forwarded delivery [default: 10]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) forward_timeout: Option<u64>,
    /// Also trust the CA certificate(s) in this PEM file when forwarding to an https target or
    /// reading an https --relay (a private CA, a self-signed app or relay)
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Forward and read --relay through this HTTP proxy (http://[user:password@]host:port)
    /// instead of what HTTPS_PROXY/HTTP_PROXY say; NO_PROXY still exempts. 'none' goes
    /// direct, ignoring them
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
    /// Seconds a sender has to send its request head, and again its body; slower ones are cut off
    /// (a partial body is stored and answered 408) [default: 30]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) read_timeout: Option<u64>,
    /// Redact what the TUI's copy keys (c, C) copy, as 'export --redact' does (also when
    /// hookscope.toml has a [redact] table); the status line says what was replaced
    #[arg(long)]
    pub(crate) redact: bool,
    /// normal: a stored capture survives hookscope crashing or being killed; full: also an OS
    /// crash or power loss (fsync per commit, about half the throughput)
    #[arg(long, default_value = "normal", value_parser = durability_parser())]
    pub(crate) durability: Durability,
    #[command(flatten)]
    pub(crate) relay: RelayClientArgs,
}

/// `listen --relay`: also receive what a `hookscope relay` channel holds.
#[derive(Debug, Args)]
pub(crate) struct RelayClientArgs {
    /// Also receive deliveries from this relay channel (the URL 'hookscope relay channel add'
    /// made, e.g. https://relay.example.com/c/ID); the relay answers the sender itself, so
    /// --respond does not apply to them. Resumes after the last one stored here
    #[arg(long, value_name = "URL")]
    pub(crate) relay: Option<String>,
    /// The channel's read token
    #[arg(
        long,
        env = "HOOKSCOPE_RELAY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub(crate) relay_token: Option<String>,
    /// Register the relay channel's public URL as a Dataspike sandbox webhook (or reuse the one
    /// already registered for it) and verify with its secret; needs DATASPIKE_API_TOKEN
    #[arg(long, requires = "relay")]
    pub(crate) register: bool,
    /// With --register: the event types of a new webhook [default: all four]
    #[arg(
        long = "register-events",
        value_delimiter = ',',
        requires = "register",
        value_name = "TYPE,..."
    )]
    pub(crate) register_events: Vec<String>,
    /// With --register: another Dataspike API base URL (a stand-in, a private deployment)
    #[arg(
        long = "dataspike-api-url",
        env = "DATASPIKE_API_URL",
        value_name = "URL"
    )]
    pub(crate) dataspike_api_url: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Print NDJSON, one capture per line
    #[arg(long)]
    pub(crate) json: bool,
    /// Every column at full width, whatever the terminal's width (as when piped)
    #[arg(long, conflicts_with = "json")]
    pub(crate) wide: bool,
    /// At most this many captures
    #[arg(long, short = 'n', default_value_t = 50)]
    pub(crate) limit: usize,
    /// Only captures with this verdict: a badge or a verdict word, any case (PASS = valid;
    /// FAIL = invalid or unsigned; STALE = stale; -- / NONE / UNVERIFIED = unverified)
    #[arg(long, value_name = "VERDICT", value_parser = VerdictWord::parse, allow_hyphen_values = true)]
    pub(crate) verdict: Option<VerdictWord>,
    /// Only captures of this Dataspike event type, any case (e.g. AML_SCREENING or docver)
    #[arg(long, value_name = "TYPE")]
    pub(crate) event: Option<String>,
    /// Only captures matching this query, e.g. 'docver badge:FAIL status:5xx since:2h
    /// payload.status!=verified' (README: "The query language")
    #[arg(long, short = 'q', value_name = "QUERY")]
    pub(crate) query: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Capture id (from 'hookscope list')
    pub(crate) id: i64,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Print JSON with headers as [name, value] pairs and the exact body as base64
    #[arg(long, conflicts_with = "raw")]
    pub(crate) json: bool,
    /// Write only the exact body bytes to stdout
    #[arg(long)]
    pub(crate) raw: bool,
    /// Replace personal data with fakes of the same shape, as 'export --redact' does (body,
    /// headers, attempts); says on stderr what it replaced
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
}

#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    /// Wait for a capture matching this query, e.g. 'event:DOCVER payload.applicant_id=abc'
    /// (README: "The query language"); '' takes any capture
    #[arg(long, short = 'q', value_name = "QUERY")]
    pub(crate) query: String,
    /// Give up after this long (e.g. 30s, 10m), exiting 3
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) timeout: std::time::Duration,
    /// Also take a capture received within this long before the start (e.g. 10m); without
    /// it, only captures stored after the start count
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) since: Option<std::time::Duration>,
    /// Print the capture as 'show --json' does
    #[arg(long)]
    pub(crate) json: bool,
    /// Print the capture with personal data replaced by fakes, as 'show --redact' does
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    #[command(flatten)]
    pub(crate) app: AppTimeoutArgs,
    /// Return every capture and attempt with personal data replaced by fakes, as
    /// 'export --redact' does; one set of fakes for the server's run
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// Two capture ids to compare, or one with --replay
    #[arg(required = true, num_args = 1..=2, value_name = "ID")]
    pub(crate) ids: Vec<i64>,
    /// Compare the capture with what its Nth replay sent (1 = the first); without N, with its
    /// latest replay of an edited body
    #[arg(long, num_args = 0..=1, default_missing_value = "0", value_name = "N")]
    pub(crate) replay: Option<usize>,
    /// Print the header changes and changed JSON paths as JSON
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Only captures received, and attempts made, within this long ago (e.g. 30m, 1h, 7d)
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) since: Option<std::time::Duration>,
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RetriesArgs {
    /// Only this event: its id as the sender gave it (Dataspike's or Stripe's event id, a
    /// webhook-id, X-GitHub-Delivery, ...) or its beginning, as 'show' prints it
    #[arg(long, value_name = "ID")]
    pub(crate) event: Option<String>,
    /// Print JSON: {"events": [...]}, each with its deliveries, gaps and answers
    #[arg(long)]
    pub(crate) json: bool,
    /// Without --event: the newest this many events delivered more than once
    #[arg(long, short = 'n', default_value_t = 20, conflicts_with = "event")]
    pub(crate) limit: usize,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A stored capture to re-check with the secrets given now
    #[arg(conflicts_with_all = ["headers", "body_file"])]
    pub(crate) id: Option<i64>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    #[command(flatten)]
    pub(crate) tolerance: ToleranceArgs,
    /// Check as this scheme [default: recognised from the headers]
    #[arg(long, value_parser = scheme_parser(), value_name = "SCHEME")]
    pub(crate) scheme: Option<Scheme>,
    /// A signed header, 'Name: value' (e.g. 'Stripe-Signature: t=...,v1=...'); repeat for
    /// schemes with several (webhook-id, webhook-timestamp, webhook-signature). A bare value is
    /// the signature header of --scheme, Dataspike's X-Webhook-Signature by default
    #[arg(long = "header", requires = "body_file", value_name = "'NAME: VALUE'")]
    pub(crate) headers: Vec<String>,
    /// File holding the exact raw body bytes
    #[arg(long, requires = "headers", value_name = "FILE")]
    pub(crate) body_file: Option<PathBuf>,
    /// Check the timestamp as of this Unix time (seconds) [default: now; for a stored capture,
    /// the time it arrived]
    #[arg(long, value_name = "UNIX")]
    pub(crate) now: Option<i64>,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TuiArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Where replays go: the capture's path (and query) is added after this URL's path,
    /// unless the URL already ends with it [default: each capture's last forward target]
    #[arg(long, value_name = "URL")]
    pub(crate) to: Option<String>,
    #[command(flatten)]
    pub(crate) app: AppTimeoutArgs,
    /// Redact what the copy keys (c, C) copy, as 'export --redact' does (also when
    /// hookscope.toml has a [redact] table); the status line says what was replaced
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Capture ids to replay
    #[arg(required_unless_present_any = ["failed", "query"])]
    pub(crate) ids: Vec<i64>,
    /// Replay every real delivery (live or relayed) whose app answered with no 2xx the last
    /// time, oldest first. Probes of 'check' and captures whose own signature failed are left
    /// out (and counted)
    #[arg(long, conflicts_with = "ids")]
    pub(crate) failed: bool,
    /// Replay every capture matching this query, oldest first (with --failed: those among
    /// the failed ones), e.g. 'event:DOCVER status:5xx since:1h'. Probes and captures whose
    /// own signature failed are left out (and counted)
    #[arg(long, short = 'q', value_name = "QUERY", conflicts_with = "ids")]
    pub(crate) query: Option<String>,
    /// With --failed: only captures received within this long ago (e.g. 30m, 2h, 1d)
    #[arg(long, requires = "failed", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) since: Option<std::time::Duration>,
    /// Where replays go: the capture's path (and query) is added after this URL's path,
    /// unless the URL already ends with it [default: where live forwarding last sent the
    /// capture; never a replay's --to]
    #[arg(long, value_name = "URL")]
    pub(crate) to: Option<String>,
    /// Re-sign in the capture's own scheme (fresh timestamp, now) with the first secret of
    /// that scheme; the default whenever such a secret is loaded. Never for a capture whose
    /// own signature failed (see --resign-failed)
    #[arg(long)]
    pub(crate) resign: bool,
    /// Re-sign the captures named by id even when their own signature failed (invalid or
    /// unsigned): the app then accepts a body nobody signed. Only with ids, never a backlog
    #[arg(long, conflicts_with = "as_is")]
    pub(crate) resign_failed: bool,
    /// Send the original bytes and signature (a strict app will see a stale timestamp)
    #[arg(long, conflicts_with_all = ["resign", "body_file"])]
    pub(crate) as_is: bool,
    /// Send this file's bytes as the body instead (re-signed; stored with the attempt)
    #[arg(long, value_name = "FILE")]
    pub(crate) body_file: Option<PathBuf>,
    /// Add or replace a header, 'Name: value'; repeatable
    #[arg(long = "header", short = 'H', value_parser = parse_header_arg, value_name = "'NAME: VALUE'")]
    pub(crate) headers: Vec<(String, String)>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    #[command(flatten)]
    pub(crate) app: AppTimeoutArgs,
    /// Replay the one capture named several times, on a schedule: 'observed' repeats the gaps
    /// its sender left between the deliveries of its event (see 'hookscope retries'); a FILE
    /// holds one wait per attempt, each after the previous attempt's start ('0s', '2s',
    /// '1m 30s'; by line or comma; '#' comments). Tests that the app takes a redelivery once
    #[arg(long, value_name = "FILE|observed", conflicts_with_all = ["failed", "query"])]
    pub(crate) schedule: Option<String>,
    /// Print NDJSON, one attempt per line
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// One hookscope fixture (JSON) per capture, into a folder
    Fixture,
    /// One HAR 1.2 file for browser devtools and HTTP clients
    Har,
    /// One runnable shell script, a curl command per capture
    Curl,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Capture ids to export (from 'hookscope list'), in this order
    #[arg(conflicts_with_all = ["all", "verdict", "event", "query"])]
    pub(crate) ids: Vec<i64>,
    /// Export every stored capture, oldest first (with --verdict/--event/--query: every
    /// matching one)
    #[arg(long)]
    pub(crate) all: bool,
    /// Only captures with this verdict: a badge or a verdict word, any case (PASS = valid;
    /// FAIL = invalid or unsigned; STALE = stale; -- / NONE / UNVERIFIED = unverified)
    #[arg(long, value_name = "VERDICT", value_parser = VerdictWord::parse, allow_hyphen_values = true)]
    pub(crate) verdict: Option<VerdictWord>,
    /// Only captures of this Dataspike event type, any case (e.g. AML_SCREENING or docver)
    #[arg(long, value_name = "TYPE")]
    pub(crate) event: Option<String>,
    /// Only captures matching this query, e.g. 'docver badge:FAIL status:5xx since:2h
    /// payload.status!=verified' (README: "The query language")
    #[arg(long, short = 'q', value_name = "QUERY")]
    pub(crate) query: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExportFormat::Fixture)]
    pub(crate) format: ExportFormat,
    /// Where to write: a folder for fixtures [default: fixtures], a file for har
    /// [default: hookscope.har] and curl [default: hookscope-curl.sh]; '-' is stdout (har, curl)
    #[arg(long, short, value_name = "PATH")]
    pub(crate) out: Option<PathBuf>,
    /// Fixtures only: also write each body as a plain file next to its fixture
    #[arg(long)]
    pub(crate) body_files: bool,
    /// HAR only: pair each capture with its latest edited replay (the request it really sent
    /// and its answer) instead of the capture's own answer
    #[arg(long)]
    pub(crate) edited: bool,
    /// curl only: send every request to this URL instead of the capture's original one
    #[arg(long, value_name = "URL")]
    pub(crate) to: Option<String>,
    /// Overwrite files that already exist (without it, export refuses and writes nothing)
    #[arg(long)]
    pub(crate) force: bool,
    /// Replace personal data (Dataspike's names, dates of birth, document numbers, addresses,
    /// emails, phones, wallets, AML hits, and hookscope.toml's [redact] paths and headers)
    /// with fakes of the same shape; says on stderr what it replaced
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("what").args(["fixtures", "event", "list", "body_file"]).required(true)),
    after_help = "Without --secret or HOOKSCOPE_SECRET, send signs Dataspike deliveries with the local development secret (made once in the config directory; listen without a secret verifies with the same one; never printed), and other schemes with a newly generated secret it prints on stderr.\nExit status: 0 when every answer matched --expect (default 2xx), 1 otherwise (no answer never matches), 2 for a usage error.\nCI example: hookscope send --event DOCVER --sign stale --expect 4xx --to URL"
)]
pub(crate) struct SendArgs {
    /// Fixture files to send (written by 'hookscope export' or by hand)
    #[arg(value_name = "FIXTURE")]
    pub(crate) fixtures: Vec<PathBuf>,
    /// Send a built-in sample event instead: AML_SCREENING, DOCVER, TRANSACTION_MONITORING
    /// or KYT_WALLET_CHECK (see --list)
    #[arg(long, value_name = "TYPE", conflicts_with = "fixtures")]
    pub(crate) event: Option<String>,
    /// Which sample of the event (e.g. high_risk); see --list [default: the first listed]
    #[arg(long, requires = "event", value_name = "VARIANT")]
    pub(crate) variant: Option<String>,
    /// Override a field of the sample event: dotted path = JSON value or text; repeatable
    #[arg(long = "set", requires = "event", value_name = "PATH=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Send this file's exact bytes as the body (POST), signed in --scheme
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fixtures", "event"])]
    pub(crate) body_file: Option<PathBuf>,
    /// Sign in this provider's scheme [default: a fixture's own scheme, else dataspike]
    #[arg(long, value_parser = scheme_parser(), value_name = "SCHEME")]
    pub(crate) scheme: Option<Scheme>,
    /// List the built-in sample events and their variants
    #[arg(long, conflicts_with_all = ["fixtures", "event", "body_file"])]
    pub(crate) list: bool,
    /// Your app's URL. A fixture's path (and query) is added after this URL's path, unless
    /// the URL already ends with it (as in replay); a sample event goes to it exactly
    #[arg(long, value_name = "URL", required_unless_present = "list")]
    pub(crate) to: Option<String>,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Signature to attach: a good one, or a deliberately bad one to test that your app rejects
    /// it [default: valid]
    #[arg(long, value_name = "MODE", value_parser = sign_parser())]
    pub(crate) sign: Option<SignMode>,
    /// Send each fixture's captured signature header(s) unchanged instead of signing now
    #[arg(long, conflicts_with_all = ["sign", "event", "body_file", "scheme"])]
    pub(crate) as_captured: bool,
    /// Send each fixture (or the event) this many times; above 1, print a load summary
    #[arg(long, short = 'n', default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: u64,
    /// Answers that count as passing: a status (401), a class (4xx) or a list (401,403); use
    /// 4xx with a bad --sign to assert that your app rejects it [default: 2xx]
    #[arg(long, value_name = "STATUS", value_parser = Expect::parse)]
    pub(crate) expect: Option<Expect>,
    /// How many deliveries are in flight at once
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub(crate) concurrency: u64,
    #[command(flatten)]
    pub(crate) app: AppTimeoutArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Probes: valid, duplicate, rotation (with two --secret), stale, future, wrong_secret, tampered, reserialized, unsigned, malformed, wrong_method, latency.\nExit status: 0 when every probe passes, 1 when any fails, 2 on a usage error."
)]
pub(crate) struct CheckArgs {
    /// Your endpoint's URL (http or https), used exactly; redirects are reported, not followed
    #[arg(long, value_name = "URL")]
    pub(crate) to: String,
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Signature scheme the probes use
    #[arg(long, default_value = "dataspike", value_name = "SCHEME")]
    pub(crate) scheme: String,
    /// Sample event the probes carry (fresh ids each probe): AML_SCREENING, DOCVER,
    /// TRANSACTION_MONITORING or KYT_WALLET_CHECK [default: AML_SCREENING]
    #[arg(long, value_name = "TYPE", conflicts_with = "body_file")]
    pub(crate) event: Option<String>,
    /// Send this file's bytes as every probe's body instead of a sample event
    #[arg(long, value_name = "FILE")]
    pub(crate) body_file: Option<PathBuf>,
    /// How soon the valid probe must be answered (e.g. 3s, 500ms)
    #[arg(long, default_value = "3s", value_parser = crate::check::parse_deadline, value_name = "DURATION")]
    pub(crate) deadline: std::time::Duration,
    /// Print one JSON object per probe, then a summary object
    #[arg(long)]
    pub(crate) json: bool,
    /// Also write a JUnit XML report to this file, for CI
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Do not store the probes and answers in the database
    #[arg(long)]
    pub(crate) no_store: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    #[command(flatten)]
    pub(crate) app: AppTimeoutArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Fixture files (hookscope_fixture) or HAR files, told apart by their content
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    // With secrets, signatures are checked as of each capture's received time.
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    #[command(flatten)]
    pub(crate) tolerance: ToleranceArgs,
}

/// `relay --acme-challenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AcmeChallenge {
    /// TLS-ALPN-01 on the relay's own TLS port (HTTP-01 only if the CA offers nothing else)
    #[value(name = "tls-alpn-01")]
    TlsAlpn01,
    /// HTTP-01 on port 80 (which must then be bound)
    #[value(name = "http-01")]
    Http01,
}

impl From<AcmeChallenge> for crate::relay::acme::Challenge {
    fn from(c: AcmeChallenge) -> Self {
        match c {
            AcmeChallenge::TlsAlpn01 => crate::relay::acme::Challenge::TlsAlpn01,
            AcmeChallenge::Http01 => crate::relay::acme::Challenge::Http01,
        }
    }
}

/// Where the relay's database lives (a different file from the laptop's captures), or the NATS
/// JetStream servers that hold it instead.
#[derive(Debug, Args, Clone)]
pub(crate) struct RelayDbArgs {
    /// The relay's SQLite database [default: hookscope-relay.db in the platform data directory]
    #[arg(long, env = "HOOKSCOPE_RELAY_DB", value_name = "PATH")]
    pub(crate) db: Option<PathBuf>,
    /// Where deliveries and channels are kept: sqlite:PATH (as --db; the default), or
    /// nats://HOST:PORT[,nats://HOST:PORT...] for NATS JetStream, which several relays behind
    /// one address share. Wins over --db
    // Parsed by the command, not clap: clap's error would echo a password given in the URL.
    #[arg(long, env = "HOOKSCOPE_RELAY_STORE", value_name = "STORE")]
    pub(crate) store: Option<String>,
    /// A NATS credentials file (JWT and seed) for --store nats://...
    #[arg(long, env = "HOOKSCOPE_NATS_CREDS", value_name = "FILE")]
    pub(crate) nats_creds: Option<PathBuf>,
    /// Copies NATS JetStream keeps of each channel: 1 (the server must run with
    /// 'sync_interval: always', checked through --nats-monitor) or 3 (three servers; a delivery
    /// is answered once two hold it)
    #[arg(long, default_value = "1", value_parser = ["1", "3"], value_name = "N")]
    pub(crate) replicas: String,
}

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Senders post to /c/ID/<any path>; the relay answers 200 only after the delivery is committed to its database (fsync: --durability full), and 'hookscope listen --relay https://HOST/c/ID' on the laptop receives it, resuming after any disconnect.\nCreate a channel first: hookscope relay channel add"
)]
pub(crate) struct RelayArgs {
    #[command(subcommand)]
    pub(crate) command: Option<RelayCommand>,
    #[command(flatten)]
    pub(crate) serve: RelayServeArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RelayCommand {
    /// Create, list, remove channels and rotate their read tokens
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChannelCommand {
    /// Create a channel; prints its id, webhook path and read token (the token only this once)
    Add(ChannelAddArgs),
    /// List channels with what they hold and how far each subscriber has acknowledged
    List(ChannelListArgs),
    /// Delete a channel and every delivery it holds
    Remove(ChannelIdArgs),
    /// Replace a channel's read token; the old one stops working at once
    RotateToken(ChannelIdArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RemoteChannelCommand {
    /// Create a channel on the relay; prints its webhook URL and keeps its read token here
    Add(RemoteAddArgs),
    /// List the relay's channels with what they hold and who reads them
    List(RemoteArgs),
    /// Delete a channel and every delivery it holds (and its token here)
    Remove(RemoteIdArgs),
    /// Replace a channel's read token; the new one is kept here, the old one stops working
    RotateToken(RemoteIdArgs),
}

/// Which relay, and how to reach it.
#[derive(Debug, Args)]
pub(crate) struct RemoteArgs {
    /// The relay's URL (e.g. https://relay.example.com)
    #[arg(long, value_name = "URL")]
    pub(crate) relay: String,
    /// The relay's admin token (shown once by 'hookscope relay --admin-api', or the one in its
    /// --admin-token-file)
    #[arg(
        long,
        env = "HOOKSCOPE_RELAY_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub(crate) admin_token: Option<String>,
    /// Also trust the CA certificate(s) in this PEM file for the relay's HTTPS
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RemoteAddArgs {
    /// A name to recognise the channel by in 'channel list'
    #[arg(long)]
    pub(crate) label: Option<String>,
    /// Print the read token too (with --json; it is kept in the secret store either way)
    #[arg(long)]
    pub(crate) show_token: bool,
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RemoteIdArgs {
    /// Channel id (from 'channel list')
    // An id made before ids began with a letter or digit may begin with '-'.
    #[arg(allow_hyphen_values = true)]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ChannelAddArgs {
    /// A name to recognise the channel by in 'channel list'
    #[arg(long)]
    pub(crate) label: Option<String>,
    /// Verify the Dataspike signature on arrival with this secret (repeat while rotating) and
    /// record the verdict; the relay then keeps the secret in its database
    #[arg(long = "secret", value_delimiter = ',', value_name = "SECRET")]
    pub(crate) secrets: Vec<String>,
    /// With --secret: answer 401 to a delivery that is unsigned or does not verify, and store
    /// nothing (stale ones are kept: clocks drift)
    #[arg(long, requires = "secrets")]
    pub(crate) reject_invalid: bool,
    #[command(flatten)]
    pub(crate) db: RelayDbArgs,
    /// Print {"channel","path","token"} as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ChannelListArgs {
    #[command(flatten)]
    pub(crate) db: RelayDbArgs,
    /// Print NDJSON, one channel per line
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ChannelIdArgs {
    /// Channel id (from 'relay channel list')
    // An id made before ids began with a letter or digit may begin with '-'.
    #[arg(allow_hyphen_values = true)]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) db: RelayDbArgs,
    /// Print JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RelayServeArgs {
    /// Address to bind; use 127.0.0.1 behind Caddy or nginx, or 0.0.0.0 with --tls-cert
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,
    /// Port to bind; 0 picks a free one
    #[arg(long, short, default_value_t = crate::relay::server::DEFAULT_RELAY_PORT)]
    pub(crate) port: u16,
    #[command(flatten)]
    pub(crate) db: RelayDbArgs,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Turn on the remote channel API ('hookscope channel add --relay URL' from a laptop) with
    /// the admin token in this file (one line of at least 16 characters)
    #[arg(long, value_name = "FILE", conflicts_with = "admin_api")]
    pub(crate) admin_token_file: Option<PathBuf>,
    /// Turn on the remote channel API with an admin token made at the first start: printed that
    /// once; only its hash is kept, beside the database (delete that file for a new token)
    #[arg(long)]
    pub(crate) admin_api: bool,
    /// Behind these proxies (IP addresses or CIDR blocks, comma-separated), take the client's
    /// address from Forwarded / X-Forwarded-For (the right-most one not in this list) for
    /// rate limits and the stored sender address; from anyone else those headers count for
    /// nothing
    #[arg(long, value_name = "CIDR,...")]
    pub(crate) trust_proxy: Option<String>,
    /// Connections from the --trust-proxy addresses start with a PROXY protocol header (v1 or
    /// v2, as HAProxy and cloud load balancers send): the client's address is taken from it
    #[arg(long, requires = "trust_proxy")]
    pub(crate) proxy_protocol: bool,
    /// Milliseconds between checks of --tls-cert/--tls-key for changes (SIGHUP reloads at once)
    #[arg(long, default_value_t = crate::relay::certs::DEFAULT_FILE_POLL.as_millis() as u64, hide = true, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..))]
    pub(crate) tls_poll_ms: u64,
    /// Serve HTTPS for this domain with a certificate obtained and renewed automatically over
    /// ACME (Let's Encrypt unless --acme-directory); repeat for more names. The relay answers
    /// the TLS-ALPN-01 challenge on its own port (so that port must be reachable as 443 under
    /// this name), and HTTP-01 on port 80 when it can bind it
    #[arg(
        long = "acme",
        value_name = "DOMAIN",
        conflicts_with = "tls_cert",
        requires = "acme_email"
    )]
    pub(crate) acme: Vec<String>,
    /// The contact address given to the ACME CA (expiry warnings, policy changes)
    #[arg(long, value_name = "EMAIL", requires = "acme")]
    pub(crate) acme_email: Option<String>,
    /// The ACME directory URL [default: Let's Encrypt's production directory]; e.g. Let's
    /// Encrypt's staging directory, or a private ACME CA
    #[arg(long, value_name = "URL", requires = "acme")]
    pub(crate) acme_directory: Option<String>,
    /// Trust the CA certificate(s) in this PEM file for the ACME directory's own HTTPS (a
    /// private ACME CA or a test server)
    #[arg(long, value_name = "PEM", requires = "acme")]
    pub(crate) acme_ca_cert: Option<PathBuf>,
    /// Where the ACME account key and certificates, and a generated admin token's hash, are kept
    /// (0600) [default: an 'acme' folder beside the relay database, the hash beside the
    /// database; systemd: $STATE_DIRECTORY]
    #[arg(long, env = "STATE_DIRECTORY", value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Which challenge proves the domain is ours: tls-alpn-01 on the relay's own port (needs it
    /// reachable as 443), or http-01 on port 80 (behind a load balancer that ends TLS itself)
    #[arg(long, value_enum, default_value = "tls-alpn-01", requires = "acme")]
    pub(crate) acme_challenge: AcmeChallenge,
    /// Port the HTTP-01 challenge is answered on when it can be bound (0: not at all)
    #[arg(
        long,
        default_value_t = 80,
        hide = true,
        value_name = "PORT",
        requires = "acme"
    )]
    pub(crate) acme_http_port: u16,
    /// Renew once the certificate is this old, instead of when a third of its lifetime is
    /// left (for tests)
    #[arg(long, hide = true, value_parser = humantime::parse_duration, value_name = "DURATION", requires = "acme")]
    pub(crate) acme_renew_after: Option<std::time::Duration>,
    /// Seconds before the first retry after a failed order (doubling, at most an hour; for tests)
    #[arg(
        long,
        default_value_t = 60,
        hide = true,
        value_name = "SECONDS",
        requires = "acme"
    )]
    pub(crate) acme_retry_s: u64,
    /// Largest request body accepted (e.g. 10MiB); larger ones get 413 and are kept truncated
    #[arg(long, default_value = "10MiB", value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_body: usize,
    /// How long a delivery is kept, acknowledged or not (e.g. 7d, 12h)
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) retention: std::time::Duration,
    /// full: an answered delivery survives power loss (fsync per commit); normal: survives the
    /// relay crashing or being killed
    #[arg(long, default_value = "full", value_parser = durability_parser())]
    pub(crate) durability: Durability,
    /// Seconds a client has to send its request head, and again its body
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) read_timeout: u64,
    /// Requests per second allowed from one IP address (twice that in a burst; 0: no limit).
    /// Behind a reverse proxy, name it with --trust-proxy so this counts per client
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub(crate) ip_rate: u32,
    /// Deliveries per second accepted into one channel (twice that in a burst; 0: no limit)
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub(crate) channel_rate: u32,
    /// Most connections open at once; more are closed at once
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub(crate) max_connections: usize,
    /// With --store nats:// and one replica: each NATS server's monitoring address
    /// (http://HOST:PORT, its http_port), where the relay checks 'sync_interval: always' at start
    #[arg(long, value_delimiter = ',', value_name = "URL")]
    pub(crate) nats_monitor: Vec<String>,
    /// With --store nats://: most bytes one channel keeps; the oldest deliveries go first, told
    /// to laptops as a gap (0: no limit)
    #[arg(long, default_value = "1GiB", value_parser = parse_size, value_name = "SIZE")]
    pub(crate) channel_max_bytes: usize,
    /// Milliseconds between heartbeats on an idle stream (for tests)
    #[arg(long, default_value_t = 15_000, hide = true, value_parser = clap::value_parser!(u64).range(10..))]
    pub(crate) heartbeat_ms: u64,
    /// Print NDJSON: first {"event":"listening","url":...}
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("which").args(["before", "all"]).required(true)),
    after_help = "The deleted captures and their attempts are gone for good: the file is compacted (VACUUM) and its WAL emptied, so their bytes leave the disk files too."
)]
pub(crate) struct PurgeArgs {
    /// Delete captures received more than this long ago (e.g. 7d, 12h, 30m)
    #[arg(long, value_name = "DURATION")]
    pub(crate) before: Option<String>,
    /// Delete every capture
    #[arg(long)]
    pub(crate) all: bool,
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

// The flags' value enums: their names and help live here, and each maps once onto the domain
// type it stands for, so no domain type depends on clap.

/// `--verdict`: the word as given, and the verdicts it stands for. The badge words and the
/// verdict words both work, in any case, so what the UI shows can be typed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerdictWord {
    pub(crate) word: String,
    pub(crate) statuses: Vec<Status>,
}

impl VerdictWord {
    /// `NONE` stands for the `--` badge, which is awkward to type as a flag value.
    const NONE: &'static str = "none";

    pub(crate) fn parse(text: &str) -> Result<VerdictWord, String> {
        let word = text.trim();
        let word_is = |w: &str| w.eq_ignore_ascii_case(word);
        let statuses: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| {
                word_is(s.as_str())
                    || word_is(s.badge())
                    || (s.badge() == "--" && word_is(Self::NONE))
            })
            .collect();
        if statuses.is_empty() {
            return Err(format!(
                "'{text}' is not a verdict: use PASS, FAIL, STALE or NONE (the badges), or valid, invalid, unsigned, stale or unverified"
            ));
        }
        Ok(VerdictWord {
            word: word.to_string(),
            statuses,
        })
    }
}

/// `--scheme`: a provider's signing scheme.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemeArg {
    /// Dataspike: X-Webhook-Signature t=..,v1=<hex>, key = hex after whsec_
    Dataspike,
    /// Stripe: Stripe-Signature t=..,v1=<hex>, key = the secret text, whsec_ included
    Stripe,
    /// Standard Webhooks / Svix: webhook-id, webhook-timestamp, webhook-signature v1,<base64>
    Standard,
    /// GitHub: X-Hub-Signature-256 sha256=<hex> over the body
    Github,
    /// Slack: X-Slack-Signature v0=<hex>, X-Slack-Request-Timestamp
    Slack,
    /// Shopify: X-Shopify-Hmac-Sha256 <base64> over the body
    Shopify,
}

impl From<SchemeArg> for Scheme {
    fn from(s: SchemeArg) -> Scheme {
        match s {
            SchemeArg::Dataspike => Scheme::Dataspike,
            SchemeArg::Stripe => Scheme::Stripe,
            SchemeArg::Standard => Scheme::Standard,
            SchemeArg::Github => Scheme::Github,
            SchemeArg::Slack => Scheme::Slack,
            SchemeArg::Shopify => Scheme::Shopify,
        }
    }
}

fn scheme_parser() -> impl TypedValueParser<Value = Scheme> {
    EnumValueParser::<SchemeArg>::new().map(Scheme::from)
}

/// `--durability`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// A commit is written to the WAL before it returns: it survives hookscope crashing or
    /// being killed; an OS crash or power loss may lose the last moments.
    Normal,
    /// The WAL is also fsynced at every commit (batch): survives power loss too, as far as the
    /// disk honours fsync, at roughly half the throughput.
    Full,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Durability {
        match d {
            DurabilityArg::Normal => Durability::Normal,
            DurabilityArg::Full => Durability::Full,
        }
    }
}

fn durability_parser() -> impl TypedValueParser<Value = Durability> {
    EnumValueParser::<DurabilityArg>::new().map(Durability::from)
}

/// `--respond`: `app`, `ack` or a chosen status, as the config file's `respond` reads them.
fn respond_parser() -> impl TypedValueParser<Value = RespondItem> {
    clap::builder::StringValueParser::new().try_map(|t| crate::config_file::respond_item(&t))
}

/// `send --sign`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SignArg {
    /// Signed with the secret and a fresh `t`: the app should accept it.
    Valid,
    /// Right MAC, but the timestamp is one hour old: the app's timestamp check should reject
    /// it (only for schemes that sign a timestamp).
    Stale,
    /// Fresh `t`, signed with a different random secret: the MAC check should reject it.
    WrongSecret,
    /// A signature cut by 32 characters (Dataspike's `v1` of 32 hex digits, not 64): should be
    /// rejected.
    Malformed,
    /// No signature header at all: should be rejected as unsigned.
    None,
}

impl From<SignArg> for SignMode {
    fn from(s: SignArg) -> SignMode {
        match s {
            SignArg::Valid => SignMode::Valid,
            SignArg::Stale => SignMode::Stale,
            SignArg::WrongSecret => SignMode::WrongSecret,
            SignArg::Malformed => SignMode::Malformed,
            SignArg::None => SignMode::None,
        }
    }
}

fn sign_parser() -> impl TypedValueParser<Value = SignMode> {
    EnumValueParser::<SignArg>::new().map(SignMode::from)
}

pub(crate) use crate::text::parse_size;

/// Parses `--host`: an IP address, said in the user's terms when it is not one.
fn parse_host(text: &str) -> Result<std::net::IpAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("'{text}' is not an IP address; use 127.0.0.1 (default), ::1 or 0.0.0.0")
    })
}

pub(crate) use crate::headers::parse_header_arg;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The name a value enum gives its variant on the command line.
    fn name(v: impl ValueEnum) -> String {
        v.to_possible_value().unwrap().get_name().to_string()
    }

    #[test]
    fn value_enums_map_onto_every_domain_value_by_its_name() {
        // Every verdict word names its own verdict; the badges, in any case, name theirs.
        for status in Status::ALL {
            assert_eq!(
                VerdictWord::parse(status.as_str()).unwrap().statuses,
                vec![status]
            );
            let upper = status.as_str().to_ascii_uppercase();
            assert_eq!(VerdictWord::parse(&upper).unwrap().statuses, vec![status]);
        }

        let modes: Vec<(String, SignMode)> = SignArg::value_variants()
            .iter()
            .map(|v| (name(*v), SignMode::from(*v)))
            .collect();
        let expected: Vec<(String, SignMode)> = SignMode::ALL
            .iter()
            .map(|m| (m.as_str().to_string(), *m))
            .collect();
        assert_eq!(modes, expected);

        let schemes: Vec<(String, Scheme)> = SchemeArg::value_variants()
            .iter()
            .map(|v| (name(*v), Scheme::from(*v)))
            .collect();
        let expected: Vec<(String, Scheme)> = Scheme::ALL
            .iter()
            .map(|s| (s.name().to_string(), *s))
            .collect();
        assert_eq!(schemes, expected);

        let durabilities: Vec<Durability> = DurabilityArg::value_variants()
            .iter()
            .map(|d| Durability::from(*d))
            .collect();
        assert_eq!(durabilities, [Durability::Normal, Durability::Full]);
        let cli = Cli::parse_from([
            "hookscope",
            "listen",
            "--respond",
            "ack",
            "--respond",
            "503,times=2",
        ]);
        let Command::Listen(a) = cli.command else {
            panic!("not listen")
        };
        assert_eq!(a.respond[0], RespondItem::Mode(Respond::Ack));
        assert!(matches!(a.respond[1], RespondItem::Chosen(c) if c.status == 503));
        let e = Cli::try_parse_from(["hookscope", "listen", "--respond", "later"]).unwrap_err();
        assert!(e.to_string().contains("'respond' is 'later'"), "{e}");
    }

    #[test]
    fn verdict_badges_and_words_are_one_vocabulary() {
        let statuses = |w: &str| VerdictWord::parse(w).unwrap().statuses;
        assert_eq!(statuses("PASS"), [Status::Valid]);
        assert_eq!(statuses("pass"), [Status::Valid]);
        assert_eq!(statuses("FAIL"), [Status::Invalid, Status::Unsigned]);
        assert_eq!(statuses("fail"), [Status::Invalid, Status::Unsigned]);
        assert_eq!(statuses("Stale"), [Status::Stale]);
        assert_eq!(statuses("--"), [Status::Unverified]);
        assert_eq!(statuses("none"), [Status::Unverified]);
        assert_eq!(statuses("UNVERIFIED"), [Status::Unverified]);
        assert_eq!(VerdictWord::parse(" FAIL ").unwrap().word, "FAIL");
        let e = VerdictWord::parse("ok").unwrap_err();
        assert!(e.contains("'ok' is not a verdict: use PASS, FAIL"), "{e}");
        let cli = Cli::try_parse_from(["hookscope", "list", "--verdict", "--"]).unwrap();
        let Command::List(a) = cli.command else {
            panic!("not list")
        };
        assert_eq!(a.verdict.unwrap().statuses, [Status::Unverified]);
    }

    #[test]
    fn defaults_are_the_domain_defaults() {
        let cli = Cli::parse_from(["hookscope", "listen"]);
        let Command::Listen(a) = cli.command else {
            panic!("not listen")
        };
        assert_eq!(a.durability, Durability::default());
        assert_eq!(a.respond, [], "left to hookscope.toml, else app");
        assert_eq!(SignMode::default(), SignMode::Valid);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2mb"), Ok(2_000_000));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_size("99999999999999GiB").is_err());
    }

    #[test]
    fn header_args() {
        assert_eq!(
            parse_header_arg("X-A:  b c "),
            Ok(("X-A".to_string(), "b c".to_string()))
        );
        assert!(parse_header_arg("nocolon").is_err());
        assert!(parse_header_arg("bad name: x").is_err());
    }
}
